"""Replica ratio as a traffic provider, for clusters without a mesh or a canary-aware
ingress: the root Service selects the pods of both tracks, so each track gets roughly
its share of ready pods. Best effort, as in Argo Rollouts: the share is quantised to
1/total, kube-proxy balances connections rather than requests, and keep-alive clients
stick to one pod. A cohort cannot be expressed by pod counts, so a split with a cohort
is refused with :class:`CohortUnsupportedError`.

The requested weight is recorded in an annotation on the canary Deployment, so
``current()`` returns the weight that was asked for while the replica counts still
match it (and the effective share if someone scaled by hand).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from release.traffic.split import TrafficSplit

from .api import DEPLOYMENTS, ObjectApi
from .errors import CohortUnsupportedError, KubeApiError, KubeTrafficError
from .names import KubeNames
from .readiness import DeploymentWaiter

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

__all__ = ["WEIGHT_ANNOTATION", "ReplicaRatioProvider", "replica_counts"]

WEIGHT_ANNOTATION = "lendops.dev/traffic-weight"


def replica_counts(weight: int, total: int) -> tuple[int, int]:
    """(stable, canary) replicas for ``weight`` percent of ``total`` pods.

    Any positive weight gets at least one canary pod and any weight below 100 keeps at
    least one stable pod, so a 1 % step still exercises the canary and nothing but a full
    promotion empties stable.

    >>> replica_counts(10, 4)
    (3, 1)
    """
    if total < 1:
        raise ValueError("total replicas must be at least 1")
    if weight <= 0:
        return total, 0
    if weight >= 100:
        return 0, total
    if total < 2:
        raise ValueError("a split between 1 and 99 % needs at least 2 replicas")
    canary = min(max(math.ceil(total * weight / 100), 1), total - 1)
    return total - canary, canary


class ReplicaRatioProvider:
    name = "replica-ratio"

    def __init__(self, api_client: ApiClient, names: KubeNames, *, total_replicas: int | None = None,
                 waiter: DeploymentWaiter | None = None, api: ObjectApi | None = None) -> None:
        """total_replicas: pods shared by both tracks; None keeps the sum the two
        Deployments have now (the chart's stable.replicas + canary.replicas), which every
        ``apply`` preserves.

        waiter: when given, each scale-up is waited for before the other track is scaled
        down, so capacity never dips; without it ``apply`` returns once the replica
        counts are written."""
        self.names = names
        self.total = total_replicas
        self._api = api or ObjectApi(api_client)
        self._waiter = waiter
        if total_replicas is not None:
            replica_counts(50, total_replicas)  # refuse an unusable total up front

    def _scale(self, deployment: str, replicas: int, weight: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"spec": {"replicas": replicas}}
        if weight is not None:
            body["metadata"] = {"annotations": {WEIGHT_ANNOTATION: str(weight)}}
        try:
            got = self._api.merge_patch(DEPLOYMENTS, self.names.namespace, deployment, body)
        except KubeApiError as exc:
            raise KubeTrafficError(self.name, str(exc), status=exc.status) from exc
        if self._waiter is not None and replicas > 0:
            self._waiter.wait(self.names.namespace, deployment)
        return got

    def apply(self, split: TrafficSplit) -> None:
        if split.cohort:
            raise CohortUnsupportedError(self.name, split.cohort)
        now_canary = self._replicas(self.names.canary_deployment)
        total = self.total
        if total is None:
            total = now_canary + self._replicas(self.names.stable_deployment)
        try:
            stable, canary = replica_counts(split.weight, total)
        except ValueError as exc:
            raise KubeTrafficError(self.name, f"{exc} (the two Deployments have {total})") from exc
        # Grow first, shrink second: the track that gains pods has them ready before the
        # other one gives any up.
        if canary >= now_canary:
            self._scale(self.names.canary_deployment, canary, split.weight)
            self._scale(self.names.stable_deployment, stable)
        else:
            self._scale(self.names.stable_deployment, stable)
            self._scale(self.names.canary_deployment, canary, split.weight)

    def _get(self, deployment: str) -> dict[str, Any]:
        try:
            return self._api.get(DEPLOYMENTS, self.names.namespace, deployment)
        except KubeApiError as exc:
            raise KubeTrafficError(self.name, str(exc), status=exc.status) from exc

    def _replicas(self, deployment: str) -> int:
        return int(self._get(deployment).get("spec", {}).get("replicas", 1))

    def current(self) -> TrafficSplit:
        canary_dep = self._get(self.names.canary_deployment)
        canary = int(canary_dep.get("spec", {}).get("replicas", 1))
        stable = self._replicas(self.names.stable_deployment)
        recorded = (canary_dep.get("metadata", {}).get("annotations") or {}).get(WEIGHT_ANNOTATION)
        if recorded is not None and recorded.isdigit() and 0 <= int(recorded) <= 100:
            total = self.total if self.total is not None else stable + canary
            if stable + canary == total and total > 0 and replica_counts(int(recorded), total) == (stable, canary):
                return TrafficSplit(weight=int(recorded))
        total = stable + canary
        return TrafficSplit(weight=round(100 * canary / total) if total else 0)
