"""Who may do what: 401 without a token, 404 outside a token's reach, 403 for a role's missing action."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import HUISHUI, Env, bearer


def _setup(env: Env) -> dict[str, Any]:
    cust = env.register()
    env.grant(cust["customer_id"])
    other = env.register(env.huishui, branch_code=HUISHUI)
    env.grant(other["customer_id"], env.huishui)
    r = env.client.post("/v1/drawdowns", headers=bearer(env.jianhe, **{"Idempotency-Key": "a"}), json={
        "customer_id": cust["customer_id"], "amount_fen": 100_000, "term_months": 3, "repayment_method": "revolving"})
    r2 = env.client.post("/v1/drawdowns", headers=bearer(env.huishui, **{"Idempotency-Key": "a"}), json={
        "customer_id": other["customer_id"], "amount_fen": 100_000, "term_months": 3, "repayment_method": "revolving"})
    return {"cid": cust["customer_id"], "other": other["customer_id"], "loan": r.get_json()["loan_id"],
            "other_loan": r2.get_json()["loan_id"]}


def _requests(ids: dict[str, Any], cid: int, loan: int) -> list[tuple[str, str, Any]]:
    return [
        ("GET", f"/v1/customers/{cid}", None),
        ("GET", f"/v1/customers/{cid}/credit", None),
        ("GET", f"/v1/loans/{loan}", None),
        ("GET", f"/v1/loans/{loan}/schedule", None),
        ("POST", "/v1/quotes", {"customer_id": cid, "amount_fen": 100_000, "term_months": 3,
                                "repayment_method": "revolving"}),
        ("POST", "/v1/credit/applications", {"customer_id": cid}),
        ("POST", "/v1/drawdowns", {"customer_id": cid, "amount_fen": 100_000, "term_months": 3,
                                   "repayment_method": "revolving"}),
        ("POST", f"/v1/loans/{loan}/repayments", {"amount_fen": 100}),
    ]


def _call(env: Env, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    headers = {**headers, "Idempotency-Key": f"k-{method}-{path}-{headers.get('Authorization', '')[-6:]}"}
    return env.client.open(path, method=method, json=body, headers=headers)


def test_no_or_unknown_token_is_401(env: Env) -> None:
    ids = _setup(env)
    before = env.counts()
    for method, path, body in _requests(ids, ids["cid"], ids["loan"]) + [("POST", "/v1/customers", {})]:
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
            r = _call(env, method, path, body, headers)
            assert r.status_code == 401, (method, path, r.get_data(as_text=True))
            assert r.mimetype == "application/problem+json"
    assert env.counts() == before


def test_manager_of_another_branch_gets_404_for_everything(env: Env) -> None:
    ids = _setup(env)
    before = env.counts()
    for method, path, body in _requests(ids, ids["other"], ids["other_loan"]):
        r = _call(env, method, path, body, bearer(env.jianhe))
        assert r.status_code == 404, (method, path, r.get_data(as_text=True))
    # ...and cannot register a customer into that branch.
    r = env.client.post("/v1/customers", json={**_body(HUISHUI)}, headers=bearer(env.jianhe))
    assert r.status_code == 403
    assert env.counts() == before


def _body(branch: str) -> dict[str, Any]:
    from .conftest import customer_body

    return customer_body(branch_code=branch)


def test_customer_token_reaches_only_itself(env: Env) -> None:
    ids = _setup(env)
    token = env.customer_token(ids["cid"])
    before = env.counts()
    for method, path, body in _requests(ids, ids["other"], ids["other_loan"]):
        r = _call(env, method, path, body, bearer(token))
        expected = 403 if path == "/v1/credit/applications" else 404
        assert r.status_code == expected, (method, path, r.get_data(as_text=True))
    assert env.client.post("/v1/customers", json=_body("522629"), headers=bearer(token)).status_code == 403
    r = env.client.post("/v1/credit/applications", json={"customer_id": ids["cid"]}, headers=bearer(token))
    assert r.status_code == 403 and r.get_json()["type"].endswith("/forbidden")
    assert env.counts() == before
    # its own data is reachable, PII masked
    own = env.client.get(f"/v1/customers/{ids['cid']}", headers=bearer(token)).get_json()
    assert own["pii_masked"] is True and "*" in own["id_number"]
    assert env.client.get(f"/v1/loans/{ids['loan']}", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize("kind", ["read", "write"])
def test_ops_is_read_only(env: Env, kind: str) -> None:
    ids = _setup(env)
    before = env.counts()
    for method, path, body in _requests(ids, ids["other"], ids["other_loan"]):
        r = _call(env, method, path, body, bearer(env.ops))
        if method == "GET" or path == "/v1/quotes":
            assert r.status_code == 200, (method, path, r.get_data(as_text=True))
        else:
            assert r.status_code == 403, (method, path, r.get_data(as_text=True))
    assert env.client.post("/v1/customers", json=_body("522629"), headers=bearer(env.ops)).status_code == 403
    seen = env.client.get(f"/v1/customers/{ids['other']}", headers=bearer(env.ops)).get_json()
    assert seen["pii_masked"] is True and "*" in seen["phone"]
    assert env.counts() == before
