"""``lendops router``: run the local router in the foreground."""

from __future__ import annotations

from pathlib import Path

import click

from .config import RouterConfig, parse_cohort
from .errors import ConfigError

__all__ = ["router"]


def _addr(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise click.BadParameter(f"expected HOST:PORT, got {value!r}")
    return host or "127.0.0.1", int(port)


@click.command("router")
@click.option("--listen", required=True, help="HOST:PORT for traffic, e.g. 127.0.0.1:8080")
@click.option("--admin", required=True, help="HOST:PORT for the admin API")
@click.option("--stable", required=True, help="stable backend URL")
@click.option("--canary", required=True, help="canary backend URL")
@click.option("--impl", type=click.Choice(["python", "haproxy"]), default="python",
              show_default=True)
@click.option("--weight", type=click.IntRange(0, 100), default=0, show_default=True)
@click.option("--cohort", default="", help="branch codes always sent to canary: A,B,C")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="where the HAProxy impl writes its config and socket")
@click.option("--connect-timeout", type=float, default=2.0, show_default=True,
              help="seconds to connect to a backend before answering 502")
@click.option("--read-timeout", type=float, default=30.0, show_default=True,
              help="seconds to wait for a backend's answer before answering 504")
def router(listen: str, admin: str, stable: str, canary: str, impl: str, weight: int,
           cohort: str, workdir: Path | None, connect_timeout: float,
           read_timeout: float) -> None:
    """Reverse proxy splitting traffic between stable and canary (admin: /config, /metrics)."""
    from .proxy import ProxySettings
    from .server import RouterSettings, run_router

    try:
        config = RouterConfig.create(stable=stable, canary=canary, weight=weight,
                                     cohort=parse_cohort(cohort))
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from exc
    settings = RouterSettings(listen=_addr(listen), admin=_addr(admin), impl=impl,  # type: ignore[arg-type]
                              workdir=workdir,
                              proxy=ProxySettings(connect_timeout=connect_timeout,
                                                  read_timeout=read_timeout))
    run_router(config, settings)
