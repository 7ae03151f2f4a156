"""Traffic providers: how a desired split between stable and canary is put in force."""

from __future__ import annotations

from .split import TrafficSplit

__all__ = ["TrafficSplit"]
