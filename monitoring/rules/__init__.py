"""Alert and recording rules of the lending service, as code.

    export_rules(Path("out"))            # what `lendops rules export --out out` does
    groups = build_groups(RuleSettings(approval_drift=0.05))

Metric names come from ``monitoring.probe.names``; every rule aggregates ``by (track)``
so stable and canary are always seen side by side.
"""

from __future__ import annotations

from ._catalog import ALERTS_FILE, RECORDING_FILE, SLO_FILE, build_groups
from ._export import export_rules, render_files
from ._model import Alert, Group, Recording
from ._settings import RuleSettings, RulesError
from ._slo import WORKBOOK_WINDOWS, BurnWindow, Slo, slo_rules

__all__ = [
    "build_groups",
    "export_rules",
    "render_files",
    "RuleSettings",
    "RulesError",
    "Alert",
    "Recording",
    "Group",
    "Slo",
    "BurnWindow",
    "WORKBOOK_WINDOWS",
    "slo_rules",
    "RECORDING_FILE",
    "SLO_FILE",
    "ALERTS_FILE",
]
