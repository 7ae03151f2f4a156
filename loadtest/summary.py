"""The JSON summary of a run: what was sent, what came back, and the verdict.

Written by the Locust master (or the single local process) when the run ends, read
back by ``loadtest.runner``. ``summary.json`` is the file a CI job or the release
controller reads; its keys are a contract (add, never rename).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .collector import RunStats
from .scenario import OpenLoad, Scenario
from .thresholds import Measures, ThresholdResult, evaluate
from .timings import LatencyHistogram

__all__ = ["Summary", "build_summary", "PERCENTILE_SOURCE", "EXIT_OK", "EXIT_BREACHED"]

PERCENTILE_SOURCE = ("exact per-request timings recorded by the load processes "
                     "(1 µs resolution up to 2.048 ms, 11 significant bits above: within 0.05 %), "
                     "nearest-rank percentiles; not Locust's rounded response times")

#: Exit codes of a finished run (Locust's own are 1 for failed requests it saw and 2
#: for a crashed user; a scenario run sets one of these instead).
EXIT_OK = 0
EXIT_BREACHED = 3


def _step_row(hist: LatencyHistogram, failures: int) -> dict[str, Any]:
    return {
        "count": hist.count,
        "failures": failures,
        "p50_ms": hist.percentile(0.50),
        "p95_ms": hist.percentile(0.95),
        "p99_ms": hist.percentile(0.99),
        "max_ms": hist.max_ms,
        "mean_ms": None if hist.mean_ms is None else round(hist.mean_ms, 3),
    }


@dataclass
class Summary:
    """A finished run. ``passed`` is the verdict; ``breaches`` says why not, one line each."""

    scenario: str
    host: str
    model: str
    passed: bool
    exit_code: int
    elapsed_s: float
    planned_duration_s: float
    requests: int
    failures: int
    failure_ratio: float | None
    request_rate: float
    iterations: int
    iteration_rate: float
    scheduled: int = 0
    dropped: int = 0
    dropped_ratio: float | None = None
    seed: int | None = None
    started_at: str = ""
    percentile_source: str = PERCENTILE_SOURCE
    locust_totals: dict[str, int] = field(default_factory=dict)
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    journeys: dict[str, dict[str, int]] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    tracks: dict[str, int] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    branches: dict[str, int] = field(default_factory=dict)
    start_lag_ms: dict[str, float | None] = field(default_factory=dict)
    workers: list[dict[str, Any]] = field(default_factory=list)
    exceptions: dict[str, int] = field(default_factory=dict)
    thresholds: list[dict[str, Any]] = field(default_factory=list)
    breaches: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def write(self, path: str | Path) -> None:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(target)  # readers never see half a file

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Summary:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def read(cls, path: str | Path) -> Summary:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def build_summary(scenario: Scenario, stats: RunStats, *, host: str, elapsed_s: float, started_at: str = "",
                  locust_totals: Mapping[str, int] | None = None,
                  exceptions: Mapping[str, int] | None = None) -> Summary:
    """Judge ``stats`` against the scenario's thresholds and lay the result out for JSON.

    ``exceptions`` (message → count) are errors raised by the load code itself; any of
    them fails the run, since the journeys it measured were not the ones designed.
    """
    iterations = sum(stats.journeys_started.values())
    measures = Measures(requests=stats.requests, failures=stats.failures, elapsed_s=elapsed_s,
                        iterations=iterations, scheduled=stats.scheduled, dropped=stats.dropped,
                        steps=stats.steps)
    results: list[ThresholdResult] = evaluate(scenario.thresholds, measures)
    breaches = [r.message() for r in results if r.passed is False]
    raised = dict(exceptions or {})
    if raised:
        first = next(iter(raised))
        breaches.append(f"load code raised {sum(raised.values())} exception(s), e.g. {first} "
                        f"(see locust_exceptions.csv)")
    elapsed = max(elapsed_s, 1e-9)
    steps = {key: _step_row(hist, stats.step_failures.get(key, 0)) for key, hist in sorted(stats.steps.items())}
    if stats.steps:
        steps["all"] = _step_row(stats.pooled(), stats.failures)
    journeys = {name: {"started": stats.journeys_started.get(name, 0), "failed": stats.journeys_failed.get(name, 0)}
                for name in sorted(set(stats.journeys_started) | set(stats.journeys_failed))}
    workers = [asdict(t) for t in sorted(stats.workers.values(), key=lambda t: (t.index is None, t.index, t.worker_id))]
    return Summary(
        scenario=scenario.name,
        host=host,
        model=scenario.load.model,
        passed=not breaches,
        exit_code=EXIT_OK if not breaches else EXIT_BREACHED,
        elapsed_s=round(elapsed_s, 3),
        planned_duration_s=scenario.duration_s,
        requests=stats.requests,
        failures=stats.failures,
        failure_ratio=(stats.failures / stats.requests) if stats.requests else None,
        request_rate=round(stats.requests / elapsed, 3),
        iterations=iterations,
        iteration_rate=round(iterations / elapsed, 3),
        scheduled=stats.scheduled,
        dropped=stats.dropped,
        dropped_ratio=(stats.dropped / stats.scheduled) if isinstance(scenario.load, OpenLoad) and stats.scheduled
        else None,
        seed=scenario.seed,
        started_at=started_at,
        locust_totals=dict(locust_totals or {}),
        steps=steps,
        journeys=journeys,
        outcomes=dict(sorted(stats.outcomes.items())),
        tracks=dict(stats.tracks),
        versions=dict(stats.versions),
        branches=dict(stats.branches.most_common()),
        start_lag_ms={"p50": stats.start_lag.percentile(0.5), "p99": stats.start_lag.percentile(0.99),
                      "max": stats.start_lag.max_ms},
        workers=workers,
        exceptions=raised,
        thresholds=[r.to_dict() for r in results],
        breaches=breaches,
    )
