from __future__ import annotations

import time

from flask import Flask, Response, request
from opentelemetry.trace import SpanKind, Status, StatusCode

from monitoring.tracing import SpanStore, traces_blueprint

from .conftest import direct_provider


def _seed(store: SpanStore) -> tuple[str, str]:
    tracer = direct_provider(store, track="canary").get_tracer("t")
    ids = []
    for route, fail in (("/v1/quotes", False), ("/v1/credit/apply", True)):
        with tracer.start_as_current_span(f"POST {route}", kind=SpanKind.SERVER,
                                          attributes={"http.route": route}) as root:
            with tracer.start_as_current_span("credit.price") as child:
                if fail:
                    child.set_status(Status(StatusCode.ERROR))
            ids.append(format(root.get_span_context().trace_id, "032x"))
        time.sleep(0.001)  # distinct start times keep the order well defined
    return ids[0], ids[1]


def _console(store: SpanStore, authenticate=None) -> Flask:
    app = Flask("console")
    app.register_blueprint(traces_blueprint(store, authenticate=authenticate))
    return app


def test_list_and_filter_over_http(store: SpanStore) -> None:
    quote, apply = _seed(store)
    client = _console(store).test_client()
    body = client.get("/v1/traces").json
    assert [t["trace_id"] for t in body["traces"]] == [apply, quote]
    assert body["traces"][0]["span_count"] == 2 and body["traces"][0]["error"] is True
    assert [t["trace_id"] for t in client.get("/v1/traces?error=true").json["traces"]] == [apply]
    assert [t["trace_id"] for t in client.get("/v1/traces?route=/v1/quotes&track=canary").json["traces"]] == [quote]
    assert client.get("/v1/traces?track=stable").json == {"traces": []}
    assert len(client.get("/v1/traces?limit=1&min_duration_ms=0").json["traces"]) == 1


def test_one_trace_for_the_waterfall(store: SpanStore) -> None:
    _, apply = _seed(store)
    client = _console(store).test_client()
    body = client.get(f"/v1/traces/{apply.upper()}").json
    root, child = body["spans"]
    assert child["parent_span_id"] == root["span_id"] and root["parent_span_id"] is None
    assert child["status"] == "error" and child["start_ns"] >= root["start_ns"]
    assert set(root) >= {"duration_ms", "attributes", "events", "end_ns", "name", "track"}


def test_bad_queries_get_problem_json(store: SpanStore) -> None:
    client = _console(store).test_client()
    for query in ("limit=0", "limit=9999", "limit=abc", "error=maybe", "min_duration_ms=x",
                  "min_duration_ms=-1"):
        response = client.get(f"/v1/traces?{query}")
        assert response.status_code == 400, query
        assert response.content_type == "application/problem+json"
        assert response.json["type"] == "https://lendops.dev/problems/invalid-query"
        assert response.json["detail"]
    assert client.get("/v1/traces/not-a-trace").status_code == 400
    missing = client.get(f"/v1/traces/{'a' * 32}")
    assert missing.status_code == 404 and missing.json["type"].endswith("/trace-not-found")


def test_authenticate_guards_the_blueprint(store: SpanStore) -> None:
    def authenticate() -> Response | None:
        if request.headers.get("Authorization") != "Bearer ops":
            return Response('{"status":401}', status=401, content_type="application/problem+json")
        return None

    client = _console(store, authenticate).test_client()
    assert client.get("/v1/traces").status_code == 401
    assert client.get("/v1/traces", headers={"Authorization": "Bearer ops"}).status_code == 200
