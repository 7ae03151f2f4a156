"""Server spans for a Flask app: W3C ``traceparent`` in, one SERVER span per request.

Why not ``opentelemetry-instrumentation-flask``: measured here it costs ~130 µs of CPU
per request even when the request is *not* sampled (it builds the full attribute set
for its metrics on every request), against ~40 µs for these hooks, and the credit path
sends three requests per customer. The span carries the same (stable HTTP semantic
convention) attributes: ``http.request.method``, ``http.route``, ``url.path`` (never the
query string), ``url.scheme``, ``http.response.status_code``, plus ``lending.branch``
from ``X-Branch-Code``; 5xx answers and unhandled exceptions mark it as an error.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Response, g, request
from opentelemetry import context, propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

__all__ = ["instrument_flask", "BRANCH_ATTRIBUTE"]

BRANCH_ATTRIBUTE = "lending.branch"
_STATE = "_lendops_server_span"


def _excluded_pattern(excluded_urls: str) -> re.Pattern[str] | None:
    parts = [p.strip() for p in excluded_urls.split(",") if p.strip()]
    return re.compile("|".join(f"(?:{p})" for p in parts)) if parts else None


def instrument_flask(app: Flask, tracer: trace.Tracer, *, excluded_urls: str = "") -> None:
    """Trace ``app``'s requests with ``tracer``; paths matching any comma-separated
    regular expression of ``excluded_urls`` are not traced."""
    excluded = _excluded_pattern(excluded_urls)

    def _start() -> None:
        if _STATE in g or (excluded is not None and excluded.search(request.path)):
            return
        # Most requests arrive without a trace; skip the propagators' header parsing then.
        parent = propagate.extract(request.headers) if "traceparent" in request.headers else None
        rule = request.url_rule.rule if request.url_rule is not None else None
        span = tracer.start_span(f"{request.method} {rule}" if rule else request.method,
                                 context=parent, kind=SpanKind.SERVER)
        if span.is_recording():
            span.set_attribute("http.request.method", request.method)
            span.set_attribute("url.path", request.path)
            span.set_attribute("url.scheme", request.scheme)
            if rule:
                span.set_attribute("http.route", rule)
            branch = request.headers.get("X-Branch-Code")
            if branch:
                span.set_attribute(BRANCH_ATTRIBUTE, branch[:16])
        token = context.attach(trace.set_span_in_context(span, parent))
        setattr(g, _STATE, (span, token))

    def _status(response: Response) -> Response:
        state = g.get(_STATE)
        if state is not None and state[0].is_recording():
            span = state[0]
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 500:
                span.set_status(Status(StatusCode.ERROR))
        return response

    def _end(exc: BaseException | None) -> None:
        state = g.pop(_STATE, None)
        if state is None:
            return
        span, token = state
        if exc is not None and span.is_recording():
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        span.end()
        context.detach(token)

    # First in line, so a request answered by an earlier hook (auth, fault injection)
    # still gets its span; the probe does the same for its metrics.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_status)
    app.teardown_request(_end)
