"""The payment rail seam: where a disbursement's money leaves the bank."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

__all__ = ["PayoutResult", "PaymentRail", "SimulatedRail"]


@dataclass(frozen=True)
class PayoutResult:
    ok: bool
    reference: str | None = None
    reason: str | None = None


class PaymentRail(Protocol):
    def pay(self, *, reference: str, amount_fen: int) -> PayoutResult:
        """Pay ``amount_fen``; ``reference`` identifies the payout (a real rail deduplicates on it)."""
        ...


class SimulatedRail:
    """A rail with a fixed delay and a failure share; randomness and sleep are injected."""

    def __init__(self, *, delay_s: float = 0.2, failure_rate: float = 0.0, rng: random.Random | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.delay_s = delay_s
        self.failure_rate = failure_rate
        self._rng = rng if rng is not None else random.Random()
        self._sleep = sleep
        self._lock = threading.Lock()
        self.paid: dict[str, int] = {}

    def pay(self, *, reference: str, amount_fen: int) -> PayoutResult:
        if self.delay_s > 0:
            self._sleep(self.delay_s)
        with self._lock:
            if self._rng.random() < self.failure_rate:
                return PayoutResult(ok=False, reason="rail_rejected")
            self.paid[reference] = amount_fen
        return PayoutResult(ok=True, reference=f"sim-{reference}")
