"""The console's Flask app: one page and the JSON endpoints behind it.

    GET /                        the page (static, no CDN; refreshes itself every 2 s)
    GET /api/status              rollout phase, step, weight, cohort, verdicts with explanations
    GET /api/tracks              live numbers per track (scrape or Prometheus)
    GET /api/traces              recent traces (?track=&route=&min_duration_ms=&error=&limit=)
    GET /api/traces/<trace_id>   one trace's spans
    GET /api/waterfall/<trace_id> the same trace laid out for the waterfall
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, Response, jsonify, send_from_directory

from ._numbers import TrackNumbers
from ._settings import ConsoleSettings
from ._status import read_status
from ._waterfall import waterfall

__all__ = ["create_console", "MetricsSource"]

STATIC = Path(__file__).parent / "static"
_TRACE_ID = re.compile(r"^[0-9a-fA-F]{32}$")


class MetricsSource(Protocol):
    def numbers(self) -> list[TrackNumbers]: ...

    def describe(self) -> dict[str, Any]: ...


def _problem(status: int, slug: str, title: str, detail: str) -> Response:
    response = jsonify({"type": f"https://lendops.dev/problems/{slug}", "title": title, "status": status,
                        "detail": detail})
    response.status_code = status
    response.content_type = "application/problem+json"
    return response


def _default_source(settings: ConsoleSettings) -> MetricsSource | None:
    if settings.prometheus_url:
        from ._prometheus import PrometheusSource

        return PrometheusSource(settings.prometheus_url, tracks=tuple(n for n, _ in settings.targets),
                                window_s=settings.window_s, timeout_s=settings.timeout_s)
    if settings.targets:
        from ._scrape import ScrapeSource

        return ScrapeSource(dict(settings.targets), window_s=settings.window_s, timeout_s=settings.timeout_s)
    return None


def create_console(
    settings: ConsoleSettings,
    *,
    metrics: MetricsSource | None = None,
    store: Any = None,
    clock: Callable[[], float] = time.time,
) -> Flask:
    """The console app. ``metrics`` and ``store`` default to what ``settings`` names
    (scrape targets or Prometheus; the span store at ``spans_url``)."""
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    source = metrics if metrics is not None else _default_source(settings)
    if store is None and settings.spans_url:
        from monitoring.tracing import SpanStore

        # The console only reads (a store prunes only when written to): retention stays the writers' business.
        store = SpanStore(settings.spans_url)
    app.extensions["lendops_console"] = {"settings": settings, "metrics": source, "store": store}

    if store is not None:
        from monitoring.tracing import traces_blueprint

        app.register_blueprint(traces_blueprint(store, url_prefix="/api/traces", name="console_traces"))
    else:
        @app.get("/api/traces")
        @app.get("/api/traces/<trace_id>")
        def no_store(trace_id: str | None = None) -> Response:
            return _problem(503, "span-store-unavailable", "No span store",
                            "start the console with --spans PATH_OR_URL to see traces")

    @app.get("/")
    def index() -> Response:
        response = send_from_directory(STATIC, "index.html")
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"ok": True})

    @app.get("/api/status")
    def status() -> Response:
        return jsonify(read_status(settings.status_path, clock=clock))

    @app.get("/api/tracks")
    def tracks() -> Response:
        if source is None:
            return jsonify({"source": None, "tracks": [],
                            "message": "no metrics source: pass --target NAME=URL or --prometheus URL"})
        return jsonify({"source": source.describe(), "tracks": [n.to_dict() for n in source.numbers()],
                        "at": clock()})

    @app.get("/api/waterfall/<trace_id>")
    def trace_waterfall(trace_id: str) -> Response:
        if store is None:
            return _problem(503, "span-store-unavailable", "No span store",
                            "start the console with --spans PATH_OR_URL to see traces")
        if not _TRACE_ID.match(trace_id):
            return _problem(400, "invalid-trace-id", "Invalid trace id", "a trace id is 32 hexadecimal characters")
        from monitoring.tracing import SpanStoreError

        try:
            spans = store.trace(trace_id)
        except SpanStoreError as exc:
            return _problem(503, "span-store-unavailable", "Span store unavailable", exc.reason)
        if not spans:
            return _problem(404, "trace-not-found", "Trace not found",
                            f"no spans of trace {trace_id} are stored (not sampled, or pruned)")
        return jsonify(waterfall(spans))

    return app
