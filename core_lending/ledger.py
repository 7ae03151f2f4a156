"""Ledger invariants, checked over the whole database (``lendops db check``).

- available never below zero: used ≤ line for active lines, used ≥ 0 always;
- used = Σ outstanding principal of the customer's loans not closed or failed;
- no loan disbursed twice: ≤ 1 payout and ≤ 1 claim per loan, and only pending loans lack one;
- the ledger entries of each loan sum to its outstanding principal;
- closed and failed loans owe nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .store.models import CreditLine, LedgerEntry, Loan, Payout

__all__ = ["Violation", "check_ledger"]

_OPEN = ("pending_disbursement", "active")


@dataclass(frozen=True)
class Violation:
    invariant: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.invariant}: {self.subject}: {self.detail}"


def check_ledger(session: Session) -> list[Violation]:
    out: list[Violation] = []
    reserved = dict(session.execute(
        select(Loan.customer_id, func.coalesce(func.sum(Loan.outstanding_fen), 0))
        .where(Loan.status.in_(_OPEN)).group_by(Loan.customer_id)).all())
    for line in session.scalars(select(CreditLine).order_by(CreditLine.id)):
        subject = f"credit line {line.id} (customer {line.customer_id})"
        if line.used_fen < 0:
            out.append(Violation("used_not_negative", subject, f"used {line.used_fen} fen"))
        if line.status == "active" and line.used_fen > line.line_fen:
            out.append(Violation("available_not_negative", subject,
                                 f"used {line.used_fen} fen exceeds line {line.line_fen} fen"))
        expected = int(reserved.pop(line.customer_id, 0))
        if line.used_fen != expected:
            out.append(Violation("used_equals_outstanding", subject,
                                 f"used {line.used_fen} fen but open loans owe {expected} fen"))
    for customer_id, amount in reserved.items():
        out.append(Violation("used_equals_outstanding", f"customer {customer_id}",
                             f"open loans owe {amount} fen but there is no credit line"))

    sums = dict(session.execute(select(LedgerEntry.loan_id, func.sum(LedgerEntry.principal_delta_fen))
                                .group_by(LedgerEntry.loan_id)).all())
    payouts = dict(session.execute(select(Payout.loan_id, func.count()).group_by(Payout.loan_id)).all())
    paid_twice = session.execute(
        select(LedgerEntry.loan_id, func.count()).where(LedgerEntry.kind == "reserve")
        .group_by(LedgerEntry.loan_id).having(func.count() > 1)).all()
    for loan_id, n in paid_twice:
        out.append(Violation("reserved_once", f"loan {loan_id}", f"{n} reserve entries"))
    for loan in session.scalars(select(Loan).order_by(Loan.id)):
        subject = f"loan {loan.id}"
        total = int(sums.get(loan.id, 0) or 0)
        if total != loan.outstanding_fen:
            out.append(Violation("ledger_equals_balance", subject,
                                 f"ledger sums to {total} fen, loan owes {loan.outstanding_fen} fen"))
        n_pay = int(payouts.get(loan.id, 0))
        if n_pay > 1:
            out.append(Violation("disbursed_once", subject, f"{n_pay} payouts"))
        if loan.status in ("active", "closed") and n_pay != 1:
            out.append(Violation("disbursed_once", subject, f"status {loan.status} with {n_pay} payouts"))
        if loan.status in ("closed", "failed") and loan.outstanding_fen != 0:
            out.append(Violation("settled_owes_nothing", subject,
                                 f"status {loan.status} but owes {loan.outstanding_fen} fen"))
        if loan.outstanding_fen < 0 or loan.outstanding_fen > loan.principal_fen:
            out.append(Violation("balance_within_principal", subject,
                                 f"owes {loan.outstanding_fen} fen of {loan.principal_fen} fen"))
    return out
