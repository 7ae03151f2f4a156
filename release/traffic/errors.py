"""Errors of the traffic package.

    TrafficError
    └── ProviderError   the provider could not read or apply a split (provider, detail, status)
"""

from __future__ import annotations

__all__ = ["ProviderError", "TrafficError"]


class TrafficError(Exception):
    """Base of every error raised by ``release.traffic``."""


class ProviderError(TrafficError):
    def __init__(self, provider: str, detail: str, *, status: int | None = None) -> None:
        self.provider = provider
        self.detail = detail
        self.status = status
        code = f" (HTTP {status})" if status is not None else ""
        super().__init__(f"{provider}: {detail}{code}")
