"""What the services act through: database, clock, faults, metrics, tracer (all injected)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, Protocol

from opentelemetry import trace

from .faults import Faults
from .settings import Settings
from .store import Database

__all__ = ["Runtime", "Clock", "utc_now", "business_date", "BusinessRecorder", "NullRecorder"]

Clock = Callable[[], datetime]
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")


def utc_now() -> datetime:
    return datetime.now(UTC)


def naive_utc(moment: datetime) -> datetime:
    """How timestamps are stored (SQLite keeps no zone)."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def business_date(moment: datetime) -> date:
    """The banking day in Guizhou (UTC+8) at ``moment``: due dates and interest days count from it."""
    return moment.astimezone(CHINA_STANDARD_TIME).date()


class BusinessRecorder(Protocol):
    """The subset of ``monitoring.probe.BusinessMetrics`` the services call."""

    def credit_decision(self, decision: str, *, grade: str, branch: str) -> None: ...
    def granted(self, *, line_fen: int, apr_bps: int, outside_guardrail: bool) -> None: ...
    def drawdown(self, outcome: str) -> None: ...
    def disbursement(self, *, seconds: float, outcome: str) -> None: ...
    def stuck_disbursements(self, count: int) -> None: ...
    def idempotent_replay(self, route: str) -> None: ...


class NullRecorder:
    """Records nothing (CLI tools and unit tests that don't look at metrics)."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *a, **k: None


@dataclass
class Runtime:
    settings: Settings
    db: Database
    faults: Faults
    metrics: Any = field(default_factory=NullRecorder)
    clock: Clock = utc_now
    tracer: trace.Tracer = field(default_factory=lambda: trace.get_tracer("core_lending"))

    def span_attributes(self, **extra: Any) -> dict[str, Any]:
        attrs = {"lending.track": self.settings.track, "lending.version": self.settings.version}
        attrs.update({f"lending.{k}": v for k, v in extra.items() if v is not None})
        return attrs
