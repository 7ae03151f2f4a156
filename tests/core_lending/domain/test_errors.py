from __future__ import annotations

import re
from datetime import date

import pytest

import core_lending.domain as domain
from core_lending.domain import (
    CreditUnavailable,
    DomainError,
    InsufficientCredit,
    InvalidTransition,
    InvariantViolation,
    KnockedOut,
    LprUnavailable,
    Overpayment,
    ValidationError,
)

INSTANCES = [
    ValidationError("amount_fen", "amount_fen must be positive", reason="not_positive"),
    CreditUnavailable("frozen", "the line is frozen"),
    InsufficientCredit(available_fen=1, requested_fen=2),
    Overpayment(due_fen=1, amount_fen=2),
    InvalidTransition("closed", "disbursed"),
    KnockedOut(["knockout:fraud_risk_high"]),
    LprUnavailable(date(2019, 1, 1), date(2020, 4, 1)),
    InvariantViolation("used_within_line", "used above line"),
]


@pytest.mark.parametrize("err", INSTANCES, ids=lambda e: type(e).__name__)
def test_one_hierarchy_with_stable_slugs(err: DomainError) -> None:
    assert isinstance(err, DomainError)
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", err.code)
    assert err.title and err.detail == str(err)
    assert all(isinstance(v, (str, int, list)) for v in err.fields().values())


def test_codes_are_unique() -> None:
    codes = [type(e).code for e in INSTANCES] + [DomainError.code]
    assert len(codes) == len(set(codes))


def test_validation_error_is_also_a_value_error() -> None:
    assert isinstance(INSTANCES[0], ValueError)
    assert INSTANCES[0].fields() == {"field": "amount_fen", "reason": "not_positive"}


def test_every_error_class_is_exported() -> None:
    for cls in [type(e) for e in INSTANCES] + [DomainError]:
        assert getattr(domain, cls.__name__) is cls and cls.__name__ in domain.__all__
