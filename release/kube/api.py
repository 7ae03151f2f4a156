"""A small dict-in, dict-out view of the Kubernetes API over an injected ``ApiClient``.

Every write names its Content-Type explicitly. The official client (37.x) picks the
*first* JSON type of an operation when none is given: ``application/json-patch+json``
for built-in kinds, which it silently rewrites to a strategic merge patch for dict
bodies. Saying what we mean keeps the patch semantics visible at the call site and
identical for built-in kinds and custom resources (which reject strategic merge).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import KubeApiError

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

__all__ = [
    "DEPLOYMENTS",
    "HTTPROUTES",
    "INGRESSES",
    "JSON",
    "JSON_PATCH",
    "MERGE_PATCH",
    "ObjectApi",
    "Resource",
    "VIRTUALSERVICES",
]

JSON = "application/json"
#: RFC 7386: maps merge key by key, ``null`` deletes a key, a list replaces the list.
MERGE_PATCH = "application/merge-patch+json"
#: RFC 6902: explicit operations on paths; ``test`` makes a patch conditional.
JSON_PATCH = "application/json-patch+json"


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    plural: str
    kind: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"

    def path(self, namespace: str, name: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}/namespaces/{namespace}/{self.plural}"
        return f"{base}/{name}" if name else base


DEPLOYMENTS = Resource("apps", "v1", "deployments", "Deployment")
INGRESSES = Resource("networking.k8s.io", "v1", "ingresses", "Ingress")
HTTPROUTES = Resource("gateway.networking.k8s.io", "v1", "httproutes", "HTTPRoute")
VIRTUALSERVICES = Resource("networking.istio.io", "v1", "virtualservices", "VirtualService")


class ObjectApi:
    """Namespaced objects of non-core groups as plain dicts.

    Built on ``CustomObjectsApi``, which serves any ``/apis/<group>/<version>`` path,
    so Deployments, Ingresses and custom resources share one code path.
    """

    def __init__(self, api_client: ApiClient, *, timeout: float = 10.0) -> None:
        from kubernetes.client import CustomObjectsApi

        self._api = CustomObjectsApi(api_client)
        self._timeout = timeout

    def _call(self, verb: str, path: str, fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        try:
            got = fn(*args, _request_timeout=self._timeout, **kwargs)
        except ApiException as exc:
            raise KubeApiError(verb, path, status=exc.status, reason=exc.reason or "",
                               detail=_status_message(exc.body)) from exc
        except (HTTPError, OSError) as exc:
            raise KubeApiError(verb, path, status=None, detail=str(exc)) from exc
        if not isinstance(got, dict):
            raise KubeApiError(verb, path, status=None, detail=f"unexpected answer {got!r}")
        return got

    def get(self, res: Resource, namespace: str, name: str) -> dict[str, Any]:
        return self._call("GET", res.path(namespace, name), self._api.get_namespaced_custom_object,
                          res.group, res.version, namespace, res.plural, name)

    def create(self, res: Resource, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", res.path(namespace), self._api.create_namespaced_custom_object,
                          res.group, res.version, namespace, res.plural, body,
                          # this client's create ignores ``_content_type`` and would send
                          # no Content-Type at all; say it through the headers instead
                          _headers={"Content-Type": JSON})

    def merge_patch(self, res: Resource, namespace: str, name: str,
                    body: dict[str, Any]) -> dict[str, Any]:
        return self._call("PATCH", res.path(namespace, name),
                          self._api.patch_namespaced_custom_object,
                          res.group, res.version, namespace, res.plural, name, body,
                          _content_type=MERGE_PATCH)

    def json_patch(self, res: Resource, namespace: str, name: str,
                   ops: list[dict[str, Any]]) -> dict[str, Any]:
        return self._call("PATCH", res.path(namespace, name),
                          self._api.patch_namespaced_custom_object,
                          res.group, res.version, namespace, res.plural, name, ops,
                          _content_type=JSON_PATCH)


def _status_message(body: Any) -> str:
    """The ``message`` of a Kubernetes Status answer, else the body's start."""
    import json

    if not body:
        return ""
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return str(body)[:300]
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])[:300]
    return str(body)[:300]
