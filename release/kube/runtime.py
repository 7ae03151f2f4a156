"""KubernetesRuntime: the controller's Runtime (release/controller/runtime.py) on a
cluster, composed of a KubernetesTarget and one Kubernetes traffic provider.

Every method is idempotent (the controller re-runs an action after a crash) and moves
traffic before it removes pods: ``promote`` rolls stable to the canary's build and waits,
then sends everything to stable, then scales the canary to 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from release.traffic.provider import TrafficProvider
from release.traffic.split import TrafficSplit

from .api import ObjectApi
from .errors import CohortUnsupportedError, KubeTargetError, KubeTrafficError
from .names import KubeNames
from .readiness import Clock, DeploymentWaiter
from .target import KubernetesTarget

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

    from release.spec import Rollout

__all__ = ["GATEWAY_ACCEPT_TIMEOUT", "KubernetesRuntime", "build_kubernetes_runtime"]

#: Seconds a rollout waits for the Gateway to accept each new HTTPRoute generation.
GATEWAY_ACCEPT_TIMEOUT = 60.0


class KubernetesRuntime:
    def __init__(self, target: KubernetesTarget, provider: TrafficProvider, *,
                 canary_faults: str | None = None, public_url: str | None = None,
                 stable_version: str | None = None) -> None:
        """public_url: where clients reach the service through the traffic object (the
        Gateway or ingress host); defaults to the root Service inside the cluster."""
        self.target = target
        self.provider = provider
        self.canary_faults = canary_faults
        self.public_url = public_url
        self.stable_version = stable_version

    def deploy_canary(self, version: str) -> None:
        names = self.target.names
        stable = self.target.build(names.stable_deployment)
        if stable is None:
            raise KubeTargetError(names.stable_deployment, "not found; install the chart first", track="stable")
        # A stable build other than the spec's is somebody else's rollout or a stale
        # spec: refuse rather than silently roll production to another version.
        if self.stable_version and stable["version"] != self.stable_version:
            raise KubeTargetError(names.stable_deployment,
                                  f"runs {stable['version']}, the rollout spec says stable is "
                                  f"{self.stable_version}; fix the spec or `helm upgrade` first",
                                  track="stable", version=self.stable_version)
        build = self.target.build(self.target.names.canary_deployment)
        running = (build is not None and build["version"] == version
                   and (build["faults"] or None) == (self.canary_faults or None)
                   and build["replicas"] not in ("0", None))
        if not running:
            self.target.start_canary(version, self.canary_faults)

    def set_traffic(self, split: TrafficSplit) -> None:
        self.provider.apply(split)

    def current_traffic(self) -> TrafficSplit | None:
        try:
            return self.provider.current()
        except KubeTrafficError as exc:
            if exc.status == 404:
                return None
            raise

    def promote(self) -> None:
        self.target.promote()
        self.provider.apply(TrafficSplit.stable_only())
        self.target.stop_canary()

    def stop_canary(self) -> None:
        # A canary with 0 pods must not keep a share of traffic (it would answer 503).
        self.provider.apply(TrafficSplit.stable_only())
        self.target.stop_canary()

    def revert_stable(self, version: str) -> None:
        self.provider.apply(TrafficSplit.stable_only())
        self.target.start_stable(version)

    def endpoints(self) -> dict[str, str]:
        return {k: v for k, v in self.target.endpoints().items() if v is not None}

    def router_url(self) -> str | None:
        return self.public_url or self.target.names.service_url("root")

    def state(self) -> dict[str, Any]:
        return {"target": self.target.state(), "provider": getattr(self.provider, "name", ""),
                "canary_faults": self.canary_faults, "public_url": self.public_url}

    def restore(self, state: Mapping[str, Any]) -> None:
        # Names come from the spec the controller was started with; a state written for
        # other objects means the wrong spec was given to `resume`.
        saved = state.get("target", {})
        mine = self.target.state()
        for key in ("namespace", "base", "stable_deployment", "container"):
            if saved.get(key, mine[key]) != mine[key]:
                raise KubeTargetError(self.target.names.stable_deployment,
                                      f"the saved rollout is for {key}={saved.get(key)!r}, this spec "
                                      f"manages {mine[key]!r}; resume with the spec it was started with")
        if state.get("provider") and state["provider"] != getattr(self.provider, "name", ""):
            raise KubeTargetError(self.target.names.stable_deployment,
                                  f"the saved rollout moved traffic with {state['provider']}, this spec "
                                  f"uses {getattr(self.provider, 'name', '')}")


def build_kubernetes_runtime(rollout: Rollout, workdir: str | Path | None = None, *,
                             api_client: ApiClient | None = None,
                             clock: Clock | None = None) -> KubernetesRuntime:
    """The runtime for a spec with ``target: {kubernetes: ...}`` and a Kubernetes traffic
    provider; the controller calls it where it calls ``build_runtime`` for local specs.
    ``workdir`` is unused: the cluster holds the state."""
    from .connection import connect
    from .factory import traffic_provider

    spec = rollout.spec
    kube = spec.target.kubernetes
    if kube is None:
        raise ValueError("the rollout's target is not kubernetes")
    if spec.traffic.provider == "replica-ratio":
        # Refuse up front, not at the first cohort step of a running rollout.
        branches = frozenset(code for step in spec.steps if step.cohort is not None and not step.cohort.all
                             for code in step.cohort.branches)
        if branches:
            raise CohortUnsupportedError("replica-ratio", branches)
    names = KubeNames(namespace=kube.namespace, base=kube.deployment, container=kube.container)
    client = api_client or connect(context=kube.context or None)
    target = KubernetesTarget(client, names, image=kube.image, clock=clock)
    options: dict[str, Any] = {}
    if spec.traffic.provider == "gateway-api":
        # Conformant Gateways report on every generation; return once they accepted it.
        options = {"accept_timeout": GATEWAY_ACCEPT_TIMEOUT, "clock": clock}
    elif spec.traffic.provider == "replica-ratio":
        # Grown pods are ready before the other track shrinks: capacity never dips.
        options = {"waiter": DeploymentWaiter(ObjectApi(client), clock=clock)}
    provider = traffic_provider(spec.traffic.provider, client, names, **options)
    return KubernetesRuntime(target, provider, canary_faults=spec.canary.faults or None,
                             stable_version=spec.stable.version)
