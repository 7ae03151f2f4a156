"""Exceptions of the server probe.

    ProbeError
     └── MultiprocessConfigError   the multiprocess metrics directory is unusable
"""

from __future__ import annotations

__all__ = ["ProbeError", "MultiprocessConfigError"]


class ProbeError(Exception):
    """Base of every error the server probe raises."""


class MultiprocessConfigError(ProbeError):
    """Multiprocess mode was asked for but cannot work as configured."""

    def __init__(self, *, directory: str | None, reason: str) -> None:
        self.directory = directory
        self.reason = reason
        super().__init__(f"prometheus multiprocess directory {directory!r}: {reason}")
