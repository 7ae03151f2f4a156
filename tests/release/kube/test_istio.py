from __future__ import annotations

import pytest

from release.kube.api import VIRTUALSERVICES
from release.kube.errors import KubeTrafficError
from release.kube.istio import IstioProvider
from release.traffic import TrafficSplit

from .conftest import NS, Cluster, virtual_service

PATH = f"/apis/networking.istio.io/v1/namespaces/{NS}/virtualservices/lending"
STABLE = "lending-stable.lending.svc.cluster.local"
CANARY = "lending-canary.lending.svc.cluster.local"


def test_cohort_route_comes_first_then_the_weighted_route(cluster: Cluster) -> None:
    cluster.put(VIRTUALSERVICES, virtual_service())
    provider = IstioProvider(cluster.api_client, cluster.names)
    provider.apply(TrafficSplit(weight=25, cohort=frozenset({"522629", "520221"})))

    [patch] = cluster.writes()
    assert (patch.method.value, patch.url.path) == ("PATCH", PATH)
    assert patch.headers["Content-Type"] == "application/merge-patch+json"
    assert patch.data == {"spec": {"http": [
        {"name": "lendops-cohort",
         "match": [{"headers": {"x-branch-code": {"exact": "520221"}}},
                   {"headers": {"x-branch-code": {"exact": "522629"}}}],
         "route": [{"destination": {"host": CANARY, "port": {"number": 80}}, "weight": 100}]},
        {"name": "lendops-weighted",
         "route": [{"destination": {"host": STABLE, "port": {"number": 80}}, "weight": 75},
                   {"destination": {"host": CANARY, "port": {"number": 80}}, "weight": 25}]},
    ]}}
    stored = cluster.get(VIRTUALSERVICES, "lending")
    assert stored["spec"]["hosts"] == ["lending"] and stored["spec"]["gateways"] == ["mesh"]
    assert provider.current() == TrafficSplit(weight=25, cohort=frozenset({"522629", "520221"}))


def test_dropping_the_cohort_removes_its_route(cluster: Cluster) -> None:
    cluster.put(VIRTUALSERVICES, virtual_service())
    provider = IstioProvider(cluster.api_client, cluster.names)
    provider.apply(TrafficSplit(weight=0, cohort=frozenset({"522629"})))
    provider.apply(TrafficSplit(weight=100))
    http = cluster.get(VIRTUALSERVICES, "lending")["spec"]["http"]
    assert [r["name"] for r in http] == ["lendops-weighted"]
    assert [d["weight"] for d in http[0]["route"]] == [0, 100]
    assert provider.current() == TrafficSplit.canary_only()


def test_the_charts_initial_virtual_service_reads_as_stable_only(cluster: Cluster) -> None:
    cluster.put(VIRTUALSERVICES, virtual_service())
    assert IstioProvider(cluster.api_client, cluster.names).current() == TrafficSplit()


def test_a_missing_virtual_service_names_the_path(cluster: Cluster) -> None:
    with pytest.raises(KubeTrafficError, match="virtualservices/lending: HTTP 404") as err:
        IstioProvider(cluster.api_client, cluster.names).current()
    assert err.value.status == 404


def test_a_regex_cohort_written_by_hand_is_not_guessed_at(cluster: Cluster) -> None:
    vs = virtual_service()
    vs["spec"]["http"].insert(0, {"match": [{"headers": {"x-branch-code": {"regex": "^52.*"}}}],
                                  "route": [{"destination": {"host": CANARY}}]})
    cluster.put(VIRTUALSERVICES, vs)
    with pytest.raises(KubeTrafficError, match="cannot read a cohort match"):
        IstioProvider(cluster.api_client, cluster.names).current()
