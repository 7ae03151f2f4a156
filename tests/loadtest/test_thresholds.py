"""Verdicts name the threshold, the measured value and the limit."""

from __future__ import annotations

from loadtest.collector import ProcessStats, RunStats
from loadtest.loader import parse_scenario
from loadtest.scenario import Thresholds
from loadtest.summary import EXIT_BREACHED, EXIT_OK, build_summary
from loadtest.thresholds import Measures, evaluate
from loadtest.timings import LatencyHistogram

SCENARIO = """\
name: th
duration_s: 10
mix: {new_customer: 1}
load: {model: closed, users: 2}
shape: {type: steady}
thresholds:
  max_failure_ratio: 0.05
  min_request_rate: 5
  latency_ms:
    all: {p95_ms: 100}
    new_customer.apply: {p99_ms: 50}
    new_customer.quote: {p95_ms: 50}
"""


def _measures(failures: int, apply_ms: float) -> Measures:
    steps = {"new_customer.register": LatencyHistogram.of([10.0] * 99),
             "new_customer.apply": LatencyHistogram.of([20.0] * 98 + [apply_ms] * 2)}
    return Measures(requests=199, failures=failures, elapsed_s=10, iterations=99, scheduled=0, dropped=0,
                    steps=steps)


def test_all_within_limits_passes_and_a_step_without_samples_is_not_judged() -> None:
    results = evaluate(parse_scenario(SCENARIO).thresholds, _measures(failures=2, apply_ms=30))
    verdicts = {r.name: r.passed for r in results}
    assert verdicts == {"max_failure_ratio": True, "min_request_rate": True, "p95 of all": True,
                        "p99 of new_customer.apply": True, "p95 of new_customer.quote": None}


def test_breaches_say_which_threshold_and_what_was_measured() -> None:
    results = evaluate(parse_scenario(SCENARIO).thresholds, _measures(failures=60, apply_ms=819.2))
    breached = [r.message() for r in results if r.passed is False]
    assert breached == [
        "threshold max_failure_ratio: measured 0.3015 (60 of 199 requests failed), breaches limit 0.05",
        "threshold p99 of new_customer.apply: measured 819.2 ms, breaches limit 50 ms",
    ]


def test_a_run_that_sent_nothing_fails() -> None:
    empty = Measures(requests=0, failures=0, elapsed_s=5, iterations=0, scheduled=0, dropped=0, steps={})
    results = evaluate(Thresholds(max_failure_ratio=0.1, latency_ms={"all": {"p95_ms": 10}}), empty)
    assert [r.passed for r in results] == [False, False]


def test_the_summary_carries_the_verdict_the_exit_code_and_each_worker() -> None:
    scenario = parse_scenario(SCENARIO)
    run = RunStats()
    for worker, failed in (("w1", False), ("w2", True)):
        stats = ProcessStats()
        stats.journeys_started["new_customer"] += 1
        for _ in range(50):
            stats.record_request("new_customer.apply", 12.0, failed=failed, track="stable", version="1.0.0")
        run.merge(stats.drain(), worker_id=worker, worker_index=int(worker[1]) - 1)
    summary = build_summary(scenario, run, host="http://h", elapsed_s=10.0)
    assert summary.requests == 100 and summary.failures == 50
    assert [(w["worker_id"], w["requests"]) for w in summary.workers] == [("w1", 50), ("w2", 50)]
    assert summary.exit_code == EXIT_BREACHED and not summary.passed
    assert summary.breaches[0].startswith("threshold max_failure_ratio: measured 0.5")
    assert summary.tracks == {"stable": 100}
    assert summary.steps["new_customer.apply"]["p99_ms"] == 12.0
    passing = build_summary(scenario.model_copy(update={"thresholds": Thresholds()}), run, host="h", elapsed_s=1)
    assert passing.exit_code == EXIT_OK and passing.breaches == []


def test_exceptions_in_the_load_code_fail_the_run_even_within_thresholds() -> None:
    scenario = parse_scenario(SCENARIO).model_copy(update={"thresholds": Thresholds()})
    summary = build_summary(scenario, RunStats(), host="h", elapsed_s=1,
                            exceptions={"KeyError('loan_id')": 4})
    assert summary.exit_code == EXIT_BREACHED
    assert summary.breaches == ["load code raised 4 exception(s), e.g. KeyError('loan_id') "
                                "(see locust_exceptions.csv)"]
