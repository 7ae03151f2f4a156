"""Realistic request data for the credit path, from an injected ``random.Random``.

Design choices (the real distributions are not published; these follow DOMAIN.md):

- Branches: 84 county branches of very different size. Without real figures a branch's
  weight is ``1 / rank^s`` (Zipf, s = 0.8 by default, so the largest county sees about
  30× the traffic of the smallest) with ranks fixed by a hash of the branch code: the
  same branch is "large" on every run and machine. Scenarios can pass real weights.
- Segments: farmers 55 %, small businesses 20 %, urban low income 15 %, poverty
  alleviation 10 %; annual household income log-normal around a segment median
  (60k, 150k, 36k, 20k CNY); other debt for one customer in three.
- Labels: fraud risk low 90 % / medium 8 % / high 2 %; relationship grades A–D
  20/40/30/10 %; credit villages 40 %; a bad central-bank record 3 %; 2 % outside the
  18–65 age rule. Knock-outs and declines are part of a realistic mix.
- Drawdowns: a share of the available credit (scenario ``draw_share``), at least 100 CNY,
  whole 100 CNY, never above 50,000 CNY or the available credit; terms and repayment
  methods as the product allows (revolving up to 12 months, installments up to 36).

Idempotency keys are random UUIDs from the OS, never from the seeded generator: two
runs with the same seed against the same database must not replay each other.
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .scenario import BranchSelection

__all__ = [
    "Branch", "BranchPicker", "branch_weights", "customer_payload", "id_number",
    "draw_request", "repay_amount", "idempotency_key", "LINE_CAP_FEN", "MIN_DRAW_FEN",
]

LINE_CAP_FEN = 5_000_000
MIN_DRAW_FEN = 10_000
_HUNDRED_CNY = 10_000

_SEGMENTS = (("farmer", 55), ("small_business", 20), ("urban_low_income", 15), ("poverty_alleviation", 10))
_MEDIAN_INCOME_CNY = {"farmer": 60_000, "small_business": 150_000, "urban_low_income": 36_000,
                      "poverty_alleviation": 20_000}
_FRAUD = (("low", 90), ("medium", 8), ("high", 2))
_GRADES = (("A", 20), ("B", 40), ("C", 30), ("D", 10))
_HISTORY = (("none", 40), ("on_time", 55), ("overdue_30", 5))
_METHODS = (("revolving", 35), ("interest_only", 15), ("equal_installment", 35), ("equal_principal", 15))
_INSTALLMENT_TERMS = (3, 6, 12, 12, 12, 24, 36)
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗龙石潘杨韦吴"
_GIVEN = "建国华明丽芳军勇强伟秀英敏静德福兰玉贵梅春海林平"


@dataclass(frozen=True)
class Branch:
    code: str
    name: str = ""
    pilot: bool = False


def _pick(rng: random.Random, table: Sequence[tuple[str, int]]) -> str:
    values, weights = zip(*table)
    return rng.choices(values, weights=weights)[0]


def branch_weights(codes: Sequence[str], selection: BranchSelection) -> dict[str, float]:
    """Relative traffic per branch code (see the module docstring for the default)."""
    ranked = sorted(codes, key=lambda c: hashlib.sha256(c.encode()).hexdigest())
    weights = {code: 1.0 / math.pow(rank + 1, selection.zipf_exponent) for rank, code in enumerate(ranked)}
    for code, weight in selection.weights.items():
        if code in weights:
            weights[code] = float(weight)
    return weights


class BranchPicker:
    """Weighted choice among the branches a run may act for."""

    def __init__(self, branches: Sequence[Branch], selection: BranchSelection, usable: set[str]) -> None:
        chosen = [b for b in branches if b.code in usable]
        if selection.codes is not None:
            chosen = [b for b in chosen if b.code in set(selection.codes)]
        if selection.pilot_only:
            chosen = [b for b in chosen if b.pilot]
        if not chosen:
            raise ValueError("no branch left to act for: the service's branches, the scenario's "
                             "branch selection and the branches with a token do not overlap")
        self.branches = chosen
        weights = branch_weights([b.code for b in chosen], selection)
        self._cum: list[float] = []
        total = 0.0
        for b in chosen:
            total += weights[b.code]
            self._cum.append(total)

    def pick(self, rng: random.Random) -> Branch:
        return rng.choices(self.branches, cum_weights=self._cum)[0]


def id_number(rng: random.Random, region: str, birth: date, serial: int) -> str:
    """An 18-character resident ID (GB 11643): region, birth date, serial, ISO 7064 check."""
    body = f"{region}{birth:%Y%m%d}{serial % 1000:03d}"
    factors = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * f for d, f in zip(body, factors)) % 11]
    return body + check


def customer_payload(rng: random.Random, branch: Branch, *, today: date, serial: int) -> dict[str, Any]:
    """The body of ``POST /v1/customers`` for one generated household."""
    segment = _pick(rng, _SEGMENTS)
    if rng.random() < 0.02:
        age = rng.choice((17, 66, 70))  # outside the 18-65 rule: a knock-out
    else:
        age = rng.randint(20, 64)
    birth = today - timedelta(days=age * 365 + rng.randint(1, 360))
    income_cny = _MEDIAN_INCOME_CNY[segment] * math.exp(rng.gauss(0, 0.5))
    income_fen = int(round(income_cny / 100)) * _HUNDRED_CNY
    other_debt_fen = 0
    if rng.random() < 1 / 3:
        other_debt_fen = int(income_fen * rng.uniform(0.05, 0.4)) // _HUNDRED_CNY * _HUNDRED_CNY
    name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
    phone = "1" + rng.choice("3456789") + "".join(str(rng.randint(0, 9)) for _ in range(9))
    return {
        "name": name,
        "id_number": id_number(rng, branch.code, birth, serial),
        "phone": phone,
        "branch_code": branch.code,
        "segment": segment,
        "birth_date": birth.isoformat(),
        "annual_income_fen": income_fen,
        "other_debt_fen": other_debt_fen,
        "labels": {
            "fraud_risk": _pick(rng, _FRAUD),
            "relationship_grade": _pick(rng, _GRADES),
            "years_known": min(40, int(rng.expovariate(1 / 6))),
            "credit_village": rng.random() < 0.4,
            "repayment_history": _pick(rng, _HISTORY),
            "credit_record": "bad" if rng.random() < 0.03 else "clean",
        },
    }


def draw_request(rng: random.Random, customer_id: Any, available_fen: int,
                 share: tuple[float, float]) -> dict[str, Any] | None:
    """The body of a quote or drawdown; ``None`` when less than the minimum is available."""
    ceiling = min(available_fen, LINE_CAP_FEN) // _HUNDRED_CNY * _HUNDRED_CNY
    if ceiling < MIN_DRAW_FEN:
        return None
    wanted = int(ceiling * rng.uniform(*share)) // _HUNDRED_CNY * _HUNDRED_CNY
    amount = min(ceiling, max(MIN_DRAW_FEN, wanted))
    method = _pick(rng, _METHODS)
    term = rng.randint(1, 12) if method == "revolving" else rng.choice(_INSTALLMENT_TERMS)
    return {"customer_id": customer_id, "amount_fen": amount, "term_months": term, "repayment_method": method}


def repay_amount(rng: random.Random, outstanding_fen: int, share: tuple[float, float]) -> int | None:
    """A repayment of part (or all) of the outstanding principal, in whole fen."""
    if outstanding_fen <= 0:
        return None
    amount = int(outstanding_fen * rng.uniform(*share))
    return max(1, min(outstanding_fen, amount))


def idempotency_key() -> str:
    return str(uuid.uuid4())


def branches_from_json(items: Any) -> list[Branch]:
    """``GET /v1/branches`` as ``Branch`` values (tolerates a ``{"branches": [...]}`` wrapper)."""
    if isinstance(items, Mapping):
        items = items.get("branches", items.get("items", []))
    return [Branch(str(i["branch_code"]), str(i.get("name", "")), bool(i.get("pilot", False)))
            for i in items if isinstance(i, Mapping) and "branch_code" in i]
