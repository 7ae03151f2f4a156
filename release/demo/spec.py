"""The demo's rollout: pilot branches first, then 10 / 25 / 50 / 100 % of everyone."""

from __future__ import annotations

import json

from .scenario import DemoScenario

__all__ = ["rollout_yaml", "step_seconds"]

#: analysis steps in the default rollout (pilot, 10, 25, 50, 100)
_ANALYSIS_STEPS = 5


def step_seconds(duration_s: float) -> int:
    """Length of each analysis step so that a good build is promoted within ``duration_s``."""
    return max(5, int(duration_s // _ANALYSIS_STEPS))


def rollout_yaml(*, scenario: DemoScenario, db_url: str, duration_s: float, provider: dict[str, object],
                 load_scenario: str, tokens_file: str) -> str:
    """The rollout spec as YAML text (JSON is YAML), saved in the workdir so that the user
    can read it and run it again with ``lendops release run``."""
    step = f"{step_seconds(duration_s)}s"
    analysis = {"duration": step, "until": "decided"}
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
            "steps": [
                {"cohort": "pilot"},
                {"analysis": analysis},
                {"cohort": "pilot", "setWeight": 10},
                {"analysis": analysis},
                {"setWeight": 25},
                {"analysis": analysis},
                {"setWeight": 50},
                {"analysis": analysis},
                {"setWeight": 100},
                {"analysis": analysis},
                {"promote": {}},
            ],
            "load": {"scenario": load_scenario, "tokensFile": tokens_file},
        },
    }
    return "# lendops demo rollout (generated)\n" + json.dumps(doc, indent=2) + "\n"
