"""Scenario files: the bundled examples load; every mistake points at file:line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtest.errors import ScenarioError
from loadtest.loader import bundled_scenarios, load_scenario, parse_scenario
from loadtest.scenario import ClosedLoad, OpenLoad, SpikeShape

GOOD = """\
name: t
duration_s: 30
mix: {new_customer: 2, returning_customer: 1}
load:
  model: closed
  users: 4
shape:
  type: spike
  base: 0.5
  at_s: 10
  spike_s: 5
thresholds:
  max_failure_ratio: 0.01
  latency_ms:
    all: {p95_ms: 500}
    new_customer.apply: {p99_ms: 800}
"""


def test_the_four_bundled_examples_load_with_their_shapes() -> None:
    shapes = {name: load_scenario(path).shape.type for name, path in bundled_scenarios().items()}
    assert shapes == {"steady": "steady", "step": "step", "spike": "spike", "soak": "soak"}
    assert isinstance(load_scenario("step").load, OpenLoad)
    assert isinstance(load_scenario("steady").load, ClosedLoad)


def test_a_valid_scenario_becomes_typed_objects() -> None:
    scenario = parse_scenario(GOOD)
    assert isinstance(scenario.shape, SpikeShape) and scenario.shape.at_s == 10
    assert scenario.thresholds.latency_ms["new_customer.apply"].limits() == {"p99": 800}
    assert scenario.mix.weights() == {"new_customer": 2, "returning_customer": 1, "batch_grant": 0}


@pytest.mark.parametrize(("old", "new", "line", "field", "words"), [
    ("  users: 4", "  users: -4", 6, "load.users", "greater than or equal to 1"),
    ("  users: 4", "  users: four", 6, "load.users", "integer"),
    ("  users: 4", "  users: 4\n  userz: 5", 7, "load.userz", "unknown field"),
    ("  at_s: 10", "  at_s: 28", 11, "shape.spike_s", "after duration_s"),
    ("  type: spike", "  type: spiky", 8, "shape.type", "'spiky' is not one of"),
    ("    all: {p95_ms: 500}", "    all: {p95: 500}", 15, "thresholds.latency_ms.all.p95", "unknown field"),
    ("new_customer.apply:", "new_customer.aply:", 14, "thresholds.latency_ms", "new_customer.aply"),
    ("  max_failure_ratio: 0.01", "  max_failure_ratio: 1.5", 13, "thresholds.max_failure_ratio", "less than"),
    ("  max_failure_ratio: 0.01", "  max_dropped_ratio: 0.01", 13, "thresholds.max_dropped_ratio", "open model"),
])
def test_a_mistake_names_file_line_and_field(old: str, new: str, line: int, field: str, words: str) -> None:
    text = GOOD.replace(old, new)
    assert text != GOOD
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, source="scen.yaml")
    message = str(caught.value)
    assert message.startswith(f"scen.yaml:{line}: {field}: "), message
    assert words in message


def test_a_missing_field_points_at_its_parent_mapping() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(GOOD.replace("  users: 4\n", ""), source="s.yaml")
    assert str(caught.value) == "s.yaml:4: load.users: field required"


def test_every_mistake_is_listed_not_just_the_first() -> None:
    text = GOOD.replace("duration_s: 30", "duration_s: 0").replace("  users: 4", "  users: 0")
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, source="s.yaml")
    assert [(line, field) for line, field, _ in caught.value.problems] == [(2, "duration_s"), (6, "load.users")]


def test_broken_yaml_points_at_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nmix: {new_customer: 1\nload: closed\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(f"{path}:3: not valid YAML")


def test_an_unknown_file_lists_the_bundled_names() -> None:
    with pytest.raises(ScenarioError, match="bundled: soak, spike, steady, step"):
        load_scenario("no-such-scenario")


def test_a_duration_override_keeps_the_rest() -> None:
    scenario = parse_scenario(GOOD).with_duration(5)
    assert scenario.duration_s == 5 and scenario.load == parse_scenario(GOOD).load
