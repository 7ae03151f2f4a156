"""The Flask extension: request metrics, /metrics and build info."""

from __future__ import annotations

import time

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Gauge,
    Histogram,
    generate_latest,
)

from . import names
from .business import BusinessMetrics


class ServerProbe:
    """Measures every request of a Flask app and exposes ``/metrics``."""

    def __init__(self, *, version: str, track: str, registry: CollectorRegistry | None = None) -> None:
        self.version = version
        self.track = track
        self.registry = registry if registry is not None else CollectorRegistry()
        self.business = BusinessMetrics(track=track, registry=self.registry)
        self._duration = Histogram(
            names.HTTP_DURATION, "Duration of HTTP server requests.",
            ["http_route", "http_request_method", "http_response_status_code", "track"],
            buckets=names.HTTP_BUCKETS, registry=self.registry,
        )
        self._active = Gauge(
            names.HTTP_ACTIVE, "HTTP server requests in flight.",
            ["http_request_method", "track"], registry=self.registry, multiprocess_mode="livesum",
        )
        build = Gauge(
            names.BUILD_INFO, "Build of the lending service; always 1.", ["version", "track"],
            registry=self.registry, multiprocess_mode="max",
        )
        build.labels(version=version, track=track).set(1)

    def init_app(self, app: Flask) -> None:
        app.before_request(self._before)
        app.teardown_request(self._teardown)
        app.after_request(self._after)
        app.add_url_rule("/metrics", "metrics", self._metrics)
        app.extensions["lendops_probe"] = self

    def _before(self) -> None:
        g._probe_start = time.perf_counter()
        self._active.labels(http_request_method=request.method, track=self.track).inc()

    def _after(self, response: Response) -> Response:
        start = g.pop("_probe_start", None)
        if start is not None:
            route = request.url_rule.rule if request.url_rule is not None else "unmatched"
            self._duration.labels(
                http_route=route,
                http_request_method=request.method,
                http_response_status_code=str(response.status_code),
                track=self.track,
            ).observe(time.perf_counter() - start)
            g._probe_done = True
        return response

    def _teardown(self, exc: BaseException | None) -> None:
        if "_probe_start" in g or g.get("_probe_done"):
            self._active.labels(http_request_method=request.method, track=self.track).dec()

    def _metrics(self) -> Response:
        return Response(generate_latest(self.registry), mimetype=CONTENT_TYPE_LATEST)
