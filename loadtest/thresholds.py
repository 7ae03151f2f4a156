"""Judging a run against its scenario's thresholds (pure: measurements in, verdicts out)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from .scenario import ALL, Thresholds
from .timings import LatencyHistogram

__all__ = ["Measures", "ThresholdResult", "evaluate"]

_QUANTILES = {"p50": 0.50, "p95": 0.95, "p99": 0.99, "max": 1.0}


@dataclass(frozen=True)
class Measures:
    """What a run achieved, as thresholds need it."""

    requests: int
    failures: int
    elapsed_s: float
    iterations: int
    scheduled: int
    dropped: int
    steps: Mapping[str, LatencyHistogram]


@dataclass(frozen=True)
class ThresholdResult:
    """One threshold's verdict. ``passed`` is ``None`` when there was nothing to judge."""

    name: str
    limit: float
    measured: float | None
    passed: bool | None
    unit: str = ""
    samples: int = 0
    note: str = ""

    def message(self) -> str:
        """One line naming the threshold, the measured value and the limit."""
        measured = "no data" if self.measured is None else f"{_fmt(self.measured)}{self.unit}"
        relation = {True: "within", False: "breaches", None: "not judged:"}[self.passed]
        extra = f" ({self.note})" if self.note else ""
        return f"threshold {self.name}: measured {measured}{extra}, {relation} limit {_fmt(self.limit)}{self.unit}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["message"] = self.message()
        return data


def _fmt(value: float) -> str:
    if value == int(value) and abs(value) >= 1:
        return f"{int(value)}"
    return f"{value:.4g}" if abs(value) < 1 else f"{value:.1f}"


def evaluate(thresholds: Thresholds, measures: Measures) -> list[ThresholdResult]:
    """Every threshold that is set, judged; the order follows the scenario file's fields."""
    results: list[ThresholdResult] = []
    elapsed = max(measures.elapsed_s, 1e-9)
    if thresholds.max_failure_ratio is not None:
        limit = thresholds.max_failure_ratio
        if measures.requests == 0:
            # A run that sent nothing has not shown the service works: that is a failure.
            results.append(ThresholdResult("max_failure_ratio", limit, None, False, note="no requests were made"))
        else:
            ratio = measures.failures / measures.requests
            results.append(ThresholdResult(
                "max_failure_ratio", limit, ratio, ratio <= limit, samples=measures.requests,
                note=f"{measures.failures} of {measures.requests} requests failed"))
    if thresholds.min_request_rate is not None:
        rate = measures.requests / elapsed
        results.append(ThresholdResult("min_request_rate", thresholds.min_request_rate, rate,
                                       rate >= thresholds.min_request_rate, unit=" req/s",
                                       samples=measures.requests))
    if thresholds.min_iteration_rate is not None:
        rate = measures.iterations / elapsed
        results.append(ThresholdResult("min_iteration_rate", thresholds.min_iteration_rate, rate,
                                       rate >= thresholds.min_iteration_rate, unit=" journeys/s",
                                       samples=measures.iterations))
    if thresholds.max_dropped_ratio is not None:
        limit = thresholds.max_dropped_ratio
        if measures.scheduled == 0:
            results.append(ThresholdResult("max_dropped_ratio", limit, None, False, note="no journey was scheduled"))
        else:
            ratio = measures.dropped / measures.scheduled
            results.append(ThresholdResult(
                "max_dropped_ratio", limit, ratio, ratio <= limit, samples=measures.scheduled,
                note=f"{measures.dropped} of {measures.scheduled} scheduled starts dropped"))
    for key, latency in thresholds.latency_ms.items():
        hist = _histogram(measures.steps, key)
        for quantile_name, limit in latency.limits().items():
            name = f"{quantile_name} of {key}"
            value = hist.percentile(_QUANTILES[quantile_name]) if hist is not None else None
            if value is None:
                # A step that never ran (e.g. no approval, so no quote) has no latency to
                # judge; only the pooled key must have data.
                results.append(ThresholdResult(name, limit, None, False if key == ALL else None,
                                               unit=" ms", note="no samples"))
            else:
                results.append(ThresholdResult(name, limit, value, value <= limit, unit=" ms",
                                               samples=hist.count if hist else 0))
    return results


def _histogram(steps: Mapping[str, LatencyHistogram], key: str) -> LatencyHistogram | None:
    if key == ALL:
        pooled = LatencyHistogram()
        for hist in steps.values():
            pooled.merge(hist)
        return pooled if pooled.count else None
    hist = steps.get(key)
    return hist if hist is not None and hist.count else None
