"""The process-wide tracer provider that lending code reaches through the OTel API.

``trace.set_tracer_provider`` may be called once per process, and tracers obtained by
module-level ``trace.get_tracer(__name__)`` bind to it. Yet one process can hold several
apps (tests build many; a demo may run stable and canary side by side), each with its
own resource (version, track) and exporter. So the global provider is a switch: a span
goes to the provider of the Flask app handling the current request (nowhere if that app
turned tracing off), or, outside any app context (background workers) and in apps
that never called init_tracing, to the provider initialised last.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

__all__ = ["APP_EXTENSION", "AppTracerProvider", "global_provider"]

APP_EXTENSION = "lendops_tracing"
_log = logging.getLogger(__name__)
_lock = threading.Lock()
_global: AppTracerProvider | None = None
_NOOP = trace.NoOpTracerProvider()


class AppTracerProvider(trace.TracerProvider):
    def __init__(self) -> None:
        self.fallback: TracerProvider | None = None

    def current(self) -> trace.TracerProvider:
        from flask import current_app, has_app_context

        if has_app_context():
            tracing = current_app.extensions.get(APP_EXTENSION)
            if tracing is not None:
                # An app that turned tracing off must not feed another app's exporter.
                return tracing.provider if tracing.provider is not None else _NOOP
        return self.fallback or _NOOP

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: Any = None,
    ) -> trace.Tracer:
        return _AppTracer(self, instrumenting_module_name, instrumenting_library_version, schema_url, attributes)


class _AppTracer(trace.Tracer):
    def __init__(self, switch: AppTracerProvider, *args: Any) -> None:
        self._switch = switch
        self._args = args
        self._tracers: weakref.WeakKeyDictionary[Any, trace.Tracer] = weakref.WeakKeyDictionary()

    def _tracer(self) -> trace.Tracer:
        provider = self._switch.current()
        try:
            return self._tracers[provider]
        except (KeyError, TypeError):
            tracer = provider.get_tracer(*self._args)
            try:
                self._tracers[provider] = tracer
            except TypeError:  # not weak-referenceable (no-op provider): no need to cache
                pass
            return tracer

    def start_span(self, name: str, context: Any = None, kind: trace.SpanKind = trace.SpanKind.INTERNAL,
                   attributes: Any = None, links: Sequence[trace.Link] | None = None,
                   start_time: int | None = None, record_exception: bool = True,
                   set_status_on_exception: bool = True) -> trace.Span:
        return self._tracer().start_span(
            name, context, kind, attributes, links, start_time, record_exception, set_status_on_exception)

    def start_as_current_span(self, name: str, context: Any = None,
                              kind: trace.SpanKind = trace.SpanKind.INTERNAL, attributes: Any = None,
                              links: Sequence[trace.Link] | None = None, start_time: int | None = None,
                              record_exception: bool = True, set_status_on_exception: bool = True,
                              end_on_exit: bool = True) -> Any:
        # The delegate's own context manager: usable in ``with`` and as a decorator alike.
        return self._tracer().start_as_current_span(
            name, context, kind, attributes, links, start_time, record_exception,
            set_status_on_exception, end_on_exit,
        )


def global_provider() -> AppTracerProvider:
    """Install (once) and return the switch as the OTel API's global provider."""
    global _global
    with _lock:
        if _global is None:
            _global = AppTracerProvider()
            current = trace.get_tracer_provider()
            if isinstance(current, trace.ProxyTracerProvider):
                trace.set_tracer_provider(_global)
            else:
                _log.warning(
                    "a global tracer provider (%s) was set before lendops tracing; spans "
                    "created through the OTel API go there, not to the lendops exporters",
                    type(current).__name__,
                )
        return _global
