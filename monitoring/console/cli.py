"""``lendops console``: serve the web console.

    lendops console --port 8090 --target stable=http://127.0.0.1:8001 --target canary=http://127.0.0.1:8002 \\
        --spans /var/lib/lendops/spans.db --rollout-status work/rollouts/checkout/rollout.json
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import click

__all__ = ["console"]


@click.command()
@click.option("--port", type=int, default=8090, show_default=True, help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind (the console has no login: keep it on loopback or behind a proxy).")
@click.option("--target", "targets", multiple=True, metavar="NAME=URL",
              help="A track's service (its /metrics is scraped), e.g. stable=http://127.0.0.1:8001. Repeatable.")
@click.option("--prometheus", "prometheus_url", default=None,
              help="Prometheus base URL: numbers come from PromQL instead of direct scrapes.")
@click.option("--spans", default=None, metavar="SQLITE_URL_OR_PATH",
              help="The span store the services write (LENDING_TRACING_STORE), a path or SQLAlchemy URL.")
@click.option("--rollout-status", "status_path", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="<workdir>/rollouts/<name>/rollout.json, or a saved `lendops release status --json`.")
@click.option("--window", "window_s", type=float, default=60.0, show_default=True,
              help="Seconds over which rates and ratios are computed.")
def console(port: int, host: str, targets: tuple[str, ...], prometheus_url: str | None, spans: str | None,
            status_path: Path | None, window_s: float) -> None:
    """Serve the canary console: rollout phase and verdicts, per-track numbers, trace waterfalls."""
    from werkzeug.serving import make_server

    from monitoring.console import (
        ConsoleConfigError,
        ConsoleSettings,
        create_console,
        parse_target,
    )
    from monitoring.tracing import SpanStoreError

    try:
        settings = ConsoleSettings(
            targets=tuple(parse_target(t) for t in targets), prometheus_url=prometheus_url,
            spans_url=ConsoleSettings.spans(spans), status_path=status_path, window_s=window_s,
        )
        app = create_console(settings)
    except (ConsoleConfigError, SpanStoreError) as exc:
        raise click.UsageError(str(exc)) from None

    server = make_server(host, port, app, threaded=True)
    stop = threading.Event()

    def _stop(*_: Any) -> None:
        if not stop.is_set():
            stop.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"lendops console: http://{host}:{server.server_port}/", err=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        store = app.extensions["lendops_console"]["store"]
        if store is not None:
            store.close()
