"""Errors of the Kubernetes adapters.

    KubeError                      base of everything raised by ``release.kube``
    ├── KubeConfigError            no usable kubeconfig / in-cluster credentials (source, detail)
    ├── KubeApiError               the API server refused or could not be reached
    │                              (verb, path, status, reason, detail)
    ├── KubeTrafficError           a split could not be applied or read back (provider, detail);
    │   │                          also a ``release.traffic.ProviderError``
    │   └── CohortUnsupportedError the provider cannot route by header (replica ratio)
    └── KubeTargetError            a workload could not be changed (deployment, detail);
        │                          also a ``release.target.TargetError``
        └── RolloutTimeoutError    a Deployment did not become ready in time
                                   (deployment, waited_s, ready, desired)

The traffic and target errors also derive from the traffic/target packages' own bases,
so the controller catches them exactly as it catches the local router's and the local
target's errors.
"""

from __future__ import annotations

from release.target.errors import TargetError
from release.traffic.errors import ProviderError

__all__ = [
    "CohortUnsupportedError",
    "KubeApiError",
    "KubeConfigError",
    "KubeError",
    "KubeTargetError",
    "KubeTrafficError",
    "RolloutTimeoutError",
]


class KubeError(Exception):
    """Base of every error raised by ``release.kube``."""


class KubeConfigError(KubeError):
    def __init__(self, source: str, detail: str) -> None:
        self.source = source
        self.detail = detail
        super().__init__(f"cannot build a Kubernetes client from {source}: {detail}")


class KubeApiError(KubeError):
    def __init__(
        self, verb: str, path: str, *, status: int | None, reason: str = "", detail: str = ""
    ) -> None:
        self.verb = verb
        self.path = path
        self.status = status
        self.reason = reason
        self.detail = detail
        code = f"HTTP {status} {reason}".strip() if status is not None else "no answer"
        super().__init__(f"{verb} {path}: {code}" + (f": {detail}" if detail else ""))

    @property
    def not_found(self) -> bool:
        return self.status == 404


class KubeTrafficError(KubeError, ProviderError):
    def __init__(self, provider: str, detail: str, *, status: int | None = None) -> None:
        ProviderError.__init__(self, provider, detail, status=status)


class CohortUnsupportedError(KubeTrafficError):
    def __init__(self, provider: str, cohort: frozenset[str]) -> None:
        self.cohort = cohort
        super().__init__(
            provider,
            f"cannot route the cohort {sorted(cohort)} by X-Branch-Code: scaling replicas "
            "moves a share of all requests, never chosen ones; use gateway-api, istio or "
            "ingress-nginx for cohort steps, or drop the cohort from the rollout",
        )


class KubeTargetError(KubeError, TargetError):
    def __init__(self, deployment: str, detail: str, *, track: str | None = None,
                 version: str | None = None) -> None:
        self.deployment = deployment
        self.detail = detail
        TargetError.__init__(self, f"Deployment {deployment}: {detail}", track=track, version=version)


class RolloutTimeoutError(KubeTargetError):
    def __init__(self, deployment: str, *, waited_s: float, ready: int, desired: int,
                 detail: str = "") -> None:
        self.waited_s = waited_s
        self.ready = ready
        self.desired = desired
        super().__init__(
            deployment,
            f"{ready}/{desired} replicas ready after {waited_s:.0f} s"
            + (f" ({detail})" if detail else "")
            + "; see `kubectl describe deployment` and the pods' events",
        )
