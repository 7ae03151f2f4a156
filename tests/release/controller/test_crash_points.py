"""Crash the controller at every runtime call of a whole rollout (a BaseException, so
no handler in the controller sees it, like kill -9), start a fresh controller on the
same files, and check the rollout still ends right with no backwards traffic move."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from release.controller import Controller, ControllerOptions, RolloutStore, new_document
from release.spec import load_text
from tests.release.controller.fakes import (
    FakeClock,
    FakeResult,
    FakeRuntime,
    ScriptedAnalyzer,
)

SPEC = """\
apiVersion: lendops.dev/v1alpha1
kind: Rollout
metadata: {name: lending}
spec:
  stable: {version: "1.0.0"}
  canary: {version: "1.1.0"}
  analysis: {interval: 1s}
  steps:
    - cohort: pilot
      setWeight: 10
    - analysis: {duration: 3s}
    - setWeight: 40
    - analysis: {duration: 3s}
    - promote: {}
"""


class Crash(BaseException):
    pass


class CrashingRuntime(FakeRuntime):
    def __init__(self, crash_at: int) -> None:
        super().__init__()
        self.crash_at = crash_at
        self.count = 0

    def _call(self, name: str, arg: Any = None) -> None:
        self.count += 1
        if self.count == self.crash_at:
            self.crash_at = -1
            raise Crash(name)
        super()._call(name, arg)


def _controller(tmp_path: Path, runtime: FakeRuntime, clock: FakeClock) -> Controller:
    def factory(rollout: Any, endpoints: dict[str, str], saved: dict[str, Any] | None) -> ScriptedAnalyzer:
        return ScriptedAnalyzer([FakeResult("inconclusive", reason="few")], saved)

    return Controller(RolloutStore(tmp_path, "lending"), runtime, analyzer_factory=factory, clock=clock,
                      sleep=clock.sleep, options=ControllerOptions(tick_seconds=0.5))


def _run(tmp_path: Path, crash_at: int) -> tuple[Any, CrashingRuntime]:
    clock = FakeClock()
    store = RolloutStore(tmp_path, "lending")
    store.save(new_document(load_text(SPEC), spec_text=SPEC, spec_file="r.yaml", now=clock()))
    runtime = CrashingRuntime(crash_at)
    try:
        state = _controller(tmp_path, runtime, clock).run(max_iterations=200)
        crashed = False
    except Crash:
        crashed = True
    if crashed:
        store.release()  # the kernel drops a dead process's flock
        state = _controller(tmp_path, runtime, clock).run(max_iterations=200)
    return state, runtime


def test_clean_run_makes_the_expected_calls(tmp_path: Path) -> None:
    state, runtime = _run(tmp_path, crash_at=0)
    assert state.phase == "succeeded"
    assert [c[0] for c in runtime.calls] == [
        "deploy_canary", "set_traffic", "set_traffic", "set_traffic", "set_traffic", "promote"]


@pytest.mark.parametrize("crash_at", range(1, 7))
def test_a_crash_at_any_runtime_call_then_resume_ends_promoted(tmp_path: Path, crash_at: int) -> None:
    state, runtime = _run(tmp_path, crash_at)
    assert state.phase == "succeeded", state.reason
    assert runtime.stable == "1.1.0" and runtime.canary is None
    weights = [c[1][0] for c in runtime.calls if c[0] == "set_traffic"]
    before_promotion = weights[: weights.index(100)]
    assert before_promotion == sorted(before_promotion)  # never a step back
    assert [c[0] for c in runtime.calls].count("promote") == 1
