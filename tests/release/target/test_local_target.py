"""LocalTarget against real ``lendops serve`` processes."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from release.router import RouterProcess
from release.target import LocalTarget, Target, TargetError
from release.traffic import LocalRouterProvider, TrafficSplit

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("core_lending.cli") is None,
    reason="core_lending.cli (lendops serve) is not there yet",
)

LENDOPS = (sys.executable, "-c", "from release.cli import main; main()")


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    from tests.procs import prepare_db

    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'lending.sqlite'}"
    prepare_db(url)
    return url


@pytest.fixture
def target(db_url: str, tmp_path: Path) -> Iterator[LocalTarget]:
    t = LocalTarget(db_url=db_url, workdir=tmp_path / "target", lendops_cmd=LENDOPS,
                    env={"LENDING_PAYOUT_DELAY_MS": "10"}, ready_timeout=60)
    yield t
    t.stop_all()


def _version(url: str) -> dict[str, object]:
    r = requests.get(f"{url}/version", timeout=5)
    r.raise_for_status()
    return dict(r.json())


def test_start_promote_and_stop(target: LocalTarget) -> None:
    assert isinstance(target, Target)
    stable = target.start_stable("1.0.0")
    canary = target.start_canary("1.1.0", faults="latency_ms=5")
    assert target.endpoints() == {"stable": stable, "canary": canary}
    assert _version(stable)["version"] == "1.0.0"
    got = _version(canary)
    assert (got["version"], got["track"]) == ("1.1.0", "canary")
    assert "latency_ms" in json.dumps(got["faults"])
    with pytest.raises(TargetError):
        target.start_canary("1.2.0")

    old_stable = target.stable
    old_canary = target.canary
    assert old_stable is not None and old_canary is not None
    new_stable = target.promote()
    got = _version(new_stable)
    assert (got["version"], got["track"]) == ("1.1.0", "stable")
    assert target.previous is old_stable and old_stable.owned()  # still serving until repointed
    target.stop_previous()
    target.stop_canary()
    assert not old_stable.owned() and not old_canary.owned()
    assert target.endpoints() == {"stable": new_stable, "canary": None}
    assert Path(old_canary.log_path).exists()


def test_state_restores_after_a_controller_restart(target: LocalTarget, db_url: str) -> None:
    target.start_stable("1.0.0")
    target.start_canary("1.1.0")
    state = json.loads(json.dumps(target.state()))  # it is persisted as JSON

    again = LocalTarget.restore(state, lendops_cmd=LENDOPS)
    assert again.endpoints() == target.endpoints()
    assert again.canary is not None and again.canary.pid == state["canary"]["pid"]
    again.stop_canary()
    assert target.canary is not None and not target.canary.owned()

    # A dead process: strict restore refuses, lenient restore reports it as lost.
    with pytest.raises(TargetError) as err:
        LocalTarget.restore(state, lendops_cmd=LENDOPS)
    assert err.value.track == "canary"
    lenient = LocalTarget.restore(state, lendops_cmd=LENDOPS, strict=False)
    assert [h.track for h in lenient.lost] == ["canary"]
    assert lenient.endpoints()["stable"] == target.endpoints()["stable"]


def test_restore_never_adopts_a_foreign_process(target: LocalTarget) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        state = target.state() | {"stable": {
            "track": "stable", "version": "9", "faults": None, "host": "127.0.0.1",
            "port": 1, "pid": sleeper.pid, "log_path": "/nonexistent"}}
        assert target.state()["stable"] is None
        lenient = LocalTarget.restore(state, lendops_cmd=LENDOPS, strict=False)
        assert lenient.stable is None and len(lenient.lost) == 1
        lenient.stop_all()  # the pid is not a `serve` on port 1: left alone
        assert sleeper.poll() is None
        # A recorded start time that does not match (the pid was reused) is not ours either.
        reused = dict(state["stable"], start_ticks=1)
        assert not LocalTarget.restore(state | {"stable": reused}, lendops_cmd=LENDOPS,
                                       strict=False).lost[0].owned()
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait(5)


def test_a_process_that_cannot_start_reports_its_log(target: LocalTarget) -> None:
    with pytest.raises(TargetError) as err:
        target.start_canary("1.1.0", faults="error_rate=banana")
    assert err.value.track == "canary"
    assert err.value.log_tail  # the service's own complaint, for the operator
    assert target.canary is None


@pytest.mark.parametrize("impl", ["python", "haproxy"])
def test_router_in_front_of_real_services_drops_nothing(
    target: LocalTarget, db_url: str, tmp_path: Path, impl: str
) -> None:
    if impl == "haproxy" and not Path("/usr/sbin/haproxy").exists():
        pytest.skip("haproxy not installed")
    from tests.procs import free_port

    stable = target.start_stable("1.0.0")
    canary = target.start_canary("1.1.0")
    router = RouterProcess.start(free_port(), free_port(), stable, canary, impl,
                                 workdir=tmp_path / "router")
    try:
        provider = LocalRouterProvider(router.admin_url)
        failures: list[str] = []
        versions: Counter[str] = Counter()
        lock = threading.Lock()

        def client(worker: int) -> None:
            with requests.Session() as s:
                for i in range(120):
                    try:
                        r = s.get(f"{router.url}/version", timeout=10,
                                  headers={"X-Customer-Id": f"{worker}-{i % 17}",
                                           "X-Branch-Code": "JH01" if i % 4 == 0 else "QL02"})
                        with lock:
                            if r.status_code == 200:
                                versions[r.json()["version"]] += 1
                            else:
                                failures.append(f"{r.status_code} {r.text[:200]}")
                    except requests.RequestException as exc:
                        with lock:
                            failures.append(repr(exc))

        threads = [threading.Thread(target=client, args=(w,)) for w in range(3)]
        for t in threads:
            t.start()
        plan = [TrafficSplit(weight=w, cohort=frozenset(c)) for w, c in
                [(10, {"JH01"}), (25, ()), (50, {"JH01"}), (100, ()), (0, ())]]
        for step in range(30):
            if not any(t.is_alive() for t in threads):
                break
            provider.apply(plan[step % len(plan)])
            for t in threads:
                t.join(timeout=0.05)
        for t in threads:
            t.join(timeout=120)
        assert failures == []
        assert sum(versions.values()) == 360
        assert versions["1.0.0"] > 0 and versions["1.1.0"] > 0
    finally:
        router.stop()
    assert os.path.exists(target.workdir)


def test_stop_all_stops_an_owned_process_that_was_lost(target: LocalTarget) -> None:
    target.start_stable("1.0.0")
    state = target.state()
    assert target.stable is not None
    pid = target.stable.pid
    # Pretend it stopped answering: restore lists it as lost, stop_all still ends it.
    state["stable"] = dict(state["stable"], port=1)
    lenient = LocalTarget.restore(state, lendops_cmd=LENDOPS, strict=False)
    assert [h.pid for h in lenient.lost] == [pid]
    lenient.stop_all()
    assert not target.stable.owned()
