"""The journeys of the credit path, written against Locust's HTTP client interface.

Nothing here imports Locust: a journey gets a client with Locust's ``request(method,
url, name=, json=, headers=, catch_response=True, context=)`` (FastHttpUser's and
HttpUser's clients both fit), so the same journeys run under either user class.

Every request is named by its route template (``/v1/loans/{loan_id}``) so Locust's
statistics stay one row per route, and carries ``context={"journey", "step"}`` so the
exact-timing collector can judge thresholds per journey step. Business outcomes the
service answers correctly (a declined application, a drawdown refused because another
user used the credit first, a loan not yet paid out) are successes and counted as
outcomes; anything else unexpected fails the request and ends the journey.
"""

from __future__ import annotations

import random
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from . import data
from .collector import ProcessStats
from .scenario import DataSpec, Mix

__all__ = ["Journeys", "CustomerPool", "HttpClient", "JourneyFailed", "ROUTE_TEMPLATES"]

ROUTE_TEMPLATES = {
    "register": ("POST", "/v1/customers"),
    "apply": ("POST", "/v1/credit/applications"),
    "credit": ("GET", "/v1/customers/{customer_id}/credit"),
    "quote": ("POST", "/v1/quotes"),
    "draw": ("POST", "/v1/drawdowns"),
    "loan": ("GET", "/v1/loans/{loan_id}"),
    "repay": ("POST", "/v1/loans/{loan_id}/repayments"),
    "branches": ("GET", "/v1/branches"),
}


class HttpClient(Protocol):
    def request(self, method: str, url: str, **kwargs: Any) -> Any: ...


class JourneyFailed(Exception):
    """A step got an answer the journey cannot go on from (already counted as a failure)."""

    def __init__(self, step: str, status: int, detail: str = "") -> None:
        super().__init__(f"{step}: HTTP {status} {detail}".strip())
        self.step = step
        self.status = status


@dataclass
class CustomerPool:
    """Granted customers one load process remembers for the returning-customer journey."""

    size: int
    entries: deque[tuple[Any, str]] = field(default_factory=deque)

    def add(self, customer_id: Any, branch_code: str) -> None:
        self.entries.append((customer_id, branch_code))
        while len(self.entries) > self.size:
            self.entries.popleft()

    def pick(self, rng: random.Random) -> tuple[Any, str] | None:
        return rng.choice(self.entries) if self.entries else None


def _problem_type(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("type", "")).rsplit("/", 1)[-1]
    return ""


class Journeys:
    """One user's journeys: pick one by the mix and run it against ``client``."""

    def __init__(self, client: HttpClient, *, rng: random.Random, tokens: dict[str, str],
                 picker: data.BranchPicker, pool: CustomerPool, stats: ProcessStats, spec: DataSpec,
                 mix: Mix, sleep: Callable[[float], None] = time.sleep,
                 today: Callable[[], date] = date.today) -> None:
        self.client = client
        self.rng = rng
        self.tokens = tokens
        self.picker = picker
        self.pool = pool
        self.stats = stats
        self.spec = spec
        self.sleep = sleep
        self.today = today
        weights = mix.weights()
        self._names = [j for j, w in weights.items() if w > 0]
        self._weights = [weights[j] for j in self._names]

    # -- one iteration -------------------------------------------------------------------

    def run_one(self) -> str:
        """Run one journey chosen by the mix; returns its name."""
        name = self.rng.choices(self._names, weights=self._weights)[0]
        if name == "returning_customer" and not self.pool.entries:
            # Nobody granted yet in this process: start the way a real returning
            # customer once did. Counted, so the mix actually run stays visible.
            self.stats.outcomes["returning_fallback_to_new"] += 1
            name = "new_customer"
        self.stats.journeys_started[name] += 1
        try:
            getattr(self, name)()
        except JourneyFailed:
            self.stats.journeys_failed[name] += 1
        return name

    def new_customer(self) -> None:
        journey = "new_customer"
        branch = self.picker.pick(self.rng)
        customer_id, decision = self._register_and_apply(journey, branch)
        if decision is None:
            return
        line_fen = int(decision.get("line_fen") or 0)
        body = data.draw_request(self.rng, customer_id, line_fen, self.spec.draw_share)
        if body is None:
            self.stats.outcomes["line_below_minimum"] += 1
            return
        self._call(journey, "quote", branch.code, customer_id, json=body)
        loan = self._draw(journey, branch.code, customer_id, body)
        if loan is None:
            return
        loan_id = str(loan.get("loan_id", ""))
        if not loan_id:
            raise JourneyFailed("draw", 201, "no loan_id in the answer")
        loan = self._wait_for_payout(journey, branch.code, customer_id, loan_id, loan)
        if loan.get("status") != "active":
            self.stats.outcomes["repay_skipped_not_active"] += 1
            return
        amount = data.repay_amount(self.rng, int(loan.get("outstanding_fen") or 0), self.spec.repay_share)
        if amount is None:
            return
        status, _ = self._call(journey, "repay", branch.code, customer_id, path_params={"loan_id": loan_id},
                               json={"amount_fen": amount}, idempotent=True, expected=(409,))
        self.stats.outcomes["repaid" if status == 201 or status == 200 else "repay_refused"] += 1

    def returning_customer(self) -> None:
        journey = "returning_customer"
        picked = self.pool.pick(self.rng)
        if picked is None:  # pragma: no cover - run_one falls back before
            return
        customer_id, branch_code = picked
        _, credit = self._call(journey, "credit", branch_code, customer_id,
                               path_params={"customer_id": str(customer_id)})
        available = int((credit or {}).get("available_fen") or 0)
        body = data.draw_request(self.rng, customer_id, available, self.spec.draw_share)
        if body is None:
            self.stats.outcomes["no_credit_left"] += 1
            return
        self._draw(journey, branch_code, customer_id, body)

    def batch_grant(self) -> None:
        journey = "batch_grant"
        branch = self.picker.pick(self.rng)
        for _ in range(self.rng.randint(*self.spec.batch_size)):
            self._register_and_apply(journey, branch)

    # -- steps ---------------------------------------------------------------------------

    def _register_and_apply(self, journey: str, branch: data.Branch) -> tuple[Any, dict[str, Any] | None]:
        for _attempt in range(3):
            # The ID's serial digits come from the OS, not the seed: a re-run with the
            # same seed against the same database must not re-register the same people.
            payload = data.customer_payload(self.rng, branch, today=self.today(), serial=secrets.randbelow(1000))
            # ID numbers are unique per person; a generated one can collide with an
            # earlier run's customer (409 customer-exists): generate another, as a
            # manager would re-check the card.
            status, created = self._call(journey, "register", branch.code, None, json=payload, expected=(409,),
                                         expected_if=lambda body: _problem_type(body) == "customer-exists")
            if status != 409:
                break
            self.stats.outcomes["id_number_taken_retry"] += 1
        customer_id = (created or {}).get("customer_id")
        if customer_id is None or status == 409:
            raise JourneyFailed("register", status, "no customer_id in the answer")
        _, decision = self._call(journey, "apply", branch.code, customer_id, json={"customer_id": customer_id})
        decision = decision or {}
        if decision.get("decision") != "approved":
            self.stats.outcomes["declined"] += 1
            return customer_id, None
        self.stats.outcomes["approved"] += 1
        self.pool.add(customer_id, branch.code)
        return customer_id, decision

    def _draw(self, journey: str, branch_code: str, customer_id: Any, body: dict[str, Any]) -> dict[str, Any] | None:
        # 409/422 with a credit problem: another user of this run drew on the same line
        # first; the service refusing an overdraft is the right answer, not a failure.
        status, loan = self._call(journey, "draw", branch_code, customer_id, json=body, idempotent=True,
                                  expected=(409, 422), expected_if=_is_credit_refusal)
        if status not in (200, 201):
            self.stats.outcomes["draw_refused"] += 1
            return None
        self.stats.outcomes["drawn"] += 1
        return loan or {}

    def _wait_for_payout(self, journey: str, branch_code: str, customer_id: Any, loan_id: str,
                         loan: dict[str, Any]) -> dict[str, Any]:
        deadline = time.monotonic() + self.spec.disbursement_wait_s
        while loan.get("status") in (None, "pending_disbursement") and time.monotonic() < deadline:
            self.sleep(0.25)
            _, loan = self._call(journey, "loan", branch_code, customer_id, path_params={"loan_id": loan_id})
            loan = loan or {}
        return loan

    def _call(self, journey: str, step: str, branch_code: str, customer_id: Any, *,
              path_params: dict[str, str] | None = None, json: Any = None, idempotent: bool = False,
              expected: Iterable[int] = (), expected_if: Callable[[Any], bool] | None = None,
              ) -> tuple[int, Any]:
        method, template = ROUTE_TEMPLATES[step]
        path = template.format(**(path_params or {}))
        headers = {"Authorization": f"Bearer {self.tokens[branch_code]}", "X-Branch-Code": branch_code}
        if customer_id is not None:
            headers["X-Customer-Id"] = str(customer_id)
        if idempotent:
            headers["Idempotency-Key"] = data.idempotency_key()
        with self.client.request(method, path, name=template, json=json, headers=headers, catch_response=True,
                                 context={"journey": journey, "step": step, "branch": branch_code}) as response:
            status = int(response.status_code or 0)
            try:
                body = response.json() if response.content else None
            except Exception:  # noqa: BLE001 - a non-JSON answer is itself the failure below
                body = None
            if 200 <= status < 300:
                response.success()
                return status, body
            if status in tuple(expected) and (expected_if is None or expected_if(body)):
                response.success()
                return status, body
            detail = _problem_type(body)
            response.failure(f"HTTP {status} {detail}".strip())
            raise JourneyFailed(step, status, detail)


def _is_credit_refusal(body: Any) -> bool:
    kind = _problem_type(body)
    return any(word in kind for word in ("credit", "available", "line", "insufficient", "conflict", "state"))
