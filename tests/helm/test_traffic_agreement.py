"""The chart renders the initial split in exactly the layout the Kubernetes traffic
providers write, so the controller reads the chart's objects correctly and its first
write changes nothing but the split."""

from __future__ import annotations

from typing import Any

import pytest

from release.kube.gateway import GatewayRouteProvider
from release.kube.istio import IstioProvider
from release.kube.names import KubeNames
from release.kube.nginx import NginxCanaryProvider
from release.traffic import TrafficSplit

from .conftest import by_kind, render

NAMES = KubeNames(namespace="retail", base="credit")
SPLITS = [TrafficSplit(), TrafficSplit(weight=20, cohort=frozenset({"522731", "522629"})),
          TrafficSplit(weight=100), TrafficSplit(weight=0, cohort=frozenset(f"{520000 + i}" for i in range(70)))]


def _id(split: TrafficSplit) -> str:
    return f"w{split.weight}-c{len(split.cohort)}"


def _values(provider: str, split: TrafficSplit) -> dict[str, Any]:
    return {"traffic": {"provider": provider, "canaryWeight": split.weight, "cohort": sorted(split.cohort)}}


def _docs(chart: Any, provider: str, split: TrafficSplit) -> list[dict[str, Any]]:
    return render(chart, _values(provider, split), name="credit", namespace="retail")


@pytest.mark.parametrize("split", SPLITS, ids=_id)
def test_httproute_rules_are_the_providers(chart: Any, split: TrafficSplit) -> None:
    provider = GatewayRouteProvider(None, NAMES, api=object())  # type: ignore[arg-type]
    route = by_kind(_docs(chart, "gateway-api", split), "HTTPRoute")["credit"]
    assert route["spec"]["rules"] == provider.rules(split)
    assert provider.parse(route) == split


@pytest.mark.parametrize("split", SPLITS, ids=_id)
def test_virtualservice_routes_are_the_providers(chart: Any, split: TrafficSplit) -> None:
    provider = IstioProvider(None, NAMES, api=object())  # type: ignore[arg-type]
    vs = by_kind(_docs(chart, "istio", split), "VirtualService")["credit"]
    assert vs["spec"]["http"] == provider.http_routes(split)
    assert provider.parse(vs) == split


@pytest.mark.parametrize("split", SPLITS, ids=_id)
def test_canary_ingress_annotations_are_the_providers(chart: Any, split: TrafficSplit) -> None:
    provider = NginxCanaryProvider(None, NAMES, api=object())  # type: ignore[arg-type]
    ingresses = by_kind(_docs(chart, "ingress-nginx", split), "Ingress")
    canary = ingresses["credit-canary"]
    wanted = {k: v for k, v in provider.annotations(split).items() if v is not None}
    assert canary["metadata"]["annotations"] == wanted
    assert provider.parse(canary) == split
    # same host and path as the main Ingress, or ingress-nginx ignores the canary
    main = ingresses["credit"]
    assert "annotations" not in main["metadata"]
    assert canary["spec"]["rules"][0]["host"] == main["spec"]["rules"][0]["host"]
    assert (canary["spec"]["rules"][0]["http"]["paths"][0]["path"]
            == main["spec"]["rules"][0]["http"]["paths"][0]["path"])
    assert main["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "credit-stable"
    assert canary["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "credit-canary"


def test_mesh_mode_attaches_the_route_to_the_root_service(chart: Any) -> None:
    docs = render(chart, {"traffic": {"provider": "gateway-api", "gatewayApi": {"mesh": True, "parentRefs": []}}})
    route = by_kind(docs, "HTTPRoute")["lending"]
    assert route["spec"]["parentRefs"] == [{"group": "", "kind": "Service", "name": "lending", "port": 80}]
    assert "hostnames" not in route["spec"]
