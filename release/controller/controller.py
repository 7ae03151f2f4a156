"""The rollout controller: drives the pure engine, persists after every transition,
runs the actions through the runtime, feeds analysis results, takes operator commands
from the command queue, sends webhooks.

Crash safety: a transition is saved (with its actions as ``pending``) *before* any
action runs; on restart pending actions are re-run (they are idempotent), the
persisted traffic split is re-applied, and the analyzer is restored from its saved
state, so ``lendops release resume`` after a kill -9 changes no traffic by surprise.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from release.controller.errors import ControllerError
from release.controller.metrics import RolloutMetrics
from release.controller.runtime import Runtime
from release.controller.store import RolloutStore
from release.engine import (
    ACTIVE_PHASES,
    Action,
    ActionsDone,
    Command,
    Event,
    Failure,
    Plan,
    RolloutState,
    Start,
    Tick,
    decide,
    is_final,
)
from release.spec import Rollout, load_text
from release.webhook import Delivery, Notification, WebhookSender

__all__ = ["AnalyzerFactory", "Controller", "ControllerOptions", "new_document"]


class _Analyzer(Protocol):
    def begin(self) -> None: ...
    def evaluate(self) -> Any: ...
    def state(self) -> dict[str, Any]: ...


#: Builds an analyzer for the tracks' endpoints; with a saved state it restores one.
AnalyzerFactory = Callable[[Rollout, dict[str, str], "dict[str, Any] | None"], _Analyzer]


def default_analyzer_factory(rollout: Rollout, endpoints: dict[str, str], saved: dict[str, Any] | None) -> _Analyzer:
    from release.analysis import Analyzer, build_provider

    spec = rollout.spec.analysis
    provider = build_provider(spec.provider, endpoints=endpoints)
    if saved is not None:
        return Analyzer.restore(spec, provider, saved)  # type: ignore[no-any-return]
    return Analyzer(spec, provider)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class ControllerOptions:
    tick_seconds: float = 0.2
    """How often the loop wakes up to take commands and check step timers."""
    max_analysis_errors: int = 5
    """Consecutive failed evaluations (metrics unreadable) before rolling back."""
    action_retry_seconds: float = 1.0
    """Wait between attempts of actions that failed while rolling back."""


def new_document(rollout: Rollout, *, spec_text: str, spec_file: str, now: float) -> dict[str, Any]:
    state = RolloutState(rollout.name, rollout.spec.stable.version, rollout.spec.canary.version)
    state.updated_at = now
    return {
        "version": 1,
        "name": rollout.name,
        "spec_file": spec_file,
        "spec_text": spec_text,
        "state": state.to_dict(),
        "analyzer": None,
        "runtime": {},
        "metrics": {},
        "controller": {},
    }


def _interval_seconds(rollout: Rollout) -> float:
    interval = getattr(rollout.spec.analysis, "interval", None)
    if isinstance(interval, timedelta):
        return interval.total_seconds()
    if isinstance(interval, (int, float)):
        return float(interval)
    if isinstance(rollout.spec.analysis, dict):
        from release.spec.duration import parse_duration

        return parse_duration(rollout.spec.analysis.get("interval", "5s"))
    raise ControllerError("the analysis section could not be validated (is release.analysis installed?)")


class Controller:
    def __init__(
        self,
        store: RolloutStore,
        runtime: Runtime,
        *,
        analyzer_factory: AnalyzerFactory = default_analyzer_factory,
        sender: WebhookSender | None = None,
        metrics: RolloutMetrics | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        options: ControllerOptions = ControllerOptions(),
    ) -> None:
        self.store = store
        self.doc = store.load()
        self.rollout = load_text(self.doc["spec_text"], self.doc.get("spec_file") or "<saved spec>")
        self.plan = Plan.from_rollout(self.rollout)
        self.state = RolloutState.from_dict(self.doc["state"])
        self.runtime = runtime
        self.analyzer_factory = analyzer_factory
        self.sender = sender if sender is not None else WebhookSender(self.rollout.spec.webhooks)
        self.metrics = metrics or RolloutMetrics()
        self.clock = clock
        self.sleep = sleep
        self.on_event = on_event or (lambda event: None)
        self.options = options
        self.interval = _interval_seconds(self.rollout)
        self.analyzer: _Analyzer | None = None
        self._last_eval: float | None = None
        self._analysis_errors = 0
        self._last_error = ""
        self._last_action_failure = 0.0
        self.load: Any = None
        if self.rollout.spec.load is not None:
            from pathlib import Path

            from release.controller.load import LoadDriver

            spec_dir = Path(self.doc.get("spec_file") or ".").parent
            self.load = LoadDriver(self.rollout.spec.load, spec_dir=spec_dir, out_dir=store.dir / "load",
                                   saved=self.doc.get("load"))
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="notify")
        self._notifications: list[Future[list[Delivery]]] = []

    # -- the loop -----------------------------------------------------------------
    def run(self, *, max_iterations: int | None = None) -> RolloutState:
        """Drive the rollout until it reaches a final phase (or ``max_iterations``)."""
        self.store.acquire()
        try:
            self.recover()
            count = 0
            while True:
                self.iterate()
                count += 1
                if is_final(self.state) and not self.state.pending and not self.store.pending_commands():
                    break
                if max_iterations is not None and count >= max_iterations:
                    break
                self.sleep(self.options.tick_seconds)
        finally:
            if self.load is not None and is_final(self.state) and self.load.active:
                self.note("load", self._stop_load())
            self.flush_notifications()
            self.persist()
            self._pool.shutdown(wait=False)
            self.store.release()
        return self.state

    def recover(self) -> None:
        """After a (re)start: re-attach processes, restore the analyzer, re-assert the
        persisted split. A fresh rollout has nothing to recover."""
        self.doc["controller"] = {"pid": __import__("os").getpid(), "started_at": self.clock()}
        if self.state.phase == "pending" or not self.doc.get("runtime"):
            self.persist()
            return
        try:
            self.runtime.restore(self.doc["runtime"])
        except Exception as exc:
            raise ControllerError(f"cannot re-attach to the rollout's processes: {exc}") from exc
        if self.state.phase in ACTIVE_PHASES and self.state.analysis_started:
            saved = self.doc.get("analyzer")
            self.analyzer = self.analyzer_factory(self.rollout, self.runtime.endpoints(), saved)
            if saved is None:
                self.analyzer.begin()
        if not self.state.pending and self.state.phase in ACTIVE_PHASES:
            before = self.runtime.current_traffic()
            self.runtime.set_traffic(self.state.split)
            note = "controller restarted: re-applied the saved split"
            if before is not None and before != self.state.split:
                note += f" (router had weight {before.weight}, cohort {len(before.cohort)})"
            self.note("resume", note)
        self.persist()

    def iterate(self) -> None:
        self.harvest_notifications()
        if self.state.pending:
            if self.state.pending_failures and self.clock() - self._last_action_failure < self.options.action_retry_seconds:
                return
            self.execute(self.state.pending_actions)
            return
        if self.state.phase == "pending":
            self.apply(Start(blocked=self.gate()))
            return
        for path, command in self.store.queued():
            # Removed only once its transition is saved: a crash in between re-applies
            # it, and a second apply of the same command is refused, not doubled.
            self.apply(Command(str(command.get("name")), bool(command.get("full")), str(command.get("by") or "operator")))
            path.unlink(missing_ok=True)
            if self.state.pending:
                return
        self.apply(Tick(self.evaluate()))
        self.drive_load()
        self.metrics.update(self.state, now=self.clock())

    def drive_load(self) -> None:
        """Start the spec's load once the canary takes traffic; stop it when the canary
        leaves (rollback, promotion)."""
        if self.load is None:
            return
        router = self.runtime.router_url()
        wanted = self.state.phase in ACTIVE_PHASES and self.state.canary_has_traffic and router is not None
        started_for = (self.doc.get("load") or {}).get("attempt")
        if wanted and not self.load.active and started_for != self.state.attempt:
            try:
                self.doc["load"] = {**self.load.start(str(router)), "attempt": self.state.attempt}
            except Exception as exc:  # noqa: BLE001 - a broken scenario must not stop the rollout itself
                self.doc["load"] = {"error": str(exc), "attempt": self.state.attempt}
                self.note("load", f"load could not start: {exc}")
                return
            self.note("load", f"load scenario {self.load.spec.scenario} started against {router}")
        elif not wanted and self.state.phase not in ACTIVE_PHASES and self.load.active:
            self.note("load", self._stop_load())

    def _stop_load(self) -> str:
        """Stop the load; a load that will not stop is killed and reported, never a
        reason for the controller itself to fail."""
        try:
            return str(self.load.stop())
        except Exception as exc:  # noqa: BLE001 - the rollout's outcome stands regardless
            return f"load did not stop cleanly: {exc}"

    # -- transitions ----------------------------------------------------------------
    def apply(self, event: Event) -> None:
        before = len(self.state.history)
        transition = decide(self.plan, self.state, event, now=self.clock())
        changed = transition.state != self.state
        self.state = transition.state
        if changed:
            self.persist()
        for entry in self.state.history[before:]:
            self.on_event(entry)
        if transition.actions:
            self.execute(list(transition.actions))

    def execute(self, actions: list[Action]) -> None:
        errors: list[str] = []
        for action in actions:
            if action.kind == "notify":
                self.notify(action)
                continue
            try:
                self.run_action(action)
            except Exception as exc:  # noqa: BLE001 - an action failing is a rollout event, not a crash
                errors.append(f"{action.kind} failed: {exc}")
                self._last_action_failure = self.clock()
                break
        self.doc["runtime"] = self.runtime.state()
        self.apply(ActionsDone(tuple(errors)))

    def run_action(self, action: Action) -> None:
        if action.kind == "deploy_canary":
            self.runtime.deploy_canary(action.version)
        elif action.kind == "begin_analysis":
            self.analyzer = self.analyzer_factory(self.rollout, self.runtime.endpoints(), None)
            self.analyzer.begin()
            self.doc["analyzer"] = self.analyzer.state()
            self._last_eval = self.clock()
        elif action.kind == "set_traffic":
            self.runtime.set_traffic(action.split)
        elif action.kind == "promote_target":
            self.analyzer = None
            self.runtime.promote()
        elif action.kind == "stop_canary":
            self.analyzer = None
            self.runtime.stop_canary()
        elif action.kind == "revert_stable":
            self.runtime.revert_stable(action.version)
        else:
            raise ControllerError(f"unknown action {action.kind}")

    # -- analysis --------------------------------------------------------------------
    def evaluate(self) -> Any:
        if self.state.phase not in ACTIVE_PHASES or not self.state.canary_has_traffic or self.analyzer is None:
            return None
        now = self.clock()
        if self._last_eval is not None and now - self._last_eval < self.interval:
            return None
        self._last_eval = now
        try:
            result = self.analyzer.evaluate()
        except Exception as exc:  # noqa: BLE001 - provider down, template error: not a verdict
            self._analysis_errors += 1
            message = f"analysis could not run ({self._analysis_errors}x): {exc}"
            if str(exc) != self._last_error:
                self.note("analysis-error", message)
                self._last_error = str(exc)
            if self._analysis_errors >= self.options.max_analysis_errors:
                self.apply(Failure(f"metrics unreadable {self._analysis_errors} times in a row: {exc}"))
            return None
        self._analysis_errors, self._last_error = 0, ""
        self.doc["analyzer"] = self.analyzer.state()
        summary = result.to_dict()
        self.metrics.observe(self.state.name, summary)
        self.on_event({"at": now, "type": "evaluation", "step": self.state.step, "weight": self.state.weight,
                       "reason": f"{result.decision}: {result.reason}", "verdicts": summary})
        return result

    # -- webhooks --------------------------------------------------------------------
    def notification(self, event: str, message: str) -> Notification:
        verdicts = (self.state.last_result or {}).get("verdicts") or []
        return Notification(
            event=event, rollout=self.state.name, phase=self.state.phase, message=message,
            stable=self.plan.stable_version, canary=self.plan.canary_version, step=self.state.step,
            steps=len(self.plan.steps), weight=self.state.weight, cohort=self.state.cohort,
            at=self.clock(), verdicts=list(verdicts),
        )

    def gate(self) -> str:
        """Run pre-rollout hooks synchronously; the reason to block, or ''."""
        deliveries = self.sender.send(self.notification("pre-rollout", "rollout about to start"))
        self.record_deliveries(deliveries)
        refused = [d for d in deliveries if not d.ok]
        return "; ".join(f"pre-rollout webhook {d.name} refused: {d.error}" for d in refused)

    def notify(self, action: Action) -> None:
        if self.sender.hooks_for(action.event):
            self._notifications.append(self._pool.submit(self.sender.send, self.notification(action.event, action.message)))

    def harvest_notifications(self) -> None:
        done = [f for f in self._notifications if f.done()]
        self._notifications = [f for f in self._notifications if not f.done()]
        for future in done:
            self.record_deliveries(future.result())

    def flush_notifications(self) -> None:
        limit = max((h.timeoutSeconds for h in self.sender.hooks), default=0.0) + 1.0
        deadline = time.monotonic() + limit
        for future in list(self._notifications):
            try:
                future.result(timeout=max(0.0, deadline - time.monotonic()))
            except Exception:  # noqa: BLE001, S110 - a sender bug must not block shutdown
                pass
        self.harvest_notifications()

    def record_deliveries(self, deliveries: list[Delivery]) -> None:
        for d in deliveries:
            reason = f"webhook {d.name} ({d.event}): " + ("ok" if d.ok else f"failed: {d.error}")
            self.note("webhook", reason, delivery=d.to_dict())

    # -- persistence ----------------------------------------------------------------------
    def note(self, kind: str, reason: str, **extra: Any) -> None:
        entry = {"at": self.clock(), "type": kind, "phase": self.state.phase, "step": self.state.step,
                 "weight": self.state.weight, "reason": reason, **extra}
        self.state.history.append(entry)
        self.persist()
        self.on_event(entry)

    def persist(self) -> None:
        self.metrics.update(self.state, now=self.clock())
        self.doc["state"] = self.state.to_dict()
        self.doc["metrics"] = self.metrics.snapshot()
        self.doc["controller"]["heartbeat"] = self.clock()
        router = self.runtime.router_url()
        if router:
            self.doc["router_url"] = router
        self.store.save(self.doc)
