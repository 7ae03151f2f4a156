"""Through the API: the DOMAIN.md check values to the fen, and APR always inside
[LPR, min(cap, 4 x LPR)] for any customer a manager can register."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from core_lending import domain as d
from core_lending.store.models import CreditLine

from .conftest import Env, bearer


def test_check_values_through_quotes(env: Env) -> None:
    cust = env.register()
    env.grant(cust["customer_id"])
    with env.db.write() as s:  # price this line at exactly 6 %/year, the DOMAIN.md example
        s.execute(update(CreditLine).where(CreditLine.customer_id == cust["customer_id"]).values(apr_bps=600))

    def quote(method: str, term: int = 12) -> dict[str, Any]:
        r = env.client.post("/v1/quotes", headers=bearer(env.jianhe), json={
            "customer_id": cust["customer_id"], "amount_fen": 5_000_000, "term_months": term,
            "repayment_method": method})
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.get_json()

    ei = quote("equal_installment")
    assert {i["total_fen"] for i in ei["installments"][:-1]} == {430_332} and ei["total_interest_fen"] == 163_986
    ep = quote("equal_principal")
    assert ep["installments"][0]["total_fen"] == 441_667 and ep["installments"][-1]["total_fen"] == 418_746
    assert ep["total_interest_fen"] == 162_500
    io = quote("interest_only")
    assert {i["interest_fen"] for i in io["installments"]} == {25_000}
    assert io["installments"][-1]["principal_fen"] == 5_000_000
    for q in (ei, ep, io):
        assert q["apr_bps"] == 600 and sum(i["principal_fen"] for i in q["installments"]) == 5_000_000
    assert d.accrued_interest_fen(5_000_000, 600, 30) == 25_000  # revolving, 30 days ACT/360


_labels = st.fixed_dictionaries({
    "fraud_risk": st.sampled_from(["low", "medium", "high"]),
    "relationship_grade": st.sampled_from(["A", "B", "C", "D"]),
    "years_known": st.integers(0, 100), "credit_village": st.booleans(),
    "repayment_history": st.sampled_from(["none", "on_time", "overdue_30"]),
    "credit_record": st.sampled_from(["clean", "bad"]),
})


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(labels=_labels, segment=st.sampled_from([s.value for s in d.Segment]),
       income=st.integers(0, 10**10), debt=st.integers(0, 10**9),
       birth=st.dates(min_value=date(1930, 1, 1), max_value=date(2008, 1, 1)))
def test_apr_and_line_always_inside_the_guardrail(env: Env, labels: dict[str, Any], segment: str, income: int,
                                                  debt: int, birth: date) -> None:
    cust = env.register(labels=labels, segment=segment, annual_income_fen=income, other_debt_fen=debt,
                        birth_date=birth.isoformat())
    g = env.grant(cust["customer_id"])
    assert 0 <= g["line_fen"] <= 5_000_000
    if g["decision"] == "approved":
        lo, hi = d.apr_bounds(g["lpr_bps"])
        assert lo <= g["apr_bps"] <= hi
    else:
        assert g["line_fen"] == 0 and g["apr_bps"] is None
