"""Repayment schedules of the four methods, to the fen.

- ``equal_installment`` (等额本息): PMT = P·i(1+i)^n / ((1+i)^n − 1) with i = APR/12,
  rounded half-up to the fen once; each period's interest is the outstanding principal
  times i, rounded half-up; the last installment takes whatever principal is left, so
  the principals sum to P exactly.
- ``equal_principal`` (等额本金): P/n rounded half-up each period (the last takes the
  residue) plus outstanding·i.
- ``interest_only`` (按月付息到期还本): outstanding·i each month, P with the last.
- ``revolving`` (随借随还): daily interest ACT/360 (APR/360 per actual day) on the drawn
  amount, shown as one installment at ``start + term_months``.

Due dates fall on the start's day of month, clamped to the month's end (31 Jan → 28/29
Feb → 31 Mar). The APR is always the true annual rate of the schedule (nominal, 12 ×
the monthly IRR); ``implied_apr_bps`` recovers it from the cash flows, which is how a
flat rate (a "flat 6 %" is about 10.9 % APR) is caught before it is ever shown as APR.

Check values (DOMAIN.md): 5,000,000 fen at 600 bps over 12 months gives 430,332 a month
and 163,986 of interest (equal installments); 441,667 down to 418,746 and 162,500
(equal principal); 25,000 a month (interest only); 25,000 for 30 days (revolving).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from enum import StrEnum
from typing import Any

from ._customer import coerce_date, coerce_enum
from ._errors import ValidationError
from ._money import DECIMAL_CONTEXT, annual_rate, require_fen, require_int, round_fen
from ._product import DEFAULT_PRODUCT, Product


class RepaymentMethod(StrEnum):
    REVOLVING = "revolving"
    INTEREST_ONLY = "interest_only"
    EQUAL_INSTALLMENT = "equal_installment"
    EQUAL_PRINCIPAL = "equal_principal"


DAY_COUNT_BASIS = 360  # ACT/360, RMB loan practice


@dataclass(frozen=True)
class Installment:
    number: int
    due_date: date
    principal_fen: int
    interest_fen: int
    total_fen: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "due_date": self.due_date.isoformat(),
            "principal_fen": self.principal_fen,
            "interest_fen": self.interest_fen,
            "total_fen": self.total_fen,
        }


@dataclass(frozen=True)
class Schedule:
    method: RepaymentMethod
    principal_fen: int
    apr_bps: int
    term_months: int
    installments: tuple[Installment, ...]
    total_interest_fen: int

    @property
    def total_fen(self) -> int:
        """Everything the borrower pays: principal plus interest."""
        return self.principal_fen + self.total_interest_fen

    @property
    def maturity_date(self) -> date:
        return self.installments[-1].due_date

    def to_dict(self) -> dict[str, Any]:
        return {
            "repayment_method": self.method.value,
            "principal_fen": self.principal_fen,
            "apr_bps": self.apr_bps,
            "term_months": self.term_months,
            "installments": [i.to_dict() for i in self.installments],
            "total_interest_fen": self.total_interest_fen,
            "total_fen": self.total_fen,
        }


def add_months(start: date, months: int) -> date:
    """``start`` moved by ``months``, on the same day of month clamped to the month's end.

    >>> add_months(date(2024, 1, 31), 1), add_months(date(2024, 1, 31), 2)
    (datetime.date(2024, 2, 29), datetime.date(2024, 3, 31))
    """
    y, m = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def accrued_interest_fen(principal_fen: int, apr_bps: int, days: int) -> int:
    """Interest on ``principal_fen`` for ``days`` actual days, ACT/360, rounded half-up.

    >>> accrued_interest_fen(5_000_000, 600, 30)
    25000
    """
    require_fen(principal_fen, "principal_fen")
    require_int(apr_bps, "apr_bps", minimum=0)
    require_int(days, "days", minimum=0)
    with localcontext(DECIMAL_CONTEXT):
        return round_fen(Decimal(principal_fen) * annual_rate(apr_bps) * days / DAY_COUNT_BASIS)


def term_limit(method: RepaymentMethod, product: Product = DEFAULT_PRODUCT) -> int:
    """The longest term, in months, that ``method`` allows."""
    if method is RepaymentMethod.REVOLVING:
        return product.revolving_max_term_months
    return product.max_term_months


def build_schedule(
    principal_fen: int,
    apr_bps: int,
    term_months: int,
    method: RepaymentMethod,
    start: date,
    product: Product = DEFAULT_PRODUCT,
) -> Schedule:
    """The repayment schedule of a loan of ``principal_fen`` drawn on ``start``.

    >>> s = build_schedule(5_000_000, 600, 12, RepaymentMethod.EQUAL_INSTALLMENT, date(2025, 1, 15))
    >>> s.installments[0].total_fen, s.total_interest_fen
    (430332, 163986)
    """
    require_fen(principal_fen, "principal_fen", positive=True)
    require_int(apr_bps, "apr_bps", minimum=0)
    method = coerce_enum(RepaymentMethod, method, "repayment_method")
    start = coerce_date(start, "start")
    require_int(term_months, "term_months", minimum=1)
    limit = term_limit(method, product)
    if term_months > limit:
        raise ValidationError(
            "term_months", f"term_months for {method.value} must be within 1..{limit}, got {term_months}",
            reason="out_of_range",
        )
    rows = _ROWS[method](principal_fen, apr_bps, term_months, start)
    installments = tuple(
        Installment(number=k, due_date=due, principal_fen=p, interest_fen=i, total_fen=p + i)
        for k, (due, p, i) in enumerate(rows, start=1)
    )
    assert sum(x.principal_fen for x in installments) == principal_fen
    return Schedule(
        method=method,
        principal_fen=principal_fen,
        apr_bps=apr_bps,
        term_months=term_months,
        installments=installments,
        total_interest_fen=sum(x.interest_fen for x in installments),
    )


_Row = tuple[date, int, int]  # due date, principal, interest


def _monthly_rate(apr_bps: int) -> Decimal:
    with localcontext(DECIMAL_CONTEXT):
        return annual_rate(apr_bps) / 12


def _equal_installment(principal: int, apr_bps: int, n: int, start: date) -> list[_Row]:
    i = _monthly_rate(apr_bps)
    with localcontext(DECIMAL_CONTEXT):
        if i == 0:
            pmt = round_fen(Decimal(principal) / n)
        else:
            growth = (1 + i) ** n
            pmt = round_fen(principal * i * growth / (growth - 1))
        rows, outstanding = [], principal
        for k in range(1, n + 1):
            interest = round_fen(outstanding * i)
            part = outstanding if k == n else min(outstanding, pmt - interest)
            rows.append((add_months(start, k), part, interest))
            outstanding -= part
    return rows


def _equal_principal(principal: int, apr_bps: int, n: int, start: date) -> list[_Row]:
    i = _monthly_rate(apr_bps)
    with localcontext(DECIMAL_CONTEXT):
        per = round_fen(Decimal(principal) / n)
        rows, outstanding = [], principal
        for k in range(1, n + 1):
            interest = round_fen(outstanding * i)
            part = outstanding if k == n else min(outstanding, per)
            rows.append((add_months(start, k), part, interest))
            outstanding -= part
    return rows


def _interest_only(principal: int, apr_bps: int, n: int, start: date) -> list[_Row]:
    with localcontext(DECIMAL_CONTEXT):
        interest = round_fen(principal * _monthly_rate(apr_bps))
    return [(add_months(start, k), principal if k == n else 0, interest) for k in range(1, n + 1)]


def _revolving(principal: int, apr_bps: int, n: int, start: date) -> list[_Row]:
    due = add_months(start, n)
    return [(due, principal, accrued_interest_fen(principal, apr_bps, (due - start).days))]


_ROWS = {
    RepaymentMethod.EQUAL_INSTALLMENT: _equal_installment,
    RepaymentMethod.EQUAL_PRINCIPAL: _equal_principal,
    RepaymentMethod.INTEREST_ONLY: _interest_only,
    RepaymentMethod.REVOLVING: _revolving,
}


def implied_apr_bps(principal_fen: int, payments_fen: Sequence[int]) -> Decimal:
    """The nominal APR (12 × monthly IRR) of monthly ``payments_fen`` repaying ``principal_fen``,
    in basis points to two decimals. Bisection in Decimal: exact enough, no floats.

    A "flat 6 %" 12-month loan of 50,000 CNY (53,000 repaid in 12 equal parts) is about
    10.9 % APR:

    >>> implied_apr_bps(5_000_000, [441_667] * 11 + [441_663])
    Decimal('1089.64')
    """
    require_fen(principal_fen, "principal_fen", positive=True)
    for p in payments_fen:
        require_fen(p, "payments_fen")
    if sum(payments_fen) < principal_fen:
        raise ValidationError("payments_fen", "payments repay less than the principal", reason="invalid")
    with localcontext(DECIMAL_CONTEXT):
        def present_value(r: Decimal) -> Decimal:
            factor, total = Decimal(1), Decimal(0)
            for p in payments_fen:
                factor /= 1 + r
                total += p * factor
            return total

        lo, hi = Decimal(0), Decimal(1)  # monthly rate; PV falls as r rises
        for _ in range(80):
            mid = (lo + hi) / 2
            if present_value(mid) > principal_fen:
                lo = mid
            else:
                hi = mid
        return ((lo + hi) / 2 * 12 * 10_000).quantize(Decimal("0.01"))
