"""A live progress line for a run (rich), fed by the runner's progress callback."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["RunProgress"]


class RunProgress:
    """``with RunProgress(duration_s) as p: run_scenario(..., on_progress=p.update)``."""

    def __init__(self, duration_s: float, *, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self._progress = Progress(
            TextColumn("[bold]load[/]"), BarColumn(), TimeElapsedColumn(),
            TextColumn("{task.fields[stats]}"), console=self.console, transient=False,
        )
        self._task = self._progress.add_task("load", total=duration_s, stats="starting Locust…")

    def update(self, progress: dict[str, Any]) -> None:
        requests, failures = int(progress.get("requests", 0)), int(progress.get("failures", 0))
        ratio = failures / requests if requests else 0.0
        stats = (f"users {progress.get('users', 0)}  {progress.get('rps', 0):.1f} req/s  "
                 f"requests {requests}  failed {ratio:.1%}")
        if progress.get("dropped"):
            stats += f"  dropped {progress['dropped']}"
        if progress.get("workers"):
            stats += f"  workers {progress['workers']}"
        self._progress.update(self._task, completed=float(progress.get("t", 0)), stats=stats)

    def __enter__(self) -> RunProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()
