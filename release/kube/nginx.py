"""ingress-nginx canary annotations as a traffic provider.

The chart renders a main Ingress (to ``<base>-stable``) and a canary Ingress for the same
host and path (to ``<base>-canary``); this provider owns the canary Ingress's
annotations::

    nginx.ingress.kubernetes.io/canary: "true"
    nginx.ingress.kubernetes.io/canary-weight: "<w>"
    nginx.ingress.kubernetes.io/canary-weight-total: "100"
    nginx.ingress.kubernetes.io/canary-by-header: X-Branch-Code        # cohort only
    nginx.ingress.kubernetes.io/canary-by-header-pattern: ^(522629|...)$

How ingress-nginx combines them: canary-by-header is evaluated before canary-weight. A
request whose X-Branch-Code matches the pattern goes to the canary; a request without
the header, or with a value that does not match, falls through to the weight. That is
exactly TrafficSplit's meaning (cohort always canary, weight for everyone else).
``canary-by-header-value`` would take precedence over the pattern, so it is removed.
A JSON merge patch sets and deletes (``null``) annotation keys in one write.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from release.traffic.split import TrafficSplit

from .api import INGRESSES, ObjectApi
from .errors import KubeApiError, KubeTrafficError
from .names import BRANCH_HEADER, KubeNames

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

__all__ = ["NginxCanaryProvider", "PREFIX"]

PREFIX = "nginx.ingress.kubernetes.io/"
_PATTERN = re.compile(r"^\^\((?P<codes>[^()]*)\)\$$")


class NginxCanaryProvider:
    name = "ingress-nginx"

    def __init__(self, api_client: ApiClient, names: KubeNames, *, api: ObjectApi | None = None) -> None:
        self.names = names
        self._api = api or ObjectApi(api_client)

    @staticmethod
    def annotations(split: TrafficSplit) -> dict[str, str | None]:
        """The annotation changes (``None`` deletes) that put ``split`` in force."""
        codes = sorted(split.cohort)
        return {
            PREFIX + "canary": "true",
            PREFIX + "canary-weight": str(split.weight),
            PREFIX + "canary-weight-total": "100",
            PREFIX + "canary-by-header": BRANCH_HEADER if codes else None,
            PREFIX + "canary-by-header-pattern":
                "^(" + "|".join(re.escape(c) for c in codes) + ")$" if codes else None,
            PREFIX + "canary-by-header-value": None,
        }

    def apply(self, split: TrafficSplit) -> None:
        try:
            got = self._api.merge_patch(INGRESSES, self.names.namespace, self.names.canary_ingress,
                                        {"metadata": {"annotations": self.annotations(split)}})
        except KubeApiError as exc:
            raise KubeTrafficError(self.name, str(exc), status=exc.status) from exc
        now = self.parse(got)
        if now != split:
            raise KubeTrafficError(self.name, f"Ingress {self.names.canary_ingress} reads back {now}, expected {split}")

    def current(self) -> TrafficSplit:
        try:
            ing = self._api.get(INGRESSES, self.names.namespace, self.names.canary_ingress)
        except KubeApiError as exc:
            raise KubeTrafficError(self.name, str(exc), status=exc.status) from exc
        return self.parse(ing)

    def parse(self, ingress: dict[str, Any]) -> TrafficSplit:
        ann: dict[str, str] = ingress.get("metadata", {}).get("annotations") or {}
        where = f"Ingress {self.names.canary_ingress}"
        if ann.get(PREFIX + "canary") != "true":
            raise KubeTrafficError(self.name, f"{where} is not marked {PREFIX}canary: \"true\"")
        try:
            raw = int(ann.get(PREFIX + "canary-weight", "0"))
            total = int(ann.get(PREFIX + "canary-weight-total", "100"))
        except ValueError as exc:
            raise KubeTrafficError(self.name, f"{where} has a non-numeric weight: {exc}") from exc
        weight = round(100 * raw / total) if total > 0 else 0
        cohort: frozenset[str] = frozenset()
        if ann.get(PREFIX + "canary-by-header-value"):
            raise KubeTrafficError(self.name, f"{where} routes by a fixed header value, not a cohort pattern")
        header = ann.get(PREFIX + "canary-by-header")
        if header:
            if header.lower() != BRANCH_HEADER.lower():
                raise KubeTrafficError(self.name, f"{where} routes by header {header}, not {BRANCH_HEADER}")
            match = _PATTERN.match(ann.get(PREFIX + "canary-by-header-pattern", ""))
            if match is None:
                raise KubeTrafficError(self.name, f"{where} has a cohort pattern this provider did not write")
            cohort = frozenset(re.sub(r"\\(.)", r"\1", c) for c in match["codes"].split("|") if c)
        return TrafficSplit(weight=max(0, min(100, weight)), cohort=cohort)
