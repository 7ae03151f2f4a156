"""Fixtures of the lending-core tests: an in-process app on a seeded SQLite file."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client import CollectorRegistry

from core_lending.api.app import create_app
from core_lending.settings import Settings
from core_lending.store import Database
from tests.procs import create_token

JIANHE, HUISHUI = "522629", "522731"
_ids = itertools.count(1)


def customer_body(branch_code: str = JIANHE, **overrides: Any) -> dict[str, Any]:
    """A registration body that scores grade A (line 50,000 CNY) unless overridden."""
    n = next(_ids)
    body: dict[str, Any] = {
        "name": "测试客户", "id_number": f"{branch_code}1985{n:07d}X", "phone": f"139{n:08d}",
        "branch_code": branch_code, "segment": "farmer", "birth_date": "1985-03-01",
        "annual_income_fen": 6_000_000, "other_debt_fen": 0,
        "labels": {"fraud_risk": "low", "relationship_grade": "A", "years_known": 5, "credit_village": True,
                   "repayment_history": "on_time", "credit_record": "clean"},
    }
    body.update(overrides)
    return body


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


@dataclass
class Env:
    app: Flask
    client: FlaskClient
    db: Database
    db_url: str
    registry: CollectorRegistry
    jianhe: str  # manager token, Jianhe
    huishui: str  # manager token, Huishui
    ops: str

    def register(self, token: str | None = None, **overrides: Any) -> dict[str, Any]:
        r = self.client.post("/v1/customers", json=customer_body(**overrides), headers=bearer(token or self.jianhe))
        assert r.status_code == 201, r.get_data(as_text=True)
        return r.get_json()

    def grant(self, customer_id: int, token: str | None = None) -> dict[str, Any]:
        r = self.client.post("/v1/credit/applications", json={"customer_id": customer_id},
                             headers=bearer(token or self.jianhe))
        assert r.status_code == 201, r.get_data(as_text=True)
        return r.get_json()

    def customer_token(self, customer_id: int) -> str:
        return create_token(self.db_url, "customer", customer=customer_id)

    def count(self, table: str) -> int:
        from sqlalchemy import text

        with self.db.read() as s:
            return int(s.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())

    def counts(self) -> dict[str, int]:
        return {t: self.count(t) for t in ("customers", "credit_applications", "credit_lines", "loans",
                                           "repayments", "ledger_entries", "idempotency_records")}


def make_env(db_url: str, **settings: Any) -> Env:
    registry = CollectorRegistry()
    db = Database(db_url)
    app = create_app(Settings(db_url=db_url, version="1.0.0", **settings), db=db, registry=registry,
                     start_worker=False)
    return Env(app=app, client=app.test_client(), db=db, db_url=db_url, registry=registry,
               jianhe=create_token(db_url, "manager", branch=JIANHE),
               huishui=create_token(db_url, "manager", branch=HUISHUI),
               ops=create_token(db_url, "ops"))


@pytest.fixture
def env(seeded_sqlite_url: str) -> Iterator[Env]:
    e = make_env(seeded_sqlite_url)
    yield e
    e.db.dispose()
