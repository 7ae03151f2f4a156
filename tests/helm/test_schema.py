from __future__ import annotations

from typing import Any

import pytest

from .conftest import ROLLOUT, helm_python, render

REFUSED = [
    ({"traffic": {"provider": "foo"}},
     "at '/traffic/provider': value must be one of 'gateway-api', 'istio', 'ingress-nginx', 'replica-ratio'"),
    ({"traffic": {"canaryWeight": 101}}, "at '/traffic/canaryWeight': maximum: got 101, want 100"),
    ({"traffic": {"canaryWeight": 12.5}}, "at '/traffic/canaryWeight'"),
    ({"traffic": {"cohort": ["52262"]}}, "at '/traffic/cohort/0': '52262' does not match pattern"),
    ({"traffic": {"cohort": ["522629", "522629"]}}, "at '/traffic/cohort'"),
    ({"traffic": {"provider": "replica-ratio", "cohort": ["522629"]}},
     "at '/traffic/cohort': maxItems: got 1, want 0"),
    ({"traffic": {"provider": "ingress-nginx", "host": ""}}, "at '/traffic/host': minLength"),
    ({"traffic": {"provider": "gateway-api", "gatewayApi": {"parentRefs": []}}},
     "at '/traffic/gatewayApi/parentRefs': minItems"),
    ({"trafic": {"provider": "istio"}}, "additional properties 'trafic' not allowed"),
    ({"stable": {"version": "1.0 beta"}}, "at '/stable/version'"),
    ({"stable": {"version": "1.0.0", "replicas": 0}}, "at '/stable/replicas'"),
    ({"canary": {"faults": "error_rate=lots"}}, "at '/canary/faults'"),
    ({"lending": {"env": {"LENDING_VERSION": "2"}}}, "at '/lending/env/LENDING_VERSION'"),
    ({"lending": {"env": {"PATH": "/x"}}}, "'PATH' does not match pattern '^LENDING_[A-Z0-9_]+$'"),
    ({"lending": {"db": {"url": "mysql://db"}}}, "at '/lending/db/url'"),
    ({"controller": {"enabled": True}}, "at '/controller/rollout': missing properties 'apiVersion', 'kind', 'spec'"),
    ({"monitoring": {"serviceMonitor": {"interval": "15 seconds"}}}, "at '/monitoring/serviceMonitor/interval'"),
    ({"monitoring": {"prometheusRule": {"groups": [{"name": "g", "rules": [{"expr": "up"}]}]}}},
     "at '/monitoring/prometheusRule/groups/0/rules/0'"),
]


@pytest.mark.parametrize(("values", "message"), REFUSED, ids=[m.split("'")[1] if "'" in m else m for _, m in REFUSED])
def test_bad_values_are_refused_with_the_offending_key(chart: Any, values: dict[str, Any], message: str) -> None:
    with pytest.raises(helm_python.errors.HelmValuesError) as err:
        chart.render(values, name="lending", namespace="lending")
    assert message in str(err.value)


def test_the_defaults_and_a_full_set_pass_the_schema(chart: Any) -> None:
    chart.validate_schema(chart.values)
    chart.validate_schema(chart.merge_values({"controller": {"enabled": True, "rollout": ROLLOUT}}))


def test_template_guards_explain_what_is_missing(chart: Any) -> None:
    with pytest.raises(helm_python.errors.HelmRenderError, match="lendops rules export --out helm/lendops/files/rules"):
        render(chart, {"monitoring": {"prometheusRule": {"enabled": True}}})
