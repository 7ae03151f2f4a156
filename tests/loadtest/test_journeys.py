"""Journeys against a scripted client: headers, names, idempotency keys and outcomes."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from loadtest import data
from loadtest.collector import ProcessStats
from loadtest.journeys import CustomerPool, Journeys
from loadtest.scenario import BranchSelection, DataSpec, Mix


@dataclass
class FakeResponse:
    status_code: int
    body: Any
    outcome: str = ""

    @property
    def content(self) -> bytes:
        return json.dumps(self.body).encode()

    def json(self) -> Any:
        return self.body

    def success(self) -> None:
        self.outcome = "success"

    def failure(self, why: str) -> None:
        self.outcome = f"failure: {why}"

    def __enter__(self) -> FakeResponse:
        return self

    def __exit__(self, *exc: object) -> bool:
        return False


@dataclass
class ScriptedClient:
    """Answers by route template; records every request like Locust would see it."""

    answers: dict[str, Callable[[dict[str, Any]], tuple[int, Any]]]
    sent: list[dict[str, Any]] = field(default_factory=list)

    def request(self, method: str, url: str, **kwargs: Any) -> FakeResponse:
        status, body = self.answers[kwargs["name"]](kwargs.get("json") or {})
        response = FakeResponse(status, body)
        self.sent.append({"method": method, "url": url, "response": response, **kwargs})
        return response


def _journeys(client: ScriptedClient, stats: ProcessStats, mix: Mix) -> Journeys:
    picker = data.BranchPicker([data.Branch("522629"), data.Branch("520526")], BranchSelection(),
                               usable={"522629"})
    return Journeys(client, rng=random.Random(1), tokens={"522629": "tok"}, picker=picker, pool=CustomerPool(10),
                    stats=stats, spec=DataSpec(disbursement_wait_s=0), mix=mix, sleep=lambda s: None)


def _happy(loan_status: str = "active") -> dict[str, Callable[[dict[str, Any]], tuple[int, Any]]]:
    return {
        "/v1/customers": lambda body: (201, {"customer_id": 17}),
        "/v1/credit/applications": lambda body: (201, {"decision": "approved", "line_fen": 3_000_000}),
        "/v1/quotes": lambda body: (200, {"apr_bps": 600}),
        "/v1/drawdowns": lambda body: (201, {"loan_id": 99, "status": loan_status,
                                             "outstanding_fen": body["amount_fen"]}),
        "/v1/loans/{loan_id}": lambda body: (200, {"loan_id": 99, "status": loan_status, "outstanding_fen": 500_000}),
        "/v1/loans/{loan_id}/repayments": lambda body: (201, {"loan_id": 99}),
        "/v1/customers/{customer_id}/credit": lambda body: (200, {"available_fen": 1_000_000}),
    }


def test_a_new_customer_goes_from_registration_to_repayment() -> None:
    client, stats = ScriptedClient(_happy()), ProcessStats()
    _journeys(client, stats, Mix(new_customer=1)).run_one()
    steps = [r["context"]["step"] for r in client.sent]
    assert steps == ["register", "apply", "quote", "draw", "repay"]
    assert all(r["response"].outcome == "success" for r in client.sent)
    assert {r["headers"]["X-Branch-Code"] for r in client.sent} == {"522629"}  # only the branch with a token
    assert all(r["headers"]["Authorization"] == "Bearer tok" for r in client.sent)
    assert [r["headers"].get("X-Customer-Id") for r in client.sent] == [None, "17", "17", "17", "17"]
    assert client.sent[4]["url"] == "/v1/loans/99/repayments"
    assert client.sent[4]["name"] == "/v1/loans/{loan_id}/repayments"  # Locust stats by route template
    assert client.sent[3]["json"]["customer_id"] == 17  # the id keeps its JSON type
    keys = [r["headers"]["Idempotency-Key"] for r in client.sent if "Idempotency-Key" in r["headers"]]
    assert len(keys) == 2 and len(set(keys)) == 2  # drawdown and repayment, each its own key
    assert stats.outcomes["repaid"] == 1 and stats.journeys_failed == {}


def test_a_declined_customer_ends_the_journey_without_a_failure() -> None:
    answers = _happy() | {"/v1/credit/applications": lambda body: (201, {"decision": "declined", "line_fen": 0})}
    client, stats = ScriptedClient(answers), ProcessStats()
    _journeys(client, stats, Mix(new_customer=1)).run_one()
    assert [r["context"]["step"] for r in client.sent] == ["register", "apply"]
    assert stats.outcomes["declined"] == 1 and stats.journeys_failed == {}


def test_a_loan_still_pending_skips_the_repayment() -> None:
    client, stats = ScriptedClient(_happy(loan_status="pending_disbursement")), ProcessStats()
    _journeys(client, stats, Mix(new_customer=1)).run_one()
    assert "repay" not in [r["context"]["step"] for r in client.sent]
    assert stats.outcomes["repay_skipped_not_active"] == 1


def test_a_drawdown_refused_for_lack_of_credit_is_an_outcome_but_a_500_is_a_failure() -> None:
    refused = {"type": "https://lendops.dev/problems/insufficient-credit", "status": 409}
    client, stats = ScriptedClient(_happy() | {"/v1/drawdowns": lambda body: (409, refused)}), ProcessStats()
    journeys = _journeys(client, stats, Mix(new_customer=1, returning_customer=1))
    journeys.pool.add(17, "522629")
    journeys.returning_customer()
    assert client.sent[-1]["response"].outcome == "success" and stats.outcomes["draw_refused"] == 1

    broken = {"type": "https://lendops.dev/problems/injected-fault", "status": 500}
    client.answers["/v1/credit/applications"] = lambda body: (500, broken)
    stats2 = ProcessStats()
    journeys2 = _journeys(client, stats2, Mix(new_customer=1))
    journeys2.run_one()
    assert client.sent[-1]["response"].outcome == "failure: HTTP 500 injected-fault"
    assert stats2.journeys_failed["new_customer"] == 1


def test_returning_customers_fall_back_to_new_ones_until_someone_was_granted() -> None:
    client, stats = ScriptedClient(_happy()), ProcessStats()
    journeys = _journeys(client, stats, Mix(returning_customer=1, new_customer=0.0001))
    journeys.run_one()
    assert stats.outcomes["returning_fallback_to_new"] == 1 and stats.journeys_started["new_customer"] == 1
    journeys.run_one()
    assert stats.journeys_started["returning_customer"] == 1
    assert [r["context"]["step"] for r in client.sent[-2:]] == ["credit", "draw"]
