from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask, Response, request
from opentelemetry import trace
from sqlalchemy import create_engine, text

from monitoring.tracing import SpanStore, TracingConfigError, init_tracing

# As the lending code does it: module level, OTel API only.
tracer = trace.get_tracer("core_lending.credit")

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


def make_app(tmp_path: Path, echo_url: str | None = None, *, name: str = "svc") -> tuple[Flask, object]:
    app = Flask(name)
    engine = create_engine(f"sqlite:///{tmp_path / (name + '-lending.db')}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS decisions (id INTEGER PRIMARY KEY, grade TEXT)"))

    @app.post("/v1/credit/apply")
    def apply() -> dict:
        with tracer.start_as_current_span("credit.score") as span:
            span.set_attribute("lending.grade", "A")
            span.set_attribute("customer.id_number", "520101199001011234")  # must never leave
            span.set_attribute("lending.customer.phone", "13800000000")
        with tracer.start_as_current_span("credit.persist"):
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO decisions (grade) VALUES (:g)"), {"g": "A"})
        seen = None
        if echo_url:
            seen = requests.get(echo_url + "/echo", timeout=5).json()["traceparent"]
        return {"decision": "approved", "downstream_traceparent": seen}

    @app.get("/v1/fail")
    def fail() -> None:
        raise RuntimeError("boom")

    @app.get("/metrics")
    def metrics() -> str:
        return "ignored"

    return app, engine


@pytest.fixture()
def traced(tmp_path: Path, echo_server: str) -> Iterator[tuple[Flask, SpanStore, object]]:
    app, engine = make_app(tmp_path, echo_server)
    tracing = init_tracing(app, service_name="lending", version="1.4.0", track="canary",
                           exporter="store", store_path=str(tmp_path / "spans.db"), engine=engine)
    yield app, tracing.store, tracing
    tracing.shutdown()


def test_incoming_traceparent_is_continued_through_lending_sql_and_outgoing_spans(traced) -> None:
    app, store, tracing = traced
    response = app.test_client().post(
        "/v1/credit/apply?phone=13800000000",
        headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01", "X-Branch-Code": "522629"},
    )
    assert response.status_code == 200
    tracing.force_flush()
    spans = store.trace(TRACE_ID)
    by_name = {s.name: s for s in spans}
    server = by_name["POST /v1/credit/apply"]
    assert server.parent_span_id == PARENT_ID  # continued, not a new trace
    assert server.kind == "server" and server.route == "/v1/credit/apply"
    assert server.attributes["lending.branch"] == "522629"
    assert server.attributes["url.path"] == "/v1/credit/apply"  # never the query string
    assert server.attributes["http.response.status_code"] == 200
    assert by_name["credit.score"].parent_span_id == server.span_id
    assert by_name["credit.score"].attributes == {"lending.grade": "A"}
    sql = [s for s in spans if s.kind == "client" and s.parent_span_id == by_name["credit.persist"].span_id]
    assert sql and "INSERT INTO decisions" in sql[0].attributes["db.statement"]
    outgoing = [s for s in spans if s.name == "GET" and s.kind == "client"]
    assert len(outgoing) == 1
    # The downstream service received this trace and the outgoing span as its parent.
    assert response.json["downstream_traceparent"] == f"00-{TRACE_ID}-{outgoing[0].span_id}-01"
    assert {s.track for s in spans} == {"canary"} and {s.version for s in spans} == {"1.4.0"}
    assert all("13800000000" not in str(s.attributes) for s in spans)


def test_errors_are_marked_and_scrapes_are_not_traced(traced) -> None:
    app, store, tracing = traced
    client = app.test_client()
    assert client.get("/v1/fail").status_code == 500
    assert client.get("/metrics").status_code == 200
    tracing.force_flush()
    failed = store.traces(error=True)
    assert [t.route for t in failed] == ["/v1/fail"]
    assert store.traces(route="/metrics") == []


def test_parent_based_sampling(tmp_path: Path) -> None:
    app, engine = make_app(tmp_path, name="sampled")
    tracing = init_tracing(app, service_name="lending", version="1", track="stable",
                           store_path=str(tmp_path / "spans.db"), sample_ratio=0.0, engine=engine)
    try:
        client = app.test_client()
        client.post("/v1/credit/apply")  # a new trace at ratio 0: dropped
        client.post("/v1/credit/apply", headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"})
        client.post("/v1/credit/apply",
                    headers={"traceparent": f"00-{'1' * 32}-{PARENT_ID}-00"})  # caller did not sample
        tracing.force_flush()
        assert [t.trace_id for t in tracing.store.traces()] == [TRACE_ID]
    finally:
        tracing.shutdown()


def test_two_apps_in_one_process_keep_their_own_spans(tmp_path: Path) -> None:
    stable_app, stable_engine = make_app(tmp_path, name="stable")
    canary_app, canary_engine = make_app(tmp_path, name="canary")
    stable = init_tracing(stable_app, service_name="lending", version="1.0", track="stable",
                          store_path=str(tmp_path / "stable.db"), engine=stable_engine)
    canary = init_tracing(canary_app, service_name="lending", version="2.0", track="canary",
                          store_path=str(tmp_path / "canary.db"), engine=canary_engine)
    try:
        stable_app.test_client().post("/v1/credit/apply")
        stable.force_flush()
        canary.force_flush()
        assert canary.store.count() == 0
        names = {s.name for s in stable.store.trace(stable.store.traces()[0].trace_id)}
        assert {"credit.score", "credit.persist"} <= names
    finally:
        stable.shutdown()
        canary.shutdown()


def test_an_early_answer_still_gets_a_server_span(tmp_path: Path) -> None:
    app = Flask("early")

    @app.before_request
    def injected_fault() -> Response:
        return Response("{}", status=500, content_type="application/problem+json")

    @app.get("/v1/quotes")
    def quotes() -> str:
        return "never"

    tracing = init_tracing(app, service_name="lending", version="1", track="canary",
                           store_path=str(tmp_path / "s.db"))
    try:
        assert app.test_client().get("/v1/quotes").status_code == 500
        tracing.force_flush()
        [summary] = tracing.store.traces()
        assert summary.route == "/v1/quotes" and summary.error
    finally:
        tracing.shutdown()


def test_invalid_settings_are_refused(tmp_path: Path) -> None:
    app = Flask("bad")
    with pytest.raises(TracingConfigError) as err:
        init_tracing(app, service_name="s", version="1", track="stable", exporter="jaeger")
    assert err.value.setting == "exporter"
    with pytest.raises(TracingConfigError):
        init_tracing(app, service_name="s", version="1", track="stable", sample_ratio=1.5,
                     store_path=str(tmp_path / "x.db"))
    with pytest.raises(TracingConfigError):
        init_tracing(app, service_name="s", version="1", track="stable", exporter="otlp")
    off = init_tracing(app, service_name="s", version="1", track="stable", exporter="none")
    assert off.provider is None and off.force_flush()


def test_an_app_with_tracing_off_feeds_no_other_app(tmp_path: Path) -> None:
    on_app, on_engine = make_app(tmp_path, name="on")
    off_app, _ = make_app(tmp_path, name="off")
    on = init_tracing(on_app, service_name="lending", version="1", track="stable",
                      store_path=str(tmp_path / "on.db"), engine=on_engine)
    init_tracing(off_app, service_name="lending", version="1", track="stable", exporter="none")
    try:
        assert off_app.test_client().post("/v1/credit/apply").status_code == 200
        on.force_flush()
        assert on.store.count() == 0
    finally:
        on.shutdown()


def test_sql_spans_skip_transaction_control_and_mark_failures(traced) -> None:
    app, store, tracing = traced
    engine = None
    from sqlalchemy import text as sql_text
    from opentelemetry import trace as otel

    # Any engine traced through the same provider behaves alike; use a fresh one.
    from sqlalchemy import create_engine as make_engine
    from monitoring.tracing import instrument_engine

    engine = make_engine("sqlite://")
    instrument_engine(tracing, engine)
    tracer_ = tracing.provider.get_tracer("t")
    with tracer_.start_as_current_span("job") as job:
        with engine.begin() as conn:
            conn.execute(sql_text("SELECT 1"))
            with pytest.raises(Exception):
                conn.execute(sql_text("SELECT * FROM no_such_table"))
    tracing.force_flush()
    spans = store.trace(format(job.get_span_context().trace_id, "032x"))
    sql = [s for s in spans if s.kind == "client"]
    assert [s.attributes["db.operation"] for s in sql] == ["SELECT", "SELECT"]
    assert [s.status for s in sql] == ["unset", "error"]
    assert sql[1].status_message == "OperationalError"
    assert all(s.parent_span_id == job.get_span_context().span_id.to_bytes(8, "big").hex() for s in sql)
    assert otel.get_current_span() is not job
