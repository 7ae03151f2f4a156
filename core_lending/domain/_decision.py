"""The credit decision: score, grade, line and price, with reasons and a replayable hash.

Declined when the customer is knocked out, grades D, or the line comes out below the
minimum draw. ``reasons`` are stable codes (the first one says why the decision went the
way it did); ``explain(code)`` gives the human text.

``inputs_hash`` is the SHA-256 of the canonical JSON (sorted keys, no spaces, ASCII) of
``{"as_of", "lpr_bps", "profile", "scorecard_version"}``: the same inputs always hash
the same, so a decision can be replayed and two builds compared on identical inputs.
Drill adjustments (``adjustment_points``) are deliberately not inputs: a build that
shifts scores yields a different decision for the same hash, which is what to detect.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from ._customer import CustomerProfile, coerce_date
from ._errors import ValidationError
from ._pricing import apr_bounds, credit_line, price
from ._product import DEFAULT_PRODUCT, Product
from ._scorecard import DEFAULT_SCORECARD, Grade, Scorecard


class Decision(StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"


DECLINED_GRADE_D = "declined:grade_d"
DECLINED_LINE_BELOW_MINIMUM = "declined:line_below_minimum"


@dataclass(frozen=True)
class CreditDecision:
    """The outcome of one application. ``line_fen`` is 0 and ``apr_bps`` None when declined;
    ``grade`` is None when knocked out; ``expires_on`` is None when declined."""

    decision: Decision
    score: int
    grade: Grade | None
    line_fen: int
    apr_bps: int | None
    reasons: tuple[str, ...]
    scorecard_version: str
    lpr_bps: int
    inputs_hash: str
    as_of: date | None = None
    expires_on: date | None = None

    @property
    def approved(self) -> bool:
        return self.decision is Decision.APPROVED

    @property
    def explanations(self) -> tuple[str, ...]:
        """``reasons`` as human text, in the same order."""
        return tuple(explain(r) for r in self.reasons)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the API's field names."""
        return {
            "decision": self.decision.value,
            "score": self.score,
            "grade": self.grade.value if self.grade else None,
            "line_fen": self.line_fen,
            "apr_bps": self.apr_bps,
            "reasons": list(self.reasons),
            "scorecard_version": self.scorecard_version,
            "lpr_bps": self.lpr_bps,
            "inputs_hash": self.inputs_hash,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "expires_on": self.expires_on.isoformat() if self.expires_on else None,
        }


def canonical_inputs(profile: CustomerProfile, *, as_of: date, lpr_bps: int, scorecard_version: str) -> str:
    """The canonical JSON text that ``inputs_hash`` digests."""
    doc = {
        "as_of": as_of.isoformat(),
        "lpr_bps": lpr_bps,
        "profile": profile.to_dict(),
        "scorecard_version": scorecard_version,
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def inputs_hash(profile: CustomerProfile, *, as_of: date, lpr_bps: int, scorecard_version: str) -> str:
    """Hex SHA-256 of ``canonical_inputs``."""
    text = canonical_inputs(profile, as_of=as_of, lpr_bps=lpr_bps, scorecard_version=scorecard_version)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def decide(
    profile: CustomerProfile,
    *,
    as_of: date,
    lpr_bps: int,
    product: Product = DEFAULT_PRODUCT,
    scorecard: Scorecard = DEFAULT_SCORECARD,
    adjustment_points: int = 0,
) -> CreditDecision:
    """Decide a credit application of ``profile`` on ``as_of`` with the LPR then in force."""
    if not isinstance(profile, CustomerProfile):
        raise ValidationError("profile", "profile must be a CustomerProfile", reason="wrong_type")
    as_of = coerce_date(as_of, "as_of")
    apr_bounds(lpr_bps, product)  # refuses an LPR no APR can satisfy, whatever the outcome
    result = scorecard.score(profile, as_of, adjustment_points=adjustment_points)
    common: dict[str, Any] = {
        "score": result.score,
        "scorecard_version": scorecard.version,
        "lpr_bps": lpr_bps,
        "inputs_hash": inputs_hash(profile, as_of=as_of, lpr_bps=lpr_bps,
                                   scorecard_version=scorecard.version),
        "as_of": as_of,
    }

    def declined(grade: Grade | None, reasons: tuple[str, ...]) -> CreditDecision:
        return CreditDecision(decision=Decision.DECLINED, grade=grade, line_fen=0, apr_bps=None,
                              reasons=reasons, **common)

    if result.grade is None:
        return declined(None, result.reasons)
    if result.grade is Grade.D:
        return declined(Grade.D, (DECLINED_GRADE_D, *result.reasons))
    line = credit_line(profile, result.grade, product)
    if line < product.min_draw_fen:
        return declined(result.grade, (DECLINED_LINE_BELOW_MINIMUM, *result.reasons))
    return CreditDecision(
        decision=Decision.APPROVED,
        grade=result.grade,
        line_fen=line,
        apr_bps=price(result.grade, profile.labels, lpr_bps, product),
        reasons=(f"approved:grade_{result.grade.value.lower()}", *result.reasons),
        expires_on=product.credit_expires_on(as_of),
        **common,
    )


_TEXT = {
    "knockout:fraud_risk_high": "Fraud-risk label is high.",
    "knockout:credit_record_bad": "The central-bank credit record is bad.",
    "knockout:age_out_of_range": "Age is outside 18-65 on the decision day.",
    "knockout:line_frozen": "The customer's line is frozen.",
    DECLINED_GRADE_D: "Score below 600 (grade D).",
    DECLINED_LINE_BELOW_MINIMUM: "Income after other debt leaves a line below the minimum draw.",
}


def explain(code: str) -> str:
    """Human text for a reason code.

    >>> explain("points:relationship_grade=A:+40")
    'relationship grade A: +40 points'
    """
    if code in _TEXT:
        return _TEXT[code]
    kind, _, rest = code.partition(":")
    if kind == "approved" and rest.startswith("grade_"):
        return f"Approved at grade {rest.removeprefix('grade_').upper()}."
    if kind == "points":
        factor_value, _, pts = rest.rpartition(":")
        factor, _, value = factor_value.partition("=")
        return f"{factor.replace('_', ' ')} {value}: {pts} points"
    return code
