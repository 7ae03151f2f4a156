"""One demo run: prepare a database, start Prometheus when it is installed, run the
rollout with its load through the real controller, summarise, and clean up.

Everything the demo starts is a real process on 127.0.0.1 (two ``lendops serve``
processes, the router, Locust, optionally Prometheus); all of it is stopped on every
way out, Ctrl-C included.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from release.process import free_port

from .scenario import DemoScenario
from .spec import rollout_yaml

__all__ = ["DemoError", "DemoOptions", "DemoResult", "DemoSession"]

_LOAD_SCENARIO = Path(__file__).with_name("load.yaml")
_PILOT_AND_OTHERS = "pilot+7"


class DemoError(Exception):
    """The demo could not run (not: the rollout ended unexpectedly)."""


@dataclass(frozen=True)
class DemoOptions:
    scenario: DemoScenario
    duration_s: float
    workdir: Path
    provider: str  # "auto" | "scrape" | "prometheus"
    mode: str  # "rich" | "quiet" | "json"
    lendops_cmd: Sequence[str] = ("lendops",)


@dataclass
class DemoResult:
    scenario: str
    phase: str
    reason: str
    expected: bool
    provider: str
    time_to_decision_s: float | None
    requests_by_track: dict[str, int] = field(default_factory=dict)
    client_errors: int = 0
    client_requests: int = 0
    metric: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class DemoSession:
    def __init__(self, options: DemoOptions, *, echo: Callable[[str], None]) -> None:
        self.options = options
        self.echo = echo
        self.workdir = options.workdir.resolve()
        self.db_url = f"sqlite:///{self.workdir / 'lending.sqlite'}"
        self.prometheus: Any = None
        self._sd_stop = threading.Event()
        self._sd_thread: threading.Thread | None = None
        self.controller: Any = None
        self.canary_traffic_at: float | None = None
        self.console: subprocess.Popen[bytes] | None = None
        self.console_url: str | None = None
        self.spans_path = self.workdir / "spans.sqlite"
        self._last_router_line = ""

    # -- preparation -------------------------------------------------------------------
    def _lendops(self, *args: str, timeout: float = 120) -> str:
        try:
            done = subprocess.run([*self.options.lendops_cmd, *args], capture_output=True, text=True,
                                  timeout=timeout, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DemoError(f"`lendops {' '.join(args)}` failed: {exc}") from exc
        if done.returncode != 0:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["(no output)"]
            raise DemoError(f"`lendops {' '.join(args)}` failed: {last[0]}")
        return done.stdout

    def prepare(self) -> Path:
        self.workdir.mkdir(parents=True, exist_ok=True)
        # The services the controller starts inherit this environment: every process
        # writes a sample of its traces into one span store that the console reads.
        os.environ.setdefault("LENDING_TRACING_EXPORTER", "store")
        os.environ.setdefault("LENDING_TRACING_STORE", str(self.spans_path))
        os.environ.setdefault("LENDING_TRACING_SAMPLE_RATIO", "0.25")
        self._lendops("db", "upgrade", "--db", self.db_url)
        self._lendops("seed", "--db", self.db_url)
        tokens = self.workdir / "tokens.json"
        self._lendops("tokens", "managers", "--db", self.db_url, "--branches", _PILOT_AND_OTHERS,
                      "--out", str(tokens))
        return tokens

    def _provider_spec(self) -> tuple[str, dict[str, Any]]:
        from monitoring.prometheus_server import PrometheusServer, PrometheusServerError, prometheus_binary

        wanted = self.options.provider
        if wanted == "scrape" or (wanted == "auto" and prometheus_binary() is None):
            return "scrape", {"scrape": {}}
        try:
            self.prometheus = PrometheusServer.start(self.workdir / "prometheus", jobs=["lending"])
        except PrometheusServerError as exc:
            if wanted == "prometheus":
                raise DemoError(str(exc)) from exc
            self.echo(f"prometheus could not start ({exc}); using direct scrape")
            return "scrape", {"scrape": {}}
        self._sd_thread = threading.Thread(target=self._follow_targets, name="demo-sd", daemon=True)
        self._sd_thread.start()
        return "prometheus", {"prometheus": {"url": self.prometheus.url}}

    def _follow_targets(self) -> None:
        """Keep Prometheus' targets equal to the processes the controller runs."""
        state_file = self.workdir / "local-runtime.json"
        last: dict[str, str] = {}
        while not self._sd_stop.wait(0.3):
            try:
                endpoints = json.loads(state_file.read_text()).get("endpoints") or {}
            except (OSError, ValueError):
                continue
            targets = {track: url.split("://", 1)[-1] for track, url in endpoints.items() if url}
            if targets != last:
                self.prometheus.set_targets("lending", targets)
                last = targets

    # -- the run -----------------------------------------------------------------------
    def run(self, *, steps: list[dict[str, Any]] | None = None,
            on_start: Callable[[Any], None] | None = None) -> DemoResult:
        """Run the rollout; ``steps`` replaces the default rollout (benchmarks pin the
        weight), ``on_start`` gets the controller before it runs."""
        from release.cli.progress import Progress
        from release.controller import Controller, RolloutMetrics, RolloutStore, new_document
        from release.controller.local import build_runtime
        from release.spec import load_text

        tokens = self.prepare()
        provider_name, provider = self._provider_spec()
        spec_text = rollout_yaml(scenario=self.options.scenario, db_url=self.db_url,
                                 duration_s=self.options.duration_s, provider=provider,
                                 load_scenario=str(_LOAD_SCENARIO), tokens_file=str(tokens), steps=steps)
        spec_path = self.workdir / "rollout.yaml"
        spec_path.write_text(spec_text, encoding="utf-8")
        rollout = load_text(spec_text, str(spec_path))
        store = RolloutStore(self.workdir, rollout.name)
        store.save(new_document(rollout, spec_text=spec_text, spec_file=str(spec_path), now=time.time()))
        self._announce(provider_name, spec_path)
        runtime = build_runtime(rollout, self.workdir)
        progress = Progress(self.options.mode)

        def on_event(event: dict[str, Any]) -> None:
            state = self.controller.state if self.controller is not None else None
            if self.canary_traffic_at is None and state is not None and state.canary_has_traffic:
                self.canary_traffic_at = float(event.get("at") or time.time())
            progress(event)
            if event.get("type") == "step" and self.controller is not None:
                self._start_console()
                self._echo_router()

        self.controller = Controller(store, runtime, metrics=RolloutMetrics(), on_event=on_event)
        if on_start is not None:
            on_start(self.controller)
        state = self.controller.run()
        return self._summarise(state, provider_name, store)

    def _announce(self, provider: str, spec_path: Path) -> None:
        if self.options.mode != "rich":
            return
        self.echo(f"workdir      {self.workdir}")
        self.echo(f"rollout spec {spec_path}")
        self.echo(f"scenario     {self.options.scenario.name}: {self.options.scenario.story}")
        self.echo(f"metrics      {provider}" + (f" ({self.prometheus.url})" if self.prometheus else ""))
        self.echo(f"watch it     lendops release status --workdir {self.workdir}")
        self.echo("")

    def _start_console(self) -> None:
        """The web console, once the canary runs (its address is known only then)."""
        if self.console is not None:
            return
        runtime = self.controller.runtime
        endpoints = runtime.endpoints()
        if "canary" not in endpoints:
            return
        port = free_port()
        store = self.controller.store
        args = [*self.options.lendops_cmd, "console", "--port", str(port), "--spans", str(self.spans_path),
                "--rollout-status", str(store.path), "--window", "15"]
        if self.prometheus is not None:
            args += ["--prometheus", self.prometheus.url]
        else:
            args += [arg for track, url in sorted(endpoints.items()) for arg in ("--target", f"{track}={url}")]
        with (self.workdir / "console.log").open("ab") as log:
            self.console = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        self.console_url = f"http://127.0.0.1:{port}/"
        if self.options.mode == "rich":
            self.echo(f"             web console {self.console_url}")

    def _echo_router(self) -> None:
        if self.options.mode != "rich":
            return
        runtime = self.controller.runtime
        router = runtime.router_url()
        endpoints = runtime.endpoints()
        if router:
            parts = [f"router {router}"] + [f"{k} {v}/metrics" for k, v in sorted(endpoints.items())]
            line = "             " + "  ".join(parts)
            if line != self._last_router_line:  # only when a process or port changed
                self._last_router_line = line
                self.echo(line)

    def _summarise(self, state: Any, provider: str, store: Any) -> DemoResult:
        scenario = self.options.scenario
        decided = state.finished_at
        ttd = (decided - self.canary_traffic_at) if decided and self.canary_traffic_at else None
        metric = _failing_metric(state)
        expected = state.phase == scenario.expected_phase and (
            not scenario.expected_metrics or metric in scenario.expected_metrics)
        result = DemoResult(scenario.name, state.phase, state.reason, expected, provider,
                            None if ttd is None else round(ttd, 1), metric=metric)
        load = _load_summary(store.dir / "load" / "summary.json")
        if load:
            result.requests_by_track = {str(k): int(v) for k, v in (load.get("tracks") or {}).items()}
            result.client_requests = int(load.get("requests") or 0)
            result.client_errors = int(load.get("failures") or 0)
        return result

    # -- cleanup -----------------------------------------------------------------------
    def close(self) -> None:
        from release.controller.local import stop_local

        controller = self.controller
        if controller is not None and controller.load is not None and controller.load.active:
            try:
                controller.load.stop()
            except Exception:  # noqa: BLE001 - cleanup goes on whatever one part says
                pass
        try:
            stop_local(self.workdir)
        except Exception as exc:  # noqa: BLE001
            print(f"lendops demo: cleanup: {exc}", file=sys.stderr)
        self._sd_stop.set()
        if self.prometheus is not None:
            self.prometheus.stop()
        if self.console is not None and self.console.poll() is None:
            self.console.terminate()
            try:
                self.console.wait(10)
            except subprocess.TimeoutExpired:
                self.console.kill()


def _failing_metric(state: Any) -> str:
    result = state.last_result or {}
    for verdict in result.get("verdicts") or ():
        if verdict.get("decision") == "fail":
            return str(verdict.get("metric"))
    return ""


def _load_summary(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
