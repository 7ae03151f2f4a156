"""``LendingClient``: the Python SDK of the lending API, measuring what a client sees."""

from __future__ import annotations

import collections
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import requests
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import CollectorRegistry

from ._errors import ConnectError, ProblemError, TimeoutError
from ._metrics import ClientMetrics
from ._result import Outcome, Reply
from ._routes import ROUTES, Route
from ._telemetry import TelemetryEvent, TelemetryShipper

__all__ = ["LendingClient"]

log = logging.getLogger(__name__)

VERSION_HEADER = "X-Lending-Version"
TRACK_HEADER = "X-Lending-Track"
_MEMORY = 10_000
#: Customer and loan ids: whatever the service issued (integers today); sent back as given.
Id = int | str  # customers/loans whose routing keys the client remembers


class _Lru:
    """Bounded memory of routing keys; a load test creating customers forever must not grow it."""

    def __init__(self) -> None:
        self._data: collections.OrderedDict[str, str] = collections.OrderedDict()
        self._lock = threading.Lock()

    def remember(self, key: str, value: str) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > _MEMORY:
                self._data.popitem(last=False)

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._data.get(key)


def _fen(name: str, value: object) -> int:
    # Money is integer fen end to end; a float here is a caller bug, not a rounding question.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int amount in fen, got {type(value).__name__}")
    return value


class LendingClient:
    """Calls the lending API and measures each call.

        client = LendingClient("http://127.0.0.1:8000", token, branch_code="522629")
        cust = client.register_customer(name=..., branch_code="522629", ...)
        grant = client.apply(cust["customer_id"])
        print(grant["decision"], client.last.track, client.last.duration_s)

    Every method returns a :class:`Reply` (body + latency, outcome, status, served
    version/track, trace id) or raises a :class:`ClientError` carrying the same.
    ``X-Customer-Id`` (sticky routing) and ``X-Branch-Code`` (cohort routing) are set
    whenever the call acts for a known customer; W3C ``traceparent`` is always sent.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        branch_code: str | None = None,
        customer_id: Id | None = None,
        timeout: float = 5.0,
        telemetry: TelemetryShipper | bool = True,
        session: requests.Session | None = None,
        clock: Callable[[], float] | None = None,
        wall_clock: Callable[[], float] | None = None,
        metrics: ClientMetrics | CollectorRegistry | None = None,
        tracer_provider: trace.TracerProvider | None = None,
        max_attempts: int = 3,
        retry_backoff_s: float = 0.05,
        sleep: Callable[[float], None] = time.sleep,
        on_reply: Callable[[Reply], None] | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.branch_code = branch_code
        self.customer_id = customer_id
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.retry_backoff_s = retry_backoff_s
        self._sleep = sleep
        #: Called with every measured attempt (e.g. to fire Locust's request event).
        self._on_reply = on_reply
        self._clock = clock or time.perf_counter
        self._wall = wall_clock or time.time
        self._session = session or requests.Session()
        self._owns_session = session is None
        if isinstance(metrics, CollectorRegistry):
            metrics = ClientMetrics(metrics)
        self.metrics: ClientMetrics | None = metrics
        if telemetry is True:
            on_drop = self.metrics.telemetry_dropped.inc if self.metrics else None
            self.telemetry: TelemetryShipper | None = TelemetryShipper(self.base_url, token, on_drop=on_drop)
            self._owns_telemetry = True
        else:
            self.telemetry = telemetry or None
            self._owns_telemetry = False
        self._tracer = trace.get_tracer("lendops.client", tracer_provider=tracer_provider)
        self._branch_of: _Lru = _Lru()  # customer_id -> branch_code
        self._customer_of: _Lru = _Lru()  # loan_id -> customer_id
        #: The most recent call's measurement (success or failure) on this client; with
        #: several threads sharing a client, use the returned Reply instead.
        self.last: Reply | None = None

    # -- the API --------------------------------------------------------------------
    def register_customer(self, **fields: Any) -> Reply:
        for key in ("annual_income_fen", "other_debt_fen"):
            if key in fields:
                _fen(key, fields[key])
        branch = fields.get("branch_code") or self.branch_code
        reply = self._call("register_customer", json=fields, branch_code=branch)
        if isinstance(reply.data, dict) and reply.data.get("customer_id") is not None and branch:
            self._branch_of.remember(str(reply.data["customer_id"]), str(branch))
        return reply

    def apply(self, customer_id: Id) -> Reply:
        return self._call("apply", json={"customer_id": customer_id}, customer_id=customer_id)

    def credit(self, customer_id: Id) -> Reply:
        return self._call("credit", params={"customer_id": customer_id}, customer_id=customer_id)

    def quote(self, customer_id: Id, amount_fen: int, term_months: int, repayment_method: str) -> Reply:
        body = {
            "customer_id": customer_id,
            "amount_fen": _fen("amount_fen", amount_fen),
            "term_months": term_months,
            "repayment_method": repayment_method,
        }
        return self._call("quote", json=body, customer_id=customer_id)

    def draw(
        self,
        customer_id: Id,
        amount_fen: int,
        term_months: int,
        repayment_method: str,
        idempotency_key: str | None = None,
    ) -> Reply:
        body = {
            "customer_id": customer_id,
            "amount_fen": _fen("amount_fen", amount_fen),
            "term_months": term_months,
            "repayment_method": repayment_method,
        }
        reply = self._call(
            "draw", json=body, customer_id=customer_id, idempotency_key=idempotency_key or str(uuid.uuid4())
        )
        if isinstance(reply.data, dict) and reply.data.get("loan_id") is not None:
            self._customer_of.remember(str(reply.data["loan_id"]), str(customer_id))
        return reply

    def loan(self, loan_id: Id) -> Reply:
        return self._call("loan", params={"loan_id": loan_id}, customer_id=self._customer_of.get(str(loan_id)))

    def schedule(self, loan_id: Id) -> Reply:
        return self._call("schedule", params={"loan_id": loan_id}, customer_id=self._customer_of.get(str(loan_id)))

    def repay(self, loan_id: Id, amount_fen: int, idempotency_key: str | None = None) -> Reply:
        return self._call(
            "repay",
            params={"loan_id": loan_id},
            json={"amount_fen": _fen("amount_fen", amount_fen)},
            customer_id=self._customer_of.get(str(loan_id)),
            idempotency_key=idempotency_key or str(uuid.uuid4()),
        )

    def branches(self) -> Reply:
        return self._call("branches")

    def version(self) -> Reply:
        return self._call("version")

    # -- lifecycle --------------------------------------------------------------------
    def close(self, telemetry_timeout: float = 2.0) -> None:
        if self.telemetry is not None and self._owns_telemetry:
            self.telemetry.close(telemetry_timeout)
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> LendingClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- machinery --------------------------------------------------------------------
    def _call(
        self,
        name: str,
        *,
        params: Mapping[str, Id] | None = None,
        json: Any = None,
        customer_id: Id | None = None,
        branch_code: str | None = None,
        idempotency_key: str | None = None,
    ) -> Reply:
        route = ROUTES[name]
        url = self.base_url + route.path(**(params or {}))
        headers = self._headers(customer_id=customer_id, branch_code=branch_code, idempotency_key=idempotency_key)
        # Only connection failures are retried: the request never reached the service,
        # or (for keyed POSTs) the key makes a second delivery harmless. A timeout may
        # still be running on the server, so it is reported, not repeated.
        may_retry = route.retryable and (route.method == "GET" or idempotency_key is not None)
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(route, url, headers, json, attempt, idempotency_key)
            except ConnectError:
                if not may_retry or attempt >= self.max_attempts:
                    raise
                self._sleep(self.retry_backoff_s * attempt)

    def _headers(
        self, *, customer_id: Id | None, branch_code: str | None, idempotency_key: str | None
    ) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        customer = customer_id or self.customer_id
        if customer:
            headers["X-Customer-Id"] = str(customer)
        branch = branch_code or (self._branch_of.get(str(customer)) if customer else None) or self.branch_code
        if branch:
            headers["X-Branch-Code"] = str(branch)
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def _attempt(
        self, route: Route, url: str, base_headers: dict[str, str], body: Any, attempt: int, key: str | None
    ) -> Reply:
        headers = dict(base_headers)
        span = self._tracer.start_span(
            f"{route.method} {route.template}",
            kind=SpanKind.CLIENT,
            attributes={
                "http.request.method": route.method,
                "url.template": route.template,
                "http.resend_count": attempt - 1,
            },
        )
        try:
            trace_id = _inject_traceparent(headers, span)
            ts = self._wall()
            start = self._clock()
            response: requests.Response | None = None
            error: Exception | None = None
            try:
                response = self._session.request(route.method, url, json=body, headers=headers, timeout=self.timeout)
            except requests.Timeout as exc:
                outcome: Outcome = "timeout"
                error = exc
            except requests.RequestException as exc:
                outcome = "connection_error"
                error = exc
            else:
                outcome = "ok" if response.status_code < 400 else "http_error"
            duration = self._clock() - start

            status = response.status_code if response is not None else None
            version = response.headers.get(VERSION_HEADER) if response is not None else None
            track = response.headers.get(TRACK_HEADER) if response is not None else None
            data = _body(response) if response is not None else None
            reply = Reply(
                route=route.template, method=route.method, outcome=outcome, status=status,
                duration_s=duration, version=version, track=track, ts=ts, trace_id=trace_id,
                attempts=attempt, idempotency_key=key, data=data,
            )
            self._record(reply)
            if status is not None:
                span.set_attribute("http.response.status_code", status)
            if track:
                span.set_attribute("lending.track", track)
            if outcome != "ok":
                span.set_status(Status(StatusCode.ERROR, outcome))
        finally:
            span.end()

        if outcome == "ok":
            return reply
        if outcome == "http_error":
            raise _problem(reply)
        if outcome == "timeout":
            raise TimeoutError(f"{route.method} {url} timed out after {self.timeout}s", result=reply) from error
        raise ConnectError(f"{route.method} {url} failed: {error}", result=reply) from error

    def _record(self, reply: Reply) -> None:
        self.last = reply
        if self._on_reply is not None:
            try:
                self._on_reply(reply)
            except Exception:  # a measurement hook must never fail the business call
                log.warning("on_reply hook failed", exc_info=True)
        if self.metrics is not None:
            self.metrics.observe(route=reply.route, outcome=reply.outcome, track=reply.track, seconds=reply.duration_s)
        if self.telemetry is not None:
            try:
                self.telemetry.submit(
                    TelemetryEvent(
                        route=reply.route, method=reply.method, outcome=reply.outcome, status=reply.status,
                        duration_ms=round(reply.duration_s * 1000.0, 3), version=reply.version,
                        track=reply.track, ts=round(reply.ts, 3),
                    )
                )
            except Exception:  # telemetry must never fail a business call
                pass


def _inject_traceparent(headers: dict[str, str], span: trace.Span) -> str:
    """Propagate the call's trace context; invent one when no OTel SDK is configured.

    Without an SDK the API hands out invalid no-op spans and ``inject`` writes nothing;
    a fresh sampled traceparent still lets the service start its trace under an id the
    client knows (``Reply.trace_id``), so client and server views can be joined.
    """
    propagate.inject(headers, context=trace.set_span_in_context(span))
    value = headers.get("traceparent")
    if value:
        return value.split("-")[1]
    trace_id = secrets.token_hex(16)
    headers["traceparent"] = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    return trace_id


def _body(response: requests.Response) -> Any:
    if not response.content:
        return None
    ctype = response.headers.get("Content-Type", "")
    if "json" in ctype:
        try:
            return response.json()
        except ValueError:
            return response.text
    return response.text


def _problem(reply: Reply) -> ProblemError:
    data = reply.data if isinstance(reply.data, dict) else {}
    status = reply.status or 0
    return ProblemError(
        status=status,
        type=str(data.get("type") or "about:blank"),
        title=str(data.get("title") or f"HTTP {status}"),
        detail=data.get("detail") if data else (reply.data if isinstance(reply.data, str) else None),
        body=reply.data,
        result=reply,
    )
