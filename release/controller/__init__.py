"""The rollout controller: persisted state machine loop, command queue, self-metrics."""

from __future__ import annotations

from release.controller.controller import Controller, ControllerOptions, new_document
from release.controller.errors import (
    AlreadyRunning,
    ControllerError,
    NoRollout,
    RuntimeFailure,
)
from release.controller.metrics import RolloutMetrics
from release.controller.runtime import Runtime
from release.controller.store import RolloutStore, list_rollouts

__all__ = [
    "AlreadyRunning",
    "Controller",
    "ControllerError",
    "ControllerOptions",
    "NoRollout",
    "RolloutMetrics",
    "RolloutStore",
    "Runtime",
    "RuntimeFailure",
    "list_rollouts",
    "new_document",
]
