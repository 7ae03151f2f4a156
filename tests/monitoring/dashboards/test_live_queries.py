"""Every panel query against real data: a real Prometheus (1 s scrapes, the exported
rules loaded) scraping a stable and a canary lending service driven through the credit
path by the client SDK (with client telemetry), and a rollout controller's self-metrics.

promtool proves the queries parse; this proves they name real series and labels (a
`route` where the series has `http_route`, a bucket bound spelt differently) and that
per-track panels see both tracks."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from monitoring.client import LendingClient
from monitoring.dashboards import build_dashboards, panel_queries
from monitoring.prober import JourneySettings, walk
from monitoring.rules import export_rules
from tests.monitoring.integration.prometheus import start_prometheus
from tests.procs import create_token, start_lending_service

pytestmark = [pytest.mark.slow, pytest.mark.prometheus,
              pytest.mark.skipif(shutil.which("prometheus") is None, reason="prometheus (Debian) is not installed")]

# Panels that are empty in a healthy short run, and why.
EMPTY_WHEN_HEALTHY = {
    "Firing lending alerts": "no alert fires",
    "Idempotent replays": "the journeys replay no request",
}


def _concrete(expr: str) -> str:
    # A 1 s scrape interval: 30 s holds enough samples for every rate.
    return expr.replace("$__rate_interval", "30s").replace('track=~"$track"', 'track=~".*"')


def _rollout_metrics():  # type: ignore[no-untyped-def]
    from release.controller.metrics import RolloutMetrics
    from release.engine import RolloutState
    from tests.monitoring.console.conftest import rollout_document

    state = RolloutState.from_dict(rollout_document()["state"])
    metrics = RolloutMetrics()
    metrics.update(state, now=time.time())
    metrics.observe(state.name, state.last_result or {})
    return metrics


def test_every_panel_query_returns_data_for_both_tracks(seeded_sqlite_url: str, tmp_path: Path) -> None:
    token = create_token(seeded_sqlite_url, "manager", branch="522629")
    rules = export_rules(tmp_path / "rules")
    controller = _rollout_metrics()
    port = controller.serve(0)
    with start_lending_service(db_url=seeded_sqlite_url) as stable, \
            start_lending_service(db_url=seeded_sqlite_url, version="1.1.0", track="canary") as canary:
        def journeys(n: int) -> None:
            for svc in (stable, canary):
                with LendingClient(svc.base_url, token, branch_code="522629") as client:
                    for _ in range(n):
                        assert walk(client, JourneySettings(disburse_timeout_s=20)).ok
                    assert client.telemetry is not None and client.telemetry.flush(10.0)

        journeys(1)  # every series exists before Prometheus' first scrape
        prom = start_prometheus(tmp_path / "prom", rule_files=rules, targets={
            "stable": f"127.0.0.1:{stable.port}", "canary": f"127.0.0.1:{canary.port}",
            "controller": f"127.0.0.1:{port}"})
        try:
            def scraped_twice() -> bool:
                seen = prom.by_track("count_over_time(lending_build_info[1m])")
                return len(seen) == 2 and min(seen.values()) >= 2

            prom.wait_for("two scrapes of both tracks", scraped_twice)
            journeys(2)
            prom.wait_for("the new journeys", lambda: len(prom.by_track(
                'sum by (track) (increase(lending_credit_decisions_total[30s])) > 0')) == 2)
            # Recording rules evaluated on the new samples (a fixed sleep was too short
            # when the machine was busy).
            prom.wait_for("recording rules on the new samples", lambda: len(prom.by_track(
                "track:lending_approval:ratio_rate30m")) == 2 and len(prom.by_track(
                "track:lending_api_errors:ratio_rate5m")) == 2)
            time.sleep(1)
            empty, one_track, checked, per_track = [], [], 0, 0
            for board in build_dashboards():
                for title, ref, expr in panel_queries(board.model):
                    result = prom.query(_concrete(expr))
                    checked += 1
                    if not result:
                        if title not in EMPTY_WHEN_HEALTHY:
                            empty.append(f"{board.title} / {title} / {ref}: {expr}")
                        continue
                    fixed = re.search(r'track="(\w+)"', expr)
                    if "lending_" in expr and "track" in expr and not fixed:
                        per_track += 1
                        tracks = {r["metric"].get("track") for r in result}
                        if tracks != {"stable", "canary"}:
                            one_track.append(f"{board.title} / {title} / {ref}: {sorted(map(str, tracks))}")
            assert empty == []
            assert one_track == []
            assert checked >= 50 and per_track >= 30, (checked, per_track)
        finally:
            prom.stop()
            controller.close()
