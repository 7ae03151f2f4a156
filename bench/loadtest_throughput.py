"""How many requests per second one Locust process drives against the lending service:
FastHttpUser against HttpUser, side by side in one run.

    python bench/loadtest_throughput.py                  # ~50 s: 2 rounds x 2 clients x 10 s
    python bench/loadtest_throughput.py --seconds 20 --rounds 1 --write-results

Both clients hit the same running service (``lendops serve --workers 2`` on SQLite) with
the same users doing the same read of the credit path (``GET
/v1/customers/{customer_id}/credit``, no think time), in interleaved blocks (fast,
requests, requests, fast, ...) so that machine drift hits both alike. On a 2-core
machine the service competes with Locust for the CPU, so requests/s alone partly
measures the service; the figure that isolates the load generator is requests per
CPU-second of the Locust process (its user + system time from /proc, sampled while
requests flowed, so start-up is left out).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Locust throughput: FastHttpUser vs HttpUser (bench/loadtest_throughput.py)"
JIANHE = "522629"

LOCUSTFILE = textwrap.dedent('''
    import os
    from locust import FastHttpUser, HttpUser, constant, task

    HEADERS = {"Authorization": "Bearer " + os.environ["BENCH_TOKEN"], "X-Branch-Code": "522629",
               "X-Customer-Id": os.environ["BENCH_CUSTOMER"]}
    PATH = "/v1/customers/" + os.environ["BENCH_CUSTOMER"] + "/credit"
    NAME = "/v1/customers/{customer_id}/credit"

    class _Read:
        wait_time = constant(0)
        def read(self):
            self.client.get(PATH, headers=HEADERS, name=NAME)
        tasks = [read]

    if os.environ["BENCH_CLIENT"] == "fast":
        class Reader(_Read, FastHttpUser):
            pass
    else:
        class Reader(_Read, HttpUser):
            pass
''')


def _grant_one_customer(base_url: str, token: str) -> int:
    import random
    from datetime import date

    import requests

    from loadtest import data

    headers = {"Authorization": f"Bearer {token}", "X-Branch-Code": JIANHE}
    rng = random.Random(1)
    for serial in range(50):
        payload = data.customer_payload(rng, data.Branch(JIANHE), today=date.today(), serial=serial)
        payload["labels"].update(fraud_risk="low", credit_record="clean", relationship_grade="A")
        created = requests.post(f"{base_url}/v1/customers", json=payload, headers=headers, timeout=10)
        if created.status_code != 201:
            continue
        customer_id = created.json()["customer_id"]
        decision = requests.post(f"{base_url}/v1/credit/applications", json={"customer_id": customer_id},
                                 headers=headers, timeout=10).json()
        if decision.get("decision") == "approved":
            return int(customer_id)
    raise RuntimeError("no approved customer after 50 tries")


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a live process, from /proc (None once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _one_block(client: str, *, locustfile: Path, host: str, env: dict[str, str], users: int,
               seconds: float) -> dict[str, Any]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--only-summary", "--json",
         "-u", str(users), "-r", str(users), "-t", f"{seconds:g}s", "--host", host, "--stop-timeout", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**env, "BENCH_CLIENT": client})
    # Sample the Locust process's CPU time while it runs, so that its start-up (imports,
    # spawning) is left out: only the window in which requests flowed counts.
    samples: list[tuple[float, float]] = []
    while proc.poll() is None:
        cpu = _cpu_seconds(proc.pid)
        if cpu is not None:
            samples.append((time.time(), cpu))
        time.sleep(0.05)
    stats = json.loads(proc.stdout.read() if proc.stdout else "[]")
    requests_total = sum(int(s["num_requests"]) for s in stats)
    failures = sum(int(s["num_failures"]) for s in stats)
    first = min(float(s["start_time"]) for s in stats)
    last = max(float(s["last_request_timestamp"]) for s in stats)
    cpu = _cpu_at(samples, last) - _cpu_at(samples, first)
    return {"client": client, "requests": requests_total, "failures": failures, "active_s": last - first,
            "cpu_s": cpu}


def _cpu_at(samples: list[tuple[float, float]], when: float) -> float:
    """CPU seconds used by ``when`` (linear between the nearest samples)."""
    before = [s for s in samples if s[0] <= when]
    after = [s for s in samples if s[0] >= when]
    if not before:
        return samples[0][1]
    if not after:
        return samples[-1][1]
    (t0, c0), (t1, c1) = before[-1], after[0]
    return c0 if t1 == t0 else c0 + (c1 - c0) * (when - t0) / (t1 - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of one block")
    parser.add_argument("--rounds", type=int, default=2, help="fast/requests pairs (interleaved)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--write-results", action="store_true", help="replace this benchmark's RESULTS.md section")
    args = parser.parse_args()

    from tests.procs import create_token, prepare_db, start_lending_service

    with tempfile.TemporaryDirectory(prefix="lendops-bench-locust-") as tmp:
        url = f"sqlite:///{tmp}/lending.sqlite"
        prepare_db(url)
        token = create_token(url, "manager", branch=JIANHE)
        locustfile = Path(tmp) / "bench_locustfile.py"
        locustfile.write_text(LOCUSTFILE, encoding="utf-8")
        with start_lending_service(db_url=url, workers=2) as svc:
            customer = _grant_one_customer(svc.base_url, token)
            env = dict(os.environ, BENCH_TOKEN=token, BENCH_CUSTOMER=str(customer))
            blocks: list[dict[str, Any]] = []
            for round_no in range(args.rounds):
                order = ("fast", "requests") if round_no % 2 == 0 else ("requests", "fast")
                for client in order:
                    block = _one_block(client, locustfile=locustfile, host=svc.base_url, env=env,
                                       users=args.users, seconds=args.seconds)
                    print(f"{client:9} {block['requests']:7d} requests  {block['requests'] / block['active_s']:8.1f} "
                          f"req/s  {block['requests'] / max(block['cpu_s'], 1e-9):8.1f} req/CPU-s  "
                          f"failures {block['failures']}", flush=True)
                    blocks.append(block)

    def totals(client: str) -> tuple[float, float, int]:
        mine = [b for b in blocks if b["client"] == client]
        reqs = sum(b["requests"] for b in mine)
        return reqs / sum(b["active_s"] for b in mine), reqs / sum(b["cpu_s"] for b in mine), \
            sum(b["failures"] for b in mine)

    fast_rps, fast_cpu, fast_fail = totals("fast")
    slow_rps, slow_cpu, slow_fail = totals("requests")
    command = "python bench/loadtest_throughput.py " + " ".join(sys.argv[1:])
    section = textwrap.dedent(f"""\
        {SECTION}

        One Locust process, {args.users} users without think time reading `GET /v1/customers/{{customer_id}}/credit`
        from `lendops serve --workers 2` (SQLite) on the same 2-core machine; {args.rounds} interleaved
        round(s) of {args.seconds:g} s per client. Command: `{command.strip()}`

        | client | requests/s | requests per Locust CPU-second | failures |
        |---|---|---|---|
        | FastHttpUser | {fast_rps:.0f} | {fast_cpu:.0f} | {fast_fail} |
        | HttpUser | {slow_rps:.0f} | {slow_cpu:.0f} | {slow_fail} |

        FastHttpUser / HttpUser: **{fast_rps / slow_rps:.2f}x** requests/s, **{fast_cpu / slow_cpu:.2f}x** requests
        per Locust CPU-second. The requests/s ratio is capped by the service sharing the two cores with
        Locust; the per-CPU-second ratio is the load generator's own efficiency.
        """)
    print()
    print(section)
    if args.write_results:
        _write_section(section)


def _write_section(section: str) -> None:
    text = RESULTS.read_text(encoding="utf-8")
    if SECTION in text:
        start = text.index(SECTION)
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + (text[end + 1:] if end != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
