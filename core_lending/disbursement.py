"""The disbursement worker: pays pending loans exactly once, across processes.

A loan is claimed by inserting its ``disbursement_claims`` row (primary key = loan id)
in a write transaction; only the winner pays. A claim older than ``claim_ttl_s`` whose
loan is still pending was left by a process that died mid-payout (a rolled-back canary);
one worker takes it over by a compare-and-set on the claim, so the loan is not stuck forever. The outcome is written with the payout
row (also keyed by loan id) in one transaction that locks the credit line and the loan:
paid → active; failed → the reservation is released back to the line.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from . import domain as d
from .loan_book import ledger, locked_line
from .payment_rail import PaymentRail, PayoutResult
from .runtime import Runtime, naive_utc
from .store.models import DisbursementClaim, Loan, Payout

__all__ = ["DisbursementWorker"]

log = logging.getLogger("core_lending.disbursement")
PENDING = d.LoanStatus.PENDING_DISBURSEMENT.value


class DisbursementWorker:
    def __init__(self, rt: Runtime, rail: PaymentRail, *, batch: int = 20, name: str | None = None) -> None:
        self.rt = rt
        self.rail = rail
        self.batch = batch
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{rt.settings.track}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="disbursement-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        interval = self.rt.settings.worker_poll_ms / 1000
        while not self._stop.is_set():
            try:
                if self.run_once() == 0:
                    self._stop.wait(interval)
            except Exception as exc:  # the worker must outlive a database hiccup
                log.warning("disbursement pass failed: %s: %s", type(exc).__name__, exc)
                self._stop.wait(max(interval, 1.0))

    # --- one pass ------------------------------------------------------------------
    def run_once(self) -> int:
        """Claim, pay and settle what is pending; returns how many loans this worker paid or failed."""
        stale = self._stale_cutoff()
        with self.rt.db.read() as s:
            ids = list(s.scalars(
                select(Loan.id).outerjoin(DisbursementClaim, DisbursementClaim.loan_id == Loan.id)
                .where(Loan.status == PENDING,
                       or_(DisbursementClaim.loan_id.is_(None), DisbursementClaim.claimed_at < stale))
                .order_by(Loan.id).limit(self.batch)))
        done = 0
        for loan_id in ids:
            if self._stop.is_set():
                break
            claimed = self._claim(loan_id)
            if claimed is None:
                continue
            amount, branch = claimed
            with self.rt.tracer.start_as_current_span(
                    "loan.disburse", attributes=self.rt.span_attributes(branch=branch)) as span:
                result = self.rail.pay(reference=f"loan-{loan_id}", amount_fen=amount)
                span.set_attribute("lending.payout", "paid" if result.ok else "failed")
                self._settle(loan_id, result)
            done += 1
        self._report_stuck()
        return done

    def _stale_cutoff(self) -> datetime:
        return naive_utc(self.rt.clock()) - timedelta(seconds=self.rt.settings.claim_ttl_s)

    def _claim(self, loan_id: int) -> tuple[int, str] | None:
        now = naive_utc(self.rt.clock())
        try:
            with self.rt.db.write() as s:
                loan = s.get(Loan, loan_id)
                if loan is None or loan.status != PENDING:
                    return None
                claim = s.get(DisbursementClaim, loan_id)
                if claim is None:
                    s.add(DisbursementClaim(loan_id=loan_id, worker=self.name, claimed_at=now))
                elif claim.claimed_at < self._stale_cutoff():
                    taken = s.execute(
                        update(DisbursementClaim)
                        .where(DisbursementClaim.loan_id == loan_id, DisbursementClaim.worker == claim.worker,
                               DisbursementClaim.claimed_at == claim.claimed_at)
                        .values(worker=self.name, claimed_at=now))
                    if taken.rowcount != 1:  # type: ignore[attr-defined]
                        return None
                    log.warning("took over the stale disbursement claim of loan %s from %s", loan_id, claim.worker)
                else:
                    return None
                return loan.principal_fen, loan.branch_code
        except IntegrityError:  # another process claimed it first (PostgreSQL race)
            return None

    def _settle(self, loan_id: int, result: PayoutResult) -> None:
        now = self.rt.clock()
        stamp = naive_utc(now)
        with self.rt.db.write() as s:
            loan = s.get(Loan, loan_id)
            assert loan is not None
            line = locked_line(s, loan.customer_id)
            s.refresh(loan, with_for_update=True)
            if loan.status != PENDING or s.get(Payout, loan_id) is not None:
                # A slow original claimant finished after a takeover: record nothing twice.
                log.warning("loan %s already settled; payout result %s not recorded again", loan_id, result.ok)
                return
            seconds = max(0.0, (stamp - loan.created_at).total_seconds())
            if result.ok:
                loan.status = d.next_status(d.LoanStatus(loan.status), d.LoanEvent.DISBURSED).value
                loan.disbursed_at = stamp
            else:
                loan.status = d.next_status(d.LoanStatus(loan.status), d.LoanEvent.PAYOUT_FAILED).value
                loan.failure_reason = result.reason or "payout_failed"
                released = loan.outstanding_fen
                loan.outstanding_fen = 0
                assert line is not None
                line.used_fen -= released
                ledger(s, loan, "release", amount_fen=released, principal_delta_fen=-released, now=stamp)
            s.add(Payout(loan_id=loan_id, outcome="paid" if result.ok else "failed", amount_fen=loan.principal_fen,
                         rail_reference=result.reference, seconds_to_disburse=int(seconds), created_at=stamp))
        self.rt.metrics.disbursement(seconds=seconds, outcome="paid" if result.ok else "failed")

    def _report_stuck(self) -> None:
        cutoff = naive_utc(self.rt.clock()) - timedelta(seconds=self.rt.settings.stuck_after_s)
        with self.rt.db.read() as s:
            count = s.scalar(select(func.count(Loan.id)).where(Loan.status == PENDING, Loan.created_at < cutoff))
        self.rt.metrics.stuck_disbursements(int(count or 0))
