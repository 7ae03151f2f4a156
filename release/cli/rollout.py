"""``lendops release ...``: run, watch and steer rollouts.

Commands from other terminals (promote, pause, abort, ...) are files in the rollout's
command queue; the running controller takes them within one tick (0.2 s).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import click

__all__ = ["release"]

_WORKDIR_ENV = "LENDOPS_WORKDIR"
# Test/extension seams: "module:callable" building the runtime or the analyzer.
_RUNTIME_ENV = "LENDOPS_RELEASE_RUNTIME"
_ANALYZER_ENV = "LENDOPS_RELEASE_ANALYZER"


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _load(ref: str) -> Any:
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


def _workdir_option(func: Any) -> Any:
    func = click.option("--name", default=None, help="rollout name (default: the only one in the workdir)")(func)
    return click.option(
        "--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
        help=f"state directory (default: ${_WORKDIR_ENV} or .lendops)",
    )(func)


def _resolve_workdir(workdir: Path | None) -> Path:
    return workdir or Path(os.environ.get(_WORKDIR_ENV, ".lendops"))


def _store(workdir: Path | None, name: str | None) -> Any:
    from release.controller import ControllerError, RolloutStore

    try:
        return RolloutStore.find(_resolve_workdir(workdir), name)
    except ControllerError as exc:
        _fail(str(exc))


def _mode(quiet: bool, as_json: bool) -> str:
    if quiet and as_json:
        _fail("--quiet and --json exclude each other", 2)
    return "quiet" if quiet else "json" if as_json else "rich"


def _output_options(func: Any) -> Any:
    func = click.option("--json", "as_json", is_flag=True, help="one JSON object per event (for scripts)")(func)
    func = click.option("--quiet", "-q", is_flag=True, help="print nothing; the exit code tells the outcome")(func)
    func = click.option("--detach", is_flag=True, help="run the controller in the background and return")(func)
    return click.option(
        "--metrics-port", default=None, metavar="[HOST:]PORT",
        help="serve self-metrics on 127.0.0.1:PORT (HOST:PORT to bind elsewhere, e.g. 0.0.0.0:9102 in a pod)",
    )(func)


def _metrics_address(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        _fail(f"--metrics-port wants PORT or HOST:PORT, got {value!r}", 2)
    return host or "127.0.0.1", int(port)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def release() -> None:
    """Canary (grey) releases: run a rollout spec, watch it, steer it."""


# -- spec -----------------------------------------------------------------------
@release.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def lint(file: Path) -> None:
    """Check a rollout file; problems are printed as FILE:LINE:COLUMN."""
    from release.spec import lint_file

    rollout, issues = lint_file(file)
    for issue in issues:
        click.echo(str(issue), err=issue.severity == "error")
    if rollout is None:
        sys.exit(1)
    click.echo(f"{file}: ok ({len(rollout.spec.steps)} steps)")


@release.command()
def schema() -> None:
    """Print the JSON schema of rollout files."""
    from release.spec import rollout_json_schema

    click.echo(json.dumps(rollout_json_schema(), indent=2))


# -- running --------------------------------------------------------------------
def _spawn(store: Any, mode: str, metrics_port: str | None) -> int:
    """Start a detached controller for ``store`` and wait until it holds the lock."""
    args = [sys.executable, "-m", "release.cli.rollout", "controller", "--workdir", str(store.workdir),
            "--name", store.name, "--json"]
    if metrics_port is not None:
        _metrics_address(metrics_port)  # refuse a bad value here, not in the detached child
        args += ["--metrics-port", metrics_port]
    store.dir.mkdir(parents=True, exist_ok=True)
    with open(store.log_path, "ab") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        pid = store.controller_pid()
        if pid:
            return int(pid)
        if proc.poll() is not None:
            tail = store.log_path.read_text(errors="replace").splitlines()[-5:]
            _fail("the controller exited at once: " + " | ".join(tail))
        time.sleep(0.05)
    _fail(f"the controller did not start within 20 s (log: {store.log_path})")


def _drive(store: Any, mode: str, metrics_port: str | None) -> int:
    """Run the controller in this process; exit code 0 only when promoted."""
    from release.cli.progress import Progress
    from release.controller import Controller, ControllerError, RolloutMetrics
    from release.spec import SpecError

    try:
        doc = store.load()
        from release.spec import load_text

        rollout = load_text(doc["spec_text"], doc.get("spec_file") or "<saved spec>")
        runtime = _load(os.environ.get(_RUNTIME_ENV, "release.controller.local:build_runtime"))(rollout, store.workdir)
        kwargs: dict[str, Any] = {}
        if os.environ.get(_ANALYZER_ENV):
            kwargs["analyzer_factory"] = _load(os.environ[_ANALYZER_ENV])
        metrics = RolloutMetrics()
        if metrics_port is not None:
            host, wanted = _metrics_address(metrics_port)
            port = metrics.serve(wanted, host=host)
            if mode == "rich":
                click.echo(f"self-metrics on http://{host}:{port}/metrics")
        controller = Controller(store, runtime, metrics=metrics, on_event=Progress(mode), **kwargs)
        state = controller.run()
    except (ControllerError, SpecError) as exc:
        _fail(str(exc))
    except OSError as exc:  # ports taken, files unwritable: still one line for the user
        _fail(f"{type(exc).__name__}: {exc}")
    except KeyboardInterrupt:
        _fail("interrupted; the rollout keeps its state: `lendops release resume` continues it", 130)
    if mode == "rich":
        click.echo(f"rollout {state.name}: {state.phase} — {state.reason}")
    return 0 if state.phase == "succeeded" else 1


@release.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="state directory (default: the spec's target.local.workdir)")
@_output_options
def run(file: Path, workdir: Path | None, quiet: bool, as_json: bool, detach: bool, metrics_port: str | None) -> None:
    """Start the rollout described by FILE."""
    from release.controller import RolloutStore, new_document
    from release.engine import FINAL_PHASES
    from release.spec import lint_file

    mode = _mode(quiet, as_json)
    if metrics_port is not None:
        _metrics_address(metrics_port)
    rollout, issues = lint_file(file)
    if rollout is None:
        for issue in issues:
            click.echo(str(issue), err=True)
        sys.exit(1)
    if isinstance(rollout.spec.analysis, dict):
        _fail("cannot validate the analysis section: the release.analysis package is not available")
    local = rollout.spec.target.local
    base = workdir or (Path(os.environ[_WORKDIR_ENV]) if os.environ.get(_WORKDIR_ENV) else None)
    base = base or Path(local.workdir if local else ".lendops")
    store = RolloutStore(base, rollout.name)
    if store.exists():
        phase = store.load()["state"]["phase"]
        pid = store.controller_pid()
        if pid:
            _fail(f"rollout {rollout.name!r} is running (controller pid {pid}); use status, promote or abort")
        if phase not in FINAL_PHASES:
            _fail(f"rollout {rollout.name!r} stopped in phase {phase}; `lendops release resume` continues it, "
                  f"`lendops release abort` then `resume` rolls it back")
        archive = store.dir / f"rollout-{int(time.time())}.json"
        store.path.replace(archive)
    store.save(new_document(rollout, spec_text=file.read_text(encoding="utf-8"), spec_file=str(file.resolve()),
                            now=time.time()))
    if detach:
        pid = _spawn(store, mode, metrics_port)
        if mode != "quiet":
            click.echo(f"rollout {rollout.name} started by controller pid {pid} (log: {store.log_path})")
        return
    sys.exit(_drive(store, mode, metrics_port))


@release.command(hidden=True)
@_workdir_option
@_output_options
def controller(workdir: Path | None, name: str | None, quiet: bool, as_json: bool, detach: bool,
               metrics_port: str | None) -> None:
    """Run the controller of an existing rollout in the foreground (used by --detach)."""
    sys.exit(_drive(_store(workdir, name), _mode(quiet, as_json), metrics_port))


def _start_controller_if_needed(store: Any, mode: str, detach: bool, metrics_port: str | None) -> None:
    pid = store.controller_pid()
    if pid:
        if mode != "quiet":
            click.echo(f"controller pid {pid} takes it over within a second")
        return
    if detach:
        pid = _spawn(store, mode, metrics_port)
        if mode != "quiet":
            click.echo(f"controller pid {pid} started (log: {store.log_path})")
        return
    sys.exit(_drive(store, mode, metrics_port))


@release.command()
@_workdir_option
@_output_options
def resume(workdir: Path | None, name: str | None, quiet: bool, as_json: bool, detach: bool,
           metrics_port: str | None) -> None:
    """Un-pause a paused rollout, and restart its controller if it died (e.g. kill -9)."""
    from release.engine import FINAL_PHASES

    mode = _mode(quiet, as_json)
    store = _store(workdir, name)
    phase = store.load()["state"]["phase"]
    if phase == "paused":
        store.enqueue("resume")
    elif phase in FINAL_PHASES and not store.pending_commands():
        _fail(f"rollout {store.name!r} is finished ({phase}); nothing to resume")
    _start_controller_if_needed(store, mode, detach, metrics_port)


def _queue(workdir: Path | None, name: str | None, command: str, *, full: bool = False) -> Any:
    from release.engine import FINAL_PHASES

    store = _store(workdir, name)
    phase = store.load()["state"]["phase"]
    allowed_final = command in ("undo", "retry")
    if phase in FINAL_PHASES and not allowed_final:
        _fail(f"rollout {store.name!r} is finished ({phase}); {command} is not possible")
    if phase not in FINAL_PHASES and allowed_final and command == "retry":
        _fail(f"rollout {store.name!r} is {phase}; retry follows a rollback")
    store.enqueue(command, full=full)
    return store


@release.command()
@_workdir_option
@click.option("--full", is_flag=True, help="skip every remaining step and promote now")
def promote(workdir: Path | None, name: str | None, full: bool) -> None:
    """Skip the current step (analysis or pause); --full promotes at once."""
    store = _queue(workdir, name, "promote", full=full)
    _report_queued(store, "promote --full" if full else "promote")


@release.command()
@_workdir_option
def pause(workdir: Path | None, name: str | None) -> None:
    """Hold the rollout at its current step (analysis keeps judging the canary)."""
    _report_queued(_queue(workdir, name, "pause"), "pause")


@release.command()
@_workdir_option
def abort(workdir: Path | None, name: str | None) -> None:
    """Roll back now: all traffic to stable, canary stopped."""
    _report_queued(_queue(workdir, name, "abort"), "abort")


@release.command()
@_workdir_option
@_output_options
def undo(workdir: Path | None, name: str | None, quiet: bool, as_json: bool, detach: bool,
         metrics_port: str | None) -> None:
    """Back to the previous stable build (after a promotion; during a rollout: abort)."""
    store = _queue(workdir, name, "undo")
    _start_controller_if_needed(store, _mode(quiet, as_json), detach, metrics_port)


@release.command()
@_workdir_option
@_output_options
def retry(workdir: Path | None, name: str | None, quiet: bool, as_json: bool, detach: bool,
          metrics_port: str | None) -> None:
    """Start a rolled-back rollout again from its first step."""
    store = _queue(workdir, name, "retry")
    _start_controller_if_needed(store, _mode(quiet, as_json), detach, metrics_port)


def _report_queued(store: Any, label: str) -> None:
    pid = store.controller_pid()
    if pid:
        click.echo(f"{label}: queued for controller pid {pid}")
    else:
        click.echo(f"{label}: queued, but no controller is running; `lendops release resume` applies it", err=True)


@release.command()
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help=f"state directory (default: ${_WORKDIR_ENV} or .lendops)")
def down(workdir: Path | None) -> None:
    """Stop the router and the lending processes a local rollout left running."""
    from release.controller import RolloutStore, list_rollouts
    from release.controller.local import stop_local

    base = _resolve_workdir(workdir)
    for name in list_rollouts(base):
        pid = RolloutStore(base, name).controller_pid()
        if pid:
            _fail(f"rollout {name!r} has a running controller (pid {pid}); abort it first")
    stopped = stop_local(base)
    click.echo("stopped: " + ", ".join(stopped) if stopped else "nothing was running")


@release.command()
@_workdir_option
@click.option("--json", "as_json", is_flag=True, help="the whole status as one JSON document")
@click.option("--history", "history", type=int, default=10, show_default=True, help="history entries to show")
def status(workdir: Path | None, name: str | None, as_json: bool, history: int) -> None:
    """Phase, step, traffic, the last verdicts with explanations, and recent history."""
    from rich.console import Console

    from release.cli.progress import render_status
    from release.controller.status import status_of

    store = _store(workdir, name)
    info = status_of(store.load(), controller_pid=store.controller_pid(), pending_commands=store.pending_commands())
    if as_json:
        click.echo(json.dumps(info, indent=1, default=str))
        return
    render_status(info, Console(highlight=False, soft_wrap=True), history=history)


if __name__ == "__main__":  # the detached controller: python -m release.cli.rollout controller ...
    release()
