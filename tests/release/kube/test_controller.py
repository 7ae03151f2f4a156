"""The release controller itself drives a rollout on "Kubernetes": the chart's objects
in the API emulator, the runtime built from a spec with a Kubernetes target, the real
Controller loop (engine, persistence, actions). Analysis is stubbed: its judges are
tested elsewhere and need live metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from release.controller import Controller, RolloutStore, new_document
from release.kube.api import DEPLOYMENTS, HTTPROUTES, INGRESSES, VIRTUALSERVICES
from release.kube.runtime import build_kubernetes_runtime
from release.spec import load_text
from release.traffic import TrafficSplit

from .conftest import Cluster, FakeClock, rolled_out

SPEC = """
apiVersion: lendops.dev/v1alpha1
kind: Rollout
metadata: {name: lending}
spec:
  stable: {version: "1.0.0"}
  canary: {version: "1.1.0"}
  target:
    kubernetes: {namespace: lending, deployment: lending, image: ghcr.io/lendops/lending}
  traffic: {provider: PROVIDER}
  analysis: {interval: 3600s}
  steps:
    - cohort: pilot
    - setWeight: 20
    - setWeight: 50
    - promote: {}
"""

_RES = {"Deployment": DEPLOYMENTS, "HTTPRoute": HTTPROUTES, "VirtualService": VIRTUALSERVICES, "Ingress": INGRESSES}


class _QuietAnalyzer:
    def begin(self) -> None: ...

    def evaluate(self) -> Any:
        raise AssertionError("not evaluated within the interval")

    def state(self) -> dict[str, Any]:
        return {}


@pytest.mark.parametrize("provider", ["gateway-api", "istio", "ingress-nginx"])
def test_the_controller_rolls_out_through_the_charts_objects(cluster: Cluster, tmp_path: Path, provider: str) -> None:
    helm = pytest.importorskip("helm_python")
    from tests.helm.conftest import CHART, render

    with helm.Chart.load(CHART) as chart:
        docs = render(chart, {"traffic": {"provider": provider}, "stable": {"version": "1.0.0", "replicas": 3}})
    for doc in docs:
        if doc["kind"] in _RES:
            cluster.put(_RES[doc["kind"]], {**doc, "metadata": {**doc["metadata"], "namespace": "lending"}})

    seen: list[TrafficSplit] = []

    def cluster_controllers(_: float) -> None:  # Deployment controller and Gateway
        for name in ("lending", "lending-canary"):
            cluster.set_status(name, rolled_out(cluster.get(DEPLOYMENTS, name)["spec"]["replicas"]))
        if provider == "gateway-api":
            gen = cluster.get(HTTPROUTES, "lending")["metadata"].get("generation")
            conds = [{"type": t, "status": "True", "observedGeneration": gen} for t in ("Accepted", "ResolvedRefs")]
            key = next(k for k in cluster.emu.objects if k[0].plural == "httproutes")
            cluster.emu.objects[key].patch({"status": {"parents": [{"parentRef": {"name": "gw"}, "conditions": conds}]}})

    text = SPEC.replace("PROVIDER", provider)
    rollout = load_text(text)
    runtime = build_kubernetes_runtime(rollout, api_client=cluster.api_client, clock=FakeClock(cluster_controllers))
    original = runtime.set_traffic

    def record(split: TrafficSplit) -> None:
        original(split)
        seen.append(runtime.current_traffic() or TrafficSplit())

    runtime.set_traffic = record  # type: ignore[method-assign]
    store = RolloutStore(tmp_path, rollout.name)
    store.save(new_document(rollout, spec_text=text, spec_file=str(tmp_path / "rollout.yaml"), now=0.0))
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    controller = Controller(store, runtime, analyzer_factory=lambda *a: _QuietAnalyzer(),
                            clock=lambda: now[0], sleep=sleep)
    state = controller.run(max_iterations=200)

    assert state.phase == "succeeded", state.history[-3:]
    pilot = frozenset({"522629", "522731", "522634", "522324", "520526", "520381", "520221"})
    # what the cluster's traffic object said after each write, in order: nothing yet,
    # the pilot branches, pilot plus 20 % and 50 %, all to canary before promotion
    assert seen == [TrafficSplit(), TrafficSplit(0, pilot), TrafficSplit(20, pilot), TrafficSplit(50, pilot),
                    TrafficSplit.canary_only()]
    # promotion rolled stable to the canary build, then moved everything back to stable
    assert runtime.current_traffic() == TrafficSplit.stable_only()
    stable = cluster.get(DEPLOYMENTS, "lending")
    [c] = stable["spec"]["template"]["spec"]["containers"]
    assert c["image"] == "ghcr.io/lendops/lending:1.1.0"
    assert {e["name"]: e.get("value") for e in c["env"]}["LENDING_VERSION"] == "1.1.0"
    [init] = stable["spec"]["template"]["spec"]["initContainers"]
    assert (init["name"], init["image"]) == ("db-upgrade", "ghcr.io/lendops/lending:1.1.0")
    assert cluster.get(DEPLOYMENTS, "lending-canary")["spec"]["replicas"] == 0
    assert store.load()["runtime"]["target"]["namespace"] == "lending"
