"""The commands: db upgrade (empty and existing), db check, tokens, seed, serve errors."""

from __future__ import annotations

import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from core_lending.api.app import create_app
from core_lending.settings import Settings
from release.cli import root
from tests.procs import lendops_cmd, prepare_db

from .conftest import make_env


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run(*args: str) -> Ran:
    """The real ``lendops`` root group, in-process (a subprocess costs ~1.5 s of imports here)."""
    result = CliRunner().invoke(root, list(args), catch_exceptions=False)
    return Ran(result.exit_code, result.stdout, result.stderr)


def run_subprocess(*args: str) -> Ran:
    out = subprocess.run(lendops_cmd(*args), capture_output=True, text=True, timeout=120)
    return Ran(out.returncode, out.stdout, out.stderr)


def _one_line_error(out: Ran, needle: str) -> None:
    assert out.returncode != 0
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], out.stderr
    assert "Traceback" not in out.stderr


def test_upgrade_empty_then_existing_then_seed_twice(sqlite_url: str) -> None:
    first = run_subprocess("db", "upgrade", "--db", sqlite_url)
    assert first.returncode == 0 and "revision 0001" in first.stdout
    seed = run("seed", "--db", sqlite_url)
    assert seed.returncode == 0 and "seeded 84 new branches, 5 new demo customers" in seed.stdout
    again = run("db", "upgrade", "--db", sqlite_url)
    assert again.returncode == 0 and "revision 0001" in again.stdout
    assert "seeded 0 new branches, 0 new demo customers" in run("seed", "--db", sqlite_url).stdout
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*), SUM(pilot) FROM branches").fetchone() == (84, 7)
        assert conn.execute("SELECT COUNT(*) FROM customers").fetchone() == (5,)
    check = run("db", "check", "--db", sqlite_url)
    assert check.returncode == 0 and "ledger ok" in check.stdout


@pytest.mark.postgres
def test_upgrade_postgres_empty_and_existing(pg_url: str) -> None:
    assert run("db", "upgrade", "--db", pg_url).returncode == 0
    prepare_db(pg_url)  # existing database with data: upgrade again is a no-op
    out = run("db", "upgrade", "--db", pg_url)
    assert out.returncode == 0 and "revision 0001" in out.stdout
    assert run("db", "check", "--db", pg_url).returncode == 0


def test_db_check_reports_each_violation(seeded_sqlite_url: str) -> None:
    env = make_env(seeded_sqlite_url)
    cust = env.register()
    env.grant(cust["customer_id"])
    env.client.post("/v1/drawdowns", headers={"Authorization": f"Bearer {env.jianhe}", "Idempotency-Key": "k"},
                    json={"customer_id": cust["customer_id"], "amount_fen": 100_000, "term_months": 3,
                          "repayment_method": "revolving"})
    env.db.dispose()
    assert run("db", "check", "--db", seeded_sqlite_url).returncode == 0
    path = seeded_sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:  # break two invariants behind the service's back
        conn.execute("UPDATE credit_lines SET used_fen = line_fen + 1")
        conn.execute("UPDATE loans SET outstanding_fen = outstanding_fen - 1")
    out = run("db", "check", "--db", seeded_sqlite_url)
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert any(ln.startswith("available_not_negative:") for ln in lines)
    assert any(ln.startswith("used_equals_outstanding:") for ln in lines)
    assert any(ln.startswith("ledger_equals_balance:") for ln in lines)


def test_tokens_create(seeded_sqlite_url: str) -> None:
    out = run("tokens", "create", "--db", seeded_sqlite_url, "--role", "manager", "--branch", "522629")
    assert out.returncode == 0 and out.stdout.strip().splitlines()[-1].startswith("lt_")
    out = run("tokens", "create", "--db", seeded_sqlite_url, "--role", "customer", "--customer", "1")
    assert out.returncode == 0 and out.stdout.strip().splitlines()[-1].startswith("lt_")
    _one_line_error(run("tokens", "create", "--db", seeded_sqlite_url, "--role", "manager"), "--branch")
    _one_line_error(run("tokens", "create", "--db", seeded_sqlite_url, "--role", "manager", "--branch", "123456"),
                    "unknown branch")
    _one_line_error(run("tokens", "create", "--db", seeded_sqlite_url, "--role", "customer", "--customer", "999"),
                    "no customer")
    path = seeded_sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:  # stored only as hashes
        hashes = [h for (h,) in conn.execute("SELECT token_hash FROM api_tokens")]
    assert len(hashes) == 2 and all(len(h) == 64 and not h.startswith("lt_") for h in hashes)


def test_serve_refuses_unmigrated_db_and_bad_flags(sqlite_url: str, tmp_path: Path) -> None:
    _one_line_error(run_subprocess("serve", "--db", sqlite_url, "--port", "0"), "lendops db upgrade")
    _one_line_error(run("serve", "--db", "mysql://x", "--port", "0"), "unsupported database URL")
    run("db", "upgrade", "--db", sqlite_url)
    _one_line_error(run("serve", "--db", sqlite_url, "--faults", "error_rate=3"), "error_rate")
    _one_line_error(run("db", "check", "--db", f"sqlite:///{tmp_path}/missing/dir/x.sqlite"), "unreachable")


def test_readyz_reports_pending_migrations(sqlite_url: str) -> None:
    app = create_app(Settings(db_url=sqlite_url), start_worker=False)
    r = app.test_client().get("/readyz")
    assert r.status_code == 503 and r.mimetype == "application/problem+json"
    assert "lendops db upgrade" in r.get_json()["detail"]


def test_tokens_managers_writes_a_private_token_file(seeded_sqlite_url: str, tmp_path: Path) -> None:
    import json
    import stat

    out_file = tmp_path / "tokens.json"
    out = run("tokens", "managers", "--db", seeded_sqlite_url, "--branches", "pilot+2", "--out", str(out_file))
    assert out.returncode == 0, out.stderr
    managers = json.loads(out_file.read_text())["managers"]
    assert len(managers) == 9 and {"522629", "520221"} <= set(managers)
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    assert run("tokens", "managers", "--db", seeded_sqlite_url, "--branches", "123456",
               "--out", str(out_file)).returncode != 0
