"""The console's Prometheus mode against a real Prometheus scraping the two services."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitoring.console import ConsoleSettings, create_console
from tests.monitoring.integration.prometheus import PROMETHEUS, start_prometheus

from .conftest import Services

pytestmark = [pytest.mark.prometheus,
              pytest.mark.skipif(PROMETHEUS is None, reason="prometheus (Debian package) is not installed")]


def test_numbers_come_from_promql_by_track(services: Services, tmp_path: Path) -> None:
    # Every series exists before the first scrape, so rate() sees all of the later traffic.
    services.drive("stable", 4)
    services.drive("canary", 4)
    prom = start_prometheus(tmp_path / "prom", targets={t: u.removeprefix("http://") for t, u in services.urls.items()})
    try:
        def scraped_twice() -> bool:
            seen = prom.by_track("count_over_time(lending_build_info[1m])")
            return len(seen) == 2 and min(seen.values()) >= 2

        prom.wait_for("a second scrape of both", scraped_twice)
        services.drive("stable", 6)
        services.drive("canary", 8)
        client = create_console(ConsoleSettings(prometheus_url=prom.url, window_s=60,
                                                targets=(("stable", "x"), ("canary", "y")))).test_client()

        def both() -> dict[str, dict] | None:
            body = client.get("/api/tracks").get_json()
            tracks = {t["track"]: t for t in body["tracks"]}
            ready = all((tracks.get(t) or {}).get("error_ratio") is not None and tracks[t]["requests"] >= 10
                        for t in ("stable", "canary"))
            return tracks if ready and (tracks["canary"]["error_ratio"] or 0) > 0 else None

        tracks = prom.wait_for("the new traffic in PromQL", both)
        stable, canary = tracks["stable"], tracks["canary"]
        assert (stable["version"], canary["version"]) == ("1.0.0", "1.1.0")
        assert stable["source"] == "prometheus" and stable["up"] and stable["basis"] == "last 60s"
        assert stable["error_ratio"] == 0.0 and 0.05 < canary["error_ratio"] < 0.25
        assert stable["request_rate"] > 0 and 0 < canary["p99_s"] <= 2.5
        assert 0 < stable["approval_rate"] < 1
        source = client.get("/api/tracks").get_json()["source"]
        assert source["kind"] == "prometheus" and "histogram_quantile(0.99" in source["queries"]["p99_s"]
    finally:
        prom.stop()


def test_prometheus_down_marks_every_track_down() -> None:
    from tests.procs import free_port

    client = create_console(ConsoleSettings(prometheus_url=f"http://127.0.0.1:{free_port()}",
                                            targets=(("stable", "x"),))).test_client()
    tracks = client.get("/api/tracks").get_json()["tracks"]
    assert [(t["track"], t["up"]) for t in tracks] == [("stable", False)] and "ConnectionError" in tracks[0]["error"]
