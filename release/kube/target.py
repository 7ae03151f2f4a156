"""KubernetesTarget: stable and canary builds as the chart's two Deployments.

- ``start_canary`` patches the canary Deployment the chart created (``<base>-canary``,
  0 replicas until a rollout) to the canary build, or creates it from the stable one
  when it is missing, then waits for the rollout by reading Deployment status.
- ``promote`` rolls the stable Deployment to the canary's build (image tag, version,
  faults) and waits; the canary keeps serving until ``stop_canary`` scales it to 0, so
  the controller can move traffic back to stable first.

Containers are changed with a JSON Patch (RFC 6902) guarded by ``test`` operations on
the container's and each replaced variable's name: it touches exactly the image and the
``LENDING_*`` variables, and fails as a whole instead of editing the wrong entry if
someone reordered them since our read. A
strategic merge patch would also merge by name, but only on a real API server; JSON
Patch means the same thing everywhere, including the emulator the tests run against.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .api import DEPLOYMENTS, ObjectApi
from .errors import KubeApiError, KubeTargetError
from .names import KubeNames
from .readiness import Clock, DeploymentWaiter

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

__all__ = ["KubernetesTarget", "TRACK_LABEL", "image_with_tag"]

TRACK_LABEL = "lendops.dev/track"


def image_with_tag(image: str, tag: str) -> str:
    """``registry:5000/lending:1.0`` + ``1.1`` → ``registry:5000/lending:1.1`` (a digest
    or an old tag is dropped; a registry port is not a tag)."""
    repo = image.split("@", 1)[0]
    last = repo.rsplit("/", 1)[-1]
    if ":" in last:
        repo = repo[: len(repo) - len(last)] + last.split(":", 1)[0]
    return f"{repo}:{tag}"


def _env_value(container: Mapping[str, Any], name: str) -> str | None:
    for item in container.get("env") or []:
        if item.get("name") == name:
            return str(item.get("value", ""))
    return None


class KubernetesTarget:
    """Example::

        target = KubernetesTarget(api_client, KubeNames(namespace="lending"),
                                  image="registry.example/lending")
        target.start_canary("1.1.0")
    """

    kind = "kubernetes"

    def __init__(
        self, api_client: ApiClient | None, names: KubeNames, *, image: str = "",
        canary_replicas: int = 1, ready_timeout: float = 300.0, poll: float = 2.0,
        clock: Clock | None = None, api: ObjectApi | None = None,
    ) -> None:
        if api is None:
            if api_client is None:
                raise ValueError("pass an api_client or an api")
            api = ObjectApi(api_client)
        self.names = names
        self.image = image
        self.canary_replicas = canary_replicas
        self._api = api
        self._waiter = DeploymentWaiter(api, clock=clock, timeout=ready_timeout, poll=poll)

    # -- reading --------------------------------------------------------------------

    def _get(self, name: str) -> dict[str, Any] | None:
        try:
            return self._api.get(DEPLOYMENTS, self.names.namespace, name)
        except KubeApiError as exc:
            if exc.not_found:
                return None
            raise KubeTargetError(name, str(exc)) from exc

    def _container(self, dep: Mapping[str, Any], name: str) -> tuple[int, dict[str, Any]]:
        containers = dep.get("spec", {}).get("template", {}).get("spec", {}).get("containers") or []
        for i, c in enumerate(containers):
            if c.get("name") == self.names.container:
                return i, c
        raise KubeTargetError(name, f"has no container named {self.names.container!r} "
                              f"(found {[c.get('name') for c in containers]})")

    def build(self, deployment: str) -> dict[str, str | None] | None:
        """``{"version", "faults", "image"}`` a Deployment runs, None when it is missing."""
        dep = self._get(deployment)
        if dep is None:
            return None
        _, c = self._container(dep, deployment)
        return {"version": _env_value(c, "LENDING_VERSION"),
                "faults": _env_value(c, "LENDING_FAULTS") or None,
                "image": c.get("image"),
                "replicas": str(dep.get("spec", {}).get("replicas", 1))}

    # -- writing --------------------------------------------------------------------

    def _build_ops(self, dep: Mapping[str, Any], name: str, *, track: str, version: str,
                   faults: str | None, replicas: int | None) -> list[dict[str, Any]]:
        i, c = self._container(dep, name)
        base = f"/spec/template/spec/containers/{i}"
        image = image_with_tag(self.image or str(c.get("image", "")), version)
        ops: list[dict[str, Any]] = [
            {"op": "test", "path": f"{base}/name", "value": self.names.container},
            {"op": "replace" if "image" in c else "add", "path": f"{base}/image", "value": image},
        ]
        wanted = {"LENDING_VERSION": version, "LENDING_TRACK": track, "LENDING_FAULTS": faults or ""}
        env = list(c.get("env") or [])
        if "env" not in c:
            ops.append({"op": "add", "path": f"{base}/env", "value": []})
        index = {item.get("name"): j for j, item in enumerate(env)}
        for key, value in wanted.items():
            entry = {"name": key, "value": value}
            if key in index:
                ops.append({"op": "test", "path": f"{base}/env/{index[key]}/name", "value": key})
                ops.append({"op": "replace", "path": f"{base}/env/{index[key]}", "value": entry})
            else:
                ops.append({"op": "add", "path": f"{base}/env/-", "value": entry})
        # Init containers running the same build (the chart's `db upgrade`) move with it:
        # a canary must apply its own migrations, not the previous build's.
        pod = dep.get("spec", {}).get("template", {}).get("spec", {})
        for j, init in enumerate(pod.get("initContainers") or []):
            if c.get("image") and init.get("image") == c.get("image"):
                path = f"/spec/template/spec/initContainers/{j}"
                ops.append({"op": "test", "path": f"{path}/name", "value": init.get("name")})
                ops.append({"op": "replace", "path": f"{path}/image", "value": image})
        if replicas is not None:
            ops.append({"op": "add", "path": "/spec/replicas", "value": replicas})
        return ops

    def _patch_build(self, name: str, dep: Mapping[str, Any], *, track: str, version: str,
                     faults: str | None, replicas: int | None = None) -> None:
        ops = self._build_ops(dep, name, track=track, version=version, faults=faults, replicas=replicas)
        try:
            self._api.json_patch(DEPLOYMENTS, self.names.namespace, name, ops)
        except KubeApiError as exc:
            raise KubeTargetError(name, str(exc), track=track, version=version) from exc

    def _canary_from(self, stable: Mapping[str, Any]) -> dict[str, Any]:
        """A canary Deployment: the stable one's template under the canary's name and
        track label (selector included, so neither Deployment adopts the other's pods)."""
        name = self.names.canary_deployment
        selector = dict(stable.get("spec", {}).get("selector", {}).get("matchLabels") or {})
        if TRACK_LABEL not in selector:
            raise KubeTargetError(self.names.stable_deployment,
                                  f"its selector lacks {TRACK_LABEL}; a canary created from it "
                                  "would share its pods (install the chart, or add the label)")
        spec = copy.deepcopy(dict(stable["spec"]))
        spec["selector"] = {"matchLabels": {**selector, TRACK_LABEL: "canary"}}
        tmeta = spec.setdefault("template", {}).setdefault("metadata", {})
        tmeta["labels"] = {**(tmeta.get("labels") or {}), TRACK_LABEL: "canary"}
        spec["replicas"] = 0
        meta = stable.get("metadata", {})
        return {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": self.names.namespace,
                         "labels": {**(meta.get("labels") or {}), TRACK_LABEL: "canary"}},
            "spec": spec,
        }

    def _wait(self, name: str) -> None:
        try:
            self._waiter.wait(self.names.namespace, name)
        except KubeApiError as exc:
            raise KubeTargetError(name, str(exc)) from exc

    def start_stable(self, version: str, faults: str | None = None) -> str:
        """Roll the stable Deployment to ``version``; return the stable Service URL once
        the rollout is done."""
        name = self.names.stable_deployment
        dep = self._get(name)
        if dep is None:
            raise KubeTargetError(name, f"not found in namespace {self.names.namespace}; "
                                  "install the chart first (helm install ... helm/lendops)",
                                  track="stable", version=version)
        self._patch_build(name, dep, track="stable", version=version, faults=faults)
        self._wait(name)
        return self.names.service_url("stable")

    def start_canary(self, version: str, faults: str | None = None) -> str:
        name = self.names.canary_deployment
        dep = self._get(name)
        if dep is None:
            stable = self._get(self.names.stable_deployment)
            if stable is None:
                raise KubeTargetError(self.names.stable_deployment, "not found; cannot derive a canary",
                                      track="canary", version=version)
            try:
                dep = self._api.create(DEPLOYMENTS, self.names.namespace, self._canary_from(stable))
            except KubeApiError as exc:
                raise KubeTargetError(name, str(exc), track="canary", version=version) from exc
        replicas = max(int(dep.get("spec", {}).get("replicas", 0)), self.canary_replicas)
        self._patch_build(name, dep, track="canary", version=version, faults=faults, replicas=replicas)
        self._wait(name)
        return self.names.service_url("canary")

    def _scale_canary(self, replicas: int) -> None:
        name = self.names.canary_deployment
        try:
            self._api.merge_patch(DEPLOYMENTS, self.names.namespace, name, {"spec": {"replicas": replicas}})
        except KubeApiError as exc:
            if not exc.not_found:
                raise KubeTargetError(name, str(exc), track="canary") from exc

    def stop_canary(self) -> None:
        """Scale the canary to 0; the object stays, so the next canary starts from it."""
        self._scale_canary(0)

    def promote(self) -> str:
        """Run the canary's build (version and faults) as the new stable."""
        build = self.build(self.names.canary_deployment)
        if build is None or not build["version"]:
            raise KubeTargetError(self.names.canary_deployment, "no canary build to promote", track="canary")
        return self.start_stable(str(build["version"]), build["faults"])

    def stop_previous(self) -> None:
        """Nothing to stop: the Deployment controller already replaced the previous
        stable pods during the rolling update that ``promote`` waited for."""

    def stop_all(self) -> None:
        """Stop the canary. The stable Deployment is production and is left running;
        ``helm uninstall`` removes it."""
        self.stop_canary()

    # -- views and persistence -------------------------------------------------------

    def endpoints(self) -> dict[str, str | None]:
        canary = self.build(self.names.canary_deployment)
        running = canary is not None and canary["replicas"] not in ("0", None)
        return {"stable": self.names.service_url("stable"),
                "canary": self.names.service_url("canary") if running else None}

    def state(self) -> dict[str, Any]:
        # The cluster is the source of truth; the state only says where to look.
        return {"kind": self.kind, "namespace": self.names.namespace, "base": self.names.base,
                "container": self.names.container, "service_port": self.names.service_port,
                "stable_deployment": self.names.stable_deployment_name, "image": self.image,
                "canary_replicas": self.canary_replicas}

    @classmethod
    def restore(cls, state: Mapping[str, Any], *, api_client: ApiClient | None = None,
                api: ObjectApi | None = None, clock: Clock | None = None,
                ready_timeout: float = 300.0, poll: float = 2.0) -> KubernetesTarget:
        """Re-attach to the Deployments named in ``state``; the stable one must exist."""
        names = KubeNames(namespace=state["namespace"], base=state["base"],
                          container=state.get("container", "lending"),
                          service_port=int(state.get("service_port", 80)),
                          stable_deployment_name=state.get("stable_deployment", ""))
        target = cls(api_client, names, image=state.get("image", ""),
                     canary_replicas=int(state.get("canary_replicas", 1)),
                     ready_timeout=ready_timeout, poll=poll, clock=clock, api=api)
        if target._get(names.stable_deployment) is None:
            raise KubeTargetError(names.stable_deployment, "is gone; cannot resume the rollout", track="stable")
        return target
