"""Metrics of the synthetic prober, in a registry the caller owns."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from monitoring.probe import names

__all__ = ["ProberMetrics", "STEP_SUCCESS", "STEP_FAILURE", "STEP_DURATION", "JOURNEY_DURATION", "JOURNEYS"]

STEP_SUCCESS = "lending_probe_step_success_total"
STEP_FAILURE = "lending_probe_step_failure_total"
STEP_DURATION = "lending_probe_step_duration_seconds"
JOURNEYS = "lending_probe_journeys_total"
JOURNEY_DURATION = "lending_probe_journey_duration_seconds"
LAST_SUCCESS = "lending_probe_last_success_timestamp_seconds"

# Journeys include waiting for the payout (promise: 3 minutes), so they need long buckets.
JOURNEY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 180.0, 300.0)


class ProberMetrics:
    """Per-step success, failure (by reason) and latency, labelled by the track that served it.

    ``track`` is taken from ``X-Lending-Track``; ``unknown`` when no answer arrived.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.success = Counter(
            STEP_SUCCESS.removesuffix("_total"), "Journey steps that succeeded.", ["step", "track"], registry=registry
        )
        self.failure = Counter(
            STEP_FAILURE.removesuffix("_total"),
            "Journey steps that failed, by reason (http_error, timeout, connection_error, declined, stuck).",
            ["step", "reason", "track"],
            registry=registry,
        )
        self.step_duration = Histogram(
            STEP_DURATION, "Duration of one journey step as the prober saw it.", ["step", "track"],
            buckets=names.HTTP_BUCKETS + (30.0, 60.0, 120.0, 180.0, 300.0), registry=registry,
        )
        self.journeys = Counter(
            JOURNEYS.removesuffix("_total"), "Whole journeys by outcome (ok or the failing step).", ["outcome"],
            registry=registry,
        )
        self.journey_duration = Histogram(
            JOURNEY_DURATION, "Duration of a whole credit-path journey.", buckets=JOURNEY_BUCKETS, registry=registry
        )
        self.last_success = Gauge(LAST_SUCCESS, "Unix time of the last journey that completed.", registry=registry)
