from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from release.engine import (
    ActionsDone,
    Command,
    Plan,
    RolloutState,
    Start,
    Tick,
    decide,
)
from release.spec import PILOT_BRANCHES, load_text

SPEC = """
apiVersion: lendops.dev/v1alpha1
kind: Rollout
metadata: {name: lending}
spec:
  stable: {version: "1.0.0"}
  canary: {version: "1.1.0"}
  steps:
    - cohort: pilot
    - analysis: {duration: 60s, until: decided}
    - cohort: pilot
      setWeight: 10
    - analysis: {duration: 30s}
    - pause: {}
    - setWeight: 50
    - analysis: {duration: 30s, onInconclusive: pause}
    - promote: {}
"""


@dataclass
class Result:
    decision: str
    critical: bool = False
    reason: str = ""
    verdicts: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"decision": self.decision, "critical": self.critical, "reason": self.reason, "verdicts": self.verdicts}


class Driver:
    """Runs the engine like the controller does: actions complete right away."""

    def __init__(self, spec: str = SPEC) -> None:
        self.plan = Plan.from_rollout(load_text(spec))
        self.state = RolloutState("lending", self.plan.stable_version, self.plan.canary_version)
        self.now = 1000.0
        self.actions: list[Any] = []

    def send(self, event: Any, *, at: float | None = None) -> Any:
        if at is not None:
            self.now = at
        t = decide(self.plan, self.state, event, now=self.now)
        self.state = t.state
        self.actions.extend(t.actions)
        if t.actions:
            done = decide(self.plan, self.state, ActionsDone(), now=self.now)
            self.state = done.state
            self.actions.extend(done.actions)
            if done.actions:  # notifications after completion
                self.state = decide(self.plan, self.state, ActionsDone(), now=self.now).state
        return t

    def kinds(self) -> list[str]:
        return [a.kind for a in self.actions]


def test_plan_keeps_cohort_combined_with_weight() -> None:
    plan = Plan.from_rollout(load_text(SPEC))
    assert plan.steps[2].kind == "traffic"
    assert plan.steps[2].weight == 10 and plan.steps[2].cohort == PILOT_BRANCHES


def test_start_deploys_canary_before_any_traffic() -> None:
    d = Driver()
    t = d.send(Start())
    assert [a.kind for a in t.actions] == ["deploy_canary", "set_traffic"]
    assert t.actions[1].weight == 0 and d.state.phase == "progressing"


def test_good_canary_goes_through_every_step_to_succeeded() -> None:
    d = Driver()
    d.send(Start())
    d.send(Tick())
    assert d.state.cohort == tuple(sorted(PILOT_BRANCHES)) and d.state.weight == 0
    assert d.kinds().index("begin_analysis") < d.kinds().index("set_traffic", 2)
    d.send(Tick(Result("pass", reason="equivalent")), at=1005)
    # until: decided ends the first analysis early, then weight 10 + pilot
    assert d.state.step == 3 and d.state.weight == 10
    assert any("ended early: decided" in h["reason"] for h in d.state.history)
    d.send(Tick(Result("pass")), at=1036)
    assert d.state.phase == "paused" and d.state.paused_by == "step"
    d.send(Tick(), at=5000)
    assert d.state.phase == "paused"  # an open pause waits for the operator
    d.send(Command("promote"), at=5001)
    assert d.state.weight == 50 and d.state.phase == "progressing"
    d.send(Tick(Result("pass")), at=5040)
    assert d.state.phase == "succeeded"
    assert d.state.stable_version == "1.1.0" and d.state.previous_stable == "1.0.0"
    assert "promote_target" in d.kinds()
    assert d.kinds()[-1] == "notify" and d.actions[-1].event == "post-rollout"


def test_weight_never_shrinks_and_cohort_only_grows() -> None:
    d = Driver()
    d.send(Start())
    d.send(Tick())
    seen = []
    for at in range(1001, 1200):
        d.send(Tick(Result("pass")), at=at)
        if d.state.phase == "paused":
            d.send(Command("promote"), at=at)
        seen.append((d.state.weight, len(d.state.cohort)))
        if d.state.phase not in ("progressing", "paused"):
            break
    weights = [a.weight for a in d.actions if a.kind == "set_traffic" and d.state.phase != "rolling_back"]
    # up to promotion (100) the weights set are monotone
    assert weights == sorted(weights)


@pytest.mark.parametrize("critical", [True, False])
def test_fail_rolls_back_at_once_at_any_step_and_names_the_metric(critical: bool) -> None:
    d = Driver()
    d.send(Start())
    d.send(Tick())
    verdicts = [{"metric": "error-ratio", "decision": "fail"}, {"metric": "latency", "decision": "inconclusive"}]
    d.send(Tick(Result("fail", critical=critical, reason="canary errors 5x stable", verdicts=verdicts)), at=1001)
    assert d.state.phase == "rolled_back" and d.state.weight == 0
    assert "error-ratio" in d.state.reason and "latency" not in d.state.reason
    assert ("critical" in d.state.reason) is critical
    assert d.kinds()[-3:] == ["set_traffic", "stop_canary", "notify"]
    transition = [h for h in d.state.history if h["type"] == "transition" and h["phase"] == "rolling_back"][0]
    assert transition["verdicts"]["verdicts"][0]["metric"] == "error-ratio"


def test_fail_during_a_pause_still_rolls_back() -> None:
    d = Driver()
    d.send(Start())
    d.send(Tick())
    d.send(Tick(Result("pass")), at=1001)
    d.send(Tick(Result("pass")), at=1040)
    assert d.state.phase == "paused"
    d.send(Tick(Result("fail", reason="apr outside guardrail", critical=True)), at=1041)
    assert d.state.phase == "rolled_back"


def test_results_before_the_canary_has_traffic_are_ignored() -> None:
    d = Driver(SPEC.replace("    - cohort: pilot\n    - analysis: {duration: 60s, until: decided}\n", "    - pause: {duration: 10s}\n"))
    d.send(Start())
    d.send(Tick())
    assert d.state.phase == "paused" and not d.state.canary_has_traffic
    d.send(Tick(Result("fail", reason="noise")), at=1001)
    assert d.state.phase == "paused"


def test_inconclusive_never_rolls_back_and_the_step_says_why_it_ended() -> None:
    d = Driver()
    d.send(Start())
    d.send(Tick())
    for at in range(1001, 1061, 5):
        d.send(Tick(Result("inconclusive", reason="not enough data: 3 of 50 requests")), at=at)
        assert d.state.phase == "progressing"
    d.send(Tick(), at=1061)
    ended = [h for h in d.state.history if h["type"] == "step-end"]
    assert "60s passed without a regression" in ended[0]["reason"]
    assert "not enough data" in ended[0]["reason"]
    assert d.state.step == 3


def test_inconclusive_pause_option_waits_for_an_operator() -> None:
    d = Driver()
    d.send(Start())
    d.send(Tick())
    d.send(Tick(Result("pass")), at=1001)
    d.send(Tick(Result("pass")), at=1032)
    d.send(Command("promote"))  # past the open pause
    assert d.state.weight == 50
    d.send(Tick(Result("inconclusive", reason="thin")), at=1100)
    assert d.state.phase == "paused" and d.state.paused_by == "inconclusive"
    assert "not enough data" in d.state.reason
    d.send(Command("resume"), at=1101)
    assert d.state.phase == "succeeded"


def test_promote_full_skips_all_remaining_steps() -> None:
    d = Driver()
    d.send(Start())
    d.send(Tick())
    d.send(Command("promote", full=True, by="alice"), at=1002)
    assert d.state.phase == "succeeded"
    assert any("promoted in full by alice" in h["reason"] for h in d.state.history)


def test_pause_and_resume_keep_the_current_step() -> None:
    d = Driver()
    d.send(Start())
    d.send(Tick())
    d.send(Command("pause"), at=1001)
    assert d.state.phase == "paused" and d.state.step == 1
    d.send(Tick(Result("pass")), at=1002)
    assert d.state.step == 1
    d.send(Command("resume"), at=1003)
    assert d.state.phase == "progressing"
    d.send(Tick(Result("pass")), at=1004)
    assert d.state.step >= 2


def test_abort_rolls_back_as_aborted_and_retry_starts_over() -> None:
    d = Driver()
    d.send(Start())
    d.send(Tick())
    d.send(Command("abort", by="bob"))
    assert d.state.phase == "aborted" and d.state.reason == "aborted by bob"
    d.send(Command("retry"))
    assert d.state.phase == "progressing" and d.state.attempt == 2 and d.state.step == 0
    d.send(Tick())
    assert d.state.cohort


def test_undo_after_success_reverts_to_the_previous_stable() -> None:
    d = Driver()
    d.send(Start())
    d.send(Command("promote", full=True))
    d.send(Command("undo"))
    assert d.state.phase == "rolled_back"
    assert d.state.stable_version == "1.0.0"
    assert [a for a in d.actions if a.kind == "revert_stable"][0].version == "1.0.0"


def test_refused_commands_are_recorded_and_change_nothing() -> None:
    d = Driver()
    d.send(Start())
    before = d.state.phase
    t = d.send(Command("resume"))
    assert t.rejected and d.state.phase == before
    assert d.state.history[-1]["type"] == "command" and "refused" in d.state.history[-1]["reason"]
    assert decide(d.plan, d.state, Command("explode"), now=1).rejected.startswith("unknown command")


def test_failed_action_while_progressing_rolls_back() -> None:
    d = Driver()
    t = decide(d.plan, d.state, Start(), now=1)
    t = decide(d.plan, t.state, ActionsDone(errors=("canary did not become ready",)), now=2)
    assert t.state.phase == "rolling_back" and "did not become ready" in t.state.reason
    again = decide(d.plan, t.state, ActionsDone(errors=("router down",)), now=3)
    assert again.state.phase == "rolling_back" and again.state.pending  # kept for retry
    assert decide(d.plan, again.state, ActionsDone(), now=4).state.phase == "rolled_back"


def test_tick_with_pending_actions_does_nothing() -> None:
    d = Driver()
    t = decide(d.plan, d.state, Start(), now=1)
    assert t.state.pending
    t2 = decide(d.plan, t.state, Tick(Result("fail")), now=2)
    assert t2.actions == () and t2.state.phase == "progressing"


def test_timed_pause_ends_by_itself() -> None:
    d = Driver(SPEC.replace("- pause: {}", "- pause: {duration: 20s}"))
    d.send(Start())
    d.send(Tick())
    d.send(Tick(Result("pass")), at=1001)
    d.send(Tick(Result("pass")), at=1032)
    assert d.state.phase == "paused"
    d.send(Tick(), at=1040)
    assert d.state.phase == "paused"
    d.send(Tick(), at=1052)
    assert d.state.phase == "progressing" and d.state.weight == 50


def test_state_round_trips_through_json() -> None:
    import json

    d = Driver()
    d.send(Start())
    d.send(Tick(Result("pass", verdicts=[{"metric": "latency", "decision": "pass"}])))
    restored = RolloutState.from_dict(json.loads(json.dumps(d.state.to_dict())))
    assert restored == d.state


def test_a_refusing_pre_rollout_gate_aborts_before_anything_runs() -> None:
    d = Driver()
    t = d.send(Start(blocked="pre-rollout webhook gate answered HTTP 503"))
    assert t.actions == () and d.state.phase == "aborted"
    assert "HTTP 503" in d.state.reason


def test_failure_event_rolls_back_only_while_active() -> None:
    from release.engine import Failure

    d = Driver()
    d.send(Start())
    d.send(Tick())
    d.send(Failure("canary metrics unreadable 5 times in a row"))
    assert d.state.phase == "rolled_back" and "unreadable" in d.state.reason
    d.send(Failure("again"))
    assert d.state.reason.endswith("in a row")


def test_no_canary_traffic_at_all_pauses_instead_of_promoting_blind() -> None:
    d = Driver()
    d.send(Start())
    d.send(Tick())
    empty = Result("inconclusive", reason="not enough data", verdicts=[{"metric": "error-ratio", "decision": "inconclusive", "canary": {"n": 0}}])
    for at in range(1001, 1062, 5):
        d.send(Tick(empty), at=at)
    assert d.state.phase == "paused" and "no canary traffic" in d.state.reason
    d.send(Command("resume"), at=1070)  # an operator may still decide to go on
    assert d.state.phase == "progressing" and d.state.step == 3


def test_no_result_at_all_also_pauses() -> None:
    d = Driver()
    d.send(Start())
    d.send(Tick())
    d.send(Tick(), at=1061)
    assert d.state.phase == "paused" and "nothing to judge" in d.state.reason
