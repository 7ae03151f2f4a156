"""Thresholds and objectives of the lending service's rules, validated once."""

from __future__ import annotations

from dataclasses import dataclass

from monitoring.probe import names

__all__ = ["RuleSettings", "RulesError"]


class RulesError(ValueError):
    """A rule setting that cannot produce correct rules."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True, slots=True)
class RuleSettings:
    #: Share of credit-path requests that must not answer 5xx (99.9 %).
    availability_objective: float = 0.999
    #: Share of credit-path requests that must finish under ``latency_threshold_s``.
    latency_objective: float = 0.99
    #: Must be a bucket bound of the server histogram, or the SLI cannot be read exactly.
    latency_threshold_s: float = 0.5
    #: ``http_route`` values (Flask rule syntax) that make up the credit path.
    credit_path_routes: str = "/v1/(customers|credit|quotes|drawdowns|loans).*"
    #: Approval-rate difference canary vs stable that alerts (0.10 = 10 percentage points).
    approval_drift: float = 0.10
    #: Decisions each track needs in the drift window before drift is judged at all:
    #: a handful of decisions says nothing about a rate.
    approval_min_decisions: int = 20
    approval_window: str = "30m"
    #: Promise to the customer: money in the account in 3 minutes at p95.
    disbursement_p95_s: float = 180.0
    #: Synthetic journeys failing in 15 minutes before the prober alert fires.
    probe_failures: int = 3

    def validate(self) -> RuleSettings:
        for name in ("availability_objective", "latency_objective"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise RulesError(name, f"must be strictly between 0 and 1, got {value}")
        if self.latency_threshold_s not in names.HTTP_BUCKETS:
            raise RulesError("latency_threshold_s", f"must be one of the histogram buckets {names.HTTP_BUCKETS}")
        if not 0.0 < self.approval_drift < 1.0:
            raise RulesError("approval_drift", f"must be between 0 and 1, got {self.approval_drift}")
        if self.approval_min_decisions < 1:
            raise RulesError("approval_min_decisions", "must be at least 1")
        if self.disbursement_p95_s <= 0:
            raise RulesError("disbursement_p95_s", "must be positive")
        return self
