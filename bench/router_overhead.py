"""Router overhead: added latency of the Python router and of HAProxy over calling the
backend directly, measured side by side in one run.

    python bench/router_overhead.py                 # lending service (lendops serve) backend
    python bench/router_overhead.py --backend simple  # minimal threaded HTTP backend
    python bench/router_overhead.py --hash-experiment # HAProxy `balance hdr` stickiness

Targets are measured in interleaved blocks (direct, python, haproxy, direct, ...) so that
machine drift hits all three alike. Bounded: --requests per target per mode.
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LENDOPS = (sys.executable, "-c", "from release.cli import main; main()")

_SIMPLE_BACKEND = r"""
import socket, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    def do_GET(self):
        body = b'{"status":"ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Lending-Track", sys.argv[2] if len(sys.argv) > 2 else "stable")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
class S(ThreadingHTTPServer):
    daemon_threads = True
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(port: int, path: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"nothing ready on port {port}{path}")


@contextmanager
def _backend(kind: str, workdir: Path) -> Iterator[str]:
    if kind == "lending":
        from release.target import LocalTarget

        db = f"sqlite:///{workdir / 'bench.sqlite'}"
        for args in (("db", "upgrade", "--db", db), ("seed", "--db", db)):
            subprocess.run([*LENDOPS, *args], check=True, capture_output=True)
        target = LocalTarget(db_url=db, workdir=workdir / "target", lendops_cmd=LENDOPS)
        try:
            yield target.start_stable("1.0.0")
        finally:
            target.stop_all()
    else:
        port = _free_port()
        proc = subprocess.Popen([sys.executable, "-c", _SIMPLE_BACKEND, str(port)],
                                stderr=subprocess.DEVNULL)
        try:
            _wait_http(port, "/")
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(10)


def _one(conn: http.client.HTTPConnection, path: str, key: str) -> float:
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"X-Customer-Id": key})
    resp = conn.getresponse()
    resp.read()
    if resp.status != 200:
        raise RuntimeError(f"status {resp.status}")
    return time.perf_counter() - t0


def _connection(port: int) -> http.client.HTTPConnection:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def _sequential(ports: dict[str, int], path: str, n: int, block: int) -> dict[str, list[float]]:
    conns = {name: _connection(port) for name, port in ports.items()}
    out: dict[str, list[float]] = {name: [] for name in ports}
    for name, conn in conns.items():  # warm-up: pools, caches
        for i in range(50):
            _one(conn, path, f"w{i}")
    done = 0
    while done < n:
        size = min(block, n - done)
        for name, conn in conns.items():
            out[name] += [_one(conn, path, f"k{done + i}") for i in range(size)]
        done += size
    for conn in conns.values():
        conn.close()
    return out


def _concurrent(port: int, path: str, n: int, clients: int) -> tuple[list[float], float]:
    per = n // clients
    samples: list[list[float]] = [[] for _ in range(clients)]

    def run(c: int) -> None:
        conn = _connection(port)
        samples[c] = [_one(conn, path, f"c{c}-{i}") for i in range(per)]
        conn.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    elapsed = time.perf_counter() - t0
    return [x for s in samples for x in s], per * clients / elapsed


def _cpu(pid: int) -> float:
    """CPU seconds used so far by a router process and its children (HAProxy's child):
    unlike latency, this hardly depends on how busy the machine is."""
    import psutil

    proc = psutil.Process(pid)
    total = 0.0
    for p in (proc, *proc.children(recursive=True)):
        t = p.cpu_times()
        total += t.user + t.system
    return total


def _pct(xs: list[float], q: float) -> float:
    ordered = sorted(xs)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


_HASH_CFG = """
global
    stats socket {sock} mode 600 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend f
    bind 127.0.0.1:{port}
    default_backend app
backend app
    balance hdr(X-Customer-Id)
    hash-type {hash_type}
    server stable 127.0.0.1:{stable} weight 100
    server canary 127.0.0.1:{canary} weight 0
"""


def _runtime(sock: str, line: str) -> str:
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(sock)
        s.sendall(line.encode() + b"\n")
        return b"".join(iter(lambda: s.recv(65536), b"")).decode()


def hash_experiment(keys: int = 1000) -> None:
    """How sticky HAProxy's own header hashing stays while `set weight` grows the
    canary, next to lendops' bucket map (crc32(key) % 100 < weight)."""
    from release.router import bucket_of

    weights = (0, 10, 25, 50, 100)
    names = [f"cust-{i}" for i in range(keys)]
    rows = []
    for hash_type in ("consistent", "map-based"):
        ports = [_free_port(), _free_port()]
        backs = [subprocess.Popen([sys.executable, "-c", _SIMPLE_BACKEND, str(p), t],
                                  stderr=subprocess.DEVNULL)
                 for p, t in zip(ports, ("stable", "canary"))]
        tmp = tempfile.mkdtemp(prefix="lh-")
        sock, port = f"{tmp}/s", _free_port()
        Path(tmp, "h.cfg").write_text(_HASH_CFG.format(sock=sock, port=port, hash_type=hash_type,
                                                       stable=ports[0], canary=ports[1]))
        hap = subprocess.Popen(["haproxy", "-db", "-f", f"{tmp}/h.cfg"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for p in (*ports, port):
                _wait_http(p, "/")
            conn = _connection(port)
            previous: dict[str, str] = {}
            for w in weights:
                _runtime(sock, f"set weight app/canary {w}")
                _runtime(sock, f"set weight app/stable {100 - w}")
                now = {}
                for k in names:
                    conn.request("GET", "/", headers={"X-Customer-Id": k})
                    resp = conn.getresponse()
                    resp.read()
                    now[k] = resp.getheader("X-Lending-Track")
                back = sum(previous.get(k) == "canary" and now[k] == "stable" for k in names)
                share = sum(v == "canary" for v in now.values()) / keys * 100
                rows.append((f"haproxy balance hdr, hash-type {hash_type}", w, share, back))
                previous = now
            conn.close()
        finally:
            hap.terminate()
            hap.wait(10)
            for b in backs:
                b.terminate()
                b.wait(10)
            shutil.rmtree(tmp, ignore_errors=True)
    previous = {}
    for w in weights:
        now = {k: "canary" if bucket_of(k) < w else "stable" for k in names}
        back = sum(previous.get(k) == "canary" and now[k] == "stable" for k in names)
        rows.append(("lendops bucket map (both impls)", w, sum(v == "canary" for v in now.values()) / keys * 100, back))
        previous = now
    print(f"{keys} customer keys, canary weight raised 0 -> 10 -> 25 -> 50 -> 100")
    print("| assignment | weight | canary share % | keys back from canary to stable |")
    print("|---|---|---|---|")
    for name, w, share, back in rows:
        print(f"| {name} | {w} | {share:.1f} | {back} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=["lending", "simple"], default="lending")
    ap.add_argument("--requests", type=int, default=2000, help="per target and mode")
    ap.add_argument("--clients", type=int, default=8, help="threads in the concurrent mode")
    ap.add_argument("--block", type=int, default=100, help="interleaving block size")
    ap.add_argument("--hash-experiment", action="store_true",
                    help="measure HAProxy `balance hdr` stickiness instead of latency")
    args = ap.parse_args()
    if args.hash_experiment:
        hash_experiment()
        return

    from release.router import RouterProcess

    path = "/version" if args.backend == "lending" else "/"
    # "python-asyncio": the same router on the standard event loop instead of uvloop.
    impls = ["python", "python-asyncio"] + (["haproxy"] if shutil.which("haproxy") else [])
    with tempfile.TemporaryDirectory(prefix="lendops-bench-") as tmp, \
            _backend(args.backend, Path(tmp)) as url:
        routers = {}
        try:
            for impl in impls:
                # Both tracks point at the same backend: the split logic runs (weight 50,
                # keyed requests), the backend work is identical to the direct call.
                routers[impl] = RouterProcess.start(
                    _free_port(), _free_port(), url, url, impl.split("-")[0], weight=50,
                    workdir=Path(tmp) / impl,
                    env={"LENDOPS_ROUTER_LOOP": "asyncio"} if impl == "python-asyncio" else None)
            ports = {"direct": int(url.rsplit(":", 1)[1])}
            ports |= {impl: int(r.url.rsplit(":", 1)[1]) for impl, r in routers.items()}
            cpu0 = {impl: _cpu(r.pid) for impl, r in routers.items()}
            seq = _sequential(ports, path, args.requests, args.block)
            cpu = {impl: (_cpu(r.pid) - cpu0[impl]) / (args.requests + 50) * 1e6
                   for impl, r in routers.items()}
            conc = {name: _concurrent(port, path, args.requests, args.clients)
                    for name, port in ports.items()}
        finally:
            for r in routers.values():
                r.stop()

    base_seq = seq["direct"]
    base_conc = conc["direct"][0]
    print(f"backend={args.backend} path={path} requests={args.requests} per target and mode, "
          f"concurrent clients={args.clients}")
    print("| target | router CPU µs/req | seq p50 ms | seq p99 ms | added p50 ms | added p99 ms | "
          f"conc p50 ms | conc p99 ms | conc added p50 ms | conc req/s | req/s vs direct |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in ports:
        s, (c, rps) = seq[name], conc[name]
        print(
            f"| {name} | {cpu[name] if name in cpu else 0:.0f} | {_pct(s, .5):.3f} | {_pct(s, .99):.3f} | "
            f"{_pct(s, .5) - _pct(base_seq, .5):+.3f} | {_pct(s, .99) - _pct(base_seq, .99):+.3f} | "
            f"{_pct(c, .5):.3f} | {_pct(c, .99):.3f} | {_pct(c, .5) - _pct(base_conc, .5):+.3f} | "
            f"{rps:.0f} | {rps / conc['direct'][1]:.2f} |"
        )
    print(f"(mean seq direct {statistics.fmean(base_seq) * 1000:.3f} ms)")


if __name__ == "__main__":
    main()
