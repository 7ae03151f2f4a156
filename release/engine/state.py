"""The persisted state of one rollout and the actions the engine asks for (pure values,
round-tripped through JSON by the controller)."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from release.traffic.split import TrafficSplit

__all__ = ["ACTIVE_PHASES", "FINAL_PHASES", "Action", "Phase", "RolloutState"]

Phase = Literal[
    "pending", "progressing", "paused", "promoting", "succeeded", "rolling_back", "rolled_back", "aborted"
]
#: Phases in which the canary may take traffic and is therefore watched.
ACTIVE_PHASES = frozenset({"progressing", "paused"})
FINAL_PHASES = frozenset({"succeeded", "rolled_back", "aborted"})

ActionKind = Literal[
    "deploy_canary",  # start the canary build (idempotent: reuse a running one)
    "begin_analysis",  # take the analysis baseline just before the canary gets traffic
    "set_traffic",  # put `split` in force
    "promote_target",  # all traffic on canary, then make it the new stable
    "stop_canary",
    "revert_stable",  # undo: bring `version` back as stable
    "notify",  # webhooks/notifications for `event`
]


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    weight: int | None = None
    cohort: tuple[str, ...] = ()
    event: str = ""
    message: str = ""
    version: str = ""

    @property
    def split(self) -> TrafficSplit:
        return TrafficSplit(weight=self.weight or 0, cohort=frozenset(self.cohort))

    @classmethod
    def traffic(cls, split: TrafficSplit) -> Action:
        return cls("set_traffic", weight=split.weight, cohort=tuple(sorted(split.cohort)))

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, "", ())} | {"kind": self.kind}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Action:
        data = dict(data)
        data["cohort"] = tuple(data.get("cohort", ()))
        return cls(**data)


@dataclass
class RolloutState:
    name: str
    stable_version: str
    canary_version: str
    phase: Phase = "pending"
    step: int = 0
    step_started_at: float | None = None
    pause_until: float | None = None
    paused_by: str = ""  # "step" | "operator" | "inconclusive"
    weight: int = 0
    cohort: tuple[str, ...] = ()
    reason: str = ""
    outcome: str = ""  # the phase a rollback ends in: rolled_back | aborted
    previous_stable: str = ""
    started_at: float | None = None
    updated_at: float | None = None
    finished_at: float | None = None
    attempt: int = 1
    analysis_started: bool = False
    evaluations: int = 0
    last_decision: str = ""
    last_result_at: float | None = None
    last_result: dict[str, Any] | None = None
    pending: list[dict[str, Any]] = field(default_factory=list)
    pending_failures: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def split(self) -> TrafficSplit:
        return TrafficSplit(weight=self.weight, cohort=frozenset(self.cohort))

    @property
    def canary_has_traffic(self) -> bool:
        return self.weight > 0 or bool(self.cohort)

    @property
    def pending_actions(self) -> list[Action]:
        return [Action.from_dict(a) for a in self.pending]

    def copy(self) -> RolloutState:
        return copy.deepcopy(self)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["cohort"] = list(self.cohort)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RolloutState:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["cohort"] = tuple(values.get("cohort", ()))
        return cls(**values)
