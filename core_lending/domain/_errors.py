"""The one exception hierarchy of the lending domain.

::

    DomainError                     code "domain-error"
    ├── ValidationError             code "validation-error"      (field, reason)
    ├── CreditUnavailable           code "credit-unavailable"    (reason)
    ├── InsufficientCredit          code "insufficient-credit"   (available_fen, requested_fen)
    ├── Overpayment                 code "overpayment"           (due_fen, amount_fen)
    ├── InvalidTransition           code "invalid-transition"    (current, event)
    ├── KnockedOut                  code "knocked-out"           (knockouts)
    ├── LprUnavailable              code "lpr-unavailable"       (day)
    └── InvariantViolation          code "invariant-violation"   (invariant)

``code`` is a stable slug, usable as the last segment of a problem+json ``type``
(``https://lendops.dev/problems/<code>``); ``title`` is the matching short title;
``fields()`` returns the structured members (JSON-ready) to add to the problem body.
The domain says nothing about HTTP status codes: that mapping belongs to the API.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every error the domain raises."""

    code: ClassVar[str] = "domain-error"
    title: ClassVar[str] = "Domain rule violated"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def fields(self) -> dict[str, Any]:
        """Structured, JSON-ready members describing this error (without ``detail``)."""
        return {}


class ValidationError(DomainError, ValueError):
    """An input value is unacceptable.

    ``field`` names the offending input (as the HTTP API spells it), ``reason`` is a
    stable slug: ``not_integer``, ``not_positive``, ``negative``, ``below_minimum``,
    ``above_maximum``, ``unknown_value``, ``out_of_range``, ``wrong_type``, ``invalid``.
    """

    code = "validation-error"
    title = "Invalid input"

    def __init__(self, field: str, detail: str, *, reason: str = "invalid") -> None:
        super().__init__(detail)
        self.field = field
        self.reason = reason

    def fields(self) -> dict[str, Any]:
        return {"field": self.field, "reason": self.reason}


class CreditUnavailable(DomainError):
    """There is no usable credit line: none granted, declined, frozen or expired."""

    code = "credit-unavailable"
    title = "Credit unavailable"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason

    def fields(self) -> dict[str, Any]:
        return {"reason": self.reason}


class InsufficientCredit(DomainError):
    """The requested amount exceeds the credit still available."""

    code = "insufficient-credit"
    title = "Insufficient credit"

    def __init__(self, *, available_fen: int, requested_fen: int) -> None:
        super().__init__(
            f"requested {requested_fen} fen but only {available_fen} fen of credit is available"
        )
        self.available_fen = available_fen
        self.requested_fen = requested_fen

    def fields(self) -> dict[str, Any]:
        return {"available_fen": self.available_fen, "requested_fen": self.requested_fen}


class Overpayment(DomainError):
    """A repayment larger than everything owed (outstanding principal + accrued interest)."""

    code = "overpayment"
    title = "Repayment exceeds the amount owed"

    def __init__(self, *, due_fen: int, amount_fen: int) -> None:
        super().__init__(
            f"repayment of {amount_fen} fen exceeds the {due_fen} fen owed; pay at most {due_fen} fen"
        )
        self.due_fen = due_fen
        self.amount_fen = amount_fen

    def fields(self) -> dict[str, Any]:
        return {"due_fen": self.due_fen, "amount_fen": self.amount_fen}


class InvalidTransition(DomainError):
    """A loan event that the loan's current status does not allow."""

    code = "invalid-transition"
    title = "Loan status does not allow this"

    def __init__(self, current: str, event: str) -> None:
        super().__init__(f"a loan in status {current!s} cannot take the event {event!s}")
        self.current = str(current)
        self.event = str(event)

    def fields(self) -> dict[str, Any]:
        return {"current": self.current, "event": self.event}


class KnockedOut(DomainError):
    """The customer hits one or more knock-out rules of the scorecard."""

    code = "knocked-out"
    title = "Customer not eligible"

    def __init__(self, knockouts: Sequence[str]) -> None:
        super().__init__("customer is not eligible: " + ", ".join(knockouts))
        self.knockouts = tuple(knockouts)

    def fields(self) -> dict[str, Any]:
        return {"knockouts": list(self.knockouts)}


class LprUnavailable(DomainError):
    """No Loan Prime Rate is known for the day asked (before the first entry)."""

    code = "lpr-unavailable"
    title = "No reference rate for that day"

    def __init__(self, day: date, first: date | None) -> None:
        when = f"; the schedule starts on {first.isoformat()}" if first else "; the schedule is empty"
        super().__init__(f"no one-year LPR is in force on {day.isoformat()}{when}")
        self.day = day

    def fields(self) -> dict[str, Any]:
        return {"day": self.day.isoformat()}


class InvariantViolation(DomainError):
    """Stored state breaks a rule that must always hold (e.g. used credit above the line)."""

    code = "invariant-violation"
    title = "Ledger invariant broken"

    def __init__(self, invariant: str, detail: str) -> None:
        super().__init__(detail)
        self.invariant = invariant

    def fields(self) -> dict[str, Any]:
        return {"invariant": self.invariant}
