"""Small shared builders for domain tests: a profile with sensible defaults, overridable."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from core_lending.domain import CustomerProfile, Labels

AS_OF = date(2025, 6, 1)


def make_labels(**overrides: Any) -> Labels:
    values: dict[str, Any] = {
        "fraud_risk": "low",
        "relationship_grade": "C",
        "years_known": 0,
        "credit_village": False,
        "repayment_history": "none",
        "credit_record": "clean",
    }
    values.update(overrides)
    return Labels(**values)


def make_profile(*, labels: dict[str, Any] | None = None, **overrides: Any) -> CustomerProfile:
    """A 40-year-old urban low-income customer with nothing recorded: exactly 600 points."""
    values: dict[str, Any] = {
        "segment": "urban_low_income",
        "birth_date": date(1985, 3, 1),
        "annual_income_fen": 1_500_000,
        "other_debt_fen": 0,
        "labels": make_labels(**(labels or {})),
    }
    values.update(overrides)
    return CustomerProfile(**values)


@pytest.fixture
def profile() -> Callable[..., CustomerProfile]:
    return make_profile
