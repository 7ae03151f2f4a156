"""Build the OpenAPI 3.1 document from the declared operations and their pydantic models."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .operations import Operation
from .problems import PROBLEM_TYPE
from .schemas import HealthOut, Problem

__all__ = ["build_openapi"]

_REF = "#/components/schemas/{model}"
_ERRORS = {
    "400": "Malformed request (bad JSON, missing Idempotency-Key)",
    "401": "No or unknown bearer token",
    "403": "The token's role may not do this",
    "404": "Unknown id, or outside the token's reach (another branch or customer)",
    "405": "Method not allowed",
    "409": "Conflicts with the current state (credit unavailable or insufficient, key in use)",
    "413": "Body over the size limit",
    "415": "Body is not application/json",
    "422": "Invalid values, or an Idempotency-Key reused with a different body",
    "500": "Internal error (or an injected fault)",
}


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {PROBLEM_TYPE: {"schema": {"$ref": _REF.format(model="Problem")}}}}


def _operation(op: Operation) -> dict[str, Any]:
    ref = {"$ref": _REF.format(model=op.response.__name__)}
    schema = {"type": "array", "items": ref} if op.many else ref
    responses: dict[str, Any] = {
        str(op.status): {"description": "OK" if op.status == 200 else "Created",
                         "content": {"application/json": {"schema": schema}}},
    }
    for code, text in _ERRORS.items():
        if not op.auth and code in ("401", "403", "409", "413", "415", "422"):
            continue
        if op.body is None and code in ("413", "415") :
            continue
        responses[code] = _problem_response(text)
    doc: dict[str, Any] = {
        "operationId": op.rule.strip("/").replace("/", "_").replace("<int:", "").replace(">", "")
        + "_" + op.method.lower(),
        "summary": op.summary,
        "tags": [op.tag],
        "responses": responses,
    }
    params: list[dict[str, Any]] = [
        {"name": p, "in": "path", "required": True,
         "schema": {"type": "integer", "minimum": 1, "maximum": 2**53 - 1}}
        for p in op.path_params
    ]
    if op.idempotent:
        params.append({"name": "Idempotency-Key", "in": "header", "required": True,
                       "description": "A replay returns the first answer; a different body with the same key gets 422.",
                       "schema": {"type": "string", "minLength": 1, "maxLength": 255,
                                  "pattern": "^[!-~]([ -~]*[!-~])?$"}})
    if params:
        doc["parameters"] = params
    if op.body is not None:
        doc["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": {"$ref": _REF.format(model=op.body.__name__)}}}}
    if op.auth:
        doc["security"] = [{"bearer": []}]
    return doc


def build_openapi(operations: list[Operation], *, version: str) -> str:
    models: set[type[BaseModel]] = {Problem, HealthOut}
    for op in operations:
        models.add(op.response)
        if op.body is not None:
            models.add(op.body)
    ordered = sorted(models, key=lambda m: m.__name__)
    _, defs = models_json_schema([(m, "validation" if m in {op.body for op in operations} else "serialization")
                                  for m in ordered], ref_template=_REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.openapi_path, {})[op.method.lower()] = _operation(op)
    paths["/readyz"] = {"get": {
        "operationId": "readyz_get", "summary": "Readiness: database reachable and migrations current",
        "tags": ["meta"],
        "responses": {"200": {"description": "Ready", "content": {"application/json": {
            "schema": {"$ref": _REF.format(model="HealthOut")}}}},
                      "503": _problem_response("Database unreachable or migrations pending")}}}
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "lendops lending service", "version": version,
                 "description": "Money is integer fen (*_fen), rates basis points (*_bps). "
                                "Errors are application/problem+json."},
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
    return json.dumps(doc, ensure_ascii=False, sort_keys=True)
