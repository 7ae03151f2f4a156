"""The demo's rollout: pilot branches first, then 10 / 25 / 50 / 100 % of everyone."""

from __future__ import annotations

import json

from .scenario import DemoScenario

__all__ = ["default_steps", "rollout_yaml", "step_seconds"]

#: analysis steps in the default rollout (pilot, 10, 25, 50, 100)
_ANALYSIS_STEPS = 5


def step_seconds(duration_s: float) -> int:
    """Length of each analysis step so that a good build is promoted within ``duration_s``."""
    return max(5, int(duration_s // _ANALYSIS_STEPS))


def default_steps(duration_s: float) -> list[dict[str, object]]:
    """Pilot branches first, then 10 / 25 / 50 / 100 % of everyone, each step watched."""
    analysis = {"analysis": {"duration": f"{step_seconds(duration_s)}s", "until": "decided"}}
    return [
        {"cohort": "pilot"}, analysis,
        {"cohort": "pilot", "setWeight": 10}, analysis,
        {"setWeight": 25}, analysis,
        {"setWeight": 50}, analysis,
        {"setWeight": 100}, analysis,
        {"promote": {}},
    ]


def rollout_yaml(*, scenario: DemoScenario, db_url: str, duration_s: float, provider: dict[str, object],
                 load_scenario: str, tokens_file: str, steps: list[dict[str, object]] | None = None) -> str:
    """The rollout spec as YAML text (JSON is YAML), saved in the workdir so that the user
    can read it and run it again with ``lendops release run``."""
    doc = {
        "apiVersion": "lendops.dev/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "demo"},
        "spec": {
            "stable": {"version": "1.0.0"},
            "canary": {"version": "1.1.0", "faults": scenario.faults},
            "target": {"local": {"db": db_url}},
            "traffic": {"provider": "local-router", "impl": "python"},
            "analysis": {"interval": "1s", "provider": provider},
            "steps": steps if steps is not None else default_steps(duration_s),
            "load": {"scenario": load_scenario, "tokensFile": tokens_file},
        },
    }
    return "# lendops demo rollout (generated)\n" + json.dumps(doc, indent=2) + "\n"
