"""Snapshots: cumulative counters and histograms of each track at one moment.

A snapshot is a plain value (``to_dict``/``from_dict``) so the controller can persist it.
The quantities are the same whichever provider produced them:

    counters    requests, errors, decisions, declines, apr_outside
    histograms  latency (seconds), apr (bps), line (fen), grades (credit outcome, ordinal:
                le 1 = approved grade A, 2 = B, 3 = C, 4 = other approved, +Inf = declined)
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "COUNTERS",
    "GRADE_BOUNDS",
    "HISTOGRAMS",
    "Hist",
    "Increment",
    "Snapshot",
    "TrackSnapshot",
    "grade_rank",
    "increment",
]

COUNTERS = ("requests", "errors", "decisions", "declines", "apr_outside")
HISTOGRAMS = ("latency", "apr", "line")
#: Ordinal position of a credit outcome in the ``grades`` histogram (declined is +Inf).
GRADE_RANK = {"A": 1.0, "B": 2.0, "C": 3.0}
GRADE_OTHER = 4.0
GRADE_BOUNDS = (1.0, 2.0, 3.0, 4.0)


def grade_rank(decision: str, grade: str) -> float:
    """Where a decision falls on the credit-outcome scale, best first."""
    if decision != "approved":
        return math.inf
    return GRADE_RANK.get(grade, GRADE_OTHER)


def _le_key(le: float) -> str:
    return "+Inf" if math.isinf(le) else repr(float(le))


@dataclass(frozen=True)
class Hist:
    """A cumulative histogram: ``buckets`` are (finite le, count at or below), ascending."""

    buckets: tuple[tuple[float, float], ...] = ()
    count: float = 0.0
    sum: float = 0.0

    @classmethod
    def from_cumulative(cls, by_le: Mapping[float, float], *, sum: float = 0.0,
                        count: float | None = None) -> Hist:
        finite = sorted((le, v) for le, v in by_le.items() if not math.isinf(le))
        total = count if count is not None else by_le.get(math.inf, finite[-1][1] if finite else 0.0)
        return cls(tuple(finite), float(total), float(sum))

    def bounds(self) -> tuple[float, ...]:
        return tuple(le for le, _ in self.buckets)

    def at(self, bounds: tuple[float, ...]) -> tuple[float, ...]:
        """Cumulative counts on other bounds (a missing bound takes the next lower one's)."""
        les = [le for le, _ in self.buckets]
        out: list[float] = []
        for b in bounds:
            i = bisect.bisect_right(les, b)
            out.append(self.buckets[i - 1][1] if i else 0.0)
        return tuple(out)

    def minus(self, other: Hist) -> Hist:
        bounds = tuple(sorted(set(self.bounds()) | set(other.bounds())))
        mine, theirs = self.at(bounds), other.at(bounds)
        return Hist(tuple((b, a - t) for b, a, t in zip(bounds, mine, theirs)),
                    self.count - other.count, self.sum - other.sum)

    def plus(self, other: Hist) -> Hist:
        bounds = tuple(sorted(set(self.bounds()) | set(other.bounds())))
        mine, theirs = self.at(bounds), other.at(bounds)
        return Hist(tuple((b, a + t) for b, a, t in zip(bounds, mine, theirs)),
                    self.count + other.count, self.sum + other.sum)

    def decreased_from(self, earlier: Hist) -> bool:
        if self.count < earlier.count:
            return True
        bounds = earlier.bounds()
        return any(now < before for now, before in zip(self.at(bounds), earlier.at(bounds)))

    def to_dict(self) -> dict[str, Any]:
        return {"buckets": {_le_key(le): v for le, v in self.buckets}, "count": self.count, "sum": self.sum}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Hist:
        buckets = tuple(sorted((float(k), float(v)) for k, v in data.get("buckets", {}).items()
                               if k != "+Inf"))
        return cls(buckets, float(data.get("count", 0.0)), float(data.get("sum", 0.0)))


@dataclass(frozen=True)
class TrackSnapshot:
    counters: Mapping[str, float] = field(default_factory=dict)
    histograms: Mapping[str, Hist] = field(default_factory=dict)

    def counter(self, name: str) -> float:
        return float(self.counters.get(name, 0.0))

    def histogram(self, name: str) -> Hist:
        return self.histograms.get(name, Hist())

    def to_dict(self) -> dict[str, Any]:
        return {
            "counters": dict(self.counters),
            "histograms": {k: h.to_dict() for k, h in self.histograms.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrackSnapshot:
        return cls(
            {k: float(v) for k, v in data.get("counters", {}).items()},
            {k: Hist.from_dict(v) for k, v in data.get("histograms", {}).items()},
        )


@dataclass(frozen=True)
class Snapshot:
    """Cumulative values per track (``stable``, ``canary``) at clock time ``taken_at``."""

    taken_at: float
    tracks: Mapping[str, TrackSnapshot]

    def track(self, name: str) -> TrackSnapshot:
        return self.tracks.get(name, TrackSnapshot())

    def to_dict(self) -> dict[str, Any]:
        return {"taken_at": self.taken_at, "tracks": {k: t.to_dict() for k, t in self.tracks.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Snapshot:
        return cls(float(data["taken_at"]),
                   {k: TrackSnapshot.from_dict(v) for k, v in data.get("tracks", {}).items()})


@dataclass(frozen=True)
class Increment:
    """What happened between two snapshots, per track; ``resets`` names counters that
    went backwards (a restarted process) and were counted from zero instead."""

    tracks: Mapping[str, TrackSnapshot]
    resets: tuple[str, ...] = ()

    def track(self, name: str) -> TrackSnapshot:
        return self.tracks.get(name, TrackSnapshot())


def increment(later: Snapshot, earlier: Snapshot) -> Increment:
    """``later - earlier`` per track, never negative: a counter that went down was reset,
    so (like Prometheus' ``increase``) everything counted since the reset is the increase."""
    out: dict[str, TrackSnapshot] = {}
    resets: list[str] = []
    for name in sorted(set(later.tracks) | set(earlier.tracks)):
        now, before = later.track(name), earlier.track(name)
        counters: dict[str, float] = {}
        for key in sorted(set(now.counters) | set(before.counters)):
            a, b = now.counter(key), before.counter(key)
            if a < b:
                resets.append(f"{name}/{key}")
                counters[key] = a
            else:
                counters[key] = a - b
        hists: dict[str, Hist] = {}
        for key in sorted(set(now.histograms) | set(before.histograms)):
            a_h, b_h = now.histogram(key), before.histogram(key)
            if a_h.decreased_from(b_h):
                resets.append(f"{name}/{key}")
                hists[key] = a_h
            else:
                hists[key] = a_h.minus(b_h)
        out[name] = TrackSnapshot(counters, hists)
    return Increment(out, tuple(resets))
