"""The "Canary release" dashboard: stable and canary side by side, technical and
business signals, and the rollout controller's own metrics."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models.common import BigValueGraphMode, BigValueTextMode

from monitoring.probe import names

from ._panels import (
    RATE,
    TRACK,
    Query,
    build_table,
    datasource_variable,
    heat,
    series,
    single,
    track_variable,
)
from ._queries import BELOW_CAP, BUCKET, COUNT, api, mean, quantile, rate_by, ratio

__all__ = ["canary_release", "UID"]

UID = "lendops-canary-release"


def _rollout_row(d: db.Dashboard) -> db.Dashboard:
    d = d.with_row(db.Row("Rollout (controller self-metrics)"))
    # The phase is a label: show the series name ("checkout: progressing"), not its value 1.
    d = d.with_panel(single(
        "Phase", [Query("max by (rollout, phase) (lendops_rollout_phase) == 1", "{{rollout}}: {{phase}}",
                        instant=True)],
        description="The controller's current phase per rollout.", w=6,
    ).text_mode(BigValueTextMode.NAME).graph_mode(BigValueGraphMode.NONE))
    d = d.with_panel(single("Canary weight", [Query("max by (rollout) (lendops_rollout_canary_weight)",
                                                    "{{rollout}}")], unit="percent", w=6,
                            description="Percent of non-cohort traffic routed to the canary."))
    d = d.with_panel(single("Step", [Query("max by (rollout) (lendops_rollout_step)", "{{rollout}}")], w=6,
                            description="Index (0-based) of the rollout step in force."))
    d = d.with_panel(single("Cohort branches", [Query("max by (rollout) (lendops_rollout_cohort_branches)",
                                                      "{{rollout}}")], w=6,
                            description="Pilot branches whose traffic goes to the canary whatever the weight."))
    d = d.with_panel(series(
        "Verdicts by metric and decision",
        [Query(f"sum by (metric, decision) (increase(lendops_rollout_verdicts_total[{RATE}]))",
               "{{metric}} {{decision}}")],
        unit="short", w=12,
        description="Every analysis verdict the controller reached; a fail rolls the canary back. "
                    "The explanation of each verdict is in `lendops release status` and the console."))
    d = d.with_panel(build_table(
        "What the judge measured (last analysis)",
        [Query("max by (rollout, metric, track, stat) (lendops_rollout_analysis_value)", "", instant=True,
               fmt="table")], w=24, h=6,
        description="The values behind each verdict (n, ratios, quantiles) per track, as the controller "
                    "measured them: compare with the panels below to check a verdict by hand."))
    d = d.with_panel(series(
        "Canary weight over time",
        [Query("max by (rollout) (lendops_rollout_canary_weight)", "{{rollout}}")], unit="percent", w=12,
        min_val=0, max_val=100))
    return d


def _technical_row(d: db.Dashboard) -> db.Dashboard:
    d = d.with_row(db.Row("Requests (business API, per track)"))
    d = d.with_panel(build_table(
        "Build info", [Query(f"max by (track, version) ({names.BUILD_INFO}{{{TRACK}}})", "",
                             instant=True, fmt="table")],
        description="Which version serves each track.", w=24, h=4))
    d = d.with_panel(series("Request rate", [Query(rate_by(COUNT, matchers=api()))], unit="reqps", w=8))
    errors = ratio(rate_by(COUNT, matchers=api('http_response_status_code=~"5.."')), rate_by(COUNT, matchers=api()))
    d = d.with_panel(series("Error ratio (5xx)", [Query(errors)], unit="percentunit", w=8, min_val=0,
                            description="Share of business API requests answered 5xx."))
    d = d.with_panel(series(
        "Latency p50 / p99",
        [Query(quantile(0.5, BUCKET, api()), "p50 {{track}}"), Query(quantile(0.99, BUCKET, api()), "p99 {{track}}")],
        unit="s", w=8))
    d = d.with_panel(series(
        "p99 latency by route",
        [Query(quantile(0.99, BUCKET, api(), by="track, http_route"), "{{track}} {{http_route}}")],
        unit="s", w=24))
    return d


def _business_row(d: db.Dashboard) -> db.Dashboard:
    sel = "{" + TRACK + "}"
    decisions = names.CREDIT_DECISIONS
    d = d.with_row(db.Row("Credit decisions and pricing (per track)"))
    approval = ratio(rate_by(decisions, matchers="{" + f'decision="approved", {TRACK}' + "}"), rate_by(decisions))
    d = d.with_panel(series("Approval rate", [Query(approval)], unit="percentunit", w=8, min_val=0, max_val=1,
                            description="Approved / all credit decisions. A canary scoring drift shows here."))
    d = d.with_panel(series("Decisions by grade", [Query(rate_by(decisions, by="track, grade"), "{{track}} {{grade}}")],
                            unit="reqps", w=8))
    d = d.with_panel(series("Mean granted line (CNY)", [Query(mean(names.GRANTED_LINE, scale=100))],
                            unit="short", w=8, description="Lines are stored in fen; shown in CNY."))
    at_cap = (f'1 - (\n  sum by (track) (rate({names.GRANTED_LINE}_bucket{{le="{BELOW_CAP}", {TRACK}}}[{RATE}]))\n'
              f"  /\n  sum by (track) (rate({names.GRANTED_LINE}_count{sel}[{RATE}]))\n)")
    d = d.with_panel(series("Share of lines at the 50,000 CNY cap", [Query(at_cap)], unit="percentunit", w=8,
                            min_val=0, max_val=1))
    d = d.with_panel(series("APR p50 (bps)", [Query(quantile(0.5, f"{names.APR}_bucket", sel))], unit="short", w=8))
    d = d.with_panel(series(
        "APR outside the guardrail",
        [Query(f"sum by (track) (increase({names.APR_OUTSIDE_GUARDRAIL}{sel}[{RATE}]))")], unit="short", w=8,
        description="Any value above 0 is a compliance breach: the build must be rolled back."))
    for track in ("stable", "canary"):
        d = d.with_panel(heat(
            f"APR distribution: {track}",
            Query(f'sum by (le) (increase({names.APR}_bucket{{track="{track}"}}[{RATE}]))', "{{le}}", fmt="heatmap"),
            unit="short", w=12,
            description="Priced APRs (bps) per bucket; compare the two heatmaps for a pricing shift."))
    return d


def canary_release() -> db.Dashboard:
    d = (
        db.Dashboard("Canary release").uid(UID).tags(["lendops", "canary"]).refresh("10s").time("now-1h", "now")
        .description("Stable against canary: requests, errors, latency, credit decisions, pricing; "
                     "and the rollout controller's phase, weight and verdicts.")
        .with_variable(datasource_variable()).with_variable(track_variable())
    )
    return _business_row(_technical_row(_rollout_row(d)))
