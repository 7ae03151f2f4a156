"""The router's configuration: an immutable value replaced as a whole.

Requests read one snapshot at their start, so a change is atomic per request: a request
never sees the new weight with the old cohort, and one in flight finishes on the backend
it started on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from release.traffic.split import TrafficSplit

from .errors import ConfigError

__all__ = ["RouterConfig", "parse_backend_url", "parse_cohort"]

# Branch codes travel in a header and into an HAProxy ACL file: keep them to a safe
# alphabet so neither a header nor a runtime-API command can be smuggled through one.
_BRANCH_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_PATCH_KEYS = frozenset({"stable", "canary", "weight", "cohort"})


def parse_backend_url(field: str, value: object) -> str:
    """Validate ``http://host:port`` (no path) and return it without a trailing slash."""
    if not isinstance(value, str):
        raise ConfigError(field, value, "must be a string URL")
    parts = urlsplit(value.strip())
    if parts.scheme != "http" or not parts.hostname:
        raise ConfigError(field, value, "must look like http://host:port")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(field, value, "must not carry a path or query")
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError(field, value, f"bad port: {exc}") from exc
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port or 80}"


def parse_cohort(value: object) -> frozenset[str]:
    """Accept a list of codes or a comma-separated string."""
    if isinstance(value, str):
        items: Iterable[object] = [v for v in value.split(",") if v.strip()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = value
    else:
        raise ConfigError("cohort", value, "must be a list of branch codes")
    codes: set[str] = set()
    for item in items:
        if not isinstance(item, str) or not _BRANCH_CODE.match(item.strip()):
            raise ConfigError("cohort", item, "branch codes are 1-64 of [A-Za-z0-9_.-]")
        codes.add(item.strip())
    return frozenset(codes)


def _parse_weight(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise ConfigError("weight", value, "must be an integer within 0..100")
    return value


@dataclass(frozen=True)
class RouterConfig:
    """stable/canary: backend base URLs; weight: percent to canary; cohort: branch codes
    always sent to canary; generation: bumped by every applied change."""

    stable: str
    canary: str
    weight: int = 0
    cohort: frozenset[str] = frozenset()
    generation: int = 1

    @classmethod
    def create(
        cls, *, stable: str, canary: str, weight: int = 0, cohort: Iterable[str] = ()
    ) -> RouterConfig:
        return cls(
            stable=parse_backend_url("stable", stable),
            canary=parse_backend_url("canary", canary),
            weight=_parse_weight(weight),
            cohort=parse_cohort(list(cohort)),
        )

    @property
    def split(self) -> TrafficSplit:
        return TrafficSplit(weight=self.weight, cohort=self.cohort)

    def patched(self, patch: Mapping[str, Any]) -> RouterConfig:
        """Validate a partial update (any subset of stable, canary, weight, cohort) and
        return the next generation; the whole patch applies or nothing does."""
        if not isinstance(patch, Mapping):
            raise ConfigError("body", patch, "must be a JSON object")
        unknown = set(patch) - _PATCH_KEYS - {"generation"}
        if unknown:
            raise ConfigError(sorted(unknown)[0], patch[sorted(unknown)[0]], "unknown key")
        changes: dict[str, Any] = {}
        if "stable" in patch:
            changes["stable"] = parse_backend_url("stable", patch["stable"])
        if "canary" in patch:
            changes["canary"] = parse_backend_url("canary", patch["canary"])
        if "weight" in patch:
            changes["weight"] = _parse_weight(patch["weight"])
        if "cohort" in patch:
            changes["cohort"] = parse_cohort(patch["cohort"])
        return replace(self, generation=self.generation + 1, **changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "stable": self.stable,
            "canary": self.canary,
            "weight": self.weight,
            "cohort": sorted(self.cohort),
            "generation": self.generation,
        }
