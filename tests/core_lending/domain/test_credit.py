from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core_lending.domain import (
    CreditStatus,
    CreditUnavailable,
    DrawRequest,
    InsufficientCredit,
    InvariantViolation,
    RepaymentMethod,
    ValidationError,
    available_credit,
    credit_status,
    validate_draw,
    validate_quote,
)

LINE = 5_000_000


def test_available_is_line_minus_used() -> None:
    assert available_credit(LINE, 0) == LINE
    assert available_credit(LINE, LINE) == 0
    assert available_credit(LINE, 1_234_500) == 3_765_500


def test_used_above_line_is_a_broken_invariant() -> None:
    with pytest.raises(InvariantViolation) as err:
        available_credit(LINE, LINE + 1)
    assert err.value.invariant == "used_within_line"


@given(line=st.integers(0, 10**8), used=st.integers(0, 10**8))
def test_available_never_below_zero(line: int, used: int) -> None:
    if used > line:
        with pytest.raises(InvariantViolation):
            available_credit(line, used)
    else:
        assert available_credit(line, used) >= 0


def test_a_good_quote() -> None:
    r = validate_quote(amount_fen=1_000_000, term_months=12, method="equal_installment")
    assert r == DrawRequest(1_000_000, 12, RepaymentMethod.EQUAL_INSTALLMENT)


@pytest.mark.parametrize(("kwargs", "field", "reason"), [
    ({"amount_fen": 0}, "amount_fen", "not_positive"),
    ({"amount_fen": -100}, "amount_fen", "not_positive"),
    ({"amount_fen": 9_999}, "amount_fen", "below_minimum"),
    ({"amount_fen": 5_000_001}, "amount_fen", "above_maximum"),
    ({"amount_fen": 100_000.0}, "amount_fen", "not_integer"),
    ({"amount_fen": "100000"}, "amount_fen", "not_integer"),
    ({"amount_fen": True}, "amount_fen", "not_integer"),
    ({"term_months": 0}, "term_months", "out_of_range"),
    ({"term_months": 37}, "term_months", "out_of_range"),
    ({"term_months": 10**9}, "term_months", "out_of_range"),
    ({"term_months": 12.0}, "term_months", "not_integer"),
    ({"method": "revolving", "term_months": 13}, "term_months", "out_of_range"),
    ({"method": "balloon"}, "repayment_method", "unknown_value"),
])
def test_bad_quotes(kwargs: dict, field: str, reason: str) -> None:
    values = {"amount_fen": 100_000, "term_months": 12, "method": "equal_principal", **kwargs}
    with pytest.raises(ValidationError) as err:
        validate_quote(**values)
    assert (err.value.field, err.value.reason) == (field, reason)


def test_revolving_terms_reach_twelve_months() -> None:
    assert validate_quote(amount_fen=100_000, term_months=12, method="revolving").term_months == 12
    assert validate_quote(amount_fen=100_000, term_months=36, method="interest_only").term_months == 36


def test_quote_against_available_credit() -> None:
    with pytest.raises(InsufficientCredit) as err:
        validate_quote(amount_fen=200_000, term_months=6, method="revolving", available_fen=150_000)
    assert err.value.fields() == {"available_fen": 150_000, "requested_fen": 200_000}


def draw(**kwargs):  # type: ignore[no-untyped-def]
    values = {"amount_fen": 1_000_000, "term_months": 12, "method": "equal_installment",
              "line_fen": LINE, "used_fen": 0}
    values.update(kwargs)
    return validate_draw(**values)


def test_a_good_draw() -> None:
    assert draw().amount_fen == 1_000_000
    assert draw(amount_fen=LINE).amount_fen == LINE
    assert draw(amount_fen=100_000, used_fen=LINE - 100_000).amount_fen == 100_000


def test_draw_above_available() -> None:
    with pytest.raises(InsufficientCredit) as err:
        draw(amount_fen=1_000_000, used_fen=4_500_000)
    assert (err.value.available_fen, err.value.requested_fen) == (500_000, 1_000_000)


def test_input_errors_come_before_credit_errors() -> None:
    with pytest.raises(ValidationError):
        draw(amount_fen=0, line_fen=0)


@pytest.mark.parametrize(("kwargs", "reason"), [
    ({"line_fen": 0}, "none"),
    ({"frozen": True}, "frozen"),
    ({"as_of": date(2026, 6, 2), "expires_on": date(2026, 6, 1)}, "expired"),
])
def test_unusable_lines(kwargs: dict, reason: str) -> None:
    with pytest.raises(CreditUnavailable) as err:
        draw(**kwargs)
    assert err.value.reason == reason


def test_a_line_can_be_drawn_on_its_last_day() -> None:
    assert draw(as_of=date(2026, 6, 1), expires_on=date(2026, 6, 1)).amount_fen == 1_000_000


def test_credit_status() -> None:
    day = date(2025, 6, 1)
    assert credit_status(line_fen=LINE, as_of=day, expires_on=day) is CreditStatus.ACTIVE
    assert credit_status(line_fen=LINE, as_of=day, expires_on=None) is CreditStatus.ACTIVE
    assert credit_status(line_fen=LINE, as_of=day, expires_on=date(2025, 5, 31)) is CreditStatus.EXPIRED
    assert credit_status(line_fen=LINE, as_of=day, expires_on=None, frozen=True) is CreditStatus.FROZEN
    assert credit_status(line_fen=0, as_of=day, expires_on=None) is CreditStatus.NONE
