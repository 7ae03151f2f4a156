"""The lending service's rule groups: what is recorded and what alerts, by track."""

from __future__ import annotations

from prometheus_client.utils import floatToGoString

from monitoring.probe import names
from monitoring.prober._metrics import JOURNEYS

from ._model import Alert, Group, Recording
from ._settings import RuleSettings
from ._slo import Slo, slo_rules

__all__ = ["build_groups", "RECORDING_FILE", "SLO_FILE", "ALERTS_FILE"]

RECORDING_FILE = "lending-recording.rules.yml"
SLO_FILE = "lending-slo.rules.yml"
ALERTS_FILE = "lending-alerts.rules.yml"

_COUNT = f"{names.HTTP_DURATION}_count"
_BUCKET = f"{names.HTTP_DURATION}_bucket"
# Business API traffic only: scrapes, health checks and client telemetry would dilute
# the ratios, and faults are never injected into them.
_API = 'http_route=~"/v1/.*", http_route!="/v1/telemetry/client"'
# Lines are whole hundreds of CNY, so everything above this bucket is exactly at the cap.
_BELOW_CAP = floatToGoString(names.LINE_BUCKETS_FEN[-2])


def ratio(bad: str, total: str) -> str:
    """``bad / total`` by track, 0 (not absent) for a track with traffic and no bad events.

    A clean track must read 0: an absent series hides it from dashboards and judges, and
    a canary that declines everyone would make the approval ratio vanish instead of drop.
    """
    return f"(\n  {bad}\n  or\n  0 * {total}\n)\n/\n{total}"


def build_groups(settings: RuleSettings | None = None) -> list[Group]:
    s = (settings or RuleSettings()).validate()
    return [_recording(s), *_slo_groups(s), _alerts(s)]


def _recording(s: RuleSettings) -> Group:
    w = s.approval_window
    rules = [
        Recording("track:lending_api_requests:rate5m", f"sum by (track) (rate({_COUNT}{{{_API}}}[5m]))"),
        Recording(
            "track:lending_api_errors:ratio_rate5m",
            ratio(
                f'sum by (track) (rate({_COUNT}{{{_API}, http_response_status_code=~"5.."}}[5m]))',
                f"sum by (track) (rate({_COUNT}{{{_API}}}[5m]))",
            ),
        ),
        *[
            Recording(
                f"track_route:lending_api_latency_seconds:p{q}_5m",
                f"histogram_quantile(0.{q}, sum by (track, http_route, le) (rate({_BUCKET}{{{_API}}}[5m])))",
            )
            for q in (99, 95)
        ],
        Recording(
            f"track:lending_credit_decisions:increase{w}",
            f"sum by (track) (increase({names.CREDIT_DECISIONS}[{w}]))",
        ),
        Recording(
            f"track:lending_approval:ratio_rate{w}",
            ratio(
                f'sum by (track) (rate({names.CREDIT_DECISIONS}{{decision="approved"}}[{w}]))',
                f"sum by (track) (rate({names.CREDIT_DECISIONS}[{w}]))",
            ),
        ),
        Recording(
            f"track:lending_granted_line_fen:mean_rate{w}",
            f"sum by (track) (rate({names.GRANTED_LINE}_sum[{w}]))\n/\n"
            f"sum by (track) (rate({names.GRANTED_LINE}_count[{w}]))",
        ),
        Recording(
            f"track:lending_granted_line_at_cap:ratio_rate{w}",
            f'1 - (\n  sum by (track) (rate({names.GRANTED_LINE}_bucket{{le="{_BELOW_CAP}"}}[{w}]))\n  /\n'
            f"  sum by (track) (rate({names.GRANTED_LINE}_count[{w}]))\n)",
        ),
        Recording(
            "track:lending_apr_bps:p50_rate30m",
            f"histogram_quantile(0.5, sum by (track, le) (rate({names.APR}_bucket[30m])))",
        ),
        Recording(
            "track:lending_disbursement_duration_seconds:p95_rate30m",
            f"histogram_quantile(0.95, sum by (track, le) (rate({names.DISBURSEMENT_DURATION}_bucket[30m])))",
        ),
    ]
    return Group("lending.recording", tuple(rules), RECORDING_FILE)


def _slo_groups(s: RuleSettings) -> list[Group]:
    path = f'http_route=~"{s.credit_path_routes}"'
    availability = Slo(
        name="availability",
        title="Credit path availability",
        objective=s.availability_objective,
        bad_ratio=ratio(
            f'sum by (track) (rate({_COUNT}{{{path}, http_response_status_code=~"5.."}}[{{window}}]))',
            f"sum by (track) (rate({_COUNT}{{{path}}}[{{window}}]))",
        ),
    )
    le = floatToGoString(s.latency_threshold_s)
    latency = Slo(
        name="latency",
        title=f"Credit path latency (under {le}s)",
        objective=s.latency_objective,
        bad_ratio=(
            f'1 - (\n  sum by (track) (rate({_BUCKET}{{{path}, le="{le}"}}[{{window}}]))\n  /\n'
            f"  sum by (track) (rate({_COUNT}{{{path}}}[{{window}}]))\n)"
        ),
    )
    groups = []
    for slo in (availability, latency):
        recordings, alerts = slo_rules(slo)
        groups.append(Group(f"lending.slo.{slo.name}", (*recordings, *alerts), SLO_FILE))
    return groups


def _alerts(s: RuleSettings) -> Group:
    w = s.approval_window
    approval = f"track:lending_approval:ratio_rate{w}"
    decisions = f"track:lending_credit_decisions:increase{w}"
    p95 = f"histogram_quantile(0.95, sum by (track, le) (rate({names.DISBURSEMENT_DURATION}_bucket[15m])))"
    rules = [
        Alert(
            "LendingAprOutsideGuardrail",
            f"sum by (track) (increase({names.APR_OUTSIDE_GUARDRAIL}[5m])) > 0",
            labels={"severity": "critical"},
            annotations={
                "summary": "An APR outside [LPR, min(cap, 4 x LPR)] was priced on track {{ $labels.track }}",
                "description": "One such price is a compliance breach: roll the build back.",
            },
        ),
        Alert(
            "LendingDisbursementSlow",
            f"{p95} > {s.disbursement_p95_s:g}",
            for_="5m",
            labels={"severity": "warning"},
            annotations={
                "summary": "Disbursement p95 above the 3-minute promise on track {{ $labels.track }}",
                "description": f"p95 time from drawdown to payout over 15m exceeds {s.disbursement_p95_s:g}s.",
            },
        ),
        Alert(
            "LendingDisbursementsStuck",
            f"max by (track) ({names.DISBURSEMENTS_STUCK}) > 0",
            for_="5m",
            labels={"severity": "critical"},
            annotations={
                "summary": "Disbursements pending for more than 10 minutes on track {{ $labels.track }}",
                "description": "Money was promised and not paid: check the payment rail and the worker.",
            },
        ),
        Alert(
            "LendingApprovalRateDrift",
            # Judged only when both tracks made enough decisions in the window: a few
            # decisions say nothing about a rate, and a false rollback costs a release.
            f'(\n  abs({approval}{{track="canary"}} - ignoring(track) group_left {approval}{{track="stable"}})\n'
            f"  > {s.approval_drift:g}\n)\n"
            f'and ignoring(track) ({decisions}{{track="canary"}} >= {s.approval_min_decisions})\n'
            f'and ignoring(track) ({decisions}{{track="stable"}} >= {s.approval_min_decisions})',
            for_="10m",
            labels={"severity": "warning"},
            annotations={
                "summary": "Approval rate of the canary differs from stable",
                "description": (
                    f"Canary and stable approval rates over {w} differ by more than "
                    f"{s.approval_drift * 100:g} percentage points."
                ),
            },
        ),
        Alert(
            "LendingSyntheticJourneyFailing",
            f'sum(increase({JOURNEYS}{{outcome!="ok"}}[15m])) >= {s.probe_failures}',
            labels={"severity": "warning"},
            annotations={
                "summary": "The synthetic prober cannot complete the credit path",
                "description": f"At least {s.probe_failures} synthetic journeys failed in 15 minutes.",
            },
        ),
    ]
    return Group("lending.alerts", tuple(rules), ALERTS_FILE)
