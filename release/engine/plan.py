"""The steps of a rollout, reduced to what the engine needs (pure values)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from release.spec.model import Rollout

__all__ = ["Plan", "PlanStep"]

StepKind = Literal["traffic", "analysis", "pause", "promote"]


@dataclass(frozen=True)
class PlanStep:
    index: int
    kind: StepKind
    weight: int | None = None
    cohort: frozenset[str] = frozenset()
    cohort_all: bool = False
    duration: float | None = None
    until: Literal["duration", "decided"] = "duration"
    on_inconclusive: Literal["continue", "pause"] = "continue"

    def describe(self) -> str:
        if self.kind == "traffic":
            parts = []
            if self.cohort_all:
                parts.append("cohort all")
            elif self.cohort:
                parts.append(f"cohort {len(self.cohort)} branches")
            if self.weight is not None:
                parts.append(f"weight {self.weight}%")
            return " + ".join(parts)
        if self.kind == "analysis":
            early = ", until decided" if self.until == "decided" else ""
            return f"analysis for {self.duration:g}s{early}"
        if self.kind == "pause":
            return f"pause {self.duration:g}s" if self.duration is not None else "pause until promoted"
        return "promote"


@dataclass(frozen=True)
class Plan:
    steps: tuple[PlanStep, ...]
    stable_version: str
    canary_version: str

    @classmethod
    def from_rollout(cls, rollout: Rollout) -> Plan:
        steps = []
        for index, step in enumerate(rollout.spec.steps):
            kind = step.kind
            if kind == "traffic":
                cohort = step.cohort
                steps.append(
                    PlanStep(
                        index,
                        "traffic",
                        weight=step.setWeight,
                        cohort=cohort.branches if cohort else frozenset(),
                        cohort_all=bool(cohort and cohort.all),
                    )
                )
            elif kind == "analysis":
                assert step.analysis is not None
                steps.append(
                    PlanStep(
                        index,
                        "analysis",
                        duration=step.analysis.duration,
                        until=step.analysis.until,
                        on_inconclusive=step.analysis.onInconclusive,
                    )
                )
            elif kind == "pause":
                assert step.pause is not None
                steps.append(PlanStep(index, "pause", duration=step.pause.duration))
            else:
                steps.append(PlanStep(index, "promote"))
        return cls(tuple(steps), rollout.spec.stable.version, rollout.spec.canary.version)
