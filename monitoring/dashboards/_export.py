"""Dashboards as Grafana JSON: built, tidied and written to files."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._errors import DashboardBuildError

__all__ = ["Board", "build_dashboards", "export_dashboards", "panel_queries", "BOARDS"]

# Only interval variables use these; the SDK writes them on every variable and
# Grafana's dashboard schema rejects them elsewhere.
_INTERVAL_ONLY = ("auto", "auto_min", "auto_count")


@dataclass(frozen=True, slots=True)
class Board:
    """One dashboard as Grafana JSON (``model`` is the ``dashboard`` object of the API)."""

    uid: str
    title: str
    model: dict[str, Any]

    @property
    def filename(self) -> str:
        return f"{self.uid}.json"

    def to_json(self) -> str:
        return json.dumps(self.model, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def _factories() -> list[Callable[[], Any]]:
    from ._canary import canary_release
    from ._client import client_view
    from ._slo import credit_path_slo

    return [canary_release, credit_path_slo, client_view]


#: Names of the dashboards, in the order they are built.
BOARDS = ("canary-release", "credit-path-slo", "client-view")


def _tidy(model: dict[str, Any]) -> dict[str, Any]:
    for variable in model.get("templating", {}).get("list", []):
        if variable.get("type") != "interval":
            for key in _INTERVAL_ONLY:
                variable.pop(key, None)
    # Stable ids (the SDK leaves them unset): Grafana keys panel links and state by id.
    for i, panel in enumerate(model.get("panels", []), start=1):
        panel["id"] = i
        for j, inner in enumerate(panel.get("panels", []) or [], start=1):
            inner["id"] = i * 100 + j
    return model


def _to_dict(builder: Any) -> dict[str, Any]:
    from grafana_foundation_sdk.cog.encoder import JSONEncoder

    try:
        model = json.loads(json.dumps(builder.build(), cls=JSONEncoder))
    except (TypeError, ValueError) as exc:
        raise DashboardBuildError(dashboard=type(builder).__name__, reason=str(exc)) from exc
    return _tidy(model)


def build_dashboards() -> list[Board]:
    """Every lendops dashboard, built from code (nothing is read from disk)."""
    boards = []
    for factory in _factories():
        model = _to_dict(factory())
        if not model.get("uid") or not model.get("title"):
            raise DashboardBuildError(dashboard=factory.__name__, reason="a dashboard needs a uid and a title")
        boards.append(Board(uid=model["uid"], title=model["title"], model=model))
    return boards


def export_dashboards(out: Path, boards: list[Board] | None = None) -> list[Path]:
    """Write each dashboard to ``out/<uid>.json``; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for board in boards if boards is not None else build_dashboards():
        path = out / board.filename
        path.write_text(board.to_json(), encoding="utf-8")
        written.append(path)
    return written


def _panels(model: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in model.get("panels", []):
        yield panel
        yield from panel.get("panels", []) or []


def panel_queries(model: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(panel title, refId, PromQL) of every Prometheus target of a dashboard."""
    out = []
    for panel in _panels(model):
        for target in panel.get("targets", []) or []:
            if "expr" in target:
                out.append((panel.get("title", ""), target.get("refId", ""), target["expr"]))
    return out


_GRAFANA_VARS = re.compile(r"\$(__rate_interval|__interval|__range|track|datasource)\b|\$\{(\w+)\}")


def promql_for_check(expr: str) -> str:
    """``expr`` with Grafana's template variables replaced by values Prometheus parses
    (``$__rate_interval`` → ``5m``, ``$track`` → ``.*``), for ``promtool check``."""
    def sub(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        return "5m" if name.startswith("__") else ".*"

    return _GRAFANA_VARS.sub(sub, expr)
