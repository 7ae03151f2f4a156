"""The Locust side of a run: the user classes, the per-process runtime and its events.

Imported only by ``loadtest/locustfile.py`` (importing Locust monkey-patches the
process with gevent, which the release controller and the CLI must never suffer).

Roles of a Locust process, and what each does here:

- load process (the local runner, or each worker): runs users, records every request's
  exact timing into ``ProcessStats``; a worker ships it to the master with Locust's own
  periodic report; for the open model it also runs the arrival pacer.
- master (or the local runner): merges reports into ``RunStats``, prints progress for
  the runner, and when the run ends judges thresholds and writes the JSON summary.
"""

from __future__ import annotations

import json
import logging
import os
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import count
from typing import Any

import gevent
from gevent.queue import Queue
from locust import FastHttpUser, HttpUser
from locust.env import Environment
from locust.runners import LocalRunner, MasterRunner, WorkerRunner

from . import data
from .arrival import ArrivalSchedule, Dispatcher
from .collector import REPORT_KEY, ProcessStats, RunStats
from .errors import LoadtestError
from .journeys import CustomerPool, Journeys
from .loader import load_scenario
from .scenario import ClosedLoad, OpenLoad, Scenario
from .shapes import pool_size, rate_at
from .summary import build_summary
from .tokens import tokens_from_env

__all__ = ["CreditPathUser", "CreditPathHttpUser", "Runtime", "runtime", "setup", "ENV"]

log = logging.getLogger("lendops.loadtest")


class ENV:
    """Environment variables a Locust process reads (set by ``loadtest.runner``)."""

    SCENARIO = "LENDOPS_SCENARIO"            # scenario file or bundled name (default: steady)
    DURATION = "LENDOPS_LOADTEST_DURATION"   # seconds, overrides the scenario's duration_s
    SUMMARY = "LENDOPS_LOADTEST_SUMMARY"     # where the master writes summary.json
    PROGRESS = "LENDOPS_LOADTEST_PROGRESS"   # "1": print one progress line a second
    CLIENT = "LENDOPS_LOADTEST_CLIENT"       # "fast" (default) or "requests" (HttpUser)
    PARENT_PID = "LENDOPS_LOADTEST_PARENT_PID"  # stop when this process is no longer our parent


PROGRESS_PREFIX = "LENDOPS-PROGRESS "


@dataclass
class Runtime:
    """State of one Locust process for the current run."""

    scenario: Scenario
    environment: Environment
    tokens: dict[str, str] = field(default_factory=dict)
    stats: ProcessStats = field(default_factory=ProcessStats)
    run_stats: RunStats = field(default_factory=RunStats)
    picker: data.BranchPicker | None = None
    pool: CustomerPool | None = None
    dispatcher: Dispatcher | None = None
    starts: Queue | None = None
    live_users: int = 0
    started_monotonic: float | None = None
    started_at: str = ""
    setup_error: str = ""
    stopped: bool = False
    _serials: Any = field(default_factory=count)
    _sent_scheduled: int = 0
    _sent_dropped: int = 0

    # -- load processes -------------------------------------------------------------------

    def is_load_process(self) -> bool:
        return not isinstance(self.environment.runner, MasterRunner)

    def prepare_load(self) -> None:
        """At test start on a load process: branches, pool, pacer."""
        if self.tokens == {}:
            self.tokens = tokens_from_env()
        branches = self._fetch_branches()
        self.picker = data.BranchPicker(branches, self.scenario.branches, set(self.tokens))
        self.pool = CustomerPool(self.scenario.data.returning_pool)
        if isinstance(self.scenario.load, OpenLoad):
            self._start_pacer()

    def _fetch_branches(self) -> list[data.Branch]:
        import requests  # gevent-patched already: this blocks only this greenlet

        host = (self.environment.host or "").rstrip("/")
        code, token = next(iter(self.tokens.items()))
        try:
            answer = requests.get(f"{host}/v1/branches", timeout=10,
                                  headers={"Authorization": f"Bearer {token}", "X-Branch-Code": code})
            answer.raise_for_status()
            branches = data.branches_from_json(answer.json())
        except (requests.RequestException, ValueError) as exc:
            # Still usable: act for the token branches, unweighted by pilot flags.
            log.warning("GET /v1/branches failed (%s); using the token branches only", exc)
            branches = []
        known = {b.code for b in branches}
        return branches + [data.Branch(c) for c in self.tokens if c not in known]

    def new_journeys(self, user: Any) -> Journeys:
        if self.setup_error:
            raise LoadtestError(self.setup_error)
        seed = self.scenario.seed
        index = getattr(self.environment.runner, "worker_index", 0)
        serial = next(self._serials)
        rng = random.Random(f"{seed}:{index}:{serial}") if seed is not None else random.Random()
        assert self.picker is not None and self.pool is not None
        return Journeys(user.client, rng=rng, tokens=self.tokens, picker=self.picker, pool=self.pool,
                        stats=self.stats, spec=self.scenario.data, mix=self.scenario.mix, sleep=gevent.sleep)

    def _start_pacer(self) -> None:
        self.dispatcher = Dispatcher()
        self.starts = Queue()
        pool = pool_size(self.scenario)
        schedule = ArrivalSchedule(lambda t: rate_at(self.scenario, t), lambda: self.live_users / pool)
        gevent.spawn(self._pace, schedule)

    def _pace(self, schedule: ArrivalSchedule) -> None:
        assert self.dispatcher is not None and self.starts is not None
        t0 = time.monotonic()
        while not schedule.finished:
            for slot in schedule.due(time.monotonic() - t0):
                if self.dispatcher.offer():
                    self.starts.put(t0 + slot)
            gevent.sleep(max(0.0, min(0.05, schedule.next_t - (time.monotonic() - t0))))

    def next_start(self) -> float:
        """Open model: block until the pacer hands this user a start; its scheduled time."""
        assert self.dispatcher is not None and self.starts is not None
        self.dispatcher.user_idle()
        try:
            return float(self.starts.get())
        except BaseException:
            self.dispatcher.user_gone()
            raise

    # -- all processes -----------------------------------------------------------------------

    def on_request(self, request_type: str, name: str, response_time: float, response_length: int,
                   response: Any = None, context: dict[str, Any] | None = None, exception: Any = None,
                   **_: Any) -> None:
        ctx = context or {}
        step = f"{ctx.get('journey', 'other')}.{ctx.get('step', name)}"
        track, version = _header(response, "X-Lending-Track"), _header(response, "X-Lending-Version")
        self.stats.record_request(step, response_time or 0.0, failed=exception is not None, track=track,
                                  version=version, branch=ctx.get("branch"))

    def on_report_to_master(self, client_id: str, data: dict[str, Any]) -> None:
        wire = self.stats.drain()
        wire_index = getattr(self.environment.runner, "worker_index", None)
        # Counters that grow (the pacer's) are sent as totals: make them deltas here.
        wire["scheduled"], wire["dropped"] = self._pacer_deltas()
        data[REPORT_KEY] = {"index": wire_index, "stats": wire}

    def _pacer_deltas(self) -> tuple[int, int]:
        if self.dispatcher is None:
            return 0, 0
        scheduled, dropped = self.dispatcher.scheduled, self.dispatcher.dropped
        delta = (scheduled - self._sent_scheduled, dropped - self._sent_dropped)
        self._sent_scheduled, self._sent_dropped = scheduled, dropped
        return delta

    def on_worker_report(self, client_id: str, data: dict[str, Any]) -> None:
        ours = data.get(REPORT_KEY)
        if not ours:
            return
        runner = self.environment.runner
        index = ours.get("index")
        if index is None and isinstance(runner, MasterRunner):
            index = runner.worker_indexes.get(client_id)
        self.run_stats.merge(ours["stats"], worker_id=client_id, worker_index=index)

    def on_test_start(self, **_: Any) -> None:
        if self.started_monotonic is None:
            self.started_monotonic = time.monotonic()
            self.started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        if self.is_load_process() and self.picker is None and not self.setup_error:
            try:
                self.prepare_load()
            except (LoadtestError, ValueError) as exc:
                # Users raise it when they start, so it ends up in the summary's exceptions.
                self.setup_error = str(exc)
                log.error("cannot prepare the load: %s", exc)
        if isinstance(self.environment.runner, WorkerRunner):
            return
        if os.environ.get(ENV.PROGRESS) == "1":
            gevent.spawn(self._progress)
        if os.environ.get(ENV.PARENT_PID, "").isdigit():
            gevent.spawn(self._watch_parent, int(os.environ[ENV.PARENT_PID]))

    def _watch_parent(self, parent_pid: int) -> None:
        # A run started by a controller that died must not go on loading the service
        # for days (``until_stopped`` runs): end it as a stop would, reports included.
        while os.getppid() == parent_pid:
            gevent.sleep(1.0)
        # Our stdout/stderr pipe has no reader any more: point both at /dev/null so
        # Locust's logging and final tables cannot fail on the way out.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        log.error("the process that started this run (pid %d) is gone; stopping", parent_pid)
        self.environment.runner.quit()

    def _progress(self) -> None:
        runner = self.environment.runner
        while True:
            gevent.sleep(1.0)
            total = runner.stats.total
            dropped = self.run_stats.dropped if isinstance(runner, MasterRunner) else (
                self.dispatcher.dropped if self.dispatcher else 0)
            line = {"t": round(time.monotonic() - (self.started_monotonic or time.monotonic()), 1),
                    "users": runner.user_count, "requests": total.num_requests, "failures": total.num_failures,
                    "rps": round(total.current_rps, 1), "dropped": dropped,
                    "workers": len(runner.clients) if isinstance(runner, MasterRunner) else 0}
            try:
                sys.stdout.write(PROGRESS_PREFIX + json.dumps(line) + "\n")
                sys.stdout.flush()
            except OSError:  # nobody reads our output any more (see _watch_parent)
                return

    def on_test_stop(self, **_: Any) -> None:
        self.stopped = True

    def on_quitting(self, environment: Environment, **_: Any) -> None:
        runner = environment.runner
        if isinstance(runner, WorkerRunner) or runner is None:
            return
        if not self.stopped:
            # Ended by a signal (Ctrl-C, RunningLoad.stop): our listener fires before the
            # runner's own quit, so quit now to stop the users and, on a master, to let
            # the workers' final reports arrive before judging.
            runner.quit()
        if isinstance(runner, LocalRunner):
            stats = self.stats.drain()
            stats["scheduled"], stats["dropped"] = self._pacer_deltas()
            self.run_stats.merge(stats, worker_id="local", worker_index=0)
        elapsed = time.monotonic() - (self.started_monotonic or time.monotonic())
        total = runner.stats.total
        summary = build_summary(self.scenario, self.run_stats, host=environment.host or "",
                                elapsed_s=elapsed, started_at=self.started_at,
                                locust_totals={"requests": total.num_requests, "failures": total.num_failures},
                                exceptions={str(e.get("msg", "?")).strip()[:200]: int(e.get("count", 1))
                                            for e in runner.exceptions.values()})
        for line in summary.breaches:
            log.error(line)
        target = os.environ.get(ENV.SUMMARY)
        if target:
            summary.write(target)
        # Thresholds are the gate, replacing Locust's "any failed request exits 1".
        environment.process_exit_code = summary.exit_code


def _header(response: Any, name: str) -> str | None:
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    try:
        value = headers.get(name) or headers.get(name.lower())
    except Exception:  # noqa: BLE001 - a broken response has no header worth reporting
        return None
    return str(value) if value else None


_RUNTIME: Runtime | None = None


def runtime() -> Runtime:
    if _RUNTIME is None:
        raise LoadtestError("the load-test runtime is not set up (Locust's init event has not fired)")
    return _RUNTIME


def setup(environment: Environment, **_: Any) -> None:
    """Locust ``init`` listener: load the scenario and hook this process's events."""
    global _RUNTIME
    try:
        scenario = load_scenario(os.environ.get(ENV.SCENARIO) or "steady")
        if os.environ.get(ENV.DURATION):
            scenario = scenario.with_duration(float(os.environ[ENV.DURATION]))
        tokens = tokens_from_env() if not isinstance(environment.runner, MasterRunner) else {}
    except LoadtestError as exc:
        sys.stderr.write(f"lendops loadtest: {exc}\n")
        sys.exit(1)
    rt = _RUNTIME = Runtime(scenario=scenario, environment=environment, tokens=tokens)
    events = environment.events
    events.test_start.add_listener(rt.on_test_start)
    events.quitting.add_listener(rt.on_quitting)
    events.test_stop.add_listener(rt.on_test_stop)
    if isinstance(environment.runner, MasterRunner):
        events.worker_report.add_listener(rt.on_worker_report)
    else:
        events.request.add_listener(rt.on_request)
        if isinstance(environment.runner, WorkerRunner):
            events.report_to_master.add_listener(rt.on_report_to_master)


class _CreditPath:
    """The behaviour shared by both user classes (only the HTTP client differs)."""

    journeys: Journeys

    def on_start(self) -> None:
        rt = runtime()
        rt.live_users += 1
        self.journeys = rt.new_journeys(self)

    def on_stop(self) -> None:
        runtime().live_users -= 1

    def wait_time(self) -> float:
        load = runtime().scenario.load
        if isinstance(load, ClosedLoad):
            return self.journeys.rng.uniform(*load.think_time_s)
        return 0.0  # open model: the pacer decides when the next journey starts

    def iteration(self) -> None:
        rt = runtime()
        if rt.dispatcher is not None:
            scheduled = rt.next_start()
            rt.stats.start_lag.record(max(0.0, time.monotonic() - scheduled) * 1000)
        self.journeys.run_one()

    # Locust collects ``tasks`` from base classes that have it (a mixin's @task is not seen).
    tasks = [iteration]


class CreditPathUser(_CreditPath, FastHttpUser):
    """Journeys of the credit path over Locust's fast (geventhttpclient) client."""

    connection_timeout = 10.0
    network_timeout = 30.0


class CreditPathHttpUser(_CreditPath, HttpUser):
    """The same journeys over Locust's requests-based client (for comparison)."""


def chosen_user_class() -> type:
    return CreditPathHttpUser if os.environ.get(ENV.CLIENT) == "requests" else CreditPathUser
