"""The local router: a reverse proxy splitting traffic between stable and canary.

Two implementations behind one admin API: a Python proxy (aiohttp, the default) and
HAProxy driven through its runtime API. See docs/router.md.
"""

from __future__ import annotations

from .config import RouterConfig
from .errors import ConfigError, HAProxyError, RouterError, RouterStartError
from .process import RouterProcess
from .routing import Track, bucket_of, choose_track, routing_key

__all__ = [
    "ConfigError",
    "HAProxyError",
    "RouterConfig",
    "RouterError",
    "RouterProcess",
    "RouterStartError",
    "Track",
    "bucket_of",
    "choose_track",
    "routing_key",
]
