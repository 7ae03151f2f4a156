from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from monitoring.dashboards import (
    BOARDS,
    build_dashboards,
    export_dashboards,
    panel_queries,
    promql_for_check,
)
from monitoring.dashboards.cli import dashboards as dashboards_cli
from monitoring.probe import names
from monitoring.rules import build_groups

PROMTOOL = shutil.which("promtool")


@pytest.fixture(scope="module")
def boards():  # type: ignore[no-untyped-def]
    return {b.title: b for b in build_dashboards()}


def _validator(schema: dict[str, Any]) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(schema)


def test_export_writes_one_json_per_dashboard(tmp_path: Path) -> None:
    result = CliRunner().invoke(dashboards_cli, ["export", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "out").glob("*.json"))
    assert len(files) == len(BOARDS) == 3
    titles = {json.loads(f.read_text())["title"] for f in files}
    assert titles == {"Canary release", "Credit path SLO", "Client view"}
    assert sorted(result.output.split()) == [str(f) for f in files]


def test_every_dashboard_is_valid_grafana_11_6_json(tmp_path: Path, dashboard_schema: dict[str, Any]) -> None:
    validator = _validator(dashboard_schema)
    for path in export_dashboards(tmp_path):
        model = json.loads(path.read_text())
        errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(model)]
        assert errors == [], path.name


def test_the_schema_would_catch_a_misspelt_field(boards, dashboard_schema: dict[str, Any]) -> None:
    # Guards the test above: an over-lenient schema (anyOf, additionalProperties) would pass anything.
    validator = _validator(dashboard_schema)
    model = copy.deepcopy(boards["Canary release"].model)
    model["refreshh"] = "10s"
    assert list(validator.iter_errors(model))
    model = copy.deepcopy(boards["Canary release"].model)
    model["panels"][3]["gridPoss"] = {"x": 0}
    assert list(validator.iter_errors(model))


def test_variables_and_panels_read_the_datasource_and_track(boards) -> None:
    for board in boards.values():
        variables = {v["name"]: v for v in board.model["templating"]["list"]}
        assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
        assert variables["track"]["includeAll"] and variables["track"]["multi"]
        ids = [p["id"] for p in board.model["panels"]]
        assert len(ids) == len(set(ids)) and all(i > 0 for i in ids)
        for panel in board.model["panels"]:
            if panel["type"] == "row":
                continue
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
            refs = [t["refId"] for t in panel["targets"]]
            assert refs and len(refs) == len(set(refs)) and all(refs), panel["title"]
        for title, _ref, expr in panel_queries(board.model):
            # Lending series are per track; only the controller's own metrics and ALERTS are not.
            if "lending_" in expr and "track=" not in expr:
                assert re.search(r'track="(stable|canary)"', expr), (board.title, title, expr)


def test_canary_dashboard_covers_what_an_sre_watches(boards) -> None:
    model = boards["Canary release"].model
    titles = {p["title"] for p in model["panels"]}
    for title in ("Request rate", "Error ratio (5xx)", "Latency p50 / p99", "Approval rate", "Mean granted line (CNY)",
                  "Share of lines at the 50,000 CNY cap", "APR distribution: stable", "APR distribution: canary",
                  "Build info", "Canary weight", "Phase", "Verdicts by metric and decision"):
        assert title in titles, title
    exprs = " ".join(e for _t, _r, e in panel_queries(model))
    for metric in (names.HTTP_DURATION, names.CREDIT_DECISIONS, names.GRANTED_LINE, names.APR, names.BUILD_INFO,
                   "lendops_rollout_canary_weight", "lendops_rollout_phase", "lendops_rollout_verdicts_total"):
        assert metric in exprs, metric
    phase = next(p for p in model["panels"] if p["title"] == "Phase")
    assert phase["options"]["textMode"] == "name"  # the phase is the label, not the value 1
    for panel in model["panels"]:
        if panel["type"] == "stat":
            assert panel["options"]["reduceOptions"]["calcs"] == ["lastNotNull"], panel["title"]
    heatmaps = [p for p in model["panels"] if p["type"] == "heatmap"]
    assert {t["format"] for p in heatmaps for t in p["targets"]} == {"heatmap"}
    # The cap share reads the bucket bound just below 50,000 CNY exactly as Prometheus exposes it.
    assert 'le="4.99e+06"' in exprs


def test_slo_dashboard_reads_the_series_the_burn_rate_alerts_use(boards) -> None:
    recorded = {r.record for g in build_groups() for r in g.recordings}
    model = boards["Credit path SLO"].model
    used = {m for _t, _r, e in panel_queries(model) for m in re.findall(r"\b(track:[a-z0-9_:]+)", e)}
    assert used and used <= recorded, used - recorded
    burn = [t for t, _r, e in panel_queries(model) if "lending_slo_" in e]
    assert "Availability burn rate" in burn and "Latency burn rate" in burn
    exprs = " ".join(e for _t, _r, e in panel_queries(model))
    assert names.DISBURSEMENTS_STUCK in exprs and names.DISBURSEMENT_DURATION in exprs


def test_client_view_puts_client_latency_next_to_the_server(boards) -> None:
    model = boards["Client view"].model
    for panel in model["panels"]:
        if panel["title"].startswith("p99 latency: client and server"):
            exprs = [t["expr"] for t in panel["targets"]]
            assert any(names.CLIENT_DURATION in e for e in exprs) and any(names.HTTP_DURATION in e for e in exprs)
            break
    else:
        pytest.fail("no client/server p99 panel")


@pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian prometheus) is not installed")
def test_every_panel_query_is_valid_promql(tmp_path: Path, boards) -> None:
    rules = []
    for board in boards.values():
        for i, (_title, _ref, expr) in enumerate(panel_queries(board.model)):
            rules.append({"record": f"lendops:dashboard_check:{board.uid.replace('-', '_')}_{i}",
                          "expr": promql_for_check(expr)})
    path = tmp_path / "panels.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    proc = subprocess.run([PROMTOOL, "check", "rules", str(path)], check=False, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"SUCCESS: {len(rules)} rules found" in proc.stdout
    assert len(rules) >= 40


@pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian prometheus) is not installed")
def test_promtool_check_would_catch_a_broken_query(tmp_path: Path) -> None:
    path = tmp_path / "bad.rules.yml"
    bad = promql_for_check('sum by (track) (rate(x{track=~"$track"}[$__rate_interval])')
    path.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [{"record": "a:b:c", "expr": bad}]}]}))
    proc = subprocess.run([PROMTOOL, "check", "rules", str(path)], check=False, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
