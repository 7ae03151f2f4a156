"""Exact-enough latency histograms that merge across processes.

Locust computes percentiles from response times rounded to two significant digits
above 100 ms (1,234 ms is kept as 1,200 ms, so a p99 can even exceed the max). Thresholds
here are judged on timings kept at 1 µs resolution up to 2.048 ms and to 11 significant
bits above (HDR-histogram style), so any percentile read back is within 0.05 % of the
true nearest-rank percentile of the per-request timings. Buckets are integer
microseconds; a histogram is a sparse ``{bucket: count}`` map, small on the wire and
merged by adding counts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LatencyHistogram", "bucket_of", "SIGNIFICANT_BITS"]

#: Values below 2**SIGNIFICANT_BITS µs are exact; above, the lowest bits are dropped.
SIGNIFICANT_BITS = 11


def bucket_of(micros: int) -> int:
    """The bucket (its lower bound, µs) that holds ``micros``."""
    if micros < (1 << SIGNIFICANT_BITS):
        return max(0, micros)
    shift = micros.bit_length() - SIGNIFICANT_BITS
    return (micros >> shift) << shift


def _bucket_width(bucket: int) -> int:
    if bucket < (1 << SIGNIFICANT_BITS):
        return 1
    return 1 << (bucket.bit_length() - SIGNIFICANT_BITS)


@dataclass
class LatencyHistogram:
    """Response times of one step; add with ``record(ms)``, read with ``percentile(q)``."""

    counts: dict[int, int] = field(default_factory=dict)
    count: int = 0
    sum_us: int = 0
    min_us: int | None = None
    max_us: int | None = None

    def record(self, millis: float) -> None:
        micros = max(0, round(millis * 1000))
        key = bucket_of(micros)
        self.counts[key] = self.counts.get(key, 0) + 1
        self.count += 1
        self.sum_us += micros
        self.min_us = micros if self.min_us is None else min(self.min_us, micros)
        self.max_us = micros if self.max_us is None else max(self.max_us, micros)

    def merge(self, other: LatencyHistogram) -> None:
        for key, n in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + n
        self.count += other.count
        self.sum_us += other.sum_us
        if other.min_us is not None:
            self.min_us = other.min_us if self.min_us is None else min(self.min_us, other.min_us)
        if other.max_us is not None:
            self.max_us = other.max_us if self.max_us is None else max(self.max_us, other.max_us)

    def percentile(self, q: float) -> float | None:
        """Nearest-rank percentile in ms (``q`` in 0..1): the value at rank ⌈q·n⌉."""
        if self.count == 0:
            return None
        if not 0 <= q <= 1:
            raise ValueError(f"q must be within 0..1, got {q}")
        if q >= 1:
            return self.max_ms
        rank = max(1, math.ceil(q * self.count - 1e-9))
        seen = 0
        for key in sorted(self.counts):
            seen += self.counts[key]
            if seen >= rank:
                return self._value_ms(key)
        return self.max_ms  # pragma: no cover - counts always add up to count

    def _value_ms(self, bucket: int) -> float:
        width = _bucket_width(bucket)
        micros = bucket + (width - 1) / 2
        # The exact extremes are known: never report a value outside them.
        if self.min_us is not None:
            micros = max(micros, self.min_us)
        if self.max_us is not None:
            micros = min(micros, self.max_us)
        return micros / 1000

    @property
    def max_ms(self) -> float | None:
        return None if self.max_us is None else self.max_us / 1000

    @property
    def mean_ms(self) -> float | None:
        return None if self.count == 0 else self.sum_us / self.count / 1000

    def to_wire(self) -> dict[str, Any]:
        """A msgpack/JSON-safe form (lists, not int-keyed maps)."""
        return {"c": [[k, n] for k, n in self.counts.items()], "s": self.sum_us,
                "lo": self.min_us, "hi": self.max_us}

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> LatencyHistogram:
        hist = cls()
        for key, n in data.get("c", ()):
            hist.counts[int(key)] = hist.counts.get(int(key), 0) + int(n)
        hist.count = sum(hist.counts.values())
        hist.sum_us = int(data.get("s", 0))
        hist.min_us = data.get("lo")
        hist.max_us = data.get("hi")
        return hist

    @classmethod
    def of(cls, millis: Iterable[float]) -> LatencyHistogram:
        hist = cls()
        for value in millis:
            hist.record(value)
        return hist
