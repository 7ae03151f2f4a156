from __future__ import annotations

import math
import random
import shutil
import subprocess
import threading

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from monitoring.client import LendingClient
from monitoring.prober import (
    STEPS,
    JourneySettings,
    Prober,
    ProberConfigError,
    ProberMetrics,
    ProberSettings,
    id_number,
    walk,
)

from ..client.fake_service import FakeService


def _value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


def test_id_numbers_carry_a_valid_check_character() -> None:
    # The published GB 11643 example.
    assert id_number("110105", "1949-12-31", 2) == "11010519491231002X"


def test_a_journey_walks_every_step_and_records_it(fake: FakeService) -> None:
    registry = CollectorRegistry()
    with LendingClient(fake.base_url, "tok", branch_code="522731", telemetry=False) as client:
        result = walk(client, JourneySettings(branch_code="522731"), ProberMetrics(registry), rng=random.Random(1))
    assert result.ok and result.outcome == "ok"
    assert [s.step for s in result.steps] == list(STEPS)
    for step in STEPS:
        assert _value(registry, "lending_probe_step_success_total", step=step, track="canary") == 1.0
        assert _value(registry, "lending_probe_step_duration_seconds_count", step=step, track="canary") == 1.0
    assert _value(registry, "lending_probe_journeys_total", outcome="ok") == 1.0
    assert _value(registry, "lending_probe_journey_duration_seconds_count") == 1.0
    registered = fake.state.business("/v1/customers")[0]["json"]
    assert registered["name"].startswith("probe-") and registered["branch_code"] == "522731"
    # Repays exactly what the loan says is outstanding, with the loan's customer as routing key.
    repay = fake.state.business("/v1/loans/<loan_id>/repayments")[0]
    assert repay["json"] == {"amount_fen": 100_000}
    assert repay["headers"]["X-Customer-Id"] == fake.state.business("/v1/drawdowns")[0]["json"]["customer_id"]


def test_a_failing_step_stops_the_journey_and_is_counted_by_reason(fake: FakeService) -> None:
    fake.state.fail_every = 3  # register, apply, then the quote answers 500
    registry = CollectorRegistry()
    with LendingClient(fake.base_url, "tok", telemetry=False) as client:
        result = walk(client, JourneySettings(), ProberMetrics(registry))
    assert not result.ok and result.outcome == "quote"
    assert _value(registry, "lending_probe_step_failure_total", step="quote", reason="http_error", track="canary") == 1
    assert _value(registry, "lending_probe_step_success_total", step="apply", track="canary") == 1
    assert _value(registry, "lending_probe_journeys_total", outcome="quote") == 1
    assert fake.state.business("/v1/drawdowns") == []


def test_a_declined_probe_customer_is_a_business_failure(fake: FakeService) -> None:
    fake.state.decision = "declined"
    registry = CollectorRegistry()
    with LendingClient(fake.base_url, "tok", telemetry=False) as client:
        result = walk(client, JourneySettings(), ProberMetrics(registry))
    assert result.outcome == "apply" and result.steps[-1].reason == "declined"
    assert _value(registry, "lending_probe_step_failure_total", step="apply", reason="declined", track="canary") == 1
    assert _value(registry, "lending_probe_step_success_total", step="apply", track="canary") == 0
    assert fake.state.business("/v1/quotes") == []


def test_a_payout_that_never_comes_is_reported_stuck(fake: FakeService) -> None:
    fake.state.loan_status = "pending_disbursement"
    registry = CollectorRegistry()
    settings = JourneySettings(disburse_timeout_s=0.3, disburse_poll_s=0.05)
    with LendingClient(fake.base_url, "tok", telemetry=False) as client:
        result = walk(client, settings, ProberMetrics(registry))
    assert result.outcome == "disburse" and result.steps[-1].reason == "stuck"
    polls = len(fake.state.business("/v1/loans/<loan_id>"))
    assert 2 <= polls <= math.ceil(0.3 / 0.05) + 1
    assert fake.state.business("/v1/loans/<loan_id>/repayments") == []


def test_prober_runs_on_cadence_and_stops_by_itself(fake: FakeService) -> None:
    settings = ProberSettings(target=fake.base_url, token="tok", interval_s=0.2, duration_s=1.0)
    registry = CollectorRegistry()
    summary = Prober(settings, registry=registry).run()
    # Journeys start on ticks inside the duration: never more than duration / interval.
    assert 1 <= summary.journeys <= math.ceil(1.0 / 0.2)
    assert summary.ok == summary.journeys
    assert _value(registry, "lending_probe_journeys_total", outcome="ok") == summary.journeys
    assert len(fake.state.business("/v1/customers")) == summary.journeys


def test_stop_during_a_payout_wait_cancels_the_journey_without_failing_it(fake: FakeService) -> None:
    fake.state.loan_status = "pending_disbursement"
    settings = ProberSettings(
        target=fake.base_url, token="tok", interval_s=1, duration_s=600,
        journey=JourneySettings(disburse_timeout_s=120, disburse_poll_s=0.05),
    )
    registry = CollectorRegistry()
    prober = Prober(settings, registry=registry)
    timer = threading.Timer(0.5, prober.stop.set)
    timer.start()
    try:
        summary = prober.run()
    finally:
        timer.cancel()
    assert (summary.journeys, summary.cancelled, summary.ok) == (0, 1, 0)
    assert _value(registry, "lending_probe_step_failure_total", step="disburse", reason="stuck", track="canary") == 0
    assert _value(registry, "lending_probe_step_success_total", step="draw", track="canary") == 1


def test_prober_stop_event_ends_the_run_early(fake: FakeService) -> None:
    settings = ProberSettings(target=fake.base_url, token="tok", interval_s=0.01, duration_s=600)
    prober = Prober(settings, on_journey=lambda r: prober.stop.set())
    assert prober.run().journeys == 1


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"target": "127.0.0.1:8000"}, "target"),
        ({"token": ""}, "token"),
        ({"interval_s": 0}, "interval_s"),
        ({"duration_s": -1}, "duration_s"),
        ({"journey": JourneySettings(branch_code="52")}, "branch"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict, field: str) -> None:
    base = {"target": "http://127.0.0.1:1", "token": "t"} | kwargs
    with pytest.raises(ProberConfigError) as info:
        ProberSettings(**base).validate()
    assert info.value.field == field


def test_an_answer_missing_its_id_is_an_unexpected_failure_not_a_crash(fake: FakeService) -> None:
    fake.state.register_without_id = True
    registry = CollectorRegistry()
    with LendingClient(fake.base_url, "tok", telemetry=False) as client:
        result = walk(client, JourneySettings(), ProberMetrics(registry))
    assert result.outcome == "register" and result.steps[-1].reason == "unexpected"
    assert _value(registry, "lending_probe_step_failure_total", step="register", reason="unexpected", track="canary") == 1
    assert fake.state.business("/v1/credit/applications") == []


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
def test_prober_and_client_metrics_pass_promtool_check_metrics(fake: FakeService) -> None:
    registry = CollectorRegistry()
    client_registry = CollectorRegistry()
    with LendingClient(fake.base_url, "tok", telemetry=False, metrics=client_registry) as client:
        walk(client, JourneySettings(), ProberMetrics(registry))
    exposition = generate_latest(registry) + generate_latest(client_registry)
    assert b"lending_probe_step_duration_seconds_bucket" in exposition
    assert b"lending_client_request_duration_seconds_bucket" in exposition
    done = subprocess.run(["promtool", "check", "metrics"], input=exposition, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
