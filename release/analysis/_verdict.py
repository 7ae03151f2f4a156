"""Verdicts: what the judge decided for one metric, and for the canary as a whole."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["AnalysisResult", "Decision", "Verdict", "combine"]

Decision = Literal["pass", "fail", "inconclusive"]


def _clean(value: Any) -> Any:
    """JSON-safe: no inf/nan (JSON has neither), tuples as lists."""
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return 1e308 if value > 0 else -1e308
        return value
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


@dataclass(frozen=True)
class Verdict:
    """One metric's decision with everything needed to check it by hand.

    ``stable``/``canary`` hold the measured values and sample sizes; ``statistic`` is the
    e-value (or the measured value for threshold metrics) and ``threshold`` the bound it
    is compared with (1/alpha, or the user's max/min).
    """

    metric: str
    judge: str  # "sequential-count" | "sequential-histogram" | "guardrail" | "threshold"
    decision: Decision
    critical: bool
    query: str
    stable: dict[str, Any] = field(default_factory=dict)
    canary: dict[str, Any] = field(default_factory=dict)
    statistic: float | None = None
    threshold: float | None = None
    explanation: str = ""

    def to_dict(self) -> dict[str, Any]:
        return _clean(
            {
                "metric": self.metric,
                "judge": self.judge,
                "decision": self.decision,
                "critical": self.critical,
                "query": self.query,
                "stable": dict(self.stable),
                "canary": dict(self.canary),
                "statistic": self.statistic,
                "threshold": self.threshold,
                "explanation": self.explanation,
            }
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Verdict:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class AnalysisResult:
    """The canary's verdict: ``fail`` if any metric failed (``critical`` if any of those is
    critical), ``pass`` once every exercised metric passed, else ``inconclusive``."""

    decision: Decision
    critical: bool
    verdicts: tuple[Verdict, ...]
    reason: str
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "critical": self.critical,
            "reason": self.reason,
            "verdicts": [v.to_dict() for v in self.verdicts],
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AnalysisResult:
        return cls(
            decision=data["decision"],
            critical=bool(data["critical"]),
            verdicts=tuple(Verdict.from_dict(v) for v in data.get("verdicts", ())),
            reason=data.get("reason", ""),
            notes=tuple(data.get("notes", ())),
        )

    def verdict(self, metric: str) -> Verdict | None:
        return next((v for v in self.verdicts if v.metric == metric), None)

    @property
    def failed(self) -> tuple[Verdict, ...]:
        """Failing verdicts in the order of the reason: critical first, then strongest evidence."""
        return _rank([v for v in self.verdicts if v.decision == "fail"])


def _rank(failed: Sequence[Verdict]) -> tuple[Verdict, ...]:
    return tuple(sorted(failed, key=lambda v: (not v.critical, -(v.statistic or 0.0))))


def _unexercised(v: Verdict) -> bool:
    # Both tracks saw nothing of this metric (e.g. no credit applications in the window):
    # it cannot hold a pass back, but a track with data and the other without does.
    return v.decision == "inconclusive" and v.stable.get("n", None) == 0 and v.canary.get("n", None) == 0


def combine(verdicts: Sequence[Verdict], notes: Sequence[str] = ()) -> AnalysisResult:
    """Fold metric verdicts into the canary's decision and a one-line reason."""
    verdicts = tuple(verdicts)
    failed = [v for v in verdicts if v.decision == "fail"]
    if failed:
        failed = list(_rank(failed))
        critical = any(v.critical for v in failed)
        reason = "; ".join(f"{v.metric}: {v.explanation}" for v in failed)
        return AnalysisResult("fail", critical, verdicts, reason, tuple(notes))
    waiting = [v for v in verdicts if v.decision == "inconclusive" and not _unexercised(v)]
    passed = [v for v in verdicts if v.decision == "pass"]
    if waiting or not passed:
        pending = waiting or [v for v in verdicts if v.decision == "inconclusive"]
        reason = "; ".join(f"{v.metric}: {v.explanation}" for v in pending) or "no metrics to judge"
        return AnalysisResult("inconclusive", False, verdicts, reason, tuple(notes))
    reason = "no regression: " + ", ".join(v.metric for v in passed)
    skipped = [v.metric for v in verdicts if _unexercised(v)]
    if skipped:
        reason += f" (no data yet for {', '.join(skipped)})"
    return AnalysisResult("pass", False, verdicts, reason, tuple(notes))
