"""Kubernetes adapters: traffic providers (Gateway API HTTPRoute, Istio VirtualService,
ingress-nginx canary annotations, replica ratio), a Deployment target and a runtime for
the release controller. All of them take an injected ``kubernetes.client.ApiClient``
(build one with :func:`connect`).

Modules are imported lazily: ``kubernetes`` is an optional dependency and nothing here
touches it until an adapter is used.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "BRANCH_HEADER",
    "CohortUnsupportedError",
    "DeploymentWaiter",
    "GatewayRouteProvider",
    "IstioProvider",
    "KubeApiError",
    "KubeConfigError",
    "KubeError",
    "KubeNames",
    "KubeTargetError",
    "KubeTrafficError",
    "KubernetesRuntime",
    "KubernetesTarget",
    "NginxCanaryProvider",
    "ObjectApi",
    "ReplicaRatioProvider",
    "RolloutTimeoutError",
    "build_kubernetes_runtime",
    "connect",
    "traffic_provider",
]

_WHERE = {
    "BRANCH_HEADER": "names", "KubeNames": "names",
    "CohortUnsupportedError": "errors", "KubeApiError": "errors", "KubeConfigError": "errors",
    "KubeError": "errors", "KubeTargetError": "errors", "KubeTrafficError": "errors",
    "RolloutTimeoutError": "errors",
    "DeploymentWaiter": "readiness", "ObjectApi": "api", "connect": "connection",
    "GatewayRouteProvider": "gateway", "IstioProvider": "istio",
    "NginxCanaryProvider": "nginx", "ReplicaRatioProvider": "replicas",
    "KubernetesTarget": "target", "KubernetesRuntime": "runtime",
    "build_kubernetes_runtime": "runtime",
    "traffic_provider": "factory",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
