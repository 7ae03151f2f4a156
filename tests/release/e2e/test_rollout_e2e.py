"""End-to-end rollouts with real processes: lending services, the router, the
controller started through `lendops release run --detach`, client traffic."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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


@pytest.mark.parametrize("impl", ["python", "haproxy"])
def test_good_canary_is_promoted_through_all_steps(release_env: ReleaseEnv,
                                                   traffic_factory: Callable[..., Traffic], impl: str) -> None:
    import shutil

    if impl == "haproxy" and shutil.which("haproxy") is None:
        pytest.skip("haproxy is not installed (Debian package haproxy)")
    spec = release_env.spec(steps=STEPS)
    spec.write_text(spec.read_text().replace("impl: python", f"impl: {impl}"))
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


FAULT_STEPS = """\
    - cohort: pilot
      setWeight: 50
    - analysis: {duration: 90s}
    - promote: {}
"""


@pytest.mark.parametrize(
    ("faults", "metric"),
    [
        ("error_rate=0.3", "error-ratio"),
        ("latency_ms=250", "latency"),
        ("apr_shift_bps=2000", "apr"),
        ("approval_shift_points=-120", "approval-rate"),
    ],
)
def test_each_fault_kind_is_rolled_back_naming_the_metric(
    release_env: ReleaseEnv, traffic_factory: Callable[..., Traffic], faults: str, metric: str
) -> None:
    spec = release_env.spec(canary_faults=faults, steps=FAULT_STEPS)
    load = _start(release_env, traffic_factory, spec)
    state = release_env.wait_status(lambda s: s["phase"] in FINAL, 150, "the rollback")
    load.stop()
    assert state["phase"] == "rolled_back", state["reason"]
    assert metric in state["reason"]
    assert state["weight"] == 0 and state["stable_version"] == "1.0.0"
    rollback = [h for h in state["history"] if h["type"] == "transition" and h["phase"] == "rolling_back"][0]
    failing = [v["metric"] for v in rollback["verdicts"]["verdicts"] if v["decision"] == "fail"]
    assert any(m.startswith(metric) for m in failing)
    # the router now sends everything to stable
    assert requests.get(state["router_url"] + "/version", timeout=5).json()["track"] == "stable"
    # measured for bench/RESULTS.md (run with -s): first canary traffic -> rollback
    t0 = [h["at"] for h in state["history"] if h["type"] == "step"][0]
    done = [h["at"] for h in state["history"] if h["type"] == "transition" and h["phase"] == "rolled_back"][0]
    print(f"\nREASON {state['reason'][:160]}")
    print(f"\nROLLBACK {faults}: detected after {rollback['at'] - t0:.1f}s, stable-only after {done - t0:.1f}s, "
          f"{state['evaluations']} evaluations, client requests {sum(load.counts.values())}")


def test_good_canary_with_very_little_traffic_is_not_rolled_back(
    release_env: ReleaseEnv, traffic_factory: Callable[..., Traffic]
) -> None:
    steps = """\
    - cohort: pilot
      setWeight: 20
    - analysis: {duration: 20s}
    - promote: {}
"""
    spec = release_env.spec(steps=steps)
    load = _start(release_env, traffic_factory, spec, threads=1, think_s=3.0)
    state = release_env.wait_status(lambda s: s["phase"] in FINAL, 120, "the end of the rollout")
    load.stop()
    assert state["phase"] == "succeeded", state["reason"]
    ended = [h["reason"] for h in state["history"] if h["type"] == "step-end"]
    assert ended and ("without a regression" in ended[0] or "judge: pass" in ended[0])
    # it really was a trickle: the canary saw fewer requests than the judge's minimum
    canary_n = max(v["canary"].get("n", 0) for v in state["last_result"]["verdicts"])
    assert 0 < canary_n < 30, canary_n


def _router_config(state: dict[str, Any]) -> dict[str, Any]:
    admin = state["runtime"]["router"]["admin_url"]
    config: dict[str, Any] = requests.get(admin + "/config", timeout=5).json()
    return config


def test_kill_9_mid_rollout_then_resume_finishes_without_changing_the_split(
    release_env: ReleaseEnv, traffic_factory: Callable[..., Traffic]
) -> None:
    import os
    import signal

    from release.controller import RolloutStore

    steps = """\
    - cohort: pilot
      setWeight: 20
    - analysis: {duration: 3s}
    - setWeight: 40
    - analysis: {duration: 12s}
    - setWeight: 60
    - analysis: {duration: 3s}
    - promote: {}
"""
    spec = release_env.spec(steps=steps)
    load = _start(release_env, traffic_factory, spec)
    # the 40 % split saved *and* applied (no pending action), so the router has it
    state = release_env.wait_status(lambda s: s["step"] == 3 and s["weight"] == 40 and not s["pending"], 90,
                                    "the 40 % step")
    store = RolloutStore(release_env.workdir, "lending")
    pid = store.controller_pid()
    assert pid
    os.kill(pid, signal.SIGKILL)
    deadline = __import__("time").monotonic() + 10
    while store.controller_pid() and __import__("time").monotonic() < deadline:
        __import__("time").sleep(0.05)
    assert store.controller_pid() is None
    before = _router_config(state)
    assert before["weight"] == 40  # the router keeps routing without its controller

    release_env.cli("resume", "--detach", "--quiet", check=True)
    state = release_env.wait_status(lambda s: s["phase"] in FINAL, 120, "the end after resume")
    load.stop()
    assert state["phase"] == "succeeded", state["reason"]
    resumed = [h for h in state["history"] if h["type"] == "resume"]
    assert len(resumed) == 1 and resumed[0]["weight"] == 40 and "router had" not in resumed[0]["reason"]
    weights = [h["weight"] for h in state["history"] if h["type"] in ("step", "resume")]
    assert weights == sorted(weights)  # the weight only grew, also across the restart
    assert load.counts["failed"] == 0, load.failures


def test_operator_commands_from_another_terminal(
    release_env: ReleaseEnv, traffic_factory: Callable[..., Traffic]
) -> None:
    steps = """\
    - cohort: pilot
      setWeight: 10
    - pause: {}
    - setWeight: 50
    - analysis: {duration: 120s}
    - promote: {}
"""
    spec = release_env.spec(steps=steps)
    load = _start(release_env, traffic_factory, spec)
    release_env.wait_status(lambda s: s["phase"] == "paused", 60, "the open pause")
    out = release_env.cli("promote", check=True)
    assert "queued for controller pid" in out.stdout
    release_env.wait_status(lambda s: s["weight"] == 50, 30, "weight 50 after promote")
    release_env.cli("pause", check=True)
    paused = release_env.wait_status(lambda s: s["phase"] == "paused", 30, "the operator pause")
    assert paused["paused_by"] == "operator" and paused["weight"] == 50
    release_env.cli("resume", check=True)
    release_env.wait_status(lambda s: s["phase"] == "progressing", 30, "resumed")
    release_env.cli("promote", "--full", check=True)
    state = release_env.wait_status(lambda s: s["phase"] in FINAL, 60, "the full promotion")
    assert state["phase"] == "succeeded"
    assert requests.get(state["router_url"] + "/version", timeout=5).json()["version"] == "1.1.0"

    undo = release_env.cli("undo", "--quiet", timeout=120)
    assert undo.returncode == 1  # exit code 0 means promoted; an undo ends rolled back
    state = release_env.wait_status(lambda s: s["phase"] == "rolled_back", 30, "the undo")
    load.stop()
    assert state["stable_version"] == "1.0.0" and "undo" in state["reason"]
    assert requests.get(state["router_url"] + "/version", timeout=5).json()["version"] == "1.0.0"
    assert load.counts["failed"] == 0, load.failures
    reasons = " | ".join(h["reason"] for h in state["history"])
    assert "skipped by" in reasons and "paused by" in reasons and "promoted in full by" in reasons


def test_load_section_drives_rollout_traffic_with_locust(release_env: ReleaseEnv) -> None:
    import json

    (release_env.root / "tokens.json").write_text(json.dumps({"managers": release_env.tokens}))
    steps = """\
    - cohort: pilot
      setWeight: 40
    - analysis: {duration: 15s, until: decided}
    - promote: {}
"""
    spec = release_env.spec(steps=steps, extra="  load: {scenario: steady, tokensFile: tokens.json}\n")
    release_env.cli("run", str(spec), "--detach", "--quiet", check=True)
    state = release_env.wait_done(180)
    assert state["phase"] == "succeeded", state["reason"]
    loads = [h["reason"] for h in state["history"] if h["type"] == "load"]
    assert loads[0].startswith("load scenario steady started against http://127.0.0.1:")
    assert loads[-1].startswith("load steady:") and " 0 failed" in loads[-1]
    assert state["evaluations"] > 0 and state["last_result"]["verdicts"]
    n = max(v["canary"].get("n", 0) for v in state["last_result"]["verdicts"])
    assert n > 0  # the canary was judged on Locust's requests
