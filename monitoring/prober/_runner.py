"""Run journeys on a fixed cadence for a bounded time."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry

from monitoring.client import LendingClient

from ._errors import ProberConfigError
from ._journey import JourneyCancelled, JourneyResult, JourneySettings, walk
from ._metrics import ProberMetrics

__all__ = ["ProberSettings", "Prober", "ProbeSummary"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ProberSettings:
    #: Base URL of the lending service (or of the router in front of both tracks).
    target: str
    #: Bearer token of a customer manager of ``journey.branch_code``.
    token: str
    #: Seconds between journey starts; a slow journey delays the next, missed ticks are skipped.
    interval_s: float = 30.0
    #: No journey starts after this many seconds; the one in flight finishes.
    duration_s: float = 300.0
    #: Per-request timeout of the client.
    timeout_s: float = 5.0
    journey: JourneySettings = field(default_factory=JourneySettings)

    def validate(self) -> ProberSettings:
        if not self.target.startswith(("http://", "https://")):
            raise ProberConfigError("target", f"must be an http(s) URL, got {self.target!r}")
        if not self.token:
            raise ProberConfigError("token", "a bearer token is required (--token or LENDING_TOKEN)")
        for name in ("interval_s", "duration_s", "timeout_s"):
            value = getattr(self, name)
            if not value > 0:
                raise ProberConfigError(name, f"must be positive, got {value}")
        if not (len(self.journey.branch_code) == 6 and self.journey.branch_code.isdigit()):
            raise ProberConfigError("branch", f"must be a 6-digit branch code, got {self.journey.branch_code!r}")
        if self.journey.amount_fen <= 0:
            raise ProberConfigError("amount_fen", "must be positive")
        return self


@dataclass(slots=True)
class ProbeSummary:
    journeys: int = 0
    ok: int = 0
    #: Journeys that stopped, by failing step.
    failed_at: Counter[str] = field(default_factory=Counter)
    #: Journeys cut off by ``stop`` (a signal): neither passed nor failed.
    cancelled: int = 0


class Prober:
    """Walks the credit path every ``interval_s`` until ``duration_s`` has passed or ``stop`` is set."""

    def __init__(
        self,
        settings: ProberSettings,
        *,
        registry: CollectorRegistry | None = None,
        client: LendingClient | None = None,
        clock: Callable[[], float] = time.monotonic,
        stop: threading.Event | None = None,
        rng: random.Random | None = None,
        on_journey: Callable[[JourneyResult], None] | None = None,
    ) -> None:
        self.settings = settings.validate()
        self.registry = registry if registry is not None else CollectorRegistry()
        self.metrics = ProberMetrics(self.registry)
        self._client = client
        self._clock = clock
        self.stop = stop or threading.Event()
        self._rng = rng or random.Random()
        self._on_journey = on_journey

    def run(self) -> ProbeSummary:
        s = self.settings
        client = self._client or LendingClient(
            s.target, s.token, branch_code=s.journey.branch_code, timeout=s.timeout_s
        )
        summary = ProbeSummary()
        deadline = self._clock() + s.duration_s
        next_start = self._clock()
        try:
            # No journey starts after the deadline; the one in flight finishes within its
            # own timeouts, so a late journey is judged like any other rather than being
            # failed for running out of run time. ``stop`` cancels it instead.
            while not self.stop.is_set() and self._clock() < deadline:
                try:
                    result = walk(client, s.journey, self.metrics, rng=self._rng, sleep=self._pause)
                except JourneyCancelled:
                    summary.cancelled += 1
                    break
                except Exception:
                    summary.journeys += 1
                    # A prober runs unattended for hours: one bad journey is reported and
                    # counted, and the next one starts on time.
                    log.exception("synthetic journey crashed")
                    self.metrics.journeys.labels(outcome="crashed").inc()
                    summary.failed_at["crashed"] += 1
                else:
                    summary.journeys += 1
                    if result.ok:
                        summary.ok += 1
                    else:
                        summary.failed_at[result.outcome] += 1
                    if self._on_journey is not None:
                        self._on_journey(result)
                next_start = max(next_start + s.interval_s, self._clock())
                wait = min(next_start, deadline) - self._clock()
                if wait > 0:
                    self.stop.wait(wait)
        finally:
            if self._client is None:
                client.close(telemetry_timeout=1.0)
        return summary

    def _pause(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise JourneyCancelled
