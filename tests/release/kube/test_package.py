from __future__ import annotations

import subprocess
import sys

import pytest

from release.kube import GatewayRouteProvider, IstioProvider, NginxCanaryProvider, ReplicaRatioProvider
from release.kube.factory import PROVIDERS, traffic_provider
from release.kube.names import KubeNames
from release.traffic import TrafficProvider


def test_importing_the_package_touches_nothing() -> None:
    code = ("import sys, release.kube, release.kube.gateway, release.kube.target; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('kubernetes', 'urllib3')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_every_provider_is_a_traffic_provider(name: str) -> None:
    from kubernetes.client import ApiClient, Configuration

    provider = traffic_provider(name, ApiClient(Configuration()), KubeNames())
    assert isinstance(provider, TrafficProvider)
    assert provider.name == name  # type: ignore[attr-defined]
    assert type(provider) in (GatewayRouteProvider, IstioProvider, NginxCanaryProvider, ReplicaRatioProvider)


def test_an_unknown_provider_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="gateway-api, ingress-nginx, istio, replica-ratio"):
        traffic_provider("linkerd", None, KubeNames())  # type: ignore[arg-type]
