"""One trace laid out as a waterfall: spans in parent/child order with depth, offset
and duration (pure; the page only draws the bars)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monitoring.tracing import SpanRecord

__all__ = ["waterfall"]

# What the hover text shows; the store has already dropped anything personal.
_SHOWN = ("http.route", "http.request.method", "http.response.status_code", "lending.branch", "lending.decision",
          "lending.grade", "db.system", "db.operation", "db.statement", "url.path")


def waterfall(spans: Sequence[SpanRecord]) -> dict[str, Any]:
    if not spans:
        return {"trace_id": None, "duration_ms": 0.0, "rows": []}
    ids = {s.span_id for s in spans}
    children: dict[str | None, list[SpanRecord]] = {}
    for s in spans:
        # A parent that is not stored (the caller's span, or pruned) makes this a root.
        parent = s.parent_span_id if s.parent_span_id in ids else None
        children.setdefault(parent, []).append(s)
    for group in children.values():
        group.sort(key=lambda s: (s.start_ns, s.span_id))
    t0 = min(s.start_ns for s in spans)
    total_ns = max(max(s.end_ns for s in spans) - t0, 1)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    roots = children.get(None, [])
    # Spans no root reaches (parent links forming a cycle in corrupt data) are shown as
    # roots too: nothing stored is hidden, and the walk always ends.
    unreached = sorted((s for s in spans if s.parent_span_id in ids), key=lambda s: (s.start_ns, s.span_id))
    stack: list[tuple[SpanRecord, int]] = [(s, 0) for s in reversed(unreached)] + [(s, 0) for s in reversed(roots)]
    while stack:
        span, depth = stack.pop()
        if span.span_id in seen:
            continue
        seen.add(span.span_id)
        rows.append({
            "span_id": span.span_id, "parent_span_id": span.parent_span_id, "name": span.name,
            "kind": span.kind, "depth": depth,
            "offset_ms": round((span.start_ns - t0) / 1e6, 3), "duration_ms": round(span.duration_ms, 3),
            "left_pct": round(100.0 * (span.start_ns - t0) / total_ns, 3),
            "width_pct": round(max(100.0 * (span.end_ns - span.start_ns) / total_ns, 0.0), 3),
            "error": span.error, "status_message": span.status_message,
            "service": span.service, "version": span.version, "track": span.track, "route": span.route,
            "attributes": {k: span.attributes[k] for k in _SHOWN if k in span.attributes},
        })
        stack.extend((c, depth + 1) for c in reversed(children.get(span.span_id, [])))
    return {"trace_id": spans[0].trace_id, "duration_ms": round(total_ns / 1e6, 3), "rows": rows}
