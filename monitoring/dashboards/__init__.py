"""Grafana dashboards of the lending service, as code (grafana-foundation-sdk, Grafana
11.6 schema), exported as JSON or pushed over Grafana's HTTP API.

    boards = build_dashboards()                # Canary release, Credit path SLO, Client view
    export_dashboards(Path("out"), boards)     # what `lendops dashboards export --out out` does
    push_dashboards(boards, url="https://grafana.example", token=token, folder="lendops")

Every panel reads the ``$datasource`` variable and filters ``track=~"$track"``; metric
names come from ``monitoring.probe.names`` and burn rates from ``monitoring.rules``.
"""

from __future__ import annotations

from ._errors import DashboardBuildError, DashboardError, GrafanaPushError
from ._export import (
    BOARDS,
    Board,
    build_dashboards,
    export_dashboards,
    panel_queries,
    promql_for_check,
)
from ._push import PushResult, push_dashboards

__all__ = [
    "BOARDS",
    "Board",
    "build_dashboards",
    "export_dashboards",
    "panel_queries",
    "promql_for_check",
    "push_dashboards",
    "PushResult",
    "DashboardError",
    "DashboardBuildError",
    "GrafanaPushError",
]
