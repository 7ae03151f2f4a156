"""A small threaded HTTP/1.1 backend for router tests: answers with X-Lending-Track,
echoes what it received, can be slow or stream a large body."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args: object) -> None:
        pass

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _answer(self) -> None:
        body_in = self._read_body()
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with self.server.lock:
            self.server.hits += 1
        delay = float(query.get("delay", 0))
        if delay:
            time.sleep(delay)
        if url.path == "/truncate":
            # Promise 3 MB, send 100 kB, hang up: a backend dying mid-response.
            self.send_response(200)
            self.send_header("X-Lending-Track", self.server.track)
            self.send_header("Content-Length", str(3 << 20))
            self.end_headers()
            self.wfile.write(b"t" * 100_000)
            self.wfile.flush()
            self.close_connection = True
            return
        if url.path == "/stream":
            size = int(query.get("kb", "1024")) * 1024
            self.send_response(200)
            self.send_header("X-Lending-Track", self.server.track)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            block = b"x" * 65536
            sent = 0
            while sent < size:
                piece = block[: min(len(block), size - sent)]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                sent += len(piece)
            self.wfile.write(b"0\r\n\r\n")
            return
        doc = {
            "track": self.server.track,
            "name": self.server.name,
            "method": self.command,
            "path": self.path,
            # Repeated headers joined as one list value (HAProxy appends its own
            # X-Forwarded-For line rather than extending the client's).
            "headers": {k: ", ".join(self.headers.get_all(k) or []) for k in set(self.headers.keys())},
            "body_len": len(body_in),
            "body_sha256": hashlib.sha256(body_in).hexdigest(),
        }
        out = json.dumps(doc).encode()
        status = int(query.get("status", 200))
        if status in (204, 304):
            self.send_response(status)
            self.send_header("X-Lending-Track", self.server.track)
            self.end_headers()
            return
        self.send_response(status)
        self.send_header("X-Lending-Track", self.server.track)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_HEAD = _answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, track: str, name: str) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.track = track
        self.name = name
        self.hits = 0
        self.lock = threading.Lock()

    def handle_error(self, request: object, client_address: object) -> None:
        # Proxies close idle keep-alive connections with a reset: not a test failure.
        pass


class Backend:
    def __init__(self, track: str, name: str | None = None) -> None:
        self.port = free_port()
        self.track = track
        self._server = _Server(self.port, track, name or track)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def hits(self) -> int:
        return self._server.hits

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
