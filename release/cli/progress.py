"""How a rollout shows itself in a terminal: rich lines, JSON lines, or nothing."""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = ["Progress", "render_status"]

_PHASE_STYLE = {
    "progressing": "cyan", "paused": "yellow", "promoting": "blue", "succeeded": "bold green",
    "rolling_back": "bold red", "rolled_back": "red", "aborted": "red", "pending": "dim",
}
_DECISION_STYLE = {"pass": "green", "fail": "bold red", "inconclusive": "yellow"}


def _clock(at: Any) -> str:
    return time.strftime("%H:%M:%S", time.localtime(float(at))) if isinstance(at, (int, float)) else "--:--:--"


class Progress:
    """Callable handed to the controller as ``on_event``."""

    def __init__(self, mode: str = "rich", stream: TextIO | None = None) -> None:
        self.mode = mode
        self.stream = stream or sys.stdout
        self.console = Console(file=self.stream, highlight=False, soft_wrap=True)
        self._last_decisions: tuple[tuple[str, str], ...] = ()

    def __call__(self, event: dict[str, Any]) -> None:
        if self.mode == "quiet":
            return
        if self.mode == "json":
            self.stream.write(json.dumps(event, default=str) + "\n")
            self.stream.flush()
            return
        if event.get("type") == "evaluation":
            self._evaluation(event)
            return
        if event.get("type") == "verdict":
            return  # already printed as the evaluation arrived
        style = _PHASE_STYLE.get(str(event.get("phase")), "")
        line = Text(f"{_clock(event.get('at'))} ", style="dim")
        line.append(f"[{event.get('type')}] ", style="bold")
        line.append(str(event.get("reason", "")), style=style if event.get("type") == "transition" else "")
        if event.get("type") in ("step", "transition"):
            line.append(f"  (weight {event.get('weight', 0)}%)", style="dim")
        self.console.print(line)
        verdicts = (event.get("verdicts") or {}).get("verdicts") if isinstance(event.get("verdicts"), dict) else None
        if verdicts and event.get("type") == "transition":
            self._verdicts(verdicts)

    def _evaluation(self, event: dict[str, Any]) -> None:
        summary = event.get("verdicts") or {}
        verdicts = summary.get("verdicts") or []
        decisions = tuple((str(v.get("metric")), str(v.get("decision"))) for v in verdicts)
        if decisions == self._last_decisions and summary.get("decision") != "fail":
            return  # print verdicts as they change, not every interval
        self._last_decisions = decisions
        decision = str(summary.get("decision"))
        line = Text(f"{_clock(event.get('at'))} ", style="dim")
        line.append("[analysis] ", style="bold")
        line.append(decision, style=_DECISION_STYLE.get(decision, ""))
        line.append(f" (weight {event.get('weight', 0)}%)", style="dim")
        self.console.print(line)
        self._verdicts(verdicts)

    def _verdicts(self, verdicts: list[dict[str, Any]]) -> None:
        for v in verdicts:
            decision = str(v.get("decision"))
            line = Text("           ")
            line.append(f"{v.get('metric')}: ", style="bold")
            line.append(decision, style=_DECISION_STYLE.get(decision, ""))
            if v.get("explanation"):
                line.append(f" — {v.get('explanation')}")
            self.console.print(line)


def render_status(status: dict[str, Any], console: Console, *, history: int = 10) -> None:
    phase = str(status.get("phase"))
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("rollout", str(status.get("name")))
    head.add_row("phase", Text(phase, style=_PHASE_STYLE.get(phase, "")))
    head.add_row("reason", str(status.get("reason") or ""))
    head.add_row("step", f"{min(status['step'] + 1, status['steps'])}/{status['steps']}: {status.get('step_description', '')}")
    cohort = status.get("cohort") or []
    head.add_row("traffic", f"weight {status.get('weight')}%" + (f" + cohort {len(cohort)} branches" if cohort else ""))
    head.add_row("builds", f"stable {status.get('stable')}  canary {status.get('canary')}")
    pid = status.get("controller_pid")
    if pid:
        head.add_row("controller", f"running (pid {pid})")
    elif phase in ("pending", "progressing", "paused", "promoting", "rolling_back"):
        head.add_row("controller", Text("not running — `lendops release resume` continues the rollout", style="bold yellow"))
    else:
        head.add_row("controller", "not running")
    if status.get("router_url"):
        head.add_row("router", str(status["router_url"]))
    console.print(head)
    result = status.get("last_result") or {}
    if result.get("verdicts"):
        table = Table(title=f"last analysis: {result.get('decision')} — {result.get('reason', '')}", title_justify="left")
        for column in ("metric", "decision", "stable", "canary", "statistic", "threshold", "explanation"):
            table.add_column(column, overflow="fold")
        for v in result["verdicts"]:
            decision = str(v.get("decision"))
            table.add_row(
                str(v.get("metric")), Text(decision, style=_DECISION_STYLE.get(decision, "")),
                _num(v.get("stable")), _num(v.get("canary")), _num(v.get("statistic")), _num(v.get("threshold")),
                str(v.get("explanation") or ""),
            )
        console.print(table)
    entries = (status.get("history") or [])[-history:]
    if entries:
        table = Table(title="history", title_justify="left")
        for column in ("time", "type", "step", "weight", "reason"):
            table.add_column(column, overflow="fold")
        for h in entries:
            table.add_row(_clock(h.get("at")), str(h.get("type")), str(int(h.get("step", 0)) + 1),
                          f"{h.get('weight', 0)}%", str(h.get("reason")))
        console.print(table)


def _num(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):  # per-track summaries: n, mean, p50, p99, ...
        return " ".join(f"{k}={_num(v)}" for k, v in value.items())
    return "" if value is None else str(value)
