"""Typed console settings, validated once at the boundary (the CLI)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ._errors import ConsoleConfigError

__all__ = ["ConsoleSettings", "parse_target"]

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


def parse_target(raw: str) -> tuple[str, str]:
    """``stable=http://127.0.0.1:8001`` → ("stable", "http://127.0.0.1:8001/metrics")."""
    name, sep, url = raw.partition("=")
    if not sep or not _NAME.match(name) or not url.startswith(("http://", "https://")):
        raise ConsoleConfigError(setting="--target", value=raw,
                                 reason="use NAME=URL, e.g. stable=http://127.0.0.1:8001")
    url = url.rstrip("/")
    return name, url if url.endswith("/metrics") else url + "/metrics"


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    targets: tuple[tuple[str, str], ...] = ()
    """(track name, /metrics URL) scraped directly when no Prometheus is given."""
    prometheus_url: str | None = None
    """Prometheus base URL; when set, live numbers come from PromQL instead of scrapes."""
    spans_url: str | None = None
    """SQLAlchemy URL of the span store (a plain path is turned into sqlite:///PATH)."""
    status_path: Path | None = None
    """The rollout's ``rollout.json`` or a saved ``lendops release status --json``."""
    window_s: float = 60.0
    """Rates and ratios are computed over this many recent seconds."""
    timeout_s: float = 2.0
    """Per-request timeout for scrapes and Prometheus queries."""

    def __post_init__(self) -> None:
        if self.window_s < 2:
            raise ConsoleConfigError(setting="window_s", value=self.window_s, reason="must be at least 2 seconds")
        if self.timeout_s <= 0:
            raise ConsoleConfigError(setting="timeout_s", value=self.timeout_s, reason="must be positive")
        names = [n for n, _ in self.targets]
        if len(names) != len(set(names)):
            raise ConsoleConfigError(setting="--target", value=names, reason="each track name once")

    @staticmethod
    def spans(value: str | None) -> str | None:
        if not value:
            return None
        return value if "://" in value else f"sqlite:///{Path(value).resolve()}"
