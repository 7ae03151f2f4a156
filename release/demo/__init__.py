"""``lendops demo``: the whole story on one machine.

A seeded SQLite database, stable and canary ``lendops serve`` processes, the router,
Locust traffic, Prometheus when it is installed, and the rollout controller with the
default rollout (pilot branches first, then 10 / 25 / 50 / 100 %). The canary carries
the scenario's fault; the demo exits 0 when the rollout ends as the scenario expects.
"""

from __future__ import annotations

import json
import signal
import sys
import tempfile
from pathlib import Path
from types import FrameType

import click

from .scenario import SCENARIOS
from .session import DemoError, DemoOptions, DemoResult, DemoSession

__all__ = ["demo"]


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@click.command()
@click.option("--scenario", type=click.Choice(sorted(SCENARIOS)), default="good", show_default=True,
              help="which build the canary is: a good one, or one with an injected fault")
@click.option("--duration", "duration_s", type=click.FloatRange(min=25, max=3600), default=100, show_default=True,
              help="seconds a good canary needs to reach 100 % (five analysis steps share them)")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="where the database, logs and rollout state go (default: a new temporary directory)")
@click.option("--provider", type=click.Choice(["auto", "scrape", "prometheus"]), default="auto", show_default=True,
              help="metric provider: Prometheus when installed (auto), or direct scrape of /metrics")
@click.option("--quiet", is_flag=True, help="print only the summary")
@click.option("--json", "as_json", is_flag=True, help="JSON lines: every rollout event, then the summary")
def demo(scenario: str, duration_s: float, workdir: Path | None, provider: str, quiet: bool, as_json: bool) -> None:
    """Run a canary release of the lending service end to end on this machine."""
    mode = "json" if as_json else "quiet" if quiet else "rich"
    root = workdir or Path(tempfile.mkdtemp(prefix="lendops-demo-"))
    if workdir is not None and (workdir / "rollouts").exists():
        raise click.ClickException(f"{workdir} holds an earlier rollout; pass an empty --workdir")
    options = DemoOptions(SCENARIOS[scenario], duration_s, root, provider, mode)
    session = DemoSession(options, echo=click.echo)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        result = session.run()
    except DemoError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        click.echo("lendops demo: interrupted; stopping every process it started", err=True)
        sys.exit(130)
    finally:
        session.close()
        signal.signal(signal.SIGTERM, previous)
    _print_summary(result, mode)
    sys.exit(0 if result.expected else 1)


def _print_summary(result: DemoResult, mode: str) -> None:
    if mode == "json":
        click.echo(json.dumps({"type": "summary", **result.to_dict()}))
        return
    ttd = "n/a" if result.time_to_decision_s is None else f"{result.time_to_decision_s:.1f} s"
    tracks = ", ".join(f"{k} {v}" for k, v in sorted(result.requests_by_track.items())) or "n/a"
    lines = [
        "",
        f"outcome            {result.phase} ({'as expected' if result.expected else 'NOT as expected'}"
        f" for scenario {result.scenario})",
        f"reason             {result.reason}",
        f"time to decision   {ttd} after the canary first took traffic",
        f"requests by track  {tracks}",
        f"client errors      {result.client_errors} of {result.client_requests} requests",
        f"metric provider    {result.provider}",
    ]
    click.echo("\n".join(lines))
