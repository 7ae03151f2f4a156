"""Repository functions for reference data, customers and tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access import Principal, Role
from ..branches import BRANCHES
from ..errors import ConfigError, UnknownBranch
from ..pii import id_number_digest, mask_id_number, mask_phone
from .models import ApiToken, Branch, Customer

__all__ = [
    "hash_token", "create_token", "principal_for", "seed_branches", "add_customer",
    "find_customer_by_id_number", "list_branches",
]

TOKEN_PREFIX = "lt_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def seed_branches(session: Session) -> int:
    """Insert or refresh the 84 branches; returns how many were new."""
    existing = {b.code: b for b in session.scalars(select(Branch))}
    added = 0
    for info in BRANCHES:
        row = existing.get(info.code)
        if row is None:
            session.add(Branch(code=info.code, name=info.name, prefecture=info.prefecture, pilot=info.pilot))
            added += 1
        else:
            row.name, row.prefecture, row.pilot = info.name, info.prefecture, info.pilot
    return added


def list_branches(session: Session) -> list[Branch]:
    return list(session.scalars(select(Branch).order_by(Branch.code)))


def create_token(
    session: Session, *, role: str, branch_code: str | None = None, customer_id: int | None = None,
    now: datetime,
) -> str:
    """A new bearer token (returned once, stored only as its hash)."""
    try:
        role_ = Role(role)
    except ValueError:
        raise ConfigError("role", role, f"role must be manager, customer or ops, not {role!r}") from None
    if role_ is Role.MANAGER:
        if not branch_code:
            raise ConfigError("branch", branch_code, "a manager token needs --branch CODE")
        if session.get(Branch, branch_code) is None:
            raise UnknownBranch(branch_code)
        customer_id = None
    elif role_ is Role.CUSTOMER:
        if customer_id is None:
            raise ConfigError("customer", customer_id, "a customer token needs --customer ID")
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise ConfigError("customer", customer_id, f"no customer with id {customer_id}")
        branch_code = customer.branch_code
    else:
        branch_code, customer_id = None, None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(token_hash=hash_token(token), role=role_.value, branch_code=branch_code,
                         customer_id=customer_id, created_at=now))
    return token


def principal_for(session: Session, token: str) -> Principal | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None:
        return None
    return Principal(token_id=row.id, role=Role(row.role), branch_code=row.branch_code, customer_id=row.customer_id)


def find_customer_by_id_number(session: Session, id_number: str) -> Customer | None:
    return session.scalar(select(Customer).where(Customer.id_number_hash == id_number_digest(id_number)))


def add_customer(
    session: Session, *, branch_code: str, name: str, id_number: str, phone: str, segment: str,
    birth_date: date, annual_income_fen: int, other_debt_fen: int, labels: dict[str, Any], now: datetime,
) -> Customer:
    customer = Customer(
        branch_code=branch_code, name=name, id_number=id_number.upper(),
        id_number_masked=mask_id_number(id_number.upper()), id_number_hash=id_number_digest(id_number),
        phone=phone, phone_masked=mask_phone(phone), segment=segment, birth_date=birth_date,
        annual_income_fen=annual_income_fen, other_debt_fen=other_debt_fen, labels=labels, created_at=now,
    )
    session.add(customer)
    session.flush()
    return customer


def list_branches_view(session: Session) -> list[dict[str, Any]]:
    return [{"branch_code": b.code, "name": b.name, "prefecture": b.prefecture, "pilot": b.pilot}
            for b in list_branches(session)]
