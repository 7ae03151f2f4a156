"""The lending store: SQLAlchemy models, transactions, migrations and repositories."""

from __future__ import annotations

from .database import Database, make_engine
from .records import list_branches_view
from .migration import current_revision, head_revision, is_current, require_current, upgrade

__all__ = ["list_branches_view", "Database", "make_engine", "upgrade", "current_revision", "head_revision", "is_current", "require_current"]
