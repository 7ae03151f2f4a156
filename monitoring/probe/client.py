"""Metrics of client telemetry: the latency the lending API's clients actually saw."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from . import names

__all__ = ["ClientMetrics"]


class ClientMetrics:
    """Recorders for client-reported requests and for the telemetry intake itself.

    ``track`` on the duration histogram is the track that served the client's request
    as the client saw it (the response header), which is what a canary comparison of
    client-side latency needs; the intake counter carries the receiving process' track.
    """

    def __init__(self, *, track: str, registry: CollectorRegistry) -> None:
        self.track = track
        self._duration = Histogram(
            names.CLIENT_DURATION,
            "Request duration as the client measured it, by route template, outcome "
            "and the track that served it.",
            ["route", "outcome", "track"],
            buckets=names.HTTP_BUCKETS, registry=registry,
        )
        self._events = Counter(
            names.CLIENT_TELEMETRY_EVENTS.removesuffix("_total"),
            "Client telemetry events received, by result (accepted/rejected).",
            ["result", "track"], registry=registry,
        )
        self._batches = Counter(
            names.CLIENT_TELEMETRY_BATCHES.removesuffix("_total"),
            "Client telemetry batches received, by result (accepted/rejected).",
            ["result", "track"], registry=registry,
        )
        for result in ("accepted", "rejected"):
            self._events.labels(result=result, track=track)
            self._batches.labels(result=result, track=track)

    def request(self, *, route: str, outcome: str, served_by: str, seconds: float) -> None:
        self._duration.labels(route=route, outcome=outcome, track=served_by).observe(seconds)

    def events(self, result: str, count: int = 1) -> None:
        if count:
            self._events.labels(result=result, track=self.track).inc(count)

    def batch(self, result: str) -> None:
        self._batches.labels(result=result, track=self.track).inc()
