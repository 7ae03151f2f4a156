"""The pure step engine of a rollout: plan, state, and the state machine."""

from __future__ import annotations

from release.engine.machine import (
    COMMANDS,
    ActionsDone,
    Command,
    Event,
    Failure,
    Judgement,
    Start,
    Tick,
    Transition,
    decide,
    is_final,
)
from release.engine.plan import Plan, PlanStep
from release.engine.state import (
    ACTIVE_PHASES,
    FINAL_PHASES,
    Action,
    Phase,
    RolloutState,
)

__all__ = [
    "ACTIVE_PHASES",
    "COMMANDS",
    "FINAL_PHASES",
    "Action",
    "ActionsDone",
    "Command",
    "Event",
    "Failure",
    "Judgement",
    "Phase",
    "Plan",
    "PlanStep",
    "RolloutState",
    "Start",
    "Tick",
    "Transition",
    "decide",
    "is_final",
]
