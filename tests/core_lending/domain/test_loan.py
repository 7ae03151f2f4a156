from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core_lending.domain import (
    TERMINAL_STATUSES,
    InvalidTransition,
    LoanEvent,
    LoanStatus,
    Overpayment,
    ValidationError,
    allocate_repayment,
    next_status,
)

ALLOWED = {
    (LoanStatus.PENDING_DISBURSEMENT, LoanEvent.DISBURSED): LoanStatus.ACTIVE,
    (LoanStatus.PENDING_DISBURSEMENT, LoanEvent.PAYOUT_FAILED): LoanStatus.FAILED,
    (LoanStatus.ACTIVE, LoanEvent.REPAID_IN_FULL): LoanStatus.CLOSED,
    (LoanStatus.ACTIVE, LoanEvent.WRITTEN_OFF): LoanStatus.WRITTEN_OFF,
}


@pytest.mark.parametrize(("status", "event"), list(itertools.product(LoanStatus, LoanEvent)))
def test_the_whole_transition_table(status: LoanStatus, event: LoanEvent) -> None:
    if (status, event) in ALLOWED:
        assert next_status(status, event) is ALLOWED[(status, event)]
    else:
        with pytest.raises(InvalidTransition) as err:
            next_status(status, event)
        assert err.value.fields() == {"current": status.value, "event": event.value}


def test_no_double_payout_and_terminal_states_stay_put() -> None:
    active = next_status("pending_disbursement", "disbursed")  # type: ignore[arg-type]
    with pytest.raises(InvalidTransition):
        next_status(active, LoanEvent.DISBURSED)
    for status in TERMINAL_STATUSES:
        for event in LoanEvent:
            with pytest.raises(InvalidTransition):
                next_status(status, event)


def test_unknown_status_or_event_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        next_status("approved", LoanEvent.DISBURSED)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        next_status(LoanStatus.ACTIVE, "refunded")  # type: ignore[arg-type]


def test_interest_first_then_principal() -> None:
    a = allocate_repayment(outstanding_fen=1_000_000, accrued_interest_fen=2_500, amount_fen=102_500)
    assert (a.interest_fen, a.principal_fen, a.remaining_outstanding_fen) == (2_500, 100_000, 900_000)
    assert not a.settles


def test_a_payment_below_the_interest_leaves_interest_owed() -> None:
    a = allocate_repayment(outstanding_fen=1_000_000, accrued_interest_fen=2_500, amount_fen=1_000)
    assert (a.interest_fen, a.principal_fen, a.remaining_outstanding_fen, a.remaining_interest_fen) == (
        1_000, 0, 1_000_000, 1_500)


def test_paying_everything_settles() -> None:
    a = allocate_repayment(outstanding_fen=1_000_000, accrued_interest_fen=2_500, amount_fen=1_002_500)
    assert a.settles and a.remaining_outstanding_fen == 0


def test_overpayment_is_refused() -> None:
    with pytest.raises(Overpayment) as err:
        allocate_repayment(outstanding_fen=1_000_000, accrued_interest_fen=2_500, amount_fen=1_002_501)
    assert err.value.fields() == {"due_fen": 1_002_500, "amount_fen": 1_002_501}
    with pytest.raises(Overpayment):
        allocate_repayment(outstanding_fen=0, accrued_interest_fen=0, amount_fen=1)


@pytest.mark.parametrize("amount", [0, -1, 1.0, True, "100"])
def test_bad_amounts_are_refused(amount: object) -> None:
    with pytest.raises(ValidationError) as err:
        allocate_repayment(outstanding_fen=100, accrued_interest_fen=0, amount_fen=amount)  # type: ignore[arg-type]
    assert err.value.field == "amount_fen"


@given(outstanding=st.integers(0, 10**9), interest=st.integers(0, 10**7), data=st.data())
def test_allocation_conserves_money(outstanding: int, interest: int, data: st.DataObject) -> None:
    if outstanding + interest == 0:
        return
    amount = data.draw(st.integers(1, outstanding + interest))
    a = allocate_repayment(outstanding_fen=outstanding, accrued_interest_fen=interest, amount_fen=amount)
    assert a.interest_fen + a.principal_fen == amount
    assert a.remaining_outstanding_fen == outstanding - a.principal_fen >= 0
    assert a.principal_fen == 0 or a.interest_fen == interest  # principal only after all interest
