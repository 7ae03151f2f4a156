"""The seam between the controller and the world it changes: the target (processes or
workloads) and the traffic provider. :class:`LocalRuntime` is the one-machine default;
tests may pass any object with the same methods."""

from __future__ import annotations

from typing import Any, Protocol

from release.traffic.split import TrafficSplit

__all__ = ["Runtime"]


class Runtime(Protocol):
    """Every method is idempotent: the controller re-runs an action after a crash."""

    def deploy_canary(self, version: str) -> None:
        """Stable, router and the canary build are running (start what is missing)."""

    def set_traffic(self, split: TrafficSplit) -> None: ...

    def current_traffic(self) -> TrafficSplit | None:
        """The split in force, or None when nothing routes yet."""

    def promote(self) -> None:
        """The canary build becomes stable and takes all traffic; the old stable stops."""

    def stop_canary(self) -> None: ...

    def revert_stable(self, version: str) -> None:
        """Undo: bring ``version`` back as stable with all traffic."""

    def endpoints(self) -> dict[str, str]:
        """Base URLs of the tracks that run: {"stable": ..., "canary": ...}."""

    def router_url(self) -> str | None: ...

    def state(self) -> dict[str, Any]:
        """What to persist so :meth:`restore` can re-attach after a restart."""

    def restore(self, state: dict[str, Any]) -> None: ...
