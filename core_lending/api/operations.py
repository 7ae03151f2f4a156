"""Declared operations: one declaration registers the Flask route AND its OpenAPI entry.

Each wrapper authenticates, checks the content type, parses the body with the pydantic
model (strict), runs the handler and serializes its result through the response model,
so the served JSON always matches the published schema.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, request
from pydantic import BaseModel
from werkzeug.exceptions import UnsupportedMediaType

from ..access import Principal
from ..errors import NotFound, ServiceError
from ..idempotency import request_hash, run_idempotent
from .problems import PROBLEM_TYPE, render_known

__all__ = ["Operation", "Api", "services"]

MAX_PATH_ID = 2**53 - 1
IDEMPOTENCY_KEY_MAX = 255


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str
    summary: str
    body: type[BaseModel] | None
    response: type[BaseModel]
    status: int
    auth: bool
    idempotent: bool
    many: bool
    tag: str
    outcome: str | None = None
    """Name of the metrics method that counts this operation's outcomes (e.g. ``drawdown``)."""

    @property
    def openapi_path(self) -> str:
        return self.rule.replace("<int:", "{").replace(">", "}")

    @property
    def path_params(self) -> list[str]:
        return [p.split(">")[0] for p in self.rule.split("<int:")[1:]]


def services() -> Any:
    return current_app.extensions["lending"]


def _json(model: type[BaseModel], data: Any, many: bool) -> str:
    if many:
        return "[" + ",".join(model.model_validate(x).model_dump_json() for x in data) + "]"
    return model.model_validate(data).model_dump_json()


def _parse(body_model: type[BaseModel]) -> BaseModel:
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send the body as Content-Type: application/json")
    return body_model.model_validate_json(request.get_data(cache=True) or b"")


class Api:
    """Collects operations for the OpenAPI document."""

    def __init__(self) -> None:
        self.operations: list[Operation] = []

    def route(self, bp: Blueprint, rule: str, method: str, *, summary: str, response: type[BaseModel],
              body: type[BaseModel] | None = None, status: int = 200, auth: bool = True,
              idempotent: bool = False, many: bool = False, tag: str = "lending",
              outcome: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        op = Operation(method, (bp.url_prefix or "") + rule, summary, body, response, status, auth, idempotent,
                       many, tag, outcome)
        self.operations.append(op)

        def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
            def view(**params: int) -> Response:
                for name, value in params.items():
                    if value > MAX_PATH_ID:
                        raise NotFound(name.removesuffix("_id"), value)
                svc = services()
                principal: Principal | None = svc.auth.principal() if auth else None
                args: dict[str, Any] = dict(params)
                if principal is not None:
                    args["principal"] = principal
                parsed = _parse(body) if body is not None else None
                if parsed is not None:
                    args["body"] = parsed
                if not idempotent:
                    result = handler(**args)
                    return Response(_json(response, result, many), status=status, mimetype="application/json")
                return _idempotent(op, handler, args, principal, parsed)

            view.__name__ = handler.__name__
            bp.add_url_rule(rule, endpoint=handler.__name__, view_func=view, methods=[method])
            return handler

        return decorate


def _idempotent(op: Operation, handler: Callable[..., Any], args: dict[str, Any], principal: Principal | None,
                parsed: BaseModel | None) -> Response:
    key = request.headers.get("Idempotency-Key", "")
    if not key or len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable():
        raise ServiceError(f"send an Idempotency-Key header of 1..{IDEMPOTENCY_KEY_MAX} printable characters",
                           code="idempotency-key-missing")
    assert principal is not None
    svc = services()
    route = op.rule
    payload = {"params": {k: v for k, v in args.items() if k not in ("principal", "body")},
               "body": parsed.model_dump(mode="json") if parsed is not None else None}

    def operation(session: Any) -> tuple[int, str]:
        return op.status, _json(op.response, handler(session=session, **args), op.many)

    stored = run_idempotent(svc.rt, action=f"{op.method} {route}", scope=principal.scope, key=key,
                            req_hash=request_hash(route, payload), operation=operation, render_error=render_known)
    if stored.replayed:
        svc.rt.metrics.idempotent_replay(route)
    if op.outcome:
        getattr(svc.rt.metrics, op.outcome)(_outcome(stored))
    resp = Response(stored.body, status=stored.status,
                    mimetype=PROBLEM_TYPE if stored.status >= 400 else "application/json")
    if stored.replayed:
        resp.headers["Idempotent-Replayed"] = "true"
    return resp


def _outcome(stored: Any) -> str:
    if stored.replayed:
        return "replayed"
    if stored.status < 400:
        return "accepted"
    try:
        return str(json.loads(stored.body)["type"]).rsplit("/", 1)[-1]
    except (ValueError, KeyError, TypeError):
        return "rejected"
