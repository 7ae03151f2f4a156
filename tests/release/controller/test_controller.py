from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from release.controller import (
    AlreadyRunning,
    Controller,
    ControllerOptions,
    RolloutStore,
    new_document,
)
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
    - analysis: {duration: 5s}
    - pause: {}
    - setWeight: 50
    - analysis: {duration: 5s}
    - promote: {}
"""


def make(tmp_path: Path, script: list[Any], *, spec: str = SPEC, clock: FakeClock | None = None,
         runtime: FakeRuntime | None = None, events: list[dict[str, Any]] | None = None) -> Controller:
    clock = clock or FakeClock()
    store = RolloutStore(tmp_path, "lending")
    if not store.exists():
        store.save(new_document(load_text(spec), spec_text=spec, spec_file="r.yaml", now=clock()))
    analyzers: list[ScriptedAnalyzer] = []

    def factory(rollout: Any, endpoints: dict[str, str], saved: dict[str, Any] | None) -> ScriptedAnalyzer:
        analyzers.append(ScriptedAnalyzer(script, saved))
        return analyzers[-1]

    ctl = Controller(store, runtime or FakeRuntime(), analyzer_factory=factory, clock=clock, sleep=clock.sleep,
                     on_event=(events.append if events is not None else None),
                     options=ControllerOptions(tick_seconds=0.5))
    ctl.analyzers = analyzers  # type: ignore[attr-defined]
    return ctl


def test_good_canary_is_promoted_and_every_transition_is_persisted(tmp_path: Path) -> None:
    events: list[dict[str, Any]] = []
    ctl = make(tmp_path, [FakeResult("inconclusive", reason="few samples")], events=events)
    ctl.run(max_iterations=40)
    assert ctl.state.phase == "paused"
    saved = json.loads((tmp_path / "rollouts/lending/rollout.json").read_text())
    assert saved["state"]["phase"] == "paused" and saved["state"]["weight"] == 10
    RolloutStore(tmp_path, "lending").enqueue("promote", by="alice")
    ctl2 = make(tmp_path, [FakeResult("pass")], runtime=ctl.runtime, clock=ctl.clock)  # type: ignore[arg-type]
    final = ctl2.run(max_iterations=100)
    assert final.phase == "succeeded" and final.stable_version == "1.1.0"
    assert ("promote", None) in ctl2.runtime.calls  # type: ignore[attr-defined]
    assert any(e["type"] == "evaluation" for e in events)
    reasons = [h["reason"] for h in final.history]
    assert any("promote" in r and "alice" in r for r in reasons)


def test_fail_rolls_back_and_metrics_record_the_verdict(tmp_path: Path) -> None:
    ctl = make(tmp_path, [FakeResult("inconclusive"), FakeResult("fail", reason="latency 3x", metric="latency")])
    final = ctl.run(max_iterations=50)
    assert final.phase == "rolled_back" and "latency" in final.reason
    assert ctl.runtime.calls[-1][0] == "stop_canary"  # type: ignore[attr-defined]
    snap = ctl.metrics.snapshot()
    assert snap['lendops_rollout_verdicts_total{decision="fail",metric="latency",rollout="lending"}'] == 1
    assert snap['lendops_rollout_phase{phase="rolled_back",rollout="lending"}'] == 1
    assert snap['lendops_rollout_canary_weight{rollout="lending"}'] == 0


def test_unreadable_metrics_roll_back_after_bounded_errors_only(tmp_path: Path) -> None:
    ctl = make(tmp_path, [FakeResult("inconclusive")] + [RuntimeError("scrape refused")] * 10)
    final = ctl.run(max_iterations=200)
    assert final.phase == "rolled_back" and "unreadable 5 times" in final.reason
    errors = [h for h in final.history if h["type"] == "analysis-error"]
    assert len(errors) == 1  # the same error is reported once, not once per tick


def test_failed_action_rolls_back_with_its_message(tmp_path: Path) -> None:
    ctl = make(tmp_path, [FakeResult("pass")], runtime=FakeRuntime(fail_on="deploy_canary"))
    final = ctl.run(max_iterations=20)
    assert final.phase == "rolled_back" and "deploy_canary failed" in final.reason


def test_restart_reapplies_the_saved_split_and_restores_the_analyzer(tmp_path: Path) -> None:
    clock = FakeClock()
    ctl = make(tmp_path, [FakeResult("inconclusive")] * 3 + [FakeResult("pass")], clock=clock)
    ctl.run(max_iterations=4)
    assert ctl.state.weight == 10 and ctl.state.phase == "progressing"
    evaluated = ctl.analyzers[-1].index  # type: ignore[attr-defined]
    runtime = FakeRuntime()  # a fresh process: it knows nothing until restore
    ctl2 = make(tmp_path, [FakeResult("inconclusive")] * 3 + [FakeResult("pass")], clock=clock, runtime=runtime)
    ctl2.run(max_iterations=1)
    assert runtime.calls[0][0] == "restore"
    assert runtime.calls[1] == ("set_traffic", (10, 7))
    assert ctl2.analyzers[0].index >= evaluated and ctl2.analyzers[0].begun == 0  # type: ignore[attr-defined]
    assert any(h["type"] == "resume" for h in ctl2.state.history)


def test_pending_actions_are_rerun_after_a_crash(tmp_path: Path) -> None:
    clock = FakeClock()
    store = RolloutStore(tmp_path, "lending")
    store.save(new_document(load_text(SPEC), spec_text=SPEC, spec_file="r.yaml", now=clock()))
    doc = store.load()
    doc["state"].update(phase="progressing", pending=[{"kind": "set_traffic", "weight": 10, "cohort": []}],
                        weight=10, started_at=clock())
    doc["runtime"] = {"stable": "1.0.0", "canary": "1.1.0"}
    store.save(doc)
    runtime = FakeRuntime()
    ctl = make(tmp_path, [FakeResult("inconclusive")], clock=clock, runtime=runtime)
    ctl.run(max_iterations=1)
    assert ("set_traffic", (10, 0)) in runtime.calls and not ctl.state.pending


def test_second_controller_is_refused(tmp_path: Path) -> None:
    ctl = make(tmp_path, [FakeResult("pass")])
    ctl.store.acquire()
    try:
        other = RolloutStore(tmp_path, "lending")
        with pytest.raises(AlreadyRunning):
            other.acquire()
        assert other.controller_pid() is not None
    finally:
        ctl.store.release()
    assert RolloutStore(tmp_path, "lending").controller_pid() is None


class _Hook(BaseHTTPRequestHandler):
    status = 200
    bodies: list[dict[str, Any]] = []
    hang: threading.Event | None = None

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        type(self).bodies.append(json.loads(self.rfile.read(length)))
        if type(self).hang is not None:
            type(self).hang.wait(10)
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hook_server() -> Any:
    handler = type("Hook", (_Hook,), {"bodies": [], "status": 200, "hang": None})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler
    if handler.hang is not None:
        handler.hang.set()
    server.shutdown()
    server.server_close()


def _with_hooks(url: str, kind: str = "generic", timeout: float = 2) -> str:
    return SPEC + f"  webhooks:\n    - {{name: ops, url: '{url}', kind: {kind}, timeoutSeconds: {timeout}}}\n"


def test_pre_rollout_gate_refusing_blocks_the_start(tmp_path: Path, hook_server: Any) -> None:
    server, handler = hook_server
    handler.status = 503
    runtime = FakeRuntime()
    ctl = make(tmp_path, [FakeResult("pass")], spec=_with_hooks(f"http://127.0.0.1:{server.server_port}/"),
               runtime=runtime)
    final = ctl.run(max_iterations=5)
    assert final.phase == "aborted" and "pre-rollout webhook ops refused: HTTP 503" in final.reason
    assert runtime.calls == []
    assert handler.bodies[0]["event"] == "pre-rollout"


def test_hanging_webhook_is_bounded_and_reported(tmp_path: Path, hook_server: Any) -> None:
    server, handler = hook_server
    handler.hang = threading.Event()
    spec = _with_hooks(f"http://127.0.0.1:{server.server_port}/", kind="dingtalk", timeout=0.3)
    ctl = make(tmp_path, [FakeResult("fail", reason="errors")], spec=spec)
    final = ctl.run(max_iterations=20)
    assert final.phase == "aborted" and "timed out" in final.reason.lower()
    assert handler.bodies[0]["msgtype"] == "markdown" and "title" in handler.bodies[0]["markdown"]


def test_failing_notifications_are_reported_and_change_nothing(tmp_path: Path, hook_server: Any) -> None:
    server, handler = hook_server
    handler.hang = threading.Event()
    spec = _with_hooks(f"http://127.0.0.1:{server.server_port}/", kind="wecom", timeout=0.3)
    spec = spec.replace("kind: wecom,", "kind: wecom, on: [step, rollback],")
    ctl = make(tmp_path, [FakeResult("inconclusive"), FakeResult("fail", reason="errors 5x")], spec=spec)
    final = ctl.run(max_iterations=30)
    assert final.phase == "rolled_back" and "errors 5x" in final.reason
    failed = [h for h in final.history if h["type"] == "webhook"]
    assert failed and all(not h["delivery"]["ok"] for h in failed)
    assert {h["delivery"]["event"] for h in failed} >= {"step", "rollback"}
    assert "content" in handler.bodies[0]["markdown"]
