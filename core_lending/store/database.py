"""Engine and transaction boundaries for SQLite and PostgreSQL.

SQLite: WAL, a busy timeout, and ``BEGIN IMMEDIATE`` for write transactions so that
concurrent processes serialize on the write lock instead of failing on upgrade from a
read lock. PostgreSQL: write paths lock the rows they change (``SELECT ... FOR UPDATE``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from ..settings import normalize_db_url

__all__ = ["Database", "make_engine"]

_WRITE = "lendops_write"
SQLITE_BUSY_TIMEOUT_S = 30


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalize_db_url(url)
    # hide_parameters: error messages must never carry customer data into logs.
    if url.startswith("sqlite"):
        engine = create_engine(
            url, hide_parameters=True,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}, **kwargs,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's is deferred only).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    return create_engine(url, hide_parameters=True, pool_pre_ping=True, **kwargs)


class Database:
    """One engine per process; ``read()`` and ``write()`` open a transaction each."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.url = normalize_db_url(url)
        self.engine = engine if engine is not None else make_engine(self.url)
        self._read = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._write = sessionmaker(bind=self.engine.execution_options(**{_WRITE: True}), expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on any exception."""
        with self._write() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()

    @property
    def safe_url(self) -> str:
        """The URL without a password, for messages."""
        return self.engine.url.render_as_string(hide_password=True)
