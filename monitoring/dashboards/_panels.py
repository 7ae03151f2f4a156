"""Small builders over grafana-foundation-sdk: every panel reads the ``$datasource``
variable, gets a stable id and refIds, and Prometheus queries filter by ``$track``."""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.builders import (
    common,
    heatmap,
    prometheus,
    stat,
    table,
    timeseries,
)
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models.dashboard import DataSourceRef, VariableRefresh
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

__all__ = [
    "DATASOURCE", "TRACK", "RATE", "Query", "datasource_variable", "track_variable",
    "series", "single", "heat", "build_table",
]

DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
#: Label matcher every per-track query carries.
TRACK = 'track=~"$track"'
#: Grafana's rate window: at least four scrape intervals, so a rate never goes blank.
RATE = "$__rate_interval"


class Query:
    """One Prometheus expression and its legend (``{{track}}`` unless told)."""

    def __init__(self, expr: str, legend: str = "{{track}}", *, instant: bool = False, fmt: str = "") -> None:
        self.expr = expr
        self.legend = legend
        self.instant = instant
        self.fmt = fmt

    def build(self, ref_id: str) -> prometheus.Dataquery:
        q = prometheus.Dataquery().expr(self.expr).ref_id(ref_id).datasource(DATASOURCE)
        if self.legend:
            q = q.legend_format(self.legend)
        if self.instant:
            q = q.instant()
        if self.fmt:
            q = q.format(PromQueryFormat(self.fmt))
        return q


def _targets(panel: Any, queries: list[Query]) -> Any:
    for i, query in enumerate(queries):
        panel = panel.with_target(query.build(chr(ord("A") + i)))
    return panel


def datasource_variable() -> db.DatasourceVariable:
    return db.DatasourceVariable("datasource").label("Data source").type("prometheus")


def track_variable(metric: str = "lending_build_info") -> db.QueryVariable:
    """``$track``: all tracks by default, so stable and canary are side by side."""
    return (
        db.QueryVariable("track").label("Track").datasource(DATASOURCE)
        .query(f"label_values({metric}, track)")
        .multi(True).include_all(True).all_value(".*")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
    )


def series(title: str, queries: list[Query], *, unit: str, description: str = "", w: int = 12, h: int = 8,
           min_val: float | None = None, max_val: float | None = None) -> timeseries.Panel:
    panel = (timeseries.Panel().title(title).description(description).datasource(DATASOURCE).unit(unit)
             .span(w).height(h))
    if min_val is not None:
        panel = panel.min(min_val)
    if max_val is not None:
        panel = panel.max(max_val)
    return _targets(panel, queries)


def single(title: str, queries: list[Query], *, unit: str = "none", description: str = "", w: int = 6,
           h: int = 4) -> stat.Panel:
    # The latest value, explicitly: the SDK otherwise writes an empty reducer list.
    panel = (stat.Panel().title(title).description(description).datasource(DATASOURCE).unit(unit).span(w).height(h)
             .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False)))
    return _targets(panel, queries)


def heat(title: str, query: Query, *, unit: str, description: str = "", w: int = 12, h: int = 8) -> heatmap.Panel:
    panel = (heatmap.Panel().title(title).description(description).datasource(DATASOURCE).unit(unit)
             .span(w).height(h))
    return _targets(panel, [query])


def build_table(title: str, queries: list[Query], *, description: str = "", w: int = 12,
                h: int = 6) -> table.Panel:
    panel = table.Panel().title(title).description(description).datasource(DATASOURCE).span(w).height(h)
    return _targets(panel, queries)
