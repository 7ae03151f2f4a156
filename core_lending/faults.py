"""Fault injection for release drills: parse a spec, then apply it with injected randomness.

    >>> parse_faults("error_rate=0.05,latency_ms=200")
    FaultSpec(error_rate=0.05, latency_ms=200, apr_shift_bps=0, approval_shift_points=0)

Semantics (docs/CONTRACTS.md): ``error_rate`` of ``/v1/*`` requests answer 500 before
doing anything; ``latency_ms`` is added to ``/v1/*`` requests; ``apr_shift_bps`` is added
to the priced APR *after* the guardrail clamp; ``approval_shift_points`` is added to every
score before grading. Each fault changes only what it names.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import FaultSpecError

__all__ = ["FaultSpec", "Faults", "parse_faults", "NO_FAULTS"]


@dataclass(frozen=True)
class FaultSpec:
    """The faults in force; all zero means a healthy build."""

    error_rate: float = 0.0
    """Share (0..1) of /v1/* requests that answer 500 injected-fault (a probability, not money)."""
    latency_ms: int = 0
    """Delay added to every /v1/* request."""
    apr_shift_bps: int = 0
    """Added to every priced APR after the guardrail clamp."""
    approval_shift_points: int = 0
    """Added to every score before grading."""

    @property
    def active(self) -> bool:
        return any((self.error_rate, self.latency_ms, self.apr_shift_bps, self.approval_shift_points))

    def as_dict(self) -> dict[str, float | int]:
        """Only the faults in force, as /version reports them."""
        out: dict[str, float | int] = {}
        for name in ("error_rate", "latency_ms", "apr_shift_bps", "approval_shift_points"):
            value = getattr(self, name)
            if value:
                out[name] = value
        return out

    def to_spec(self) -> str:
        return ",".join(f"{k}={v}" for k, v in self.as_dict().items())


NO_FAULTS = FaultSpec()

_INT_FIELDS = {"latency_ms": (0, 60_000), "apr_shift_bps": (-10_000, 10_000), "approval_shift_points": (-1000, 1000)}


def parse_faults(spec: str | None) -> FaultSpec:
    """Parse ``name=value`` pairs separated by commas; empty or None means no faults."""
    if spec is None or not spec.strip():
        return NO_FAULTS
    values: dict[str, float | int] = {}
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not value:
            raise FaultSpecError(item, "expected name=value")
        if name in values:
            raise FaultSpecError(item, f"{name} given twice")
        if name == "error_rate":
            try:
                rate = float(value)
            except ValueError:
                raise FaultSpecError(item, "error_rate must be a number between 0 and 1") from None
            if not 0.0 <= rate <= 1.0:
                raise FaultSpecError(item, "error_rate must be between 0 and 1")
            values[name] = rate
        elif name in _INT_FIELDS:
            try:
                number = int(value)
            except ValueError:
                raise FaultSpecError(item, f"{name} must be an integer") from None
            lo, hi = _INT_FIELDS[name]
            if not lo <= number <= hi:
                raise FaultSpecError(item, f"{name} must be between {lo} and {hi}")
            values[name] = number
        else:
            known = ", ".join(["error_rate", *_INT_FIELDS])
            raise FaultSpecError(item, f"unknown fault {name!r} (known: {known})")
    return FaultSpec(**values)  # type: ignore[arg-type]


@dataclass
class Faults:
    """A spec plus the randomness and sleep it acts through (both injectable for tests)."""

    spec: FaultSpec = NO_FAULTS
    rng: random.Random = field(default_factory=random.Random)
    sleep: Callable[[float], None] = time.sleep

    def should_fail(self) -> bool:
        return self.spec.error_rate > 0 and self.rng.random() < self.spec.error_rate

    def delay(self) -> None:
        if self.spec.latency_ms > 0:
            self.sleep(self.spec.latency_ms / 1000)
