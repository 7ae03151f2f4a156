"""The deterministic expert scorecard (design choice; no training data exists).

Version ``expert-2025.1``. Knock-outs decline whatever the points say:

==========================  ===================================
knock-out code              rule
==========================  ===================================
knockout:fraud_risk_high    fraud-risk label is ``high``
knockout:credit_record_bad  central-bank credit record is ``bad``
knockout:age_out_of_range   age on the decision day outside 18-65
knockout:line_frozen        the customer's line is frozen
==========================  ===================================

Points start at 600 and add up (every row is a factor, its value and the points;
income bands are annual household income in thousands of CNY):

=====================  =======================  ======
factor                 value                    points
=====================  =======================  ======
segment                farmer                   +20
segment                small_business           +15
segment                urban_low_income         +0
segment                poverty_alleviation      +10
relationship_grade     A                        +40
relationship_grade     B                        +20
relationship_grade     C                        +0
relationship_grade     D                        -30
years_known            0                        +0
years_known            1-2                      +10
years_known            3-5                      +20
years_known            6-9                      +30
years_known            10+                      +40
credit_village         yes                      +20
credit_village         no                       +0
repayment_history      none                     +0
repayment_history      on_time                  +30
repayment_history      overdue_30               -60
income_band            <20k                     +0
income_band            20k-50k                  +10
income_band            50k-100k                 +20
income_band            100k+                    +30
fraud_risk             low                      +0
fraud_risk             medium                   -40
=====================  =======================  ======

Grades: A >= 700, B 650-699, C 600-649, D below 600 (declined). A farmer of a credit
village known for four years, relationship B, repaying on time, earning 60,000 CNY scores
600+20+20+20+20+30+20 = 730 (A); a newcomer with nothing recorded scores 600 (C).
``tests/core_lending/domain/test_scorecard.py`` checks this table against the data below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

from ._customer import (
    CreditRecord,
    CustomerProfile,
    FraudRisk,
    RelationshipGrade,
    RepaymentHistory,
    Segment,
)
from ._errors import ValidationError
from ._money import require_int

K = TypeVar("K")


class Grade(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


KNOCKOUT_FRAUD = "knockout:fraud_risk_high"
KNOCKOUT_CREDIT_RECORD = "knockout:credit_record_bad"
KNOCKOUT_AGE = "knockout:age_out_of_range"
KNOCKOUT_FROZEN = "knockout:line_frozen"


@dataclass(frozen=True)
class ScoreResult:
    """score: points including any adjustment; grade: None when knocked out;
    knockouts: knock-out codes hit; reasons: knock-out codes, then one
    ``points:<factor>=<value>:<+n>`` code per factor that moved the score."""

    score: int
    grade: Grade | None
    knockouts: tuple[str, ...]
    reasons: tuple[str, ...]


def _frozen(mapping: Mapping[K, int]) -> Mapping[K, int]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, eq=False)
class Scorecard:
    """A versioned points table. Bands are ``(lower bound, points)`` in ascending order."""

    version: str
    base_points: int = 600
    segment_points: Mapping[Segment, int] = field(default_factory=dict)
    relationship_points: Mapping[RelationshipGrade, int] = field(default_factory=dict)
    years_known_bands: tuple[tuple[int, int], ...] = ((0, 0),)
    credit_village_points: int = 0
    repayment_points: Mapping[RepaymentHistory, int] = field(default_factory=dict)
    income_bands_fen: tuple[tuple[int, int], ...] = ((0, 0),)
    fraud_points: Mapping[FraudRisk, int] = field(default_factory=dict)
    min_age: int = 18
    max_age: int = 65
    grade_a_min: int = 700
    grade_b_min: int = 650
    grade_c_min: int = 600

    def __post_init__(self) -> None:
        for name in ("segment_points", "relationship_points", "repayment_points", "fraud_points"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        if not self.grade_a_min > self.grade_b_min > self.grade_c_min:
            raise ValidationError("grade_a_min", "grade thresholds must fall strictly from A to C",
                                  reason="invalid")

    def grade_for(self, score: int) -> Grade:
        if score >= self.grade_a_min:
            return Grade.A
        if score >= self.grade_b_min:
            return Grade.B
        if score >= self.grade_c_min:
            return Grade.C
        return Grade.D

    def knockouts(self, profile: CustomerProfile, as_of: date) -> tuple[str, ...]:
        hits = []
        if profile.labels.fraud_risk is FraudRisk.HIGH:
            hits.append(KNOCKOUT_FRAUD)
        if profile.labels.credit_record is CreditRecord.BAD:
            hits.append(KNOCKOUT_CREDIT_RECORD)
        if not self.min_age <= profile.age_on(as_of) <= self.max_age:
            hits.append(KNOCKOUT_AGE)
        if profile.frozen:
            hits.append(KNOCKOUT_FROZEN)
        return tuple(hits)

    def contributions(self, profile: CustomerProfile) -> tuple[tuple[str, str, int], ...]:
        """``(factor, value, points)`` for every factor, in table order."""
        labels = profile.labels
        years_label, years_pts = _band(self.years_known_bands, labels.years_known, _years_text)
        income_label, income_pts = _band(self.income_bands_fen, profile.annual_income_fen, _income_text)
        return (
            ("segment", profile.segment.value, self.segment_points.get(profile.segment, 0)),
            ("relationship_grade", labels.relationship_grade.value,
             self.relationship_points.get(labels.relationship_grade, 0)),
            ("years_known", years_label, years_pts),
            ("credit_village", "yes" if labels.credit_village else "no",
             self.credit_village_points if labels.credit_village else 0),
            ("repayment_history", labels.repayment_history.value,
             self.repayment_points.get(labels.repayment_history, 0)),
            ("income_band", income_label, income_pts),
            ("fraud_risk", labels.fraud_risk.value, self.fraud_points.get(labels.fraud_risk, 0)),
        )

    def score(self, profile: CustomerProfile, as_of: date, *, adjustment_points: int = 0) -> ScoreResult:
        """Score ``profile`` on ``as_of``.

        ``adjustment_points`` is added before grading; it exists for release drills (the
        ``approval_shift_points`` fault) and is not part of the recorded inputs.
        """
        require_int(adjustment_points, "adjustment_points")
        knockouts = self.knockouts(profile, as_of)
        parts = self.contributions(profile)
        total = self.base_points + sum(p for _, _, p in parts) + adjustment_points
        reasons = knockouts + tuple(f"points:{f}={v}:{p:+d}" for f, v, p in parts if p)
        return ScoreResult(
            score=total,
            grade=None if knockouts else self.grade_for(total),
            knockouts=knockouts,
            reasons=reasons,
        )

    def table(self) -> tuple[tuple[str, str, int], ...]:
        """Every row of the points table as ``(factor, value, points)``, for documentation."""
        rows: list[tuple[str, str, int]] = []
        rows += [("segment", s.value, self.segment_points.get(s, 0)) for s in Segment]
        rows += [("relationship_grade", g.value, self.relationship_points.get(g, 0)) for g in RelationshipGrade]
        rows += [("years_known", _years_text(lo, hi), p) for lo, hi, p in _spans(self.years_known_bands)]
        rows += [("credit_village", "yes", self.credit_village_points), ("credit_village", "no", 0)]
        rows += [("repayment_history", r.value, self.repayment_points.get(r, 0)) for r in RepaymentHistory]
        rows += [("income_band", _income_text(lo, hi), p) for lo, hi, p in _spans(self.income_bands_fen)]
        rows += [("fraud_risk", r.value, self.fraud_points.get(r, 0))
                 for r in FraudRisk if r is not FraudRisk.HIGH]
        return tuple(rows)


def _spans(bands: tuple[tuple[int, int], ...]) -> list[tuple[int, int | None, int]]:
    out: list[tuple[int, int | None, int]] = []
    for i, (lo, pts) in enumerate(bands):
        hi = bands[i + 1][0] if i + 1 < len(bands) else None
        out.append((lo, hi, pts))
    return out


def _band(bands: tuple[tuple[int, int], ...], value: int,
          text: Callable[[int, int | None], str]) -> tuple[str, int]:
    for lo, hi, pts in reversed(_spans(bands)):
        if value >= lo:
            return text(lo, hi), pts
    return "below_table", 0


def _years_text(lo: int, hi: int | None) -> str:
    if hi is None:
        return f"{lo}+"
    return str(lo) if hi - 1 == lo else f"{lo}-{hi - 1}"


def _income_text(lo: int, hi: int | None) -> str:
    """Income band label in thousands of CNY: ``<20k``, ``20k-50k``, ``100k+``."""
    def k(fen: int) -> str:
        return f"{fen // 100_000}k"
    if lo == 0 and hi is not None:
        return f"<{k(hi)}"
    if hi is None:
        return f"{k(lo)}+"
    return f"{k(lo)}-{k(hi)}"


DEFAULT_SCORECARD = Scorecard(
    version="expert-2025.1",
    base_points=600,
    segment_points={
        Segment.FARMER: 20,
        Segment.SMALL_BUSINESS: 15,
        Segment.URBAN_LOW_INCOME: 0,
        Segment.POVERTY_ALLEVIATION: 10,
    },
    relationship_points={
        RelationshipGrade.A: 40,
        RelationshipGrade.B: 20,
        RelationshipGrade.C: 0,
        RelationshipGrade.D: -30,
    },
    years_known_bands=((0, 0), (1, 10), (3, 20), (6, 30), (10, 40)),
    credit_village_points=20,
    repayment_points={
        RepaymentHistory.NONE: 0,
        RepaymentHistory.ON_TIME: 30,
        RepaymentHistory.OVERDUE_30: -60,
    },
    income_bands_fen=((0, 0), (2_000_000, 10), (5_000_000, 20), (10_000_000, 30)),
    fraud_points={FraudRisk.LOW: 0, FraudRisk.MEDIUM: -40},
)
