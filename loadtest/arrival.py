"""The open (arrival-rate) model: journeys start on a schedule, not when a user is free.

With Locust's closed model a slow service slows the load down (each user waits for its
answer before the next journey), which hides exactly the latency a load test is meant
to find ("coordinated omission"). Here a schedule issues journey starts at the rate the
shape asks for; a start is handed to an idle user of the pool or, if none is idle at
that moment, *dropped* and counted (k6's ``dropped_iterations``). The lag between the
scheduled and the actual start is measured too.

``ArrivalSchedule`` and ``Dispatcher`` are pure (time is passed in); ``loadtest.users``
drives them from a gevent greenlet in each load process, with each process taking its
share of the rate (its users / the pool size).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["ArrivalSchedule", "Dispatcher"]

#: How often a zero rate is looked at again, seconds.
_IDLE_POLL_S = 0.05


class ArrivalSchedule:
    """Scheduled start times (seconds since the run began) for a rate that varies in time.

    ``rate_at(t)`` is the wanted starts per second at ``t`` (``None`` once the run is
    over); ``share()`` is this process's share of it.
    """

    def __init__(self, rate_at: Callable[[float], float | None], share: Callable[[], float] = lambda: 1.0) -> None:
        self._rate_at = rate_at
        self._share = share
        self.next_t = 0.0
        self.finished = False
        # Times are computed as segment start + k / rate rather than by adding 1/rate
        # repeatedly, so a long run does not drift (or gain a start) by rounding.
        self._segment_start = 0.0
        self._segment_rate = 0.0
        self._k = 0

    def due(self, now: float) -> list[float]:
        """Every start time up to ``now`` not yet issued, oldest first."""
        slots: list[float] = []
        while not self.finished and self.next_t <= now:
            rate = self._rate_at(self.next_t)
            if rate is None:
                self.finished = True
                break
            rate *= self._share()
            if rate <= 0:
                self.next_t += _IDLE_POLL_S
                self._segment_rate = 0.0
                continue
            if rate != self._segment_rate:
                self._segment_start, self._segment_rate, self._k = self.next_t, rate, 0
            slots.append(self.next_t)
            self._k += 1
            self.next_t = self._segment_start + self._k / rate
        return slots


@dataclass
class Dispatcher:
    """Hands scheduled starts to idle users; counts what could not be handed."""

    idle: int = 0
    scheduled: int = 0
    dropped: int = 0

    def user_idle(self) -> None:
        self.idle += 1

    def user_gone(self) -> None:
        """An idle user stopped waiting (killed at the end of the run)."""
        self.idle = max(0, self.idle - 1)

    def offer(self) -> bool:
        """One start is due: ``True`` if an idle user takes it, ``False`` if it is dropped."""
        self.scheduled += 1
        if self.idle > 0:
            self.idle -= 1
            return True
        self.dropped += 1
        return False
