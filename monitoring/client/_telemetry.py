"""Ship client-side measurements to the service in bounded batches, off the call path.

The business call only appends to an in-memory buffer (O(1), never blocks on I/O, never
raises). A daemon thread posts batches to ``POST /v1/telemetry/client``. When the buffer
is full the oldest events go first: fresh data is worth more, and memory stays bounded
whatever happens to the endpoint.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import requests

__all__ = ["TelemetryEvent", "TelemetryShipper", "TelemetryStats"]

log = logging.getLogger(__name__)

PATH = "/v1/telemetry/client"
MAX_BATCH = 500


@dataclass(frozen=True, slots=True)
class TelemetryEvent:
    route: str
    method: str
    outcome: str
    status: int | None
    duration_ms: float
    version: str | None
    track: str | None
    #: Wall-clock start of the call, seconds since the epoch.
    ts: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class TelemetryStats:
    submitted: int = 0
    #: Dropped because the buffer was full (oldest first).
    dropped: int = 0
    shipped: int = 0
    #: Events in batches the endpoint refused or never answered; not retried.
    lost: int = 0
    batches_ok: int = 0
    batches_failed: int = 0
    last_error: str | None = None


class TelemetryShipper:
    """Bounded buffer + background sender.

    ``max_queue`` bounds memory; ``batch_size`` (≤ 500) bounds each POST;
    ``interval_s`` is how long events may wait before a partial batch goes out;
    ``timeout_s`` bounds each POST so a hanging endpoint only delays telemetry.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        max_queue: int = 10_000,
        batch_size: int = MAX_BATCH,
        interval_s: float = 1.0,
        timeout_s: float = 2.0,
        session: requests.Session | None = None,
        on_drop: Callable[[int], None] | None = None,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be 1..{MAX_BATCH}, got {batch_size}")
        if max_queue < 1:
            raise ValueError(f"max_queue must be positive, got {max_queue}")
        self.url = base_url.rstrip("/") + PATH
        self.token = token
        self.batch_size = batch_size
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.stats = TelemetryStats()
        self._queue: collections.deque[TelemetryEvent] = collections.deque()
        self._max_queue = max_queue
        self._session = session
        self._owns_session = session is None
        self._on_drop = on_drop
        self._cond = threading.Condition()
        self._in_flight = 0
        self._flush_wanted = False
        self._closing = False
        self._thread: threading.Thread | None = None

    # -- called on the business path: must stay cheap and never raise ----------------
    def submit(self, event: TelemetryEvent) -> None:
        dropped = 0
        with self._cond:
            if self._closing:
                return
            self.stats.submitted += 1
            if len(self._queue) >= self._max_queue:
                self._queue.popleft()
                self.stats.dropped += 1
                dropped = 1
            self._queue.append(event)
            if self._thread is None:
                self._start()
            if len(self._queue) >= self.batch_size:
                self._cond.notify_all()
        if dropped and self._on_drop is not None:
            try:
                self._on_drop(dropped)
            except Exception:  # a metrics hook must not break a business call
                log.debug("telemetry drop hook failed", exc_info=True)

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._queue) + self._in_flight

    def flush(self, timeout: float = 5.0) -> bool:
        """Send what is buffered; True when everything was handed to the endpoint in time."""
        deadline = time.monotonic() + timeout
        with self._cond:
            if self._thread is None:
                return not self._queue
            self._flush_wanted = True
            self._cond.notify_all()
            while self._queue or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def close(self, timeout: float = 5.0) -> None:
        """Flush, then stop the sender; returns within about ``timeout`` seconds.

        Whatever could not be sent in time is counted as lost: closing a client must not
        wait on a telemetry endpoint that hangs.
        """
        deadline = time.monotonic() + timeout
        self.flush(timeout)
        with self._cond:
            self._closing = True
            self.stats.lost += len(self._queue)
            self._queue.clear()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        # A sender still inside a hanging POST keeps its session; it is a daemon thread
        # and ends when the POST times out.
        if self._owns_session and self._session is not None and (thread is None or not thread.is_alive()):
            self._session.close()

    def __enter__(self) -> TelemetryShipper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the sender thread --------------------------------------------------------------
    def _start(self) -> None:
        # Started on first use, not in __init__: constructing a client does no I/O.
        self._thread = threading.Thread(target=self._run, name="lendops-telemetry", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._ready():
                    self._cond.wait(self.interval_s)
                if self._closing and not self._queue:
                    return
                if not self._queue:
                    self._flush_wanted = False
                    self._cond.notify_all()
                    continue
                n = min(self.batch_size, len(self._queue))
                batch = [self._queue.popleft() for _ in range(n)]
                self._in_flight = n
            try:
                self._post(batch)
            finally:
                with self._cond:
                    self._in_flight = 0
                    if not self._queue:
                        self._flush_wanted = False
                    self._cond.notify_all()

    def _ready(self) -> bool:
        return self._closing or (bool(self._queue) and (self._flush_wanted or len(self._queue) >= self.batch_size))

    def _post(self, batch: list[TelemetryEvent]) -> None:
        if self._session is None:
            self._session = requests.Session()
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = {"events": [e.to_json() for e in batch]}
        try:
            resp = self._session.post(self.url, json=body, headers=headers, timeout=(self.timeout_s, self.timeout_s))
            resp.close()
        except requests.RequestException as exc:
            self._failed(len(batch), f"{type(exc).__name__}: {exc}")
            return
        if resp.status_code >= 300:
            self._failed(len(batch), f"HTTP {resp.status_code}")
            return
        with self._cond:
            self.stats.shipped += len(batch)
            self.stats.batches_ok += 1

    def _failed(self, n: int, why: str) -> None:
        # Telemetry is best effort: a failed batch is counted, not retried, so a dead
        # endpoint can't build a backlog that competes with fresh measurements.
        log.debug("client telemetry batch of %d lost: %s", n, why)
        with self._cond:
            self.stats.lost += n
            self.stats.batches_failed += 1
            self.stats.last_error = why
