"""The console's JSON endpoints against real services, a real span store and a status
file in the controller's format (no browser)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitoring.console import (
    ConsoleConfigError,
    ConsoleSettings,
    Counters,
    ScrapeSource,
    create_console,
    parse_target,
    quantile,
)

from .conftest import APPLY, Services


def _settings(services: Services, status: Path | None = None) -> ConsoleSettings:
    return ConsoleSettings(targets=tuple(parse_target(f"{t}={u}") for t, u in services.urls.items()),
                           spans_url=ConsoleSettings.spans(str(services.spans)), status_path=status)


def test_status_shows_phase_weight_cohort_and_explained_verdicts(tmp_path: Path, status_file: Path) -> None:
    app = create_console(ConsoleSettings(status_path=status_file))
    body = app.test_client().get("/api/status").get_json()
    assert body["available"] and body["phase"] == "rolling_back" and body["name"] == "checkout"
    assert body["weight"] == 0 and body["cohort"] == ["522629", "522631"] and body["step"] == 1
    assert (body["stable"], body["canary"], body["decision"]) == ("1.0.0", "1.1.0", "fail")
    first, second = body["verdicts"]
    assert first["metric"] == "error-rate" and first["decision"] == "fail" and first["critical"]
    assert "25.0%" in first["explanation"] and second["decision"] == "inconclusive"
    assert body["history"][0]["type"] == "rollback"  # newest first
    # The flat `lendops release status --json` shape reads the same.
    flat = json.loads(status_file.read_text())["state"] | {"steps": 3, "step_description": "weight 20%"}
    flat_file = tmp_path / "status.json"
    flat_file.write_text(json.dumps(flat))
    body = create_console(ConsoleSettings(status_path=flat_file)).test_client().get("/api/status").get_json()
    assert body["phase"] == "rolling_back" and body["steps"] == 3 and body["verdicts"][0]["metric"] == "error-rate"


def test_status_file_missing_or_broken_is_said_not_raised(tmp_path: Path) -> None:
    client = create_console(ConsoleSettings(status_path=tmp_path / "nope.json")).test_client()
    body = client.get("/api/status").get_json()
    assert body == {"available": False, "message": f"no rollout status at {tmp_path / 'nope.json'} yet"}
    (tmp_path / "bad.json").write_text("{not json")
    body = create_console(ConsoleSettings(status_path=tmp_path / "bad.json")).test_client().get("/api/status").get_json()
    assert body["available"] is False and "cannot read" in body["message"]


def test_tracks_numbers_come_from_real_scrapes(services: Services) -> None:
    clock = {"t": 1000.0}
    source = ScrapeSource(dict(_settings(services).targets), clock=lambda: clock["t"], min_interval_s=0)
    app = create_console(_settings(services), metrics=source)
    client = app.test_client()
    services.drive("stable", 6)
    services.drive("canary", 8)
    first = {t["track"]: t for t in client.get("/api/tracks").get_json()["tracks"]}
    # One scrape: no rate yet, ratios since the process started.
    assert first["stable"]["request_rate"] is None and first["stable"]["basis"] == "since start"
    assert first["stable"]["requests"] == 12 and first["stable"]["error_ratio"] == 0.0
    assert first["canary"]["requests"] == 16 and first["canary"]["error_ratio"] == pytest.approx(2 / 16)
    assert first["stable"]["version"] == "1.0.0" and first["canary"]["version"] == "1.1.0"
    assert first["stable"]["approval_rate"] == pytest.approx(4 / 6)
    services.drive("canary", 4)
    clock["t"] += 10
    second = {t["track"]: t for t in client.get("/api/tracks").get_json()["tracks"]}
    assert second["canary"]["request_rate"] == pytest.approx(8 / 10)  # 4 applications + 4 quotes in 10 s
    assert second["canary"]["basis"] == "last 10 s" and second["canary"]["requests"] == 8
    assert second["canary"]["error_ratio"] == pytest.approx(1 / 8)
    assert second["stable"]["request_rate"] == 0.0 and second["stable"]["basis"] == "since start"
    assert 0 < second["canary"]["p99_s"] <= 2.5 and second["canary"]["up"]


def test_a_target_that_goes_away_is_shown_down_with_its_last_numbers(services: Services) -> None:
    from tests.procs import free_port

    targets = {"stable": services.urls["stable"] + "/metrics", "gone": f"http://127.0.0.1:{free_port()}/metrics"}
    numbers = {n.track: n for n in ScrapeSource(targets, timeout_s=1).numbers()}
    assert numbers["stable"].up and not numbers["gone"].up and "ConnectionError" in (numbers["gone"].error or "")


def test_traces_list_filters_and_waterfall_nests_spans(services: Services) -> None:
    services.drive("stable", 2)
    services.drive("canary", 4)
    services.flush()
    client = create_console(_settings(services)).test_client()
    traces = client.get(f"/api/traces?route={APPLY}").get_json()["traces"]
    assert len(traces) == 6 and {t["track"] for t in traces} == {"stable", "canary"}
    failed = client.get("/api/traces?error=true").get_json()["traces"]
    assert len(failed) == 1 and failed[0]["track"] == "canary" and failed[0]["error"]
    canary = client.get("/api/traces?track=canary&error=false&route=" + APPLY).get_json()["traces"]
    assert len(canary) == 3
    assert client.get("/api/traces?min_duration_ms=100000").get_json()["traces"] == []
    ok = next(t for t in traces if not t["error"])
    w = client.get(f"/api/waterfall/{ok['trace_id']}").get_json()
    rows = {r["name"]: r for r in w["rows"]}
    server = rows[f"POST {APPLY}"]
    assert server["depth"] == 0 and rows["credit.score"]["depth"] == 1 and rows["credit.line"]["depth"] == 2
    assert rows["credit.line"]["parent_span_id"] == rows["credit.score"]["span_id"]
    assert [r["name"] for r in w["rows"]] == [f"POST {APPLY}", "credit.score", "credit.line", "credit.price"]
    assert rows["credit.price"]["offset_ms"] >= rows["credit.line"]["offset_ms"] + rows["credit.line"]["duration_ms"] - 0.01
    assert server["left_pct"] == 0 and server["width_pct"] == pytest.approx(100, abs=0.01)
    assert rows["credit.score"]["attributes"] == {"lending.grade": "B"}
    assert client.get("/api/waterfall/" + "0" * 32).status_code == 404
    bad = client.get("/api/waterfall/xyz")
    assert bad.status_code == 400 and bad.content_type == "application/problem+json"


def test_page_is_self_contained(services: Services) -> None:
    client = create_console(_settings(services)).test_client()
    page = client.get("/").get_data(as_text=True)
    assert "/static/console.js" in page and "http" not in page.replace("http-equiv", "")
    js = client.get("/static/console.js").get_data(as_text=True)
    assert "innerHTML" not in js and "http://" not in js and "https://" not in js


def test_without_sources_the_endpoints_say_what_is_missing() -> None:
    client = create_console(ConsoleSettings()).test_client()
    assert "--target" in client.get("/api/tracks").get_json()["message"]
    response = client.get("/api/traces")
    assert response.status_code == 503 and "--spans" in response.get_json()["detail"]
    assert "--rollout-status" in client.get("/api/status").get_json()["message"]


def test_settings_refuse_what_cannot_work() -> None:
    for bad in ("stable", "Stable=http://x", "stable=ftp://x"):
        with pytest.raises(ConsoleConfigError):
            parse_target(bad)
    assert parse_target("canary=http://127.0.0.1:9/") == ("canary", "http://127.0.0.1:9/metrics")
    with pytest.raises(ConsoleConfigError):
        ConsoleSettings(targets=(("a", "http://x/metrics"), ("a", "http://y/metrics")))


def test_quantile_matches_prometheus_histogram_quantile() -> None:
    buckets = ((0.1, 50.0), (0.25, 90.0), (0.5, 100.0), (float("inf"), 100.0))
    assert quantile(0.5, buckets) == pytest.approx(0.1)
    assert quantile(0.99, buckets) == pytest.approx(0.25 + 0.25 * (99 - 90) / 10)
    assert quantile(0.99, ((0.1, 0.0), (float("inf"), 0.0))) is None
    assert quantile(0.99, ((0.1, 0.0), (float("inf"), 5.0))) == 0.1
    # A counter reset (restart) counts the new value as the whole increase.
    assert Counters(requests=3).minus(Counters(requests=10)).requests == 3


def test_the_consoles_own_scrapes_are_not_traced(services: Services) -> None:
    # In this process `requests` is instrumented (the services trace); a console embedded
    # beside traced services (the demo) must not fill the store with its polling.
    source = ScrapeSource(dict(_settings(services).targets), min_interval_s=0)
    for _ in range(3):
        assert all(n.up for n in source.numbers())
    services.flush()
    client = create_console(_settings(services)).test_client()
    assert client.get("/api/traces").get_json()["traces"] == []
