"""Schemas for the custom resources the chart renders, which kubernetes-validate does not
know (it has only built-in kinds).

These are not the upstream CRDs (hundreds of kilobytes each); they are the fields the
chart uses, written from the v1 CRDs of Gateway API (gateway.networking.k8s.io/v1),
Istio (networking.istio.io/v1) and prometheus-operator (monitoring.coreos.com/v1),
with their documented types, enums, patterns and list limits, and
``additionalProperties: false`` wherever the chart writes, so a misspelt or misplaced
field fails as it would with ``kubectl apply --validate=strict``. CEL rules of the real
CRDs are checked by hand where they matter (a Service backendRef needs a port).
"""

from __future__ import annotations

from typing import Any

import jsonschema

__all__ = ["CRD_SCHEMAS", "validate_crd"]

_DNS1123_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
_DNS1123_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_HOSTNAME = r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
_GROUP = r"^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
_KIND = r"^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$"
_HEADER_NAME = r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$"
_PROM_DURATION = r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"


def _obj(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": props,
            "required": list(required)}


_METADATA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "maxLength": 253, "pattern": _DNS1123_SUBDOMAIN},
        "namespace": {"type": "string", "pattern": _DNS1123_LABEL},
        "labels": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 63}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}

_PORT = {"type": "integer", "minimum": 1, "maximum": 65535}

_HTTPROUTE_SPEC = _obj({
    "parentRefs": {"type": "array", "maxItems": 32, "items": _obj({
        "group": {"type": "string", "maxLength": 253, "pattern": _GROUP},
        "kind": {"type": "string", "minLength": 1, "maxLength": 63, "pattern": _KIND},
        "namespace": {"type": "string", "minLength": 1, "maxLength": 63, "pattern": _DNS1123_LABEL},
        "name": {"type": "string", "minLength": 1, "maxLength": 253},
        "sectionName": {"type": "string", "minLength": 1, "maxLength": 253, "pattern": _DNS1123_SUBDOMAIN},
        "port": _PORT,
    }, ("name",))},
    "hostnames": {"type": "array", "maxItems": 16,
                  "items": {"type": "string", "minLength": 1, "maxLength": 253, "pattern": _HOSTNAME}},
    "rules": {"type": "array", "maxItems": 16, "items": _obj({
        "name": {"type": "string", "pattern": _DNS1123_LABEL},
        "matches": {"type": "array", "maxItems": 64, "items": _obj({
            "path": _obj({"type": {"enum": ["Exact", "PathPrefix", "RegularExpression"]},
                          "value": {"type": "string", "maxLength": 1024, "pattern": "^/"}}),
            "headers": {"type": "array", "maxItems": 16, "items": _obj({
                "type": {"enum": ["Exact", "RegularExpression"]},
                "name": {"type": "string", "minLength": 1, "maxLength": 256, "pattern": _HEADER_NAME},
                "value": {"type": "string", "minLength": 1, "maxLength": 4096},
            }, ("name", "value"))},
            "method": {"enum": ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]},
        })},
        "backendRefs": {"type": "array", "maxItems": 16, "items": _obj({
            "group": {"type": "string", "maxLength": 253, "pattern": _GROUP},
            "kind": {"type": "string", "minLength": 1, "maxLength": 63, "pattern": _KIND},
            "name": {"type": "string", "minLength": 1, "maxLength": 253},
            "namespace": {"type": "string", "pattern": _DNS1123_LABEL},
            "port": _PORT,
            "weight": {"type": "integer", "minimum": 0, "maximum": 1000000},
        }, ("name",))},
    })},
})

_ISTIO_DEST = _obj({"host": {"type": "string", "minLength": 1}, "subset": {"type": "string"},
                    "port": _obj({"number": {"type": "integer", "minimum": 0, "maximum": 4294967295}})},
                   ("host",))
_STRING_MATCH = {"type": "object", "additionalProperties": False, "maxProperties": 1, "minProperties": 1,
                 "properties": {"exact": {"type": "string"}, "prefix": {"type": "string"},
                                "regex": {"type": "string"}}}
_VIRTUALSERVICE_SPEC = _obj({
    "hosts": {"type": "array", "items": {"type": "string"}},
    "gateways": {"type": "array", "items": {"type": "string"}},
    "exportTo": {"type": "array", "items": {"type": "string"}},
    "http": {"type": "array", "items": _obj({
        "name": {"type": "string"},
        "match": {"type": "array", "items": _obj({
            "name": {"type": "string"},
            "uri": _STRING_MATCH,
            "headers": {"type": "object", "additionalProperties": _STRING_MATCH,
                        # Istio refuses upper-case header names in matches
                        "propertyNames": {"pattern": "^[-_a-z0-9]+$"}},
        })},
        "route": {"type": "array", "items": _obj({
            "destination": _ISTIO_DEST,
            "weight": {"type": "integer", "minimum": 0, "maximum": 100},
        }, ("destination",))},
        "timeout": {"type": "string"},
    })},
})

_SERVICEMONITOR_SPEC = _obj({
    "jobLabel": {"type": "string"},
    "selector": {"type": "object", "properties": {
        "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
        "matchExpressions": {"type": "array"}}, "additionalProperties": False},
    "namespaceSelector": _obj({"any": {"type": "boolean"},
                               "matchNames": {"type": "array", "items": {"type": "string"}}}),
    "endpoints": {"type": "array", "items": _obj({
        "port": {"type": "string"}, "targetPort": {"type": ["string", "integer"]},
        "path": {"type": "string"}, "scheme": {"enum": ["http", "https", "HTTP", "HTTPS"]},
        "interval": {"type": "string", "pattern": _PROM_DURATION},
        "scrapeTimeout": {"type": "string", "pattern": _PROM_DURATION},
        "honorLabels": {"type": "boolean"},
    })},
}, ("selector",))

_PROMETHEUSRULE_SPEC = _obj({
    "groups": {"type": "array", "items": _obj({
        "name": {"type": "string", "minLength": 1},
        "interval": {"type": "string", "pattern": _PROM_DURATION},
        "limit": {"type": "integer"},
        "rules": {"type": "array", "items": _obj({
            "record": {"type": "string"}, "alert": {"type": "string"},
            "expr": {"type": ["string", "integer"]},
            "for": {"type": "string", "pattern": _PROM_DURATION},
            "keep_firing_for": {"type": "string", "pattern": _PROM_DURATION},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        }, ("expr",))},
    }, ("name",))},
})


def _crd(api_version: str, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return _obj({"apiVersion": {"const": api_version}, "kind": {"const": kind},
                 "metadata": _METADATA, "spec": spec}, ("apiVersion", "kind", "metadata", "spec"))


CRD_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): _crd("gateway.networking.k8s.io/v1", "HTTPRoute", _HTTPROUTE_SPEC),
    ("networking.istio.io/v1", "VirtualService"): _crd("networking.istio.io/v1", "VirtualService", _VIRTUALSERVICE_SPEC),
    ("monitoring.coreos.com/v1", "ServiceMonitor"): _crd("monitoring.coreos.com/v1", "ServiceMonitor", _SERVICEMONITOR_SPEC),
    ("monitoring.coreos.com/v1", "PrometheusRule"): _crd("monitoring.coreos.com/v1", "PrometheusRule", _PROMETHEUSRULE_SPEC),
}


def validate_crd(doc: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError (or AssertionError for CEL rules)."""
    schema = CRD_SCHEMAS[(doc["apiVersion"], doc["kind"])]
    jsonschema.Draft7Validator(schema).validate(doc)
    if doc["kind"] == "HTTPRoute":
        for rule in doc["spec"].get("rules", []):
            for ref in rule.get("backendRefs", []):
                if ref.get("kind", "Service") == "Service" and ref.get("group", "") == "":
                    assert "port" in ref, f"Must have port for Service reference: {ref}"
    if doc["kind"] == "PrometheusRule":
        for group in doc["spec"]["groups"]:
            for rule in group["rules"]:
                assert ("record" in rule) != ("alert" in rule), f"one of record/alert: {rule}"
