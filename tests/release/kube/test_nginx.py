from __future__ import annotations

import pytest

from release.kube.api import INGRESSES
from release.kube.errors import KubeTrafficError
from release.kube.nginx import PREFIX, NginxCanaryProvider
from release.traffic import TrafficSplit

from .conftest import NS, Cluster, canary_ingress

PATH = f"/apis/networking.k8s.io/v1/namespaces/{NS}/ingresses/lending-canary"


def test_weight_and_cohort_become_canary_annotations(cluster: Cluster) -> None:
    cluster.put(INGRESSES, canary_ingress())
    provider = NginxCanaryProvider(cluster.api_client, cluster.names)
    provider.apply(TrafficSplit(weight=10, cohort=frozenset({"522629", "522731"})))

    [patch] = cluster.writes()
    assert (patch.method.value, patch.url.path) == ("PATCH", PATH)
    assert patch.headers["Content-Type"] == "application/merge-patch+json"
    assert patch.data == {"metadata": {"annotations": {
        PREFIX + "canary": "true",
        PREFIX + "canary-weight": "10",
        PREFIX + "canary-weight-total": "100",
        PREFIX + "canary-by-header": "X-Branch-Code",
        PREFIX + "canary-by-header-pattern": "^(522629|522731)$",
        PREFIX + "canary-by-header-value": None,
    }}}
    ann = cluster.get(INGRESSES, "lending-canary")["metadata"]["annotations"]
    assert ann["other.example/keep"] == "me"
    assert PREFIX + "canary-by-header-value" not in ann
    assert provider.current() == TrafficSplit(weight=10, cohort=frozenset({"522629", "522731"}))


def test_an_empty_cohort_deletes_the_header_annotations(cluster: Cluster) -> None:
    cluster.put(INGRESSES, canary_ingress())
    provider = NginxCanaryProvider(cluster.api_client, cluster.names)
    provider.apply(TrafficSplit(weight=0, cohort=frozenset({"522629"})))
    provider.apply(TrafficSplit(weight=40))
    ann = cluster.get(INGRESSES, "lending-canary")["metadata"]["annotations"]
    assert PREFIX + "canary-by-header" not in ann
    assert PREFIX + "canary-by-header-pattern" not in ann
    assert ann[PREFIX + "canary-weight"] == "40"
    assert provider.current() == TrafficSplit(weight=40)


def test_the_pattern_matches_exactly_the_cohort() -> None:
    import re

    pattern = NginxCanaryProvider.annotations(TrafficSplit(cohort=frozenset({"522629", "520221"})))[
        PREFIX + "canary-by-header-pattern"]
    assert pattern is not None
    assert re.fullmatch(pattern, "522629") and re.fullmatch(pattern, "520221")
    assert not re.search(pattern, "5226290") and not re.search(pattern, "x522629")


def test_an_ingress_not_marked_canary_is_refused(cluster: Cluster) -> None:
    ing = canary_ingress()
    del ing["metadata"]["annotations"][PREFIX + "canary"]
    cluster.put(INGRESSES, ing)
    with pytest.raises(KubeTrafficError, match="not marked"):
        NginxCanaryProvider(cluster.api_client, cluster.names).current()


def test_a_weight_total_other_than_100_is_read_as_percent(cluster: Cluster) -> None:
    ing = canary_ingress()
    ing["metadata"]["annotations"].update({PREFIX + "canary-weight": "250",
                                           PREFIX + "canary-weight-total": "1000"})
    cluster.put(INGRESSES, ing)
    assert NginxCanaryProvider(cluster.api_client, cluster.names).current() == TrafficSplit(weight=25)
