"""Render the chart with the real Helm engine (helm-python-sdk, Helm v4, no binary) and
validate what it renders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

helm_python = pytest.importorskip("helm_python")
kubernetes_validate = pytest.importorskip("kubernetes_validate")

CHART = Path(__file__).resolve().parents[2] / "helm" / "lendops"
KUBE_VERSIONS = ("1.29.0", "1.31.0", "1.33.0")
RELEASE = "lending"
NAMESPACE = "lending"


@pytest.fixture(scope="session")
def chart() -> Iterator[Any]:
    with helm_python.Chart.load(CHART) as loaded:
        yield loaded


def render(chart: Any, values: dict[str, Any], *, name: str = RELEASE,
           namespace: str = NAMESPACE) -> list[dict[str, Any]]:
    out = chart.render(values, name=name, namespace=namespace)
    docs: list[dict[str, Any]] = []
    for path, text in sorted(out.items()):
        if path.endswith(".yaml"):
            docs.extend(d for d in yaml.safe_load_all(text) if d)
    return docs


def notes(chart: Any, values: dict[str, Any]) -> str:
    out = chart.render(values, name=RELEASE, namespace=NAMESPACE)
    return str(out["lendops/templates/NOTES.txt"])


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


ROLLOUT = {
    "apiVersion": "lendops.dev/v1alpha1", "kind": "Rollout", "metadata": {"name": "lending"},
    "spec": {"stable": {"version": "1.0.0"}, "canary": {"version": "1.1.0"},
             "steps": [{"cohort": "pilot"}, {"analysis": {"duration": "60s"}},
                       {"setWeight": 20}, {"promote": {}}]},
}

#: Value sets rendered by the tests: each provider, everything on, everything off.
VALUE_SETS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "gateway-api": {"traffic": {"provider": "gateway-api", "canaryWeight": 20,
                                "cohort": ["522731", "522629"]}},
    "gateway-api-mesh": {"traffic": {"provider": "gateway-api", "gatewayApi": {"mesh": True, "parentRefs": []}}},
    "istio": {"traffic": {"provider": "istio", "canaryWeight": 20, "cohort": ["522731", "522629"]}},
    "ingress-nginx": {"traffic": {"provider": "ingress-nginx", "canaryWeight": 20,
                                  "cohort": ["522731", "522629"],
                                  "ingressNginx": {"tlsSecret": "lending-tls"}}},
    "replica-ratio": {"traffic": {"provider": "replica-ratio"}, "stable": {"version": "1.0.0", "replicas": 3},
                      "canary": {"replicas": 1}},
    "everything-on": {
        "imagePullSecrets": [{"name": "registry"}],
        "stable": {"version": "1.0.0", "replicas": 3},
        "canary": {"version": "1.1.0", "replicas": 1, "faults": "latency_ms=200"},
        "lending": {"db": {"existingSecret": "lending-db"}, "env": {"LENDING_PAYOUT_DELAY_MS": "200"},
                    "podAnnotations": {"example.com/team": "credit"},
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "lending", "effect": "NoSchedule"}]},
        "traffic": {"provider": "istio", "canaryWeight": 10, "cohort": ["522629"]},
        "monitoring": {
            "serviceMonitor": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}},
            "prometheusRule": {"enabled": True, "groups": [{"name": "lending.test", "rules": [
                {"alert": "LendingDown", "expr": "up{job=\"lending\"} == 0", "for": "1m",
                 "labels": {"severity": "page"}, "annotations": {"summary": "lending is down"}},
                {"record": "job:up:sum", "expr": "sum by (job) (up)"}]}]}},
        "dashboards": {"enabled": True, "annotations": {"grafana_folder": "lendops"},
                       "items": {"release-overview": {"title": "Release overview", "panels": []},
                                 "business": "{\"title\": \"Business\", \"panels\": []}"}},
        "locust": {"enabled": True, "workers": 3, "tokensSecret": "lending-tokens", "masterArgs": ["--headless"]},
        "controller": {"enabled": True, "rollout": ROLLOUT, "persistence": {"existingClaim": "lendops-state"}},
    },
    "everything-off": {
        "traffic": {"provider": "replica-ratio"},
        "lending": {"resources": {}},
        "monitoring": {"serviceMonitor": {"enabled": False}, "prometheusRule": {"enabled": False}},
        "dashboards": {"enabled": False}, "locust": {"enabled": False}, "controller": {"enabled": False},
    },
}
