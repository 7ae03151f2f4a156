"""Client probe overhead: what the SDK's measuring costs per call, and what a dead or
hanging telemetry endpoint costs the business calls (goal: nothing).

    python bench/client_probe.py                      # ~30 s
    python bench/client_probe.py --calls 300 --rounds 8 --write-results

Variants, in interleaved blocks against one local HTTP server on 127.0.0.1 (a minimal
WSGI app in its own process answering instantly, so the client's own cost is what
differs):
  raw        requests.Session().post(...), nothing measured
  sdk        LendingClient, telemetry off
  sdk+tel    LendingClient shipping telemetry to a healthy endpoint
  sdk+hang   LendingClient whose telemetry endpoint holds every request for 30 s
Reported per variant: median wall time per call and median client CPU per call (this
process: the calling thread plus the telemetry sender), each as a ratio to raw. Wall
time on a shared 2-core machine is noisy; client CPU is the steadier measure of cost.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Client probe overhead (bench/client_probe.py)"


def _app(hang: threading.Event) -> Any:
    """The server side; ``/hang/...`` holds the request for 30 s (until ``hang`` is set)."""
    body = json.dumps({"apr_bps": 480, "installments": [], "total_interest_fen": 100}).encode()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ["PATH_INFO"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        environ["wsgi.input"].read(length)
        if path.startswith("/hang/"):
            hang.wait(30)
            path = path[len("/hang"):]
        if path == "/v1/telemetry/client":
            start_response("202 Accepted", [("Content-Type", "application/json"), ("Content-Length", "2")])
            return [b"{}"]
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                                  ("X-Lending-Version", "1.0.0"), ("X-Lending-Track", "stable")])
        return [body]

    return app


def serve(port_file: str) -> None:
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per call would dominate
    server = make_server("127.0.0.1", 0, _app(threading.Event()), threaded=True)
    Path(port_file).write_text(str(server.server_port), encoding="utf-8")
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--calls", type=int, default=300, help="calls per block")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return

    import subprocess
    import tempfile

    import requests

    from monitoring.client import LendingClient, TelemetryShipper

    port_file = Path(tempfile.mkdtemp()) / "port"
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file)])
    try:
        for _ in range(200):  # bounded wait for the server to bind
            if port_file.exists() and port_file.read_text():
                break
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port_file.read_text()}"
        _bench(args, base, requests, LendingClient, TelemetryShipper)
    finally:
        server.terminate()
        server.wait(10)


def _bench(args: argparse.Namespace, base: str, requests: Any, LendingClient: Any, TelemetryShipper: Any) -> None:

    raw = requests.Session()
    healthy = TelemetryShipper(base, "tok", interval_s=0.2)
    # The shipper posts to <base>/v1/telemetry/client; a base under /hang makes it hang.
    hanging = TelemetryShipper(base + "/hang", "tok", interval_s=0.2, timeout_s=60)
    clients = {
        "sdk": LendingClient(base, "tok", telemetry=False),
        "sdk+tel": LendingClient(base, "tok", telemetry=healthy),
        "sdk+hang": LendingClient(base, "tok", telemetry=hanging),
    }
    body = {"customer_id": 1, "amount_fen": 100_000, "term_months": 12, "repayment_method": "revolving"}

    def run(name: str) -> tuple[float, float]:
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.calls):
            if name == "raw":
                raw.post(base + "/v1/quotes", json=body, headers={"Authorization": "Bearer tok"}, timeout=5).json()
            else:
                clients[name].quote(1, 100_000, 12, "revolving")
        return (time.perf_counter() - start) / args.calls, (time.process_time() - cpu) / args.calls

    names = ["raw", "sdk", "sdk+tel", "sdk+hang"]
    for name in names:  # warm up connections and code paths
        run(name)
    wall: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    for r in range(args.rounds):
        order = names if r % 2 == 0 else list(reversed(names))
        for name in order:
            w, c = run(name)
            wall[name].append(w)
            cpu[name].append(c)
    mw = {n: statistics.median(v) for n, v in wall.items()}
    mc = {n: statistics.median(v) for n, v in cpu.items()}
    lines = [
        f"{n:9s} wall {mw[n] * 1e6:6.0f} us/call ({mw[n] / mw['raw']:.2f}x raw)   "
        f"client CPU {mc[n] * 1e6:5.0f} us/call ({mc[n] / mc['raw']:.2f}x raw)"
        for n in names
    ]
    lines.append(
        f"hanging vs healthy telemetry endpoint: wall {mw['sdk+hang'] / mw['sdk+tel']:.2f}x, "
        f"client CPU {mc['sdk+hang'] / mc['sdk+tel']:.2f}x "
        f"(events sent while hanging: {hanging.stats.shipped}, healthy: {healthy.stats.shipped})"
    )
    print("\n".join(lines))
    for c in clients.values():
        c.close()
    healthy.close(1.0)
    hanging.close(0.5)
    if args.write_results:
        _write(lines, args)


def _write(lines: list[str], args: argparse.Namespace) -> None:
    text = RESULTS.read_text(encoding="utf-8")
    block = (
        f"{SECTION}\n\n`python bench/client_probe.py --calls {args.calls} --rounds {args.rounds} --write-results`"
        f" ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}): medians over interleaved blocks against a "
        "minimal WSGI server in its own process. Client CPU (calling thread + telemetry sender) is the "
        "steady measure; wall time moves with whatever else runs on the two shared cores. Goal: a hanging "
        "telemetry endpoint costs business calls nothing (ratio ~1.0 to a healthy one).\n\n```\n" + "\n".join(lines) + "\n```\n"
    )
    if SECTION in text:
        start = text.index(SECTION)
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + block + (text[end + 1:] if end != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
