"""Fixtures shared by the whole suite: databases and a running lending service."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.procs import ServiceProcess, create_token, prepare_db, start_lending_service

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
JIANHE = "522629"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file URL in tmp_path (not migrated)."""
    return f"sqlite:///{tmp_path / 'lending.sqlite'}"


@pytest.fixture
def seeded_sqlite_url(sqlite_url: str) -> str:
    prepare_db(sqlite_url)
    return sqlite_url


def _pg_admin():  # type: ignore[no-untyped-def]
    try:
        import psycopg
    except ImportError:
        pytest.skip("psycopg is not installed")
    try:
        return psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True,
                               connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is unreachable: {str(exc).splitlines()[0]}")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (dropped afterwards); skips if the server is unreachable."""
    name = f"lendops_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def lending_service(seeded_sqlite_url: str) -> Iterator[ServiceProcess]:
    """A running stable service on a seeded SQLite DB; ``.manager_token`` is a Jianhe (522629) manager."""
    token = create_token(seeded_sqlite_url, "manager", branch=JIANHE)
    with start_lending_service(db_url=seeded_sqlite_url) as svc:
        svc.manager_token = token
        yield svc
