"""Exact-enough percentiles: within 0.05 % of the true nearest-rank value, mergeable."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from loadtest.timings import LatencyHistogram, bucket_of


def nearest_rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered) - 1e-9)) - 1]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0.001, max_value=120_000, allow_nan=False), min_size=1, max_size=300),
       st.sampled_from([0.5, 0.9, 0.95, 0.99, 0.999]))
def test_percentiles_match_the_exact_nearest_rank_within_005_percent(values: list[float], q: float) -> None:
    hist = LatencyHistogram.of(values)
    exact = round(nearest_rank(values, q) * 1000) / 1000  # recorded at 1 µs
    measured = hist.percentile(q)
    assert measured is not None
    assert abs(measured - exact) <= max(0.0005 * exact, 0.0011)


def test_small_values_are_exact_to_the_microsecond() -> None:
    hist = LatencyHistogram.of([1.234, 2.0, 0.5])
    assert hist.percentile(0.5) == 1.234 and hist.max_ms == 2.0


def test_better_than_locusts_rounding_where_it_matters() -> None:
    # Locust keeps 1,234 ms as 1,200 ms: a p99 limit of 1,220 ms would wrongly pass.
    hist = LatencyHistogram.of([1234.0] * 100)
    assert hist.percentile(0.99) is not None and abs(hist.percentile(0.99) - 1234.0) < 1.0


def test_merging_equals_recording_everything_in_one() -> None:
    rng = random.Random(5)
    a_values = [rng.expovariate(1 / 50) for _ in range(500)]
    b_values = [rng.expovariate(1 / 500) for _ in range(300)]
    merged = LatencyHistogram.of(a_values)
    merged.merge(LatencyHistogram.from_wire(LatencyHistogram.of(b_values).to_wire()))
    together = LatencyHistogram.of(a_values + b_values)
    assert merged.counts == together.counts and merged.count == 800
    assert merged.max_us == together.max_us and merged.sum_us == together.sum_us
    assert merged.percentile(0.99) == together.percentile(0.99)


def test_buckets_keep_eleven_significant_bits() -> None:
    assert bucket_of(2047) == 2047
    assert bucket_of(123_456_789) <= 123_456_789 < bucket_of(123_456_789) + (1 << 16)
    assert LatencyHistogram().percentile(0.99) is None
