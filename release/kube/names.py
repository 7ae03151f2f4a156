"""Names of the Kubernetes objects a rollout touches, derived the way the Helm chart
(``helm/lendops``) names them, so the controller and the chart agree by construction."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BRANCH_HEADER", "KubeNames"]

#: Cohort routing header (ARCHITECTURE.md, wire conventions).
BRANCH_HEADER = "X-Branch-Code"


@dataclass(frozen=True, kw_only=True)
class KubeNames:
    """Example::

        names = KubeNames(namespace="lending", base="lending")
        names.canary_deployment   # 'lending-canary'
    """

    namespace: str = "default"
    """Namespace of every object below."""
    base: str = "lending"
    """The chart's full name (the Helm release name by default); the stable Deployment."""
    container: str = "lending"
    """Container of the lending service inside both Deployments."""
    service_port: int = 80
    """Port of the stable/canary/root Services."""
    stable_deployment_name: str = ""
    """Override for the stable Deployment (default ``base``)."""

    @property
    def stable_deployment(self) -> str:
        return self.stable_deployment_name or self.base

    @property
    def canary_deployment(self) -> str:
        return f"{self.stable_deployment}-canary"

    @property
    def stable_service(self) -> str:
        return f"{self.base}-stable"

    @property
    def canary_service(self) -> str:
        return f"{self.base}-canary"

    @property
    def root_service(self) -> str:
        """Selects the pods of both tracks (replica ratio, Istio host, GAMMA parent)."""
        return self.base

    @property
    def route(self) -> str:
        """HTTPRoute and VirtualService name."""
        return self.base

    @property
    def canary_ingress(self) -> str:
        return f"{self.base}-canary"

    def service_url(self, track: str) -> str:
        """In-cluster URL of a track's Service (``root`` for both tracks)."""
        svc = {"stable": self.stable_service, "canary": self.canary_service,
               "root": self.root_service}[track]
        return f"http://{svc}.{self.namespace}.svc:{self.service_port}"
