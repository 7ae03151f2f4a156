from __future__ import annotations

from typing import Any

import pytest

from .conftest import KUBE_VERSIONS, VALUE_SETS, by_kind, kubernetes_validate, notes, render
from .crd import CRD_SCHEMAS, validate_crd

EXPECTED_KINDS = {
    "defaults": {"Deployment": 2, "Service": 3, "HTTPRoute": 1},
    "gateway-api": {"Deployment": 2, "Service": 3, "HTTPRoute": 1},
    "gateway-api-mesh": {"Deployment": 2, "Service": 3, "HTTPRoute": 1},
    "istio": {"Deployment": 2, "Service": 3, "VirtualService": 1},
    "ingress-nginx": {"Deployment": 2, "Service": 3, "Ingress": 2},
    "replica-ratio": {"Deployment": 2, "Service": 3},
    "everything-on": {"Deployment": 5, "Service": 4, "VirtualService": 1, "ServiceMonitor": 1,
                      "PrometheusRule": 1, "ConfigMap": 3, "ServiceAccount": 1, "Role": 1,
                      "RoleBinding": 1},
    "everything-off": {"Deployment": 2, "Service": 3},
}


@pytest.mark.parametrize("name", sorted(VALUE_SETS))
def test_every_object_validates_strictly_on_several_kubernetes_versions(chart: Any, name: str) -> None:
    docs = render(chart, VALUE_SETS[name])
    kinds: dict[str, int] = {}
    for doc in docs:
        kinds[doc["kind"]] = kinds.get(doc["kind"], 0) + 1
        if (doc["apiVersion"], doc["kind"]) in CRD_SCHEMAS:
            validate_crd(doc)
            continue
        for version in KUBE_VERSIONS:
            kubernetes_validate.validate(doc, version, strict=True)
    assert kinds == EXPECTED_KINDS[name]


def test_strict_validation_catches_a_misspelt_field(chart: Any) -> None:
    # the check above could not fail if strict mode were not in force
    [dep, *_] = [d for d in render(chart, {}) if d["kind"] == "Deployment"]
    dep["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(dep, KUBE_VERSIONS[0], strict=True)


def test_crd_schemas_catch_what_the_api_server_would_refuse(chart: Any) -> None:
    import jsonschema

    route = by_kind(render(chart, VALUE_SETS["gateway-api"]), "HTTPRoute")["lending"]
    route["spec"]["rules"][-1]["backendRefs"][0]["weight"] = -1
    with pytest.raises(jsonschema.ValidationError):
        validate_crd(route)
    vs = by_kind(render(chart, VALUE_SETS["istio"]), "VirtualService")["lending"]
    vs["spec"]["http"][0]["match"][0]["headers"] = {"X-Branch-Code": {"exact": "522629"}}
    with pytest.raises(jsonschema.ValidationError):
        validate_crd(vs)


def test_every_object_carries_the_release_labels(chart: Any) -> None:
    for doc in render(chart, VALUE_SETS["everything-on"]):
        labels = doc["metadata"]["labels"]
        assert labels["app.kubernetes.io/instance"] == "lending", doc["metadata"]["name"]
        assert labels["app.kubernetes.io/part-of"] == "lendops"
        assert labels["helm.sh/chart"] == "lendops-0.1.0"


def test_tracks_select_only_their_own_pods(chart: Any) -> None:
    docs = render(chart, {})
    deps = by_kind(docs, "Deployment")
    svcs = by_kind(docs, "Service")
    assert set(deps) == {"lending", "lending-canary"}
    pods = {name: d["spec"]["template"]["metadata"]["labels"] for name, d in deps.items()}
    for name, dep in deps.items():
        selector = dep["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pods[name].items()
        other = "lending-canary" if name == "lending" else "lending"
        assert not selector.items() <= pods[other].items(), "a Deployment would adopt the other track's pods"

    def selects(svc: str) -> set[str]:
        sel = svcs[svc]["spec"]["selector"]
        return {name for name, labels in pods.items() if sel.items() <= labels.items()}

    assert selects("lending-stable") == {"lending"}
    assert selects("lending-canary") == {"lending-canary"}
    assert selects("lending") == {"lending", "lending-canary"}
    assert pods["lending"]["lendops.dev/track"] == "stable"
    assert pods["lending-canary"]["lendops.dev/track"] == "canary"


def _container(dep: dict[str, Any]) -> dict[str, Any]:
    [c] = dep["spec"]["template"]["spec"]["containers"]
    assert c["name"] == "lending"  # release.kube.KubeNames.container
    return c


def test_the_lending_container_serves_with_its_track_and_probes(chart: Any) -> None:
    deps = by_kind(render(chart, VALUE_SETS["everything-on"]), "Deployment")
    stable, canary = _container(deps["lending"]), _container(deps["lending-canary"])
    assert stable["image"] == "ghcr.io/lendops/lending:1.0.0"
    assert canary["image"] == "ghcr.io/lendops/lending:1.1.0"
    assert stable["args"][:5] == ["serve", "--host", "0.0.0.0", "--port", "8000"]
    env = {e["name"]: e for e in canary["env"]}
    assert env["LENDING_VERSION"]["value"] == "1.1.0"
    assert env["LENDING_TRACK"]["value"] == "canary"
    assert env["LENDING_FAULTS"]["value"] == "latency_ms=200"
    assert env["LENDING_DB_URL"]["valueFrom"]["secretKeyRef"] == {"name": "lending-db", "key": "url"}
    assert env["LENDING_PAYOUT_DELAY_MS"]["value"] == "200"
    assert {e["name"]: e.get("value") for e in stable["env"]}["LENDING_TRACK"] == "stable"
    assert stable["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert stable["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert stable["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert deps["lending"]["spec"]["replicas"] == 3 and deps["lending-canary"]["spec"]["replicas"] == 1
    # each pod migrates with its own build before serving, on the same database
    [init] = deps["lending-canary"]["spec"]["template"]["spec"]["initContainers"]
    assert (init["name"], init["image"], init["args"]) == ("db-upgrade", canary["image"], ["db", "upgrade"])
    assert init["env"] == [env["LENDING_DB_URL"]]


def test_without_a_database_each_pod_uses_sqlite_on_its_emptydir_and_notes_warn(chart: Any) -> None:
    dep = by_kind(render(chart, {}), "Deployment")["lending"]
    env = {e["name"]: e.get("value") for e in _container(dep)["env"]}
    assert env["LENDING_DB_URL"] == "sqlite:////tmp/lendops.sqlite"
    mounts = {m["mountPath"] for m in _container(dep)["volumeMounts"]}
    assert "/tmp" in mounts and _container(dep)["securityContext"]["readOnlyRootFilesystem"] is True
    assert "WARNING: no database configured" in notes(chart, {})
    assert "WARNING" not in notes(chart, {"lending": {"db": {"existingSecret": "db"}}})


def test_canary_defaults_to_the_stable_build_with_no_pods(chart: Any) -> None:
    deps = by_kind(render(chart, {"stable": {"version": "2.3.4"}}), "Deployment")
    assert _container(deps["lending-canary"])["image"].endswith(":2.3.4")
    assert deps["lending-canary"]["spec"]["replicas"] == 0


def test_the_release_name_drives_every_name(chart: Any) -> None:
    docs = render(chart, VALUE_SETS["gateway-api"], name="credit", namespace="retail")
    assert set(by_kind(docs, "Deployment")) == {"credit", "credit-canary"}
    assert set(by_kind(docs, "Service")) == {"credit", "credit-stable", "credit-canary"}
    route = by_kind(docs, "HTTPRoute")["credit"]
    assert {r["name"] for rule in route["spec"]["rules"] for r in rule["backendRefs"]} == {
        "credit-stable", "credit-canary"}


def test_everything_off_renders_only_the_service(chart: Any) -> None:
    kinds = {d["kind"] for d in render(chart, VALUE_SETS["everything-off"])}
    assert kinds == {"Deployment", "Service"}


def test_notes_name_the_provider_and_the_commands(chart: Any) -> None:
    text = notes(chart, VALUE_SETS["everything-on"])
    assert "Traffic: istio, 10 % to canary, branches 522629 always to canary." in text
    assert "kubectl -n lending get virtualservice lending -o yaml" in text
    assert "exec deploy/lending-controller -- lendops release status" in text
    assert "port-forward svc/lending-locust-master 8089" in text
    rr = notes(chart, VALUE_SETS["replica-ratio"])
    assert "cohort steps are not possible" in rr


def test_helm_lint_is_clean(chart: Any) -> None:
    from helm_python import lint

    from .conftest import CHART

    # lint with a kube version also flags APIs deprecated or removed in that version
    for version in KUBE_VERSIONS:
        for values in ({}, VALUE_SETS["everything-on"]):
            report = lint(CHART, values, strict=True, kube_version=f"v{version}")
            assert report["errors"] == []
            assert [m for m in report["messages"] if m["severity"] >= 2] == []


def test_locust_master_and_workers_find_each_other(chart: Any) -> None:
    docs = render(chart, VALUE_SETS["everything-on"])
    deps = by_kind(docs, "Deployment")
    master = deps["lending-locust-master"]["spec"]["template"]["spec"]["containers"][0]
    worker = deps["lending-locust-worker"]["spec"]["template"]["spec"]["containers"][0]
    assert master["args"] == ["-f", "/app/loadtest/locustfile.py", "--master", "--host",
                              "http://lending.lending.svc:80", "--expect-workers", "3", "--headless"]
    assert worker["args"][-2:] == ["--master-host", "lending-locust-master"]
    assert deps["lending-locust-worker"]["spec"]["replicas"] == 3
    svc = by_kind(docs, "Service")["lending-locust-master"]
    pod_labels = deps["lending-locust-master"]["spec"]["template"]["metadata"]["labels"]
    assert svc["spec"]["selector"].items() <= pod_labels.items()
    assert {p["port"] for p in svc["spec"]["ports"]} == {5557, 8089}
    env = {e["name"]: e["value"] for e in worker["env"]}
    assert env == {"LENDOPS_SCENARIO": "/app/loadtest/scenarios/steady.yaml",
                   "LENDING_TOKENS_FILE": "/etc/lendops/tokens/tokens.json"}
