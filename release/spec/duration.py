"""Durations as written in rollout specs: ``500ms``, ``5s``, ``2m``, ``1h``, ``1m30s``
or a plain number of seconds."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from release.duration import PATTERN, format_seconds, parse_seconds

__all__ = ["Duration", "format_duration", "parse_duration"]


def parse_duration(value: Any) -> float:
    """Seconds from ``"1m30s"``, ``"500ms"`` or a number (already seconds).

    >>> parse_duration("1m30s")
    90.0
    """
    return parse_seconds(value)


def format_duration(seconds: float) -> str:
    return format_seconds(seconds)


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": PATTERN},
                {"type": "number", "minimum": 0},
            ],
            "description": "seconds, or a string such as 500ms, 30s, 2m, 1h, 1m30s",
        }
    ),
]
