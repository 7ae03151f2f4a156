"""No overdraft, no double payout: concurrent drawdowns from threads and from separate
processes (SQLite file shared by two servers; PostgreSQL with gunicorn workers)."""

from __future__ import annotations

import itertools
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.procs import create_token, lendops_cmd, prepare_db, start_lending_service

from .conftest import JIANHE, customer_body

LINE = 5_000_000
DRAW = 300_000  # 16 fit into the line, the 17th never
ATTEMPTS = 40


def _h(token: str, key: str | None = None) -> dict[str, str]:
    h = {"Authorization": f"Bearer {token}"}
    if key:
        h["Idempotency-Key"] = key
    return h


def _granted_customer(base: str, token: str) -> int:
    r = requests.post(base + "/v1/customers", json=customer_body(), headers=_h(token), timeout=10)
    assert r.status_code == 201, r.text
    cid = r.json()["customer_id"]
    r = requests.post(base + "/v1/credit/applications", json={"customer_id": cid}, headers=_h(token), timeout=10)
    assert r.json()["line_fen"] == LINE
    return cid


def _db_check(db_url: str) -> None:
    out = subprocess.run(lendops_cmd("db", "check", "--db", db_url), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "ledger ok" in out.stdout


def _exercise(bases: list[str], token: str, db_url: str) -> None:
    cid = _granted_customer(bases[0], token)
    body = {"customer_id": cid, "amount_fen": DRAW, "term_months": 6, "repayment_method": "equal_installment"}
    urls = itertools.cycle(bases)
    jobs = [(next(urls), f"draw-{i}") for i in range(ATTEMPTS)]

    def draw(job: tuple[str, str]) -> requests.Response:
        with requests.Session() as s:
            return s.post(job[0] + "/v1/drawdowns", json=body, headers=_h(token, job[1]), timeout=60)

    with ThreadPoolExecutor(max_workers=16) as pool:
        replies = list(pool.map(draw, jobs))
    statuses = sorted(r.status_code for r in replies)
    assert statuses.count(201) == LINE // DRAW, statuses
    assert set(statuses) == {201, 409}
    assert all(r.json()["type"].endswith("/insufficient-credit") for r in replies if r.status_code == 409)
    credit = requests.get(f"{bases[-1]}/v1/customers/{cid}/credit", headers=_h(token), timeout=10).json()
    assert credit["used_fen"] == (LINE // DRAW) * DRAW and credit["available_fen"] == LINE - credit["used_fen"]

    # The same key sent concurrently (to every process) makes one loan; every reply is the same.
    cid2 = _granted_customer(bases[0], token)
    same = {"customer_id": cid2, "amount_fen": 1_000_000, "term_months": 3, "repayment_method": "revolving"}

    def same_key(base: str) -> requests.Response:
        return requests.post(base + "/v1/drawdowns", json=same, headers=_h(token, "one-key"), timeout=60)

    with ThreadPoolExecutor(max_workers=12) as pool:
        replies = list(pool.map(same_key, [next(urls) for _ in range(12)]))
    assert {r.status_code for r in replies} == {201}
    assert len({r.content for r in replies}) == 1
    loan_id = replies[0].json()["loan_id"]
    credit = requests.get(f"{bases[0]}/v1/customers/{cid2}/credit", headers=_h(token), timeout=10).json()
    assert credit["used_fen"] == 1_000_000
    # A reused key with a different body is refused, and changes nothing.
    r = requests.post(bases[-1] + "/v1/drawdowns", json={**same, "amount_fen": 999_900},
                      headers=_h(token, "one-key"), timeout=10)
    assert r.status_code == 422 and r.json()["type"].endswith("/idempotency-key-reused")
    assert requests.get(f"{bases[0]}/v1/customers/{cid2}/credit", headers=_h(token), timeout=10).json()[
        "used_fen"] == 1_000_000

    # Every loan gets paid exactly once although every process runs a worker.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        loan = requests.get(f"{bases[0]}/v1/loans/{loan_id}", headers=_h(token), timeout=10).json()
        if loan["status"] == "active":
            break
        time.sleep(0.1)
    assert loan["status"] == "active"
    _db_check(db_url)




def test_threads_against_one_process_sqlite(seeded_sqlite_url: str) -> None:
    token = create_token(seeded_sqlite_url, "manager", branch=JIANHE)
    with start_lending_service(db_url=seeded_sqlite_url) as svc:
        _exercise([svc.base_url], token, seeded_sqlite_url)


@pytest.mark.slow
def test_two_servers_three_processes_share_one_sqlite_file(seeded_sqlite_url: str) -> None:
    token = create_token(seeded_sqlite_url, "manager", branch=JIANHE)
    with start_lending_service(db_url=seeded_sqlite_url, version="1.0.0", workers=2) as stable, \
            start_lending_service(db_url=seeded_sqlite_url, version="1.1.0", track="canary") as canary:
        _exercise([stable.base_url, canary.base_url], token, seeded_sqlite_url)
        assert stable.alive() and canary.alive()


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_gunicorn_workers_and_second_process(pg_url: str) -> None:
    prepare_db(pg_url)
    token = create_token(pg_url, "manager", branch=JIANHE)
    with start_lending_service(db_url=pg_url, workers=2) as stable, \
            start_lending_service(db_url=pg_url, version="1.1.0", track="canary") as canary:
        _exercise([stable.base_url, canary.base_url], token, pg_url)
