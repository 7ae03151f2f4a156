"""Deployment targets: where stable and canary builds run (local processes for now)."""

from __future__ import annotations

from .base import Target
from .errors import TargetError
from .local import LocalTarget, ServiceHandle

__all__ = ["LocalTarget", "ServiceHandle", "Target", "TargetError"]
