"""Both router implementations, as real processes in front of real HTTP backends."""

from __future__ import annotations

import shutil
import threading
import uuid
from collections import Counter

import pytest
import requests

from release.router import RouterProcess, bucket_of
from release.traffic import LocalRouterProvider, TrafficSplit

from .backend import Backend, free_port

IMPLS = [
    "python",
    pytest.param("haproxy", marks=pytest.mark.skipif(
        shutil.which("haproxy") is None, reason="Debian package haproxy not installed")),
]


def _within_binomial(count: int, n: int, p: float) -> bool:
    # 4.5 sigma: a false failure about once in 150,000 runs.
    return abs(count - n * p) <= 4.5 * (n * p * (1 - p)) ** 0.5 + 1


@pytest.mark.parametrize("impl", IMPLS)
def test_split_cohort_and_sticky_assignment(impl, stable, canary, start_router, session) -> None:  # type: ignore[no-untyped-def]
    router = start_router(stable.url, canary.url, impl, weight=0)
    provider = LocalRouterProvider(router.admin_url)

    # Weight share converges: unique keys, so each request is an independent bucket.
    provider.apply(TrafficSplit(weight=25))
    n = 400
    tracks = Counter(
        session.get(f"{router.url}/x", headers={"X-Customer-Id": uuid.uuid4().hex},
                    timeout=5).headers["X-Lending-Track"]
        for _ in range(n)
    )
    assert _within_binomial(tracks["canary"], n, 0.25), tracks

    # Requests without a key are split per request at random.
    tracks = Counter(session.get(f"{router.url}/x", timeout=5).headers["X-Lending-Track"]
                     for _ in range(n))
    assert _within_binomial(tracks["canary"], n, 0.25), tracks

    # Cohort branches always reach canary, even at weight 0; other branches don't.
    provider.apply(TrafficSplit(weight=0, cohort=frozenset({"JH01", "LS05"})))
    for i in range(40):
        branch = ("JH01", "LS05")[i % 2]
        r = session.get(f"{router.url}/x", headers={"X-Branch-Code": branch,
                                                    "X-Customer-Id": f"c{i}"}, timeout=5)
        assert r.headers["X-Lending-Track"] == "canary"
        r = session.get(f"{router.url}/x", headers={"X-Branch-Code": "QL03",
                                                    "X-Customer-Id": f"c{i}"}, timeout=5)
        assert r.headers["X-Lending-Track"] == "stable"

    # Sticky: a key (customer id, else the Authorization header) never goes back from
    # canary to stable while the weight grows.
    keys = [{"X-Customer-Id": f"cust-{i}"} for i in range(60)] + [
        {"Authorization": f"Bearer tok-{i}"} for i in range(60)]
    seen: list[dict[int, str]] = []
    for weight in (0, 10, 25, 50, 100):
        provider.apply(TrafficSplit(weight=weight))
        seen.append({i: session.get(f"{router.url}/x", headers=h, timeout=5)
                     .headers["X-Lending-Track"] for i, h in enumerate(keys)})
    for before, after in zip(seen, seen[1:]):
        assert [i for i in before if before[i] == "canary" and after[i] == "stable"] == []
    # Both implementations assign exactly by crc32(key) % 100 < weight.
    for weight, got in zip((0, 10, 25, 50, 100), seen):
        expected = {i: "canary" if bucket_of(next(iter(h.values()))) < weight else "stable"
                    for i, h in enumerate(keys)}
        assert got == expected
    assert set(seen[0].values()) == {"stable"}
    assert set(seen[-1].values()) == {"canary"}
    assert 0 < list(seen[2].values()).count("canary") < len(keys)


@pytest.mark.parametrize("impl", IMPLS)
def test_admin_api_and_metrics(impl, stable, canary, start_router, session) -> None:  # type: ignore[no-untyped-def]
    router = start_router(stable.url, canary.url, impl, weight=10, cohort=["JH01"])
    cfg = session.get(f"{router.admin_url}/config", timeout=5).json()
    assert cfg == {"stable": stable.url, "canary": canary.url, "weight": 10,
                   "cohort": ["JH01"], "generation": 1}
    bad = session.put(f"{router.admin_url}/config", json={"weight": 150}, timeout=5)
    assert bad.status_code == 422
    assert bad.headers["Content-Type"].startswith("application/problem+json")
    assert bad.json()["field"] == "weight"
    new = session.put(f"{router.admin_url}/config", json={"weight": 40, "cohort": []},
                      timeout=5).json()
    assert (new["weight"], new["cohort"], new["generation"]) == (40, [], 2)
    for _ in range(5):
        session.get(f"{router.url}/x", headers={"X-Customer-Id": "c"}, timeout=5)
    text = session.get(f"{router.admin_url}/metrics", timeout=5).text
    assert "lendops_router_canary_weight 40.0" in text
    assert "lendops_router_cohort_size 0.0" in text
    assert "lendops_router_config_generation 2.0" in text
    served = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                 if line.startswith("lendops_router_requests_total{"))
    assert served >= 5
    if impl == "python":
        assert 'lendops_router_request_duration_seconds_count{track=' in text
    promtool = shutil.which("promtool")
    if promtool:  # naming and type lint, as Prometheus' own tool sees it
        import subprocess
        lint = subprocess.run([promtool, "check", "metrics"], input=text.encode(),
                              capture_output=True, timeout=30, check=False)
        assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.mark.parametrize("impl", IMPLS)
def test_down_backend_answers_502_problem_json(impl, stable, start_router, session) -> None:  # type: ignore[no-untyped-def]
    nothing = f"http://127.0.0.1:{free_port()}"
    router = start_router(stable.url, nothing, impl, weight=100)
    r = session.get(f"{router.url}/v1/x", timeout=10)
    assert r.status_code == 502
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert r.json()["type"] == "https://lendops.dev/problems/bad-gateway"


@pytest.mark.parametrize("impl", IMPLS)
def test_slow_backend_answers_504(impl, stable, canary, start_router, session) -> None:  # type: ignore[no-untyped-def]
    router = start_router(stable.url, canary.url, impl, extra_args=["--read-timeout", "0.3"])
    r = session.get(f"{router.url}/slow?delay=2", timeout=10)
    assert r.status_code == 504
    assert r.json()["type"] == "https://lendops.dev/problems/gateway-timeout"
    assert session.get(f"{router.url}/fast", timeout=5).status_code == 200


@pytest.mark.parametrize("impl", IMPLS)
def test_bodies_and_headers_pass_through(impl, stable, canary, start_router, session) -> None:  # type: ignore[no-untyped-def]
    router = start_router(stable.url, canary.url, impl)
    body = bytes(range(256)) * 12_000  # ~3 MB: above the Python router's buffer limit
    r = session.post(f"{router.url}/echo?q=1%202", data=body,
                     headers={"X-Customer-Id": "c1", "Idempotency-Key": "k1",
                              "X-Forwarded-For": "10.0.0.9", "Connection": "keep-alive, X-Drop",
                              "X-Drop": "secret", "Content-Type": "application/octet-stream"},
                     timeout=10)
    assert r.status_code == 200
    echo = r.json()
    import hashlib
    assert echo["body_len"] == len(body)
    assert echo["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert echo["path"] == "/echo?q=1%202"
    headers = {k.lower(): v for k, v in echo["headers"].items()}
    assert headers["x-customer-id"] == "c1"
    assert headers["idempotency-key"] == "k1"
    assert headers["x-forwarded-for"].startswith("10.0.0.9, 127.0.0.1")
    if impl == "python":
        assert "x-drop" not in headers  # named in Connection: hop-by-hop
    # Chunked upload (no Content-Length) and a streamed 2 MB response.
    r = session.post(f"{router.url}/echo", data=iter([b"a" * 70_000, b"b" * 70_000]), timeout=10)
    assert r.json()["body_len"] == 140_000
    r = session.get(f"{router.url}/stream?kb=2048", timeout=10)
    assert r.status_code == 200 and len(r.content) == 2048 * 1024
    # Status codes pass through untouched; HEAD keeps the length, sends no body.
    head = session.head(f"{router.url}/x", timeout=5)
    assert head.status_code == 200 and int(head.headers["Content-Length"]) > 0
    assert head.content == b""
    assert session.get(f"{router.url}/x?status=204", timeout=5).status_code == 204
    assert session.get(f"{router.url}/x?status=404", timeout=5).status_code == 404
    assert session.get(f"{router.url}/x?status=503", timeout=5).status_code == 503


def _hammer(url: str, n: int, worker: int, failures: list[str], tracks: Counter[str],
            lock: threading.Lock) -> None:
    with requests.Session() as s:
        for i in range(n):
            headers = {"X-Customer-Id": f"w{worker}-c{i % 37}"}
            if i % 5 == 0:
                headers["X-Branch-Code"] = "JH01"
            try:
                if i % 3 == 0:
                    r = s.post(f"{url}/v1/apply", json={"i": i}, timeout=10, headers=headers)
                else:
                    r = s.get(f"{url}/v1/quote?i={i}", timeout=10, headers=headers)
                ok = r.status_code == 200 and r.json()["track"] == r.headers["X-Lending-Track"]
                outcome = r.headers.get("X-Lending-Track", "?") if ok else f"status {r.status_code}"
            except requests.RequestException as exc:
                ok, outcome = False, repr(exc)
            with lock:
                if ok:
                    tracks[outcome] += 1
                else:
                    failures.append(outcome)


@pytest.mark.parametrize("impl", IMPLS)
def test_zero_failed_requests_while_split_and_backends_change(  # type: ignore[no-untyped-def]
    impl, stable, canary, start_router
) -> None:
    router = start_router(stable.url, canary.url, impl)
    provider = LocalRouterProvider(router.admin_url)
    stable2 = Backend("stable", name="stable-2")
    failures: list[str] = []
    tracks: Counter[str] = Counter()
    lock = threading.Lock()
    workers = [threading.Thread(target=_hammer, args=(router.url, 250, w, failures, tracks, lock))
               for w in range(4)]
    try:
        for t in workers:
            t.start()
        changes = 0
        plan = [TrafficSplit(weight=w, cohort=frozenset(c)) for w, c in
                [(0, ()), (10, {"JH01"}), (25, ()), (50, {"JH01", "QL03"}), (100, ()),
                 (50, {"JH01"}), (0, ())]]
        # Bounded: at most 40 changes, stop once the workers are done.
        while any(t.is_alive() for t in workers) and changes < 40:
            provider.apply(plan[changes % len(plan)])
            if changes == 3:
                provider.set_backends(stable=stable2.url)
            if changes == 9:
                provider.set_backends(stable=stable.url)
            changes += 1
            for t in workers:
                t.join(timeout=0.05)
        for t in workers:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in workers)
        assert failures == []
        assert sum(tracks.values()) == 1000
        assert tracks["canary"] > 0 and tracks["stable"] > 0
        assert changes >= 4
        assert provider.config()["generation"] >= changes + 1
        assert stable2.hits > 0
    finally:
        stable2.stop()


def test_attach_and_stop_by_pid(stable, canary, tmp_path) -> None:  # type: ignore[no-untyped-def]
    proc = RouterProcess.start(free_port(), free_port(), stable.url, canary.url,
                               workdir=tmp_path)
    try:
        again = RouterProcess.attach(proc.pid, proc.url, proc.admin_url)
        assert again.alive()
        assert requests.get(f"{again.url}/x", timeout=5).status_code == 200
        again.stop()
        assert not proc.alive()
    finally:
        proc.stop()


@pytest.mark.parametrize("impl", IMPLS)
def test_router_outlives_a_killed_controller(impl, stable, canary, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json
    import os
    import signal
    import subprocess
    import sys

    ports = (free_port(), free_port())
    code = (
        "import json, sys, time\n"
        "from pathlib import Path\n"
        "from release.router import RouterProcess\n"
        f"p = RouterProcess.start({ports[0]}, {ports[1]}, {stable.url!r}, {canary.url!r}, "
        f"{impl!r}, weight=30, workdir=Path({str(tmp_path)!r}))\n"
        "print(json.dumps({'pid': p.pid, 'url': p.url, 'admin_url': p.admin_url}), flush=True)\n"
        "time.sleep(60)\n"
    )
    controller = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    router = None
    info: dict[str, object] = {}
    try:
        assert controller.stdout is not None
        info = json.loads(controller.stdout.readline())
        os.kill(controller.pid, signal.SIGKILL)
        controller.wait(10)
        router = RouterProcess.attach(info["pid"], info["url"], info["admin_url"])
        assert requests.get(f"{router.url}/x", timeout=5).status_code == 200
        assert LocalRouterProvider(router.admin_url).current() == TrafficSplit(weight=30)
    finally:
        if controller.poll() is None:
            controller.kill()
            controller.wait(10)
        if router is None and info:
            os.killpg(int(info["pid"]), signal.SIGTERM)  # type: ignore[call-overload]
        if router is not None:
            router.stop()
            assert not router.alive()


@pytest.mark.parametrize("impl", IMPLS)
def test_expect_100_continue_is_answered(impl, stable, canary, start_router) -> None:  # type: ignore[no-untyped-def]
    import socket

    router = start_router(stable.url, canary.url, impl)
    host, port = router.url.removeprefix("http://").split(":")
    body = b"z" * 5000
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                     b"Expect: 100-continue\r\n\r\n" % len(body))
        interim = sock.recv(4096)  # bounded by the socket timeout
        assert interim.startswith(b"HTTP/1.1 100")
        sock.sendall(body)
        reply = b""
        while b'"body_len"' not in reply and len(reply) < 65536:
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200")
    assert b'"body_len": 5000' in reply


@pytest.mark.parametrize("impl", IMPLS)
def test_backend_dying_mid_body_cuts_the_client_connection(impl, stable, canary, start_router) -> None:  # type: ignore[no-untyped-def]
    router = start_router(stable.url, canary.url, impl)
    with requests.Session() as s:
        with pytest.raises((requests.exceptions.ChunkedEncodingError,
                            requests.exceptions.ConnectionError)):
            s.get(f"{router.url}/truncate", timeout=10).content  # noqa: B018
        # The router itself is fine afterwards.
        assert s.get(f"{router.url}/x", timeout=5).status_code == 200


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_a_dead_haproxy_child_is_restarted_with_the_split_in_force(  # type: ignore[no-untyped-def]
    stable, canary, start_router
) -> None:
    import os
    import signal
    import time

    import psutil

    router = start_router(stable.url, canary.url, "haproxy")
    LocalRouterProvider(router.admin_url).apply(TrafficSplit(weight=100))
    first = psutil.Process(router.pid).children()
    assert [c.name() for c in first] == ["haproxy"]
    os.kill(first[0].pid, signal.SIGKILL)  # a child this test's router started
    track = None
    for _ in range(200):  # bounded: the watchdog polls every 0.5 s
        time.sleep(0.05)
        try:
            r = requests.get(f"{router.url}/x", timeout=2)
        except requests.RequestException:
            continue
        if psutil.Process(router.pid).children() and r.status_code == 200:
            track = r.headers["X-Lending-Track"]
            break
    assert track == "canary"  # weight 100 survived the restart
    assert [c.pid for c in psutil.Process(router.pid).children()] != [first[0].pid]
    assert requests.get(f"{router.admin_url}/healthz", timeout=5).json()["status"] == "ok"
