"""The OTLP exporter against a real OTLP/HTTP receiver (oteltap) on loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from monitoring.tracing import init_tracing

from .conftest import free_port
from .test_install import PARENT_ID, TRACE_ID, make_app

oteltap = pytest.importorskip("oteltap")


@pytest.mark.asyncio
async def test_spans_reach_an_otlp_receiver_redacted(tmp_path: Path) -> None:
    port = free_port()
    settings = oteltap.OtelTapHttpProtobufReceiverSettings(http_port=port)
    async with oteltap.OtelTapHttpProtobufReceiver(settings) as receiver:
        app, engine = make_app(tmp_path, name="otlp")
        tracing = init_tracing(app, service_name="lending", version="3.1.0", track="canary",
                               exporter="otlp", otlp_endpoint=f"http://127.0.0.1:{port}", engine=engine)
        # oteltap keeps no backlog: wait for the spans before they are sent.
        score_task = asyncio.ensure_future(receiver.await_trace(lambda s: s.name == "credit.score", timeout=15))
        server_task = asyncio.ensure_future(
            receiver.await_trace(lambda s: s.name == "POST /v1/credit/apply", timeout=15))
        await asyncio.sleep(0)
        try:
            response = app.test_client().post(
                "/v1/credit/apply", headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"})
            assert response.status_code == 200
            assert await asyncio.to_thread(tracing.force_flush)
            score, server = await asyncio.gather(score_task, server_task)
        finally:
            await asyncio.to_thread(tracing.shutdown)
    assert score.trace_id.hex() == TRACE_ID
    assert server.parent_span_id.hex() == PARENT_ID
    assert score.parent_span_id == server.span_id
    keys = {a.key for a in score.attributes}
    assert "lending.grade" in keys
    assert not keys & {"customer.id_number", "lending.customer.phone"}
