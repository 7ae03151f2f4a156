"""Bounded route labels for client telemetry.

Clients report the path they called (``/v1/loans/812/repayments``) or a template. The
label must be the same template the server probe uses (the Flask URL rule), and must
never be free text: anything the app has no rule for becomes ``other``.
"""

from __future__ import annotations

import re
import threading

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map

__all__ = ["RouteResolver", "OTHER_ROUTE"]

OTHER_ROUTE = "other"
_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_CACHE_MAX = 4096


_BRACES = re.compile(r"\{[^{}/]*\}")


def _shape(template: str) -> str:
    """A template with its placeholders anonymous: ``/v1/loans/<int:loan_id>`` and
    ``/v1/loans/{id}`` both become ``/v1/loans/{}``."""
    return _BRACES.sub("{}", _CONVERTER.sub("{}", template))


class RouteResolver:
    """Maps a reported route to one of the app's URL rules, or ``other``."""

    def __init__(self, url_map: Map, *, prefix: str = "/v1/") -> None:
        self._map = url_map
        self._prefix = prefix
        self._cache: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        self._templates: dict[str, str] | None = None

    def _known_templates(self) -> dict[str, str]:
        # Built lazily: blueprints are registered after the resolver is created.
        if self._templates is None:
            templates: dict[str, str] = {}
            for rule in self._map.iter_rules():
                if rule.rule.startswith(self._prefix):
                    templates[rule.rule] = rule.rule
                    templates.setdefault(_shape(rule.rule), rule.rule)
            self._templates = templates
        return self._templates

    def resolve(self, route: str, method: str) -> str:
        path = route.split("?", 1)[0].split("#", 1)[0]
        key = (path, method.upper())
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None:
            return hit
        known = self._known_templates()
        label = known.get(path) or known.get(_shape(path)) or self._match(path, method.upper())
        with self._lock:
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()  # a client cycling ids must not grow memory
            self._cache[key] = label
        return label

    def _match(self, path: str, method: str) -> str:
        if not path.startswith(self._prefix):
            return OTHER_ROUTE
        adapter = self._map.bind("localhost")
        for candidate in (method, None):
            try:
                rule, _ = adapter.match(path, method=candidate, return_rule=True)
                return rule.rule
            except HTTPException:
                continue
        return OTHER_ROUTE
