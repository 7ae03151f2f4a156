"""The Prometheus provider against a real Prometheus (Debian package) scraping real
/metrics endpoints every second; it must reach the same verdicts as the scrape provider."""

from __future__ import annotations

import math
import time

import pytest

from release.analysis import (
    AnalysisSpec,
    Analyzer,
    PrometheusError,
    PrometheusProvider,
    ProviderSpec,
    ScrapeProvider,
    build_provider,
    default_analysis,
)

pytestmark = pytest.mark.prometheus


def _same(a, b) -> bool:
    da, db = a.to_dict()["tracks"], b.to_dict()["tracks"]
    for track in ("stable", "canary"):
        ta, tb = da.get(track, {}), db.get(track, {})
        for k in set(ta.get("counters", {})) | set(tb.get("counters", {})):
            if ta["counters"].get(k, 0.0) != tb["counters"].get(k, 0.0):
                return False
        for k in set(ta.get("histograms", {})) | set(tb.get("histograms", {})):
            ha, hb = ta["histograms"].get(k), tb["histograms"].get(k)
            if ha is None or hb is None or ha["buckets"] != hb["buckets"] or ha["count"] != hb["count"]:
                return False
            if not math.isclose(ha["sum"], hb["sum"], rel_tol=1e-9, abs_tol=1e-9):
                return False
    return True


def _wait_synced(prom: PrometheusProvider, scrape: ScrapeProvider, *, deadline_s: float = 20.0) -> None:
    """Traffic is paused; wait until Prometheus has scraped what the endpoints show."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if _same(prom.snapshot(), scrape.snapshot()):
            return
        time.sleep(0.3)
    raise AssertionError("Prometheus did not catch up with the endpoints")


def test_both_providers_reach_the_same_verdicts(live_services, prometheus_for):
    live_services.traffic(200)
    prom_server = prometheus_for(live_services.endpoints)
    scrape = build_provider(ProviderSpec(), endpoints=live_services.endpoints)
    prom = build_provider(ProviderSpec(prometheus={"url": prom_server.url}), endpoints={})
    assert isinstance(prom, PrometheusProvider) and isinstance(scrape, ScrapeProvider)
    _wait_synced(prom, scrape)
    by_scrape, by_prom = Analyzer(default_analysis(), scrape), Analyzer(default_analysis(), prom)
    by_scrape.begin()
    by_prom.begin()
    for _ in range(4):
        live_services.traffic(300)
        _wait_synced(prom, scrape)
        rs, rp = by_scrape.evaluate(), by_prom.evaluate()
        assert rs.decision == rp.decision
        for vs, vp in zip(rs.verdicts, rp.verdicts):
            assert (vs.metric, vs.decision, vs.critical) == (vp.metric, vp.decision, vp.critical)
            assert vs.canary["n"] == vp.canary["n"] and vs.stable["n"] == vp.stable["n"]
            assert vs.statistic == pytest.approx(vp.statistic, rel=1e-9)
    assert rs.decision == "fail"
    assert {"error-ratio", "latency"} <= {v.metric for v in rp.failed}
    v = rp.verdict("error-ratio")
    assert 'track="canary"' in v.query and 'http_response_status_code=~"5.."' in v.query


def test_threshold_metric_runs_templated_promql(live_services, prometheus_for):
    # Series must exist before the window starts: increase() of a series born inside the
    # window is 0 (a Prometheus property), so the services have history, as real ones do.
    live_services.traffic(300)
    prom_server = prometheus_for(live_services.endpoints)
    ratio = ('sum(increase(http_server_request_duration_seconds_count{track="{{track}}",'
             'http_route=~"/v1/.*",http_response_status_code=~"5.."}[{{window}}])) / '
             'sum(increase(http_server_request_duration_seconds_count{track="{{track}}",'
             'http_route=~"/v1/.*"}[{{window}}]))')
    spec = AnalysisSpec.model_validate({
        "provider": {"prometheus": {"url": prom_server.url}},
        "metrics": [
            {"name": "error-share", "query": ratio, "max": 0.02, "minSamples": 20},
            {"name": "rare", "query": ratio, "max": 0.02, "minSamples": 100000},
        ],
    })
    provider = build_provider(spec.provider, endpoints={})
    scrape = ScrapeProvider(live_services.endpoints)
    _wait_synced(provider, scrape)
    analyzer = Analyzer(spec, provider)
    analyzer.begin()
    live_services.traffic(600)
    _wait_synced(provider, scrape)
    time.sleep(1.5)  # increase() needs a sample after the traffic inside the window
    result = analyzer.evaluate()
    v = result.verdict("error-share")
    assert v.judge == "threshold" and 'track="canary"' in v.query and "{{" not in v.query
    assert v.decision == "fail" and v.statistic > 0.02, v
    rare = result.verdict("rare")
    assert rare.decision == "inconclusive" and "not enough data" in rare.explanation


def test_prometheus_errors_are_provider_errors(live_services, prometheus_for):
    prom_server = prometheus_for(live_services.endpoints)
    provider = PrometheusProvider(prom_server.url)
    with pytest.raises(PrometheusError) as info:
        provider.query("sum(")
    assert info.value.detail["status"] == 400 and info.value.detail["query"] == "sum("
    dead = PrometheusProvider("http://127.0.0.1:9", timeout=1.0)
    with pytest.raises(PrometheusError):
        dead.snapshot()
