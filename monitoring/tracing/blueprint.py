"""The span store over HTTP, for the web console: ``GET /v1/traces`` and
``GET /v1/traces/<trace_id>``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request

from .errors import SpanStoreError
from .store import SpanStore

__all__ = ["traces_blueprint"]

_TRACE_ID = re.compile(r"^[0-9a-fA-F]{32}$")
_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no"}
MAX_LIMIT = 500


def _problem(status: int, slug: str, title: str, detail: str) -> Response:
    response = jsonify({
        "type": f"https://lendops.dev/problems/{slug}", "title": title, "status": status, "detail": detail,
    })
    response.status_code = status
    response.content_type = "application/problem+json"
    return response


class _BadQuery(ValueError):
    pass


def _parse(args: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"route": args.get("route") or None, "track": args.get("track") or None}
    raw = args.get("min_duration_ms")
    if raw:
        try:
            out["min_duration_ms"] = float(raw)
        except ValueError:
            raise _BadQuery(f"min_duration_ms must be a number, got {raw!r}") from None
        if out["min_duration_ms"] < 0:
            raise _BadQuery("min_duration_ms must not be negative")
    raw = args.get("error")
    if raw:
        if raw.lower() not in _TRUE | _FALSE:
            raise _BadQuery(f"error must be true or false, got {raw!r}")
        out["error"] = raw.lower() in _TRUE
    raw = args.get("limit")
    if raw:
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            raise _BadQuery(f"limit must be an integer from 1 to {MAX_LIMIT}, got {raw!r}")
        out["limit"] = int(raw)
    return out


def traces_blueprint(
    store: SpanStore,
    *,
    authenticate: Callable[[], Response | None] | None = None,
    url_prefix: str = "/v1/traces",
    name: str = "lendops_traces",
) -> Blueprint:
    """A blueprint serving ``store``. ``authenticate`` (optional) runs first; a Response
    it returns is sent as is."""
    bp = Blueprint(name, __name__, url_prefix=url_prefix)

    if authenticate is not None:
        @bp.before_request
        def _auth() -> Response | None:
            return authenticate()

    @bp.get("")
    def list_traces() -> Response:
        try:
            query = _parse(request.args)
        except _BadQuery as exc:
            return _problem(400, "invalid-query", "Invalid trace query", str(exc))
        try:
            found = store.traces(**query)
        except SpanStoreError as exc:
            return _problem(503, "span-store-unavailable", "Span store unavailable", exc.reason)
        return jsonify({"traces": [t.to_dict() for t in found]})

    @bp.get("/<trace_id>")
    def one_trace(trace_id: str) -> Response:
        if not _TRACE_ID.match(trace_id):
            return _problem(400, "invalid-trace-id", "Invalid trace id",
                            "a trace id is 32 hexadecimal characters")
        try:
            spans = store.trace(trace_id)
        except SpanStoreError as exc:
            return _problem(503, "span-store-unavailable", "Span store unavailable", exc.reason)
        if not spans:
            return _problem(404, "trace-not-found", "Trace not found",
                            f"no spans of trace {trace_id} are stored (not sampled, or pruned)")
        return jsonify({"trace_id": trace_id.lower(), "spans": [s.to_dict() for s in spans]})

    return bp
