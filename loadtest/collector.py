"""Per-process measurements, shipped to the master and merged there.

Each load-generating process (the local runner, or every Locust worker) records into
one ``ProcessStats``. Workers drain it into Locust's periodic worker→master report
(the same "stats" message that carries Locust's own statistics, so both always count
the same requests); the master merges every report into ``RunStats``, keeping a tally
per worker so a distributed run shows that each worker contributed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .timings import LatencyHistogram

__all__ = ["ProcessStats", "RunStats", "WorkerTally", "REPORT_KEY"]

#: Key of our data inside Locust's worker report dict.
REPORT_KEY = "lendops_loadtest"


@dataclass
class _Tallies:
    """The measurements of a run: kept per process, merged across processes."""

    steps: dict[str, LatencyHistogram] = field(default_factory=dict)
    step_failures: Counter[str] = field(default_factory=Counter)
    journeys_started: Counter[str] = field(default_factory=Counter)
    journeys_failed: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    tracks: Counter[str] = field(default_factory=Counter)
    versions: Counter[str] = field(default_factory=Counter)
    branches: Counter[str] = field(default_factory=Counter)
    scheduled: int = 0
    dropped: int = 0
    start_lag: LatencyHistogram = field(default_factory=LatencyHistogram)
    requests: int = 0
    failures: int = 0


@dataclass
class ProcessStats(_Tallies):
    """What one process measured since the last drain."""

    def record_request(self, step: str, millis: float, *, failed: bool, track: str | None = None,
                       version: str | None = None, branch: str | None = None) -> None:
        hist = self.steps.get(step)
        if hist is None:
            hist = self.steps[step] = LatencyHistogram()
        hist.record(millis)
        self.requests += 1
        if failed:
            self.failures += 1
            self.step_failures[step] += 1
        if track:
            self.tracks[track] += 1
        if version:
            self.versions[version] += 1
        if branch:
            self.branches[branch] += 1

    def drain(self) -> dict[str, Any]:
        """Everything recorded so far in wire form; the stats start again from zero."""
        wire = {
            "steps": {k: h.to_wire() for k, h in self.steps.items()},
            "step_failures": dict(self.step_failures),
            "journeys_started": dict(self.journeys_started),
            "journeys_failed": dict(self.journeys_failed),
            "outcomes": dict(self.outcomes),
            "tracks": dict(self.tracks),
            "versions": dict(self.versions),
            "branches": dict(self.branches),
            "scheduled": self.scheduled,
            "dropped": self.dropped,
            "start_lag": self.start_lag.to_wire(),
            "requests": self.requests,
            "failures": self.failures,
        }
        self.__init__()  # type: ignore[misc]  # reset every field to its default
        return wire


@dataclass
class WorkerTally:
    """One worker's share of the run, for the summary."""

    worker_id: str
    index: int | None = None
    requests: int = 0
    failures: int = 0
    journeys: int = 0
    reports: int = 0


@dataclass
class RunStats(_Tallies):
    """All processes' measurements merged: what thresholds are judged on."""

    workers: dict[str, WorkerTally] = field(default_factory=dict)

    def merge(self, wire: dict[str, Any], *, worker_id: str, worker_index: int | None = None) -> None:
        for key, data in wire.get("steps", {}).items():
            hist = self.steps.setdefault(key, LatencyHistogram())
            hist.merge(LatencyHistogram.from_wire(data))
        for name in ("step_failures", "journeys_started", "journeys_failed", "outcomes", "tracks", "versions",
                     "branches"):
            getattr(self, name).update({k: int(v) for k, v in wire.get(name, {}).items()})
        self.scheduled += int(wire.get("scheduled", 0))
        self.dropped += int(wire.get("dropped", 0))
        self.start_lag.merge(LatencyHistogram.from_wire(wire.get("start_lag", {})))
        requests, failures = int(wire.get("requests", 0)), int(wire.get("failures", 0))
        self.requests += requests
        self.failures += failures
        tally = self.workers.setdefault(worker_id, WorkerTally(worker_id))
        if worker_index is not None:
            tally.index = worker_index
        tally.requests += requests
        tally.failures += failures
        tally.journeys += sum(int(v) for v in wire.get("journeys_started", {}).values())
        tally.reports += 1

    def pooled(self) -> LatencyHistogram:
        """Every step's timings in one histogram (the ``all`` threshold key)."""
        total = LatencyHistogram()
        for hist in self.steps.values():
            total.merge(hist)
        return total
