"""Tracing of the lending service: OpenTelemetry SDK setup, an embedded span store and
its HTTP query API.

    tracing = init_tracing(app, service_name="lending", version="1.4.0", track="canary",
                           exporter="store", store_path="spans.db", engine=engine)
    console.register_blueprint(traces_blueprint(tracing.store))

Lending code uses only the OTel API (``trace.get_tracer(__name__)``) with spans
``credit.score``, ``credit.line``, ``credit.price``, ``credit.persist``,
``loan.disburse``. Personal data (ID numbers, phones, names, URL query strings) is
dropped from spans before any exporter sees them.
"""

from __future__ import annotations

from .blueprint import traces_blueprint
from .errors import SpanStoreError, TracingConfigError, TracingError
from .install import BRANCH_ATTRIBUTE, DEFAULT_EXCLUDED_URLS, Tracing, init_tracing, instrument_engine
from .privacy import AttributeFilter, RedactingExporter
from .settings import TracingSettings
from .store import TRACK_ATTRIBUTE, SpanRecord, SpanStore, TraceSummary

__all__ = [
    "AttributeFilter",
    "BRANCH_ATTRIBUTE",
    "DEFAULT_EXCLUDED_URLS",
    "RedactingExporter",
    "SpanRecord",
    "SpanStore",
    "SpanStoreError",
    "TRACK_ATTRIBUTE",
    "TraceSummary",
    "Tracing",
    "TracingConfigError",
    "TracingError",
    "TracingSettings",
    "init_tracing",
    "instrument_engine",
    "traces_blueprint",
]
