"""The exception hierarchy of the load-test package.

::

    LoadtestError
    ├── ScenarioError   (path, line, field)   a scenario file that cannot be used
    ├── TokensError     (source)              no usable bearer token for the run
    └── RunError        (exit_code, log_path) Locust did not run to the end

Threshold breaches are not exceptions: they are part of a ``Summary`` (a run that
measured something is a result, even when the result is "too slow").
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["LoadtestError", "ScenarioError", "TokensError", "RunError"]


class LoadtestError(Exception):
    """Base of the package's errors; ``str(err)`` is a message a user can act on."""


class ScenarioError(LoadtestError, ValueError):
    """A scenario file is unreadable or invalid.

    ``problems`` holds one ``(line, field, message)`` per mistake found (line is
    1-based, ``None`` when the file could not be located at all), so an editor or a CI
    annotation can point at every one of them.
    """

    def __init__(self, path: str | Path, problems: list[tuple[int | None, str, str]]) -> None:
        self.path = str(path)
        self.problems = problems
        first_line, first_field, _ = problems[0] if problems else (None, "", "")
        self.line = first_line
        self.field = first_field
        super().__init__("\n".join(self._format(p) for p in problems) or f"{self.path}: invalid scenario")

    def _format(self, problem: tuple[int | None, str, str]) -> str:
        line, field, message = problem
        where = f"{self.path}:{line}" if line is not None else self.path
        return f"{where}: {field}: {message}" if field else f"{where}: {message}"


class TokensError(LoadtestError, ValueError):
    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source


class RunError(LoadtestError, RuntimeError):
    def __init__(self, message: str, *, exit_code: int | None = None, log_path: str | None = None) -> None:
        hint = f" (see {log_path})" if log_path else ""
        super().__init__(f"{message}{hint}")
        self.exit_code = exit_code
        self.log_path = log_path
