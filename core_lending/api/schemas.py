"""Request and response models: they validate requests AND generate /openapi.json.

Requests are strict (``1.0``, ``"100"`` and ``true`` are not amounts) and closed (unknown
fields are refused), so what the spec says is exactly what the service accepts.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from ..domain import (
    CreditRecord,
    FraudRisk,
    RelationshipGrade,
    RepaymentHistory,
    RepaymentMethod,
    Segment,
)

MAX_FEN = 10**12  # a trillion fen: beyond anything a county branch books, still exact in JSON numbers
MAX_ID = 2**53 - 1

Fen = Annotated[int, Field(ge=0, le=MAX_FEN)]
PositiveFen = Annotated[int, Field(ge=1, le=MAX_FEN)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class _In(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LabelsIn(_In):
    fraud_risk: FraudRisk
    relationship_grade: RelationshipGrade
    years_known: Annotated[int, Field(ge=0, le=100)]
    credit_village: bool
    repayment_history: RepaymentHistory
    credit_record: CreditRecord


class CustomerIn(_In):
    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^\S(.*\S)?$")]
    id_number: Annotated[str, Field(pattern=r"^[0-9]{17}[0-9X]$", description="18-character resident ID")]
    phone: Annotated[str, Field(pattern=r"^1[0-9]{10}$", description="mainland mobile number")]
    branch_code: Annotated[str, Field(pattern=r"^[0-9]{6}$")]
    segment: Segment
    birth_date: date
    annual_income_fen: Fen
    other_debt_fen: Fen
    labels: LabelsIn


class LabelsOut(_Out):
    fraud_risk: FraudRisk
    relationship_grade: RelationshipGrade
    years_known: int
    credit_village: bool
    repayment_history: RepaymentHistory
    credit_record: CreditRecord


class CustomerOut(_Out):
    customer_id: int
    name: str
    id_number: str = Field(description="masked unless the caller is a manager of the owning branch")
    phone: str = Field(description="masked unless the caller is a manager of the owning branch")
    pii_masked: bool
    branch_code: str
    segment: Segment
    birth_date: date
    annual_income_fen: int
    other_debt_fen: int
    labels: LabelsOut


class ApplicationIn(_In):
    customer_id: Id


class ApplicationOut(_Out):
    application_id: int
    customer_id: int
    decision: str = Field(description="approved | declined")
    score: int
    grade: str | None
    line_fen: int
    apr_bps: int | None
    reasons: list[str]
    scorecard_version: str
    lpr_bps: int
    inputs_hash: str
    expires_on: date | None


class CreditOut(_Out):
    customer_id: int
    line_fen: int
    used_fen: int
    available_fen: int
    apr_bps: int | None
    status: str = Field(description="active | frozen | expired | none")
    expires_on: date | None


class QuoteIn(_In):
    customer_id: Id
    amount_fen: PositiveFen
    term_months: Annotated[int, Field(ge=1, le=360)]
    repayment_method: RepaymentMethod


class InstallmentOut(_Out):
    number: int
    due_date: date
    principal_fen: int
    interest_fen: int
    total_fen: int


class QuoteOut(_Out):
    apr_bps: int
    amount_fen: int
    term_months: int
    repayment_method: RepaymentMethod
    installments: list[InstallmentOut]
    total_interest_fen: int


class ScheduleOut(QuoteOut):
    loan_id: int


class DrawdownIn(QuoteIn):
    pass


class LoanOut(_Out):
    loan_id: int
    customer_id: int
    status: str = Field(description="pending_disbursement | active | closed | failed")
    principal_fen: int
    outstanding_fen: int
    interest_due_fen: int
    apr_bps: int
    term_months: int
    repayment_method: RepaymentMethod
    start_date: date
    created_at: str
    disbursed_at: str | None
    closed_at: str | None
    failure_reason: str | None


class RepaymentIn(_In):
    amount_fen: PositiveFen


class RepaymentOut(_Out):
    repayment_id: int
    loan_id: int
    amount_fen: int
    interest_fen: int
    principal_fen: int
    outstanding_fen: int
    interest_due_fen: int
    loan_status: str


class BranchOut(_Out):
    branch_code: str
    name: str
    prefecture: str
    pilot: bool


class BranchList(_Out):
    branches: list[BranchOut]


class VersionOut(_Out):
    version: str
    track: str
    faults: dict[str, Any]


class HealthOut(_Out):
    status: str


class Problem(BaseModel):
    """RFC 9457 problem details; ``type`` is https://lendops.dev/problems/<slug>."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str
