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
