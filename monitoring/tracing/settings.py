"""Typed tracing settings, read once at the service's boundary.

Sources, later wins: ``LENDING_TRACING_*`` environment variables, then the mapping the
service passes (``Settings.tracing``). Keys::

    exporter       store | otlp | none      (LENDING_TRACING_EXPORTER, default none)
    store_path     SQLite file of the span store  (LENDING_TRACING_STORE)
    store_url      SQLAlchemy URL instead of a path (LENDING_TRACING_STORE_URL)
    otlp_endpoint  e.g. http://127.0.0.1:4318  (LENDING_TRACING_OTLP_ENDPOINT)
    sample_ratio   0..1 for new traces          (LENDING_TRACING_SAMPLE_RATIO, default 1)
    trace_sql      one span per SQL statement   (LENDING_TRACING_TRACE_SQL, default true)
    max_spans      span store bound by count    (LENDING_TRACING_MAX_SPANS)
    max_age_s      span store bound by age      (LENDING_TRACING_MAX_AGE_S)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from .errors import TracingConfigError

__all__ = ["TracingSettings", "ENV_PREFIX"]

ENV_PREFIX = "LENDING_TRACING_"


@dataclass(frozen=True, slots=True)
class TracingSettings:
    exporter: str = "none"
    """store, otlp or none (off: no SDK, no instrumentation, no cost)."""
    store_path: str | None = None
    """SQLite file of the span store; several processes may share it."""
    store_url: str | None = None
    """SQLAlchemy URL of the span store, instead of store_path."""
    otlp_endpoint: str | None = None
    """OTLP/HTTP collector base URL (``/v1/traces`` is appended when missing)."""
    sample_ratio: float = 1.0
    """Share of new traces kept; a caller's sampled traceparent is always honoured."""
    trace_sql: bool = True
    """A client span per SQL statement (the costliest part of tracing: most spans are SQL)."""
    max_spans: int = 200_000
    """The span store keeps at most this many spans (newest)."""
    max_age_s: float = 6 * 3600
    """The span store drops spans older than this."""

    def __post_init__(self) -> None:
        if self.exporter not in ("store", "otlp", "none"):
            raise TracingConfigError(setting="exporter", value=self.exporter, reason="use store, otlp or none")
        if not 0.0 <= self.sample_ratio <= 1.0:
            raise TracingConfigError(setting="sample_ratio", value=self.sample_ratio, reason="must be within [0, 1]")
        if self.max_spans < 1 or self.max_age_s <= 0:
            raise TracingConfigError(setting="max_spans/max_age_s", value=(self.max_spans, self.max_age_s),
                                     reason="must be positive")

    @classmethod
    def from_sources(cls, mapping: Mapping[str, Any] | None = None,
                     env: Mapping[str, str] | None = None) -> TracingSettings:
        values: dict[str, Any] = {}
        known = {f.name: f for f in fields(cls)}
        for name in known:
            raw = (env or {}).get(ENV_PREFIX + name.upper())
            if name == "store_path" and not raw:
                raw = (env or {}).get(ENV_PREFIX + "STORE")
            if raw:
                values[name] = raw
        for key, value in (mapping or {}).items():
            if key not in known:
                raise TracingConfigError(setting=key, value=value, reason=f"unknown; use one of {sorted(known)}")
            if value is not None:
                values[key] = value
        for name, kind in (("sample_ratio", float), ("max_spans", int), ("max_age_s", float)):
            if name in values:
                try:
                    values[name] = kind(values[name])
                except (TypeError, ValueError):
                    raise TracingConfigError(setting=name, value=values[name], reason="must be a number") from None
        if isinstance(values.get("trace_sql"), str):
            flag = values["trace_sql"].strip().lower()
            if flag not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                raise TracingConfigError(setting="trace_sql", value=values["trace_sql"], reason="must be true or false")
            values["trace_sql"] = flag in ("1", "true", "yes", "on")
        return cls(**values)
