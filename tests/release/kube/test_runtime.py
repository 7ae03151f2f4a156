from __future__ import annotations

from release.kube.api import DEPLOYMENTS, HTTPROUTES
from release.kube.gateway import GatewayRouteProvider
from release.kube.runtime import KubernetesRuntime
from release.kube.target import KubernetesTarget
from release.traffic import TrafficSplit

from .conftest import Cluster, FakeClock, deployment, http_route, rolled_out


def _runtime(cluster: Cluster) -> KubernetesRuntime:
    def controller(_: float) -> None:
        for name in ("lending", "lending-canary"):
            cluster.set_status(name, rolled_out(cluster.get(DEPLOYMENTS, name)["spec"]["replicas"]))

    target = KubernetesTarget(cluster.api_client, cluster.names, image="lending",
                              clock=FakeClock(controller), poll=1)
    return KubernetesRuntime(target, GatewayRouteProvider(cluster.api_client, cluster.names),
                             canary_faults="error_rate=0.05")


def test_a_whole_rollout_moves_traffic_before_pods(cluster: Cluster) -> None:
    cluster.put(DEPLOYMENTS, deployment("lending", "stable"))
    cluster.put(DEPLOYMENTS, deployment("lending-canary", "canary", replicas=0))
    cluster.put(HTTPROUTES, http_route())
    rt = _runtime(cluster)

    rt.deploy_canary("1.1.0")
    rt.deploy_canary("1.1.0")  # idempotent: nothing to do the second time
    assert sum(1 for r in cluster.writes() if r.url.path.endswith("lending-canary")) == 1
    rt.set_traffic(TrafficSplit(weight=30, cohort=frozenset({"522629"})))
    assert rt.current_traffic() == TrafficSplit(weight=30, cohort=frozenset({"522629"}))
    assert rt.endpoints() == {"stable": "http://lending-stable.lending.svc:80",
                              "canary": "http://lending-canary.lending.svc:80"}
    cluster.clear()

    rt.promote()
    order = [r.url.path.rsplit("/", 1)[1] for r in cluster.writes()]
    assert order == ["lending", "lending", "lending-canary"]  # stable rolled, route, canary scaled
    assert [r.url.path.split("/")[-2] for r in cluster.writes()] == ["deployments", "httproutes", "deployments"]
    assert rt.current_traffic() == TrafficSplit.stable_only()
    assert cluster.get(DEPLOYMENTS, "lending-canary")["spec"]["replicas"] == 0
    assert rt.endpoints() == {"stable": "http://lending-stable.lending.svc:80"}
    assert rt.router_url() == "http://lending.lending.svc:80"


def test_current_traffic_is_none_without_a_route(cluster: Cluster) -> None:
    assert _runtime(cluster).current_traffic() is None


SPEC = """
apiVersion: lendops.dev/v1alpha1
kind: Rollout
metadata: {name: lending}
spec:
  stable: {version: "1.0.0"}
  canary: {version: "1.1.0", faults: "latency_ms=200"}
  target:
    kubernetes: {namespace: lending, deployment: lending, image: registry.example/lending}
  traffic: {provider: istio}
  steps:
    - cohort: pilot
    - setWeight: 20
    - promote: {}
"""


def test_a_kubernetes_spec_builds_a_runtime_that_drives_its_provider(cluster: Cluster) -> None:
    from release.kube.api import VIRTUALSERVICES
    from release.kube.istio import IstioProvider
    from release.kube.runtime import build_kubernetes_runtime
    from release.spec import load_text

    from .conftest import virtual_service

    rollout = load_text(SPEC)
    cluster.put(VIRTUALSERVICES, virtual_service())
    rt = build_kubernetes_runtime(rollout, api_client=cluster.api_client)
    assert isinstance(rt.provider, IstioProvider)
    gw = build_kubernetes_runtime(load_text(SPEC.replace("provider: istio", "provider: gateway-api")),
                                  api_client=cluster.api_client)
    assert gw.provider.accept_timeout == 60.0  # type: ignore[attr-defined]
    assert rt.target.names.namespace == "lending" and rt.target.image == "registry.example/lending"
    assert rt.canary_faults == "latency_ms=200"
    rt.set_traffic(TrafficSplit(weight=20))
    assert cluster.get(VIRTUALSERVICES, "lending")["spec"]["http"][0]["route"][1]["weight"] == 20


def test_deploy_canary_refuses_a_stable_that_runs_another_build(cluster: Cluster) -> None:
    import pytest

    from release.kube.errors import KubeTargetError

    cluster.put(DEPLOYMENTS, deployment("lending", "stable", version="0.9.0"))
    rt = _runtime(cluster)
    rt.stable_version = "1.0.0"
    with pytest.raises(KubeTargetError, match="runs 0.9.0, the rollout spec says stable is 1.0.0"):
        rt.deploy_canary("1.1.0")
    assert cluster.writes() == []


def test_a_replica_ratio_spec_with_cohort_steps_is_refused_before_it_starts(cluster: Cluster) -> None:
    import pytest

    from release.kube.errors import CohortUnsupportedError
    from release.kube.runtime import build_kubernetes_runtime
    from release.spec import load_text

    rollout = load_text(SPEC.replace("provider: istio", "provider: replica-ratio"))
    with pytest.raises(CohortUnsupportedError, match="522629"):
        build_kubernetes_runtime(rollout, api_client=cluster.api_client)
    assert cluster.requests() == []
    ok = load_text(SPEC.replace("provider: istio", "provider: replica-ratio").replace("- cohort: pilot", "- cohort: all"))
    rr = build_kubernetes_runtime(ok, api_client=cluster.api_client)
    assert rr.provider.name == "replica-ratio"  # type: ignore[attr-defined]
    assert rr.provider._waiter is not None  # type: ignore[attr-defined]


def test_restore_accepts_its_own_state_and_refuses_another_rollouts(cluster: Cluster) -> None:
    import json

    import pytest

    from release.kube.errors import KubeTargetError
    from release.kube.istio import IstioProvider
    from release.kube.names import KubeNames

    rt = _runtime(cluster)
    state = json.loads(json.dumps(rt.state()))
    rt.restore(state)  # same objects: fine
    other = KubernetesRuntime(
        KubernetesTarget(cluster.api_client, KubeNames(namespace="lending", base="credit")),
        GatewayRouteProvider(cluster.api_client, cluster.names))
    with pytest.raises(KubeTargetError, match="saved rollout is for base='lending'"):
        other.restore(state)
    switched = KubernetesRuntime(rt.target, IstioProvider(cluster.api_client, cluster.names))
    with pytest.raises(KubeTargetError, match="moved traffic with gateway-api"):
        switched.restore(state)
