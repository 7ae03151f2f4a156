"""Istio ``VirtualService`` (networking.istio.io/v1) as a traffic provider.

The provider owns ``spec.http``::

    http:
    - name: lendops-cohort          # only when the cohort is not empty
      match: [{headers: {x-branch-code: {exact: "522629"}}}, ...]
      route: [{destination: {host: lending-canary, port: {number: 80}}, weight: 100}]
    - name: lendops-weighted
      route: [{destination: {host: lending-stable, ...}, weight: 100-w},
              {destination: {host: lending-canary, ...}, weight: w}]

Istio evaluates http routes in order, first match wins, so the cohort route comes first.
Destinations are the two track Services (hosts), not subsets, so no DestinationRule is
needed. Header names in Istio matches are lower case. ``spec.http`` is written with a
JSON merge patch, which replaces the list whole; ``hosts`` and ``gateways`` stay as the
chart wrote them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from release.traffic.split import TrafficSplit

from .api import VIRTUALSERVICES, ObjectApi
from .errors import KubeApiError, KubeTrafficError
from .names import BRANCH_HEADER, KubeNames

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

__all__ = ["IstioProvider"]

COHORT_ROUTE = "lendops-cohort"
WEIGHTED_ROUTE = "lendops-weighted"


class IstioProvider:
    name = "istio"

    def __init__(self, api_client: ApiClient, names: KubeNames, *, api: ObjectApi | None = None) -> None:
        self.names = names
        self._api = api or ObjectApi(api_client)

    def _dest(self, service: str, weight: int) -> dict[str, Any]:
        host = f"{service}.{self.names.namespace}.svc.cluster.local"
        return {"destination": {"host": host, "port": {"number": self.names.service_port}},
                "weight": weight}

    def http_routes(self, split: TrafficSplit) -> list[dict[str, Any]]:
        header = BRANCH_HEADER.lower()
        routes: list[dict[str, Any]] = []
        if split.cohort:
            routes.append({
                "name": COHORT_ROUTE,
                "match": [{"headers": {header: {"exact": code}}} for code in sorted(split.cohort)],
                "route": [self._dest(self.names.canary_service, 100)],
            })
        routes.append({"name": WEIGHTED_ROUTE,
                       "route": [self._dest(self.names.stable_service, 100 - split.weight),
                                 self._dest(self.names.canary_service, split.weight)]})
        return routes

    def apply(self, split: TrafficSplit) -> None:
        try:
            got = self._api.merge_patch(VIRTUALSERVICES, self.names.namespace, self.names.route,
                                        {"spec": {"http": self.http_routes(split)}})
        except KubeApiError as exc:
            raise KubeTrafficError(self.name, str(exc), status=exc.status) from exc
        now = self.parse(got)
        if now != split:
            raise KubeTrafficError(self.name, f"VirtualService {self.names.route} reads back {now}, expected {split}")

    def current(self) -> TrafficSplit:
        try:
            vs = self._api.get(VIRTUALSERVICES, self.names.namespace, self.names.route)
        except KubeApiError as exc:
            raise KubeTrafficError(self.name, str(exc), status=exc.status) from exc
        return self.parse(vs)

    def _service(self, host: str) -> str:
        return host.split(".", 1)[0]

    def parse(self, vs: dict[str, Any]) -> TrafficSplit:
        header = BRANCH_HEADER.lower()
        cohort: set[str] = set()
        weighted: dict[str, int] | None = None
        for route in vs.get("spec", {}).get("http") or []:
            matches = route.get("match") or []
            dests = {self._service(r["destination"]["host"]): int(r.get("weight", 100))
                     for r in route.get("route") or []}
            codes = []
            for m in matches:
                value = (m.get("headers") or {}).get(header)
                if value is None:
                    continue
                if "exact" not in value:
                    raise KubeTrafficError(self.name, f"cannot read a cohort match {value}; "
                                           "this provider writes one exact match per branch")
                codes.append(value["exact"])
            if codes:
                if set(dests) != {self.names.canary_service}:
                    raise KubeTrafficError(self.name, f"cohort route goes to {sorted(dests)}")
                cohort.update(str(c) for c in codes)
            elif not matches and weighted is None:
                weighted = dests
        if weighted is None or self.names.stable_service not in weighted:
            raise KubeTrafficError(self.name, f"VirtualService {self.names.route} has no weighted route "
                                   f"for {self.names.stable_service}/{self.names.canary_service}")
        canary = weighted.get(self.names.canary_service, 0)
        total = canary + weighted[self.names.stable_service]
        return TrafficSplit(weight=round(100 * canary / total) if total else 0, cohort=frozenset(cohort))
