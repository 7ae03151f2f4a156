"""The credit path end to end through the Flask app: register → grant → quote → draw → pay → repay."""

from __future__ import annotations

from core_lending import domain as d
from core_lending.disbursement import DisbursementWorker
from core_lending.ledger import check_ledger
from core_lending.payment_rail import SimulatedRail
from core_lending.runtime import business_date, utc_now

from .conftest import Env, bearer


def _ledger_ok(env: Env) -> None:
    with env.db.read() as s:
        assert check_ledger(s) == []


def test_full_credit_path(env: Env) -> None:
    c = env.client
    cust = env.register()
    assert cust["pii_masked"] is False and cust["id_number"].endswith("X")
    grant = env.grant(cust["customer_id"])
    assert grant["decision"] == "approved" and grant["line_fen"] == 5_000_000
    lo, hi = d.apr_bounds(grant["lpr_bps"])
    assert lo <= grant["apr_bps"] <= hi
    assert grant["scorecard_version"] and len(grant["inputs_hash"]) == 64

    credit = c.get(f"/v1/customers/{cust['customer_id']}/credit", headers=bearer(env.jianhe)).get_json()
    assert credit["line_fen"] == credit["available_fen"] == 5_000_000 and credit["used_fen"] == 0
    assert credit["status"] == "active" and credit["apr_bps"] == grant["apr_bps"]

    quote = c.post("/v1/quotes", headers=bearer(env.jianhe), json={
        "customer_id": cust["customer_id"], "amount_fen": 5_000_000, "term_months": 12,
        "repayment_method": "equal_installment"}).get_json()
    expected = d.build_schedule(5_000_000, grant["apr_bps"], 12, d.RepaymentMethod.EQUAL_INSTALLMENT,
                                business_date(utc_now()))
    assert quote["installments"][0]["due_date"] == expected.installments[0].due_date.isoformat()
    assert quote["total_interest_fen"] == expected.total_interest_fen
    assert [i["total_fen"] for i in quote["installments"]] == [i.total_fen for i in expected.installments]
    assert sum(i["principal_fen"] for i in quote["installments"]) == 5_000_000

    token = env.customer_token(cust["customer_id"])  # the customer serves themself from here on
    r = c.post("/v1/drawdowns", headers=bearer(token, **{"Idempotency-Key": "draw-1"}), json={
        "customer_id": cust["customer_id"], "amount_fen": 1_200_000, "term_months": 6,
        "repayment_method": "revolving"})
    assert r.status_code == 201, r.get_data(as_text=True)
    loan = r.get_json()
    assert loan["status"] == "pending_disbursement" and loan["outstanding_fen"] == 1_200_000
    credit = c.get(f"/v1/customers/{cust['customer_id']}/credit", headers=bearer(token)).get_json()
    assert credit["used_fen"] == 1_200_000 and credit["available_fen"] == 3_800_000
    _ledger_ok(env)

    rt = env.app.extensions["lending"].rt
    assert DisbursementWorker(rt, SimulatedRail(delay_s=0)).run_once() == 1
    loan = c.get(f"/v1/loans/{loan['loan_id']}", headers=bearer(token)).get_json()
    assert loan["status"] == "active" and loan["disbursed_at"]

    sched = c.get(f"/v1/loans/{loan['loan_id']}/schedule", headers=bearer(token)).get_json()
    assert sched["loan_id"] == loan["loan_id"] and sched["installments"][-1]["principal_fen"] == 1_200_000

    r = c.post(f"/v1/loans/{loan['loan_id']}/repayments", json={"amount_fen": 200_000},
               headers=bearer(token, **{"Idempotency-Key": "repay-1"}))
    assert r.status_code == 201
    assert r.get_json()["outstanding_fen"] == 1_000_000 and r.get_json()["loan_status"] == "active"
    r = c.post(f"/v1/loans/{loan['loan_id']}/repayments", json={"amount_fen": 1_000_001},
               headers=bearer(token, **{"Idempotency-Key": "repay-over"}))
    assert r.status_code == 422 and r.get_json()["type"].endswith("/overpayment")
    r = c.post(f"/v1/loans/{loan['loan_id']}/repayments", json={"amount_fen": 1_000_000},
               headers=bearer(token, **{"Idempotency-Key": "repay-2"}))
    assert r.get_json()["loan_status"] == "closed"
    credit = c.get(f"/v1/customers/{cust['customer_id']}/credit", headers=bearer(token)).get_json()
    assert credit["used_fen"] == 0 and credit["available_fen"] == 5_000_000
    r = c.post(f"/v1/loans/{loan['loan_id']}/repayments", json={"amount_fen": 100},
               headers=bearer(token, **{"Idempotency-Key": "repay-3"}))
    assert r.status_code == 409 and r.get_json()["type"].endswith("/invalid-transition")
    _ledger_ok(env)


def test_failed_payout_releases_credit(env: Env) -> None:
    cust = env.register()
    env.grant(cust["customer_id"])
    r = env.client.post("/v1/drawdowns", headers=bearer(env.jianhe, **{"Idempotency-Key": "f1"}), json={
        "customer_id": cust["customer_id"], "amount_fen": 2_000_000, "term_months": 12,
        "repayment_method": "equal_principal"})
    loan_id = r.get_json()["loan_id"]
    rt = env.app.extensions["lending"].rt
    assert DisbursementWorker(rt, SimulatedRail(delay_s=0, failure_rate=1.0)).run_once() == 1
    loan = env.client.get(f"/v1/loans/{loan_id}", headers=bearer(env.jianhe)).get_json()
    assert loan["status"] == "failed" and loan["outstanding_fen"] == 0
    credit = env.client.get(f"/v1/customers/{cust['customer_id']}/credit", headers=bearer(env.jianhe)).get_json()
    assert credit["available_fen"] == 5_000_000
    _ledger_ok(env)


def test_declined_and_knocked_out_applications(env: Env) -> None:
    risky = env.register(labels={"fraud_risk": "high", "relationship_grade": "C", "years_known": 1,
                                 "credit_village": False, "repayment_history": "none", "credit_record": "clean"})
    g = env.grant(risky["customer_id"])
    assert g["decision"] == "declined" and g["line_fen"] == 0 and g["apr_bps"] is None and g["reasons"]
    credit = env.client.get(f"/v1/customers/{risky['customer_id']}/credit", headers=bearer(env.jianhe)).get_json()
    assert credit["status"] == "none" and credit["available_fen"] == 0
    r = env.client.post("/v1/drawdowns", headers=bearer(env.jianhe, **{"Idempotency-Key": "d"}), json={
        "customer_id": risky["customer_id"], "amount_fen": 100_000, "term_months": 3,
        "repayment_method": "revolving"})
    assert r.status_code == 409 and r.get_json()["type"].endswith("/credit-unavailable")
    assert env.count("loans") == 0


def test_reapplication_refused_while_line_in_use(env: Env) -> None:
    cust = env.register()
    env.grant(cust["customer_id"])
    env.client.post("/v1/drawdowns", headers=bearer(env.jianhe, **{"Idempotency-Key": "x"}), json={
        "customer_id": cust["customer_id"], "amount_fen": 100_000, "term_months": 3, "repayment_method": "revolving"})
    r = env.client.post("/v1/credit/applications", json={"customer_id": cust["customer_id"]},
                        headers=bearer(env.jianhe))
    assert r.status_code == 409 and r.get_json()["type"].endswith("/credit-line-in-use")


def test_branches_meta_and_headers(env: Env) -> None:
    r = env.client.get("/v1/branches")
    branches = r.get_json()
    assert len(branches) == 84 and sum(b["pilot"] for b in branches) == 7
    assert {"branch_code": "522629", "name": "剑河县", "prefecture": "黔东南苗族侗族自治州", "pilot": True} in branches
    for path in ("/healthz", "/readyz", "/version", "/openapi.json", "/metrics", "/v1/nothing"):
        resp = env.client.get(path)
        assert resp.headers["X-Lending-Version"] == "1.0.0" and resp.headers["X-Lending-Track"] == "stable", path
    assert env.client.get("/version").get_json() == {"version": "1.0.0", "track": "stable", "faults": {}}
    spec = env.client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1") and "/v1/drawdowns" in spec["paths"]
