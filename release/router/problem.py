"""problem+json bodies the router answers with when a backend fails it."""

from __future__ import annotations

import json

__all__ = ["PROBLEM_TYPE", "problem_body"]

PROBLEM_TYPE = "https://lendops.dev/problems/{slug}"
_TITLES = {502: ("bad-gateway", "Bad Gateway"), 504: ("gateway-timeout", "Gateway Timeout")}


def problem_body(status: int, detail: str, **extra: object) -> bytes:
    slug, title = _TITLES.get(status, ("router-error", "Router Error"))
    doc = {"type": PROBLEM_TYPE.format(slug=slug), "title": title, "status": status,
           "detail": detail, **extra}
    return json.dumps(doc).encode()
