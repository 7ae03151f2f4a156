"""The router's own Prometheus metrics, on a registry the caller passes in."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from .config import RouterConfig

__all__ = ["RouterMetrics", "code_class"]

# Latency buckets from sub-millisecond (router overhead) up to the service's slow tail.
_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def code_class(status: int) -> str:
    return f"{status // 100}xx"


class RouterMetrics:
    def __init__(self, registry: CollectorRegistry, *, with_requests: bool = True) -> None:
        self.registry = registry
        self.canary_weight = Gauge(
            "lendops_router_canary_weight", "Percent of non-cohort traffic sent to canary.",
            registry=registry,
        )
        self.cohort_size = Gauge(
            "lendops_router_cohort_size", "Branch codes always routed to canary.", registry=registry
        )
        self.generation = Gauge(
            "lendops_router_config_generation", "Generation of the config in force.",
            registry=registry,
        )
        if with_requests:
            self.requests = Counter(
                "lendops_router_requests", "Requests answered, by track and status class.",
                ["track", "code_class"], registry=registry,
            )
            self.duration = Histogram(
                "lendops_router_request_duration_seconds",
                "Time from request received to response sent, by track.",
                ["track"], buckets=_BUCKETS, registry=registry,
            )
            self.upstream_errors = Counter(
                "lendops_router_upstream_errors", "Requests the backend could not answer.",
                ["track", "reason"], registry=registry,
            )

    def observe_config(self, config: RouterConfig) -> None:
        self.canary_weight.set(config.weight)
        self.cohort_size.set(len(config.cohort))
        self.generation.set(config.generation)
