"""Live per-track numbers from counters: pure arithmetic over two samples of a
target's /metrics (no I/O here)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Counters", "TrackNumbers", "quantile", "numbers_between"]


@dataclass(frozen=True, slots=True)
class Counters:
    """Cumulative counts read from one scrape of one track."""

    requests: float = 0.0
    errors: float = 0.0
    #: Upper bound → cumulative count of the request-duration histogram (business API only).
    buckets: tuple[tuple[float, float], ...] = ()
    decisions: float = 0.0
    approved: float = 0.0
    version: str | None = None
    served_track: str | None = None

    def minus(self, base: Counters) -> Counters:
        """Increase since ``base``; a counter that went down means a restart, so the new
        value is the whole increase (as Prometheus' ``increase`` treats resets)."""
        def d(new: float, old: float) -> float:
            return new if new < old else new - old

        old = dict(base.buckets)
        return Counters(
            requests=d(self.requests, base.requests), errors=d(self.errors, base.errors),
            buckets=tuple((le, d(n, old.get(le, 0.0))) for le, n in self.buckets),
            decisions=d(self.decisions, base.decisions), approved=d(self.approved, base.approved),
            version=self.version, served_track=self.served_track,
        )


def quantile(q: float, buckets: tuple[tuple[float, float], ...]) -> float | None:
    """Prometheus ``histogram_quantile`` over cumulative buckets (linear within a bucket;
    the +Inf bucket answers its lower bound)."""
    ordered = sorted(buckets)
    if not ordered or ordered[-1][1] <= 0:
        return None
    rank = q * ordered[-1][1]
    lower, below = 0.0, 0.0
    for le, count in ordered:
        if count >= rank:
            if math.isinf(le):
                return lower
            if count == below:
                return le
            return lower + (le - lower) * (rank - below) / (count - below)
        lower, below = le, count
    return lower


@dataclass(frozen=True, slots=True)
class TrackNumbers:
    """What the console shows for one track."""

    track: str
    source: str
    up: bool
    version: str | None = None
    request_rate: float | None = None
    error_ratio: float | None = None
    p99_s: float | None = None
    approval_rate: float | None = None
    requests: float = 0.0
    decisions: float = 0.0
    basis: str = ""
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def numbers_between(track: str, newest: Counters, newest_t: float, base: Counters | None, base_t: float | None,
                    *, source: str = "scrape") -> TrackNumbers:
    """Rates over [base_t, newest_t]; ratios over the same span when it saw traffic, else
    since the process started (so a quiet track still shows its error ratio and p99)."""
    delta = newest.minus(base) if base is not None else None
    seconds = (newest_t - base_t) if base_t is not None else None
    rate = delta.requests / seconds if delta is not None and seconds else None
    windowed = delta is not None and delta.requests > 0
    basis_counts = delta if windowed and delta is not None else newest
    basis = f"last {seconds:.0f} s" if windowed and seconds is not None else "since start"
    approvals = delta if delta is not None and delta.decisions > 0 else newest
    return TrackNumbers(
        track=track, source=source, up=True, version=newest.version,
        request_rate=rate,
        error_ratio=basis_counts.errors / basis_counts.requests if basis_counts.requests else None,
        p99_s=quantile(0.99, basis_counts.buckets),
        approval_rate=approvals.approved / approvals.decisions if approvals.decisions else None,
        requests=basis_counts.requests, decisions=approvals.decisions, basis=basis,
    )
