"""Errors of the target package.

    TargetError   a lending process could not be started, found or stopped
                  (track, version, pid, log_tail)
"""

from __future__ import annotations

__all__ = ["TargetError"]


class TargetError(Exception):
    def __init__(
        self, message: str, *, track: str | None = None, version: str | None = None,
        pid: int | None = None, log_tail: str = "",
    ) -> None:
        self.track = track
        self.version = version
        self.pid = pid
        self.log_tail = log_tail
        detail = f"\n--- process log (last lines) ---\n{log_tail}" if log_tail else ""
        super().__init__(message + detail)
