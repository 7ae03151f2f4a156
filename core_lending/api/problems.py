"""problem+json for every error the service answers: never an HTML page or a stack trace."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response
from pydantic import ValidationError as PydanticError
from werkzeug.exceptions import HTTPException

from .. import domain as d
from ..errors import ServiceError

__all__ = ["problem", "problem_body", "render_known", "install_problem_handlers", "PROBLEM_BASE", "PROBLEM_TYPE"]

PROBLEM_BASE = "https://lendops.dev/problems/"
PROBLEM_TYPE = "application/problem+json"
log = logging.getLogger("core_lending.api")

# HTTP status per domain error (the domain itself knows nothing of HTTP).
_DOMAIN_STATUS: dict[type[d.DomainError], int] = {
    d.ValidationError: 422,
    d.CreditUnavailable: 409,
    d.InsufficientCredit: 409,
    d.Overpayment: 422,
    d.InvalidTransition: 409,
    d.KnockedOut: 422,
    d.LprUnavailable: 422,
}


def problem_body(status: int, slug: str, title: str, detail: str, **extra: Any) -> str:
    doc = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    doc.update(extra)
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), default=str)


def problem(status: int, slug: str, title: str, detail: str, *, headers: dict[str, str] | None = None,
            **extra: Any) -> Response:
    resp = Response(problem_body(status, slug, title, detail, **extra), status=status, mimetype=PROBLEM_TYPE)
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def validation_problem(exc: PydanticError) -> tuple[int, str]:
    errors = exc.errors(include_input=False, include_url=False, include_context=False)
    if any(e["type"] == "json_invalid" for e in errors):
        return 400, problem_body(400, "malformed-json", "Malformed JSON", "the request body is not valid JSON")
    # Inputs are never echoed back: they may hold ID or phone numbers.
    items = [{"field": ".".join(str(p) for p in e["loc"]), "reason": e["type"], "message": e["msg"]}
             for e in errors]
    detail = "; ".join(f"{i['field'] or 'body'}: {i['message']}" for i in items[:5])
    return 422, problem_body(422, "validation-error", "Invalid request", detail, errors=items)


def render_known(exc: Exception) -> tuple[int, str] | None:
    """(status, body) for the errors that are the client's; None for server faults."""
    if isinstance(exc, ServiceError):
        return exc.status, problem_body(exc.status, exc.code, exc.title, exc.detail, **exc.fields())
    if isinstance(exc, d.DomainError):
        status = next((s for cls, s in _DOMAIN_STATUS.items() if isinstance(exc, cls)), None)
        if status is None:
            return None
        return status, problem_body(status, exc.code, exc.title, exc.detail, **exc.fields())
    if isinstance(exc, PydanticError):
        return validation_problem(exc)
    return None


def install_problem_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        slug = {400: "bad-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found",
                405: "method-not-allowed", 413: "body-too-large", 415: "unsupported-media-type"}.get(
            status, f"http-{status}")
        headers = {}
        if status == 405:
            allow = exc.get_headers()
            headers = {k: v for k, v in allow if k.lower() == "allow"}
        detail = exc.description or exc.name
        if status == 404:
            detail = "no such resource"
        return problem(status, slug, exc.name, detail, headers=headers)

    @app.errorhandler(Exception)
    def _any(exc: Exception) -> Response:
        rendered = render_known(exc)
        if rendered is not None:
            return Response(rendered[1], status=rendered[0], mimetype=PROBLEM_TYPE)
        # Type and message only: the message of our own code carries no customer data,
        # and SQLAlchemy hides bound parameters (hide_parameters=True).
        log.error("unhandled %s: %s", type(exc).__name__, exc, exc_info=exc)
        return problem(500, "internal-error", "Internal server error", "the service failed; nothing was changed")
