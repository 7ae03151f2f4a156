"""End-to-end rollouts with real processes: lending services, the router, the
controller started through `lendops release run --detach`, client traffic."""

from __future__ import annotations

from typing import Any, Callable

import pytest
import requests

from tests.release.conftest import ReleaseEnv, Traffic

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

STEPS = """\
    - cohort: pilot
      setWeight: 30
    - analysis: {duration: 8s}
    - setWeight: 60
    - analysis: {duration: 5s}
    - promote: {}
"""

FINAL = {"succeeded", "rolled_back", "aborted"}


def _start(env: ReleaseEnv, traffic_factory: Callable[..., Traffic], spec: Any, **traffic: Any) -> Traffic:
    env.cli("run", str(spec), "--detach", "--quiet", check=True)
    state = env.wait_status(lambda s: bool(s.get("router_url")) and s["phase"] != "pending", 90, "the router")
    return traffic_factory(state["router_url"], env.tokens, **traffic)


def test_good_canary_is_promoted_through_all_steps(release_env: ReleaseEnv,
                                                   traffic_factory: Callable[..., Traffic]) -> None:
    spec = release_env.spec(steps=STEPS)
    load = _start(release_env, traffic_factory, spec)
    state = release_env.wait_status(lambda s: s["phase"] in FINAL, 120, "the end of the rollout")
    load.stop()
    assert state["phase"] == "succeeded", state["reason"]
    assert state["stable_version"] == "1.1.0"
    steps = [h["reason"] for h in state["history"] if h["type"] == "step"]
    assert len(steps) == 5
    assert load.counts["failed"] == 0, load.failures
    # after promotion the router sends everything to the new stable, which runs 1.1.0
    version = requests.get(state["router_url"] + "/version", timeout=5).json()
    assert version["version"] == "1.1.0" and version["track"] == "stable"
    status = release_env.status()
    assert status["metrics"]['lendops_rollout_phase{phase="succeeded",rollout="lending"}'] == 1
