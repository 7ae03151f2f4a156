"""Shared fixtures of the release end-to-end tests: a prepared database, manager tokens,
bounded client traffic through the router, the `lendops release` command line, and
teardown that stops every process a rollout started (controller, router, services)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.procs import create_token, lendops_cmd, prepare_db

PILOT_BRANCH = "522629"
OTHER_BRANCH = "522301"


@dataclass
class ReleaseEnv:
    root: Path
    db_url: str
    workdir: Path
    tokens: dict[str, str]

    def spec(self, *, canary_faults: str = "", steps: str, analysis: str = "{interval: 1s}",
             name: str = "lending", extra: str = "") -> Path:
        text = f"""\
apiVersion: lendops.dev/v1alpha1
kind: Rollout
metadata: {{name: {name}}}
spec:
  stable: {{version: "1.0.0"}}
  canary: {{version: "1.1.0", faults: "{canary_faults}"}}
  target: {{local: {{db: "{self.db_url}", workdir: "{self.workdir}"}}}}
  traffic: {{provider: local-router, impl: python}}
  analysis: {analysis}
  steps:
{steps}
{extra}"""
        path = self.root / f"{name}.yaml"
        path.write_text(text)
        return path

    def cli(self, *args: str, timeout: float = 60, check: bool = False) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, LENDOPS_WORKDIR=str(self.workdir))
        done = subprocess.run(lendops_cmd("release", *args), capture_output=True, text=True, timeout=timeout,
                              env=env, cwd=self.root, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"lendops release {' '.join(args)} -> {done.returncode}\n{done.stdout}\n{done.stderr}")
        return done

    def status(self) -> dict[str, Any]:
        return json.loads(self.cli("status", "--json", check=True).stdout)

    def wait_status(self, predicate: Callable[[dict[str, Any]], bool], timeout: float, what: str) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            path = self.workdir / "rollouts"
            docs = list(path.glob("*/rollout.json"))
            if docs:
                try:
                    doc = json.loads(docs[0].read_text())
                except ValueError:
                    doc = {}
                if doc:
                    last = {**doc["state"], "router_url": doc.get("router_url"), "runtime": doc.get("runtime")}
                    if predicate(last):
                        return last
            time.sleep(0.2)
        log = ""
        for p in path.glob("*/controller.log"):
            log = p.read_text(errors="replace")[-3000:]
        raise AssertionError(f"timed out waiting for {what}; last state phase={last.get('phase')} "
                             f"reason={last.get('reason')}\n{log}")


    def wait_done(self, timeout: float, what: str = "the end of the rollout") -> dict[str, Any]:
        """A final phase, and the controller has exited (its last notes are written)."""
        from release.controller import RolloutStore

        final = {"succeeded", "rolled_back", "aborted"}

        def done(s: dict[str, Any]) -> bool:
            return s["phase"] in final and RolloutStore(self.workdir, s["name"]).controller_pid() is None

        return self.wait_status(done, timeout, what)


@pytest.fixture
def release_env(tmp_path: Path) -> Iterator[ReleaseEnv]:
    db_url = f"sqlite:///{tmp_path / 'lending.sqlite'}"
    prepare_db(db_url)
    tokens = {code: create_token(db_url, "manager", branch=code) for code in (PILOT_BRANCH, OTHER_BRANCH)}
    env = ReleaseEnv(tmp_path, db_url, tmp_path / "wd", tokens)
    yield env
    _teardown(env)


def _teardown(env: ReleaseEnv) -> None:
    # The controller first (it is ours: started by this test through the CLI), then
    # the router and services it started, found through the workdir's state file.
    for lock in (env.workdir / "rollouts").glob("*/controller.lock"):
        text = lock.read_text().strip()
        from release.controller import RolloutStore

        store = RolloutStore(env.workdir, lock.parent.name)
        if text.isdigit() and store.controller_pid():
            try:
                os.kill(int(text), signal.SIGKILL)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(
        RolloutStore(env.workdir, p.parent.name).controller_pid() for p in (env.workdir / "rollouts").glob("*/controller.lock")
    ):
        time.sleep(0.1)
    from release.controller.local import stop_local

    stop_local(env.workdir)
    # A Locust load the (killed) controller had started runs in its own session.
    for doc_path in (env.workdir / "rollouts").glob("*/rollout.json"):
        pid = (json.loads(doc_path.read_text()).get("load") or {}).get("pid")
        if pid:
            try:
                os.killpg(int(pid), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


@dataclass
class Traffic:
    """A few client threads sending credit applications through the router.

    Every request carries ``X-Branch-Code`` and a fresh ``X-Customer-Id`` routing key,
    so cohort routing and the sticky weight split both apply. Bounded: threads stop on
    ``stop()`` and every request has a timeout.
    """

    base_url: str
    tokens: dict[str, str]
    threads: int = 2
    think_s: float = 0.0
    seed: int = 7
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> Traffic:
        for i in range(self.threads):
            t = threading.Thread(target=self._loop, args=(i,), daemon=True)
            t.start()
            self._workers.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in self._workers:
            t.join(15)

    def _count(self, key: str, detail: str = "") -> None:
        with self._lock:
            self.counts[key] += 1
            if detail and len(self.failures) < 50:
                self.failures.append(detail)

    def _loop(self, index: int) -> None:
        from loadtest.data import Branch, customer_payload

        rng = random.Random(self.seed + index)
        session = requests.Session()
        codes = sorted(self.tokens)
        n = 0
        while not self._stop.is_set():
            n += 1
            code = codes[n % len(codes)]
            key = uuid.uuid4().hex
            headers = {"Authorization": f"Bearer {self.tokens[code]}", "X-Branch-Code": code, "X-Customer-Id": key}
            body = customer_payload(rng, Branch(code), today=date.today(), serial=rng.randrange(1000))
            try:
                r = session.post(f"{self.base_url}/v1/customers", json=body, headers=headers, timeout=10)
                track = r.headers.get("X-Lending-Track", "?")
                self._count(f"{track}:{r.status_code // 100}xx")
                if r.status_code >= 500:
                    self._count("failed", f"register {r.status_code}")
                    continue
                if r.status_code != 201:
                    continue
                customer = r.json()["customer_id"]
                r = session.post(f"{self.base_url}/v1/credit/applications", json={"customer_id": customer},
                                 headers=headers, timeout=10)
                self._count(f"{r.headers.get('X-Lending-Track', '?')}:{r.status_code // 100}xx")
                if r.status_code >= 500:
                    self._count("failed", f"apply {r.status_code}")
            except requests.RequestException as exc:
                self._count("failed", f"{type(exc).__name__}")
            if self.think_s:
                self._stop.wait(self.think_s)
        session.close()


@pytest.fixture
def traffic_factory() -> Iterator[Callable[..., Traffic]]:
    started: list[Traffic] = []

    def make(base_url: str, tokens: dict[str, str], **kw: Any) -> Traffic:
        t = Traffic(base_url, tokens, **kw).start()
        started.append(t)
        return t

    yield make
    for t in started:
        t.stop()
