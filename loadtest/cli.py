"""``lendops loadtest``: run, validate and list the credit-path load scenarios."""

from __future__ import annotations

import sys
from pathlib import Path

import click

__all__ = ["loadtest"]


@click.group()
def loadtest() -> None:
    """Load scenarios of the credit path (Locust)."""


@loadtest.command("run")
@click.argument("scenario")
@click.option("--host", required=True, help="Base URL of the lending service or the router in front of it.")
@click.option("--workers", type=click.IntRange(min=0), default=0, show_default=True,
              help="Locust worker processes (0: a single process).")
@click.option("--tokens", "tokens_file", type=click.Path(dir_okay=False), envvar="LENDING_TOKENS_FILE",
              help='JSON {"managers": {"<branch>": "<token>"}} [env LENDING_TOKENS_FILE].')
@click.option("--token", help="One manager token, for a single-branch run (with --branch).")
@click.option("--branch", help="The branch code --token is bound to.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="loadtest-report", show_default=True,
              help="Directory for report.html, CSV files, summary.json and locust.log.")
@click.option("--duration", "duration_s", type=click.FloatRange(min=0, min_open=True),
              help="Seconds; overrides the scenario's duration_s.")
@click.option("--client", type=click.Choice(["fast", "requests"]), default="fast", show_default=True,
              help="Locust HTTP client: FastHttpUser or HttpUser.")
@click.option("--quiet", is_flag=True, help="No live progress line.")
def run(scenario: str, host: str, workers: int, tokens_file: str | None, token: str | None, branch: str | None,
        out_dir: str, duration_s: float | None, client: str, quiet: bool) -> None:
    """Run SCENARIO (a YAML file, or a bundled name: steady, step, spike, soak).

    Exits 0 when every threshold holds, 3 naming each breached threshold and its
    measured value, 2 for a scenario or token mistake, 1 when Locust failed to run.
    """
    from .errors import LoadtestError, RunError
    from .loader import load_scenario
    from .runner import start_scenario
    from .tokens import single_token

    try:
        planned = load_scenario(scenario).with_duration(duration_s).duration_s
        tokens = single_token(token, branch) if token else None
        progress = None
        if not quiet:
            from .progress import RunProgress
            progress = RunProgress(planned)
            progress.__enter__()
        try:
            load = start_scenario(scenario, host, tokens_file=None if tokens else tokens_file, tokens=tokens,
                                  duration_s=duration_s, out_dir=out_dir, workers=workers, client=client,
                                  on_progress=progress.update if progress else None)
            try:
                summary = load.wait()
            except KeyboardInterrupt:
                summary = load.stop()
        finally:
            if progress is not None:
                progress.__exit__(None, None, None)
    except RunError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except LoadtestError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    _report(summary)
    sys.exit(summary.exit_code)


def _report(summary) -> None:  # type: ignore[no-untyped-def]
    click.echo(f"{summary.scenario}: {summary.requests} requests, {summary.failures} failed, "
               f"{summary.request_rate:.1f} req/s, {summary.iterations} journeys"
               + (f", {summary.dropped} of {summary.scheduled} starts dropped" if summary.model == "open" else "")
               + f", {len(summary.workers)} load process(es)")
    for result in summary.thresholds:
        if result["passed"] is not False:
            click.echo(f"  ok    {result['message']}")
    for line in summary.breaches:
        click.echo(f"BREACH {line}", err=True)
    click.echo(f"reports: {Path(summary.files.get('summary', '')).parent}")
    click.echo("PASSED" if summary.passed else "FAILED: thresholds breached")


@loadtest.command("validate")
@click.argument("scenarios", nargs=-1, required=True)
def validate(scenarios: tuple[str, ...]) -> None:
    """Check scenario files; each mistake is printed as file:line: field: message."""
    from .errors import ScenarioError
    from .loader import load_scenario

    bad = 0
    for name in scenarios:
        try:
            scenario = load_scenario(name)
        except ScenarioError as exc:
            bad += 1
            click.echo(str(exc), err=True)
        else:
            click.echo(f"{name}: ok ({scenario.name}, {scenario.load.model} model, {scenario.shape.type} shape, "
                       f"{scenario.duration_s:g} s)")
    sys.exit(2 if bad else 0)


@loadtest.command("list")
def list_scenarios() -> None:
    """The bundled example scenarios."""
    from .loader import bundled_scenarios, load_scenario

    for name, path in sorted(bundled_scenarios().items()):
        scenario = load_scenario(path)
        click.echo(f"{name:8} {scenario.description}")


@loadtest.command("webhook")
@click.option("--listen", default="127.0.0.1:8089", show_default=True, help="host:port to serve on.")
@click.option("--scenario", required=True, help="Scenario run as rollout traffic (file or bundled name).")
@click.option("--host", required=True, help="Base URL the load goes to (the router).")
@click.option("--tokens", "tokens_file", type=click.Path(dir_okay=False), envvar="LENDING_TOKENS_FILE")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="loadtest-runs", show_default=True)
@click.option("--workers", type=click.IntRange(min=0), default=0, show_default=True)
def webhook(listen: str, scenario: str, host: str, tokens_file: str | None, out_dir: str, workers: int) -> None:
    """Serve a load-test webhook for rollouts (POST /rollout with release notifications)."""
    from .errors import LoadtestError
    from .loader import load_scenario
    from .webhook import LoadWebhook, WebhookSettings, serve_webhook

    try:
        load_scenario(scenario)
    except LoadtestError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    bind_host, _, port = listen.rpartition(":")
    app = LoadWebhook(WebhookSettings(scenario=scenario, host=host, out_dir=Path(out_dir), tokens_file=tokens_file,
                                      workers=workers))
    server = serve_webhook(app, bind_host or "127.0.0.1", int(port))
    click.echo(f"load-test webhook on http://{bind_host or '127.0.0.1'}:{port} (POST /rollout, /runs)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        app.stop_all()
