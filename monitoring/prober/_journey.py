"""One walk along the credit path, as a customer would take it, measured per step."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from monitoring.client import ClientError, LendingClient, Reply

from ._customer import synthetic_customer
from ._metrics import ProberMetrics

__all__ = ["JourneySettings", "JourneyResult", "JourneyCancelled", "StepResult", "STEPS", "walk"]

STEPS = ("register", "apply", "quote", "draw", "disburse", "repay")


@dataclass(frozen=True, slots=True)
class JourneySettings:
    #: Branch the synthetic customers belong to (the token's branch for a manager token).
    branch_code: str = "522629"
    #: Amount drawn and repaid; small so probes barely touch the ledger.
    amount_fen: int = 100_000
    term_months: int = 3
    #: Revolving: repaid the same day, the outstanding principal is all that is owed.
    repayment_method: str = "revolving"
    #: How long to wait for the payout before calling the loan stuck.
    disburse_timeout_s: float = 30.0
    disburse_poll_s: float = 0.25


@dataclass(frozen=True, slots=True)
class StepResult:
    step: str
    ok: bool
    duration_s: float
    track: str | None
    #: Why it failed: the client outcome (http_error, timeout, connection_error) or a
    #: business reason (declined, stuck, unexpected).
    reason: str | None = None
    detail: str | None = None


@dataclass(slots=True)
class JourneyResult:
    steps: list[StepResult] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return len(self.steps) == len(STEPS) and all(s.ok for s in self.steps)

    @property
    def outcome(self) -> str:
        """``ok``, or the step where the journey stopped."""
        failed = next((s for s in self.steps if not s.ok), None)
        return "ok" if failed is None and self.ok else (failed.step if failed else "incomplete")


class _Stop(Exception):
    pass


class JourneyCancelled(Exception):
    """Raised by the injected ``sleep`` when the run is being stopped mid-journey."""


def walk(
    client: LendingClient,
    settings: JourneySettings,
    metrics: ProberMetrics | None = None,
    *,
    rng: random.Random | None = None,
    clock: Callable[[], float] = time.perf_counter,
    sleep: Callable[[float], None] = time.sleep,
) -> JourneyResult:
    """Register a fresh synthetic customer, apply, quote, draw, wait for the payout, repay.

    Stops at the first failing step; every step taken is measured and recorded.
    """
    rng = rng or random.Random()
    result = JourneyResult()
    start = clock()

    def call(step: str, fn: Callable[[], Reply], check: Callable[[Reply], str | None] | None = None) -> Reply:
        try:
            reply = fn()
        except ClientError as exc:
            r = exc.result
            _record(result, metrics, StepResult(step, False, r.duration_s if r else 0.0, r.track if r else None,
                                                r.outcome if r else "unexpected", str(exc)))
            raise _Stop from exc
        # A call can succeed and still fail the customer (a probe customer built to be
        # approved gets declined): that is a business failure of the build under test.
        detail = check(reply) if check is not None else None
        _record(result, metrics, StepResult(step, detail is None, reply.duration_s, reply.track,
                                            None if detail is None else detail.split(":", 1)[0], detail))
        if detail is not None:
            raise _Stop
        return reply

    try:
        customer = call(
            "register", lambda: client.register_customer(**synthetic_customer(settings.branch_code, rng)),
            _fields("customer_id"),
        )
        cid = customer["customer_id"]
        grant = call("apply", lambda: client.apply(cid), _approved)
        amount = min(settings.amount_fen, int(grant["line_fen"]))
        call("quote", lambda: client.quote(cid, amount, settings.term_months, settings.repayment_method))
        draw = call(
            "draw", lambda: client.draw(cid, amount, settings.term_months, settings.repayment_method),
            _fields("loan_id"),
        )
        loan = _await_payout(client, draw["loan_id"], settings, result, metrics, clock, sleep)
        owed = loan.get("outstanding_fen")
        owed = owed if isinstance(owed, int) and owed > 0 else amount
        call("repay", lambda: client.repay(draw["loan_id"], owed))
    except _Stop:
        pass
    result.duration_s = clock() - start
    if metrics is not None:
        metrics.journey_duration.observe(result.duration_s)
        metrics.journeys.labels(outcome=result.outcome).inc()
        if result.ok:
            metrics.last_success.set_to_current_time()
    return result


def _await_payout(
    client: LendingClient,
    loan_id: int | str,
    settings: JourneySettings,
    result: JourneyResult,
    metrics: ProberMetrics | None,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> Reply:
    """Poll the loan until it is active: the time the customer waits for the money."""
    start = clock()
    polls = max(1, int(settings.disburse_timeout_s / settings.disburse_poll_s) + 1)
    status = None
    track = None
    for i in range(polls):
        try:
            reply = client.loan(loan_id)
        except ClientError as exc:
            r = exc.result
            _record(result, metrics, StepResult("disburse", False, clock() - start, r.track if r else None,
                                                r.outcome if r else "unexpected", str(exc)))
            raise _Stop from exc
        status, track = reply.get("status"), reply.track
        if status == "active":
            _record(result, metrics, StepResult("disburse", True, clock() - start, track))
            return reply
        if status != "pending_disbursement" or clock() - start >= settings.disburse_timeout_s:
            break
        if i + 1 < polls:
            sleep(settings.disburse_poll_s)
    reason = "stuck" if status == "pending_disbursement" else "unexpected"
    _record(result, metrics, StepResult("disburse", False, clock() - start, track, reason, f"loan status {status}"))
    raise _Stop


def _record(result: JourneyResult, metrics: ProberMetrics | None, step: StepResult) -> None:
    result.steps.append(step)
    if metrics is None:
        return
    track = step.track or "unknown"
    metrics.step_duration.labels(step=step.step, track=track).observe(step.duration_s)
    if step.ok:
        metrics.success.labels(step=step.step, track=track).inc()
    else:
        metrics.failure.labels(step=step.step, reason=step.reason or "unexpected", track=track).inc()


def _fields(*names: str) -> Callable[[Reply], str | None]:
    """An answer the journey cannot continue from is the build's failure, not the prober's."""

    def check(reply: Reply) -> str | None:
        missing = [n for n in names if reply.get(n) is None]
        return f"unexpected: answer lacks {', '.join(missing)}" if missing else None

    return check


def _approved(reply: Reply) -> str | None:
    if reply.get("decision") != "approved":
        return f"declined: {reply.get('reasons')}"
    line = reply.get("line_fen")
    if not isinstance(line, int) or isinstance(line, bool) or line <= 0:
        return f"unexpected: approved with line_fen {line!r}"
    return None
