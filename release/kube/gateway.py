"""Gateway API ``HTTPRoute`` (gateway.networking.k8s.io/v1) as a traffic provider.

The route's rules are owned by this provider and written as a whole::

    rules:
    - matches: [{path: /, headers: [{type: Exact, name: X-Branch-Code, value: "522629"}]}, ...]
      backendRefs: [{name: lending-canary, port: 80}]                 # cohort: always canary
    - matches: [{path: /}]
      backendRefs: [{name: lending-stable, weight: 100-w}, {name: lending-canary, weight: w}]

Why a JSON merge patch of ``spec.rules``: RFC 7386 replaces a list as a whole, which is
exactly "these are the rules now" in one atomic write; strategic merge is not available
for custom resources, and a JSON Patch would need indexes into someone else's list.
``parentRefs`` and ``hostnames`` (the chart's) are left untouched.

Why one ``Exact`` match per branch code instead of a regular expression: Exact header
matching is core conformance, RegularExpression only implementation-specific. Gateway
API ranks a match with more header matches above a plain path match, so the cohort rule
wins whatever the order; it is also written first, because rule order breaks ties.
The schema caps ``matches`` at 64 per rule and rules at 16, so cohorts are chunked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from release.traffic.split import TrafficSplit

from .api import HTTPROUTES, ObjectApi
from .errors import KubeApiError, KubeTrafficError
from .names import BRANCH_HEADER, KubeNames
from .readiness import Clock, SystemClock

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

__all__ = ["GatewayRouteProvider"]

MAX_MATCHES_PER_RULE = 64
MAX_RULES = 16


class GatewayRouteProvider:
    """Example::

        provider = GatewayRouteProvider(api_client, KubeNames(namespace="lending"))
        provider.apply(TrafficSplit(weight=10, cohort=frozenset({"522629"})))
    """

    name = "gateway-api"

    def __init__(self, api_client: ApiClient, names: KubeNames, *, path_prefix: str = "/",
                 accept_timeout: float = 0.0, poll: float = 1.0, clock: Clock | None = None,
                 api: ObjectApi | None = None) -> None:
        """accept_timeout: when positive, ``apply`` returns only once every parent
        Gateway reports the new generation Accepted (and its refs resolved), and fails
        after that many seconds otherwise; 0 returns once the route is written."""
        self.names = names
        self.path_prefix = path_prefix
        self.accept_timeout = accept_timeout
        self.poll = poll
        self.clock = clock or SystemClock()
        self._api = api or ObjectApi(api_client)

    def _ref(self, service: str, weight: int | None = None) -> dict[str, Any]:
        ref: dict[str, Any] = {"group": "", "kind": "Service", "name": service,
                               "port": self.names.service_port}
        if weight is not None:
            ref["weight"] = weight
        return ref

    def rules(self, split: TrafficSplit) -> list[dict[str, Any]]:
        """The ``spec.rules`` that put ``split`` in force."""
        path = {"type": "PathPrefix", "value": self.path_prefix}
        codes = sorted(split.cohort)
        chunks = [codes[i:i + MAX_MATCHES_PER_RULE] for i in range(0, len(codes), MAX_MATCHES_PER_RULE)]
        if len(chunks) + 1 > MAX_RULES:
            raise KubeTrafficError(self.name, f"a cohort of {len(codes)} branches needs more than "
                                   f"{MAX_RULES} HTTPRoute rules; use a weight instead")
        rules: list[dict[str, Any]] = [
            {"matches": [{"path": path,
                          "headers": [{"type": "Exact", "name": BRANCH_HEADER, "value": code}]}
                         for code in chunk],
             "backendRefs": [self._ref(self.names.canary_service, 1)]}
            for chunk in chunks
        ]
        rules.append({"matches": [{"path": path}],
                      "backendRefs": [self._ref(self.names.stable_service, 100 - split.weight),
                                      self._ref(self.names.canary_service, split.weight)]})
        return rules

    def _get(self) -> dict[str, Any]:
        try:
            return self._api.get(HTTPROUTES, self.names.namespace, self.names.route)
        except KubeApiError as exc:
            raise KubeTrafficError(self.name, str(exc), status=exc.status) from exc

    def apply(self, split: TrafficSplit) -> None:
        try:
            got = self._api.merge_patch(HTTPROUTES, self.names.namespace, self.names.route,
                                        {"spec": {"rules": self.rules(split)}})
        except KubeApiError as exc:
            raise KubeTrafficError(self.name, str(exc), status=exc.status) from exc
        self._check_accepted(got)
        now = self.parse(got)
        if now != split:
            raise KubeTrafficError(self.name, f"HTTPRoute {self.names.route} reads back {now}, expected {split}")
        if self.accept_timeout > 0:
            self._wait_accepted(got)

    def _wait_accepted(self, written: dict[str, Any]) -> None:
        generation = written.get("metadata", {}).get("generation")
        start = self.clock.monotonic()
        while True:
            route = self._get()
            self._check_accepted(route)
            pending = _parents_pending(route, generation)
            if not pending:
                return
            waited = self.clock.monotonic() - start
            if waited >= self.accept_timeout:
                raise KubeTrafficError(self.name, f"HTTPRoute {self.names.route} generation {generation} not "
                                       f"accepted after {waited:.0f} s: {'; '.join(pending)}")
            self.clock.sleep(self.poll)

    def current(self) -> TrafficSplit:
        return self.parse(self._get())

    def parse(self, route: dict[str, Any]) -> TrafficSplit:
        """The split an HTTPRoute puts in force (rules written by :meth:`rules`)."""
        cohort: set[str] = set()
        weights: dict[str, int] | None = None
        for rule in route.get("spec", {}).get("rules") or []:
            headers = [h for m in rule.get("matches") or [] for h in m.get("headers") or []
                       if h.get("name", "").lower() == BRANCH_HEADER.lower()]
            if headers:
                refs = {r.get("name") for r in rule.get("backendRefs") or []}
                if refs != {self.names.canary_service}:
                    raise KubeTrafficError(self.name, f"cohort rule routes to {sorted(refs)}, "
                                           f"not only {self.names.canary_service}")
                for h in headers:
                    if h.get("type", "Exact") != "Exact":
                        raise KubeTrafficError(self.name, f"cannot read a {h['type']} cohort match")
                    cohort.add(str(h["value"]))
            elif weights is None:
                weights = {str(r.get("name")): int(r.get("weight", 1)) for r in rule.get("backendRefs") or []}
        if weights is None or self.names.stable_service not in weights:
            raise KubeTrafficError(self.name, f"HTTPRoute {self.names.route} has no weighted rule for "
                                   f"{self.names.stable_service}/{self.names.canary_service}")
        canary = weights.get(self.names.canary_service, 0)
        total = canary + weights[self.names.stable_service]
        weight = round(100 * canary / total) if total else 0
        return TrafficSplit(weight=weight, cohort=frozenset(cohort))

    def _check_accepted(self, route: dict[str, Any]) -> None:
        # Controllers report per parent Gateway; a refusal for the current generation
        # means the split is not in force even though the write succeeded.
        generation = route.get("metadata", {}).get("generation")
        for parent in route.get("status", {}).get("parents") or []:
            for cond in parent.get("conditions") or []:
                if (cond.get("type") == "Accepted" and cond.get("status") == "False"
                        and cond.get("observedGeneration") in (None, generation)):
                    raise KubeTrafficError(self.name, f"HTTPRoute {self.names.route} not accepted by "
                                           f"{parent.get('parentRef', {}).get('name')}: {cond.get('message', '')}")


def _parents_pending(route: dict[str, Any], generation: Any) -> list[str]:
    """Why the route's status does not (yet) say the given generation is in force."""
    parents = route.get("status", {}).get("parents") or []
    if not parents:
        return ["no Gateway has reported on the route yet"]
    pending = []
    for parent in parents:
        who = parent.get("parentRef", {}).get("name", "?")
        conds = {c.get("type"): c for c in parent.get("conditions") or []}
        for kind in ("Accepted", "ResolvedRefs"):
            cond = conds.get(kind)
            if cond is None or cond.get("observedGeneration") != generation:
                pending.append(f"{who}: {kind} not reported for generation {generation}")
            elif cond.get("status") != "True":
                pending.append(f"{who}: {kind} {cond.get('status')} ({cond.get('reason', '')}: {cond.get('message', '')})")
    return pending
