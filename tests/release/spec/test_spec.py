from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from release.spec import (
    PILOT_BRANCHES,
    SpecInvalid,
    lint_text,
    load_file,
    load_text,
    parse_duration,
    rollout_json_schema,
)

EXAMPLES = Path(__file__).resolve().parents[3] / "release" / "examples"

BASE = """\
apiVersion: lendops.dev/v1alpha1
kind: Rollout
metadata: {name: lending}
spec:
  stable: {version: "1.0.0"}
  canary: {version: "1.1.0"}
  steps:
    - cohort: pilot
      setWeight: 25
    - analysis: {duration: 30s}
    - promote: {}
"""


def test_examples_are_valid() -> None:
    files = sorted(EXAMPLES.glob("*.yaml"))
    assert files
    for path in files:
        rollout = load_file(path)
        assert rollout.spec.steps


def test_cohort_and_weight_combine_in_one_step() -> None:
    step = load_text(BASE).spec.steps[0]
    assert step.kind == "traffic" and step.setWeight == 25
    assert step.cohort is not None and step.cohort.branches == PILOT_BRANCHES


@pytest.mark.parametrize(
    ("text", "seconds"), [("500ms", 0.5), ("30s", 30), ("2m", 120), ("1h", 3600), ("1m30s", 90), (7, 7.0)]
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["30", "5 minutes", "-1s", "", True])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def _first(text: str) -> str:
    rollout, issues = lint_text(text, "r.yaml")
    assert rollout is None
    return str([i for i in issues if i.severity == "error"][0])


def test_unknown_key_points_at_its_line_and_column() -> None:
    text = BASE.replace("    - analysis: {duration: 30s}", "    - analysis: {duration: 30s}\n      wieght: 3")
    message = _first(text)
    assert message.startswith("r.yaml:11:7: error:") and "wieght" in message


def test_bad_weight_points_at_the_value() -> None:
    message = _first(BASE.replace("setWeight: 25", "setWeight: 250"))
    assert message.startswith("r.yaml:9:7:") and "100" in message


def test_shrinking_weight_is_refused_with_position() -> None:
    text = BASE.replace("    - promote: {}", "    - setWeight: 10\n    - promote: {}")
    message = _first(text)
    assert message.startswith("r.yaml:11:7:") and "weight only grows" in message


def test_step_with_two_kinds_is_refused() -> None:
    message = _first(BASE.replace("    - promote: {}", "    - promote: {}\n      pause: {}"))
    assert "a step is one of" in message and ":11:" in message


def test_unknown_cohort_and_bad_branch_codes() -> None:
    assert "unknown cohort 'pilots'" in _first(BASE.replace("cohort: pilot", "cohort: pilots"))
    assert "six digits" in _first(BASE.replace("cohort: pilot", "cohort: {branches: ['12']}"))


def test_yaml_syntax_error_has_a_position() -> None:
    message = _first(BASE.replace("kind: Rollout", "kind: [Rollout"))
    assert message.startswith("r.yaml:") and "not valid YAML" in message


def test_promote_not_last_and_cluster_provider_on_local_target() -> None:
    text = BASE.replace("    - analysis: {duration: 30s}\n    - promote: {}", "    - promote: {}\n    - analysis: {duration: 30s}")
    assert "promote must be the last step" in _first(text)
    text = BASE.replace("  steps:", "  traffic: {provider: istio}\n  steps:")
    assert "needs a kubernetes target" in _first(text)


def test_warnings_do_not_fail_the_spec() -> None:
    rollout, issues = lint_text(BASE.replace("    - analysis: {duration: 30s}\n", ""), "r.yaml")
    assert rollout is not None
    assert [i.severity for i in issues] == ["warning"]


def test_load_raises_with_every_issue() -> None:
    with pytest.raises(SpecInvalid) as info:
        load_text(BASE.replace("1.1.0", "").replace("setWeight: 25", "setWeight: -1"), "r.yaml")
    assert len(info.value.issues) == 2


def test_json_schema_accepts_the_examples_and_rejects_junk() -> None:
    schema = rollout_json_schema()
    json.dumps(schema)
    from ruamel.yaml import YAML

    for path in EXAMPLES.glob("*.yaml"):
        # YAML 1.2 (ruamel, as the loader): `on:` is a key, not the boolean of YAML 1.1.
        jsonschema.validate(json.loads(json.dumps(YAML(typ="safe").load(path.read_text()))), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"apiVersion": "lendops.dev/v1alpha1", "kind": "Rollout"}, schema)
