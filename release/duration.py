"""Durations as people write them in rollout specs: Go-style ``500ms``, ``5s``, ``2m``,
``1h``, ``1m30s`` (also ``ns``/``us``), or a plain number of seconds. One parser for the
rollout spec and its analysis section, so both accept exactly the same spellings."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

__all__ = ["PATTERN", "format_seconds", "parse_seconds"]

_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
#: JSON-schema pattern of the string form.
PATTERN = r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$"


def parse_seconds(value: Any, *, allow_zero: bool = True) -> float:
    """Seconds from ``"1m30s"``, ``"500ms"``, a number of seconds or a timedelta.

    Raises ValueError (pydantic turns only ValueError into a validation error).

    >>> parse_seconds("1m30s")
    90.0
    """
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool):
        raise ValueError("a duration is a string such as '30s' or a number of seconds")  # noqa: TRY004
    elif isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text or _PART.sub("", text):
            raise ValueError(f"bad duration {value!r}: write e.g. 500ms, 5s, 1m, 1m30s, 1h")
        seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in _PART.findall(text))
    else:
        raise ValueError("a duration is a string such as '30s' or a number of seconds")  # noqa: TRY004
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise ValueError("a duration must be positive" if not allow_zero else "a duration cannot be negative")
    return seconds


def format_seconds(seconds: float) -> str:
    """The shortest spelling that Prometheus also accepts in a range selector."""
    ms = round(seconds * 1000)
    if ms % 1000:
        return f"{ms}ms"
    whole = ms // 1000
    if whole and whole % 3600 == 0:
        return f"{whole // 3600}h"
    if whole and whole % 60 == 0:
        return f"{whole // 60}m"
    return f"{whole}s"
