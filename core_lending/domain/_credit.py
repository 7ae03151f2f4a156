"""The credit line in use: what is available, its status, and checks on quotes and draws.

Available credit is the line minus the principal in use (drawn, or reserved by a
drawdown pending disbursement); it never goes below zero, and ``used > line`` is a
broken invariant, not a number to clamp.

Checks raise, in this order: ``ValidationError`` for the request itself (method, term,
amount type, amount <= 0, below the minimum draw, above the product cap), then
``CreditUnavailable`` (no line, frozen, expired), then ``InsufficientCredit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ._customer import coerce_date, coerce_enum
from ._errors import CreditUnavailable, InsufficientCredit, InvariantViolation, ValidationError
from ._money import require_fen, require_int
from ._product import DEFAULT_PRODUCT, Product
from ._schedule import RepaymentMethod, term_limit


class CreditStatus(StrEnum):
    ACTIVE = "active"
    FROZEN = "frozen"
    EXPIRED = "expired"
    NONE = "none"  # declined, or never granted


def available_credit(line_fen: int, used_fen: int) -> int:
    """``line - used``; ``InvariantViolation`` if more is used than the line allows.

    >>> available_credit(5_000_000, 1_200_000)
    3800000
    """
    require_fen(line_fen, "line_fen")
    require_fen(used_fen, "used_fen")
    if used_fen > line_fen:
        raise InvariantViolation(
            "used_within_line", f"used credit {used_fen} fen exceeds the line of {line_fen} fen"
        )
    return line_fen - used_fen


def credit_status(*, line_fen: int, as_of: date, expires_on: date | None, frozen: bool = False) -> CreditStatus:
    """The status of a line on ``as_of`` (it can be drawn on its ``expires_on`` day itself)."""
    require_fen(line_fen, "line_fen")
    if line_fen == 0:
        return CreditStatus.NONE
    if frozen:
        return CreditStatus.FROZEN
    if expires_on is not None and coerce_date(as_of, "as_of") > expires_on:
        return CreditStatus.EXPIRED
    return CreditStatus.ACTIVE


@dataclass(frozen=True)
class DrawRequest:
    """A checked quote or drawdown request."""

    amount_fen: int
    term_months: int
    method: RepaymentMethod


def validate_quote(
    *,
    amount_fen: int,
    term_months: int,
    method: RepaymentMethod | str,
    product: Product = DEFAULT_PRODUCT,
    available_fen: int | None = None,
) -> DrawRequest:
    """Check a quote request against the product (and ``available_fen`` when given).

    >>> validate_quote(amount_fen=1_000_000, term_months=12, method="equal_principal")
    DrawRequest(amount_fen=1000000, term_months=12, method=<RepaymentMethod.EQUAL_PRINCIPAL: 'equal_principal'>)
    """
    method = coerce_enum(RepaymentMethod, method, "repayment_method")
    require_int(term_months, "term_months")
    limit = term_limit(method, product)
    if not 1 <= term_months <= limit:
        raise ValidationError(
            "term_months", f"term_months for {method.value} must be within 1..{limit}, got {term_months}",
            reason="out_of_range",
        )
    require_fen(amount_fen, "amount_fen", positive=True)
    if amount_fen < product.min_draw_fen:
        raise ValidationError(
            "amount_fen", f"amount_fen must be at least {product.min_draw_fen}, got {amount_fen}",
            reason="below_minimum",
        )
    if amount_fen > product.line_cap_fen:
        raise ValidationError(
            "amount_fen", f"amount_fen must be at most {product.line_cap_fen}, got {amount_fen}",
            reason="above_maximum",
        )
    if available_fen is not None:
        require_fen(available_fen, "available_fen")
        if amount_fen > available_fen:
            raise InsufficientCredit(available_fen=available_fen, requested_fen=amount_fen)
    return DrawRequest(amount_fen=amount_fen, term_months=term_months, method=method)


def validate_draw(
    *,
    amount_fen: int,
    term_months: int,
    method: RepaymentMethod | str,
    line_fen: int,
    used_fen: int,
    as_of: date | None = None,
    expires_on: date | None = None,
    frozen: bool = False,
    product: Product = DEFAULT_PRODUCT,
) -> DrawRequest:
    """Check a drawdown: the request, then the line's status on ``as_of``, then availability.

    >>> validate_draw(amount_fen=600_000, term_months=6, method="revolving",
    ...               line_fen=1_000_000, used_fen=500_000)
    Traceback (most recent call last):
    ...
    core_lending.domain._errors.InsufficientCredit: requested 600000 fen but only 500000 fen of credit is available
    """
    request = validate_quote(amount_fen=amount_fen, term_months=term_months, method=method, product=product)
    available = available_credit(line_fen, used_fen)
    status = credit_status(
        line_fen=line_fen,
        as_of=as_of if as_of is not None else date.min,
        expires_on=expires_on if as_of is not None else None,
        frozen=frozen,
    )
    if status is not CreditStatus.ACTIVE:
        detail = {
            CreditStatus.NONE: "the customer has no credit line",
            CreditStatus.FROZEN: "the customer's credit line is frozen",
            CreditStatus.EXPIRED: f"the credit line expired on {expires_on}",
        }[status]
        raise CreditUnavailable(status.value, detail)
    if amount_fen > available:
        raise InsufficientCredit(available_fen=available, requested_fen=amount_fen)
    return request
