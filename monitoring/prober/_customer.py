"""Synthetic test customers: valid-looking, recognisable, chosen to be approved."""

from __future__ import annotations

import random
from typing import Any

__all__ = ["synthetic_customer", "id_number"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def id_number(region: str, birth: str, seq: int) -> str:
    """An 18-character resident ID with a correct GB 11643 check character.

    >>> id_number("522629", "19850615", 1)[-4:]
    '0010'
    """
    body = f"{region[:6]:0>6}{birth.replace('-', '')}{seq % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True))
    return body + _CHECK[total % 11]


def synthetic_customer(branch_code: str, rng: random.Random) -> dict[str, Any]:
    """A customer the default scorecard approves: low fraud risk, long relationship,
    clean record, income well above the line it will draw against."""
    tag = f"{rng.getrandbits(32):08x}"
    birth = "1985-06-15"
    return {
        "name": f"probe-{tag}",
        "id_number": id_number(branch_code, birth, rng.randrange(1000)),
        "phone": f"199{rng.randrange(10**8):08d}",
        "branch_code": branch_code,
        "segment": "farmer",
        "birth_date": birth,
        "annual_income_fen": 12_000_000,
        "other_debt_fen": 0,
        "labels": {
            "fraud_risk": "low",
            "relationship_grade": "A",
            "years_known": 10,
            "credit_village": True,
            "repayment_history": "on_time",
            "credit_record": "clean",
        },
    }
