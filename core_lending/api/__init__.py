"""The HTTP API of the lending service: ``create_app(settings)`` builds it.

Imported lazily so that ``import core_lending.api`` does not pull Flask and SQLAlchemy
into processes that only want the package's names.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)
