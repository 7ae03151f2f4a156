"""A SpanExporter that writes into the embedded :class:`SpanStore`."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from .errors import SpanStoreError
from .store import SpanStore

__all__ = ["StoreSpanExporter"]

_log = logging.getLogger(__name__)


class StoreSpanExporter(SpanExporter):
    """Exports to a SpanStore. A failing store loses the batch, never the request."""

    def __init__(self, store: SpanStore) -> None:
        self.store = store

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            self.store.write(spans)
        except SpanStoreError as exc:
            _log.warning("span batch of %d dropped: %s", len(spans), exc)
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self.store.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
