from __future__ import annotations

from typing import Any

import pytest

from release.kube.api import DEPLOYMENTS
from release.kube.errors import KubeTargetError, RolloutTimeoutError
from release.kube.names import KubeNames
from release.kube.readiness import rollout_status
from release.kube.target import KubernetesTarget, image_with_tag
from release.target import Target, TargetError

from .conftest import NS, Cluster, FakeClock, deployment, rolled_out

DEPS = f"/apis/apps/v1/namespaces/{NS}/deployments"
IMAGE = "registry.example:5000/lendops/lending"


def _controller(cluster: Cluster, delay_polls: int = 1):  # type: ignore[no-untyped-def]
    """Play the Deployment controller: after ``delay_polls`` sleeps every Deployment
    reports its current replica count as rolled out."""
    polls = {"n": 0}

    def on_sleep(_: float) -> None:
        polls["n"] += 1
        if polls["n"] >= delay_polls:
            for name in ("lending", "lending-canary"):
                if cluster.has(DEPLOYMENTS, name):
                    cluster.set_status(name, rolled_out(cluster.get(DEPLOYMENTS, name)["spec"]["replicas"]))

    return on_sleep


def _target(cluster: Cluster, clock: FakeClock, **kw: Any) -> KubernetesTarget:
    return KubernetesTarget(cluster.api_client, cluster.names, image=IMAGE, clock=clock,
                            poll=2.0, ready_timeout=30.0, **kw)


def _env(dep: dict[str, Any]) -> dict[str, str]:
    [c] = [c for c in dep["spec"]["template"]["spec"]["containers"] if c["name"] == "lending"]
    return {e["name"]: e.get("value") for e in c["env"]}


def _image(dep: dict[str, Any]) -> str:
    [c] = [c for c in dep["spec"]["template"]["spec"]["containers"] if c["name"] == "lending"]
    return str(c["image"])


@pytest.mark.parametrize(("image", "tag", "expected"), [
    ("lending", "1.1", "lending:1.1"),
    ("lending:1.0", "1.1", "lending:1.1"),
    ("registry:5000/team/lending:1.0", "1.1", "registry:5000/team/lending:1.1"),
    ("registry:5000/team/lending", "1.1", "registry:5000/team/lending:1.1"),
    ("lending@sha256:abc", "1.1", "lending:1.1"),
])
def test_image_with_tag(image: str, tag: str, expected: str) -> None:
    assert image_with_tag(image, tag) == expected


def test_it_is_a_target() -> None:
    assert isinstance(KubernetesTarget(None, KubeNames(), api=object()), Target)  # type: ignore[arg-type]


def test_start_canary_json_patches_the_charts_canary_and_waits(cluster: Cluster) -> None:
    cluster.put(DEPLOYMENTS, deployment("lending", "stable"))
    cluster.put(DEPLOYMENTS, deployment("lending-canary", "canary", replicas=0))
    clock = FakeClock(_controller(cluster))
    url = _target(cluster, clock).start_canary("1.1.0", faults="latency_ms=200")

    assert url == "http://lending-canary.lending.svc:80"
    [patch] = cluster.writes()
    assert (patch.method.value, patch.url.path) == ("PATCH", f"{DEPS}/lending-canary")
    assert patch.headers["Content-Type"] == "application/json-patch+json"
    base = "/spec/template/spec/containers/1"
    assert patch.data == [
        {"op": "test", "path": f"{base}/name", "value": "lending"},
        {"op": "replace", "path": f"{base}/image", "value": f"{IMAGE}:1.1.0"},
        {"op": "test", "path": f"{base}/env/1/name", "value": "LENDING_VERSION"},
        {"op": "replace", "path": f"{base}/env/1", "value": {"name": "LENDING_VERSION", "value": "1.1.0"}},
        {"op": "test", "path": f"{base}/env/2/name", "value": "LENDING_TRACK"},
        {"op": "replace", "path": f"{base}/env/2", "value": {"name": "LENDING_TRACK", "value": "canary"}},
        {"op": "add", "path": f"{base}/env/-", "value": {"name": "LENDING_FAULTS", "value": "latency_ms=200"}},
        {"op": "add", "path": "/spec/replicas", "value": 1},
    ]
    dep = cluster.get(DEPLOYMENTS, "lending-canary")
    assert _image(dep) == f"{IMAGE}:1.1.0"
    assert _env(dep) == {"LENDING_DB_URL": "postgresql://db/lending", "LENDING_VERSION": "1.1.0",
                         "LENDING_TRACK": "canary", "LENDING_FAULTS": "latency_ms=200"}
    # the sidecar is untouched, the stable Deployment too
    assert dep["spec"]["template"]["spec"]["containers"][0] == {"name": "sidecar", "image": "envoy:1"}
    assert _env(cluster.get(DEPLOYMENTS, "lending"))["LENDING_VERSION"] == "1.0.0"
    assert clock.sleeps == [2.0]  # one poll before the controller reported ready


def test_a_missing_canary_is_created_from_stable_with_its_own_selector(cluster: Cluster) -> None:
    cluster.put(DEPLOYMENTS, deployment("lending", "stable"))
    _target(cluster, FakeClock(_controller(cluster))).start_canary("1.1.0")

    post, patch = cluster.writes()
    assert (post.method.value, post.url.path) == ("POST", DEPS)
    assert post.headers["Content-Type"] == "application/json"
    assert post.data["metadata"]["name"] == "lending-canary"
    assert post.data["spec"]["selector"]["matchLabels"]["lendops.dev/track"] == "canary"
    assert post.data["spec"]["template"]["metadata"]["labels"]["lendops.dev/track"] == "canary"
    assert post.data["spec"]["replicas"] == 0
    assert patch.headers["Content-Type"] == "application/json-patch+json"
    dep = cluster.get(DEPLOYMENTS, "lending-canary")
    assert dep["spec"]["replicas"] == 1
    assert _env(dep)["LENDING_TRACK"] == "canary"
    assert cluster.get(DEPLOYMENTS, "lending")["spec"]["selector"]["matchLabels"]["lendops.dev/track"] == "stable"


def test_a_stable_without_track_selector_is_not_cloned(cluster: Cluster) -> None:
    dep = deployment("lending", "stable")
    del dep["spec"]["selector"]["matchLabels"]["lendops.dev/track"]
    cluster.put(DEPLOYMENTS, dep)
    with pytest.raises(KubeTargetError, match="selector lacks lendops.dev/track"):
        _target(cluster, FakeClock()).start_canary("1.1.0")
    assert not cluster.has(DEPLOYMENTS, "lending-canary")


def test_a_canary_that_never_gets_ready_times_out_on_the_injected_clock(cluster: Cluster) -> None:
    cluster.put(DEPLOYMENTS, deployment("lending", "stable"))
    cluster.put(DEPLOYMENTS, deployment("lending-canary", "canary", replicas=0))
    clock = FakeClock()  # nobody reports a status
    with pytest.raises(RolloutTimeoutError) as err:
        _target(cluster, clock).start_canary("1.1.0")
    assert isinstance(err.value, TargetError)
    assert err.value.deployment == "lending-canary"
    assert (err.value.ready, err.value.desired) == (0, 1)
    assert err.value.waited_s == 30.0 and clock.now == 30.0
    assert "0/1 replicas ready after 30 s" in str(err.value)


def test_progress_deadline_exceeded_fails_at_once(cluster: Cluster) -> None:
    cluster.put(DEPLOYMENTS, deployment("lending", "stable"))
    cluster.put(DEPLOYMENTS, deployment("lending-canary", "canary", replicas=0))
    cluster.set_status("lending-canary", {"conditions": [
        {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
         "message": "ReplicaSet has timed out progressing"}]})
    clock = FakeClock()
    with pytest.raises(RolloutTimeoutError, match="ProgressDeadlineExceeded"):
        _target(cluster, clock).start_canary("1.1.0")
    assert clock.sleeps == []


def test_promote_rolls_stable_to_the_canary_build_then_stop_canary_scales_it_to_zero(cluster: Cluster) -> None:
    cluster.put(DEPLOYMENTS, deployment("lending", "stable"))
    cluster.put(DEPLOYMENTS, deployment("lending-canary", "canary", replicas=0))
    target = _target(cluster, FakeClock(_controller(cluster)))
    target.start_canary("1.1.0", faults="apr_shift_bps=0")
    assert target.endpoints() == {"stable": "http://lending-stable.lending.svc:80",
                                  "canary": "http://lending-canary.lending.svc:80"}
    cluster.clear()

    assert target.promote() == "http://lending-stable.lending.svc:80"
    stable = cluster.get(DEPLOYMENTS, "lending")
    assert _image(stable) == f"{IMAGE}:1.1.0"
    assert _env(stable) == {"LENDING_DB_URL": "postgresql://db/lending", "LENDING_VERSION": "1.1.0",
                            "LENDING_TRACK": "stable", "LENDING_FAULTS": "apr_shift_bps=0"}
    # the canary still serves until traffic has moved
    assert cluster.get(DEPLOYMENTS, "lending-canary")["spec"]["replicas"] == 1

    target.stop_canary()
    last = cluster.writes()[-1]
    assert (last.url.path, last.headers["Content-Type"], last.data) == (
        f"{DEPS}/lending-canary", "application/merge-patch+json", {"spec": {"replicas": 0}})
    assert target.endpoints()["canary"] is None


def test_start_stable_without_the_chart_says_so(cluster: Cluster) -> None:
    with pytest.raises(KubeTargetError, match="install the chart first"):
        _target(cluster, FakeClock()).start_stable("1.0.0")


def test_state_restores_a_target_for_the_same_objects(cluster: Cluster) -> None:
    cluster.put(DEPLOYMENTS, deployment("lending", "stable"))
    target = _target(cluster, FakeClock())
    import json

    state = json.loads(json.dumps(target.state()))
    again = KubernetesTarget.restore(state, api_client=cluster.api_client)
    assert again.state() == target.state()
    assert again.names == target.names
    state["base"] = "other"
    with pytest.raises(KubeTargetError, match="is gone"):
        KubernetesTarget.restore(state, api_client=cluster.api_client)


@pytest.mark.parametrize(("dep", "done", "why"), [
    ({"spec": {"replicas": 2}, "status": rolled_out(2)}, True, "rolled out"),
    ({"spec": {"replicas": 2}, "status": {**rolled_out(2), "updatedReplicas": 1}}, False, "1/2 replicas updated"),
    ({"spec": {"replicas": 2}, "status": {**rolled_out(2), "replicas": 3}}, False, "1 old replicas"),
    ({"spec": {"replicas": 2}, "status": {**rolled_out(2), "availableReplicas": 1}}, False, "1/2 updated"),
    ({"metadata": {"generation": 3}, "spec": {"replicas": 1},
      "status": {**rolled_out(1), "observedGeneration": 2}}, False, "observe the new spec"),
    ({"metadata": {"generation": 3}, "spec": {"replicas": 1},
      "status": {**rolled_out(1), "observedGeneration": 3}}, True, "rolled out"),
    ({"spec": {"replicas": 0}, "status": {}}, True, "rolled out"),
])
def test_rollout_status_follows_kubectl(dep: dict[str, Any], done: bool, why: str) -> None:
    st = rollout_status(dep)
    assert st.done is done
    assert why in st.reason


def test_every_spec_change_bumps_the_generation_in_the_emulator(cluster: Cluster) -> None:
    cluster.put(DEPLOYMENTS, deployment("lending", "stable"))
    cluster.put(DEPLOYMENTS, deployment("lending-canary", "canary", replicas=0))
    _target(cluster, FakeClock(_controller(cluster))).start_canary("1.1.0")
    assert cluster.get(DEPLOYMENTS, "lending-canary")["metadata"]["generation"] == 1
    assert cluster.get(DEPLOYMENTS, "lending-canary")["status"]["observedGeneration"] == 1


def test_a_status_from_before_the_patch_is_not_taken_for_ready(cluster: Cluster) -> None:
    """The old canary reports 1/1 ready for generation 5; after our patch (generation 6)
    that says nothing about the new build, so the target keeps waiting until the
    controller has observed generation 6."""
    dep = deployment("lending-canary", "canary", replicas=1)
    dep["metadata"]["generation"] = 5
    dep["status"] = {**rolled_out(1), "observedGeneration": 5}
    cluster.put(DEPLOYMENTS, deployment("lending", "stable"))
    cluster.put(DEPLOYMENTS, dep)
    clock = FakeClock(_controller(cluster, delay_polls=3))
    _target(cluster, clock).start_canary("1.1.0")
    assert clock.sleeps == [2.0, 2.0, 2.0]  # waited for the controller, not fooled by the stale status
    got = cluster.get(DEPLOYMENTS, "lending-canary")
    assert got["metadata"]["generation"] == 6 and got["status"]["observedGeneration"] == 6


def test_a_container_list_changed_since_the_read_fails_the_whole_patch(cluster: Cluster) -> None:
    """The JSON Patch's test operations make a concurrent reorder fail instead of
    editing another container: replay our patch after a sidecar was inserted first."""
    from release.kube.api import ObjectApi
    from release.kube.errors import KubeApiError

    cluster.put(DEPLOYMENTS, deployment("lending", "stable"))
    cluster.put(DEPLOYMENTS, deployment("lending-canary", "canary", replicas=0))
    target = _target(cluster, FakeClock(_controller(cluster)))
    stale = cluster.get(DEPLOYMENTS, "lending-canary")
    ops = target._build_ops(stale, "lending-canary", track="canary", version="1.1.0", faults=None, replicas=1)
    moved = cluster.get(DEPLOYMENTS, "lending-canary")
    moved["spec"]["template"]["spec"]["containers"].insert(0, {"name": "istio-proxy", "image": "proxy:1"})
    cluster.put(DEPLOYMENTS, moved)
    with pytest.raises(KubeApiError):
        ObjectApi(cluster.api_client).json_patch(DEPLOYMENTS, NS, "lending-canary", ops)
    after = cluster.get(DEPLOYMENTS, "lending-canary")
    assert [c["image"] for c in after["spec"]["template"]["spec"]["containers"]] == [
        "proxy:1", "envoy:1", f"{IMAGE}:1.0.0"]


def test_init_containers_of_the_same_build_move_with_it(cluster: Cluster) -> None:
    dep = deployment("lending-canary", "canary", replicas=0)
    dep["spec"]["template"]["spec"]["initContainers"] = [
        {"name": "wait-for-db", "image": "busybox:1"},
        {"name": "db-upgrade", "image": f"{IMAGE}:1.0.0", "args": ["db", "upgrade"]}]
    cluster.put(DEPLOYMENTS, deployment("lending", "stable"))
    cluster.put(DEPLOYMENTS, dep)
    _target(cluster, FakeClock(_controller(cluster))).start_canary("1.1.0")
    inits = cluster.get(DEPLOYMENTS, "lending-canary")["spec"]["template"]["spec"]["initContainers"]
    assert [(i["name"], i["image"]) for i in inits] == [("wait-for-db", "busybox:1"), ("db-upgrade", f"{IMAGE}:1.1.0")]
