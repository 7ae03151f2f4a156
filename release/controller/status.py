"""The status of a rollout as one JSON-able dict (``lendops release status --json``)."""

from __future__ import annotations

import time
from typing import Any

from release.engine import Plan, RolloutState
from release.spec import load_text

__all__ = ["status_of"]


def status_of(doc: dict[str, Any], *, controller_pid: int | None, pending_commands: int = 0,
              now: float | None = None) -> dict[str, Any]:
    state = RolloutState.from_dict(doc["state"])
    plan = Plan.from_rollout(load_text(doc["spec_text"], doc.get("spec_file") or "<saved spec>"))
    steps = len(plan.steps)
    description = plan.steps[state.step].describe() if state.step < steps else "all steps done"
    clock = now if now is not None else time.time()
    in_step = None
    if state.step_started_at is not None and state.phase in ("progressing", "paused"):
        in_step = round(clock - state.step_started_at, 1)
        duration = plan.steps[state.step].duration if state.step < steps else None
        if duration is not None:
            description += f" — {in_step:g}s of {duration:g}s"
        else:
            description += f" — for {in_step:g}s"
    return {
        "name": state.name,
        "phase": state.phase,
        "reason": state.reason,
        "step": state.step,
        "steps": steps,
        "step_description": description,
        "seconds_in_step": in_step,
        "weight": state.weight,
        "cohort": list(state.cohort),
        "stable": state.stable_version,
        "canary": state.canary_version,
        "attempt": state.attempt,
        "started_at": state.started_at,
        "finished_at": state.finished_at,
        "updated_at": state.updated_at,
        "evaluations": state.evaluations,
        "last_result": state.last_result,
        "pending_actions": state.pending,
        "pending_commands": pending_commands,
        "controller_pid": controller_pid,
        "router_url": doc.get("router_url"),
        "endpoints": (doc.get("runtime") or {}).get("endpoints"),
        "metrics": doc.get("metrics") or {},
        "history": state.history,
        "spec_file": doc.get("spec_file"),
    }
