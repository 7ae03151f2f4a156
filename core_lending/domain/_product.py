"""The product: the cooperative's 50,000 CNY online microloan (便民快贷), as typed settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ._errors import ValidationError
from ._money import require_int


@dataclass(frozen=True)
class Product:
    """Limits of the online microloan. Money in fen, rates in basis points.

    line_cap_fen: the largest credit line per household, 50,000 CNY (a product rule).
    apr_cap_bps: the product's APR ceiling, 15 % (design choice: DOMAIN.md puts
        individual rural e-loans at "up to roughly 9-15 %"; the guardrail is
        ``LPR <= APR <= min(apr_cap_bps, 4 x LPR)``, so with LPR 3.00 % the 4 x LPR
        court limit of 12 % binds first).
    min_draw_fen: the smallest drawdown, 100 CNY.
    max_term_months: the longest term of an installment loan, 36 months.
    revolving_max_term_months: the longest term of a revolving (随借随还) draw, 12 months.
    credit_validity_days: how long a granted line stays usable, 365 days (design choice:
        a yearly review of the customer manager's labels).
    """

    line_cap_fen: int = 5_000_000
    apr_cap_bps: int = 1500
    min_draw_fen: int = 10_000
    max_term_months: int = 36
    revolving_max_term_months: int = 12
    credit_validity_days: int = 365

    def __post_init__(self) -> None:
        for name in ("line_cap_fen", "apr_cap_bps", "min_draw_fen", "max_term_months",
                     "revolving_max_term_months", "credit_validity_days"):
            require_int(getattr(self, name), name, minimum=1)
        if self.min_draw_fen > self.line_cap_fen:
            raise ValidationError("min_draw_fen", "min_draw_fen must not exceed line_cap_fen",
                                  reason="above_maximum")

    def credit_expires_on(self, granted_on: date) -> date:
        """Last day a line granted on ``granted_on`` can be drawn."""
        return granted_on + timedelta(days=self.credit_validity_days)


DEFAULT_PRODUCT = Product()
