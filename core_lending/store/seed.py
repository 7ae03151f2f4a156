"""Idempotent seeding: the 84 branches and a few demo customers (fictional people)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from .records import add_customer, find_customer_by_id_number, seed_branches

__all__ = ["seed", "DEMO_CUSTOMERS"]

_LABELS_GOOD = {"fraud_risk": "low", "relationship_grade": "A", "years_known": 8, "credit_village": True,
                "repayment_history": "on_time", "credit_record": "clean"}
_LABELS_FAIR = {"fraud_risk": "low", "relationship_grade": "B", "years_known": 3, "credit_village": False,
                "repayment_history": "none", "credit_record": "clean"}
_LABELS_RISKY = {"fraud_risk": "high", "relationship_grade": "C", "years_known": 1, "credit_village": False,
                 "repayment_history": "overdue_30", "credit_record": "clean"}

# ID numbers are syntactically valid but fictional (birth dates match; checksums not enforced).
DEMO_CUSTOMERS: tuple[dict[str, object], ...] = (
    {"branch_code": "522629", "name": "杨秀英", "id_number": "522629198503011234", "phone": "13800000001",
     "segment": "farmer", "birth_date": date(1985, 3, 1), "annual_income_fen": 6_000_000,
     "other_debt_fen": 0, "labels": _LABELS_GOOD},
    {"branch_code": "522629", "name": "吴国平", "id_number": "522629197910202345", "phone": "13800000002",
     "segment": "small_business", "birth_date": date(1979, 10, 20), "annual_income_fen": 12_000_000,
     "other_debt_fen": 1_500_000, "labels": _LABELS_FAIR},
    {"branch_code": "522731", "name": "罗明", "id_number": "522731199006153456", "phone": "13800000003",
     "segment": "urban_low_income", "birth_date": date(1990, 6, 15), "annual_income_fen": 3_600_000,
     "other_debt_fen": 200_000, "labels": _LABELS_FAIR},
    {"branch_code": "520526", "name": "龙小芳", "id_number": "520526198812124567", "phone": "13800000004",
     "segment": "poverty_alleviation", "birth_date": date(1988, 12, 12), "annual_income_fen": 2_400_000,
     "other_debt_fen": 0, "labels": _LABELS_GOOD},
    {"branch_code": "522301", "name": "张伟", "id_number": "522301197501015678",
     "phone": "13800000005", "segment": "farmer", "birth_date": date(1975, 1, 1),
     "annual_income_fen": 4_000_000, "other_debt_fen": 0, "labels": _LABELS_RISKY},
)


def seed(session: Session, *, now: datetime) -> tuple[int, int]:
    """(branches added, customers added); running it again adds nothing."""
    branches = seed_branches(session)
    session.flush()
    customers = 0
    for row in DEMO_CUSTOMERS:
        if find_customer_by_id_number(session, str(row["id_number"])) is None:
            add_customer(session, now=now, **row)  # type: ignore[arg-type]
            customers += 1
    return branches, customers
