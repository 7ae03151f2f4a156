"""Errors of the rollout spec.

    SpecError                 any problem with a rollout file
    └── SpecInvalid           it parsed but breaks the schema or a rule (has .issues)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Issue", "SpecError", "SpecInvalid"]


@dataclass(frozen=True)
class Issue:
    """A located finding: ``file:line:column: severity: message`` (1-based)."""

    file: str
    line: int
    column: int
    message: str
    severity: Literal["error", "warning"] = "error"
    path: str = ""

    def __str__(self) -> str:
        where = f" ({self.path})" if self.path else ""
        return f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.message}{where}"


class SpecError(Exception):
    def __init__(self, message: str, *, file: str = "", line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}: error: {self.args[0]}"
        return f"{self.file}: error: {self.args[0]}" if self.file else str(self.args[0])


class SpecInvalid(SpecError):
    def __init__(self, issues: list[Issue]) -> None:
        errors = [i for i in issues if i.severity == "error"]
        first = errors[0] if errors else issues[0]
        super().__init__(first.message, file=first.file, line=first.line, column=first.column)
        self.issues = issues

    def __str__(self) -> str:
        return "\n".join(str(i) for i in self.issues)
