"""Credit decisions per second and quote latency of the lending service, as ratios against
a bare Flask endpoint served the same way (gunicorn, 2 gthread workers) in the same run.

    python bench/core_throughput.py [--seconds 6] [--clients 8] [--skip-postgres]

Prints a markdown section for bench/RESULTS.md. Bounded: every phase runs a fixed number
of seconds, every request has a timeout, every server is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.procs import create_token, free_port, prepare_db, start_lending_service  # noqa: E402

WORKERS = 2
ROUNDS = 3


def bare_app() -> Any:
    """The baseline: a Flask endpoint that parses JSON and answers JSON, nothing else."""
    from flask import Flask, jsonify, request

    app = Flask("bare")

    @app.post("/bare")
    def bare() -> Any:
        body = request.get_json()
        return jsonify({"echo": body.get("customer_id"), "ok": True})

    return app


def _serve_bare(port: int) -> None:
    from core_lending.serving import run_gunicorn

    run_gunicorn(bare_app, host="127.0.0.1", port=port, workers=WORKERS)


def _start_bare() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve-bare", str(port)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.post(base + "/bare", json={"customer_id": 1}, timeout=2).status_code == 200:
                return proc, base
        except requests.RequestException:
            time.sleep(0.05)
    proc.terminate()
    raise RuntimeError("bare server did not start")


def load(make_request: Callable[[requests.Session, int], requests.Response], *, seconds: float,
         clients: int) -> tuple[float, list[float], int]:
    """(requests/s, latencies in s, errors) of ``clients`` closed-loop threads for ``seconds``."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(idx: int) -> None:
        mine: list[float] = []
        bad = 0
        n = 0
        with requests.Session() as s:
            while time.monotonic() < stop_at:
                t0 = time.perf_counter()
                r = make_request(s, idx * 1_000_000 + n)
                mine.append(time.perf_counter() - t0)
                n += 1
                if r.status_code >= 400:
                    bad += 1
                    print(f"error {r.status_code}: {r.text[:200]}", file=sys.stderr)
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    elapsed = time.monotonic() - t0
    return len(latencies) / elapsed, latencies, errors[0]


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def measure(db_url: str, label: str, seconds: float, clients: int) -> dict[str, Any]:
    prepare_db(db_url)
    token = create_token(db_url, "manager", branch="522629")
    h = {"Authorization": f"Bearer {token}"}
    bare_proc, bare = _start_bare()
    try:
        with start_lending_service(db_url=db_url, workers=WORKERS, env={"LENDING_PAYOUT_DELAY_MS": "0"}) as svc:
            base = svc.base_url
            customers = []
            for i in range(64):
                body = {"name": "压测", "id_number": f"522629{uuid.uuid4().int % 10**11:011d}X",
                        "phone": f"139{i:08d}", "branch_code": "522629", "segment": "farmer",
                        "birth_date": "1985-03-01", "annual_income_fen": 6_000_000, "other_debt_fen": 0,
                        "labels": {"fraud_risk": "low", "relationship_grade": "B", "years_known": 4,
                                   "credit_village": True, "repayment_history": "on_time",
                                   "credit_record": "clean"}}
                r = requests.post(base + "/v1/customers", json=body, headers=h, timeout=10)
                r.raise_for_status()
                customers.append(r.json()["customer_id"])
            for cid in customers[:8]:
                requests.post(base + "/v1/credit/applications", json={"customer_id": cid}, headers=h, timeout=10)

            def bare_req(s: requests.Session, n: int) -> requests.Response:
                return s.post(bare + "/bare", json={"customer_id": n}, timeout=30)

            def decide(s: requests.Session, n: int) -> requests.Response:
                return s.post(base + "/v1/credit/applications", json={"customer_id": customers[n % 64]},
                              headers=h, timeout=30)

            def quote(s: requests.Session, n: int) -> requests.Response:
                return s.post(base + "/v1/quotes", headers=h, timeout=30, json={
                    "customer_id": customers[n % 8], "amount_fen": 3_000_000, "term_months": 12,
                    "repayment_method": "equal_installment"})

            load(bare_req, seconds=1, clients=clients)  # warm-up
            load(quote, seconds=1, clients=clients)
            # Interleaved rounds: the machine is shared, so each ratio compares neighbours in time.
            rounds = []
            for _ in range(ROUNDS):
                b = load(bare_req, seconds=seconds / ROUNDS, clients=clients)
                dcs = load(decide, seconds=seconds / ROUNDS, clients=clients)
                q = load(quote, seconds=seconds / ROUNDS, clients=clients)
                rounds.append({
                    "bare_rps": b[0], "decisions_rps": dcs[0], "quote_rps": q[0],
                    "decisions_ratio": dcs[0] / b[0], "p50_ratio": pct(q[1], 50) / pct(b[1], 50),
                    "p99_ratio": pct(q[1], 99) / pct(b[1], 99), "quote_p50": pct(q[1], 50),
                    "quote_p99": pct(q[1], 99), "errors": b[2] + dcs[2] + q[2],
                })
    finally:
        bare_proc.terminate()
        bare_proc.wait(15)
    med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0] if k != "errors"}
    return {"label": label, **med, "errors": sum(r["errors"] for r in rounds)}


def _pg_url() -> tuple[str, Callable[[], None]] | None:
    try:
        import psycopg

        admin = psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True,
                                connect_timeout=3)
    except Exception as exc:  # noqa: BLE001
        print(f"PostgreSQL unavailable, skipped: {exc}", file=sys.stderr)
        return None
    name = f"lendops_bench_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--serve-bare", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        _serve_bare(args.serve_bare)
        return
    import tempfile

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(measure(f"sqlite:///{tmp}/bench.sqlite", "SQLite", args.seconds, args.clients))
    if not args.skip_postgres:
        pg = _pg_url()
        if pg is not None:
            try:
                results.append(measure(pg[0], "PostgreSQL", args.seconds, args.clients))
            finally:
                pg[1]()
    print("## core_lending throughput (bench/core_throughput.py)\n")
    print(f"Command: `python bench/core_throughput.py --seconds {args.seconds:g} --clients {args.clients}`; "
          f"gunicorn {WORKERS} gthread workers for both the service and a bare Flask JSON endpoint, "
          f"{args.clients} closed-loop keep-alive client threads on the same 2-core machine.\n")
    print("| database | bare req/s | decisions/s | decisions ÷ bare | quote p50 ÷ bare p50 | "
          "quote p99 ÷ bare p99 | quote p50 / p99 (ms) | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['label']} | {r['bare_rps']:.0f} | {r['decisions_rps']:.0f} | "
              f"{r['decisions_ratio']:.2f} | {r['p50_ratio']:.2f} | "
              f"{r['p99_ratio']:.2f} | {r['quote_p50'] * 1000:.1f} / {r['quote_p99'] * 1000:.1f} | "
              f"{r['errors']} |")
    print(f"\nMedians over {ROUNDS} interleaved rounds (bare, decisions, quotes) per database; a decision "
          "is a full application: score, line, price, persist (application row + credit line).")


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
