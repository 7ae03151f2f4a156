"""The scrape provider over real HTTP /metrics endpoints."""

from __future__ import annotations

import socket

import pytest
from prometheus_client import CollectorRegistry, Counter, start_http_server

from release.analysis import (
    Analyzer,
    EndpointError,
    ProviderSpec,
    ScrapeProvider,
    build_provider,
    default_analysis,
    parse_exposition,
)


def test_snapshot_reads_only_v1_requests_of_the_track(live_services):
    provider = build_provider(ProviderSpec(), endpoints=live_services.endpoints)
    live_services.traffic(300)
    snap = provider.snapshot()
    for track, svc in live_services.services.items():
        t = snap.track(track)
        expected = sum(
            s.value for fam in svc.http.collect() for s in fam.samples
            if s.name.endswith("_count") and s.labels["http_route"].startswith("/v1/")
        )
        assert t.counter("requests") == expected > 0
        assert t.histogram("latency").count == expected
        assert t.counter("decisions") >= t.counter("declines") > 0
    assert snap.track("canary").counter("errors") > 0


def test_faulty_canary_fails_on_error_ratio_and_latency_over_http(live_services):
    analyzer = Analyzer(default_analysis(), build_provider(ProviderSpec(), endpoints=live_services.endpoints))
    analyzer.begin()
    failed = set()
    for _ in range(20):
        live_services.traffic(100)
        result = analyzer.evaluate()
        failed |= {v.metric for v in result.failed}
        if {"error-ratio", "latency"} <= failed:
            break
    assert {"error-ratio", "latency"} <= failed
    assert "approval-rate" not in failed and "apr" not in failed


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed on exit: nothing listens there


def test_unreachable_endpoint_is_a_provider_error_naming_the_track(live_services):
    endpoints = {"stable": live_services.endpoints["stable"], "canary": f"http://127.0.0.1:{_dead_port()}"}
    provider = ScrapeProvider(endpoints, timeout=1.0)
    with pytest.raises(EndpointError) as info:
        provider.snapshot()
    assert info.value.detail["track"] == "canary" and "canary" in str(info.value)


def test_wrong_path_is_a_provider_error(live_services):
    # prometheus-client serves metrics on every path; a 404 needs another real server.
    import http.server
    import threading

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoints = {"stable": live_services.endpoints["stable"],
                     "canary": f"http://127.0.0.1:{server.server_address[1]}/definitely-missing"}
        with pytest.raises(EndpointError) as info:
            ScrapeProvider(endpoints, timeout=2.0).snapshot()
        assert info.value.detail.get("status") == 404
    finally:
        server.shutdown()
        server.server_close()


def test_counter_reset_of_a_restarted_canary_counts_from_zero():
    reg = CollectorRegistry()
    c = Counter("lending_credit_decisions", "d", ["decision", "grade", "branch", "track"], registry=reg)
    server, _ = start_http_server(0, addr="127.0.0.1", registry=reg)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        c.labels("declined", "B", "1", "canary").inc(50)
        c.labels("approved", "B", "1", "stable").inc(40)
        analyzer = Analyzer(default_analysis(), ScrapeProvider({"stable": url, "canary": url}))
        analyzer.begin()
        # "Restart": the canary's series starts again from a smaller value.
        reg.unregister(c)
        c2 = Counter("lending_credit_decisions", "d", ["decision", "grade", "branch", "track"], registry=reg)
        c2.labels("declined", "B", "1", "canary").inc(5)
        c2.labels("approved", "B", "1", "stable").inc(45)
        result = analyzer.evaluate()
        totals = analyzer.totals()
        assert totals.track("canary").counter("declines") == 5  # not 5 - 50
        assert totals.track("stable").counter("decisions") == 5
        assert any("canary/declines" in n for n in result.notes)
    finally:
        server.shutdown()
        server.server_close()


def test_parse_exposition_filters_by_track_label():
    text = (
        "# TYPE lending_apr_outside_guardrail_total counter\n"
        'lending_apr_outside_guardrail_total{track="canary"} 3\n'
        'lending_apr_outside_guardrail_total{track="stable"} 1\n'
    )
    assert parse_exposition(text, "canary").counter("apr_outside") == 3
    assert parse_exposition(text, "stable").counter("apr_outside") == 1
