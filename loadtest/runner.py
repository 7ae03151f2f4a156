"""Running a scenario: Locust as a child process, its reports, and the verdict.

Locust runs in its own process (``python -m locust -f loadtest/locustfile.py``)
because importing it monkey-patches the interpreter with gevent; the CLI and the
release controller that call this module keep their threads and sockets untouched.
``--workers N`` uses Locust's own master/worker distribution (``--processes N``: the
child is the master and forks N workers, all bound to loopback).

The master writes ``summary.json`` when the run ends; this module reads it back as a
``Summary``. Output directory layout::

    summary.json     the verdict and exact-timing percentiles (``loadtest.summary``)
    report.html      Locust's HTML report
    locust_stats.csv, locust_stats_history.csv, locust_failures.csv, ...  Locust's CSV
    locust.log       everything Locust printed

Example (the release controller driving canary traffic)::

    load = start_scenario("steady", "http://127.0.0.1:8080", tokens_file="tokens.json", duration_s=120)
    ...                      # steps, analysis
    summary = load.stop()    # or load.wait()
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

from .errors import RunError
from .loader import load_scenario, resolve_scenario_path
from .summary import Summary
from .tokens import ENV_TOKENS_JSON, ManagerTokens, load_tokens_file, tokens_from_env

__all__ = ["run_scenario", "start_scenario", "RunningLoad", "ProgressCallback", "UNTIL_STOPPED_S"]

ProgressCallback = Callable[[dict[str, Any]], None]

_PROGRESS_PREFIX = "LENDOPS-PROGRESS "
_LOCUSTFILE = Path(__file__).with_name("locustfile.py")
#: The duration of a run that lasts until stopped (the scenario format's maximum).
UNTIL_STOPPED_S = 7 * 24 * 3600.0
#: Extra seconds past the scenario's duration before a run counts as hung.
_GRACE_S = 90.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RunningLoad:
    """A scenario running in the background; ``stop()`` ends it early, ``wait()`` lets it finish."""

    def __init__(self, proc: subprocess.Popen[str], *, out_dir: Path, planned_s: float,
                 on_progress: ProgressCallback | None) -> None:
        self.proc = proc
        self.out_dir = out_dir
        self.summary_path = out_dir / "summary.json"
        self.log_path = out_dir / "locust.log"
        self.planned_s = planned_s
        self.last_progress: dict[str, Any] = {}
        self._on_progress = on_progress
        self._log: IO[str] = self.log_path.open("w", encoding="utf-8")
        self._reader = threading.Thread(target=self._read, name="loadtest-output", daemon=True)
        self._reader.start()
        self._summary: Summary | None = None

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith(_PROGRESS_PREFIX):
                try:
                    progress = json.loads(line[len(_PROGRESS_PREFIX):])
                except json.JSONDecodeError:
                    continue
                self.last_progress = progress
                if self._on_progress is not None:
                    try:
                        self._on_progress(progress)
                    except Exception:  # noqa: BLE001 - a display bug must not stop the run
                        pass
            else:
                self._log.write(line)
                self._log.flush()

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def wait(self, timeout: float | None = None) -> Summary:
        """Block until the run ends (by its shape, or ``stop()``); its summary."""
        if self._summary is not None:
            return self._summary
        limit = self.planned_s + _GRACE_S if timeout is None else timeout
        try:
            self.proc.wait(limit)
        except subprocess.TimeoutExpired:
            self._kill()
            raise RunError(f"Locust did not finish within {limit:.0f} s; killed", log_path=str(self.log_path)) \
                from None
        return self._finish()

    def stop(self, timeout: float = 60.0) -> Summary:
        """End the run now (as Ctrl-C would: reports are still written); its summary."""
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGINT)
            except ProcessLookupError:
                pass
        return self.wait(timeout)

    def _kill(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                return
            try:
                self.proc.wait(5)
                return
            except subprocess.TimeoutExpired:
                continue

    def _finish(self) -> Summary:
        self._reader.join(10)
        self._log.close()
        # Forked workers are gone with the master; make sure of it (own process group).
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if not self.summary_path.exists():
            raise RunError(f"Locust exited with {self.proc.returncode} without writing a summary",
                           exit_code=self.proc.returncode, log_path=str(self.log_path))
        summary = Summary.read(self.summary_path)
        summary.files = {
            "summary": str(self.summary_path), "html": str(self.out_dir / "report.html"),
            "csv_prefix": str(self.out_dir / "locust"), "log": str(self.log_path),
        }
        summary.write(self.summary_path)
        self._summary = summary
        return summary

    def __enter__(self) -> RunningLoad:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.running:
            self.stop()


def _resolve_tokens(tokens_file: str | Path | None, tokens: Mapping[str, str] | None) -> ManagerTokens:
    if tokens:
        return dict(tokens)
    if tokens_file is not None:
        return load_tokens_file(tokens_file)
    return tokens_from_env()


def start_scenario(path: str | Path, host: str, *, tokens_file: str | Path | None = None,
                   tokens: Mapping[str, str] | None = None, duration_s: float | None = None,
                   out_dir: str | Path | None = None, workers: int = 0, client: str = "fast",
                   on_progress: ProgressCallback | None = None, env: Mapping[str, str] | None = None,
                   until_stopped: bool = False) -> RunningLoad:
    """Start a scenario against ``host`` and return at once.

    tokens / tokens_file: manager tokens by branch code (default: from the environment,
        see ``loadtest.tokens``). workers: 0 runs one Locust process; N > 0 runs a master
        and N workers. client: "fast" (FastHttpUser) or "requests" (HttpUser).
    until_stopped: ignore the scenario's duration and run until ``stop()`` (rollout
        traffic that lasts as long as the rollout; capped at 7 days).
    The scenario is validated here, so a broken file fails before anything starts.
    """
    if until_stopped:
        duration_s = UNTIL_STOPPED_S
    scenario_path = resolve_scenario_path(path)
    scenario = load_scenario(scenario_path).with_duration(duration_s)
    manager_tokens = _resolve_tokens(tokens_file, tokens)
    out = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="lendops-loadtest-"))
    out.mkdir(parents=True, exist_ok=True)
    summary_path = out / "summary.json"
    summary_path.unlink(missing_ok=True)  # never read back an earlier run's verdict
    argv = [sys.executable, "-m", "locust", "-f", str(_LOCUSTFILE), "--headless", "--host", host.rstrip("/"),
            "--only-summary", "--html", str(out / "report.html"), "--csv", str(out / "locust"),
            "--csv-full-history", "--loglevel", "INFO"]
    if workers > 0:
        port = _free_port()
        argv += ["--processes", str(workers), "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
                 "--master-host", "127.0.0.1", "--master-port", str(port)]
    child_env = dict(os.environ)
    child_env.update(env or {})
    child_env.update({
        "LENDOPS_SCENARIO": str(scenario_path.resolve()),
        "LENDOPS_LOADTEST_SUMMARY": str(summary_path.resolve()),
        "LENDOPS_LOADTEST_PROGRESS": "1",
        "LENDOPS_LOADTEST_CLIENT": client,
        ENV_TOKENS_JSON: json.dumps({"managers": manager_tokens}),
        "PYTHONUNBUFFERED": "1",
        "LENDOPS_LOADTEST_PARENT_PID": str(os.getpid()),
    })
    if duration_s is not None:
        child_env["LENDOPS_LOADTEST_DURATION"] = str(float(duration_s))
    else:
        child_env.pop("LENDOPS_LOADTEST_DURATION", None)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env=child_env, text=True, encoding="utf-8", errors="replace", bufsize=1,
                            start_new_session=True, cwd=str(out))
    # A little slack for start-up and the workers to connect before the shape's clock runs.
    return RunningLoad(proc, out_dir=out, planned_s=scenario.duration_s + 15 + 5 * workers, on_progress=on_progress)


def run_scenario(path: str | Path, host: str, *, tokens_file: str | Path | None = None,
                 duration_s: float | None = None, out_dir: str | Path | None = None, workers: int = 0,
                 tokens: Mapping[str, str] | None = None, client: str = "fast",
                 on_progress: ProgressCallback | None = None) -> Summary:
    """Run a scenario to its end and return its summary (``summary.passed`` is the verdict)."""
    load = start_scenario(path, host, tokens_file=tokens_file, tokens=tokens, duration_s=duration_s,
                          out_dir=out_dir, workers=workers, client=client, on_progress=on_progress)
    try:
        return load.wait()
    except BaseException:
        if load.running:
            load._kill()
        raise
