from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given

from core_lending.domain import DEFAULT_SCORECARD, Grade, Scorecard, ValidationError
from core_lending.domain import _scorecard

from . import strategies
from .conftest import AS_OF, make_profile


def test_the_documented_table_is_the_data() -> None:
    doc = _scorecard.__doc__ or ""
    documented = {
        (m[1], m[2], int(m[3]))
        for m in re.finditer(r"^(\w+)\s{2,}(\S+)\s{2,}([+-]\d+)\s*$", doc, flags=re.M)
    }
    assert documented == set(DEFAULT_SCORECARD.table())
    assert f"Version ``{DEFAULT_SCORECARD.version}``" in doc


def test_nothing_recorded_scores_the_base() -> None:
    r = DEFAULT_SCORECARD.score(make_profile(), AS_OF)
    assert (r.score, r.grade, r.knockouts, r.reasons) == (600, Grade.C, (), ())


def test_the_docstring_example_scores_730() -> None:
    p = make_profile(segment="farmer", annual_income_fen=6_000_000,
                     labels={"relationship_grade": "B", "years_known": 4, "credit_village": True,
                             "repayment_history": "on_time"})
    r = DEFAULT_SCORECARD.score(p, AS_OF)
    assert r.score == 730 and r.grade is Grade.A
    assert r.reasons == (
        "points:segment=farmer:+20",
        "points:relationship_grade=B:+20",
        "points:years_known=3-5:+20",
        "points:credit_village=yes:+20",
        "points:repayment_history=on_time:+30",
        "points:income_band=50k-100k:+20",
    )


@pytest.mark.parametrize(("score", "grade"), [
    (10_000, Grade.A), (700, Grade.A), (699, Grade.B), (650, Grade.B), (649, Grade.C),
    (600, Grade.C), (599, Grade.D), (-5, Grade.D),
])
def test_grade_thresholds(score: int, grade: Grade) -> None:
    assert DEFAULT_SCORECARD.grade_for(score) is grade


@pytest.mark.parametrize(("labels", "overrides", "code"), [
    ({"fraud_risk": "high"}, {}, "knockout:fraud_risk_high"),
    ({"credit_record": "bad"}, {}, "knockout:credit_record_bad"),
    ({}, {"birth_date": date(2007, 6, 2)}, "knockout:age_out_of_range"),   # 17 on AS_OF
    ({}, {"birth_date": date(1959, 6, 1)}, "knockout:age_out_of_range"),   # 66 on AS_OF
    ({}, {"frozen": True}, "knockout:line_frozen"),
])
def test_knockouts(labels: dict, overrides: dict, code: str) -> None:
    r = DEFAULT_SCORECARD.score(make_profile(labels=labels, **overrides), AS_OF)
    assert r.knockouts == (code,)
    assert r.grade is None
    assert r.reasons[0] == code


@pytest.mark.parametrize("born", [date(2007, 6, 1), date(1959, 6, 2)])  # exactly 18, exactly 65
def test_age_limits_are_inclusive(born: date) -> None:
    assert DEFAULT_SCORECARD.score(make_profile(birth_date=born), AS_OF).knockouts == ()


def test_knockouts_accumulate_in_table_order() -> None:
    p = make_profile(labels={"fraud_risk": "high", "credit_record": "bad"}, frozen=True)
    assert DEFAULT_SCORECARD.score(p, AS_OF).knockouts == (
        "knockout:fraud_risk_high", "knockout:credit_record_bad", "knockout:line_frozen",
    )


def test_medium_fraud_and_overdue_subtract() -> None:
    p = make_profile(labels={"fraud_risk": "medium", "repayment_history": "overdue_30"})
    r = DEFAULT_SCORECARD.score(p, AS_OF)
    assert r.score == 500 and r.grade is Grade.D
    assert "points:fraud_risk=medium:-40" in r.reasons


def test_adjustment_moves_the_score_before_grading() -> None:
    p = make_profile()
    assert DEFAULT_SCORECARD.score(p, AS_OF, adjustment_points=100).grade is Grade.A
    assert DEFAULT_SCORECARD.score(p, AS_OF, adjustment_points=-1).grade is Grade.D
    with pytest.raises(ValidationError):
        DEFAULT_SCORECARD.score(p, AS_OF, adjustment_points=1.5)  # type: ignore[arg-type]


def test_a_custom_scorecard_is_a_value() -> None:
    card = Scorecard(version="test-1", base_points=700)
    assert card.score(make_profile(), AS_OF).grade is Grade.A
    with pytest.raises(ValueError):
        Scorecard(version="broken", grade_a_min=600, grade_b_min=650)


@given(strategies.profiles, strategies.days)
def test_score_is_deterministic_and_bounded(profile, day) -> None:  # type: ignore[no-untyped-def]
    a = DEFAULT_SCORECARD.score(profile, day)
    assert a == DEFAULT_SCORECARD.score(profile, day)
    assert 600 - 30 - 60 - 40 <= a.score <= 600 + 20 + 40 + 40 + 20 + 30 + 30
    assert (a.grade is None) == bool(a.knockouts)
