"""Who may do what: roles bound to a branch or a customer.

- manager: bound to one branch; registers customers of that branch, applies for them and
  acts for them (quotes, draws, repays) and sees their PII unmasked.
- customer: bound to one customer; reads its own credit and loans, quotes, draws and
  repays. Cannot register or apply.
- ops: read-only on every customer's data, PII masked.

Consistency rule: anything outside a token's reach (another branch's or another
customer's ids) answers 404, exactly like an id that does not exist, so ids cannot be
probed; a role lacking an action altogether answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .errors import Forbidden, NotFound

__all__ = ["Role", "Principal", "Action", "authorize", "check_reach"]


class Role(StrEnum):
    MANAGER = "manager"
    CUSTOMER = "customer"
    OPS = "ops"


class Action(StrEnum):
    REGISTER = "register"
    APPLY = "apply"
    READ = "read"
    QUOTE = "quote"
    DRAW = "draw"
    REPAY = "repay"


_ALLOWED: dict[Role, frozenset[Action]] = {
    Role.MANAGER: frozenset(Action),
    Role.CUSTOMER: frozenset({Action.READ, Action.QUOTE, Action.DRAW, Action.REPAY}),
    Role.OPS: frozenset({Action.READ, Action.QUOTE}),
}


@dataclass(frozen=True)
class Principal:
    token_id: int
    role: Role
    branch_code: str | None = None
    customer_id: int | None = None

    @property
    def scope(self) -> str:
        """Idempotency scope: keys of different tokens never collide."""
        return f"token:{self.token_id}"

    def sees_pii_of(self, branch_code: str) -> bool:
        return self.role is Role.MANAGER and self.branch_code == branch_code


def authorize(principal: Principal, action: Action) -> None:
    """403 when the role may never do ``action``."""
    if action not in _ALLOWED[principal.role]:
        raise Forbidden(f"a {principal.role.value} token may not {action.value}", action=action.value)


def check_reach(principal: Principal, *, branch_code: str, customer_id: int, resource: str, ident: object) -> None:
    """404 when the customer (and so its credit and loans) is outside the token's reach."""
    if principal.role is Role.OPS:
        return
    if principal.role is Role.MANAGER and principal.branch_code == branch_code:
        return
    if principal.role is Role.CUSTOMER and principal.customer_id == customer_id:
        return
    raise NotFound(resource, ident)
