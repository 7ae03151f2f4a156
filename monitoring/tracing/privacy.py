"""Keep personal data out of spans.

Lending code and instrumentations may attach attributes such as a customer's ID number,
phone or name, and URLs may carry them in query strings. Spans leave the process (OTLP,
the span store, the console), so every exporter is wrapped in a
:class:`RedactingExporter` that rebuilds each span from a filtered copy of its
attributes before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

__all__ = ["AttributeFilter", "RedactingExporter", "DEFAULT_PERSONAL_KEYS"]

# Matched against the last segment of a key (``lending.customer.phone`` → ``phone``),
# lower-cased, with dashes as underscores.
DEFAULT_PERSONAL_KEYS = frozenset({
    "id_number", "idnumber", "id_card", "id_no", "national_id", "identity",
    "phone", "phone_number", "mobile", "telephone",
    "name", "full_name", "customer_name", "first_name", "last_name", "real_name",
    "email", "address", "birth_date", "date_of_birth", "bank_account", "account_number",
    "card_number", "customer_id",
})
# OpenTelemetry semantic-convention namespaces whose ``*.name`` keys name software or
# hosts, not people (``db.name``, ``server.name``, ``code.function.name``).
DEFAULT_SAFE_PREFIXES = (
    "db.", "net.", "http.", "server.", "client.", "url.", "code.", "rpc.", "messaging.",
    "otel.", "telemetry.", "service.", "host.", "process.", "exception.", "network.",
    "user_agent.", "error.",
)
# Keys whose values are URLs; their query strings are cut (``?phone=...``).
_URL_KEYS = frozenset({"http.target", "http.url", "url.full"})
_DROP_KEYS = frozenset({"url.query"})
_SEGMENT = re.compile(r"[.\s]")


@dataclass(frozen=True, slots=True)
class AttributeFilter:
    """Drops personal attributes and URL query strings.

    >>> AttributeFilter().clean({"lending.branch": "522629", "customer.phone": "1380000"})
    {'lending.branch': '522629'}
    """

    personal_keys: frozenset[str] = DEFAULT_PERSONAL_KEYS
    safe_prefixes: tuple[str, ...] = DEFAULT_SAFE_PREFIXES
    extra_keys: frozenset[str] = field(default_factory=frozenset)
    # Verdicts per key: the same few dozen keys come by on every span.
    _verdicts: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    def is_personal(self, key: str) -> bool:
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._judge(key)
            if len(self._verdicts) < 10_000:  # keys are code, not data; bounded anyway
                self._verdicts[key] = verdict
        return verdict

    def _judge(self, key: str) -> bool:
        if key in self.extra_keys:
            return True
        if key.startswith(self.safe_prefixes):
            return False
        last = _SEGMENT.split(key.lower())[-1].replace("-", "_")
        return last in self.personal_keys

    def clean(self, attributes: Mapping[str, Any] | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in (attributes or {}).items():
            if key in _DROP_KEYS or self.is_personal(key):
                continue
            if key in _URL_KEYS and isinstance(value, str):
                value = value.split("?", 1)[0]
            out[key] = value
        return out


def _redact(span: ReadableSpan, rules: AttributeFilter) -> ReadableSpan:
    events: Iterable[Event] = (
        Event(e.name, rules.clean(e.attributes), e.timestamp) for e in span.events
    )
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=rules.clean(span.attributes),
        events=tuple(events),
        links=span.links,
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class RedactingExporter(SpanExporter):
    """Wraps an exporter so it only ever sees filtered spans."""

    def __init__(self, inner: SpanExporter, rules: AttributeFilter | None = None) -> None:
        self.inner = inner
        self.rules = rules or AttributeFilter()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.inner.export([_redact(s, self.rules) for s in spans])

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)
