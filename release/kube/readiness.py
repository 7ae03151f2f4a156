"""Wait until a Deployment has rolled out, reading only its status (no pod watch), with
a bounded timeout on an injected clock."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

from .api import DEPLOYMENTS, ObjectApi
from .errors import RolloutTimeoutError

__all__ = ["Clock", "DeploymentWaiter", "SystemClock", "rollout_status"]


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass(frozen=True)
class RolloutStatus:
    done: bool
    ready: int
    desired: int
    reason: str


def rollout_status(deployment: dict[str, Any]) -> RolloutStatus:
    """What ``kubectl rollout status`` decides, from one Deployment object.

    Done when the controller has seen the latest spec (observedGeneration), every
    replica runs the new template (updatedReplicas), none of the old ones is left
    (replicas == updated) and all are available. A ProgressDeadlineExceeded condition
    is a failure, not a reason to wait longer.
    """
    spec = deployment.get("spec", {})
    status = deployment.get("status") or {}
    meta = deployment.get("metadata", {})
    desired = int(spec.get("replicas", 1))
    updated = int(status.get("updatedReplicas", 0))
    total = int(status.get("replicas", 0))
    available = int(status.get("availableReplicas", 0))
    ready = int(status.get("readyReplicas", 0))
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
            return RolloutStatus(False, ready, desired, "ProgressDeadlineExceeded: " + cond.get("message", ""))
    generation = meta.get("generation")
    observed = status.get("observedGeneration")
    if generation is not None and (observed is None or int(observed) < int(generation)):
        return RolloutStatus(False, ready, desired, "waiting for the controller to observe the new spec")
    if updated < desired:
        return RolloutStatus(False, ready, desired, f"{updated}/{desired} replicas updated")
    if total > updated:
        return RolloutStatus(False, ready, desired, f"{total - updated} old replicas pending termination")
    if available < updated:
        return RolloutStatus(False, ready, desired, f"{available}/{updated} updated replicas available")
    return RolloutStatus(True, ready, desired, "rolled out")


class DeploymentWaiter:
    def __init__(self, api: ObjectApi, *, clock: Clock | None = None, timeout: float = 300.0,
                 poll: float = 2.0) -> None:
        self._api = api
        self.clock = clock or SystemClock()
        self.timeout = timeout
        self.poll = poll

    def wait(self, namespace: str, name: str) -> dict[str, Any]:
        """Return the rolled-out Deployment, or raise RolloutTimeoutError."""
        start = self.clock.monotonic()
        while True:
            dep = self._api.get(DEPLOYMENTS, namespace, name)
            st = rollout_status(dep)
            waited = self.clock.monotonic() - start
            if st.done:
                return dep
            if st.reason.startswith("ProgressDeadlineExceeded") or waited >= self.timeout:
                raise RolloutTimeoutError(name, waited_s=waited, ready=st.ready, desired=st.desired,
                                          detail=st.reason)
            self.clock.sleep(min(self.poll, max(self.timeout - waited, 0.0)) or self.poll)
