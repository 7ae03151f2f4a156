"""Real Locust runs against a real lending service (loopback, a few seconds each)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from loadtest.runner import run_scenario, start_scenario
from tests.procs import ServiceProcess, lendops_cmd

from .conftest import SMALL_STEADY


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(lendops_cmd("loadtest", *args), capture_output=True, text=True, timeout=timeout)


def test_a_short_steady_run_passes_its_thresholds(healthy_service: ServiceProcess, lending_db: tuple[str, Path],
                                                  scenario_file: Callable[..., Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = run_scenario(scenario_file(), healthy_service.base_url, tokens_file=lending_db[1], out_dir=out)
    assert summary.passed and summary.exit_code == 0 and summary.breaches == []
    assert summary.failures == 0 and summary.requests > 20
    # Our exact-timing collector and Locust's own statistics saw the same requests.
    assert summary.locust_totals == {"requests": summary.requests, "failures": 0}
    assert {"new_customer.register", "new_customer.apply", "all"} <= set(summary.steps)
    assert summary.outcomes.get("approved", 0) > 0
    assert summary.tracks == {"stable": summary.requests}
    assert set(summary.branches) <= {"522629", "522731", "520526"}  # only branches with a token
    assert sum(summary.branches.values()) == summary.requests
    assert [t["passed"] for t in summary.thresholds] == [True, True, True]
    assert (out / "report.html").read_text(encoding="utf-8").lstrip().startswith("<!")
    stats_csv = (out / "locust_stats.csv").read_text(encoding="utf-8")
    assert "/v1/customers/{customer_id}/credit" in stats_csv or "/v1/customers" in stats_csv
    assert "/v1/loans/1" not in stats_csv  # requests are named by route template
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["passed"] is True


def test_the_same_run_against_injected_errors_fails_naming_the_threshold(
        service_with_faults: Callable[[str], ServiceProcess], lending_db: tuple[str, Path],
        scenario_file: Callable[..., Path], tmp_path: Path) -> None:
    bad = service_with_faults("error_rate=0.3")
    out = tmp_path / "out"
    done = _cli("run", str(scenario_file()), "--host", bad.base_url, "--tokens", str(lending_db[1]),
                "--out", str(out), "--quiet", "--duration", "3")
    assert done.returncode == 3, done.stderr
    breach = re.search(r"BREACH threshold max_failure_ratio: measured ([0-9.]+) \((\d+) of (\d+) requests failed\), "
                       r"breaches limit 0\.01", done.stderr)
    assert breach, done.stderr
    assert 0.1 < float(breach.group(1)) < 0.6
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["passed"] is False and summary["failures"] == int(breach.group(2))
    assert summary["tracks"] == {"canary": summary["requests"]}
    assert "FAILED" in done.stdout


def test_a_distributed_run_with_two_workers_sums_both_workers_requests(
        healthy_service: ServiceProcess, lending_db: tuple[str, Path], scenario_file: Callable[..., Path],
        tmp_path: Path) -> None:
    summary = run_scenario(scenario_file(), healthy_service.base_url, tokens_file=lending_db[1],
                           out_dir=tmp_path / "out", workers=2)
    assert len(summary.workers) == 2
    assert sorted(w["index"] for w in summary.workers) == [0, 1]
    assert all(w["requests"] > 0 for w in summary.workers)
    assert sum(w["requests"] for w in summary.workers) == summary.requests == summary.locust_totals["requests"]
    assert sum(w["journeys"] for w in summary.workers) == summary.iterations
    assert summary.passed, summary.breaches


def test_a_scenario_file_with_a_mistake_is_refused_pointing_at_it(
        scenario_file: Callable[..., Path], tmp_path: Path) -> None:
    path = scenario_file(SMALL_STEADY.replace("users: 4,", "users: many,"), name="broken.yaml")
    out = tmp_path / "out"
    done = _cli("run", str(path), "--host", "http://127.0.0.1:9", "--token", "t", "--branch", "522629",
                "--out", str(out), "--quiet")
    assert done.returncode == 2
    assert f"{path}:5: load.users: Input should be a valid integer" in done.stderr
    assert not (out / "locust.log").exists()  # refused before Locust started


def test_the_open_model_counts_starts_it_could_not_make_on_time(
        service_with_faults: Callable[[str], ServiceProcess], lending_db: tuple[str, Path],
        scenario_file: Callable[..., Path], tmp_path: Path) -> None:
    slow = service_with_faults("latency_ms=400")
    text = SMALL_STEADY.replace("{model: closed, users: 4, spawn_rate: 4, think_time_s: [0.1, 0.3]}",
                                "{model: open, rate: 8, max_users: 2}")
    text = text.replace("  max_failure_ratio: 0.01\n", "  max_failure_ratio: 0.01\n  max_dropped_ratio: 0.05\n")
    summary = run_scenario(scenario_file(text), slow.base_url, tokens_file=lending_db[1], out_dir=tmp_path / "o")
    # 2 users, journeys of several 400 ms requests: most of the 8/s starts find no free user.
    assert summary.model == "open"
    assert summary.scheduled >= 20
    assert summary.dropped > summary.scheduled / 2
    # Every scheduled start either ran or was dropped (one handed out as the run ended may not have run).
    assert summary.scheduled - 2 <= summary.iterations + summary.dropped <= summary.scheduled
    assert any(line.startswith("threshold max_dropped_ratio: measured") for line in summary.breaches)


def test_a_background_run_can_be_stopped_early_and_still_reports(
        healthy_service: ServiceProcess, lending_db: tuple[str, Path], scenario_file: Callable[..., Path],
        tmp_path: Path) -> None:
    seen: list[dict[str, object]] = []
    load = start_scenario(scenario_file(), healthy_service.base_url, tokens_file=lending_db[1], duration_s=120,
                          out_dir=tmp_path / "bg", on_progress=seen.append)
    try:
        deadline = time.monotonic() + 60
        while not any(int(p.get("requests", 0)) > 5 for p in seen) and time.monotonic() < deadline:
            assert load.running
            time.sleep(0.2)
        summary = load.stop()
    finally:
        if load.running:
            load._kill()
    assert summary.requests > 5 and summary.elapsed_s < 120
    assert (tmp_path / "bg" / "report.html").exists()
    assert not load.running


def test_plain_locust_runs_the_locustfile(healthy_service: ServiceProcess, lending_db: tuple[str, Path],
                                          scenario_file: Callable[..., Path], tmp_path: Path) -> None:
    import loadtest

    locustfile = Path(loadtest.__file__).with_name("locustfile.py")
    env = dict(os.environ, LENDOPS_SCENARIO=str(scenario_file()), LENDING_TOKENS_FILE=str(lending_db[1]),
               LENDOPS_LOADTEST_DURATION="3", LENDOPS_LOADTEST_SUMMARY=str(tmp_path / "s.json"))
    done = subprocess.run([sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--only-summary",
                           "--host", healthy_service.base_url], capture_output=True, text=True, env=env,
                          timeout=90, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert summary["requests"] > 0 and summary["passed"] is True


def test_the_runner_and_cli_never_import_locust() -> None:
    # Importing Locust monkey-patches the process with gevent: the release controller
    # that calls loadtest.runner must keep its threads and sockets as they are.
    code = ("import sys, loadtest, loadtest.runner, loadtest.cli, loadtest.summary; "
            "from loadtest import run_scenario; "
            "print('locust' in sys.modules, 'gevent' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["False", "False"], done.stderr


def test_a_run_ends_when_the_process_that_started_it_dies(healthy_service: ServiceProcess, lending_db: tuple[str, Path],
                                           scenario_file: Callable[..., Path], tmp_path: Path) -> None:
    # The controller starts rollout traffic "until stopped" and then dies without
    # stopping it: the Locust process notices its parent is gone and ends the run.
    out = tmp_path / "orphan"
    code = (f"import sys, time; from loadtest.runner import start_scenario; "
            f"load = start_scenario({str(scenario_file())!r}, {healthy_service.base_url!r}, "
            f"tokens_file={str(lending_db[1])!r}, out_dir={str(out)!r}, until_stopped=True); "
            f"print(load.proc.pid, flush=True); time.sleep(4)")
    parent = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    child = int(parent.stdout.split()[0])
    deadline = time.monotonic() + 60
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    alive = Path(f"/proc/{child}").exists() and "Z" not in Path(f"/proc/{child}/stat").read_text().split()[2]
    if alive:  # never leave it running, whatever the assertion says
        os.killpg(child, 9)
    assert not alive
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["elapsed_s"] < 60
