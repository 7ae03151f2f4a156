"""The desired split of traffic between stable and canary: a value, shared by the step
engine (which decides it) and every traffic provider (which puts it in force)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TrafficSplit:
    """Where requests go.

    weight: percent (0-100) of requests *not* matched by the cohort that go to canary.
        Assignment is sticky by routing key (``X-Customer-Id``, else the bearer token):
        a key lands in bucket ``hash(key) % 100`` and goes to canary while
        ``bucket < weight``, so a customer stays on one track while the weight grows.
    cohort: branch codes (``X-Branch-Code``) whose requests always go to canary.
    """

    weight: int = 0
    cohort: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not 0 <= self.weight <= 100:
            raise ValueError(f"weight must be within 0..100, got {self.weight}")
        object.__setattr__(self, "cohort", frozenset(self.cohort))

    @classmethod
    def stable_only(cls) -> "TrafficSplit":
        return cls(weight=0)

    @classmethod
    def canary_only(cls) -> "TrafficSplit":
        return cls(weight=100)
