"""Synthetic stable/canary services for the tests: real prometheus-client registries
with the service's metric names, driven by a seeded random generator."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from monitoring.probe import names
from release.analysis import Snapshot, parse_exposition
from release.analysis._scrape import SCRAPE_DESCRIPTIONS


@dataclass
class Build:
    """What a build does: error share, latency (seconds), decline share, APR and lines."""

    error_rate: float = 0.002
    latency: float = 0.012
    latency_jitter: float = 0.006
    decline_share: float = 0.3
    apr_mean: float = 900.0
    apr_sd: float = 120.0
    line_mean: float = 2_500_000.0
    cap_share: float = 0.05
    apr_outside_share: float = 0.0
    grade_weights: tuple[float, float, float] = (0.3, 0.4, 0.3)  # approved A, B, C


@dataclass
class Service:
    """One track's /metrics, as a real prometheus-client registry."""

    track: str
    build: Build
    rng: random.Random
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.http = Histogram(names.HTTP_DURATION, "d", ["http_route", "http_request_method",
                                                         "http_response_status_code", "track"],
                              buckets=names.HTTP_BUCKETS, registry=r)
        self.decisions = Counter("lending_credit_decisions", "d", ["decision", "grade", "branch", "track"], registry=r)
        self.apr = Histogram(names.APR, "a", ["track"], buckets=names.APR_BUCKETS_BPS, registry=r)
        self.line = Histogram(names.GRANTED_LINE, "l", ["track"], buckets=names.LINE_BUCKETS_FEN, registry=r)
        self.outside = Counter("lending_apr_outside_guardrail", "o", ["track"], registry=r)
        self.outside.labels(track=self.track)

    def request(self) -> None:
        b, rng = self.build, self.rng
        status = "500" if rng.random() < b.error_rate else "200"
        route = rng.choice(["/v1/credit-applications", "/v1/loans/<loan_id>"])
        seconds = max(0.0005, b.latency + rng.gauss(0.0, b.latency_jitter))
        self.http.labels(route, "POST", status, self.track).observe(seconds)
        if rng.random() < 0.05:  # probes are not /v1 and must be ignored
            self.http.labels("/healthz", "GET", "500", self.track).observe(3.0)
        if status == "200" and route == "/v1/credit-applications":
            declined = rng.random() < b.decline_share
            grade = rng.choices("ABC", weights=b.grade_weights)[0] if not declined else "D"
            self.decisions.labels("declined" if declined else "approved", grade, "3301", self.track).inc()
            if not declined:
                self.apr.labels(self.track).observe(round(rng.gauss(b.apr_mean, b.apr_sd)))
                at_cap = rng.random() < b.cap_share
                line = 5_000_000 if at_cap else min(4_900_000, max(100_000, round(rng.gauss(b.line_mean, 800_000), -4)))
                self.line.labels(self.track).observe(line)
                if rng.random() < b.apr_outside_share:
                    self.outside.labels(self.track).inc()

    def text(self) -> str:
        return generate_latest(self.registry).decode()


class Pair:
    """Stable and canary side by side; ``weight`` is the canary's share of requests."""

    def __init__(self, stable: Build, canary: Build, *, weight: float = 0.5, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.weight = weight
        self.services = {"stable": Service("stable", stable, random.Random(seed + 1)),
                         "canary": Service("canary", canary, random.Random(seed + 2))}
        self.t = 0.0

    def traffic(self, n: int) -> None:
        for _ in range(n):
            track = "canary" if self.rng.random() < self.weight else "stable"
            self.services[track].request()

    def describe(self, quantity: str, track: str = "canary") -> str:
        return SCRAPE_DESCRIPTIONS[quantity]

    def snapshot(self) -> Snapshot:
        self.t += 1.0
        return Snapshot(self.t, {t: parse_exposition(s.text(), t) for t, s in self.services.items()})
