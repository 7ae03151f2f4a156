from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import CHART, VALUE_SETS, by_kind, helm_python, render


@pytest.fixture
def chart_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "lendops"
    shutil.copytree(CHART, dest, ignore=shutil.ignore_patterns("*.yml", "*.yaml.bak"))
    for stale in (dest / "files" / "rules").glob("*.y*ml"):
        stale.unlink()
    return dest


def test_exported_rule_files_become_the_prometheus_rule(chart_copy: Path, tmp_path: Path) -> None:
    """`lendops rules export` (monitoring/rules) into the chart, then render: every group
    of every file is in the PrometheusRule, and promtool accepts them as rules."""
    rules_dir = chart_copy / "files" / "rules"
    from monitoring.rules import export_rules

    written = export_rules(rules_dir)
    assert written, "monitoring.rules exported nothing"
    exported = [g for p in written for g in yaml.safe_load(p.read_text())["groups"]]
    with helm_python.Chart.load(chart_copy) as chart:
        docs = render(chart, {"monitoring": {"prometheusRule": {"enabled": True, "labels": {"release": "kps"}}}})
    rule = by_kind(docs, "PrometheusRule")["lending"]
    assert rule["metadata"]["labels"]["release"] == "kps"
    assert sorted(g["name"] for g in rule["spec"]["groups"]) == sorted(g["name"] for g in exported)
    by_name = {g["name"]: g for g in rule["spec"]["groups"]}
    for group in exported:
        assert by_name[group["name"]] == group

    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed")
    out = tmp_path / "from-chart.rules.yml"
    out.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
    done = subprocess.run([promtool, "check", "rules", str(out)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_values_groups_and_files_are_merged(chart_copy: Path) -> None:
    (chart_copy / "files" / "rules" / "extra.yaml").write_text(yaml.safe_dump(
        {"groups": [{"name": "from-file", "rules": [{"record": "x:up", "expr": "up"}]}]}))
    values = {"monitoring": {"prometheusRule": VALUE_SETS["everything-on"]["monitoring"]["prometheusRule"]}}
    with helm_python.Chart.load(chart_copy) as chart:
        rule = by_kind(render(chart, values), "PrometheusRule")["lending"]
    assert [g["name"] for g in rule["spec"]["groups"]] == ["lending.test", "from-file"]


def test_service_monitor_scrapes_each_track_once(chart: Any) -> None:
    docs = render(chart, VALUE_SETS["everything-on"])
    sm = by_kind(docs, "ServiceMonitor")["lending"]
    assert sm["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    sel = sm["spec"]["selector"]["matchLabels"]
    scraped = {n for n, s in by_kind(docs, "Service").items() if sel.items() <= s["metadata"]["labels"].items()}
    assert scraped == {"lending-stable", "lending-canary"}  # not the root Service: no double scrape
    [ep] = sm["spec"]["endpoints"]
    assert (ep["port"], ep["path"], ep["honorLabels"]) == ("http", "/metrics", True)


def test_dashboards_are_sidecar_config_maps_with_json(chart: Any, chart_copy: Path) -> None:
    maps = by_kind(render(chart, VALUE_SETS["everything-on"]), "ConfigMap")
    dashboards = {n: m for n, m in maps.items() if m["metadata"]["labels"].get("grafana_dashboard") == "1"}
    assert set(dashboards) == {"lending-dashboard-release-overview", "lending-dashboard-business"}
    overview = dashboards["lending-dashboard-release-overview"]
    assert overview["metadata"]["annotations"] == {"grafana_folder": "lendops"}
    assert json.loads(overview["data"]["release-overview.json"]) == {"title": "Release overview", "panels": []}
    assert json.loads(dashboards["lending-dashboard-business"]["data"]["business.json"])["title"] == "Business"
    # files/dashboards/*.json are picked up too
    (chart_copy / "files" / "dashboards" / "canary.json").write_text('{"title": "Canary"}')
    with helm_python.Chart.load(chart_copy) as copy:
        maps = by_kind(render(copy, {"dashboards": {"enabled": True}}), "ConfigMap")
    assert json.loads(maps["lending-dashboard-canary"]["data"]["canary.json"]) == {"title": "Canary"}
