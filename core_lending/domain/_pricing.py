"""Price and credit line of a graded customer (design choices, documented here).

Price::

    APR = clamp(LPR + spread(grade) + label adjustment, LPR, min(product cap, 4 x LPR))

=====  ============  ==============================================
grade  spread (bps)  label adjustments (bps, summed)
=====  ============  ==============================================
A      +150          relationship A -50, B -25, C 0, D +50
B      +300          credit village -25
C      +500          repayment on_time -25, none 0, overdue_30 +100
D      +800          fraud risk medium +100, high +200, low 0
=====  ============  ==============================================

Grade D is priced only so that ``price`` is total (D is declined before pricing).
With the LPR at 3.00 % the guardrail is [300, 1200] bps: an A farmer of a credit village
with relationship A and an on-time history pays 300+150-50-25-25 = 350 bps (3.50 %).

Line::

    line = min(cap, floor_to_100_CNY(income x multiple(grade) x segment factor) - other debt), >= 0

multiple: A 1.0, B 0.8, C 0.5, D 0 (of annual income); segment factor: farmer 1.0,
small_business 1.2, urban_low_income 0.8, poverty_alleviation 1.0. Debt is subtracted
after the rounding, exactly as the formula reads, so a line need not be a round sum.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from types import MappingProxyType

from ._customer import CustomerProfile, FraudRisk, Labels, RelationshipGrade, RepaymentHistory, Segment
from ._errors import ValidationError
from ._money import DECIMAL_CONTEXT, floor_to, require_int
from ._product import DEFAULT_PRODUCT, Product
from ._scorecard import Grade

SPREAD_BPS = MappingProxyType({Grade.A: 150, Grade.B: 300, Grade.C: 500, Grade.D: 800})
RELATIONSHIP_ADJUSTMENT_BPS = MappingProxyType({
    RelationshipGrade.A: -50, RelationshipGrade.B: -25, RelationshipGrade.C: 0, RelationshipGrade.D: 50,
})
CREDIT_VILLAGE_ADJUSTMENT_BPS = -25
REPAYMENT_ADJUSTMENT_BPS = MappingProxyType({
    RepaymentHistory.NONE: 0, RepaymentHistory.ON_TIME: -25, RepaymentHistory.OVERDUE_30: 100,
})
FRAUD_ADJUSTMENT_BPS = MappingProxyType({FraudRisk.LOW: 0, FraudRisk.MEDIUM: 100, FraudRisk.HIGH: 200})

LINE_MULTIPLE = MappingProxyType({
    Grade.A: Decimal("1.0"), Grade.B: Decimal("0.8"), Grade.C: Decimal("0.5"), Grade.D: Decimal(0),
})
SEGMENT_FACTOR = MappingProxyType({
    Segment.FARMER: Decimal("1.0"),
    Segment.SMALL_BUSINESS: Decimal("1.2"),
    Segment.URBAN_LOW_INCOME: Decimal("0.8"),
    Segment.POVERTY_ALLEVIATION: Decimal("1.0"),
})
LINE_ROUNDING_FEN = 10_000  # lines are set in whole hundreds of CNY


def apr_bounds(lpr_bps: int, product: Product = DEFAULT_PRODUCT) -> tuple[int, int]:
    """The APR guardrail ``(LPR, min(cap, 4 x LPR))`` in basis points.

    >>> apr_bounds(300)
    (300, 1200)
    """
    require_int(lpr_bps, "lpr_bps", minimum=1)
    upper = min(product.apr_cap_bps, 4 * lpr_bps)
    if upper < lpr_bps:
        raise ValidationError(
            "lpr_bps",
            f"LPR {lpr_bps} bps is above the product's APR cap of {product.apr_cap_bps} bps; "
            "no APR can satisfy the guardrail",
            reason="above_maximum",
        )
    return lpr_bps, upper


def label_adjustment_bps(labels: Labels) -> int:
    """The sum of the label adjustments for ``labels``."""
    return (
        RELATIONSHIP_ADJUSTMENT_BPS[labels.relationship_grade]
        + (CREDIT_VILLAGE_ADJUSTMENT_BPS if labels.credit_village else 0)
        + REPAYMENT_ADJUSTMENT_BPS[labels.repayment_history]
        + FRAUD_ADJUSTMENT_BPS[labels.fraud_risk]
    )


def price(grade: Grade, labels: Labels, lpr_bps: int, product: Product = DEFAULT_PRODUCT) -> int:
    """APR in basis points for a customer of ``grade`` with ``labels``, clamped into ``apr_bounds``.

    >>> from core_lending.domain import Labels
    >>> labels = Labels("low", "A", 5, True, "on_time", "clean")
    >>> price(Grade.A, labels, 300)
    350
    """
    low, high = apr_bounds(lpr_bps, product)
    raw = lpr_bps + SPREAD_BPS[Grade(grade)] + label_adjustment_bps(labels)
    return max(low, min(high, raw))


def credit_line(profile: CustomerProfile, grade: Grade, product: Product = DEFAULT_PRODUCT) -> int:
    """The credit line in fen for ``profile`` at ``grade`` (0 when nothing is left).

    >>> from core_lending.domain import CustomerProfile, Labels
    >>> from datetime import date
    >>> p = CustomerProfile("farmer", date(1980, 1, 1), 3_000_000, 500_000,
    ...                     Labels("low", "B", 3, False, "none", "clean"))
    >>> credit_line(p, Grade.B)   # 30,000 x 0.8 x 1.0 = 24,000, minus 5,000 of debt
    1900000
    """
    with localcontext(DECIMAL_CONTEXT):
        gross = Decimal(profile.annual_income_fen) * LINE_MULTIPLE[Grade(grade)] * SEGMENT_FACTOR[profile.segment]
    line = min(product.line_cap_fen, floor_to(gross, LINE_ROUNDING_FEN) - profile.other_debt_fen)
    return max(0, line)
