from __future__ import annotations

from decimal import Decimal, getcontext, localcontext

import pytest

from core_lending.domain import ValidationError, accrued_interest_fen, allocate_repayment, build_schedule
from core_lending.domain._money import floor_to, require_fen, round_fen


@pytest.mark.parametrize(("amount", "fen"), [
    ("0.5", 1), ("1.5", 2), ("2.5", 3), ("-0.5", -1), ("0.49999", 0), ("2083.315", 2083),
])
def test_round_fen_is_half_up_not_bankers(amount: str, fen: int) -> None:
    assert round_fen(Decimal(amount)) == fen


def test_rounding_ignores_the_callers_decimal_context() -> None:
    with localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = "ROUND_DOWN"
        assert round_fen(Decimal("2.5")) == 3
        assert accrued_interest_fen(5_000_000, 600, 30) == 25_000
    assert getcontext().prec == 28


def test_floor_to_hundred_cny() -> None:
    assert floor_to(Decimal("2399999.99"), 10_000) == 2_390_000
    assert floor_to(Decimal("2400000"), 10_000) == 2_400_000


@pytest.mark.parametrize("bad", [12.5, 1.0, True, False, "100", None, Decimal("100")])
def test_money_refuses_anything_but_int(bad: object) -> None:
    with pytest.raises(ValidationError) as err:
        require_fen(bad, "amount_fen")
    assert err.value.field == "amount_fen"
    assert err.value.reason == "not_integer"


@pytest.mark.parametrize("call", [
    lambda: accrued_interest_fen(5_000_000.0, 600, 30),  # type: ignore[arg-type]
    lambda: accrued_interest_fen(5_000_000, 6.0, 30),  # type: ignore[arg-type]
    lambda: build_schedule(5_000_000, 600, 12.0, "equal_installment", __import__("datetime").date(2025, 1, 1)),  # type: ignore[arg-type]
    lambda: build_schedule(True, 600, 12, "equal_installment", __import__("datetime").date(2025, 1, 1)),  # type: ignore[arg-type]
    lambda: allocate_repayment(outstanding_fen=100, accrued_interest_fen=0, amount_fen=50.0),  # type: ignore[arg-type]
])
def test_public_money_functions_refuse_floats_and_bools(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        call()


def test_negative_money_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        require_fen(-1, "other_debt_fen")
    assert err.value.reason == "negative"
    with pytest.raises(ValidationError) as err:
        require_fen(0, "amount_fen", positive=True)
    assert err.value.reason == "not_positive"
