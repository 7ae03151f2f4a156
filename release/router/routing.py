"""Which track a request goes to: pure functions shared by the Python router, the
HAProxy config (which computes the same bucket with its ``crc32`` converter) and tests.

Rules, in order:
1. ``X-Branch-Code`` in the cohort → canary.
2. A routing key (``X-Customer-Id``, else ``Authorization``) → bucket = crc32(key) % 100,
   canary iff bucket < weight. A key on canary stays there while the weight only grows.
3. No key → canary with probability weight/100, drawn per request.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from typing import Literal

from release.traffic.split import TrafficSplit

__all__ = ["BRANCH_HEADER", "KEY_HEADERS", "Track", "bucket_of", "choose_track", "routing_key"]

Track = Literal["stable", "canary"]
BRANCH_HEADER = "X-Branch-Code"
KEY_HEADERS: tuple[str, ...] = ("X-Customer-Id", "Authorization")


def routing_key(headers: Mapping[str, str]) -> str | None:
    """The sticky key of a request; ``headers`` must be case-insensitive."""
    for name in KEY_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


def bucket_of(key: str) -> int:
    """Stable bucket 0..99 (CRC32, identical to HAProxy's ``crc32`` converter)."""
    return zlib.crc32(key.encode("utf-8")) % 100


def choose_track(
    split: TrafficSplit, headers: Mapping[str, str], randbelow: Callable[[int], int]
) -> Track:
    """``randbelow(100)`` is only called for requests without a routing key."""
    branch = headers.get(BRANCH_HEADER)
    if branch and branch in split.cohort:
        return "canary"
    if split.weight <= 0:
        return "stable"
    if split.weight >= 100:
        return "canary"
    key = routing_key(headers)
    bucket = bucket_of(key) if key is not None else randbelow(100)
    return "canary" if bucket < split.weight else "stable"
