"""The disbursement worker pays each loan once even when several workers race, and the
idempotency record makes a duplicate wait for, then replay, the first answer."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from core_lending.disbursement import DisbursementWorker
from core_lending.errors import IdempotencyInProgress
from core_lending.idempotency import run_idempotent
from core_lending.ledger import check_ledger
from core_lending.payment_rail import PayoutResult, SimulatedRail
from core_lending.store.models import IdempotencyRecord, Payout

from .conftest import Env, bearer


class CountingRail:
    """A rail that records every payout request it receives."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def pay(self, *, reference: str, amount_fen: int) -> PayoutResult:
        with self._lock:
            self.calls.append(reference)
        return PayoutResult(ok=True, reference=reference)


def _draws(env: Env, n: int) -> list[int]:
    ids = []
    for i in range(n):
        cust = env.register()
        env.grant(cust["customer_id"])
        r = env.client.post("/v1/drawdowns", headers=bearer(env.jianhe, **{"Idempotency-Key": f"k{i}"}), json={
            "customer_id": cust["customer_id"], "amount_fen": 500_000, "term_months": 12,
            "repayment_method": "interest_only"})
        ids.append(r.get_json()["loan_id"])
    return ids


def test_racing_workers_pay_each_loan_once(env: Env) -> None:
    loan_ids = _draws(env, 12)
    rt = env.app.extensions["lending"].rt
    rail = CountingRail()
    workers = [DisbursementWorker(rt, rail, batch=5, name=f"w{i}") for i in range(4)]
    barrier = threading.Barrier(len(workers))

    def drain(w: DisbursementWorker) -> int:
        barrier.wait()
        total = 0
        for _ in range(10):
            total += w.run_once()
        return total

    with ThreadPoolExecutor(len(workers)) as pool:
        done = sum(pool.map(drain, workers))
    assert done == 12
    assert sorted(rail.calls) == sorted(f"loan-{i}" for i in loan_ids)  # one payout request per loan
    with env.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Payout)) == 12
        assert check_ledger(s) == []
    for loan_id in loan_ids:
        assert env.client.get(f"/v1/loans/{loan_id}", headers=bearer(env.jianhe)).get_json()["status"] == "active"


def test_worker_thread_pays_and_reports_stuck_loans(env: Env) -> None:
    (loan_id,) = _draws(env, 1)
    rt = env.app.extensions["lending"].rt
    later = datetime.now(UTC) + timedelta(hours=1)
    stuck_rt = type(rt)(settings=rt.settings, db=rt.db, faults=rt.faults, metrics=rt.metrics, clock=lambda: later)
    DisbursementWorker(stuck_rt, SimulatedRail(delay_s=0))._report_stuck()
    assert env.registry.get_sample_value("lending_disbursements_stuck", {"track": "stable"}) == 1.0

    worker = DisbursementWorker(rt, SimulatedRail(delay_s=0))
    worker.start()
    try:
        for _ in range(200):
            if env.client.get(f"/v1/loans/{loan_id}", headers=bearer(env.jianhe)).get_json()["status"] == "active":
                break
            threading.Event().wait(0.05)
    finally:
        worker.stop()
    assert env.client.get(f"/v1/loans/{loan_id}", headers=bearer(env.jianhe)).get_json()["status"] == "active"
    assert env.registry.get_sample_value("lending_disbursements_stuck", {"track": "stable"}) == 0.0
    assert env.registry.get_sample_value("lending_disbursement_duration_seconds_count",
                                         {"track": "stable", "outcome": "paid"}) == 1.0


def test_duplicate_waits_then_replays_or_gets_409(env: Env) -> None:
    rt = env.app.extensions["lending"].rt
    release = threading.Event()
    started = threading.Event()

    def slow(_: Any) -> tuple[int, str]:
        started.set()
        release.wait(10)
        return 201, '{"ok":true}'

    def fast(_: Any) -> tuple[int, str]:
        raise AssertionError("a duplicate must never execute")

    kw: dict[str, Any] = {"action": "test", "scope": "s", "key": "k", "req_hash": "h", "render_error": lambda e: None}
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(run_idempotent, rt, operation=slow, **kw)
        assert started.wait(10)
        short = type(rt)(settings=rt.settings.with_(idempotency_wait_ms=100), db=rt.db, faults=rt.faults)
        with pytest.raises(IdempotencyInProgress):  # still running after the bounded wait
            run_idempotent(short, operation=fast, **kw)
        waiting = pool.submit(run_idempotent, rt, operation=fast, **kw)
        release.set()
        assert first.result(10).body == '{"ok":true}' and not first.result().replayed
        replay = waiting.result(10)
        assert replay.replayed and replay.status == 201 and replay.body == '{"ok":true}'
    with env.db.read() as s:
        assert s.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1


def test_stale_claim_of_a_dead_process_is_taken_over_once(env: Env) -> None:
    from core_lending.store.models import DisbursementClaim

    stale_loan, fresh_loan = _draws(env, 2)
    now = datetime.now(UTC).replace(tzinfo=None)
    with env.db.write() as s:
        s.add(DisbursementClaim(loan_id=stale_loan, worker="dead:1:canary", claimed_at=now - timedelta(hours=1)))
        s.add(DisbursementClaim(loan_id=fresh_loan, worker="busy:2:stable", claimed_at=now))
    rt = env.app.extensions["lending"].rt
    rail = CountingRail()
    with ThreadPoolExecutor(3) as pool:
        done = sum(pool.map(lambda i: DisbursementWorker(rt, rail, name=f"w{i}").run_once(), range(3)))
    assert done == 1 and rail.calls == [f"loan-{stale_loan}"]
    statuses = {i: env.client.get(f"/v1/loans/{i}", headers=bearer(env.jianhe)).get_json()["status"]
                for i in (stale_loan, fresh_loan)}
    assert statuses == {stale_loan: "active", fresh_loan: "pending_disbursement"}
    with env.db.read() as s:
        assert check_ledger(s) == []


def test_stale_version_is_retried_once_then_succeeds(env: Env) -> None:
    from sqlalchemy.orm.exc import StaleDataError

    rt = env.app.extensions["lending"].rt
    attempts: list[int] = []

    def flaky(_: Any) -> tuple[int, str]:
        attempts.append(1)
        if len(attempts) == 1:
            raise StaleDataError("simulated concurrent update")
        return 201, "{}"

    out = run_idempotent(rt, action="t", scope="s", key="v", req_hash="h", operation=flaky,
                         render_error=lambda e: None)
    assert out.status == 201 and len(attempts) == 2


def test_running_key_of_a_dead_process_is_taken_over(env: Env) -> None:
    rt = env.app.extensions["lending"].rt
    long_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
    with env.db.write() as s:  # what a process that died mid-request leaves behind
        s.add(IdempotencyRecord(action="t", scope="s", key="dead", request_hash="h", state="running",
                                created_at=long_ago))
    out = run_idempotent(rt, action="t", scope="s", key="dead", req_hash="h",
                         operation=lambda s: (201, '{"retry":true}'), render_error=lambda e: None)
    assert out.body == '{"retry":true}' and not out.replayed
    again = run_idempotent(rt, action="t", scope="s", key="dead", req_hash="h",
                           operation=lambda s: (500, "never"), render_error=lambda e: None)
    assert again.replayed and again.body == '{"retry":true}'


@pytest.mark.postgres
def test_late_original_rolls_back_after_a_takeover_on_postgres(pg_url: str) -> None:
    # Only PostgreSQL lets a retry run while the original's transaction is still open
    # (SQLite serializes writers, so there the retry simply waits and replays).
    from tests.procs import prepare_db

    from .conftest import make_env

    prepare_db(pg_url)
    env = make_env(pg_url)
    rt = env.app.extensions["lending"].rt
    instant = type(rt)(settings=rt.settings.with_(idempotency_abandon_s=0), db=rt.db, faults=rt.faults)
    release, started = threading.Event(), threading.Event()

    def slow_write(s: Any) -> tuple[int, str]:
        s.add(IdempotencyRecord(action="side", scope="s", key="effect", request_hash="x", state="done",
                                created_at=datetime.now(UTC).replace(tzinfo=None)))
        s.flush()
        started.set()
        release.wait(10)
        return 201, '{"first":true}'

    kw: dict[str, Any] = {"action": "t", "scope": "s", "key": "slow", "req_hash": "h",
                          "render_error": lambda e: (409, "{}") if isinstance(e, IdempotencyInProgress) else None}
    try:
        with ThreadPoolExecutor(1) as pool:
            original = pool.submit(run_idempotent, instant, operation=slow_write, **kw)
            assert started.wait(10)
            retry = run_idempotent(instant, operation=lambda s: (201, '{"retry":true}'), **kw)
            assert retry.body == '{"retry":true}'
            release.set()
            assert original.result(10).status == 409  # superseded: its effects rolled back
        with env.db.read() as s:
            actions = sorted(r.action for r in s.scalars(select(IdempotencyRecord)))
        assert actions == ["t"]  # the original's side effect is gone, the retry's record stays
    finally:
        release.set()
        env.db.dispose()
