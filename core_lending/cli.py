"""``lendops serve | db | tokens | seed``: the lending service's commands.

Bad input gives one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

import click

from .errors import LendingError
from .settings import DEFAULT_DB_URL

__all__ = ["serve", "db", "tokens", "seed"]

_DB_OPTION = click.option("--db", "db_url", envvar="LENDING_DB_URL", default=DEFAULT_DB_URL, show_default=True,
                          help="Database URL (sqlite:///FILE or postgresql://...).")


def _fail(message: str) -> None:
    raise click.ClickException(message.splitlines()[0] if message else "failed")


def _open_db(db_url: str, *, require_schema: bool = True) -> Any:
    from sqlalchemy.exc import SQLAlchemyError

    from .store import Database, require_current

    try:
        database = Database(db_url)
        if require_schema:
            require_current(database.engine)
        return database
    except LendingError as exc:
        _fail(str(exc))
    except SQLAlchemyError as exc:
        _fail(f"database {db_url} is unreachable: {type(exc).__name__}: {str(exc).splitlines()[0]}")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@_DB_OPTION
@click.option("--version", "version", envvar="LENDING_VERSION", default="0.0.0", show_default=True)
@click.option("--track", envvar="LENDING_TRACK", default="stable", show_default=True,
              type=click.Choice(["stable", "canary"]))
@click.option("--faults", default=None, help="e.g. error_rate=0.05,latency_ms=200 (or LENDING_FAULTS).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="More than 1 runs under gunicorn.")
@click.option("--payout-delay-ms", type=click.IntRange(0, 600_000), default=None)
@click.option("--payout-failure-rate", type=click.FloatRange(0.0, 1.0), default=None)
def serve(host: str, port: int, db_url: str, version: str, track: str, faults: str | None, workers: int,
          payout_delay_ms: int | None, payout_failure_rate: float | None) -> None:
    """Serve the lending HTTP API (run `lendops db upgrade` first)."""
    from .settings import Settings

    try:
        settings = Settings.from_env(db_url=db_url, version=version, track=track, faults=faults,
                                     payout_delay_ms=payout_delay_ms, payout_failure_rate=payout_failure_rate)
    except LendingError as exc:
        _fail(str(exc))
    _open_db(settings.db_url).dispose()
    if workers > 1:
        _serve_gunicorn(settings, host, port, workers)
    else:
        _serve_werkzeug(settings, host, port)


def _serve_werkzeug(settings: Any, host: str, port: int) -> None:
    import logging
    import socket

    from werkzeug.serving import WSGIRequestHandler, make_server

    from .api.app import create_app

    class _Handler(WSGIRequestHandler):
        def setup(self) -> None:
            super().setup()
            # Without this, keep-alive clients stall on Nagle + delayed ACK (see TOOLING.md).
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass  # access lines would only duplicate the metrics

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(settings)
    server = make_server(host, port, app, threaded=True, request_handler=_Handler)
    stopping = threading.Event()

    def _stop(*_: Any) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"lendops serve: {settings.track} {settings.version} on http://{host}:{server.port}", err=True)
    try:
        server.serve_forever()
    finally:
        svc = app.extensions["lending"]
        if svc.worker is not None:
            svc.worker.stop()


def _serve_gunicorn(settings: Any, host: str, port: int, workers: int) -> None:
    from .serving import run_gunicorn

    def factory() -> Any:
        from .api.app import create_app

        return create_app(settings)  # one per worker: own engine, own disbursement thread

    click.echo(f"lendops serve: {settings.track} {settings.version} on http://{host}:{port} "
               f"({workers} gunicorn workers)", err=True)
    run_gunicorn(factory, host=host, port=port, workers=workers)


@click.group()
def db() -> None:
    """Database schema and invariants."""


@db.command("upgrade")
@_DB_OPTION
def db_upgrade(db_url: str) -> None:
    """Apply Alembic migrations (works on an empty and on an existing database)."""
    from .store import current_revision, upgrade

    database = _open_db(db_url, require_schema=False)
    try:
        upgrade(database.engine)
        click.echo(f"database at revision {current_revision(database.engine)}")
    except Exception as exc:  # noqa: BLE001 - one line for the operator
        _fail(f"upgrade failed: {type(exc).__name__}: {exc}")
    finally:
        database.dispose()


@db.command("check")
@_DB_OPTION
def db_check(db_url: str) -> None:
    """Check the ledger invariants; exit 1 with one line per violation."""
    from .ledger import check_ledger

    database = _open_db(db_url)
    with database.read() as s:
        violations = check_ledger(s)
    database.dispose()
    for v in violations:
        click.echo(str(v))
    if violations:
        raise SystemExit(1)
    click.echo("ledger ok")


@click.group()
def tokens() -> None:
    """Bearer tokens."""


@tokens.command("create")
@_DB_OPTION
@click.option("--role", required=True, type=click.Choice(["manager", "ops", "customer"]))
@click.option("--branch", default=None, help="Branch code (manager tokens).")
@click.option("--customer", "customer_id", default=None, type=int, help="Customer id (customer tokens).")
def tokens_create(db_url: str, role: str, branch: str | None, customer_id: int | None) -> None:
    """Create a token; it is printed once, as the last line."""
    from .runtime import naive_utc, utc_now
    from .store.records import create_token

    database = _open_db(db_url)
    try:
        with database.write() as s:
            token = create_token(s, role=role, branch_code=branch, customer_id=customer_id,
                                 now=naive_utc(utc_now()))
    except LendingError as exc:
        _fail(str(exc))
    finally:
        database.dispose()
    click.echo(f"created {role} token" + (f" for branch {branch}" if role == "manager" else "")
               + (f" for customer {customer_id}" if role == "customer" else ""), err=True)
    click.echo(token)


def _select_branches(spec: str) -> list[str]:
    """``all``, ``pilot``, ``pilot+N`` (the pilots and the first N other branches) or
    comma-separated codes."""
    from .branches import BRANCHES, PILOT_CODES

    codes = [b.code for b in BRANCHES]
    if spec == "all":
        return codes
    if spec == "pilot" or spec.startswith("pilot+"):
        extra = spec.removeprefix("pilot").removeprefix("+") or "0"
        if not extra.isdigit():
            raise click.BadParameter(f"{spec!r}: expected pilot+N with a whole number N", param_hint="--branches")
        others = [c for c in codes if c not in PILOT_CODES][: int(extra)]
        return sorted(PILOT_CODES) + others
    chosen = [c.strip() for c in spec.split(",") if c.strip()]
    unknown = sorted(set(chosen) - set(codes))
    if unknown or not chosen:
        listed = ", ".join(unknown) if unknown else repr(spec)
        raise click.BadParameter(f"unknown branch code(s): {listed}", param_hint="--branches")
    return chosen


@tokens.command("managers")
@_DB_OPTION
@click.option("--branches", "branch_spec", default="all", show_default=True,
              help="all, pilot, pilot+N (pilots and N other branches), or comma-separated codes.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help='File to write: {"managers": {"<branch code>": "<token>"}} (read by lendops loadtest).')
def tokens_managers(db_url: str, branch_spec: str, out_path: str) -> None:
    """Create one manager token per branch, for load tests and the demo."""
    import json
    import os

    from .runtime import naive_utc, utc_now
    from .store.records import create_token

    codes = _select_branches(branch_spec)
    database = _open_db(db_url)
    try:
        with database.write() as s:
            now = naive_utc(utc_now())
            managers = {code: create_token(s, role="manager", branch_code=code, customer_id=None, now=now)
                        for code in codes}
    except LendingError as exc:
        _fail(str(exc))
    finally:
        database.dispose()
    # Tokens are secrets: the file is readable by its owner only.
    fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"managers": managers}, fh, indent=2)
    click.echo(f"created {len(managers)} manager tokens in {out_path}", err=True)


@click.command()
@_DB_OPTION
def seed(db_url: str) -> None:
    """Insert the 84 county branches (7 pilots marked) and demo customers; idempotent."""
    from .runtime import naive_utc, utc_now
    from .store.seed import seed as run_seed

    database = _open_db(db_url)
    try:
        with database.write() as s:
            branches, customers = run_seed(s, now=naive_utc(utc_now()))
    finally:
        database.dispose()
    click.echo(f"seeded {branches} new branches, {customers} new demo customers")
