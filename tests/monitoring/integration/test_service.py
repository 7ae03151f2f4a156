"""The SDK and the prober against the real lending service (a `lendops serve` process)."""

from __future__ import annotations

import random
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from monitoring.client import LendingClient, ProblemError
from monitoring.prober import synthetic_customer
from tests.procs import ServiceProcess, create_token, lendops_cmd, prepare_db, start_lending_service

pytestmark = pytest.mark.slow

BRANCH = "522629"


@pytest.fixture(scope="module")
def traced_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServiceProcess, str, Path]]:
    root = tmp_path_factory.mktemp("svc")
    url = f"sqlite:///{root / 'lending.sqlite'}"
    prepare_db(url)
    token = create_token(url, "manager", branch=BRANCH)
    spans = root / "spans.sqlite"
    svc = start_lending_service(
        db_url=url, version="1.2.3", track="stable",
        env={"LENDING_TRACING_EXPORTER": "store", "LENDING_TRACING_STORE": str(spans)},
    )
    try:
        yield svc, token, spans
    finally:
        svc.stop()


def _sample(metrics: str, name: str, **labels: str) -> float:
    """Sum of the series of ``name`` carrying all ``labels`` (any other labels)."""
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items())
    )


def test_credit_path_through_the_sdk(traced_service: tuple[ServiceProcess, str, Path]) -> None:
    svc, token, _ = traced_service
    with LendingClient(svc.base_url, token, branch_code=BRANCH) as client:
        customer = client.register_customer(**synthetic_customer(BRANCH, random.Random(11)))
        cid = customer["customer_id"]
        grant = client.apply(cid)
        assert grant["decision"] == "approved" and grant["line_fen"] > 0
        quotes = [client.quote(cid, 100_000 * (i + 1), 12, "equal_installment") for i in range(3)]
        key = "integration-draw-1"
        first = client.draw(cid, 100_000, 3, "revolving", idempotency_key=key)
        again = client.draw(cid, 100_000, 3, "revolving", idempotency_key=key)
        credit = client.credit(cid)
        for _ in range(200):  # bounded: let the payout land so later tests count only their own
            if client.loan(first["loan_id"])["status"] != "pending_disbursement":
                break
            time.sleep(0.05)
        with pytest.raises(ProblemError) as missing:
            client.loan(987654321)
        assert client.telemetry is not None and client.telemetry.flush(10.0)
        stats = client.telemetry.stats

    for reply in (customer, grant, *quotes, first, credit):
        assert (reply.version, reply.track, reply.outcome) == ("1.2.3", "stable", "ok")
    assert all(q["total_interest_fen"] > 0 for q in quotes)
    # The same key is one loan: the replay answers with the first loan.
    assert again["loan_id"] == first["loan_id"]
    assert credit["used_fen"] == 100_000
    assert missing.value.status == 404 and missing.value.type.startswith("https://lendops.dev/problems/")
    assert missing.value.result is not None and missing.value.result.track == "stable"

    # What the client saw reached the service's client-telemetry metrics.
    assert stats.shipped == stats.submitted and stats.lost == 0
    metrics = requests.get(svc.base_url + "/metrics", timeout=5).text
    assert _sample(metrics, "lending_client_request_duration_seconds_count",
                   route="/v1/quotes", outcome="ok", track="stable") == 3
    assert _sample(metrics, "lending_client_request_duration_seconds_count",
                   route="/v1/loans/<int:loan_id>", outcome="http_error", track="stable") == 1


def test_a_trace_started_by_the_sdk_continues_in_the_service(traced_service: tuple[ServiceProcess, str, Path]) -> None:
    from monitoring.tracing import SpanStore

    svc, token, spans_path = traced_service
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with LendingClient(svc.base_url, token, telemetry=False, tracer_provider=provider) as client:
        reply = client.branches()
    (client_span,) = exporter.get_finished_spans()
    trace_id = f"{client_span.context.trace_id:032x}"
    assert reply.trace_id == trace_id

    store = SpanStore(f"sqlite:///{spans_path}")
    try:
        server_spans = []
        for _ in range(80):  # the service exports in batches: bounded wait
            server_spans = store.trace(trace_id)
            if server_spans:
                break
            time.sleep(0.25)
    finally:
        store.close()
    assert server_spans, "the service stored no span of the client's trace"
    root = next(s for s in server_spans if s.parent_span_id == f"{client_span.context.span_id:016x}")
    assert root.track == "stable" and root.route == "/v1/branches"


def test_probe_command_walks_the_real_credit_path(traced_service: tuple[ServiceProcess, str, Path]) -> None:
    svc, token, _ = traced_service
    before = requests.get(svc.base_url + "/metrics", timeout=5).text
    proc = subprocess.run(
        lendops_cmd("probe", "--target", svc.base_url, "--token", token, "--branch", BRANCH,
                    "--interval", "0.5", "--duration", "2"),
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    match = re.search(r"(\d+) journeys, (\d+) ok, 0 failed", proc.stdout)
    assert match and int(match.group(1)) == int(match.group(2)) >= 1, proc.stdout
    journeys = int(match.group(1))
    after = requests.get(svc.base_url + "/metrics", timeout=5).text
    # Each journey made exactly one approved decision and one paid disbursement.
    for name, labels in (
        ("lending_credit_decisions_total", {"decision": "approved", "branch": BRANCH}),
        ("lending_disbursement_duration_seconds_count", {"outcome": "paid"}),
    ):
        assert _sample(after, name, **labels) - _sample(before, name, **labels) == journeys, name


def test_probe_command_mints_its_token_from_the_database(traced_service: tuple[ServiceProcess, str, Path]) -> None:
    svc, _, _ = traced_service
    proc = subprocess.run(
        lendops_cmd("probe", "--target", svc.base_url, "--db", svc.db_url, "--branch", BRANCH,
                    "--interval", "5", "--duration", "0.5"),
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 journeys, 1 ok, 0 failed" in proc.stdout


def test_probe_command_reports_a_database_it_cannot_use_in_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        lendops_cmd("probe", "--target", "http://127.0.0.1:1", "--db", f"sqlite:///{tmp_path / 'none.sqlite'}",
                    "--duration", "1"),
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: db: "), proc.stderr
