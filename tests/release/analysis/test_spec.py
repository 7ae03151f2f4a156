"""The analysis spec, templates and provider construction (no network)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from release.analysis import (
    AnalysisSpec,
    PrometheusProvider,
    ProviderSpec,
    ScrapeProvider,
    SpecError,
    TemplateError,
    build_provider,
    format_duration,
    parse_duration,
    render_template,
)


@pytest.mark.parametrize("text,seconds", [("5s", 5), ("1m", 60), ("1m30s", 90), ("500ms", 0.5), ("1h", 3600), (2, 2)])
def test_durations_parse_like_go(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("bad", ["", "5", "5 minutes", "-1s", 0, True])
def test_bad_durations_are_rejected(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_durations_format_for_promql():
    assert [format_duration(x) for x in (5, 60, 90, 0.5, 3600)] == ["5s", "1m", "90s", "500ms", "1h"]


def test_template_names_the_missing_key():
    assert render_template('x{track="{{ track }}"}[{{interval}}]', {"track": "canary", "interval": "5s"}) == \
        'x{track="canary"}[5s]'
    with pytest.raises(TemplateError) as info:
        render_template("x{ns='{{namespace}}'}", {"track": "canary"})
    assert info.value.key == "namespace" and "namespace" in str(info.value)
    assert info.value.to_dict()["key"] == "namespace"


def test_provider_spec_is_exactly_one_kind():
    assert ProviderSpec.model_validate({}).kind == "scrape"
    assert ProviderSpec.model_validate("prometheus").kind == "prometheus"
    with pytest.raises(ValueError):
        ProviderSpec.model_validate({"scrape": {}, "prometheus": {}})


def test_build_provider_picks_the_kind_and_keeps_overrides():
    p = build_provider(ProviderSpec.model_validate(
        {"prometheus": {"url": "http://127.0.0.1:9999/", "queries": {"requests": 'sum(my_requests{track="{{track}}"})'}}}),
        endpoints={})
    assert isinstance(p, PrometheusProvider) and p.url == "http://127.0.0.1:9999"
    assert p.resolved("requests", "canary") == 'sum(my_requests{track="canary"})'
    assert 'track="stable"' in p.resolved("errors", "stable")
    s = build_provider(AnalysisSpec(), endpoints={"stable": "http://a", "canary": "http://b"})
    assert isinstance(s, ScrapeProvider)
    with pytest.raises(SpecError):
        PrometheusProvider("http://x", queries={"nope": "up"})


def test_threshold_metric_needs_a_bound_and_a_new_name():
    with pytest.raises(ValueError):
        AnalysisSpec.model_validate({"metrics": [{"name": "p99", "query": "up"}]})
    with pytest.raises(ValueError):
        AnalysisSpec.model_validate({"metrics": [{"name": "latency", "query": "up", "max": 1}]})
    with pytest.raises(ValueError):
        AnalysisSpec.model_validate({"metrics": [{"name": "p99", "query": "up", "max": 1},
                                                 {"name": "p99", "query": "up", "max": 2}]})
    spec = AnalysisSpec.model_validate({"metrics": [{"name": "p99", "query": "up", "max": 1, "minSamples": 5}]})
    assert [m.name for m in spec.thresholds()] == ["p99"] and spec.thresholds()[0].min_samples == 5
