"""Bearer-token authentication with a small per-process cache (tokens are never revoked
in place; a new database means new processes)."""

from __future__ import annotations

import threading

from flask import request

from ..access import Principal
from ..errors import Unauthenticated
from ..store import Database
from ..store.records import hash_token, principal_for

__all__ = ["Authenticator"]

_MAX_CACHE = 10_000


class Authenticator:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: dict[str, Principal] = {}
        self._lock = threading.Lock()

    def principal(self) -> Principal:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("send Authorization: Bearer <token>")
        key = hash_token(token)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        with self.db.read() as s:
            found = principal_for(s, token)
        if found is None:
            raise Unauthenticated("unknown token")
        with self._lock:
            if len(self._cache) >= _MAX_CACHE:
                self._cache.clear()
            self._cache[key] = found
        return found
