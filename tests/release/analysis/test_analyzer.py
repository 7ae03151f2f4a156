"""The analyzer on synthetic stable/canary services (real prometheus-client registries
parsed by the scrape provider's parser): each fault is caught by the right metric, good
canaries pass, little data stays inconclusive."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from release.analysis import (
    AnalysisSpec,
    Analyzer,
    SpecError,
    TemplateError,
    default_analysis,
)

from .streams import Build, Pair


def _run(canary: Build, *, weight: float = 0.3, batches: int = 40, batch: int = 50, seed: int = 5,
         spec: AnalysisSpec | None = None):
    pair = Pair(Build(), canary, weight=weight, seed=seed)
    analyzer = Analyzer(spec or default_analysis(), pair)
    pair.traffic(200)  # history before the analysis began must not count
    analyzer.begin()
    first_fail = None
    result = None
    for k in range(batches):
        pair.traffic(batch)
        result = analyzer.evaluate()
        if result.decision == "fail":
            first_fail = (k + 1) * batch
            break
    return result, first_fail, analyzer


@pytest.mark.parametrize(
    "canary,metric",
    [
        (Build(error_rate=0.05), "error-ratio"),
        (Build(latency=0.212), "latency"),
        (Build(apr_mean=1050), "apr"),
        (Build(decline_share=0.3 + 0.4), "approval-rate"),
        (Build(decline_share=0.05), "approval-rate"),
        (Build(grade_weights=(0.05, 0.25, 0.7)), "approval-rate"),  # scoring drift: same approvals, worse grades
        (Build(cap_share=0.25), "granted-line"),
    ],
)
def test_each_fault_is_rolled_back_by_the_right_metric(canary, metric):
    result, first_fail, _ = _run(canary)
    assert result.decision == "fail" and first_fail is not None, result.reason
    assert result.failed[0].metric == metric, result.reason
    assert result.reason.startswith(metric + ":")
    assert not result.critical


def test_apr_outside_the_guardrail_is_critical_at_once():
    result, _, _ = _run(Build(apr_outside_share=0.5), batches=10)
    assert result.decision == "fail" and result.critical
    assert result.failed[0].metric == "apr-guardrail"
    v = result.verdict("apr-guardrail")
    assert v.judge == "guardrail" and v.canary["outside"] >= 1


def test_good_canary_passes_and_faster_canary_passes():
    # Plenty of data, with errors on both tracks: every metric can be shown equivalent.
    stable = Build(error_rate=0.02)
    for build in (stable, Build(error_rate=0.02, latency=0.004)):
        pair = Pair(stable, build, weight=0.5, seed=5)
        analyzer = Analyzer(default_analysis(), pair)
        analyzer.begin()
        result = None
        for _ in range(40):
            pair.traffic(500)
            result = analyzer.evaluate()
            assert result.decision != "fail", result.reason
            if result.decision == "pass":
                break
        assert result is not None and result.decision == "pass", result.reason
        assert {v.decision for v in result.verdicts} == {"pass"}
        assert all(v.canary["equivalence_e"] >= 100 for v in result.verdicts if v.judge != "guardrail")


def test_little_data_without_a_regression_is_keep_watching_not_pass():
    # A good canary on a few hundred requests has not been *shown* equivalent: passing it
    # would also pass a 5 %-error canary on the same data, which sits below the bar too.
    for build in (Build(), Build(error_rate=0.05)):
        result, first_fail, _ = _run(build, batches=3, batch=100)
        assert first_fail is None, result.reason
        assert result.decision == "inconclusive", result.reason
        assert "keep watching" in result.reason


def test_three_requests_are_inconclusive_never_fail():
    pair = Pair(Build(), Build(error_rate=1.0, latency=2.0), weight=0.5, seed=9)
    analyzer = Analyzer(default_analysis(), pair)
    analyzer.begin()
    pair.services["canary"].request()
    pair.services["canary"].request()
    pair.services["canary"].request()
    pair.traffic(0)
    for _ in range(3):
        result = analyzer.evaluate()
        assert result.decision == "inconclusive"
    v = result.verdict("error-ratio")
    assert v.decision == "inconclusive" and "not enough data" in v.explanation
    assert v.canary["n"] == 3


def test_verdicts_are_explained_and_serialisable():
    result, _, analyzer = _run(Build(error_rate=0.05))
    v = result.verdict("error-ratio")
    assert "http_server_request_duration_seconds_count" in v.query
    assert v.canary["n"] > 0 and v.stable["n"] > 0 and v.canary["error_ratio"] > v.stable["error_ratio"]
    # α=0.01 split over the statistical metrics; error-ratio's share is 1/4: the bar is 400.
    assert v.statistic >= v.threshold == pytest.approx(400)
    assert "e-value" in v.explanation and "≥ 400 (α=0.01, this metric's share 0.25)" in v.explanation
    assert v.canary["value"] == v.canary["error_ratio"]
    json.dumps(result.to_dict())
    json.dumps(analyzer.state())


def test_state_round_trip_continues_the_same_test():
    pair = Pair(Build(), Build(error_rate=0.05), weight=0.3, seed=11)
    a = Analyzer(default_analysis(), pair)
    a.begin()
    pair.traffic(300)
    a.evaluate()
    state = json.loads(json.dumps(a.state()))
    b = Analyzer.restore(default_analysis(), pair, state)
    pair.traffic(300)
    ra, rb = a.evaluate(), b.evaluate()
    assert ra.to_dict() == rb.to_dict()


def test_counter_reset_is_reported_not_negative():
    pair = Pair(Build(), Build(), weight=0.5, seed=12)
    a = Analyzer(default_analysis(), pair)
    pair.traffic(400)
    a.begin()
    # The canary process restarts: a fresh registry starts from zero.
    import random

    from .streams import Service

    pair.services["canary"] = Service("canary", Build(), random.Random(99))
    pair.traffic(100)
    result = a.evaluate()
    assert any("counter reset on canary" in n for n in result.notes)
    for v in result.verdicts:
        assert v.canary["n"] >= 0
    assert result.verdict("error-ratio").canary["n"] == pytest.approx(
        a.totals().track("canary").counter("requests"))


def test_threshold_metrics_need_prometheus_and_known_template_keys():
    spec = AnalysisSpec.model_validate(
        {"metrics": [{"name": "p99", "query": 'x{track="{{track}}"}', "max": 0.5}]})
    with pytest.raises(SpecError):
        Analyzer(spec, Pair(Build(), Build()))

    class WithQueries(Pair):
        def scalar(self, promql, *, at=None):
            return 0.1

    bad = AnalysisSpec.model_validate(
        {"metrics": [{"name": "p99", "query": 'x{track="{{track}}",ns="{{namespace}}"}', "max": 0.5}]})
    with pytest.raises(TemplateError) as info:
        Analyzer(bad, WithQueries(Build(), Build()))
    assert info.value.key == "namespace"


def test_spec_parses_camel_case_and_rejects_unknown_fields():
    spec = AnalysisSpec.model_validate({"interval": "1m30s", "minSamples": 50, "provider": {"prometheus": {}}})
    assert spec.interval_seconds == 90 and spec.min_samples == 50 and spec.provider.kind == "prometheus"
    with pytest.raises(ValidationError):
        AnalysisSpec.model_validate({"intervall": "5s"})
    with pytest.raises(ValidationError):
        AnalysisSpec.model_validate({"metrics": [{"name": "nope"}]})
    assert default_analysis().builtins() == ["error-ratio", "latency", "approval-rate", "apr",
                                             "granted-line", "apr-guardrail"]
    off = AnalysisSpec.model_validate({"metrics": [{"name": "approval-rate", "enabled": False}]})
    assert "approval-rate" not in off.builtins()


def test_intervals_merge_at_one_weight_and_split_when_the_weight_changes():
    pair = Pair(Build(), Build(), weight=0.1, seed=13)
    a = Analyzer(default_analysis(), pair)
    a.begin()
    for _ in range(10):
        pair.traffic(100)
        a.evaluate()
    assert len(a.state()["intervals"]) == 1
    pair.weight = 0.6
    for _ in range(5):
        pair.traffic(100)
        a.evaluate()
    assert len(a.state()["intervals"]) == 2


def test_alpha_shares_of_the_enabled_metrics_sum_to_one():
    for spec in (default_analysis(),
                 AnalysisSpec.model_validate({"metrics": [{"name": "apr", "enabled": False},
                                                          {"name": "latency", "enabled": False}]})):
        a = Analyzer(spec, Pair(Build(), Build()))
        shares = [a.settings(n).share for n in spec.builtins() if n != "apr-guardrail"]
        assert sum(shares) == pytest.approx(1.0)
    assert Analyzer(default_analysis(), Pair(Build(), Build())).settings("apr").bar == pytest.approx(800)
