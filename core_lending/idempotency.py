"""Idempotent execution of money-moving requests (unique (action, scope, key) records).

1. Claim: insert a ``running`` record in its own short transaction. If one exists: a
   different request hash → ``IdempotencyKeyReused`` (422); ``done`` → replay the stored
   answer byte for byte; ``running`` → wait (bounded) for it to finish, then replay, or
   ``IdempotencyInProgress`` (409) if it is still running.
2. Execute: the operation and the record's completion commit in ONE transaction, so a
   stored answer exists exactly when its effects do.
3. Any error (a refused request writes nothing, and neither does its key) deletes the
   claim: the answer is returned but not stored, so the same key may be retried once the
   state allows it. Requests waiting on that claim then run themselves.
4. A ``running`` record older than ``idempotency_abandon_s`` was left by a dead process and
   is taken over; a merely slow original then finds its record gone at completion and
   rolls back, so exactly one of them commits.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import timedelta
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from .errors import IdempotencyInProgress, IdempotencyKeyReused
from .runtime import Runtime, naive_utc
from .store.models import IdempotencyRecord

__all__ = ["StoredResponse", "request_hash", "run_idempotent"]


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: str
    replayed: bool = False


def request_hash(route: str, payload: Any) -> str:
    text = json.dumps({"route": route, "body": payload}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_ATTEMPTS = 3
Operation = Callable[[Session], tuple[int, str]]
RenderError = Callable[[Exception], "tuple[int, str] | None"]


def run_idempotent(
    rt: Runtime, *, action: str, scope: str, key: str, req_hash: str, operation: Operation,
    render_error: RenderError, sleep: Callable[[float], None] = time.sleep,
) -> StoredResponse:
    deadline = time.monotonic() + rt.settings.idempotency_wait_ms / 1000
    while True:
        record_id, found = _claim(rt, action, scope, key, req_hash)
        if record_id is not None:
            return _execute(rt, record_id, operation, render_error)
        assert found is not None
        replay = _await(rt, action, scope, key, req_hash, found, sleep, deadline)
        if replay is not None:
            return replay
        # the first request failed and released the key: this one runs itself


def _claim(rt: Runtime, action: str, scope: str, key: str, req_hash: str
           ) -> tuple[int | None, tuple[str, str, int | None, str | None] | None]:
    for _ in range(3):  # a lost insert race on PostgreSQL re-reads the winner's record
        try:
            with rt.db.write() as s:
                existing = _find(s, action, scope, key)
                if existing is not None and _abandoned(rt, existing):
                    # Its process died mid-request (its transaction rolled back); should it
                    # merely be slow, its completion finds the record gone and rolls back.
                    s.delete(existing)
                    s.flush()
                    existing = None
                if existing is not None:
                    return None, (existing.request_hash, existing.state, existing.status_code,
                                  existing.response_body)
                rec = IdempotencyRecord(action=action, scope=scope, key=key, request_hash=req_hash,
                                        state="running", created_at=naive_utc(rt.clock()))
                s.add(rec)
                s.flush()
                return rec.id, None
        except IntegrityError:
            continue
    raise IdempotencyInProgress("could not claim the Idempotency-Key; retry", key=key)


def _execute(rt: Runtime, record_id: int, operation: Operation, render_error: RenderError) -> StoredResponse:
    try:
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                with rt.db.write() as s:
                    status, body = operation(s)
                    _complete(s, record_id, status, body, rt)
                return StoredResponse(status, body)
            except StaleDataError:
                # A version column caught a write that slipped past the row locks: the whole
                # transaction rolled back, so running it again is safe.
                if attempt == _ATTEMPTS:
                    raise
        raise AssertionError("unreachable")
    except Exception as exc:
        with rt.db.write() as s:
            s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
        rendered = render_error(exc)
        if rendered is None:
            raise
        return StoredResponse(*rendered)


def _find(s: Session, action: str, scope: str, key: str) -> IdempotencyRecord | None:
    return s.scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.action == action, IdempotencyRecord.scope == scope, IdempotencyRecord.key == key))


def _abandoned(rt: Runtime, rec: IdempotencyRecord) -> bool:
    cutoff = naive_utc(rt.clock()) - timedelta(seconds=rt.settings.idempotency_abandon_s)
    return rec.state == "running" and rec.created_at < cutoff


def _complete(s: Session, record_id: int, status: int, body: str, rt: Runtime) -> None:
    rec = s.get(IdempotencyRecord, record_id)
    if rec is None:
        raise IdempotencyInProgress("this request took too long and was superseded by a retry; nothing was changed",
                                    code="idempotency-superseded")
    rec.state, rec.status_code, rec.response_body = "done", status, body
    rec.completed_at = naive_utc(rt.clock())


def _await(rt: Runtime, action: str, scope: str, key: str, req_hash: str,
           found: tuple[str, str, int | None, str | None], sleep: Callable[[float], None],
           deadline: float) -> StoredResponse | None:
    """The stored answer once the first request is done; None if it released the key."""
    while True:
        stored_hash, state, status, body = found
        if stored_hash != req_hash:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was already used with a different request", key=key)
        if state == "done" and status is not None and body is not None:
            return StoredResponse(status, body, replayed=True)
        if time.monotonic() >= deadline:
            raise IdempotencyInProgress("the first request with this Idempotency-Key is still running", key=key)
        sleep(0.02)
        with rt.db.read() as s:
            rec = _find(s, action, scope, key)
            if rec is None:
                return None
            found = (rec.request_hash, rec.state, rec.status_code, rec.response_body)
