from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from release.cli.rollout import release

GOOD = """\
apiVersion: lendops.dev/v1alpha1
kind: Rollout
metadata: {name: lending}
spec:
  stable: {version: "1.0.0"}
  canary: {version: "1.1.0"}
  steps:
    - setWeight: 20
    - analysis: {duration: 30s}
    - promote: {}
"""


def test_lint_ok_and_positions_on_error(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    result = CliRunner().invoke(release, ["lint", str(good)])
    assert result.exit_code == 0 and "ok (3 steps)" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("setWeight: 20", "setWeight: 20\n      weight: 5"))
    result = CliRunner().invoke(release, ["lint", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:9:7: error: unknown key 'weight'" in result.output


def test_lint_missing_file_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(release, ["lint", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1


def test_schema_is_json_with_the_analysis_section() -> None:
    result = CliRunner().invoke(release, ["schema"])
    schema = json.loads(result.output)
    assert schema["title"] == "lendops Rollout" and "AnalysisSpec" in schema["$defs"]


def test_commands_without_a_rollout_fail_with_one_line(tmp_path: Path) -> None:
    for args in (["status"], ["promote"], ["abort"], ["resume"], ["undo"]):
        result = CliRunner().invoke(release, [*args, "--workdir", str(tmp_path)])
        assert result.exit_code == 1, args
        assert result.output.strip().startswith("error: no rollout in"), result.output
        assert len(result.output.strip().splitlines()) == 1


def test_run_refuses_an_invalid_spec_before_doing_anything(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("setWeight: 20", "setWeight: 120"))
    result = CliRunner().invoke(release, ["run", str(bad), "--workdir", str(tmp_path / "wd")])
    assert result.exit_code == 1 and ":8:7:" in result.output
    assert not (tmp_path / "wd").exists()


def test_status_json_and_queued_commands(tmp_path: Path) -> None:
    from release.controller import RolloutStore, new_document
    from release.spec import load_text

    store = RolloutStore(tmp_path, "lending")
    store.save(new_document(load_text(GOOD), spec_text=GOOD, spec_file="r.yaml", now=1.0))
    doc = store.load()
    doc["state"]["phase"] = "progressing"
    store.save(doc)
    result = CliRunner().invoke(release, ["status", "--json", "--workdir", str(tmp_path)])
    info = json.loads(result.output)
    assert info["phase"] == "progressing" and info["steps"] == 3 and info["controller_pid"] is None
    result = CliRunner().invoke(release, ["pause", "--workdir", str(tmp_path)])
    assert result.exit_code == 0 and "no controller is running" in result.output
    assert store.take_commands()[0]["name"] == "pause"
    result = CliRunner().invoke(release, ["status", "--workdir", str(tmp_path)])
    assert "progressing" in result.output and "not running" in result.output


FAST = GOOD.replace("steps:", "analysis: {interval: 0.2s}\n  steps:").replace("duration: 30s", "duration: 1s")


def _run_fake(tmp_path: Path, decision: str, *flags: str) -> tuple[int, str]:
    spec = tmp_path / "r.yaml"
    spec.write_text(FAST)
    env = {
        "LENDOPS_RELEASE_RUNTIME": "tests.release.controller.fakes:fake_runtime",
        "LENDOPS_RELEASE_ANALYZER": "tests.release.controller.fakes:fake_analyzer",
        "LENDOPS_FAKE_DECISION": decision,
    }
    result = CliRunner().invoke(release, ["run", str(spec), "--workdir", str(tmp_path / "wd"), *flags], env=env)
    return result.exit_code, result.output


def test_run_json_mode_prints_one_json_object_per_event(tmp_path: Path) -> None:
    code, output = _run_fake(tmp_path, "pass", "--json")
    events = [json.loads(line) for line in output.splitlines()]
    assert code == 0
    types = {e["type"] for e in events}
    assert {"transition", "step", "evaluation"} <= types
    assert events[-1]["phase"] == "succeeded"


def test_run_quiet_mode_prints_nothing_and_exit_code_tells_the_outcome(tmp_path: Path) -> None:
    code, output = _run_fake(tmp_path, "fail", "--quiet")
    assert code == 1 and output == ""
    status = CliRunner().invoke(release, ["status", "--json", "--workdir", str(tmp_path / "wd")])
    info = json.loads(status.output)
    assert info["phase"] == "rolled_back" and "latency" in info["reason"]


def test_run_rich_mode_shows_verdicts_with_explanations(tmp_path: Path) -> None:
    code, output = _run_fake(tmp_path, "fail")
    assert code == 1
    assert "latency: fail — scripted fail" in output
    assert "rollout lending: rolled_back" in output


def test_run_refuses_a_second_start_of_an_unfinished_rollout(tmp_path: Path) -> None:
    from release.controller import RolloutStore

    _run_fake(tmp_path, "pass", "--quiet")
    store = RolloutStore(tmp_path / "wd", "lending")
    doc = store.load()
    doc["state"]["phase"] = "paused"
    store.save(doc)
    code, output = _run_fake(tmp_path, "pass", "--quiet")
    assert code == 1 and "stopped in phase paused" in output and "resume" in output


def test_metrics_port_accepts_host_and_port_and_refuses_junk(tmp_path: Path) -> None:
    code, output = _run_fake(tmp_path, "pass", "--metrics-port", "127.0.0.1:0")
    assert code == 0 and "self-metrics on http://127.0.0.1:" in output
    code, output = _run_fake(tmp_path, "pass", "--metrics-port", "nine")
    assert code == 2 and "HOST:PORT" in output
