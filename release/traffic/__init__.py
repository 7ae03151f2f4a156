"""Traffic providers: how a desired split between stable and canary is put in force.

``TrafficSplit`` is imported eagerly; the providers lazily, because the pure step engine
imports this package for the split and must not pull in ``requests`` with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ProviderError, TrafficError
from .split import TrafficSplit

if TYPE_CHECKING:
    from .provider import HAProxyProvider, LocalRouterProvider, TrafficProvider

__all__ = [
    "HAProxyProvider",
    "LocalRouterProvider",
    "ProviderError",
    "TrafficError",
    "TrafficProvider",
    "TrafficSplit",
]

_LAZY = frozenset({"HAProxyProvider", "LocalRouterProvider", "TrafficProvider"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import provider

        return getattr(provider, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
