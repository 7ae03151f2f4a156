"""SQLAlchemy models of the lending store. Money is integer fen (BigInteger), rates bps.

Timestamps are naive UTC (SQLite keeps no zone; every writer passes UTC).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Base", "Branch", "Customer", "ApiToken", "CreditLine", "CreditApplication", "Loan",
    "Repayment", "LedgerEntry", "IdempotencyRecord", "DisbursementClaim", "Payout",
]


class Base(DeclarativeBase):
    pass


class Branch(Base):
    __tablename__ = "branches"
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    prefecture: Mapped[str] = mapped_column(String(64))
    pilot: Mapped[bool] = mapped_column(Boolean, default=False)


class Customer(Base):
    """PII (id_number, phone) is kept in full for the owning branch and pre-masked for everyone else."""

    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    branch_code: Mapped[str] = mapped_column(ForeignKey("branches.code"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    id_number: Mapped[str] = mapped_column(String(32))
    id_number_masked: Mapped[str] = mapped_column(String(32))
    id_number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str] = mapped_column(String(32))
    phone_masked: Mapped[str] = mapped_column(String(32))
    segment: Mapped[str] = mapped_column(String(32))
    birth_date: Mapped[date] = mapped_column(Date)
    annual_income_fen: Mapped[int] = mapped_column(BigInteger)
    other_debt_fen: Mapped[int] = mapped_column(BigInteger)
    labels: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ApiToken(Base):
    """Bearer tokens, stored only as their SHA-256."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    branch_code: Mapped[str | None] = mapped_column(ForeignKey("branches.code"), nullable=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class CreditLine(Base):
    __tablename__ = "credit_lines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), unique=True)
    line_fen: Mapped[int] = mapped_column(BigInteger)
    used_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    apr_bps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    granted_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("credit_applications.id"), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


class CreditApplication(Base):
    __tablename__ = "credit_applications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    branch_code: Mapped[str] = mapped_column(String(6))
    decision: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(4))
    line_fen: Mapped[int] = mapped_column(BigInteger)
    apr_bps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    scorecard_version: Mapped[str] = mapped_column(String(32))
    lpr_bps: Mapped[int] = mapped_column(Integer)
    inputs_hash: Mapped[str] = mapped_column(String(64))
    build_version: Mapped[str] = mapped_column(String(64))
    track: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Loan(Base):
    __tablename__ = "loans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    credit_line_id: Mapped[int] = mapped_column(ForeignKey("credit_lines.id"), index=True)
    branch_code: Mapped[str] = mapped_column(String(6))
    principal_fen: Mapped[int] = mapped_column(BigInteger)
    outstanding_fen: Mapped[int] = mapped_column(BigInteger)
    apr_bps: Mapped[int] = mapped_column(Integer)
    term_months: Mapped[int] = mapped_column(Integer)
    repayment_method: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    interest_from: Mapped[date] = mapped_column(Date)
    interest_due_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    disbursed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    failure_reason: Mapped[str | None] = mapped_column(String(128), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


class Repayment(Base):
    __tablename__ = "repayments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    interest_fen: Mapped[int] = mapped_column(BigInteger)
    principal_fen: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class LedgerEntry(Base):
    """Every movement of a loan's principal balance; per loan they sum to outstanding_fen.

    kinds: ``reserve`` (+principal at drawdown), ``release`` (−principal when a payout
    fails), ``repay_principal`` (−), ``repay_interest`` (interest received, delta 0).
    """

    __tablename__ = "ledger_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    principal_delta_fen: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("action", "scope", "key", name="uq_idempotency_action_scope_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class DisbursementClaim(Base):
    """At most one claim per loan (primary key): the guard against paying a loan twice."""

    __tablename__ = "disbursement_claims"
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), primary_key=True)
    worker: Mapped[str] = mapped_column(String(128))
    claimed_at: Mapped[datetime] = mapped_column(DateTime)


class Payout(Base):
    __tablename__ = "payouts"
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    rail_reference: Mapped[str | None] = mapped_column(String(64), nullable=True)
    seconds_to_disburse: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)
