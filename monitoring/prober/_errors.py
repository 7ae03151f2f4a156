"""Exceptions of the synthetic prober.

    ProberError
    └── ProberConfigError   bad settings (interval, duration, token, target)
"""

from __future__ import annotations

__all__ = ["ProberError", "ProberConfigError"]


class ProberError(Exception):
    """Base of the prober's errors."""


class ProberConfigError(ProberError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
