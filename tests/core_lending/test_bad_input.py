"""Bad input → 4xx application/problem+json, and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Env, bearer, customer_body


@pytest.fixture
def granted(env: Env) -> dict[str, Any]:
    cust = env.register()
    env.grant(cust["customer_id"])
    r = env.client.post("/v1/drawdowns", headers=bearer(env.jianhe, **{"Idempotency-Key": "seed"}), json={
        "customer_id": cust["customer_id"], "amount_fen": 4_000_000, "term_months": 12,
        "repayment_method": "equal_installment"})
    assert r.status_code == 201
    return {"cid": cust["customer_id"], "loan": r.get_json()["loan_id"]}


def _draw(cid: int, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"customer_id": cid, "amount_fen": 100_000, "term_months": 6,
                            "repayment_method": "equal_principal"}
    body.update(over)
    return {k: v for k, v in body.items() if v is not ...}


AMOUNTS = [0, -100, 1.0, 100000.5, "100000", True, None, 10**30, 1_000_001 * 5, 4_000_000]


def test_drawdown_and_quote_bad_amounts(env: Env, granted: dict[str, Any]) -> None:
    before = env.counts()
    cid = granted["cid"]
    cases: list[tuple[dict[str, Any], int]] = [(_draw(cid, amount_fen=a), 422 if a != 4_000_000 else 409)
                                               for a in AMOUNTS]
    cases[AMOUNTS.index(1_000_001 * 5)] = (_draw(cid, amount_fen=1_000_001 * 5), 422)  # over the product cap
    cases += [
        (_draw(cid, repayment_method="balloon"), 422), (_draw(cid, repayment_method=1), 422),
        (_draw(cid, term_months=0), 422), (_draw(cid, term_months=10_000), 422), (_draw(cid, term_months=37), 422),
        (_draw(cid, term_months=13, repayment_method="revolving"), 422), (_draw(cid, term_months=6.0), 422),
        (_draw(cid, amount_fen=...), 422), (_draw(cid, customer_id=...), 422), (_draw(cid, extra=1), 422),
        (_draw(999_999), 404), (_draw(0), 422), (_draw(cid, customer_id="1"), 422),
    ]
    for i, (body, status) in enumerate(cases):
        for path in ("/v1/drawdowns", "/v1/quotes"):
            r = env.client.post(path, json=body, headers=bearer(env.jianhe, **{"Idempotency-Key": f"bad-{i}"}))
            want = status if not (path == "/v1/quotes" and status == 409) else 200
            assert r.status_code == want, (path, body, r.get_data(as_text=True))
            if want >= 400:
                assert r.mimetype == "application/problem+json"
                doc = r.get_json()
                assert doc["status"] == want and doc["type"].startswith("https://lendops.dev/problems/")
    assert env.counts() == before


def test_malformed_bodies(env: Env, granted: dict[str, Any]) -> None:
    before = env.counts()
    h = bearer(env.jianhe, **{"Idempotency-Key": "m"})
    for raw, ctype, status in [
        (b"{not json", "application/json", 400),
        (b"", "application/json", 400),
        (b"[1,2]", "application/json", 422),
        (b'"text"', "application/json", 422),
        (b'{"customer_id": 1}', "text/plain", 415),
        (b'{"customer_id": 1}', "application/x-www-form-urlencoded", 415),
        (b"{" + b'"a":"' + b"x" * 70_000 + b'"}', "application/json", 413),
    ]:
        for path in ("/v1/drawdowns", "/v1/customers", "/v1/credit/applications",
                     f"/v1/loans/{granted['loan']}/repayments"):
            r = env.client.post(path, data=raw, headers={**h, "Content-Type": ctype})
            assert r.status_code == status, (path, raw[:30], r.get_data(as_text=True)[:200])
            assert r.mimetype == "application/problem+json"
            assert "<html" not in r.get_data(as_text=True).lower()
    assert env.counts() == before


def test_bad_registrations(env: Env) -> None:
    before = env.counts()
    bad: list[dict[str, Any]] = [
        customer_body(segment="pirate"), customer_body(segment=None), customer_body(annual_income_fen=-1),
        customer_body(annual_income_fen=1.5), customer_body(annual_income_fen="5000"),
        customer_body(other_debt_fen=True), customer_body(id_number="123"), customer_body(phone="12345"),
        customer_body(birth_date="yesterday"), customer_body(birth_date="2030-01-01"),
        customer_body(birth_date="1800-01-01"), customer_body(branch_code="52262"),
        customer_body(labels={"fraud_risk": "low"}), customer_body(labels={
            "fraud_risk": "none", "relationship_grade": "A", "years_known": 5, "credit_village": True,
            "repayment_history": "on_time", "credit_record": "clean"}),
        customer_body(name=""), {k: v for k, v in customer_body().items() if k != "labels"},
    ]
    for body in bad:
        r = env.client.post("/v1/customers", json=body, headers=bearer(env.jianhe))
        assert r.status_code == 422, (body, r.get_data(as_text=True))
        assert r.mimetype == "application/problem+json"
    # unknown (but well-formed) branch of another manager: 403, not written
    r = env.client.post("/v1/customers", json=customer_body(branch_code="999999"), headers=bearer(env.jianhe))
    assert r.status_code == 403
    assert env.counts() == before


def test_bad_repayments_and_unknown_ids(env: Env, granted: dict[str, Any]) -> None:
    before = env.counts()
    loan = granted["loan"]
    for i, amount in enumerate([0, -1, 1.0, "1", None, True]):
        r = env.client.post(f"/v1/loans/{loan}/repayments", json={"amount_fen": amount},
                            headers=bearer(env.jianhe, **{"Idempotency-Key": f"r{i}"}))
        assert r.status_code == 422, (amount, r.get_data(as_text=True))
    # pending disbursement: not repayable yet
    r = env.client.post(f"/v1/loans/{loan}/repayments", json={"amount_fen": 100},
                        headers=bearer(env.jianhe, **{"Idempotency-Key": "pending"}))
    assert r.status_code == 409
    for path in ("/v1/loans/999999", "/v1/loans/999999/schedule", "/v1/customers/999999/credit",
                 "/v1/loans/99999999999999999999999", "/v1/customers/abc/credit", "/v1/loans/-1"):
        r = env.client.get(path, headers=bearer(env.jianhe))
        assert r.status_code == 404 and r.mimetype == "application/problem+json", path
    r = env.client.post("/v1/loans/999999/repayments", json={"amount_fen": 100},
                        headers=bearer(env.jianhe, **{"Idempotency-Key": "nf"}))
    assert r.status_code == 404
    r = env.client.post("/v1/drawdowns", json=_draw(granted["cid"]), headers=bearer(env.jianhe))
    assert r.status_code == 400 and r.get_json()["type"].endswith("/idempotency-key-missing")
    r = env.client.delete("/v1/drawdowns", headers=bearer(env.jianhe))
    assert r.status_code == 405 and r.mimetype == "application/problem+json" and "POST" in r.headers["Allow"]
    assert env.counts() == before
