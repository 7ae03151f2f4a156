"""The credit path and disbursement emit the named spans with track/version/branch/decision
attributes and no personal data (SDK provider injected through the Runtime seam)."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from core_lending.disbursement import DisbursementWorker
from core_lending.payment_rail import SimulatedRail

from .conftest import Env, bearer


def test_credit_and_disbursement_spans(env: Env) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    rt = env.app.extensions["lending"].rt
    rt.tracer = provider.get_tracer("core_lending")

    cust = env.register(id_number="52262919900101999X", phone="13600001111")
    env.grant(cust["customer_id"])
    env.client.post("/v1/drawdowns", headers=bearer(env.jianhe, **{"Idempotency-Key": "s"}), json={
        "customer_id": cust["customer_id"], "amount_fen": 100_000, "term_months": 3, "repayment_method": "revolving"})
    DisbursementWorker(rt, SimulatedRail(delay_s=0)).run_once()

    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert {"credit.score", "credit.line", "credit.price", "credit.persist", "loan.disburse"} <= set(spans)
    score = dict(spans["credit.score"].attributes or {})
    assert score["lending.track"] == "stable" and score["lending.version"] == "1.0.0"
    assert score["lending.branch"] == "522629" and score["lending.decision"] == "approved"
    assert score["lending.grade"] == "A"
    assert dict(spans["loan.disburse"].attributes or {})["lending.payout"] == "paid"
    everything = repr([dict(s.attributes or {}) for s in exporter.get_finished_spans()])
    assert "52262919900101999X" not in everything and "13600001111" not in everything
