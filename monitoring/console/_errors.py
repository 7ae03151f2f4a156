"""Exceptions of the web console.

    ConsoleError
     ├── ConsoleConfigError   a command-line option or setting that cannot work
     └── MetricsSourceError   a /metrics target or Prometheus could not be read
"""

from __future__ import annotations

__all__ = ["ConsoleError", "ConsoleConfigError", "MetricsSourceError"]


class ConsoleError(Exception):
    """Base of every error the console raises."""


class ConsoleConfigError(ConsoleError):
    def __init__(self, *, setting: str, value: object, reason: str) -> None:
        self.setting = setting
        self.value = value
        self.reason = reason
        super().__init__(f"{setting}={value!r}: {reason}")


class MetricsSourceError(ConsoleError):
    def __init__(self, *, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")
