from __future__ import annotations

import time
from pathlib import Path

from opentelemetry.trace import SpanKind, Status, StatusCode

from monitoring.tracing import SpanStore

from .conftest import direct_provider


BASE = time.time_ns() - 3600 * 10**9  # an hour ago: inside the default retention


def _credit_trace(provider, *, route: str, fail: bool = False, start: int = 0) -> str:
    start = start or BASE
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span(
        f"POST {route}", kind=SpanKind.SERVER, start_time=start,
        attributes={"http.route": route, "lending.branch": "522629"}, end_on_exit=False,
    ) as root:
        with tracer.start_as_current_span("credit.score", start_time=start + 1_000_000,
                                          end_on_exit=False) as score:
            score.set_attribute("lending.grade", "A")
            score.end(end_time=start + 3_000_000)
        with tracer.start_as_current_span("credit.persist", start_time=start + 3_000_000,
                                          end_on_exit=False) as persist:
            if fail:
                persist.set_status(Status(StatusCode.ERROR, "disk full"))
            persist.end(end_time=start + 9_000_000)
        root.end(end_time=start + 10_000_000 + (50_000_000 if fail else 0))
        return format(root.get_span_context().trace_id, "032x")


def test_trace_returns_spans_with_parents_timings_attributes_status(store: SpanStore) -> None:
    provider = direct_provider(store, track="canary", version="2.0.0")
    trace_id = _credit_trace(provider, route="/v1/credit/apply", fail=True)
    spans = store.trace(trace_id)
    assert [s.name for s in spans] == ["POST /v1/credit/apply", "credit.score", "credit.persist"]
    root, score, persist = spans
    assert root.parent_span_id is None
    assert score.parent_span_id == root.span_id and persist.parent_span_id == root.span_id
    assert score.duration_ms == 2.0 and root.duration_ms == 60.0
    assert score.attributes == {"lending.grade": "A"}
    assert (persist.status, persist.status_message, persist.error) == ("error", "disk full", True)
    assert {(s.track, s.version, s.service) for s in spans} == {("canary", "2.0.0", "lending")}
    assert root.kind == "server" and root.route == "/v1/credit/apply"


def test_traces_filter_by_route_track_duration_and_error(store: SpanStore, tmp_path: Path) -> None:
    stable = direct_provider(store, track="stable")
    canary = direct_provider(store, track="canary")
    ok_apply = _credit_trace(stable, route="/v1/credit/apply", start=BASE + 1_000_000_000)
    bad_apply = _credit_trace(canary, route="/v1/credit/apply", fail=True, start=BASE + 2_000_000_000)
    quote = _credit_trace(canary, route="/v1/quotes", start=BASE + 3_000_000_000)

    assert [t.trace_id for t in store.traces()] == [quote, bad_apply, ok_apply]
    assert [t.trace_id for t in store.traces(route="/v1/credit/apply")] == [bad_apply, ok_apply]
    assert [t.trace_id for t in store.traces(track="canary")] == [quote, bad_apply]
    assert [t.trace_id for t in store.traces(error=True)] == [bad_apply]
    assert [t.trace_id for t in store.traces(error=False)] == [quote, ok_apply]
    assert [t.trace_id for t in store.traces(min_duration_ms=30)] == [bad_apply]
    assert [t.trace_id for t in store.traces(limit=1)] == [quote]
    summary = store.traces(error=True)[0]
    assert (summary.span_count, summary.error, summary.duration_ms, summary.root_name) == (
        3, True, 60.0, "POST /v1/credit/apply")


def test_retention_by_count_keeps_the_newest(tmp_path: Path) -> None:
    store = SpanStore.at_path(str(tmp_path / "s.db"), max_spans=5, prune_interval_s=0)
    provider = direct_provider(store)
    ids = [_credit_trace(provider, route="/v1/quotes", start=BASE + (i + 1) * 1_000_000_000) for i in range(4)]
    assert store.count() == 5
    # The newest trace is whole; the oldest are gone.
    assert len(store.trace(ids[-1])) == 3
    assert store.trace(ids[0]) == []
    store.close()


def test_retention_by_age_uses_the_injected_clock(tmp_path: Path) -> None:
    now = [10_000_000_000_000]
    store = SpanStore.at_path(str(tmp_path / "s.db"), max_age_s=60, prune_interval_s=0,
                              clock_ns=lambda: now[0])
    provider = direct_provider(store)
    old = _credit_trace(provider, route="/v1/quotes", start=now[0] - 120 * 10**9)
    assert store.trace(old) == []  # already older than 60 s when written
    fresh = _credit_trace(provider, route="/v1/quotes", start=now[0] - 10 * 10**9)
    assert len(store.trace(fresh)) == 3
    now[0] += 100 * 10**9
    store.prune()
    assert store.count() == 0
    store.close()


def test_the_same_span_written_twice_is_stored_once(store: SpanStore) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    _credit_trace(provider, route="/v1/quotes")
    finished = memory.get_finished_spans()
    assert store.write(finished) == 3
    store.write(finished)  # a retry after a timeout
    assert store.count() == 3
    assert store.write([]) == 0
