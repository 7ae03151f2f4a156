"""Money arithmetic: integer fen at the edges, Decimal inside, ROUND_HALF_UP to the fen.

Every value that enters a money function is checked here: ``bool`` and ``float`` are
refused (a float has already lost the fen; a bool is an int by accident), so a caller
that lets a JSON ``12.5`` through gets a ``ValidationError`` rather than a wrong amount.
All Decimal work runs in an explicit context so a caller's global decimal settings
cannot change a result.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any

from ._errors import ValidationError

#: Precision ample for (1 + i) ** 360 with i in basis points / 12; rounding only happens
#: explicitly, to the fen.
DECIMAL_CONTEXT = Context(prec=50, rounding=ROUND_HALF_UP)

FEN = Decimal(1)
BPS_PER_UNIT = Decimal(10_000)


def require_int(value: Any, field: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` if it is a plain int within bounds; raise ``ValidationError`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            field, f"{field} must be an integer, got {type(value).__name__}", reason="not_integer"
        )
    if minimum is not None and value < minimum:
        reason = "negative" if minimum == 0 else ("not_positive" if minimum == 1 else "below_minimum")
        raise ValidationError(field, f"{field} must be at least {minimum}, got {value}", reason=reason)
    if maximum is not None and value > maximum:
        raise ValidationError(field, f"{field} must be at most {maximum}, got {value}", reason="above_maximum")
    return value


def require_fen(value: Any, field: str, *, positive: bool = False) -> int:
    """An amount of money in fen: an int, never negative (never zero when ``positive``)."""
    return require_int(value, field, minimum=1 if positive else 0)


def round_fen(amount: Decimal) -> int:
    """Round a Decimal amount of fen half-up to a whole fen."""
    return int(amount.quantize(FEN, rounding=ROUND_HALF_UP, context=DECIMAL_CONTEXT))


def floor_to(amount: Decimal, unit_fen: int) -> int:
    """Round a Decimal amount of fen down to a multiple of ``unit_fen``."""
    with localcontext(DECIMAL_CONTEXT):
        units = (amount / unit_fen).to_integral_value(rounding=ROUND_FLOOR)
        return int(units) * unit_fen


def annual_rate(apr_bps: int) -> Decimal:
    """APR in basis points as a Decimal fraction: 600 -> 0.06."""
    with localcontext(DECIMAL_CONTEXT):
        return Decimal(apr_bps) / BPS_PER_UNIT
