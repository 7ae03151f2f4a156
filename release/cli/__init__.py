"""The ``lendops`` command line: one root group, sub-commands loaded lazily.

Each package registers its commands under the ``lendops.commands`` entry-point group
(see pyproject.toml); the root only imports the one that is invoked, so
``lendops release status`` never imports Flask or the lending service.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

import click

__all__ = ["main", "root"]

_GROUP = "lendops.commands"


def _registry() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=_GROUP)}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(_registry()) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        target = _registry().get(cmd_name)
        if target is None:
            return None
        module_name, _, attr = target.partition(":")
        return getattr(importlib.import_module(module_name), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listing names only: importing every command just to print help would load
        # Flask, Locust and the Kubernetes client.
        names = self.list_commands(ctx)
        if names:
            with formatter.section("Commands"):
                formatter.write_text(", ".join(names))


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="lendops", prog_name="lendops")
def root() -> None:
    """lendops: canary releases, probes, dashboards and load tests for a lending service."""


def main() -> None:
    root(prog_name="lendops")
