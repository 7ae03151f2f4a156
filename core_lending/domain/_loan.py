"""The loan's life: an explicit status transition table and repayment allocation.

=====================  ===============  ====================
from                   event            to
=====================  ===============  ====================
pending_disbursement   disbursed        active
pending_disbursement   payout_failed    failed
active                 repaid_in_full   closed
active                 written_off      written_off
=====================  ===============  ====================

Anything else raises ``InvalidTransition``: a failed payout is never retried into
``active`` (a new drawdown is), and a closed loan is never paid out twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from ._customer import coerce_enum
from ._errors import InvalidTransition, Overpayment
from ._money import require_fen


class LoanStatus(StrEnum):
    PENDING_DISBURSEMENT = "pending_disbursement"
    ACTIVE = "active"
    CLOSED = "closed"
    FAILED = "failed"
    WRITTEN_OFF = "written_off"


class LoanEvent(StrEnum):
    DISBURSED = "disbursed"
    PAYOUT_FAILED = "payout_failed"
    REPAID_IN_FULL = "repaid_in_full"
    WRITTEN_OFF = "written_off"


TRANSITIONS = MappingProxyType({
    (LoanStatus.PENDING_DISBURSEMENT, LoanEvent.DISBURSED): LoanStatus.ACTIVE,
    (LoanStatus.PENDING_DISBURSEMENT, LoanEvent.PAYOUT_FAILED): LoanStatus.FAILED,
    (LoanStatus.ACTIVE, LoanEvent.REPAID_IN_FULL): LoanStatus.CLOSED,
    (LoanStatus.ACTIVE, LoanEvent.WRITTEN_OFF): LoanStatus.WRITTEN_OFF,
})

TERMINAL_STATUSES = frozenset({LoanStatus.CLOSED, LoanStatus.FAILED, LoanStatus.WRITTEN_OFF})


def next_status(current: LoanStatus, event: LoanEvent) -> LoanStatus:
    """The status after ``event``; ``InvalidTransition`` if the table has no such row.

    >>> next_status(LoanStatus.PENDING_DISBURSEMENT, LoanEvent.DISBURSED)
    <LoanStatus.ACTIVE: 'active'>
    """
    current = coerce_enum(LoanStatus, current, "status")
    event = coerce_enum(LoanEvent, event, "event")
    try:
        return TRANSITIONS[(current, event)]
    except KeyError:
        raise InvalidTransition(current, event) from None


@dataclass(frozen=True)
class RepaymentAllocation:
    """How a repayment splits: interest first, then principal.

    remaining_outstanding_fen: principal still owed afterwards.
    remaining_interest_fen: accrued interest still owed afterwards (a payment smaller
        than the accrued interest leaves some).
    """

    interest_fen: int
    principal_fen: int
    remaining_outstanding_fen: int
    remaining_interest_fen: int = 0

    @property
    def settles(self) -> bool:
        """True when nothing is owed afterwards (the loan can close)."""
        return self.remaining_outstanding_fen == 0 and self.remaining_interest_fen == 0


def allocate_repayment(*, outstanding_fen: int, accrued_interest_fen: int, amount_fen: int) -> RepaymentAllocation:
    """Split ``amount_fen`` into accrued interest first, then principal.

    >>> allocate_repayment(outstanding_fen=100_000, accrued_interest_fen=500, amount_fen=50_500)
    RepaymentAllocation(interest_fen=500, principal_fen=50000, remaining_outstanding_fen=50000, remaining_interest_fen=0)
    """
    require_fen(outstanding_fen, "outstanding_fen")
    require_fen(accrued_interest_fen, "accrued_interest_fen")
    require_fen(amount_fen, "amount_fen", positive=True)
    due = outstanding_fen + accrued_interest_fen
    if amount_fen > due:
        raise Overpayment(due_fen=due, amount_fen=amount_fen)
    interest = min(amount_fen, accrued_interest_fen)
    principal = amount_fen - interest
    return RepaymentAllocation(
        interest_fen=interest,
        principal_fen=principal,
        remaining_outstanding_fen=outstanding_fen - principal,
        remaining_interest_fen=accrued_interest_fen - interest,
    )
