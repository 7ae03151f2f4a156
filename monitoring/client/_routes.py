"""Route templates of the lending API.

Metrics and telemetry are labelled with the template (``/v1/loans/{loan_id}``), never
the filled-in path: one series per route, not one per loan.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

__all__ = ["Route", "ROUTES"]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    template: str
    #: Safe to send again after a transport error without changing the outcome
    #: (reads, and money-moving POSTs that carry an Idempotency-Key).
    retryable: bool = False

    def path(self, **params: object) -> str:
        return self.template.format(**{k: quote(str(v), safe="") for k, v in params.items()})


ROUTES: dict[str, Route] = {
    "register_customer": Route("POST", "/v1/customers"),
    "apply": Route("POST", "/v1/credit/applications"),
    "credit": Route("GET", "/v1/customers/{customer_id}/credit", retryable=True),
    "quote": Route("POST", "/v1/quotes"),
    "draw": Route("POST", "/v1/drawdowns", retryable=True),
    "loan": Route("GET", "/v1/loans/{loan_id}", retryable=True),
    "schedule": Route("GET", "/v1/loans/{loan_id}/schedule", retryable=True),
    "repay": Route("POST", "/v1/loans/{loan_id}/repayments", retryable=True),
    "branches": Route("GET", "/v1/branches", retryable=True),
    "version": Route("GET", "/version", retryable=True),
    "telemetry": Route("POST", "/v1/telemetry/client"),
}
