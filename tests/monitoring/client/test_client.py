from __future__ import annotations

import builtins
import re

import pytest
import requests
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry

from monitoring.client import (
    ClientMetrics,
    ConnectError,
    LendingClient,
    ProblemError,
    TimeoutError,
    TransportError,
)

from .fake_service import FakeService, free_port

TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")

CUSTOMER = dict(
    name="测试", id_number="522629199001011234", phone="13800000000", branch_code="522731",
    segment="farmer", birth_date="1990-01-01", annual_income_fen=6_000_000, other_debt_fen=0,
    labels=dict(fraud_risk="low", relationship_grade="A", years_known=5, credit_village=True,
                repayment_history="on_time", credit_record="clean"),
)


def test_credit_path_replies_carry_body_and_what_the_client_saw(fake: FakeService) -> None:
    with LendingClient(fake.base_url, "tok", telemetry=False) as client:
        cust = client.register_customer(**CUSTOMER)
        cid = cust["customer_id"]
        grant = client.apply(cid)
        credit = client.credit(cid)
        quote = client.quote(cid, 1_000_000, 12, "equal_installment")
        draw = client.draw(cid, 1_000_000, 12, "equal_installment")
        loan = client.loan(draw["loan_id"])
        client.schedule(draw["loan_id"])
        repay = client.repay(draw["loan_id"], 1_000_000)
        assert client.branches().data[0]["branch_code"] == "522629"
        assert client.version()["version"] == "9.9.9"

    assert grant["decision"] == "approved" and grant.status == 201
    assert credit.route == "/v1/customers/{customer_id}/credit"
    assert quote["total_interest_fen"] == 50_000
    assert loan.route == "/v1/loans/{loan_id}" and repay.route == "/v1/loans/{loan_id}/repayments"
    for reply in (cust, grant, credit, quote, draw, loan, repay):
        assert reply.ok and reply.outcome == "ok"
        assert (reply.version, reply.track) == ("9.9.9", "canary")
        assert reply.duration_s > 0
    assert client.last is not None and client.last.route == "/version"

    seen = fake.state.business()
    assert all(r["headers"]["Authorization"] == "Bearer tok" for r in seen)
    # Every call made for the customer carries the sticky key and the customer's branch,
    # including the loan calls, where the client only knows the loan id.
    for r in seen:
        if r["path"].startswith(("/v1/credit", "/v1/customers/c", "/v1/quotes", "/v1/drawdowns", "/v1/loans")):
            assert r["headers"]["X-Customer-Id"] == cid, r["path"]
            assert r["headers"]["X-Branch-Code"] == "522731", r["path"]
    assert seen[0]["headers"]["X-Branch-Code"] == "522731"
    draws = fake.state.business("/v1/drawdowns")
    assert draws[0]["headers"]["Idempotency-Key"] == draw.idempotency_key
    repays = fake.state.business("/v1/loans/<loan_id>/repayments")
    assert repays[0]["headers"]["Idempotency-Key"] == repay.idempotency_key != draw.idempotency_key


def test_traceparent_is_sent_and_matches_reply_without_an_sdk(fake: FakeService) -> None:
    with LendingClient(fake.base_url, "tok", telemetry=False) as client:
        a = client.branches()
        b = client.branches()
    sent = [r["headers"]["Traceparent"] for r in fake.state.business()]
    ids = [TRACEPARENT.match(v).group(1) for v in sent]  # type: ignore[union-attr]
    assert ids == [a.trace_id, b.trace_id] and a.trace_id != b.trace_id


def test_traceparent_continues_the_client_span_with_an_sdk(fake: FakeService) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with LendingClient(fake.base_url, "tok", telemetry=False, tracer_provider=provider) as client:
        reply = client.credit("c42")
    (span,) = exporter.get_finished_spans()
    match = TRACEPARENT.match(fake.state.business()[0]["headers"]["Traceparent"])
    assert match is not None
    assert int(match.group(1), 16) == span.context.trace_id == int(reply.trace_id, 16)
    assert int(match.group(2), 16) == span.context.span_id
    assert span.name == "GET /v1/customers/{customer_id}/credit"
    assert span.attributes["lending.track"] == "canary"


def test_local_metrics_use_route_templates_never_ids(fake: FakeService) -> None:
    registry = CollectorRegistry()
    metrics = ClientMetrics(registry)
    with LendingClient(fake.base_url, "tok", telemetry=False, metrics=metrics) as client:
        client.credit("c1")
        client.credit("c2")
        with pytest.raises(ProblemError):
            client.credit("missing")
    count = registry.get_sample_value(
        "lending_client_request_duration_seconds_count",
        {"route": "/v1/customers/{customer_id}/credit", "outcome": "ok", "track": "canary"},
    )
    errors = registry.get_sample_value(
        "lending_client_request_duration_seconds_count",
        {"route": "/v1/customers/{customer_id}/credit", "outcome": "http_error", "track": "canary"},
    )
    assert (count, errors) == (2.0, 1.0)
    routes = {s.labels["route"] for m in registry.collect() for s in m.samples if "route" in s.labels}
    assert routes == {"/v1/customers/{customer_id}/credit"}


def test_problem_json_becomes_problem_error_with_fields(fake: FakeService) -> None:
    with LendingClient(fake.base_url, "tok", telemetry=False) as client:
        with pytest.raises(ProblemError) as info:
            client.credit("missing")
    err = info.value
    assert (err.status, err.slug, err.title) == (404, "not-found", "Unknown customer")
    assert err.result is not None and err.result.outcome == "http_error" and err.result.track == "canary"
    assert client.last is err.result


def test_timeout_is_reported_as_timeout_not_retried(fake: FakeService) -> None:
    fake.state.business_delay_s = 1.0
    with LendingClient(fake.base_url, "tok", telemetry=False, timeout=0.2) as client:
        with pytest.raises(TimeoutError) as info:
            client.loan("l1")
    assert isinstance(info.value, builtins.TimeoutError) and isinstance(info.value, TransportError)
    result = info.value.result
    assert result is not None
    assert (result.outcome, result.status, result.track, result.attempts) == ("timeout", None, None, 1)
    assert len(fake.state.business()) == 1


def test_connection_errors_retry_reads_but_not_unkeyed_posts() -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    pauses: list[float] = []
    with LendingClient(dead, "tok", telemetry=False, sleep=pauses.append, max_attempts=3) as client:
        with pytest.raises(ConnectError) as read:
            client.branches()
        with pytest.raises(ConnectError) as post:
            client.apply("c1")
    assert read.value.result is not None and read.value.result.attempts == 3
    assert read.value.result.outcome == "connection_error"
    assert post.value.result is not None and post.value.result.attempts == 1
    assert len(pauses) == 2


class _DropFirst(requests.adapters.HTTPAdapter):
    """Loses the first request on the wire, as a reset connection would."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped = 0

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def, override]
        if self.dropped == 0:
            self.dropped += 1
            raise requests.ConnectionError("connection reset by peer")
        return super().send(request, **kwargs)


def test_drawdown_retry_after_connection_error_reuses_the_key(fake: FakeService) -> None:
    session = requests.Session()
    adapter = _DropFirst()
    session.mount("http://", adapter)
    with LendingClient(fake.base_url, "tok", telemetry=False, session=session, sleep=lambda s: None) as client:
        reply = client.draw("c1", 500_000, 6, "equal_principal")
    session.close()
    assert adapter.dropped == 1 and reply.attempts == 2
    draws = fake.state.business("/v1/drawdowns")
    assert len(draws) == 1 and draws[0]["headers"]["Idempotency-Key"] == reply.idempotency_key


def test_float_money_is_refused_before_anything_is_sent(fake: FakeService) -> None:
    with LendingClient(fake.base_url, "tok", telemetry=False) as client:
        with pytest.raises(TypeError):
            client.quote("c1", 1000.5, 12, "revolving")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            client.repay("l1", True)  # type: ignore[arg-type]
    assert fake.state.business() == []


def test_on_reply_sees_every_attempt_and_cannot_break_calls(fake: FakeService) -> None:
    seen: list[tuple[str, str, int | None]] = []

    def hook(reply) -> None:  # type: ignore[no-untyped-def]
        seen.append((reply.route, reply.outcome, reply.status))
        raise RuntimeError("a broken hook")

    with LendingClient(fake.base_url, "tok", telemetry=False, on_reply=hook) as client:
        assert client.quote("c1", 100_000, 6, "revolving").ok
        with pytest.raises(ProblemError):
            client.credit("missing")
    assert seen == [("/v1/quotes", "ok", 200), ("/v1/customers/{customer_id}/credit", "http_error", 404)]
