"""Properties of the engine over random event sequences (hypothesis): whatever the
operators and the judge do, traffic to the canary never shrinks while it is on trial,
a rollback always ends stable-only, final phases stay final, and every phase change is
in the history with a reason."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from release.engine import ActionsDone, Command, Failure, Plan, RolloutState, Start, Tick, decide
from release.spec import load_text
from tests.release.engine.test_machine import SPEC, Result

PLAN = Plan.from_rollout(load_text(SPEC))

results = st.sampled_from(["pass", "fail", "inconclusive"]).map(
    lambda d: Result(d, reason=d, verdicts=[{"metric": "latency", "decision": d, "canary": {"n": 40}}])
)
events = st.one_of(
    st.builds(Tick, st.none() | results),
    st.builds(Command, st.sampled_from(["promote", "pause", "resume", "abort", "retry", "undo"]), st.booleans()),
    st.just(Failure("metrics unreadable")),
    st.just(ActionsDone(errors=("router down",))),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(events, st.floats(min_value=0, max_value=40)), max_size=40))
def test_invariants_hold_for_any_event_sequence(script: list[tuple[Any, float]]) -> None:
    state = RolloutState("lending", PLAN.stable_version, PLAN.canary_version)
    now = 0.0
    t = decide(PLAN, state, Start(), now=now)
    state = t.state
    for event, dt in script:
        now += dt
        before = state
        t = decide(PLAN, state, event, now=now)
        state = t.state
        # a controller completes the actions right away (unless the event was a failure report)
        if state.pending and not isinstance(event, ActionsDone):
            state = decide(PLAN, state, ActionsDone(), now=now).state
            if state.pending:
                state = decide(PLAN, state, ActionsDone(), now=now).state
        if before.phase in ("progressing", "paused") and state.phase in ("progressing", "paused") \
                and before.attempt == state.attempt:
            assert state.weight >= before.weight
            assert set(state.cohort) >= set(before.cohort)
        if state.phase in ("rolled_back", "aborted"):
            assert state.weight == 0 and state.cohort == ()
        if before.phase == "succeeded" and state.phase != "succeeded":
            assert isinstance(event, Command) and event.name == "undo"
        if before.phase != state.phase:
            last = [h for h in state.history if h["type"] == "transition"][-1]
            assert last["reason"]
        assert state.step <= len(PLAN.steps)
