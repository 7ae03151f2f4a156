"""The Flagger baseline used by bench/release_safety must reproduce Flagger's defaults."""

from __future__ import annotations

import pytest

from bench.release_safety.flagger import FlaggerSettings, histogram_quantile, replay
from release.analysis._snapshot import Hist, Snapshot, TrackSnapshot

BOUNDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


def _track(requests: int, errors: int, latency_s: float) -> TrackSnapshot:
    buckets = {le: (requests if latency_s <= le else 0) for le in BOUNDS}
    buckets[float("inf")] = requests
    return TrackSnapshot(
        {"requests": requests, "errors": errors},
        {"latency": Hist.from_cumulative(buckets, sum=requests * latency_s, count=requests)},
    )


def _stream(seconds: int, *, rps: int, error_every: int = 0, latency_s: float = 0.02) -> list[Snapshot]:
    out = []
    for t in range(seconds + 1):
        n = rps * t
        e = n // error_every if error_every else 0
        out.append(Snapshot(float(t), {"stable": _track(n, 0, 0.02), "canary": _track(n, e, latency_s)}))
    return out


def test_quantile_interpolates_like_prometheus() -> None:
    hist = Hist.from_cumulative({0.1: 50, 0.2: 100, float("inf"): 100}, count=100)
    assert histogram_quantile(0.5, hist) == pytest.approx(0.1)
    assert histogram_quantile(0.99, hist) == pytest.approx(0.198)
    tail = Hist.from_cumulative({0.1: 10, float("inf"): 100}, count=100)
    assert histogram_quantile(0.99, tail) == pytest.approx(0.1)


def test_healthy_canary_is_never_rolled_back() -> None:
    outcome = replay(_stream(600, rps=10))
    assert not outcome.rolled_back
    assert len(outcome.checks) == 10 and outcome.failed_checks == 0


def test_error_canary_rolls_back_after_interval_times_threshold() -> None:
    outcome = replay(_stream(600, rps=10, error_every=20))  # 5 % errors
    assert outcome.rolled_back and outcome.decided_at_s == pytest.approx(300.0)
    assert "request-success-rate" in outcome.checks[0].why


def test_latency_below_500ms_goes_unnoticed() -> None:
    assert not replay(_stream(600, rps=10, latency_s=0.22)).rolled_back
    slow = replay(_stream(600, rps=10, latency_s=0.9))
    assert slow.rolled_back and "request-duration" in slow.checks[0].why


def test_no_traffic_counts_as_failed_checks() -> None:
    outcome = replay(_stream(400, rps=0))
    assert outcome.rolled_back and outcome.checks[0].why.startswith("no values found")


def test_threshold_and_interval_are_settings() -> None:
    outcome = replay(_stream(100, rps=10, error_every=20), FlaggerSettings(interval_s=10, threshold=2))
    assert outcome.decided_at_s == pytest.approx(20.0)
