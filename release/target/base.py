"""What a deployment target does for the release controller: run a stable and a canary
build and say where they answer. LocalTarget runs processes; a Kubernetes target would
run workloads behind the same calls."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

__all__ = ["Target"]


@runtime_checkable
class Target(Protocol):
    def start_stable(self, version: str, faults: str | None = None) -> str:
        """Run the stable build; return its base URL once it is ready."""

    def start_canary(self, version: str, faults: str | None = None) -> str:
        """Run the canary build; return its base URL once it is ready."""

    def stop_canary(self) -> None: ...

    def promote(self) -> str:
        """Run the canary's build as the new stable; return its URL once ready. The
        previous stable keeps running until ``stop_previous`` (repoint traffic first)."""

    def stop_previous(self) -> None: ...

    def endpoints(self) -> dict[str, str | None]:
        """``{"stable": url, "canary": url or None}``"""

    def state(self) -> dict[str, Any]:
        """JSON-safe description to persist and hand to ``restore`` after a restart."""

    def stop_all(self) -> None: ...
