from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitoring.rules import (
    ALERTS_FILE,
    RECORDING_FILE,
    SLO_FILE,
    Alert,
    RuleSettings,
    RulesError,
    build_groups,
    export_rules,
)

HERE = Path(__file__).parent
UNIT_TESTS = sorted(HERE.glob("*.test.yml"))
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian prometheus) not installed")


def _alerts() -> dict[str, Alert]:
    return {a.alert: a for g in build_groups() for a in g.alerts}


def _render(template: str, labels: dict[str, str]) -> str:
    return re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels[m.group(1)], template)


def _with_annotations(spec: dict[str, Any]) -> dict[str, Any]:
    """Fill exp_annotations from the rule definitions, so the committed cases state only
    when and for whom an alert fires, and wording changes don't break them."""
    alerts = _alerts()
    for test in spec["tests"]:
        for case in test.get("alert_rule_test", []):
            alert = alerts[case["alertname"]]
            for exp in case.get("exp_alerts") or []:
                exp.setdefault("exp_annotations", {k: _render(v, exp["exp_labels"]) for k, v in alert.annotations.items()})
    return spec


@needs_promtool
def test_exported_rules_pass_promtool_check(tmp_path: Path) -> None:
    files = export_rules(tmp_path)
    assert sorted(p.name for p in files) == sorted([RECORDING_FILE, SLO_FILE, ALERTS_FILE])
    proc = subprocess.run([PROMTOOL, "check", "rules", *map(str, files)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    total = sum(len(g.rules) for g in build_groups())
    found = sum(int(n) for n in re.findall(r"SUCCESS: (\d+) rules found", proc.stdout))
    assert found == total


@needs_promtool
@pytest.mark.parametrize("unit", UNIT_TESTS, ids=lambda p: p.name)
def test_promtool_unit_tests(unit: Path, tmp_path: Path) -> None:
    export_rules(tmp_path)
    spec = _with_annotations(yaml.safe_load(unit.read_text(encoding="utf-8")))
    target = tmp_path / unit.name
    target.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    proc = subprocess.run([PROMTOOL, "test", "rules", str(target)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout + proc.stderr


def test_every_alert_has_a_firing_and_a_quiet_unit_test() -> None:
    fired: set[str] = set()
    quiet: set[str] = set()
    for unit in UNIT_TESTS:
        for test in yaml.safe_load(unit.read_text(encoding="utf-8"))["tests"]:
            for case in test.get("alert_rule_test", []):
                (fired if case.get("exp_alerts") else quiet).add(case["alertname"])
    assert set(_alerts()) == fired == quiet


def test_burn_rate_thresholds_follow_the_workbook() -> None:
    fast = _alerts()["LendingAvailabilityFastBurn"].expr
    slow = _alerts()["LendingAvailabilitySlowBurn"].expr
    # 14.4x and 6x of a 0.1 % budget page; 3x and 1x file a ticket.
    assert "ratio_rate1h > 0.0144" in fast and "ratio_rate5m > 0.0144" in fast
    assert "ratio_rate6h > 0.006" in fast and "ratio_rate30m > 0.006" in fast
    assert "ratio_rate1d > 0.003" in slow and "ratio_rate2h > 0.003" in slow
    assert "ratio_rate3d > 0.001" in slow and "ratio_rate6h > 0.001" in slow
    latency = _alerts()["LendingLatencyFastBurn"].expr
    assert "ratio_rate1h > 0.144" in latency


def test_every_series_is_aggregated_by_track() -> None:
    for group in build_groups():
        for rule in group.recordings:
            assert rule.record.startswith("track"), rule.record
            assert "by (track" in rule.expr, rule.record


@pytest.mark.parametrize(
    "settings, field",
    [
        (RuleSettings(availability_objective=1.0), "availability_objective"),
        (RuleSettings(latency_threshold_s=0.3), "latency_threshold_s"),
        (RuleSettings(approval_drift=0), "approval_drift"),
    ],
)
def test_impossible_settings_are_refused(settings: RuleSettings, field: str) -> None:
    with pytest.raises(RulesError) as info:
        build_groups(settings)
    assert info.value.field == field


def test_rules_export_command_writes_the_files(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from monitoring.cli import rules

    result = CliRunner().invoke(rules, ["export", "--out", str(tmp_path / "out"), "--canary-drift-pp", "5"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / ALERTS_FILE).read_text(encoding="utf-8")
    drift = next(r for g in yaml.safe_load(text)["groups"] for r in g["rules"] if r.get("alert") == "LendingApprovalRateDrift")
    assert "> 0.05" in drift["expr"]
