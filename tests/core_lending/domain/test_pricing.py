from __future__ import annotations

import pytest
from hypothesis import given

from core_lending.domain import (
    DEFAULT_PRODUCT,
    Grade,
    Product,
    ValidationError,
    apr_bounds,
    credit_line,
    price,
)

from . import strategies
from .conftest import make_labels, make_profile


def test_bounds_follow_the_guardrail() -> None:
    assert apr_bounds(300) == (300, 1200)       # 4 x LPR binds
    assert apr_bounds(385) == (385, 1500)       # the product cap binds
    assert apr_bounds(1500) == (1500, 1500)
    assert apr_bounds(100, Product(apr_cap_bps=2000)) == (100, 400)


@pytest.mark.parametrize("lpr", [0, -300, 1501, 3.0, True])
def test_bounds_refuse_an_unpriceable_lpr(lpr: object) -> None:
    with pytest.raises(ValidationError) as err:
        apr_bounds(lpr)  # type: ignore[arg-type]
    assert err.value.field == "lpr_bps"


def test_spreads_per_grade_at_the_current_lpr() -> None:
    plain = make_labels()
    assert [price(g, plain, 300) for g in Grade] == [450, 600, 800, 1100]


def test_label_adjustments() -> None:
    best = make_labels(relationship_grade="A", credit_village=True, repayment_history="on_time")
    assert price(Grade.A, best, 300) == 350
    worst = make_labels(relationship_grade="D", repayment_history="overdue_30", fraud_risk="medium")
    assert price(Grade.C, worst, 300) == 1050


def test_clamped_into_the_guardrail() -> None:
    best = make_labels(relationship_grade="A", credit_village=True, repayment_history="on_time")
    assert price(Grade.A, make_labels(), 1400) == 1500  # 1400+150, capped by the product
    worst = make_labels(relationship_grade="D", repayment_history="overdue_30", fraud_risk="high")
    assert price(Grade.D, worst, 200) == 800      # capped at 4 x LPR
    cheap = Product(apr_cap_bps=5000)
    assert price(Grade.A, best, 100, cheap) == 150  # 100+150-100, inside [100, 400]
    assert price(Grade.A, best, 10, cheap) == 40    # 10+150-100 = 60, above 4 x LPR


@given(grade=strategies.grades, labels=strategies.labels, lpr=strategies.lprs)
def test_apr_always_within_bounds(grade: Grade, labels, lpr: int) -> None:  # type: ignore[no-untyped-def]
    low, high = apr_bounds(lpr)
    assert low <= price(grade, labels, lpr) <= high


@given(labels=strategies.labels, lpr=strategies.lprs)
def test_a_better_grade_never_costs_more(labels, lpr: int) -> None:  # type: ignore[no-untyped-def]
    prices = [price(g, labels, lpr) for g in Grade]
    assert prices == sorted(prices)


def test_line_formula() -> None:
    p = make_profile(segment="small_business", annual_income_fen=3_333_333, other_debt_fen=123_400)
    # 33,333.33 x 0.8 x 1.2 = 31,999.99 -> floor to 31,900 CNY, minus 1,234 of debt
    assert credit_line(p, Grade.B) == 3_190_000 - 123_400


@pytest.mark.parametrize(("segment", "grade", "income", "debt", "line"), [
    ("farmer", "A", 10_000_000, 0, 5_000_000),              # capped at 50,000 CNY
    ("farmer", "A", 10_000_000, 4_000_000, 5_000_000),      # cap after debt: 100k - 40k > 50k
    ("farmer", "C", 4_000_000, 0, 2_000_000),
    ("urban_low_income", "B", 2_000_000, 0, 1_280_000),
    ("poverty_alleviation", "A", 1_000_000, 2_000_000, 0),  # never negative
    ("farmer", "D", 10_000_000, 0, 0),
])
def test_line_examples(segment: str, grade: str, income: int, debt: int, line: int) -> None:
    p = make_profile(segment=segment, annual_income_fen=income, other_debt_fen=debt)
    assert credit_line(p, Grade(grade)) == line


@given(profile=strategies.profiles, grade=strategies.grades)
def test_line_within_zero_and_cap(profile, grade: Grade) -> None:  # type: ignore[no-untyped-def]
    line = credit_line(profile, grade)
    assert 0 <= line <= DEFAULT_PRODUCT.line_cap_fen
    assert isinstance(line, int) and not isinstance(line, bool)
