"""The one place the service wires its observability (owned by the monitoring helper).

``create_app`` calls ``install_observability(app, settings, probe)`` exactly once:

- the server probe (request metrics, ``/metrics``, multiprocess-aware);
- tracing from ``settings.tracing`` over ``LENDING_TRACING_*`` (see
  ``monitoring.tracing.settings``; off unless an exporter is configured);
- ``POST /v1/telemetry/client``, authenticated with the service's own bearer tokens.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from flask import Flask, current_app

__all__ = ["install_observability", "SERVICE_NAME"]

SERVICE_NAME = "lending"
# Telemetry batches are the clients' bookkeeping, not the credit path: tracing them would
# double the spans of every load test.
_UNTRACED = ",^/v1/telemetry/client$"


def install_observability(app: Flask, settings: Any, probe: Any) -> None:
    from monitoring.telemetry import telemetry_blueprint
    from monitoring.tracing import DEFAULT_EXCLUDED_URLS, TracingSettings, init_tracing

    probe.init_app(app)

    options = TracingSettings.from_sources(getattr(settings, "tracing", None), os.environ)
    store_path = options.store_path
    if options.exporter == "store" and store_path is None and options.store_url is None:
        store_path = _default_store_path(settings.db_url)
    tracing = init_tracing(
        app, service_name=SERVICE_NAME, version=settings.version, track=settings.track,
        exporter=options.exporter,  # type: ignore[arg-type]
        store_path=store_path, store_url=options.store_url, otlp_endpoint=options.otlp_endpoint,
        sample_ratio=options.sample_ratio, max_spans=options.max_spans, max_age_s=options.max_age_s,
        excluded_urls=DEFAULT_EXCLUDED_URLS + _UNTRACED,
    )
    if tracing.provider is not None and options.trace_sql:
        _trace_database_on_first_request(app, tracing)

    app.register_blueprint(telemetry_blueprint(_authenticate, recorder=probe.client))


def _authenticate() -> None:
    # Any valid token may report what its client saw; a bad one raises Unauthenticated,
    # which the service's problem handlers turn into a 401 problem+json.
    current_app.extensions["lending"].auth.principal()


def _default_store_path(db_url: str) -> str:
    """Spans beside the SQLite database (``lendops.sqlite`` → ``lendops.sqlite.spans``)."""
    prefix = "sqlite:///"
    if db_url.startswith(prefix) and db_url[len(prefix):] not in ("", ":memory:"):
        return db_url[len(prefix):] + ".spans"
    from monitoring.tracing import TracingConfigError

    raise TracingConfigError(setting="store_path", value=None,
                             reason="the store exporter needs LENDING_TRACING_STORE when the "
                                    "database is not a SQLite file")


def _trace_database_on_first_request(app: Flask, tracing: Any) -> None:
    # create_app opens the database before this runs but hands it over only afterwards
    # (app.extensions["lending"]); the engine is instrumented on the first request.
    from monitoring.tracing import instrument_engine

    lock = threading.Lock()
    done = threading.Event()

    @app.before_request
    def _instrument_database() -> None:
        if done.is_set():
            return
        with lock:
            services = app.extensions.get("lending")
            if services is not None and not done.is_set():
                instrument_engine(tracing, services.rt.db.engine)
                done.set()
