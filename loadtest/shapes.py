"""Load shapes as pure functions of time: the level (0..1 of the peak) at second ``t``.

The Locust adapter (``loadtest.locustfile``) turns a level into a user count for the
closed model, or into a journey start rate for the open model; this module knows
nothing of Locust, so shapes are tested without running one.
"""

from __future__ import annotations

import math

from .scenario import ClosedLoad, OpenLoad, Scenario, Shape, SoakShape, SpikeShape, SteadyShape, StepShape

__all__ = ["level_at", "users_at", "rate_at", "pool_size"]


def level_at(shape: Shape, duration_s: float, t: float) -> float | None:
    """Share of the peak load at ``t`` seconds into the run; ``None`` once it is over.

    >>> level_at(StepShape(type="step", steps=4, step_s=10), 60, 25)
    0.75
    """
    if t < 0:
        return 0.0
    if t >= duration_s:
        return None
    if isinstance(shape, SteadyShape):
        return _ramp(t, shape.ramp_s)
    if isinstance(shape, StepShape):
        stair = min(int(t // shape.step_s), shape.steps - 1)
        return (stair + 1) / shape.steps
    if isinstance(shape, SpikeShape):
        return 1.0 if shape.at_s <= t < shape.at_s + shape.spike_s else shape.base
    if isinstance(shape, SoakShape):
        up = _ramp(t, shape.ramp_s)
        remaining = duration_s - t
        down = 1.0 if shape.ramp_down_s <= 0 else min(1.0, remaining / shape.ramp_down_s)
        return min(up, down)
    raise TypeError(f"unknown shape {shape!r}")


def _ramp(t: float, ramp_s: float) -> float:
    return 1.0 if ramp_s <= 0 else min(1.0, t / ramp_s)


def users_at(scenario: Scenario, t: float) -> int | None:
    """Closed model: users wanted at ``t`` (rounded up so a ramp starts with one user)."""
    if not isinstance(scenario.load, ClosedLoad):
        raise TypeError("users_at is for the closed model")
    level = level_at(scenario.shape, scenario.duration_s, t)
    if level is None:
        return None
    return max(0, min(scenario.load.users, math.ceil(level * scenario.load.users - 1e-9)))


def rate_at(scenario: Scenario, t: float) -> float | None:
    """Open model: journey starts per second wanted at ``t``."""
    if not isinstance(scenario.load, OpenLoad):
        raise TypeError("rate_at is for the open model")
    level = level_at(scenario.shape, scenario.duration_s, t)
    return None if level is None else level * scenario.load.rate


def pool_size(scenario: Scenario) -> int:
    """Users Locust keeps alive: the peak for the closed model, the pool for the open one."""
    load = scenario.load
    return load.users if isinstance(load, ClosedLoad) else load.max_users
