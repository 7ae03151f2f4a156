"""``lendops dashboards export|push``: the Grafana dashboards as code.

Heavy imports (the Grafana SDK, grafana-client) happen inside the commands, so
``lendops --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["dashboards"]


@click.group()
def dashboards() -> None:
    """Grafana dashboards of the lending service (Canary release, Credit path SLO, Client view)."""


@dashboards.command()
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write <uid>.json files into (created when missing).")
def export(out: Path) -> None:
    """Write every dashboard as Grafana JSON (for provisioning or a ConfigMap)."""
    from monitoring.dashboards import DashboardError, export_dashboards

    try:
        paths = export_dashboards(out)
    except DashboardError as exc:
        raise click.ClickException(str(exc)) from None
    for path in paths:
        click.echo(str(path))


@dashboards.command()
@click.option("--url", required=True, envvar="GRAFANA_URL", help="Grafana base URL (or env GRAFANA_URL).")
@click.option("--token", envvar="GRAFANA_TOKEN", default=None,
              help="Service account token (or env GRAFANA_TOKEN); user:password in the URL also works.")
@click.option("--folder", default="lendops", show_default=True, help="Folder title (created when missing).")
@click.option("--folder-uid", default=None, help="Folder uid (default: derived from the title).")
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Per-request timeout, seconds.")
def push(url: str, token: str | None, folder: str, folder_uid: str | None, timeout: float) -> None:
    """Create or update every dashboard in FOLDER over Grafana's HTTP API."""
    from monitoring.dashboards import DashboardError, build_dashboards, push_dashboards

    try:
        results = push_dashboards(build_dashboards(), url=url.rstrip("/"), token=token, folder=folder,
                                  folder_uid=folder_uid, timeout=timeout)
    except DashboardError as exc:
        raise click.ClickException(str(exc)) from None
    for r in results:
        click.echo(f"{r.uid}\t{r.status or 'saved'}\tversion={r.version}\tfolder={r.folder_uid}\t{r.url or ''}")
