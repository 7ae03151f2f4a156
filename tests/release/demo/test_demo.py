"""`lendops demo` end to end: real processes, real Locust, the real controller."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _demo(workdir: Path, *args: str, timeout: float = 400) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "release.cli", "demo", "--workdir", str(workdir), "--provider", "scrape",
         "--json", *args],
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )


def _summary(out: str) -> dict:
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    summaries = [line for line in lines if line.get("type") == "summary"]
    assert summaries, out[-2000:]
    return summaries[-1]


def _pids(workdir: Path) -> list[int]:
    state = json.loads((workdir / "local-runtime.json").read_text())
    target = state.get("target") or {}
    pids = [h["pid"] for h in (target.get(k) for k in ("stable", "canary", "previous")) if h]
    pids += [h["pid"] for h in target.get("lost") or []]
    return pids


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _all_stopped(workdir: Path) -> bool:
    path = workdir / "local-runtime.json"
    if not path.exists():
        return True
    return not any(_alive(p) for p in _pids(workdir))


def test_a_bad_canary_is_rolled_back_naming_its_metric(tmp_path: Path) -> None:
    done = _demo(tmp_path / "errors", "--scenario", "errors", "--duration", "60")
    summary = _summary(done.stdout)
    assert done.returncode == 0, (summary, done.stderr[-2000:])
    assert summary["phase"] == "rolled_back" and summary["metric"] == "error-ratio"
    assert summary["requests_by_track"].get("canary", 0) > 0
    assert _all_stopped(tmp_path / "errors")


def test_a_good_canary_is_promoted(tmp_path: Path) -> None:
    done = _demo(tmp_path / "good", "--scenario", "good", "--duration", "30")
    summary = _summary(done.stdout)
    assert done.returncode == 0, (summary, done.stderr[-2000:])
    assert summary["phase"] == "succeeded" and summary["client_errors"] == 0
    assert _all_stopped(tmp_path / "good")


def test_ctrl_c_stops_every_process(tmp_path: Path) -> None:
    workdir = tmp_path / "interrupted"
    proc = subprocess.Popen(
        [sys.executable, "-m", "release.cli", "demo", "--workdir", str(workdir), "--provider", "scrape",
         "--quiet", "--duration", "300"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state = workdir / "local-runtime.json"
            if state.exists() and len(_pids(workdir)) >= 2:
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)
        else:
            pytest.fail("the demo never started stable and canary")
        rollout = workdir / "rollouts" / "demo" / "rollout.json"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "pid" not in (json.loads(rollout.read_text()).get("load") or {}):
            time.sleep(0.2)  # wait for the Locust load to start too
        started = _pids(workdir) + [json.loads(rollout.read_text())["load"]["pid"]]
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted" in err
    assert not any(_alive(p) for p in started)


def test_a_bad_option_is_one_line_and_non_zero(tmp_path: Path) -> None:
    done = _demo(tmp_path / "bad", "--scenario", "nonsense", timeout=60)
    assert done.returncode == 2
    assert "nonsense" in done.stderr and "Traceback" not in done.stderr
