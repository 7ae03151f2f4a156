"""``lendops probe`` and ``lendops rules``: the synthetic prober and rules as code.

Heavy imports happen inside the commands, so ``lendops --help`` stays fast.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click

__all__ = ["probe", "rules"]


class _OneLineErrors(click.Command):
    """Bad arguments end with one line on stderr and exit status 2, not a usage dump."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            raise _UsageLine(exc.format_message()) from None


class _UsageLine(click.ClickException):
    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


@click.command(cls=_OneLineErrors)
@click.option("--target", required=True, envvar="LENDING_TARGET", help="Base URL of the lending service.")
@click.option("--interval", type=float, default=30.0, show_default=True, help="Seconds between journeys.")
@click.option("--duration", type=float, default=300.0, show_default=True, help="Start no journey after this many seconds; the last one finishes, then the prober exits.")
@click.option("--token", envvar="LENDING_TOKEN", help="Manager token of the branch (or env LENDING_TOKEN).")
@click.option("--db", "db_url", default=None,
              help="Without a token: mint a manager token of --branch in this database (lendops tokens create).")
@click.option("--branch", default="522629", envvar="LENDING_BRANCH", show_default=True,
              help="Branch code of the synthetic customers (the token's branch).")
@click.option("--metrics-port", type=int, default=None, help="Serve /metrics on this port (0: any free port).")
@click.option("--metrics-host", default="127.0.0.1", show_default=True)
@click.option("--timeout", type=float, default=5.0, show_default=True, help="Per-request timeout, seconds.")
@click.option("--amount-fen", type=int, default=100_000, show_default=True, help="Amount drawn and repaid.")
@click.option("--disburse-timeout", type=float, default=30.0, show_default=True,
              help="Seconds to wait for a payout before the loan counts as stuck.")
def probe(
    target: str, interval: float, duration: float, token: str | None, db_url: str | None, branch: str,
    metrics_port: int | None,
    metrics_host: str, timeout: float, amount_fen: int, disburse_timeout: float,
) -> None:
    """Walk the credit path (register, apply, quote, draw, payout, repay) every INTERVAL
    seconds for DURATION seconds. Exits 1 if any journey failed; SIGTERM/SIGINT cancel the
    journey in flight and exit."""
    from prometheus_client import CollectorRegistry, start_http_server

    from monitoring.prober import JourneyResult, JourneySettings, Prober, ProberConfigError, ProberSettings

    if not token and db_url:
        token = _mint_token(db_url, branch)
    settings = ProberSettings(
        target=target.rstrip("/"), token=token or "", interval_s=interval, duration_s=duration, timeout_s=timeout,
        journey=JourneySettings(branch_code=branch, amount_fen=amount_fen, disburse_timeout_s=disburse_timeout),
    )
    try:
        settings.validate()
    except ProberConfigError as exc:
        raise _UsageLine(str(exc)) from None

    registry = CollectorRegistry()
    stop = threading.Event()

    def report(result: JourneyResult) -> None:
        tracks = ",".join(sorted({s.track or "?" for s in result.steps}))
        if result.ok:
            click.echo(f"journey ok in {result.duration_s:.3f}s (track {tracks})")
        else:
            bad = next(s for s in result.steps if not s.ok)
            click.echo(f"journey failed at {bad.step}: {bad.reason} {bad.detail or ''}".rstrip())

    prober = Prober(settings, registry=registry, stop=stop, on_journey=report)
    server = None
    if metrics_port is not None:
        try:
            server, _ = start_http_server(metrics_port, addr=metrics_host, registry=registry)
        except OSError as exc:
            raise _UsageLine(f"metrics-port: cannot listen on {metrics_host}:{metrics_port}: {exc}") from None
        click.echo(f"metrics on http://{metrics_host}:{server.server_port}/metrics", err=True)
        sys.stderr.flush()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        summary = prober.run()
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
    failed = summary.journeys - summary.ok
    click.echo(f"{summary.journeys} journeys, {summary.ok} ok, {failed} failed"
               + (f" ({dict(summary.failed_at)})" if failed else "")
               + (f", {summary.cancelled} cancelled" if summary.cancelled else ""))
    if failed:
        sys.exit(1)


def _mint_token(db_url: str, branch: str) -> str:
    # Through the command, not by importing core_lending: the prober is a client of the
    # service and stays one.
    import subprocess

    argv = [sys.executable, "-c", "from release.cli import main; main()",
            "tokens", "create", "--db", db_url, "--role", "manager", "--branch", branch]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise _UsageLine("db: lendops tokens create did not finish in 60 s") from None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        why = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise _UsageLine(f"db: could not mint a manager token for branch {branch}: {why}")
    return lines[-1].strip()


@click.group()
def rules() -> None:
    """Alert and recording rules of the lending service, as code."""


@rules.command("export")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory for the rule files (created if missing).")
@click.option("--canary-drift-pp", type=float, default=None,
              help="Approval-rate drift between tracks that alerts, in percentage points.")
def export(out: Path, canary_drift_pp: float | None) -> None:
    """Write the Prometheus rule files (one per group family) into OUT."""
    from monitoring.rules import RuleSettings, export_rules

    settings = RuleSettings() if canary_drift_pp is None else RuleSettings(approval_drift=canary_drift_pp / 100)
    for path in export_rules(out, settings):
        click.echo(str(path))
