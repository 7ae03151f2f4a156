from __future__ import annotations

import pytest

from release.kube.api import DEPLOYMENTS
from release.kube.errors import CohortUnsupportedError
from release.kube.readiness import DeploymentWaiter
from release.kube.replicas import WEIGHT_ANNOTATION, ReplicaRatioProvider, replica_counts
from release.traffic import ProviderError, TrafficSplit

from .conftest import NS, Cluster, FakeClock, deployment, rolled_out

DEPS = f"/apis/apps/v1/namespaces/{NS}/deployments"


@pytest.mark.parametrize(("weight", "total", "expected"), [
    (0, 4, (4, 0)), (1, 4, (3, 1)), (10, 4, (3, 1)), (25, 4, (3, 1)), (50, 4, (2, 2)),
    (99, 4, (1, 3)), (100, 4, (0, 4)), (10, 10, (9, 1)), (33, 3, (2, 1)),
])
def test_replica_counts(weight: int, total: int, expected: tuple[int, int]) -> None:
    assert replica_counts(weight, total) == expected
    assert sum(expected) == total


def test_a_split_needs_two_replicas() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        replica_counts(50, 1)


def _seed(cluster: Cluster, stable: int = 4, canary: int = 0) -> None:
    cluster.put(DEPLOYMENTS, deployment("lending", "stable", replicas=stable))
    cluster.put(DEPLOYMENTS, deployment("lending-canary", "canary", replicas=canary))


def test_growing_the_canary_scales_it_up_before_stable_shrinks(cluster: Cluster) -> None:
    _seed(cluster)
    provider = ReplicaRatioProvider(cluster.api_client, cluster.names, total_replicas=4)
    cluster.clear()
    provider.apply(TrafficSplit(weight=50))

    writes = [(r.url.path, r.headers["Content-Type"], r.data) for r in cluster.writes()]
    assert writes == [
        (f"{DEPS}/lending-canary", "application/merge-patch+json",
         {"spec": {"replicas": 2}, "metadata": {"annotations": {WEIGHT_ANNOTATION: "50"}}}),
        (f"{DEPS}/lending", "application/merge-patch+json", {"spec": {"replicas": 2}}),
    ]
    assert cluster.get(DEPLOYMENTS, "lending")["spec"]["replicas"] == 2
    assert cluster.get(DEPLOYMENTS, "lending-canary")["spec"]["replicas"] == 2
    assert provider.current() == TrafficSplit(weight=50)


def test_shrinking_the_canary_scales_stable_up_first(cluster: Cluster) -> None:
    _seed(cluster, stable=2, canary=2)
    provider = ReplicaRatioProvider(cluster.api_client, cluster.names, total_replicas=4)
    cluster.clear()
    provider.apply(TrafficSplit(weight=0))
    assert [r.url.path.rsplit("/", 1)[1] for r in cluster.writes()] == ["lending", "lending-canary"]
    assert provider.current() == TrafficSplit(weight=0)


def test_current_reports_the_requested_weight_while_the_counts_match(cluster: Cluster) -> None:
    _seed(cluster)
    provider = ReplicaRatioProvider(cluster.api_client, cluster.names, total_replicas=4)
    provider.apply(TrafficSplit(weight=10))  # 1 of 4 pods: an effective 25 %
    assert provider.current() == TrafficSplit(weight=10)
    # someone scales by hand: the recorded weight no longer describes the pods
    cluster.emu.objects[next(k for k in cluster.emu.objects if k[2] == "lending")].patch({"spec": {"replicas": 1}})
    assert provider.current() == TrafficSplit(weight=50)


def test_a_cohort_is_refused_before_anything_is_written(cluster: Cluster) -> None:
    _seed(cluster)
    provider = ReplicaRatioProvider(cluster.api_client, cluster.names)
    cluster.clear()
    with pytest.raises(CohortUnsupportedError) as err:
        provider.apply(TrafficSplit(weight=10, cohort=frozenset({"522629"})))
    assert isinstance(err.value, ProviderError)
    assert "522629" in str(err.value) and "gateway-api" in str(err.value)
    assert cluster.requests() == []


def test_with_a_waiter_each_scale_up_is_ready_before_the_next_write(cluster: Cluster) -> None:
    _seed(cluster)
    order: list[str] = []

    def controller(_: float) -> None:
        # the Deployment controller catches up one poll later
        for name in ("lending", "lending-canary"):
            replicas = cluster.get(DEPLOYMENTS, name)["spec"]["replicas"]
            cluster.set_status(name, rolled_out(replicas))
        order.append("ready")

    clock = FakeClock(controller)
    waiter = DeploymentWaiter(_api(cluster), clock=clock, timeout=60, poll=1)
    provider = ReplicaRatioProvider(cluster.api_client, cluster.names, total_replicas=4, waiter=waiter)
    cluster.clear()
    provider.apply(TrafficSplit(weight=50))
    kinds = [("PATCH " + r.url.path.rsplit("/", 1)[1]) if r.method.value == "PATCH" else "GET"
             for r in cluster.requests()]
    # read canary replicas, patch canary, poll until ready, then touch stable
    assert kinds[:4] == ["GET", "PATCH lending-canary", "GET", "GET"]
    assert kinds.index("PATCH lending") > 3
    assert order


def _api(cluster: Cluster):  # type: ignore[no-untyped-def]
    from release.kube.api import ObjectApi

    return ObjectApi(cluster.api_client)


def test_without_a_total_the_current_sum_is_kept(cluster: Cluster) -> None:
    _seed(cluster, stable=3, canary=0)  # the chart's stable.replicas + canary.replicas
    provider = ReplicaRatioProvider(cluster.api_client, cluster.names)
    provider.apply(TrafficSplit(weight=50))
    assert (cluster.get(DEPLOYMENTS, "lending")["spec"]["replicas"],
            cluster.get(DEPLOYMENTS, "lending-canary")["spec"]["replicas"]) == (1, 2)
    provider.apply(TrafficSplit(weight=10))
    assert (cluster.get(DEPLOYMENTS, "lending")["spec"]["replicas"],
            cluster.get(DEPLOYMENTS, "lending-canary")["spec"]["replicas"]) == (2, 1)
    assert provider.current() == TrafficSplit(weight=10)


def test_one_pod_in_all_cannot_be_split(cluster: Cluster) -> None:
    from release.kube.errors import KubeTrafficError

    _seed(cluster, stable=1, canary=0)
    with pytest.raises(KubeTrafficError, match="at least 2 replicas .the two Deployments have 1"):
        ReplicaRatioProvider(cluster.api_client, cluster.names).apply(TrafficSplit(weight=50))
