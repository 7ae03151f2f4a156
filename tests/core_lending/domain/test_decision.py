from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest
from hypothesis import given

from core_lending.domain import (
    DEFAULT_PRODUCT,
    DEFAULT_SCORECARD,
    CreditDecision,
    Decision,
    Grade,
    Scorecard,
    ValidationError,
    apr_bounds,
    canonical_inputs,
    decide,
    explain,
    inputs_hash,
)

from . import strategies
from .conftest import AS_OF, make_profile

GOOD = {"relationship_grade": "B", "years_known": 4, "credit_village": True, "repayment_history": "on_time"}


def good_farmer(**overrides):  # type: ignore[no-untyped-def]
    values = {"segment": "farmer", "annual_income_fen": 6_000_000, "labels": GOOD}
    values.update(overrides)
    return make_profile(**values)


def test_an_approval() -> None:
    d = decide(good_farmer(), as_of=AS_OF, lpr_bps=300)
    assert d.decision is Decision.APPROVED and d.approved
    assert (d.score, d.grade, d.line_fen, d.apr_bps) == (730, Grade.A, 5_000_000, 375)
    assert d.reasons[0] == "approved:grade_a"
    assert d.scorecard_version == DEFAULT_SCORECARD.version
    assert d.lpr_bps == 300 and d.as_of == AS_OF
    assert d.expires_on == date(2026, 6, 1)


def test_knockout_declines_with_the_knockout_first() -> None:
    d = decide(good_farmer(labels={**GOOD, "fraud_risk": "high"}), as_of=AS_OF, lpr_bps=300)
    assert d.decision is Decision.DECLINED
    assert d.reasons[0] == "knockout:fraud_risk_high"
    assert (d.grade, d.line_fen, d.apr_bps, d.expires_on) == (None, 0, None, None)
    assert d.explanations[0] == "Fraud-risk label is high."


def test_grade_d_declines() -> None:
    d = decide(make_profile(labels={"repayment_history": "overdue_30"}), as_of=AS_OF, lpr_bps=300)
    assert (d.decision, d.grade, d.score, d.line_fen, d.apr_bps) == (Decision.DECLINED, Grade.D, 540, 0, None)
    assert d.reasons[0] == "declined:grade_d"


def test_a_line_below_the_minimum_draw_declines() -> None:
    p = good_farmer(annual_income_fen=6_000_000, other_debt_fen=5_995_000)
    d = decide(p, as_of=AS_OF, lpr_bps=300)
    assert (d.decision, d.grade, d.line_fen) == (Decision.DECLINED, Grade.A, 0)
    assert d.reasons[0] == "declined:line_below_minimum"
    # exactly the minimum draw is enough
    p = good_farmer(annual_income_fen=6_000_000, other_debt_fen=6_000_000 - DEFAULT_PRODUCT.min_draw_fen)
    assert decide(p, as_of=AS_OF, lpr_bps=300).line_fen == DEFAULT_PRODUCT.min_draw_fen


def test_adjustment_points_shift_the_outcome_but_not_the_hash() -> None:
    p = make_profile()  # 600 points, grade C
    base = decide(p, as_of=AS_OF, lpr_bps=300)
    shifted = decide(p, as_of=AS_OF, lpr_bps=300, adjustment_points=-40)
    assert base.decision is Decision.APPROVED and shifted.decision is Decision.DECLINED
    assert shifted.score == 560
    assert base.inputs_hash == shifted.inputs_hash


def test_inputs_hash_is_sha256_of_canonical_json() -> None:
    p = good_farmer()
    text = canonical_inputs(p, as_of=AS_OF, lpr_bps=300, scorecard_version="expert-2025.1")
    doc = json.loads(text)
    assert list(doc) == sorted(doc) and " " not in text.replace("expert-2025.1", "")
    assert doc == {"as_of": "2025-06-01", "lpr_bps": 300, "profile": p.to_dict(),
                   "scorecard_version": "expert-2025.1"}
    d = decide(p, as_of=AS_OF, lpr_bps=300)
    assert d.inputs_hash == hashlib.sha256(text.encode()).hexdigest()
    assert d.inputs_hash == inputs_hash(p, as_of=AS_OF, lpr_bps=300, scorecard_version=d.scorecard_version)


def test_the_hash_pins_the_known_inputs() -> None:
    # a fixed value: a change in canonical form would break replays against stored decisions
    p = make_profile()
    assert inputs_hash(p, as_of=AS_OF, lpr_bps=300, scorecard_version="expert-2025.1") == hashlib.sha256(
        b'{"as_of":"2025-06-01","lpr_bps":300,"profile":{"annual_income_fen":1500000,'
        b'"birth_date":"1985-03-01","frozen":false,"labels":{"credit_record":"clean",'
        b'"credit_village":false,"fraud_risk":"low","relationship_grade":"C",'
        b'"repayment_history":"none","years_known":0},"other_debt_fen":0,'
        b'"segment":"urban_low_income"},"scorecard_version":"expert-2025.1"}'
    ).hexdigest()


def test_every_input_changes_the_hash() -> None:
    p = good_farmer()
    base = decide(p, as_of=AS_OF, lpr_bps=300).inputs_hash
    others = {
        decide(good_farmer(other_debt_fen=1), as_of=AS_OF, lpr_bps=300).inputs_hash,
        decide(p, as_of=date(2025, 6, 2), lpr_bps=300).inputs_hash,
        decide(p, as_of=AS_OF, lpr_bps=301).inputs_hash,
        decide(p, as_of=AS_OF, lpr_bps=300, scorecard=Scorecard(version="other")).inputs_hash,
    }
    assert base not in others and len(others) == 4


def test_an_lpr_that_cannot_be_priced_is_refused_even_for_a_decline() -> None:
    with pytest.raises(ValidationError):
        decide(make_profile(labels={"fraud_risk": "high"}), as_of=AS_OF, lpr_bps=0)
    with pytest.raises(ValidationError):
        decide(make_profile(), as_of=AS_OF, lpr_bps=1600)


def test_to_dict_is_json_ready() -> None:
    d = decide(good_farmer(), as_of=AS_OF, lpr_bps=300).to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["decision"] == "approved" and d["grade"] == "A" and d["expires_on"] == "2026-06-01"


def test_explain() -> None:
    assert explain("points:income_band=50k-100k:+20") == "income band 50k-100k: +20 points"
    assert explain("approved:grade_b") == "Approved at grade B."
    assert explain("something:new") == "something:new"


@given(profile=strategies.profiles, day=strategies.days, lpr=strategies.lprs)
def test_decisions_respect_every_rule(profile, day: date, lpr: int) -> None:  # type: ignore[no-untyped-def]
    d = decide(profile, as_of=day, lpr_bps=lpr)
    assert isinstance(d, CreditDecision)
    assert d == decide(profile, as_of=day, lpr_bps=lpr)  # deterministic
    if d.approved:
        assert d.grade in (Grade.A, Grade.B, Grade.C)
        assert DEFAULT_PRODUCT.min_draw_fen <= d.line_fen <= DEFAULT_PRODUCT.line_cap_fen
        low, high = apr_bounds(lpr)
        assert d.apr_bps is not None and low <= d.apr_bps <= high
    else:
        assert d.line_fen == 0 and d.apr_bps is None
        assert d.reasons[0].startswith(("knockout:", "declined:"))
    if profile.frozen or profile.labels.fraud_risk == "high" or profile.labels.credit_record == "bad":
        assert not d.approved
