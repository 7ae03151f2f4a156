"""Multi-window, multi-burn-rate SLO alerts (Google SRE workbook, "Alerting on SLOs").

An SLO with objective 99.9 % has an error budget of 0.1 %. Burning it 14.4 times too
fast for an hour spends 2 % of a 30-day budget; the workbook pages on that (and on 6x
for 6 hours) and files a ticket on slower burns. Each condition needs a long window
(significance) and a short one (the alert stops soon after the problem does).
"""

from __future__ import annotations

from dataclasses import dataclass

from ._model import Alert, Recording

__all__ = ["BurnWindow", "WORKBOOK_WINDOWS", "Slo", "slo_rules"]


@dataclass(frozen=True, slots=True)
class BurnWindow:
    long: str
    short: str
    factor: float
    severity: str


#: The workbook's recommended table for a 30-day SLO.
WORKBOOK_WINDOWS: tuple[BurnWindow, ...] = (
    BurnWindow("1h", "5m", 14.4, "page"),
    BurnWindow("6h", "30m", 6.0, "page"),
    BurnWindow("1d", "2h", 3.0, "ticket"),
    BurnWindow("3d", "6h", 1.0, "ticket"),
)

_FOR = {"page": "2m", "ticket": "15m"}
_SPEED = {"page": "Fast", "ticket": "Slow"}


@dataclass(frozen=True, slots=True)
class Slo:
    """``bad_ratio`` is a PromQL template with ``{window}``: bad events / all events by track."""

    name: str  # "availability", "latency"
    title: str  # for humans: "Credit path availability"
    objective: float
    bad_ratio: str

    @property
    def budget(self) -> float:
        return round(1.0 - self.objective, 10)

    def record(self, window: str) -> str:
        return f"track:lending_slo_{self.name}_errors:ratio_rate{window}"


def _fmt(x: float) -> str:
    return f"{x:.10g}"


def slo_rules(slo: Slo, windows: tuple[BurnWindow, ...] = WORKBOOK_WINDOWS) -> tuple[list[Recording], list[Alert]]:
    """Recording rules for every window used, and one alert per severity."""
    used: list[str] = []
    for w in windows:
        for window in (w.short, w.long):
            if window not in used:
                used.append(window)
    recordings = [
        Recording(slo.record(window), slo.bad_ratio.replace("{window}", window), {"slo": slo.name}) for window in used
    ]
    alerts: list[Alert] = []
    for severity in dict.fromkeys(w.severity for w in windows):
        conditions = []
        for w in (w for w in windows if w.severity == severity):
            threshold = _fmt(w.factor * slo.budget)
            conditions.append(
                f"(\n  {slo.record(w.long)} > {threshold}\n  and\n  {slo.record(w.short)} > {threshold}\n)"
            )
        factors = ", ".join(
            f"{_fmt(w.factor)}x over {w.long} and {w.short}" for w in windows if w.severity == severity
        )
        alerts.append(
            Alert(
                alert=f"Lending{slo.name.capitalize()}{_SPEED[severity]}Burn",
                expr="\nor\n".join(conditions),
                for_=_FOR[severity],
                labels={"severity": severity, "slo": slo.name},
                annotations={
                    "summary": f"{slo.title} error budget burning too fast on track {{{{ $labels.track }}}}",
                    "description": (
                        f"{slo.title} SLO {_fmt(slo.objective * 100)}%: budget burn above {factors}."
                    ),
                },
            )
        )
    return recordings, alerts
