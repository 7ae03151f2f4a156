"""The step engine: ``decide(plan, state, event, now=...) -> Transition`` (pure).

Phases::

    pending → progressing ⇄ paused → promoting → succeeded
    progressing | paused | promoting(action failed) → rolling_back → rolled_back | aborted
    succeeded --undo--> rolling_back → rolled_back;  rolled_back | aborted --retry--> progressing

The engine never does I/O. It returns the new state and the actions to run; the
controller persists the state (with the actions as ``pending``) *before* running them
and reports back with :class:`ActionsDone`, so a crash between the two re-runs
idempotent actions instead of losing or doubling them.

The canary is judged on every analysis result while it takes traffic, in every step,
not only during analysis steps: a "fail" (critical or not) rolls back at once. An
analysis step ends either early, when the judge is decided ("pass"), or when its
duration passes without a regression; it never rolls back for lack of data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from release.engine.plan import Plan, PlanStep
from release.engine.state import ACTIVE_PHASES, FINAL_PHASES, Action, RolloutState
from release.traffic.split import TrafficSplit

__all__ = [
    "COMMANDS",
    "ActionsDone",
    "Command",
    "Event",
    "Failure",
    "Judgement",
    "Start",
    "Tick",
    "Transition",
    "decide",
]

COMMANDS = ("promote", "pause", "resume", "abort", "retry", "undo")


class Judgement(Protocol):
    """What the engine needs from an analysis result (``release.analysis.AnalysisResult``)."""

    decision: str  # "pass" | "fail" | "inconclusive"
    critical: bool
    reason: str

    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Start:
    """Begin the rollout; ``blocked`` is why a pre-rollout gate refused (then it aborts)."""

    blocked: str = ""


@dataclass(frozen=True)
class Failure:
    """Something outside the judge went wrong for too long (e.g. the canary's metrics
    cannot be read at all): roll back with this reason."""

    reason: str


@dataclass(frozen=True)
class Tick:
    result: Judgement | None = None


@dataclass(frozen=True)
class Command:
    name: str
    full: bool = False
    by: str = "operator"


@dataclass(frozen=True)
class ActionsDone:
    errors: tuple[str, ...] = ()


Event = Start | Tick | Command | ActionsDone | Failure


@dataclass(frozen=True)
class Transition:
    state: RolloutState
    actions: tuple[Action, ...] = ()
    rejected: str = ""  # why a command was refused ("" when accepted)


def decide(plan: Plan, state: RolloutState, event: Event, *, now: float) -> Transition:
    machine = _Machine(plan, state.copy(), now)
    if isinstance(event, Start):
        machine.start(event.blocked)
    elif isinstance(event, Tick):
        machine.tick(event.result)
    elif isinstance(event, Command):
        machine.command(event)
    elif isinstance(event, ActionsDone):
        machine.actions_done(event.errors)
    elif isinstance(event, Failure):
        machine.failure(event.reason)
    else:  # pragma: no cover - the union above is closed
        raise TypeError(f"unknown event {event!r}")
    return machine.finish()


def _canary_samples(summary: dict[str, Any] | None) -> float | None:
    """The largest canary sample count among the verdicts; 0 without any result, None
    when the verdicts do not say."""
    if not summary:
        return 0.0
    counts = [v["canary"].get("n") for v in summary.get("verdicts") or [] if isinstance(v.get("canary"), dict)]
    known = [float(c) for c in counts if isinstance(c, (int, float)) and not isinstance(c, bool)]
    return max(known) if known else None


def _brief(summary: dict[str, Any]) -> str:
    """``metric decision`` pairs; the full explanations stay in the verdicts."""
    verdicts = summary.get("verdicts") or []
    if not verdicts:
        return str(summary.get("reason", ""))
    parts = []
    for v in verdicts:
        canary = v.get("canary") if isinstance(v.get("canary"), dict) else {}
        n = f" n={canary['n']:g}" if isinstance(canary.get("n"), (int, float)) else ""
        parts.append(f"{v.get('metric')} {v.get('decision')}{n}")
    return ", ".join(parts)


def _failing_metrics(result: Judgement) -> list[str]:
    verdicts = result.to_dict().get("verdicts") or []
    return [str(v.get("metric")) for v in verdicts if v.get("decision") == "fail"]


class _Machine:
    def __init__(self, plan: Plan, state: RolloutState, now: float) -> None:
        self.plan = plan
        self.s = state
        self.now = now
        self.actions: list[Action] = []
        self.rejected = ""

    # -- plumbing ---------------------------------------------------------------
    def finish(self) -> Transition:
        if self.actions:
            self.s.pending = [a.to_dict() for a in self.actions]
            self.s.pending_failures = 0
        self.s.updated_at = self.now
        return Transition(self.s, tuple(self.actions), self.rejected)

    def record(self, kind: str, reason: str, **extra: Any) -> None:
        entry: dict[str, Any] = {
            "at": self.now,
            "type": kind,
            "phase": self.s.phase,
            "step": self.s.step,
            "weight": self.s.weight,
            "reason": reason,
        }
        entry.update({k: v for k, v in extra.items() if v is not None})
        self.s.history.append(entry)

    def set_phase(self, phase: str, reason: str, **extra: Any) -> None:
        previous = self.s.phase
        self.s.phase = phase  # type: ignore[assignment]
        self.s.reason = reason
        self.record("transition", reason, previous=previous, **extra)

    def notify(self, event: str, message: str) -> None:
        self.actions.append(Action("notify", event=event, message=message))

    # -- events -----------------------------------------------------------------
    def start(self, blocked: str = "") -> None:
        if self.s.phase != "pending":
            self.rejected = f"already started (phase {self.s.phase})"
            return
        self.s.started_at = self.now
        self.s.previous_stable = self.plan.stable_version
        if blocked:
            self.s.finished_at = self.now
            self.set_phase("aborted", f"not started: {blocked}")
            return
        self.begin_attempt("rollout started")

    def failure(self, reason: str) -> None:
        if self.s.phase in ACTIVE_PHASES and not self.s.pending:
            self.rollback(reason, outcome="rolled_back")

    def begin_attempt(self, reason: str) -> None:
        self.s.step = 0
        self.s.step_started_at = None
        self.s.pause_until = None
        self.s.paused_by = ""
        self.s.weight, self.s.cohort = 0, ()
        self.s.analysis_started = False
        self.s.last_decision, self.s.last_result, self.s.last_result_at = "", None, None
        self.s.finished_at = None
        self.s.outcome = ""
        self.set_phase("progressing", reason)
        self.actions += [
            Action("deploy_canary", version=self.plan.canary_version),
            Action.traffic(TrafficSplit.stable_only()),
        ]

    def tick(self, result: Judgement | None) -> None:
        if self.s.pending or self.s.phase not in ACTIVE_PHASES:
            return  # actions still running, or nothing to drive
        if result is not None and self.s.canary_has_traffic and self.judge(result):
            return
        if self.s.phase == "paused":
            if self.s.pause_until is not None and self.now >= self.s.pause_until:
                self.s.pause_until = None
                self.set_phase("progressing", "pause ended")
                self.next_step()
            else:
                return
        self.drive()

    def judge(self, result: Judgement) -> bool:
        """Record one analysis result; True when it rolled the canary back."""
        self.s.evaluations += 1
        summary = result.to_dict()
        changed = result.decision != self.s.last_decision
        self.s.last_decision = result.decision
        self.s.last_result = summary
        self.s.last_result_at = self.now
        if result.decision == "fail":
            metrics = _failing_metrics(result)
            named = f" ({', '.join(metrics)})" if metrics else ""
            kind = "critical guardrail" if result.critical else "canary worse than stable"
            self.rollback(f"{kind}{named}: {result.reason}", outcome="rolled_back", verdicts=summary)
            return True
        if changed:
            self.record("verdict", f"analysis: {result.decision}: {_brief(summary)}", verdicts=summary)
        return False

    def drive(self) -> None:
        # Traffic steps are instantaneous; stop at the first step that waits.
        for _ in range(len(self.plan.steps) + 1):
            if self.s.phase != "progressing":
                return
            if self.s.step >= len(self.plan.steps):
                self.begin_promotion("all steps passed")
                return
            step = self.plan.steps[self.s.step]
            if self.s.step_started_at is None:
                self.enter(step)
            if not self.advance_within(step):
                return

    def enter(self, step: PlanStep) -> None:
        self.s.step_started_at = self.now
        self.record("step", f"step {step.index + 1}/{len(self.plan.steps)}: {step.describe()}")
        self.notify("step", f"step {step.index + 1}/{len(self.plan.steps)}: {step.describe()}")

    def advance_within(self, step: PlanStep) -> bool:
        """Work on the current step; True when it is finished and the next may start."""
        if step.kind == "traffic":
            self.apply_traffic(step)
            self.next_step()
            return True
        if step.kind == "promote":
            self.begin_promotion("promote step reached")
            return False
        started = self.s.step_started_at if self.s.step_started_at is not None else self.now
        if step.kind == "pause":
            if step.duration is None:
                self.s.paused_by = "step"
                self.set_phase("paused", "paused until promoted (lendops release promote)")
            else:
                self.s.paused_by = "step"
                self.s.pause_until = started + step.duration
                self.set_phase("paused", f"paused for {step.duration:g}s")
            return False
        # analysis
        assert step.duration is not None
        fresh = self.s.last_result_at is not None and self.s.last_result_at >= started
        decided = fresh and self.s.last_decision == "pass"
        if step.until == "decided" and decided:
            self.record("step-end", "ended early: decided (the judge found the canary equivalent to stable)",
                        verdicts=self.s.last_result)
            self.next_step()
            return True
        if self.now - started < step.duration:
            return False
        if decided:
            self.record("step-end", f"ended because {step.duration:g}s passed; judge: pass", verdicts=self.s.last_result)
            self.next_step()
            return True
        detail = _brief(self.s.last_result) if self.s.last_result else "no analysis result yet"
        if _canary_samples(self.s.last_result if fresh else None) == 0:
            # Never promote blind: no canary request was seen, so there was nothing to judge.
            self.s.paused_by = "inconclusive"
            self.set_phase(
                "paused",
                f"no canary traffic was observed in {step.duration:g}s: nothing to judge, so no "
                f"promotion; waiting for promote or abort",
            )
            return False
        if step.on_inconclusive == "pause":
            self.s.paused_by = "inconclusive"
            self.set_phase(
                "paused",
                f"{step.duration:g}s passed without a regression but not enough data to decide "
                f"({detail}); waiting for promote or abort",
            )
            return False
        self.record(
            "step-end",
            f"ended because {step.duration:g}s passed without a regression (inconclusive: {detail})",
            verdicts=self.s.last_result,
        )
        self.next_step()
        return True

    def next_step(self) -> None:
        self.s.step += 1
        self.s.step_started_at = None
        self.s.pause_until = None
        self.s.paused_by = ""

    def apply_traffic(self, step: PlanStep) -> None:
        # Weight and cohort only grow: a customer who met the canary stays on it.
        weight = max(self.s.weight, step.weight or 0)
        if step.cohort_all:
            weight = 100
        cohort = tuple(sorted(set(self.s.cohort) | step.cohort))
        split = TrafficSplit(weight=weight, cohort=frozenset(cohort))
        if not self.s.analysis_started and (weight > 0 or cohort):
            self.actions.append(Action("begin_analysis"))
            self.s.analysis_started = True
        self.s.weight, self.s.cohort = weight, cohort
        self.actions.append(Action.traffic(split))

    def begin_promotion(self, reason: str) -> None:
        self.set_phase("promoting", reason)
        self.actions += [
            Action.traffic(TrafficSplit.canary_only()),
            Action("promote_target", version=self.plan.canary_version),
        ]
        self.s.weight, self.s.cohort = 100, ()

    def rollback(self, reason: str, *, outcome: str, verdicts: dict[str, Any] | None = None) -> None:
        self.s.outcome = outcome
        self.set_phase("rolling_back", reason, verdicts=verdicts)
        self.s.weight, self.s.cohort = 0, ()
        self.s.pause_until, self.s.paused_by = None, ""
        self.actions += [Action.traffic(TrafficSplit.stable_only()), Action("stop_canary")]
        self.notify("rollback", reason)

    # -- operator commands ------------------------------------------------------
    def command(self, cmd: Command) -> None:
        handler = getattr(self, f"cmd_{cmd.name}", None)
        if handler is None:
            self.rejected = f"unknown command {cmd.name!r} (one of {', '.join(COMMANDS)})"
        else:
            handler(cmd)
        if self.rejected:
            self.record("command", f"{cmd.name} refused: {self.rejected}", by=cmd.by)

    def refuse_unless(self, phases: set[str], cmd: Command) -> bool:
        # The controller runs pending actions before it hands over a command, so a
        # command never overwrites actions that have not run.
        if self.s.phase in phases:
            return False
        self.rejected = f"{cmd.name} is not possible in phase {self.s.phase}"
        return True

    def cmd_promote(self, cmd: Command) -> None:
        if self.refuse_unless(set(ACTIVE_PHASES), cmd):
            return
        label = "promote --full" if cmd.full else "promote"
        self.record("command", label, by=cmd.by)
        if cmd.full:
            self.begin_promotion(f"promoted in full by {cmd.by}")
            return
        if self.s.step < len(self.plan.steps):
            step = self.plan.steps[self.s.step]
            if step.kind in ("analysis", "pause"):
                self.record("step-end", f"skipped by {cmd.by}: {step.describe()}")
                self.next_step()
        if self.s.phase == "paused":
            self.set_phase("progressing", f"promoted by {cmd.by}")
        self.drive()

    def cmd_pause(self, cmd: Command) -> None:
        if self.refuse_unless({"progressing"}, cmd):
            return
        self.s.paused_by = "operator"
        self.set_phase("paused", f"paused by {cmd.by}")

    def cmd_resume(self, cmd: Command) -> None:
        if self.refuse_unless({"paused"}, cmd):
            return
        by_step = self.s.paused_by in ("step", "inconclusive")
        self.set_phase("progressing", f"resumed by {cmd.by}")
        if by_step:
            self.next_step()
        else:
            self.s.paused_by = ""
        self.drive()

    def cmd_abort(self, cmd: Command) -> None:
        if self.refuse_unless(set(ACTIVE_PHASES) | {"pending"}, cmd):
            return
        self.rollback(f"aborted by {cmd.by}", outcome="aborted")

    def cmd_retry(self, cmd: Command) -> None:
        if self.refuse_unless({"rolled_back", "aborted"}, cmd):
            return
        if self.s.stable_version != self.plan.stable_version:
            self.rejected = "the stable build changed (undo happened); start a new rollout"
            return
        self.s.attempt += 1
        self.begin_attempt(f"retry #{self.s.attempt - 1} by {cmd.by}")

    def cmd_undo(self, cmd: Command) -> None:
        if self.s.phase in ACTIVE_PHASES:
            self.rollback(f"undone by {cmd.by}", outcome="aborted")
            return
        if self.refuse_unless({"succeeded"}, cmd):
            return
        previous = self.s.previous_stable or self.plan.stable_version
        self.s.outcome = "rolled_back"
        self.set_phase("rolling_back", f"undo by {cmd.by}: back to the previous stable {previous}")
        self.actions += [Action("revert_stable", version=previous)]
        self.notify("rollback", f"undo: back to {previous}")

    # -- completion of actions --------------------------------------------------
    def actions_done(self, errors: tuple[str, ...]) -> None:
        if not self.s.pending:
            return
        if errors:
            self.s.pending_failures += 1
            message = "; ".join(errors)
            self.record("action-failed", message, attempt=self.s.pending_failures)
            if self.s.phase in ACTIVE_PHASES or self.s.phase == "promoting":
                self.s.pending = []
                self.rollback(f"action failed: {message}", outcome="rolled_back")
            # rolling back: keep the actions pending; the controller retries them.
            return
        done = self.s.pending_actions
        self.s.pending = []
        self.s.pending_failures = 0
        if self.s.phase == "promoting":
            self.s.previous_stable = self.s.stable_version
            self.s.stable_version = self.plan.canary_version
            self.s.weight, self.s.cohort = 0, ()
            self.s.finished_at = self.now
            self.set_phase("succeeded", f"promoted: {self.plan.canary_version} is the new stable")
            self.notify("post-rollout", f"{self.plan.canary_version} promoted to stable")
        elif self.s.phase == "rolling_back":
            outcome = self.s.outcome or "rolled_back"
            for action in done:
                if action.kind == "revert_stable":
                    self.s.stable_version = action.version
            self.s.finished_at = self.now
            self.s.weight, self.s.cohort = 0, ()
            self.set_phase(outcome, self.s.reason)


def is_final(state: RolloutState) -> bool:
    return state.phase in FINAL_PHASES
