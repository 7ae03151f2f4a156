"""Locust load scenarios of the credit path.

Public API (imported lazily, so ``import loadtest`` stays cheap and never imports
Locust, which would monkey-patch the caller with gevent)::

    from loadtest import run_scenario, start_scenario, load_scenario, Summary

See ``loadtest/README.md`` for the scenario format and how thresholds are judged.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["run_scenario", "start_scenario", "RunningLoad", "load_scenario", "parse_scenario", "Scenario",
           "Summary", "LoadtestError", "ScenarioError", "TokensError", "RunError"]

_WHERE = {
    "run_scenario": "runner", "start_scenario": "runner", "RunningLoad": "runner",
    "load_scenario": "loader", "parse_scenario": "loader", "Scenario": "scenario", "Summary": "summary",
    "LoadtestError": "errors", "ScenarioError": "errors", "TokensError": "errors", "RunError": "errors",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
