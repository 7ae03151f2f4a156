"""The "Credit path SLO" dashboard: error-budget burn rates read from the same
recorded series the burn-rate alerts use, and the disbursement promise."""

from __future__ import annotations

import re

from grafana_foundation_sdk.builders import dashboard as db

from monitoring.probe import names
from monitoring.rules import RuleSettings, build_groups

from ._panels import (
    RATE,
    TRACK,
    Query,
    build_table,
    datasource_variable,
    series,
    single,
    track_variable,
)
from ._queries import quantile, rate_by

__all__ = ["credit_path_slo", "UID"]

UID = "lendops-credit-path-slo"
_WINDOW = re.compile(r"ratio_rate(\w+)$")


def _burn_series(settings: RuleSettings) -> dict[str, list[tuple[str, str]]]:
    """SLO name → [(window, recorded series)], from the rules themselves."""
    out: dict[str, list[tuple[str, str]]] = {}
    for group in build_groups(settings):
        for rec in group.recordings:
            slo = rec.labels.get("slo")
            m = _WINDOW.search(rec.record)
            if slo and m:
                out.setdefault(slo, []).append((m.group(1), rec.record))
    return out


def credit_path_slo(settings: RuleSettings | None = None) -> db.Dashboard:
    s = (settings or RuleSettings()).validate()
    budgets = {"availability": 1 - s.availability_objective, "latency": 1 - s.latency_objective}
    sel = "{" + TRACK + "}"
    d = (
        db.Dashboard("Credit path SLO").uid(UID).tags(["lendops", "slo"]).refresh("30s").time("now-6h", "now")
        .description(f"Availability {s.availability_objective:.3%} and latency (under {s.latency_threshold_s:g}s "
                     f"for {s.latency_objective:.0%}) of the credit path; burn rate 1 spends the 30-day "
                     "budget exactly, 14.4 pages.")
        .with_variable(datasource_variable()).with_variable(track_variable())
    )
    d = d.with_row(db.Row("Error budget burn rate (x budget)"))
    for slo, windows in sorted(_burn_series(s).items()):
        budget = budgets[slo]
        queries = [Query(f"{record}{sel} / {budget:.10g}", f"{{{{track}}}} {window}") for window, record in windows]
        d = d.with_panel(series(
            f"{slo.capitalize()} burn rate", queries, unit="short", w=12, min_val=0,
            description=f"Bad-event ratio over each alert window divided by the {budget:.10g} budget. "
                        "Pages at 14.4x (1h and 5m) and 6x (6h and 30m)."))
    for slo, windows in sorted(_burn_series(s).items()):
        record = dict(windows).get("1h") or windows[0][1]
        d = d.with_panel(single(f"{slo.capitalize()} SLI over 1h", [Query(f"1 - {record}{sel}")],
                                unit="percentunit", w=6))
    d = d.with_panel(build_table(
        "Firing lending alerts",
        [Query('sum by (alertname, severity, track) (ALERTS{alertname=~"Lending.*", alertstate="firing"})', "",
               instant=True, fmt="table")], w=12, h=4))
    d = d.with_row(db.Row("Disbursement (3-minute promise)"))
    d = d.with_panel(series(
        "Disbursement p95",
        [Query(quantile(0.95, f"{names.DISBURSEMENT_DURATION}_bucket", sel), "p95 {{track}}"),
         Query(f"track:lending_disbursement_duration_seconds:p95_rate30m{sel}", "p95 30m {{track}}")],
        unit="s", w=12, min_val=0, description=f"Alerts above {s.disbursement_p95_s:g}s over 15 minutes."))
    d = d.with_panel(series("Stuck disbursements (pending > 10 min)",
                            [Query(f"max by (track) ({names.DISBURSEMENTS_STUCK}{sel})")], unit="short", w=12,
                            min_val=0))
    d = d.with_panel(series("Drawdowns by outcome",
                            [Query(rate_by(names.DRAWDOWNS, by="track, outcome"), "{{track}} {{outcome}}")],
                            unit="reqps", w=12))
    d = d.with_panel(series("Idempotent replays",
                            [Query(rate_by(names.IDEMPOTENT_REPLAYS, by="track, route"), "{{track}} {{route}}")],
                            unit="reqps", w=12))
    d = d.with_panel(series("Payouts by outcome",
                            [Query(f"sum by (track, outcome) (rate({names.DISBURSEMENT_DURATION}_count{sel}[{RATE}]))",
                                   "{{track}} {{outcome}}")], unit="reqps", w=12))
    return d
