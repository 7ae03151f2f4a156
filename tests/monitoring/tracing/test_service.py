"""Tracing and telemetry wired into the real lending service (core_lending.create_app)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from monitoring.probe import names
from tests.core_lending.conftest import Env, bearer, make_env

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"


@pytest.fixture()
def traced_env(seeded_sqlite_url: str, tmp_path: Path) -> Iterator[tuple[Env, Path]]:
    spans = tmp_path / "spans.sqlite"
    env = make_env(seeded_sqlite_url, tracing={"exporter": "store", "store_path": str(spans)})
    yield env, spans
    env.app.extensions["lendops_tracing"].shutdown()
    env.db.dispose()


def test_credit_path_trace_continues_the_callers_trace_without_personal_data(traced_env) -> None:
    env, spans_file = traced_env
    customer = env.register()
    response = env.client.post(
        "/v1/credit/applications", json={"customer_id": customer["customer_id"]},
        headers=bearer(env.jianhe, traceparent=f"00-{TRACE_ID}-{PARENT_ID}-01", **{"X-Branch-Code": "522629"}),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    tracing = env.app.extensions["lendops_tracing"]
    assert tracing.force_flush()
    spans = tracing.store.trace(TRACE_ID)
    by_name = {s.name: s for s in spans}
    server = by_name["POST /v1/credit/applications"]
    assert server.parent_span_id == PARENT_ID
    assert server.attributes["lending.branch"] == "522629"
    for stage in ("credit.score", "credit.line", "credit.price", "credit.persist"):
        assert stage in by_name, sorted(by_name)
        assert by_name[stage].track == "stable" and by_name[stage].version == "1.0.0"
    assert by_name["credit.score"].attributes.get("lending.grade")
    assert by_name["credit.score"].attributes.get("lending.decision") == "approved"
    assert any(s.kind == "client" and "db.statement" in s.attributes for s in spans)  # SQL traced
    # Nothing personal anywhere in the store file (the registration carried all of it).
    raw = spans_file.read_bytes() + (spans_file.parent / (spans_file.name + "-wal")).read_bytes()
    for value in (customer.get("id_number"), customer.get("phone"), "测试客户".encode()):
        if value:
            assert (value if isinstance(value, bytes) else value.encode()) not in raw


def test_telemetry_intake_uses_the_service_tokens(seeded_sqlite_url: str) -> None:
    env = make_env(seeded_sqlite_url)
    try:
        body = {"events": [
            {"route": "/v1/quotes", "method": "POST", "outcome": "ok", "status": 200, "duration_ms": 40,
             "version": "1.0.0", "track": "stable"},
            {"route": "/v1/loans/17/schedule", "method": "GET", "outcome": "timeout", "duration_ms": 5000},
        ]}
        refused = env.client.post("/v1/telemetry/client", json=body)
        assert refused.status_code == 401 and refused.content_type == "application/problem+json"
        accepted = env.client.post("/v1/telemetry/client", json=body, headers=bearer(env.ops))
        assert accepted.status_code == 202 and accepted.get_json()["accepted"] == 2
        text = env.client.get("/metrics").get_data(as_text=True)
        counts = {
            (s.labels["route"], s.labels["outcome"], s.labels["track"]): s.value
            for f in text_string_to_metric_families(text) for s in f.samples
            if s.name == names.CLIENT_DURATION + "_count"
        }
        schedule = [r for (r, _, _) in counts if r.startswith("/v1/loans/")]
        assert counts[("/v1/quotes", "ok", "stable")] == 1
        assert len(schedule) == 1 and "<" in schedule[0]  # the URL rule, not the raw path
        assert counts[(schedule[0], "timeout", "unknown")] == 1
    finally:
        env.db.dispose()
