"""The pure domain core of the lending service: money, scorecard, credit line, pricing,
schedules and the loan state machine.

Values in, values out: no Flask, SQLAlchemy, requests, clock or randomness here. Dates
(``as_of``, ``start``) and the LPR in force are passed in. Money is integer fen at every
boundary (``bool`` and ``float`` are refused), Decimal with ROUND_HALF_UP inside; rates
are integer basis points.

>>> from datetime import date
>>> from core_lending.domain import CustomerProfile, Labels, decide, DEFAULT_LPR
>>> p = CustomerProfile("farmer", date(1985, 3, 1), 6_000_000, 0,
...                     Labels("low", "B", 4, True, "on_time", "clean"))
>>> d = decide(p, as_of=date(2025, 6, 1), lpr_bps=DEFAULT_LPR.on(date(2025, 6, 1)))
>>> d.decision.value, d.score, d.grade.value, d.line_fen, d.apr_bps
('approved', 730, 'A', 5000000, 375)

Modules (private; everything public is re-exported here): ``_errors`` (the exception
tree), ``_money``, ``_customer`` (profile and labels), ``_product``, ``_lpr``,
``_scorecard`` (the points table), ``_pricing`` (price and line), ``_decision``,
``_schedule``, ``_loan`` (status table, repayment allocation), ``_credit``.
"""

from __future__ import annotations

from ._credit import (
    CreditStatus,
    DrawRequest,
    available_credit,
    credit_status,
    validate_draw,
    validate_quote,
)
from ._customer import (
    CreditRecord,
    CustomerProfile,
    FraudRisk,
    Labels,
    RelationshipGrade,
    RepaymentHistory,
    Segment,
)
from ._decision import CreditDecision, Decision, canonical_inputs, decide, explain, inputs_hash
from ._errors import (
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
from ._loan import (
    TERMINAL_STATUSES,
    TRANSITIONS,
    LoanEvent,
    LoanStatus,
    RepaymentAllocation,
    allocate_repayment,
    next_status,
)
from ._lpr import DEFAULT_LPR, LprSchedule
from ._pricing import apr_bounds, credit_line, label_adjustment_bps, price
from ._product import DEFAULT_PRODUCT, Product
from ._schedule import (
    Installment,
    RepaymentMethod,
    Schedule,
    accrued_interest_fen,
    add_months,
    build_schedule,
    implied_apr_bps,
    term_limit,
)
from ._scorecard import DEFAULT_SCORECARD, Grade, Scorecard, ScoreResult

__all__ = [
    # customer
    "Segment", "FraudRisk", "RelationshipGrade", "RepaymentHistory", "CreditRecord",
    "Labels", "CustomerProfile",
    # product and reference rate
    "Product", "DEFAULT_PRODUCT", "LprSchedule", "DEFAULT_LPR",
    # scoring, pricing, decision
    "Grade", "Scorecard", "ScoreResult", "DEFAULT_SCORECARD",
    "apr_bounds", "price", "label_adjustment_bps", "credit_line",
    "Decision", "CreditDecision", "decide", "explain", "inputs_hash", "canonical_inputs",
    # schedules
    "RepaymentMethod", "Installment", "Schedule", "build_schedule", "accrued_interest_fen",
    "add_months", "implied_apr_bps", "term_limit",
    # loans and credit in use
    "LoanStatus", "LoanEvent", "TRANSITIONS", "TERMINAL_STATUSES", "next_status",
    "RepaymentAllocation", "allocate_repayment",
    "CreditStatus", "DrawRequest", "available_credit", "credit_status",
    "validate_draw", "validate_quote",
    # errors
    "DomainError", "ValidationError", "CreditUnavailable", "InsufficientCredit",
    "Overpayment", "InvalidTransition", "KnockedOut", "LprUnavailable", "InvariantViolation",
]
