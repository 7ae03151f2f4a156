"""ID and phone numbers never reach logs; responses mask them except to the owning branch."""

from __future__ import annotations

import logging

import pytest
import requests

from tests.procs import ServiceProcess, create_token

from .conftest import HUISHUI, Env, bearer, customer_body

SECRET_ID = "52262919770707555X"
SECRET_PHONE = "13377775555"


def _exercise_with_pii(post: object, get: object, manager: str, other: str, ops: str) -> int:
    body = customer_body(id_number=SECRET_ID, phone=SECRET_PHONE)
    r = post("/v1/customers", body, manager)  # type: ignore[operator]
    assert r[0] == 201
    cid = r[1]["customer_id"]
    assert post("/v1/customers", body, manager)[0] == 409  # duplicate ID number
    assert post("/v1/customers", {**body, "phone": SECRET_PHONE + "9"}, manager)[0] == 422
    assert post("/v1/customers", {**body, "id_number": SECRET_ID + "1"}, manager)[0] == 422
    assert post("/v1/customers", {**body, "annual_income_fen": 1.5}, manager)[0] == 422
    assert post("/v1/customers", {**body, "branch_code": HUISHUI}, manager)[0] == 403
    assert post("/v1/credit/applications", {"customer_id": cid}, manager)[0] == 201
    owner = get(f"/v1/customers/{cid}", manager)  # type: ignore[operator]
    assert owner["id_number"] == SECRET_ID and owner["phone"] == SECRET_PHONE and owner["pii_masked"] is False
    for token in (ops,):
        seen = get(f"/v1/customers/{cid}", token)  # type: ignore[operator]
        assert SECRET_ID not in str(seen) and SECRET_PHONE not in str(seen)
        assert seen["id_number"] == "522***********555X" and seen["phone"] == "133****5555"
    assert get(f"/v1/customers/{cid}", other) is None  # 404 for the other branch
    return cid


def test_pii_masked_and_never_logged_in_process(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # SQL echo on: parameters must stay hidden
    try:
        def post(path: str, body: object, token: str) -> tuple[int, object]:
            r = env.client.post(path, json=body, headers=bearer(token))
            return r.status_code, r.get_json()

        def get(path: str, token: str) -> object:
            r = env.client.get(path, headers=bearer(token))
            return r.get_json() if r.status_code == 200 else None

        _exercise_with_pii(post, get, env.jianhe, env.huishui, env.ops)
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    text = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    assert "INSERT INTO customers" in text  # the SQL echo really was captured...
    assert "POST /v1/customers 201" in text  # ...and so were request lines
    assert SECRET_ID not in text and SECRET_ID.lower() not in text and SECRET_PHONE not in text


def test_pii_never_in_process_output(lending_service: ServiceProcess) -> None:
    base = lending_service.base_url
    other = create_token(lending_service.db_url, "manager", branch=HUISHUI)
    ops = create_token(lending_service.db_url, "ops")

    def post(path: str, body: object, token: str) -> tuple[int, object]:
        r = requests.post(base + path, json=body, headers=bearer(token), timeout=10)
        return r.status_code, r.json()

    def get(path: str, token: str) -> object:
        r = requests.get(base + path, headers=bearer(token), timeout=10)
        return r.json() if r.status_code == 200 else None

    assert lending_service.manager_token
    _exercise_with_pii(post, get, lending_service.manager_token, other, ops)
    out = lending_service.output()
    assert "POST /v1/customers 201" in out
    assert SECRET_ID not in out and SECRET_PHONE not in out
