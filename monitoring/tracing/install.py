"""``init_tracing``: OpenTelemetry for one Flask app, wired to the span store or OTLP.

Server spans (``server.py``) and SQL spans (``sql.py``) come from this package's own
light hooks, outgoing ``requests`` calls from opentelemetry-instrumentation-requests;
bench/monitoring_overhead.py measures what each costs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Literal

from flask import Flask

from .errors import TracingConfigError
from .privacy import AttributeFilter
from .provider import APP_EXTENSION, global_provider
from .server import BRANCH_ATTRIBUTE
from .store import TRACK_ATTRIBUTE, SpanStore

__all__ = ["Tracing", "init_tracing", "instrument_engine", "BRANCH_ATTRIBUTE", "DEFAULT_EXCLUDED_URLS"]

# Scrapes and health checks would drown the traces an SRE looks for.
DEFAULT_EXCLUDED_URLS = "^/metrics$,^/healthz$,^/readyz$,^/version$"
Exporter = Literal["store", "otlp", "none"]
_requests_lock = threading.Lock()


@dataclass(slots=True)
class Tracing:
    """What init_tracing set up; ``provider`` is None when tracing is off."""

    provider: Any
    store: SpanStore | None
    exporter: str

    def force_flush(self, timeout_ms: int = 10_000) -> bool:
        return self.provider.force_flush(timeout_ms) if self.provider is not None else True

    def shutdown(self) -> None:
        """Flush and stop; background spans stop going to this provider."""
        if self.provider is not None:
            switch = global_provider()
            if switch.fallback is self.provider:
                switch.fallback = None
            self.provider.shutdown()


def _otlp_traces_url(endpoint: str) -> str:
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else endpoint + "/v1/traces"


def init_tracing(
    app: Flask,
    *,
    service_name: str,
    version: str,
    track: str,
    exporter: Exporter = "store",
    store_url: str | None = None,
    store_path: str | None = None,
    store: SpanStore | None = None,
    otlp_endpoint: str | None = None,
    sample_ratio: float = 1.0,
    engine: Any = None,
    excluded_urls: str = DEFAULT_EXCLUDED_URLS,
    attribute_filter: AttributeFilter | None = None,
    schedule_delay_ms: int = 1000,
    max_spans: int | None = None,
    max_age_s: float | None = None,
) -> Tracing:
    """Trace ``app``: server spans for requests (W3C ``traceparent`` honoured), SQL spans
    for ``engine``, client spans (and propagation) for ``requests``, and whatever the
    lending code starts through the OTel API.

    Sampling is parent-based: a request arriving with a sampled ``traceparent`` is
    always traced, a new trace is kept with probability ``sample_ratio``.

    >>> init_tracing(app, service_name="lending", version="1.4.0", track="canary",
    ...              exporter="store", store_path="/var/lib/lendops/spans.db")  # doctest: +SKIP
    """
    if app.extensions.get(APP_EXTENSION) is not None:
        raise TracingConfigError(setting="app", value=app.name,
                                 reason="init_tracing was already called for this app")
    if exporter not in ("store", "otlp", "none"):
        raise TracingConfigError(setting="exporter", value=exporter, reason="use store, otlp or none")
    if not 0.0 <= sample_ratio <= 1.0:
        raise TracingConfigError(setting="sample_ratio", value=sample_ratio, reason="must be within [0, 1]")
    if exporter == "none":
        tracing = Tracing(provider=None, store=None, exporter="none")
        app.extensions[APP_EXTENSION] = tracing
        return tracing

    # Imported here: an app with tracing off never pays for the SDK and instrumentations.
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    from .exporter import StoreSpanExporter
    from .privacy import RedactingExporter

    span_exporter: SpanExporter
    if exporter == "store":
        if store is None:
            if store_url is None and store_path is None:
                raise TracingConfigError(setting="store_url", value=None,
                                         reason="the store exporter needs store_url or store_path")
            bounds: dict[str, Any] = {
                k: v for k, v in (("max_spans", max_spans), ("max_age_s", max_age_s)) if v is not None}
            if attribute_filter is not None:
                bounds["attribute_filter"] = attribute_filter
            store = (SpanStore(store_url, **bounds) if store_url is not None
                     else SpanStore.at_path(str(store_path), **bounds))
        # The store filters personal attributes itself, without copying each span.
        span_exporter = StoreSpanExporter(store)
    else:
        if not otlp_endpoint:
            raise TracingConfigError(setting="otlp_endpoint", value=otlp_endpoint,
                                     reason="the otlp exporter needs an endpoint, e.g. http://127.0.0.1:4318")
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        span_exporter = RedactingExporter(OTLPSpanExporter(endpoint=_otlp_traces_url(otlp_endpoint)),
                                          attribute_filter)

    provider = TracerProvider(
        resource=Resource.create({
            "service.name": service_name, "service.version": version, TRACK_ATTRIBUTE: track,
        }),
        sampler=ParentBased(TraceIdRatioBased(sample_ratio)),
    )
    provider.add_span_processor(BatchSpanProcessor(span_exporter, schedule_delay_millis=schedule_delay_ms))
    tracing = Tracing(provider=provider, store=store if exporter == "store" else None, exporter=exporter)
    app.extensions[APP_EXTENSION] = tracing
    switch = global_provider()
    switch.fallback = provider

    _instrument_flask(app, provider, excluded_urls)
    if engine is not None:
        instrument_engine(tracing, engine)
    _instrument_requests(switch)
    return tracing


def _instrument_flask(app: Flask, provider: Any, excluded_urls: str) -> None:
    from .server import instrument_flask

    instrument_flask(app, provider.get_tracer("monitoring.tracing.server"), excluded_urls=excluded_urls)


def instrument_engine(tracing: Tracing, engine: Any) -> None:
    """Trace the SQL of ``engine`` (once; later calls are no-ops). For engines created
    after init_tracing."""
    if tracing.provider is not None:
        _instrument_engine(engine, tracing.provider)


def _instrument_engine(engine: Any, provider: Any) -> None:
    from .sql import trace_engine

    trace_engine(engine, provider.get_tracer("monitoring.tracing.sql"))


def _instrument_requests(switch: Any) -> None:
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    with _requests_lock:
        instrumentor = RequestsInstrumentor()
        if not instrumentor.is_instrumented_by_opentelemetry:
            # The switch, not one app's provider: patching requests is process-wide.
            instrumentor.instrument(tracer_provider=switch)
