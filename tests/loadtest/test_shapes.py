"""Shapes are pure functions of time: the level, users and rates they ask for."""

from __future__ import annotations

import pytest

from loadtest.loader import parse_scenario
from loadtest.scenario import SoakShape, SpikeShape, SteadyShape, StepShape
from loadtest.shapes import level_at, pool_size, rate_at, users_at


def test_steady_ramps_linearly_then_holds() -> None:
    shape = SteadyShape(type="steady", ramp_s=10)
    assert [level_at(shape, 60, t) for t in (0, 5, 10, 59)] == [0.0, 0.5, 1.0, 1.0]
    assert level_at(shape, 60, 60) is None


def test_step_climbs_in_equal_stairs_and_stays_at_the_top() -> None:
    shape = StepShape(type="step", steps=4, step_s=10)
    assert [level_at(shape, 60, t) for t in (0, 9.9, 10, 25, 35, 55)] == [0.25, 0.25, 0.5, 0.75, 1.0, 1.0]


def test_spike_is_the_peak_only_inside_its_window() -> None:
    shape = SpikeShape(type="spike", base=0.2, at_s=20, spike_s=10)
    assert [level_at(shape, 60, t) for t in (0, 19.9, 20, 29.9, 30, 59)] == [0.2, 0.2, 1.0, 1.0, 0.2, 0.2]


def test_soak_ramps_up_holds_and_ramps_down() -> None:
    shape = SoakShape(type="soak", ramp_s=100, ramp_down_s=50)
    assert [level_at(shape, 1000, t) for t in (50, 100, 500, 975)] == [0.5, 1.0, 1.0, 0.5]


SCENARIO = """\
name: s
duration_s: 40
mix: {new_customer: 1}
load: {model: closed, users: 10}
shape: {type: step, steps: 4, step_s: 10}
"""


def test_closed_model_turns_levels_into_user_counts() -> None:
    scenario = parse_scenario(SCENARIO)
    assert [users_at(scenario, t) for t in (0, 10, 20, 30)] == [3, 5, 8, 10]
    assert users_at(scenario, 40) is None
    assert pool_size(scenario) == 10
    with pytest.raises(TypeError):
        rate_at(scenario, 0)


def test_open_model_turns_levels_into_start_rates_with_a_fixed_pool() -> None:
    scenario = parse_scenario(SCENARIO.replace("{model: closed, users: 10}", "{model: open, rate: 8, max_users: 30}"))
    assert [rate_at(scenario, t) for t in (0, 10, 39)] == [2.0, 4.0, 8.0]
    assert pool_size(scenario) == 30
