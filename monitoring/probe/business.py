"""Business metrics of the credit path, all labelled by track."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from . import names


class BusinessMetrics:
    """Typed recorders for the signals an SRE compares between stable and canary."""

    def __init__(self, *, track: str, registry: CollectorRegistry) -> None:
        self.track = track
        self._decisions = Counter(
            names.CREDIT_DECISIONS.removesuffix("_total"),
            "Credit decisions by outcome, grade and branch.",
            ["decision", "grade", "branch", "track"],
            registry=registry,
        )
        self._line = Histogram(
            names.GRANTED_LINE, "Granted credit line in fen.", ["track"],
            buckets=names.LINE_BUCKETS_FEN, registry=registry,
        )
        self._apr = Histogram(
            names.APR, "APR of granted credit in basis points.", ["track"],
            buckets=names.APR_BUCKETS_BPS, registry=registry,
        )
        self._apr_outside = Counter(
            names.APR_OUTSIDE_GUARDRAIL.removesuffix("_total"),
            "Priced APRs outside [LPR, min(cap, 4 x LPR)].", ["track"], registry=registry,
        )
        self._drawdowns = Counter(
            names.DRAWDOWNS.removesuffix("_total"), "Drawdown requests by outcome.",
            ["outcome", "track"], registry=registry,
        )
        self._disbursement = Histogram(
            names.DISBURSEMENT_DURATION, "Time from drawdown to payout, by outcome.",
            ["outcome", "track"], buckets=names.DISBURSEMENT_BUCKETS, registry=registry,
        )
        self._stuck = Gauge(
            names.DISBURSEMENTS_STUCK, "Disbursements pending longer than 10 minutes.",
            ["track"], registry=registry,
            # The latest count wins, whichever process measured it; a recycled worker
            # must not pin an old maximum forever.
            multiprocess_mode="mostrecent",
        )
        self._replays = Counter(
            names.IDEMPOTENT_REPLAYS.removesuffix("_total"),
            "Requests answered from the idempotency record.", ["route", "track"],
            registry=registry,
        )
        self._apr_outside.labels(track=track)
        self._stuck.labels(track=track)

    def credit_decision(self, decision: str, *, grade: str, branch: str) -> None:
        self._decisions.labels(decision=decision, grade=grade, branch=branch, track=self.track).inc()

    def granted(self, *, line_fen: int, apr_bps: int, outside_guardrail: bool) -> None:
        self._line.labels(track=self.track).observe(line_fen)
        self._apr.labels(track=self.track).observe(apr_bps)
        if outside_guardrail:
            self._apr_outside.labels(track=self.track).inc()

    def drawdown(self, outcome: str) -> None:
        self._drawdowns.labels(outcome=outcome, track=self.track).inc()

    def disbursement(self, *, seconds: float, outcome: str) -> None:
        self._disbursement.labels(outcome=outcome, track=self.track).observe(seconds)

    def stuck_disbursements(self, count: int) -> None:
        self._stuck.labels(track=self.track).set(count)

    def idempotent_replay(self, route: str) -> None:
        self._replays.labels(route=route, track=self.track).inc()
