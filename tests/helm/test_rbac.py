"""The controller's Role allows exactly what the Kubernetes adapters do.

The chart is rendered with the controller on; its own objects (Deployments and the
traffic object) are loaded into the API emulator; the runtime is built from the
controller's rendered rollout spec and runs a rollout through them. Every request it
made must be allowed by the rendered Role, and the Role must allow nothing else.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from release.kube.api import DEPLOYMENTS, HTTPROUTES, INGRESSES, VIRTUALSERVICES
from release.kube.runtime import build_kubernetes_runtime
from release.spec import load_text
from release.traffic import TrafficSplit
from tests.release.kube.conftest import Cluster, FakeClock, cluster, rolled_out  # noqa: F401  (fixture)

from .conftest import ROLLOUT, by_kind, render

_RES = {"Deployment": DEPLOYMENTS, "HTTPRoute": HTTPROUTES, "VirtualService": VIRTUALSERVICES,
        "Ingress": INGRESSES}
_VERB = {"GET": "get", "PATCH": "patch", "POST": "create", "PUT": "update", "DELETE": "delete"}


def _allowed(role: dict[str, Any], group: str, resource: str, name: str | None, verb: str) -> bool:
    for rule in role["rules"]:
        if (group in rule["apiGroups"] and resource in rule["resources"] and verb in rule["verbs"]
                and (name is not None and name in rule.get("resourceNames", [name]))):
            return True
    return False


@pytest.mark.parametrize("provider", ["gateway-api", "istio", "ingress-nginx", "replica-ratio"])
def test_a_rollout_needs_nothing_the_role_does_not_grant(chart: Any, cluster: Cluster, provider: str) -> None:  # noqa: F811
    rollout_values = ROLLOUT
    if provider == "replica-ratio":  # no cohort steps with replica ratio (the chart refuses them)
        rollout_values = {**ROLLOUT, "spec": {**ROLLOUT["spec"], "steps": [{"setWeight": 20}, {"promote": {}}]}}
    values = {"traffic": {"provider": provider}, "stable": {"version": "1.0.0", "replicas": 3},
              "controller": {"enabled": True, "rollout": rollout_values}}
    docs = render(chart, values)
    for doc in docs:
        if doc["kind"] in _RES:
            cluster.put(_RES[doc["kind"]], {**doc, "metadata": {**doc["metadata"], "namespace": "lending"}})
    role = by_kind(docs, "Role")["lending-controller"]
    spec_text = by_kind(docs, "ConfigMap")["lending-rollout"]["data"]["rollout.yaml"]
    rollout = load_text(spec_text)
    assert rollout.spec.target.kubernetes is not None
    assert (rollout.spec.target.kubernetes.namespace, rollout.spec.target.kubernetes.deployment) == ("lending", "lending")
    assert rollout.spec.traffic.provider == provider

    def deployment_controller(_: float) -> None:
        for name in ("lending", "lending-canary"):
            cluster.set_status(name, rolled_out(cluster.get(DEPLOYMENTS, name)["spec"]["replicas"]))
        if provider == "gateway-api":  # and the Gateway accepts every generation
            gen = cluster.get(HTTPROUTES, "lending")["metadata"].get("generation")
            conds = [{"type": t, "status": "True", "reason": t, "message": "", "observedGeneration": gen}
                     for t in ("Accepted", "ResolvedRefs")]
            cluster.emu.objects[next(k for k in cluster.emu.objects if k[0].plural == "httproutes")].patch(
                {"status": {"parents": [{"parentRef": {"name": "public-gateway"}, "conditions": conds}]}})

    rt = build_kubernetes_runtime(rollout, api_client=cluster.api_client, clock=FakeClock(deployment_controller))
    rt.deploy_canary("1.1.0")
    cohort = frozenset() if provider == "replica-ratio" else frozenset({"522629"})
    rt.set_traffic(TrafficSplit(weight=0, cohort=cohort))
    rt.set_traffic(TrafficSplit(weight=50, cohort=cohort))
    assert rt.current_traffic() == TrafficSplit(weight=50, cohort=cohort)
    rt.promote()
    assert rt.current_traffic() == TrafficSplit.stable_only()

    used = set()
    for req in cluster.requests():
        parts = req.url.path.split("/")  # /apis/<group>/<version>/namespaces/<ns>/<resource>[/<name>]
        group, resource = parts[2], parts[6]
        name = parts[7] if len(parts) > 7 else None
        verb = _VERB[req.method.value]
        used.add((group, resource, name, verb))
        assert _allowed(role, group, resource, name, verb), f"{req.method.value} {req.url.path} is not in the Role"
    granted = {(g, r, n, v) for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"]
               for n in rule["resourceNames"] for v in rule["verbs"]}
    assert granted == used, f"the Role grants more than a rollout uses: {sorted(granted - used)}"


def test_the_role_is_namespaced_named_and_minimal(chart: Any) -> None:
    docs = render(chart, {"traffic": {"provider": "ingress-nginx"}, "controller": {"enabled": True, "rollout": ROLLOUT}})
    assert not [d for d in docs if d["kind"] in ("ClusterRole", "ClusterRoleBinding")]
    role = by_kind(docs, "Role")["lending-controller"]
    for rule in role["rules"]:
        assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"]
        assert rule["resourceNames"], "every rule is limited to named objects"
        assert set(rule["verbs"]) <= {"get", "patch"}
    binding = by_kind(docs, "RoleBinding")["lending-controller"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "lending-controller", "namespace": "lending"}]
    dep = by_kind(docs, "Deployment")["lending-controller"]
    assert dep["spec"]["template"]["spec"]["serviceAccountName"] == "lending-controller"
    script = dep["spec"]["template"]["spec"]["containers"][0]["args"][0]
    assert "rollouts/lending/rollout.json" in script and "lendops release resume" in script
    spec = yaml.safe_load(by_kind(docs, "ConfigMap")["lending-rollout"]["data"]["rollout.yaml"])
    assert spec["spec"]["steps"] == ROLLOUT["spec"]["steps"]


def test_the_chart_refuses_a_replica_ratio_rollout_with_cohort_steps(chart: Any) -> None:
    from .conftest import helm_python

    with pytest.raises(helm_python.errors.HelmRenderError, match=r"steps\[0\] routes a cohort"):
        render(chart, {"traffic": {"provider": "replica-ratio"}, "controller": {"enabled": True, "rollout": ROLLOUT}})
