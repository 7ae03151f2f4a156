"""Prometheus rule objects and their YAML shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Recording", "Alert", "Group", "Rule"]


@dataclass(frozen=True, slots=True)
class Recording:
    record: str
    expr: str
    labels: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"record": self.record, "expr": self.expr}
        if self.labels:
            out["labels"] = dict(self.labels)
        return out


@dataclass(frozen=True, slots=True)
class Alert:
    alert: str
    expr: str
    #: Prometheus duration string ("0s" fires on the first evaluation that matches).
    for_: str = "0s"
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"alert": self.alert, "expr": self.expr}
        if self.for_ != "0s":
            out["for"] = self.for_
        if self.labels:
            out["labels"] = dict(self.labels)
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out


Rule = Recording | Alert


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    rules: tuple[Rule, ...]
    #: File the group is exported to (groups sharing a file are written together).
    file: str
    #: Evaluation interval; None uses Prometheus' global ``evaluation_interval``.
    interval: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.interval:
            out["interval"] = self.interval
        out["rules"] = [r.to_dict() for r in self.rules]
        return out

    @property
    def alerts(self) -> tuple[Alert, ...]:
        return tuple(r for r in self.rules if isinstance(r, Alert))

    @property
    def recordings(self) -> tuple[Recording, ...]:
        return tuple(r for r in self.rules if isinstance(r, Recording))
