"""Client-side Prometheus metrics, kept in a registry the caller owns."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from monitoring.probe import names

__all__ = ["ClientMetrics"]


class ClientMetrics:
    """``lending_client_request_duration_seconds{route,outcome,track}`` and telemetry drops.

    Build one per registry and share it between clients (a registry refuses a second
    metric of the same name)::

        metrics = ClientMetrics(CollectorRegistry())
        a = LendingClient(url, token, metrics=metrics)
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.duration = Histogram(
            names.CLIENT_DURATION,
            "Latency of lending API calls as the client saw them.",
            ["route", "outcome", "track"],
            buckets=names.HTTP_BUCKETS,
            registry=registry,
        )
        self.telemetry_dropped = Counter(
            "lending_client_telemetry_dropped",
            "Client telemetry events dropped because the buffer was full.",
            registry=registry,
        )

    def observe(self, *, route: str, outcome: str, track: str | None, seconds: float) -> None:
        self.duration.labels(route=route, outcome=outcome, track=track or "unknown").observe(seconds)
