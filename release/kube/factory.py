"""Pick the traffic provider a rollout spec names (``traffic.provider``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .gateway import GatewayRouteProvider
from .istio import IstioProvider
from .names import KubeNames
from .nginx import NginxCanaryProvider
from .replicas import ReplicaRatioProvider

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

    from release.traffic.provider import TrafficProvider

__all__ = ["PROVIDERS", "traffic_provider"]

PROVIDERS: dict[str, Any] = {
    "gateway-api": GatewayRouteProvider,
    "istio": IstioProvider,
    "ingress-nginx": NginxCanaryProvider,
    "replica-ratio": ReplicaRatioProvider,
}


def traffic_provider(name: str, api_client: ApiClient, names: KubeNames, **options: Any) -> TrafficProvider:
    """Example: ``traffic_provider("istio", api_client, KubeNames(namespace="lending"))``."""
    try:
        cls = PROVIDERS[name]
    except KeyError:
        raise ValueError(f"no Kubernetes traffic provider {name!r}; choose one of "
                         f"{', '.join(sorted(PROVIDERS))}") from None
    provider: TrafficProvider = cls(api_client, names, **options)
    return provider
