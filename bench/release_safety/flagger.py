"""A baseline judge that reproduces Flagger's default canary analysis.

Flagger (docs: "Canary analysis", built-in metrics) checks the canary once per
``interval`` (default 1 m) against fixed thresholds over the last interval:

- ``request-success-rate``: ``100 - 5xx / requests * 100`` must be at least 99 (%);
- ``request-duration``: ``histogram_quantile(0.99, ...)`` must be at most 500 (ms);

A check fails when any metric breaches its threshold *or returns no values* (no canary
requests in the window: Flagger reports "no values found" and counts a failed check).
After ``threshold`` (default 5) failed checks the canary is rolled back, so the fastest
possible rollback is ``interval * threshold`` = 300 s after the canary starts.

The judge replays recorded metric streams: a list of cumulative per-track snapshots
(``release.analysis.Snapshot``), taken at increasing times, the first at canary start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from release.analysis._snapshot import Hist, Snapshot, increment

__all__ = ["FlaggerSettings", "FlaggerCheck", "FlaggerOutcome", "histogram_quantile", "replay"]

@dataclass(frozen=True)
class FlaggerSettings:
    interval_s: float = 60.0
    threshold: int = 5
    min_success_rate_pct: float = 99.0
    max_p99_ms: float = 500.0

@dataclass(frozen=True)
class FlaggerCheck:
    at_s: float
    requests: float
    success_rate_pct: float | None
    p99_ms: float | None
    failed: bool
    why: str

@dataclass(frozen=True)
class FlaggerOutcome:
    rolled_back: bool
    decided_at_s: float | None
    checks: tuple[FlaggerCheck, ...]

    @property
    def failed_checks(self) -> int:
        return sum(c.failed for c in self.checks)

def histogram_quantile(q: float, hist: Hist) -> float | None:
    """Prometheus' ``histogram_quantile``: linear interpolation inside the bucket that
    holds the rank; a rank in the +Inf bucket answers the highest finite bound."""
    total = hist.count
    if total <= 0 or not hist.buckets:
        return None
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for le, cumulative in hist.buckets:
        if cumulative >= rank:
            in_bucket = cumulative - lower_count
            if in_bucket <= 0:
                return le
            return lower_bound + (le - lower_bound) * (rank - lower_count) / in_bucket
        lower_bound, lower_count = le, cumulative
    return hist.buckets[-1][0]

def _check(at_s: float, window_start: Snapshot, window_end: Snapshot,
           settings: FlaggerSettings) -> FlaggerCheck:
    canary = increment(window_end, window_start).track("canary")
    requests = canary.counter("requests")
    if requests <= 0:
        return FlaggerCheck(at_s, 0.0, None, None, True, "no values found for request-success-rate")
    success = 100.0 - canary.counter("errors") / requests * 100.0
    p99_s = histogram_quantile(0.99, canary.histogram("latency"))
    p99_ms = None if p99_s is None else p99_s * 1000.0
    reasons = []
    if success < settings.min_success_rate_pct:
        reasons.append(f"request-success-rate {success:.2f}% < {settings.min_success_rate_pct}%")
    if p99_ms is None:
        reasons.append("no values found for request-duration")
    elif p99_ms > settings.max_p99_ms:
        reasons.append(f"request-duration p99 {p99_ms:.0f}ms > {settings.max_p99_ms:.0f}ms")
    return FlaggerCheck(at_s, requests, success, p99_ms, bool(reasons), "; ".join(reasons) or "ok")

def _at_or_before(stream: Sequence[Snapshot], t: float) -> Snapshot:
    best = stream[0]
    for snap in stream:
        if snap.taken_at <= t + 1e-9:
            best = snap
        else:
            break
    return best

def replay(stream: Sequence[Snapshot], settings: FlaggerSettings = FlaggerSettings()) -> FlaggerOutcome:
    """Run Flagger's checks over a recorded stream; ``decided_at_s`` is seconds after the
    first snapshot (canary start) at which the rollback happens, if it does."""
    if not stream:
        raise ValueError("an empty stream cannot be judged")
    start = stream[0].taken_at
    end = stream[-1].taken_at
    checks: list[FlaggerCheck] = []
    failed = 0
    k = 1
    while start + k * settings.interval_s <= end + 1e-9:
        t = start + k * settings.interval_s
        check = _check(t - start, _at_or_before(stream, t - settings.interval_s),
                       _at_or_before(stream, t), settings)
        checks.append(check)
        failed += check.failed
        if failed >= settings.threshold:
            return FlaggerOutcome(True, t - start, tuple(checks))
        k += 1
    return FlaggerOutcome(False, None, tuple(checks))

def horizon_needed(settings: FlaggerSettings = FlaggerSettings()) -> float:
    """The shortest stream on which Flagger can reach a rollback."""
    return settings.interval_s * settings.threshold
