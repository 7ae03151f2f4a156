"""A Kubernetes API emulator (kmock) on 127.0.0.1, driven by the real ``kubernetes``
client over real HTTP.

The emulator runs its asyncio loop in a thread, so the adapters under test are called
exactly as the controller calls them: synchronously. Known differences from a real API
server (TOOLING.md) are handled here: create answers 201 like the real server (kmock
answers 200, which the client's custom-object calls reject); patch bodies are merged as
plain dicts, which equals RFC 7386 merge patch for the bodies the adapters send, and JSON
Patch is applied by ``jsonpatch`` (RFC 6902), but the Content-Type is ignored, so tests
assert it on the recorded requests themselves.
"""

from __future__ import annotations

import asyncio
import copy
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

kmock = pytest.importorskip("kmock")
pytest.importorskip("kubernetes")

from kubernetes import client as k8s  # noqa: E402

from release.kube.api import DEPLOYMENTS, HTTPROUTES, INGRESSES, VIRTUALSERVICES, Resource  # noqa: E402
from release.kube.names import KubeNames  # noqa: E402

NS = "lending"


class Emulator(kmock.KubernetesEmulator):
    """kmock plus two things a real API server does that the adapters rely on: create
    answers 201, and an object's ``metadata.generation`` grows with every change of its
    spec (so a status from before a patch is recognisably stale), in the answer too."""

    def _before(self) -> dict[int, Any]:
        # requests are slotted; keep their "spec before" here, by request id
        return self.__dict__.setdefault("_spec_before", {})  # type: ignore[no-any-return]

    def _key(self, request: Any) -> Any:
        data = request.data if isinstance(request.data, dict) else {}
        ns = request.namespace or data.get("metadata", {}).get("namespace")
        return (request.resource, ns, request.name or data.get("metadata", {}).get("name"))

    def _bump(self, request: Any, before: Any) -> Any:
        obj = self.objects[self._key(request)]
        if obj.raw.get("spec") != before:
            generation = int(obj.raw.get("metadata", {}).get("generation", 0)) + 1
            obj.patch({"metadata": {"generation": generation}})
        return copy.deepcopy(dict(obj.raw))

    async def _handle(self, request: Any) -> Any:
        # the spec before this request changes it, for _serve_create/_serve_update
        if request.resource is not None and request.action in (kmock.action.CREATE, kmock.action.UPDATE):
            key = self._key(request)
            live = key in self.objects and not self.objects[key].deleted
            self._before()[request.id] = copy.deepcopy(self.objects[key].raw.get("spec")) if live else None
        return await super()._handle(request)

    async def _serve_create(self, request: Any) -> Any:
        await super()._serve_create(request)
        return kmock.Response(status=201, payload=self._bump(request, self._before().pop(request.id, None)))

    async def _serve_update(self, request: Any) -> Any:
        await super()._serve_update(request)
        return self._bump(request, self._before().pop(request.id, None))


def _res(r: Resource) -> Any:
    return kmock.resource(r.group, r.version, r.plural)


@dataclass
class Cluster:
    emu: Any
    url: str
    api_client: Any
    names: KubeNames = field(default_factory=lambda: KubeNames(namespace=NS, base="lending"))

    def requests(self) -> list[Any]:
        return list(self.emu)

    def writes(self) -> list[Any]:
        return [r for r in self.requests() if r.method.value in ("POST", "PUT", "PATCH", "DELETE")]

    def clear(self) -> None:
        self.emu._requests.clear()

    def put(self, res: Resource, body: dict[str, Any]) -> None:
        meta = body["metadata"]
        self.emu.objects[_res(res), meta.get("namespace", NS), meta["name"]] = copy.deepcopy(body)

    def get(self, res: Resource, name: str, namespace: str = NS) -> dict[str, Any]:
        return copy.deepcopy(dict(self.emu.objects[_res(res), namespace, name].raw))

    def has(self, res: Resource, name: str, namespace: str = NS) -> bool:
        key = (_res(res), namespace, name)
        return key in self.emu.objects and not self.emu.objects[key].deleted

    def set_status(self, name: str, status: dict[str, Any]) -> None:
        """Play the Deployment controller: report a status (for the current generation
        unless the status names one)."""
        obj = self.emu.objects[_res(DEPLOYMENTS), NS, name]
        generation = obj.raw.get("metadata", {}).get("generation")
        if generation is not None:
            status = {"observedGeneration": generation, **status}
        obj.patch({"status": status})


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    started = threading.Event()
    box: dict[str, Any] = {}

    async def serve() -> None:
        stop = asyncio.Event()
        async with Emulator() as emu, kmock.Server(emu) as srv:
            with warnings.catch_warnings():  # kmock reads its bundle with a deprecated call
                warnings.simplefilter("ignore", DeprecationWarning)
                emu.resources.load_bundled()
            for res, kind in ((HTTPROUTES, "HTTPRoute"), (VIRTUALSERVICES, "VirtualService")):
                emu.resources[f"{res.group}/{res.version}/{res.plural}"] = {
                    "kind": kind, "singular": kind.lower(), "namespaced": True,
                    "verbs": ["get", "list", "patch", "create"], "shortnames": [],
                    "categories": [], "subresources": []}
            box.update(emu=emu, url=str(srv.url).rstrip("/"), loop=asyncio.get_running_loop(), stop=stop)
            started.set()
            await stop.wait()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    assert started.wait(10), "emulator did not start"
    cfg = k8s.Configuration()
    cfg.host = box["url"]
    api_client = k8s.ApiClient(cfg)
    try:
        yield Cluster(emu=box["emu"], url=box["url"], api_client=api_client)
    finally:
        api_client.close()
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(10)


# -- objects as the chart renders them ------------------------------------------------

def deployment(name: str, track: str, *, version: str = "1.0.0", replicas: int = 2,
               image: str = "registry.example:5000/lendops/lending") -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": "lendops", "app.kubernetes.io/instance": "lending",
              "lendops.dev/track": track}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [
                    {"name": "sidecar", "image": "envoy:1"},
                    {"name": "lending", "image": f"{image}:{version}",
                     "args": ["serve", "--host", "0.0.0.0", "--port", "8000"],
                     "env": [{"name": "LENDING_DB_URL", "value": "postgresql://db/lending"},
                             {"name": "LENDING_VERSION", "value": version},
                             {"name": "LENDING_TRACK", "value": track}]},
                ]},
            },
        },
    }


def http_route() -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": "lending", "namespace": NS},
        "spec": {"parentRefs": [{"name": "public", "namespace": "gateways"}],
                 "hostnames": ["lending.example.com"],
                 "rules": [{"backendRefs": [{"name": "lending-stable", "port": 80, "weight": 100},
                                            {"name": "lending-canary", "port": 80, "weight": 0}]}]},
    }


def virtual_service() -> dict[str, Any]:
    return {
        "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
        "metadata": {"name": "lending", "namespace": NS},
        "spec": {"hosts": ["lending"], "gateways": ["mesh"],
                 "http": [{"name": "lendops-weighted", "route": [
                     {"destination": {"host": "lending-stable.lending.svc.cluster.local"}, "weight": 100},
                     {"destination": {"host": "lending-canary.lending.svc.cluster.local"}, "weight": 0}]}]},
    }


def canary_ingress() -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "lending-canary", "namespace": NS,
                     "annotations": {"nginx.ingress.kubernetes.io/canary": "true",
                                     "nginx.ingress.kubernetes.io/canary-weight": "0",
                                     "other.example/keep": "me"}},
        "spec": {"ingressClassName": "nginx", "rules": [{"host": "lending.example.com", "http": {"paths": [
            {"path": "/", "pathType": "Prefix",
             "backend": {"service": {"name": "lending-canary", "port": {"number": 80}}}}]}}]},
    }


class FakeClock:
    """Injected clock: sleeping advances time and lets a hook play the cluster."""

    def __init__(self, on_sleep: Callable[[float], None] | None = None) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.on_sleep = on_sleep

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(self.now)


def rolled_out(replicas: int) -> dict[str, Any]:
    return {"replicas": replicas, "updatedReplicas": replicas, "readyReplicas": replicas,
            "availableReplicas": replicas}
