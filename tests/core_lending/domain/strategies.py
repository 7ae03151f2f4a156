"""Hypothesis strategies for domain values."""

from __future__ import annotations

from datetime import date

from hypothesis import strategies as st

from core_lending.domain import (
    CreditRecord,
    CustomerProfile,
    FraudRisk,
    Grade,
    Labels,
    RelationshipGrade,
    RepaymentHistory,
    RepaymentMethod,
    Segment,
)

labels = st.builds(
    Labels,
    fraud_risk=st.sampled_from(FraudRisk),
    relationship_grade=st.sampled_from(RelationshipGrade),
    years_known=st.integers(0, 60),
    credit_village=st.booleans(),
    repayment_history=st.sampled_from(RepaymentHistory),
    credit_record=st.sampled_from(CreditRecord),
)

profiles = st.builds(
    CustomerProfile,
    segment=st.sampled_from(Segment),
    birth_date=st.dates(date(1940, 1, 1), date(2010, 12, 31)),
    annual_income_fen=st.integers(0, 100_000_000),
    other_debt_fen=st.integers(0, 10_000_000),
    labels=labels,
    frozen=st.booleans(),
)

grades = st.sampled_from(Grade)
methods = st.sampled_from(RepaymentMethod)
lprs = st.integers(1, 1500)  # every LPR the default product's 15 % cap can price
days = st.dates(date(2020, 4, 1), date(2035, 12, 31))
