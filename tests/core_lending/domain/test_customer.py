from __future__ import annotations

from datetime import date, datetime

import pytest

from core_lending.domain import (
    CustomerProfile,
    FraudRisk,
    Labels,
    RelationshipGrade,
    Segment,
    ValidationError,
)

from .conftest import make_labels, make_profile


def test_enum_values_are_the_api_strings() -> None:
    assert [s.value for s in Segment] == ["farmer", "small_business", "urban_low_income", "poverty_alleviation"]
    assert FraudRisk("high") is FraudRisk.HIGH and RelationshipGrade("A") == "A"


def test_strings_are_coerced_once() -> None:
    p = make_profile(segment="farmer", birth_date="1990-02-03")
    assert p.segment is Segment.FARMER
    assert p.birth_date == date(1990, 2, 3)
    assert p.labels.fraud_risk is FraudRisk.LOW


@pytest.mark.parametrize(("overrides", "field", "reason"), [
    ({"segment": "fisher"}, "segment", "unknown_value"),
    ({"birth_date": "03/02/1990"}, "birth_date", "wrong_type"),
    ({"birth_date": datetime(1990, 2, 3)}, "birth_date", "wrong_type"),
    ({"annual_income_fen": -1}, "annual_income_fen", "negative"),
    ({"annual_income_fen": 1.5}, "annual_income_fen", "not_integer"),
    ({"other_debt_fen": "0"}, "other_debt_fen", "not_integer"),
    ({"frozen": 1}, "frozen", "wrong_type"),
])
def test_bad_profile_fields_are_named(overrides: dict, field: str, reason: str) -> None:
    with pytest.raises(ValidationError) as err:
        make_profile(**overrides)
    assert (err.value.field, err.value.reason) == (field, reason)


@pytest.mark.parametrize(("overrides", "field"), [
    ({"fraud_risk": "extreme"}, "labels.fraud_risk"),
    ({"relationship_grade": "a"}, "labels.relationship_grade"),
    ({"years_known": -1}, "labels.years_known"),
    ({"years_known": True}, "labels.years_known"),
    ({"credit_village": "yes"}, "labels.credit_village"),
    ({"repayment_history": "late"}, "labels.repayment_history"),
    ({"credit_record": None}, "labels.credit_record"),
])
def test_bad_labels_are_named(overrides: dict, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        make_labels(**overrides)
    assert err.value.field == field


@pytest.mark.parametrize(("born", "on", "age"), [
    (date(2000, 6, 1), date(2018, 5, 31), 17),
    (date(2000, 6, 1), date(2018, 6, 1), 18),
    (date(2000, 2, 29), date(2018, 2, 28), 17),
    (date(2000, 2, 29), date(2018, 3, 1), 18),
    (date(1960, 1, 1), date(2025, 12, 31), 65),
])
def test_age_in_whole_years(born: date, on: date, age: int) -> None:
    assert make_profile(birth_date=born).age_on(on) == age


def test_round_trip_through_the_api_shape() -> None:
    p = make_profile(labels={"years_known": 7, "credit_village": True})
    body = {"name": "张三", "id_number": "x", **p.to_dict()}
    assert CustomerProfile.from_dict(body) == p
    assert Labels.from_dict(p.labels.to_dict()) == p.labels


def test_from_dict_names_a_missing_field() -> None:
    body = make_profile().to_dict()
    del body["labels"]["credit_record"]
    with pytest.raises(ValidationError) as err:
        CustomerProfile.from_dict(body)
    assert err.value.field == "labels.credit_record"
    with pytest.raises(ValidationError) as err:
        CustomerProfile.from_dict({"segment": "farmer"})
    assert err.value.field == "birth_date"
