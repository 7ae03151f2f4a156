"""The Flask extension: request metrics, /metrics and build info."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Gauge, Histogram, disable_created_metrics
from prometheus_client.exposition import choose_encoder

from . import multiprocess, names
from .business import BusinessMetrics
from .client import ClientMetrics

__all__ = ["ServerProbe", "UNMATCHED_ROUTE", "OTHER_METHOD"]

# Route label for requests no URL rule matched (404, 405): the raw path would let any
# scanner create unbounded series.
UNMATCHED_ROUTE = "unmatched"
# OpenTelemetry's value for methods outside the known set, for the same reason.
OTHER_METHOD = "_OTHER"
_KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)
_START = "_lendops_probe_start"
_METHOD = "_lendops_probe_method"


def _method_label(method: str) -> str:
    return method if method in _KNOWN_METHODS else OTHER_METHOD


class ServerProbe:
    """Measures every request of a Flask app and exposes ``/metrics``.

    Works in one process and under gunicorn with several workers: when
    ``PROMETHEUS_MULTIPROC_DIR`` was set before prometheus-client was imported, /metrics
    merges every worker's values (see :mod:`monitoring.probe.multiprocess`).
    """

    def __init__(self, *, version: str, track: str, registry: CollectorRegistry | None = None) -> None:
        self.version = version
        self.track = track
        # ``*_created`` series double the exposition, cost scrape time, are absent in
        # multiprocess mode anyway, and nothing downstream reads them. (Process-wide.)
        disable_created_metrics()
        self.registry = registry if registry is not None else CollectorRegistry()
        self.business = BusinessMetrics(track=track, registry=self.registry)
        self.client = ClientMetrics(track=track, registry=self.registry)
        self._duration = Histogram(
            names.HTTP_DURATION, "Duration of HTTP server requests.",
            ["http_route", "http_request_method", "http_response_status_code", "track"],
            buckets=names.HTTP_BUCKETS, registry=self.registry,
        )
        self._active = Gauge(
            names.HTTP_ACTIVE, "HTTP server requests in flight.",
            ["http_request_method", "track"], registry=self.registry, multiprocess_mode="livesum",
        )
        # livemax: one sample however many workers, and a dead worker's file goes away
        # with it (a restart with another version must not leave the old one behind).
        self._build = Gauge(
            names.BUILD_INFO, "Build of the lending service; always 1.", ["version", "track"],
            registry=self.registry, multiprocess_mode="livemax",
        )
        self._build_child = self._build.labels(version=version, track=track)
        self._build_child.set(1)
        # Children by label values: labels() validates and locks on every call, which was
        # most of the probe's per-request cost. Keys are bounded (rules, methods, codes).
        self._active_children: dict[str, Any] = {}
        self._duration_children: dict[tuple[str, str, int], Any] = {}

    def init_app(self, app: Flask, *, metrics_path: str = "/metrics") -> None:
        """Measure ``app``'s requests and serve the exposition at ``metrics_path``."""
        multiprocess.is_multiprocess()  # a misconfigured worker fails at start, not at scrape
        # First in line, so a request answered by an earlier hook (auth, fault injection)
        # is still measured: injected 5xx answers are exactly what a canary judge needs.
        app.before_request_funcs.setdefault(None, []).insert(0, self._before)
        app.after_request(self._after)
        app.teardown_request(self._teardown)
        app.add_url_rule(metrics_path, "metrics", self._metrics)
        app.extensions["lendops_probe"] = self

    def _active_child(self, method: str) -> Any:
        child = self._active_children.get(method)
        if child is None:
            child = self._active_children[method] = self._active.labels(
                http_request_method=method, track=self.track)
        return child

    def _before(self) -> None:
        if _METHOD in g:
            return
        method = _method_label(request.method)
        setattr(g, _START, time.perf_counter())
        setattr(g, _METHOD, method)
        self._active_child(method).inc()

    def _after(self, response: Response) -> Response:
        start = g.pop(_START, None)
        if start is not None:
            rule = request.url_rule
            route = rule.rule if rule is not None else UNMATCHED_ROUTE
            key = (route, g.get(_METHOD) or _method_label(request.method), response.status_code)
            child = self._duration_children.get(key)
            if child is None:
                child = self._duration_children[key] = self._duration.labels(
                    http_route=key[0], http_request_method=key[1],
                    http_response_status_code=str(key[2]), track=self.track)
            child.observe(time.perf_counter() - start)
        return response

    def _teardown(self, exc: BaseException | None) -> None:
        method = g.pop(_METHOD, None)
        if method is not None:
            self._active_child(method).dec()

    def _metrics(self) -> Response:
        # A preloaded app set the gauge in the master; forked workers start from an
        # empty file, so the worker that answers the scrape asserts it again.
        self._build_child.set(1)
        return self.exposition(request.headers.get("Accept"))

    def exposition(self, accept: str | None = None) -> Response:
        """The current exposition as a response (Prometheus text, or OpenMetrics when
        the scraper asks for it)."""
        registry: Any = multiprocess.exposition_registry(self.registry)
        encoder, content_type = choose_encoder(accept or "")
        return Response(encoder(registry), content_type=content_type)
