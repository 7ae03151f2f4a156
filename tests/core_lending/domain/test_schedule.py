"""Schedules: DOMAIN.md check values to the fen, exact principal sums, due dates, APR truth."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core_lending.domain import (
    DEFAULT_PRODUCT,
    RepaymentMethod,
    ValidationError,
    accrued_interest_fen,
    add_months,
    build_schedule,
    implied_apr_bps,
)

from . import strategies

P, APR, N = 5_000_000, 600, 12
START = date(2025, 1, 15)


def test_equal_installment_check_values() -> None:
    s = build_schedule(P, APR, N, RepaymentMethod.EQUAL_INSTALLMENT, START)
    assert [i.total_fen for i in s.installments[:-1]] == [430_332] * 11
    assert s.total_interest_fen == 163_986
    assert s.installments[0].interest_fen == 25_000
    assert s.installments[0].principal_fen == 405_332
    # the last installment absorbs the rounding residue
    assert s.installments[-1].total_fen == 430_334
    assert s.total_fen == P + 163_986


def test_equal_principal_check_values() -> None:
    s = build_schedule(P, APR, N, RepaymentMethod.EQUAL_PRINCIPAL, START)
    assert s.installments[0].total_fen == 441_667
    assert s.installments[-1].total_fen == 418_746
    assert [i.principal_fen for i in s.installments] == [416_667] * 11 + [416_663]
    totals = [i.total_fen for i in s.installments]
    assert totals == sorted(totals, reverse=True)
    assert s.total_interest_fen == 162_500


def test_interest_only_check_values() -> None:
    s = build_schedule(P, APR, N, RepaymentMethod.INTEREST_ONLY, START)
    assert [i.interest_fen for i in s.installments] == [25_000] * 12
    assert [i.principal_fen for i in s.installments] == [0] * 11 + [P]
    assert s.total_interest_fen == 300_000


def test_revolving_check_value_act_360() -> None:
    assert accrued_interest_fen(P, APR, 30) == 25_000
    assert accrued_interest_fen(P, APR, 365) == 304_167  # ACT/360: a year costs more than APR
    assert accrued_interest_fen(P, APR, 0) == 0
    s = build_schedule(P, APR, 1, RepaymentMethod.REVOLVING, date(2025, 6, 1))  # June: 30 days
    (only,) = s.installments
    assert only.due_date == date(2025, 7, 1)
    assert (only.principal_fen, only.interest_fen) == (P, 25_000)


def test_revolving_uses_actual_days() -> None:
    s = build_schedule(P, APR, 1, RepaymentMethod.REVOLVING, date(2025, 1, 1))  # 31 days
    assert s.installments[0].interest_fen == 25_833  # 5,000,000 * 0.06 * 31 / 360 = 25,833.33
    s = build_schedule(P, APR, 12, RepaymentMethod.REVOLVING, date(2024, 1, 1))  # leap year, 366 days
    assert s.installments[0].interest_fen == 305_000


def test_due_dates_clamp_to_month_end_and_keep_the_anchor_day() -> None:
    s = build_schedule(P, APR, 4, RepaymentMethod.EQUAL_PRINCIPAL, date(2024, 1, 31))
    assert [i.due_date for i in s.installments] == [
        date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30), date(2024, 5, 31),
    ]
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert add_months(date(2025, 12, 15), 1) == date(2026, 1, 15)


def test_installments_are_numbered_from_one() -> None:
    s = build_schedule(P, APR, 3, RepaymentMethod.EQUAL_INSTALLMENT, START)
    assert [i.number for i in s.installments] == [1, 2, 3]
    assert all(i.total_fen == i.principal_fen + i.interest_fen for i in s.installments)


def test_zero_rate_is_supported() -> None:
    s = build_schedule(1_000_000, 0, 3, RepaymentMethod.EQUAL_INSTALLMENT, START)
    assert [i.principal_fen for i in s.installments] == [333_333, 333_333, 333_334]
    assert s.total_interest_fen == 0


@pytest.mark.parametrize(("method", "term"), [
    ("equal_installment", 0), ("equal_installment", 37), ("interest_only", -1),
    ("revolving", 13), ("equal_principal", 1000),
])
def test_terms_outside_the_product_are_refused(method: str, term: int) -> None:
    with pytest.raises(ValidationError) as err:
        build_schedule(P, APR, term, method, START)  # type: ignore[arg-type]
    assert err.value.field == "term_months"


def test_bad_method_and_principal_are_refused() -> None:
    with pytest.raises(ValidationError) as err:
        build_schedule(P, APR, 12, "balloon", START)  # type: ignore[arg-type]
    assert err.value.field == "repayment_method"
    with pytest.raises(ValidationError):
        build_schedule(0, APR, 12, "equal_installment", START)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        build_schedule(P, -1, 12, "equal_installment", START)  # type: ignore[arg-type]


def test_to_dict_is_json_ready() -> None:
    d = build_schedule(P, APR, 2, RepaymentMethod.INTEREST_ONLY, START).to_dict()
    assert d["installments"][0] == {
        "number": 1, "due_date": "2025-02-15", "principal_fen": 0, "interest_fen": 25_000,
        "total_fen": 25_000,
    }
    assert d["total_interest_fen"] == 50_000 and d["total_fen"] == P + 50_000


def _term(method: RepaymentMethod, data: st.DataObject) -> int:
    top = DEFAULT_PRODUCT.revolving_max_term_months if method is RepaymentMethod.REVOLVING else DEFAULT_PRODUCT.max_term_months
    return data.draw(st.integers(1, top))


@given(principal=st.integers(1, 50_000_000), apr=st.integers(0, 3000), method=strategies.methods,
       start=strategies.days, data=st.data())
def test_principals_sum_exactly_and_nothing_is_negative(principal, apr, method, start, data) -> None:  # type: ignore[no-untyped-def]
    term = _term(method, data)
    s = build_schedule(principal, apr, term, method, start)
    assert sum(i.principal_fen for i in s.installments) == principal
    assert all(i.principal_fen >= 0 and i.interest_fen >= 0 for i in s.installments)
    assert s.total_interest_fen == sum(i.interest_fen for i in s.installments)
    assert len(s.installments) == (1 if method is RepaymentMethod.REVOLVING else term)
    dues = [i.due_date for i in s.installments]
    assert dues == sorted(set(dues)) and dues[0] > start


@given(principal=st.integers(10_000, 5_000_000), apr=st.integers(100, 1500), term=st.integers(2, 36))
def test_equal_installments_are_equal_but_the_last(principal: int, apr: int, term: int) -> None:
    s = build_schedule(principal, apr, term, RepaymentMethod.EQUAL_INSTALLMENT, START)
    head = {i.total_fen for i in s.installments[:-1]}
    assert len(head) == 1
    # the residue the last one absorbs is rounding only: at most a fen per period for the
    # payment's rounding plus one for the interest's, each grown by at most (1 + i) ** n < 2
    assert abs(s.installments[-1].total_fen - head.pop()) <= 2 * term


@given(principal=st.integers(100_000, 5_000_000), apr=st.integers(100, 1500), term=st.integers(1, 36),
       method=st.sampled_from([RepaymentMethod.EQUAL_INSTALLMENT, RepaymentMethod.EQUAL_PRINCIPAL,
                               RepaymentMethod.INTEREST_ONLY]))
def test_the_reported_apr_is_the_schedules_true_rate(principal, apr, term, method) -> None:  # type: ignore[no-untyped-def]
    s = build_schedule(principal, apr, term, method, START)
    implied = implied_apr_bps(principal, [i.total_fen for i in s.installments])
    assert abs(implied - apr) < Decimal(2), (implied, apr)


def test_a_flat_rate_is_not_an_apr() -> None:
    # "flat 6 %": 6 % of the original principal charged for the year, repaid in 12 equal parts
    flat_total = P + P * 6 // 100
    payments = [flat_total // 12] * 11 + [flat_total - 11 * (flat_total // 12)]
    implied = implied_apr_bps(P, payments)
    assert Decimal(1085) < implied < Decimal(1095)  # about 10.9 % APR, as DOMAIN.md says
    # whereas a schedule we build at 600 bps really costs 600 bps
    s = build_schedule(P, 600, 12, RepaymentMethod.EQUAL_INSTALLMENT, START)
    assert abs(implied_apr_bps(P, [i.total_fen for i in s.installments]) - 600) < 1
    # and a 600 bps schedule charges far less than the flat-6 % loan
    assert s.total_interest_fen < flat_total - P
