"""The credit-path load scenarios, for ``locust -f loadtest/locustfile.py``.

Testers who know Locust run it directly::

    LENDOPS_SCENARIO=loadtest/scenarios/steady.yaml LENDING_TOKENS_FILE=tokens.json \\
        locust -f loadtest/locustfile.py --headless --host http://127.0.0.1:8000

The scenario drives the shape, users and duration (``-u``/``-r``/``-t`` are not used);
when it ends, thresholds are judged on exact timings and decide the exit code (3 on a
breach). ``lendops loadtest run`` wraps this with reports and progress.

Only class definitions and one ``init`` listener happen at import: the scenario and
tokens are read when Locust initialises each process.
"""

from __future__ import annotations

from typing import Any

from locust import LoadTestShape, events

from loadtest.scenario import ClosedLoad
from loadtest.shapes import pool_size, users_at
from loadtest.users import CreditPathHttpUser, CreditPathUser, chosen_user_class, runtime, setup

__all__ = ["CreditPathUser", "CreditPathHttpUser", "ScenarioShape"]

events.init.add_listener(setup)


class ScenarioShape(LoadTestShape):
    """The scenario's shape: users for the closed model, a fixed pool for the open one."""

    def tick(self) -> tuple[int, float, list[Any]] | None:
        scenario = runtime().scenario
        t = self.get_run_time()
        if t >= scenario.duration_s:
            return None
        user_class = chosen_user_class()
        load = scenario.load
        if isinstance(load, ClosedLoad):
            users = users_at(scenario, t)
            if users is None:
                return None
            return users, float(load.spawn_rate or load.users), [user_class]
        # Open model: the pool is spawned at once and stays; the pacer varies the rate.
        pool = pool_size(scenario)
        return pool, float(pool), [user_class]
