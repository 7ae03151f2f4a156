"""The loan book: drawdowns reserve credit atomically, repayments restore it.

Concurrency: every money-moving transaction locks the customer's credit line first
(``BEGIN IMMEDIATE`` on SQLite, ``SELECT ... FOR UPDATE`` on PostgreSQL), so concurrent
drawdowns from any number of processes serialize on it and can never overdraw it; the
version columns catch any write that slipped past a lock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import domain as d
from .access import Action, Principal, authorize, check_reach
from .credit_center import schedule_view
from .errors import NotFound
from .runtime import Runtime, business_date, naive_utc
from .store.models import CreditLine, Customer, LedgerEntry, Loan, Repayment

__all__ = ["LoanBook", "loan_view"]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds") + "Z"


def loan_view(loan: Loan) -> dict[str, Any]:
    return {
        "loan_id": loan.id, "customer_id": loan.customer_id, "status": loan.status,
        "principal_fen": loan.principal_fen, "outstanding_fen": loan.outstanding_fen,
        "interest_due_fen": loan.interest_due_fen, "apr_bps": loan.apr_bps,
        "term_months": loan.term_months, "repayment_method": loan.repayment_method,
        "start_date": loan.start_date, "created_at": _iso(loan.created_at),
        "disbursed_at": _iso(loan.disbursed_at), "closed_at": _iso(loan.closed_at),
        "failure_reason": loan.failure_reason,
    }


def ledger(session: Session, loan: Loan, kind: str, *, amount_fen: int, principal_delta_fen: int,
           now: datetime) -> None:
    session.add(LedgerEntry(loan_id=loan.id, kind=kind, amount_fen=amount_fen,
                            principal_delta_fen=principal_delta_fen, created_at=now))


def locked_line(session: Session, customer_id: int) -> CreditLine | None:
    return session.scalar(select(CreditLine).where(CreditLine.customer_id == customer_id).with_for_update())


class LoanBook:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def _reach_customer(self, s: Session, principal: Principal, customer_id: int) -> Customer:
        customer = s.get(Customer, customer_id)
        if customer is None:
            raise NotFound("customer", customer_id)
        check_reach(principal, branch_code=customer.branch_code, customer_id=customer.id,
                    resource="customer", ident=customer_id)
        return customer

    def _reach_loan(self, s: Session, principal: Principal, loan_id: int, *, lock: bool = False) -> Loan:
        stmt = select(Loan).where(Loan.id == loan_id)
        loan = s.scalar(stmt.with_for_update() if lock else stmt)
        if loan is None:
            raise NotFound("loan", loan_id)
        check_reach(principal, branch_code=loan.branch_code, customer_id=loan.customer_id,
                    resource="loan", ident=loan_id)
        return loan

    def drawdown(self, s: Session, principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
        """Reserve credit and create a loan pending disbursement, inside the caller's write transaction."""
        authorize(principal, Action.DRAW)
        now = self.rt.clock()
        as_of = business_date(now)
        customer = self._reach_customer(s, principal, data["customer_id"])
        line = locked_line(s, customer.id)
        if line is None or line.status != "active" or line.apr_bps is None:
            d.validate_quote(amount_fen=data["amount_fen"], term_months=data["term_months"],
                             method=data["repayment_method"])
            raise d.CreditUnavailable("none", "the customer has no credit line")
        request = d.validate_draw(
            amount_fen=data["amount_fen"], term_months=data["term_months"], method=data["repayment_method"],
            line_fen=line.line_fen, used_fen=line.used_fen, as_of=as_of, expires_on=line.expires_on,
        )
        line.used_fen += request.amount_fen
        loan = Loan(
            customer_id=customer.id, credit_line_id=line.id, branch_code=customer.branch_code,
            principal_fen=request.amount_fen, outstanding_fen=request.amount_fen, apr_bps=line.apr_bps,
            term_months=request.term_months, repayment_method=request.method.value,
            status=d.LoanStatus.PENDING_DISBURSEMENT.value, start_date=as_of, interest_from=as_of,
            interest_due_fen=0, created_at=naive_utc(now),
        )
        s.add(loan)
        s.flush()
        ledger(s, loan, "reserve", amount_fen=request.amount_fen, principal_delta_fen=request.amount_fen,
               now=naive_utc(now))
        s.flush()
        return loan_view(loan)

    def loan(self, principal: Principal, loan_id: int) -> dict[str, Any]:
        authorize(principal, Action.READ)
        with self.rt.db.read() as s:
            return loan_view(self._reach_loan(s, principal, loan_id))

    def schedule(self, principal: Principal, loan_id: int) -> dict[str, Any]:
        authorize(principal, Action.READ)
        with self.rt.db.read() as s:
            loan = self._reach_loan(s, principal, loan_id)
            schedule = d.build_schedule(loan.principal_fen, loan.apr_bps, loan.term_months,
                                        d.RepaymentMethod(loan.repayment_method), loan.start_date)
            return {"loan_id": loan.id, **schedule_view(schedule, amount_fen=loan.principal_fen)}

    def repay(self, s: Session, principal: Principal, loan_id: int, amount_fen: int) -> dict[str, Any]:
        """Interest first, then principal; restores the line; closes a settled loan."""
        authorize(principal, Action.REPAY)
        now = self.rt.clock()
        today = business_date(now)
        loan = self._reach_loan(s, principal, loan_id)
        line = locked_line(s, loan.customer_id)
        s.refresh(loan, with_for_update=True)
        if loan.status != d.LoanStatus.ACTIVE.value:
            raise d.InvalidTransition(loan.status, "repayment")
        days = max(0, (today - loan.interest_from).days)
        accrued = loan.interest_due_fen + d.accrued_interest_fen(loan.outstanding_fen, loan.apr_bps, days)
        alloc = d.allocate_repayment(outstanding_fen=loan.outstanding_fen, accrued_interest_fen=accrued,
                                     amount_fen=amount_fen)
        stamp = naive_utc(now)
        loan.outstanding_fen = alloc.remaining_outstanding_fen
        loan.interest_due_fen = alloc.remaining_interest_fen
        loan.interest_from = today
        if alloc.settles:
            loan.status = d.next_status(d.LoanStatus.ACTIVE, d.LoanEvent.REPAID_IN_FULL).value
            loan.closed_at = stamp
        assert line is not None, "a disbursed loan always has its credit line"
        line.used_fen -= alloc.principal_fen
        repayment = Repayment(loan_id=loan.id, amount_fen=amount_fen, interest_fen=alloc.interest_fen,
                              principal_fen=alloc.principal_fen, created_at=stamp)
        s.add(repayment)
        if alloc.interest_fen:
            ledger(s, loan, "repay_interest", amount_fen=alloc.interest_fen, principal_delta_fen=0, now=stamp)
        if alloc.principal_fen:
            ledger(s, loan, "repay_principal", amount_fen=alloc.principal_fen,
                   principal_delta_fen=-alloc.principal_fen, now=stamp)
        s.flush()
        return {
            "repayment_id": repayment.id, "loan_id": loan.id, "amount_fen": amount_fen,
            "interest_fen": alloc.interest_fen, "principal_fen": alloc.principal_fen,
            "outstanding_fen": loan.outstanding_fen, "interest_due_fen": loan.interest_due_fen,
            "loan_status": loan.status,
        }
