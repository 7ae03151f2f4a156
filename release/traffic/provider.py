"""Traffic providers: put a TrafficSplit in force.

``LocalRouterProvider`` talks to the router's admin API, so it drives both router
implementations (Python and HAProxy) alike and survives a controller restart: the
router keeps the split, the provider holds nothing but the URL.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import requests

from .errors import ProviderError
from .split import TrafficSplit

__all__ = ["HAProxyProvider", "LocalRouterProvider", "TrafficProvider"]


@runtime_checkable
class TrafficProvider(Protocol):
    def apply(self, split: TrafficSplit) -> None:
        """Make ``split`` the one in force; return once it is."""

    def current(self) -> TrafficSplit:
        """The split in force now."""


class LocalRouterProvider:
    """Example::

        provider = LocalRouterProvider("http://127.0.0.1:9081")
        provider.apply(TrafficSplit(weight=10, cohort=frozenset({"JH01"})))
    """

    name = "local-router"

    def __init__(
        self, admin_url: str, session: requests.Session | None = None, *, timeout: float = 5.0
    ) -> None:
        self.admin_url = admin_url.rstrip("/")
        self._session = session or requests.Session()
        self._timeout = timeout

    def _call(self, method: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            resp = self._session.request(
                method, f"{self.admin_url}/config", json=body, timeout=self._timeout
            )
        except requests.RequestException as exc:
            raise ProviderError(self.name, f"{method} {self.admin_url}/config failed: {exc}") from exc
        if resp.status_code != 200:
            raise ProviderError(self.name, resp.text[:500], status=resp.status_code)
        data: dict[str, Any] = resp.json()
        return data

    def config(self) -> dict[str, Any]:
        """The router's whole config: stable, canary, weight, cohort, generation."""
        return self._call("GET")

    def apply(self, split: TrafficSplit) -> None:
        got = self._call("PUT", {"weight": split.weight, "cohort": sorted(split.cohort)})
        if got.get("weight") != split.weight or set(got.get("cohort", ())) != split.cohort:
            raise ProviderError(self.name, f"router reports {got}, expected {split}")

    def current(self) -> TrafficSplit:
        got = self._call("GET")
        return TrafficSplit(weight=int(got["weight"]), cohort=frozenset(got["cohort"]))

    def set_backends(self, stable: str | None = None, canary: str | None = None) -> dict[str, Any]:
        """Repoint the router (e.g. after a promote); in-flight requests finish where
        they started."""
        body = {k: v for k, v in (("stable", stable), ("canary", canary)) if v is not None}
        return self._call("PUT", body) if body else self.config()


    def switch(
        self, split: TrafficSplit, *, stable: str | None = None, canary: str | None = None
    ) -> dict[str, Any]:
        """Backends and split in one atomic change (one PUT): e.g. after a promote,
        ``switch(TrafficSplit.stable_only(), stable=new_url)`` leaves no moment where
        the old stable gets traffic again."""
        body: dict[str, Any] = {"weight": split.weight, "cohort": sorted(split.cohort)}
        body |= {k: v for k, v in (("stable", stable), ("canary", canary)) if v is not None}
        return self._call("PUT", body)


# The HAProxy router is driven through the same admin API (its admin process speaks the
# runtime API), so the provider is the same.
HAProxyProvider = LocalRouterProvider
