"""Errors of the rollout controller.

    ControllerError              anything the controller cannot do; message for the user
    ├── NoRollout                no rollout of that name in the workdir
    ├── AlreadyRunning           another controller holds the rollout's lock (.pid)
    └── RuntimeFailure           the target/router could not be started or reached
"""

from __future__ import annotations

__all__ = ["AlreadyRunning", "ControllerError", "NoRollout", "RuntimeFailure"]


class ControllerError(Exception):
    pass


class NoRollout(ControllerError):
    def __init__(self, message: str, *, workdir: str = "", name: str = "") -> None:
        super().__init__(message)
        self.workdir = workdir
        self.name = name


class AlreadyRunning(ControllerError):
    def __init__(self, name: str, pid: int | None) -> None:
        where = f" (pid {pid})" if pid else ""
        super().__init__(f"a controller for rollout {name!r} is already running{where}")
        self.name = name
        self.pid = pid


class RuntimeFailure(ControllerError):
    def __init__(self, message: str, *, action: str = "") -> None:
        super().__init__(message)
        self.action = action
