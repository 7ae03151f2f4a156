from __future__ import annotations

import random
import zlib

import pytest
from multidict import CIMultiDict

from release.router import bucket_of, choose_track, routing_key
from release.traffic import TrafficSplit

WEIGHTS = (0, 10, 25, 50, 100)


def _no_random(_: int) -> int:
    raise AssertionError("a keyed request must not draw a random number")


def test_bucket_is_crc32_mod_100_so_haproxy_agrees() -> None:
    for key in ("c-1", "Bearer abc", "客户-7"):
        assert bucket_of(key) == zlib.crc32(key.encode()) % 100


def test_routing_key_prefers_customer_id_then_authorization() -> None:
    assert routing_key(CIMultiDict({"x-customer-id": "c1", "Authorization": "t"})) == "c1"
    assert routing_key(CIMultiDict({"Authorization": "Bearer t"})) == "Bearer t"
    assert routing_key(CIMultiDict({"X-Customer-Id": ""})) is None
    assert routing_key(CIMultiDict()) is None


def test_cohort_branch_always_canary_even_at_weight_zero() -> None:
    split = TrafficSplit(weight=0, cohort=frozenset({"JH01"}))
    h = CIMultiDict({"X-Branch-Code": "JH01", "X-Customer-Id": "anyone"})
    assert choose_track(split, h, _no_random) == "canary"
    h2 = CIMultiDict({"X-Branch-Code": "QL02", "X-Customer-Id": "anyone"})
    assert choose_track(split, h2, _no_random) == "stable"


def test_sticky_keys_never_leave_canary_while_weight_grows() -> None:
    keys = [f"cust-{i}" for i in range(2000)]
    previous = {k: "stable" for k in keys}
    for weight in WEIGHTS:
        split = TrafficSplit(weight=weight)
        now = {k: choose_track(split, CIMultiDict({"X-Customer-Id": k}), _no_random) for k in keys}
        flipped_back = [k for k in keys if previous[k] == "canary" and now[k] == "stable"]
        assert flipped_back == []
        previous = now
    assert set(previous.values()) == {"canary"}


@pytest.mark.parametrize("weight", [10, 25, 50])
def test_keyed_share_matches_weight_within_binomial_tolerance(weight: int) -> None:
    n = 5000
    split = TrafficSplit(weight=weight)
    canary = sum(
        choose_track(split, CIMultiDict({"X-Customer-Id": f"k{i}"}), _no_random) == "canary"
        for i in range(n)
    )
    p = weight / 100
    assert abs(canary - n * p) <= 4.5 * (n * p * (1 - p)) ** 0.5


def test_requests_without_key_use_the_random_draw() -> None:
    split = TrafficSplit(weight=30)
    assert choose_track(split, CIMultiDict(), lambda _: 29) == "canary"
    assert choose_track(split, CIMultiDict(), lambda _: 30) == "stable"
    rng = random.Random(7)
    n = 4000
    got = sum(choose_track(split, CIMultiDict(), rng.randrange) == "canary" for _ in range(n))
    assert abs(got - 0.3 * n) <= 4.5 * (n * 0.3 * 0.7) ** 0.5
