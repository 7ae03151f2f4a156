from __future__ import annotations

import pytest

from release.kube.api import HTTPROUTES
from release.kube.errors import KubeTrafficError
from release.kube.gateway import GatewayRouteProvider
from release.traffic import ProviderError, TrafficProvider, TrafficSplit

from .conftest import NS, Cluster, http_route

PATH = f"/apis/gateway.networking.k8s.io/v1/namespaces/{NS}/httproutes/lending"


def _provider(cluster: Cluster) -> GatewayRouteProvider:
    return GatewayRouteProvider(cluster.api_client, cluster.names)


def test_weight_and_cohort_are_one_merge_patch_of_the_rules(cluster: Cluster) -> None:
    cluster.put(HTTPROUTES, http_route())
    provider = _provider(cluster)
    assert isinstance(provider, TrafficProvider)

    provider.apply(TrafficSplit(weight=10, cohort=frozenset({"522731", "522629"})))

    [patch] = cluster.writes()
    assert patch.method.value == "PATCH"
    assert patch.url.path == PATH
    assert patch.headers["Content-Type"] == "application/merge-patch+json"
    prefix = {"type": "PathPrefix", "value": "/"}
    canary = {"group": "", "kind": "Service", "name": "lending-canary", "port": 80}
    stable = {"group": "", "kind": "Service", "name": "lending-stable", "port": 80}
    assert patch.data == {"spec": {"rules": [
        {"matches": [
            {"path": prefix, "headers": [{"type": "Exact", "name": "X-Branch-Code", "value": "522629"}]},
            {"path": prefix, "headers": [{"type": "Exact", "name": "X-Branch-Code", "value": "522731"}]}],
         "backendRefs": [{**canary, "weight": 1}]},
        {"matches": [{"path": prefix}],
         "backendRefs": [{**stable, "weight": 90}, {**canary, "weight": 10}]},
    ]}}
    stored = cluster.get(HTTPROUTES, "lending")
    assert stored["spec"]["parentRefs"] == [{"name": "public", "namespace": "gateways"}]
    assert stored["spec"]["hostnames"] == ["lending.example.com"]
    assert stored["spec"]["rules"] == patch.data["spec"]["rules"]
    assert provider.current() == TrafficSplit(weight=10, cohort=frozenset({"522629", "522731"}))


def test_a_smaller_cohort_replaces_the_rules_instead_of_merging(cluster: Cluster) -> None:
    cluster.put(HTTPROUTES, http_route())
    provider = _provider(cluster)
    provider.apply(TrafficSplit(weight=0, cohort=frozenset({"522629", "522731"})))
    provider.apply(TrafficSplit(weight=50))

    rules = cluster.get(HTTPROUTES, "lending")["spec"]["rules"]
    assert len(rules) == 1
    assert "headers" not in rules[0]["matches"][0]
    assert [r["weight"] for r in rules[0]["backendRefs"]] == [50, 50]
    assert provider.current() == TrafficSplit(weight=50)


def test_the_charts_initial_route_reads_as_stable_only(cluster: Cluster) -> None:
    cluster.put(HTTPROUTES, http_route())
    assert _provider(cluster).current() == TrafficSplit.stable_only()
    assert [r.method.value for r in cluster.requests()] == ["GET"]


def test_large_cohorts_are_chunked_within_the_schema_limit_of_64_matches(cluster: Cluster) -> None:
    cluster.put(HTTPROUTES, http_route())
    codes = frozenset(f"{520000 + i}" for i in range(130))
    provider = _provider(cluster)
    provider.apply(TrafficSplit(weight=100, cohort=codes))
    rules = cluster.get(HTTPROUTES, "lending")["spec"]["rules"]
    assert [len(r["matches"]) for r in rules] == [64, 64, 2, 1]
    assert provider.current() == TrafficSplit(weight=100, cohort=codes)


def test_a_missing_route_is_a_provider_error_with_the_status(cluster: Cluster) -> None:
    with pytest.raises(KubeTrafficError) as err:
        _provider(cluster).apply(TrafficSplit(weight=5))
    assert isinstance(err.value, ProviderError)
    assert err.value.status == 404
    assert "httproutes/lending" in str(err.value)


def test_a_route_refused_by_its_gateway_is_reported(cluster: Cluster) -> None:
    route = http_route()
    route["status"] = {"parents": [{"parentRef": {"name": "public"}, "conditions": [
        {"type": "Accepted", "status": "False", "reason": "NotAllowedByListeners",
         "message": "no listener allows namespace lending"}]}]}
    cluster.put(HTTPROUTES, route)
    with pytest.raises(KubeTrafficError, match="not accepted by public: no listener allows"):
        _provider(cluster).apply(TrafficSplit(weight=5))


def test_a_foreign_cohort_rule_is_not_misread(cluster: Cluster) -> None:
    route = http_route()
    route["spec"]["rules"].insert(0, {
        "matches": [{"headers": [{"type": "Exact", "name": "X-Branch-Code", "value": "522629"}]}],
        "backendRefs": [{"name": "lending-stable", "port": 80}]})
    cluster.put(HTTPROUTES, route)
    with pytest.raises(KubeTrafficError, match="cohort rule routes to"):
        _provider(cluster).current()


def _report(cluster: Cluster, *, accepted: str = "True", resolved: str = "True", reason: str = "Accepted",
            message: str = "") -> None:
    """Play the Gateway controller: report on the route's current generation."""
    route = cluster.get(HTTPROUTES, "lending")
    gen = route["metadata"]["generation"]
    cluster.emu.objects[next(k for k in cluster.emu.objects if k[0].plural == "httproutes")].patch({"status": {"parents": [
        {"parentRef": {"name": "public"}, "controllerName": "example.com/gateway",
         "conditions": [
             {"type": "Accepted", "status": accepted, "reason": reason, "message": message, "observedGeneration": gen},
             {"type": "ResolvedRefs", "status": resolved, "reason": "ResolvedRefs" if resolved == "True" else "BackendNotFound",
              "message": "" if resolved == "True" else "service lending-canary not found", "observedGeneration": gen}]}]}})


def test_with_an_accept_timeout_apply_waits_for_the_gateway(cluster: Cluster) -> None:
    from .conftest import FakeClock

    cluster.put(HTTPROUTES, http_route())
    clock = FakeClock(lambda now: _report(cluster) if now >= 3 else None)
    provider = GatewayRouteProvider(cluster.api_client, cluster.names, accept_timeout=30, poll=1, clock=clock)
    provider.apply(TrafficSplit(weight=10))
    assert clock.now == 3.0  # returned at the first poll after the Gateway reported
    assert cluster.get(HTTPROUTES, "lending")["status"]["parents"][0]["conditions"][0]["observedGeneration"] == 1


def test_unresolved_backends_fail_the_wait_with_the_gateways_reason(cluster: Cluster) -> None:
    from .conftest import FakeClock

    cluster.put(HTTPROUTES, http_route())
    clock = FakeClock(lambda now: _report(cluster, resolved="False"))
    provider = GatewayRouteProvider(cluster.api_client, cluster.names, accept_timeout=5, poll=1, clock=clock)
    with pytest.raises(KubeTrafficError, match="public: ResolvedRefs False .BackendNotFound: service lending-canary not found"):
        provider.apply(TrafficSplit(weight=10))
    assert clock.now == 5.0


def test_a_silent_gateway_times_out(cluster: Cluster) -> None:
    from .conftest import FakeClock

    cluster.put(HTTPROUTES, http_route())
    clock = FakeClock()
    provider = GatewayRouteProvider(cluster.api_client, cluster.names, accept_timeout=4, poll=1, clock=clock)
    with pytest.raises(KubeTrafficError, match="generation 1 not accepted after 4 s: no Gateway has reported"):
        provider.apply(TrafficSplit(weight=10))
