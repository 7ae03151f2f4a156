"""Fault injection changes only what it names; business metrics record the credit path."""

from __future__ import annotations

import random

import pytest

from core_lending import domain as d
from core_lending.errors import ConfigError, FaultSpecError
from core_lending.faults import FaultSpec, Faults, parse_faults
from core_lending.settings import Settings

from .conftest import Env, bearer, make_env


def test_parse_faults() -> None:
    spec = parse_faults("error_rate=0.05, latency_ms=200,apr_shift_bps=150,approval_shift_points=-40")
    assert spec == FaultSpec(error_rate=0.05, latency_ms=200, apr_shift_bps=150, approval_shift_points=-40)
    assert parse_faults(spec.to_spec()) == spec
    assert parse_faults("") == parse_faults(None) == FaultSpec() and not FaultSpec().active
    for bad in ("error_rate=2", "error_rate=x", "latency_ms=1.5", "nope=1", "latency_ms", "apr_shift_bps=",
                "latency_ms=1,latency_ms=2", "latency_ms=-5"):
        with pytest.raises(FaultSpecError) as info:
            parse_faults(bad)
        assert "bad fault spec item" in str(info.value)


def test_faults_use_injected_randomness() -> None:
    f = Faults(FaultSpec(error_rate=0.5), rng=random.Random(7))
    g = Faults(FaultSpec(error_rate=0.5), rng=random.Random(7))
    assert [f.should_fail() for _ in range(50)] == [g.should_fail() for _ in range(50)]
    slept: list[float] = []
    Faults(FaultSpec(latency_ms=200), sleep=slept.append).delay()
    assert slept == [0.2]


def test_settings_from_env_and_overrides() -> None:
    s = Settings.from_env({"LENDING_TRACK": "canary", "LENDING_FAULTS": "latency_ms=5",
                           "LENDING_DB_URL": "postgresql://u@h/db", "LENDING_IDEMPOTENCY_WAIT_MS": "900",
                           "LENDING_WORKER": "0"}, version="2.0.0")
    assert s.track == "canary" and s.faults.latency_ms == 5 and s.version == "2.0.0"
    assert s.idempotency_wait_ms == 900 and s.worker_enabled is False
    assert s.db_url.startswith("postgresql+psycopg://")
    with pytest.raises(ConfigError):
        Settings.from_env({"LENDING_TRACK": "beta"})
    with pytest.raises(ConfigError):
        Settings.from_env({"LENDING_PAYOUT_DELAY_MS": "soon"})


def _metric(env: Env, name: str, **labels: str) -> float:
    value = env.registry.get_sample_value(name, {"track": "stable", **labels})
    return value or 0.0


def test_apr_shift_is_applied_after_clamp_and_counted(seeded_sqlite_url: str) -> None:
    env = make_env(seeded_sqlite_url, faults=FaultSpec(apr_shift_bps=2000))
    cust = env.register()
    g = env.grant(cust["customer_id"])
    lo, hi = d.apr_bounds(g["lpr_bps"])
    assert g["apr_bps"] > hi  # the drill build prices outside the guardrail...
    assert _metric(env, "lending_apr_outside_guardrail_total") == 1.0  # ...and it is counted
    credit = env.client.get(f"/v1/customers/{cust['customer_id']}/credit", headers=bearer(env.jianhe)).get_json()
    assert credit["apr_bps"] == g["apr_bps"]
    assert env.client.get("/version").get_json()["faults"] == {"apr_shift_bps": 2000}


def test_healthy_build_prices_inside_guardrail_and_counts_decisions(env: Env) -> None:
    for grade in ("A", "B", "C", "D"):
        cust = env.register(labels={"fraud_risk": "low", "relationship_grade": grade, "years_known": 2,
                                    "credit_village": False, "repayment_history": "none", "credit_record": "clean"})
        g = env.grant(cust["customer_id"])
        if g["apr_bps"] is not None:
            lo, hi = d.apr_bounds(g["lpr_bps"])
            assert lo <= g["apr_bps"] <= hi
    assert _metric(env, "lending_apr_outside_guardrail_total") == 0.0
    total = sum(s.value for m in env.registry.collect() if m.name == "lending_credit_decisions"
                for s in m.samples if s.name.endswith("_total"))
    assert total == 4
    assert _metric(env, "lending_granted_line_fen_count") >= 1


def test_approval_shift_lowers_scores(seeded_sqlite_url: str) -> None:
    healthy = make_env(seeded_sqlite_url)
    shifted = make_env(seeded_sqlite_url, faults=FaultSpec(approval_shift_points=-40))
    a = healthy.grant(healthy.register()["customer_id"])
    b = shifted.grant(shifted.register()["customer_id"])
    assert b["score"] == a["score"] - 40


def test_error_rate_one_fails_every_v1_request_and_writes_nothing(seeded_sqlite_url: str) -> None:
    env = make_env(seeded_sqlite_url, faults=FaultSpec(error_rate=1.0))
    before = env.counts()
    r = env.client.post("/v1/customers", json={}, headers=bearer(env.jianhe))
    assert r.status_code == 500 and r.get_json()["type"].endswith("/injected-fault")
    assert r.headers["X-Lending-Track"] == "stable"
    assert env.client.get("/healthz").status_code == 200 and env.client.get("/readyz").status_code == 200
    assert env.counts() == before
    assert env.registry.get_sample_value("http_server_request_duration_seconds_count", {
        "http_route": "/v1/customers", "http_request_method": "POST", "http_response_status_code": "500",
        "track": "stable"}) == 1.0


def test_drawdown_outcomes_and_replays_are_counted(env: Env) -> None:
    cust = env.register()
    env.grant(cust["customer_id"])
    body = {"customer_id": cust["customer_id"], "amount_fen": 5_000_000, "term_months": 3,
            "repayment_method": "revolving"}
    for key in ("a", "a", "b"):
        env.client.post("/v1/drawdowns", json=body, headers=bearer(env.jianhe, **{"Idempotency-Key": key}))
    assert _metric(env, "lending_drawdowns_total", outcome="accepted") == 1
    assert _metric(env, "lending_drawdowns_total", outcome="replayed") == 1
    assert _metric(env, "lending_drawdowns_total", outcome="insufficient-credit") == 1
    assert _metric(env, "lending_idempotent_replays_total", route="/v1/drawdowns") == 1
