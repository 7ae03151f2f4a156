"""What a customer manager records about a customer: segment, situation and labels.

The enums' values are exactly the strings the HTTP API uses. ``Labels`` and
``CustomerProfile`` accept either enum members or their string values (and ISO dates),
coerce them once, and refuse anything else with a ``ValidationError`` naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from ._errors import ValidationError
from ._money import require_fen, require_int


class Segment(StrEnum):
    FARMER = "farmer"
    SMALL_BUSINESS = "small_business"
    URBAN_LOW_INCOME = "urban_low_income"
    POVERTY_ALLEVIATION = "poverty_alleviation"


class FraudRisk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class RelationshipGrade(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


class RepaymentHistory(StrEnum):
    NONE = "none"
    ON_TIME = "on_time"
    OVERDUE_30 = "overdue_30"


class CreditRecord(StrEnum):
    CLEAN = "clean"
    BAD = "bad"


E = TypeVar("E", bound=StrEnum)


def coerce_enum(enum: type[E], value: Any, field: str) -> E:
    """``value`` as a member of ``enum``; a ``ValidationError`` listing the choices otherwise."""
    if isinstance(value, enum):
        return value
    if isinstance(value, str):
        try:
            return enum(value)
        except ValueError:
            pass
    choices = ", ".join(m.value for m in enum)
    raise ValidationError(field, f"{field} must be one of {choices}; got {value!r}", reason="unknown_value")


def coerce_date(value: Any, field: str) -> date:
    """A calendar date (not a datetime); ISO ``YYYY-MM-DD`` strings are accepted."""
    if isinstance(value, datetime):
        raise ValidationError(field, f"{field} must be a date, not a datetime", reason="wrong_type")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError(field, f"{field} must be a date YYYY-MM-DD; got {value!r}", reason="wrong_type")


def _require_bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(field, f"{field} must be true or false; got {value!r}", reason="wrong_type")
    return value


@dataclass(frozen=True)
class Labels:
    """The labels a customer manager attaches to a customer.

    fraud_risk: the manager's fraud-risk judgement; ``high`` is a knock-out.
    relationship_grade: how well the bank knows the household, A (best) to D.
    years_known: whole years the bank has known the customer (0..100).
    credit_village: member of a designated "credit village" (信用村).
    repayment_history: past repayment with the bank.
    credit_record: the central-bank credit report; ``bad`` is a knock-out.
    """

    fraud_risk: FraudRisk
    relationship_grade: RelationshipGrade
    years_known: int
    credit_village: bool
    repayment_history: RepaymentHistory
    credit_record: CreditRecord

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "fraud_risk", coerce_enum(FraudRisk, self.fraud_risk, "labels.fraud_risk"))
        set_(self, "relationship_grade",
             coerce_enum(RelationshipGrade, self.relationship_grade, "labels.relationship_grade"))
        require_int(self.years_known, "labels.years_known", minimum=0, maximum=100)
        _require_bool(self.credit_village, "labels.credit_village")
        set_(self, "repayment_history",
             coerce_enum(RepaymentHistory, self.repayment_history, "labels.repayment_history"))
        set_(self, "credit_record", coerce_enum(CreditRecord, self.credit_record, "labels.credit_record"))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the API's field names and values."""
        return {
            "fraud_risk": self.fraud_risk.value,
            "relationship_grade": self.relationship_grade.value,
            "years_known": self.years_known,
            "credit_village": self.credit_village,
            "repayment_history": self.repayment_history.value,
            "credit_record": self.credit_record.value,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Labels:
        """Build from the API's JSON object; a missing key is a ``ValidationError``."""
        return cls(**_pick(data, _LABEL_FIELDS, prefix="labels."))


@dataclass(frozen=True)
class CustomerProfile:
    """The scoring inputs of one customer. Money in integer fen.

    segment: the customer group, which sets points and the line factor.
    birth_date: for the 18-65 age rule, evaluated on the decision day.
    annual_income_fen: household annual income, >= 0.
    other_debt_fen: debt owed elsewhere, subtracted from the line, >= 0.
    labels: the customer manager's labels.
    frozen: the customer's line is frozen (a knock-out).
    """

    segment: Segment
    birth_date: date
    annual_income_fen: int
    other_debt_fen: int
    labels: Labels
    frozen: bool = False

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "segment", coerce_enum(Segment, self.segment, "segment"))
        set_(self, "birth_date", coerce_date(self.birth_date, "birth_date"))
        require_fen(self.annual_income_fen, "annual_income_fen")
        require_fen(self.other_debt_fen, "other_debt_fen")
        if isinstance(self.labels, dict):
            set_(self, "labels", Labels.from_dict(self.labels))
        elif not isinstance(self.labels, Labels):
            raise ValidationError("labels", "labels must be an object", reason="wrong_type")
        _require_bool(self.frozen, "frozen")

    def age_on(self, day: date) -> int:
        """Age in whole years on ``day`` (a 29 February birthday counts from 1 March)."""
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - int(before_birthday)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the API's field names and values."""
        return {
            "segment": self.segment.value,
            "birth_date": self.birth_date.isoformat(),
            "annual_income_fen": self.annual_income_fen,
            "other_debt_fen": self.other_debt_fen,
            "labels": self.labels.to_dict(),
            "frozen": self.frozen,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CustomerProfile:
        """Build from the API's JSON object (extra keys such as ``name`` are ignored)."""
        values = _pick(data, _PROFILE_FIELDS, prefix="")
        if "frozen" in data:
            values["frozen"] = data["frozen"]
        return cls(**values)


_LABEL_FIELDS = ("fraud_risk", "relationship_grade", "years_known", "credit_village",
                 "repayment_history", "credit_record")
_PROFILE_FIELDS = ("segment", "birth_date", "annual_income_fen", "other_debt_fen", "labels")


def _pick(data: Any, keys: tuple[str, ...], *, prefix: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationError(prefix.rstrip(".") or "body", "expected an object", reason="wrong_type")
    missing = [k for k in keys if k not in data]
    if missing:
        raise ValidationError(prefix + missing[0], f"{prefix}{missing[0]} is required", reason="missing")
    return {k: data[k] for k in keys}
