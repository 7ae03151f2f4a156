"""HAProxy configuration for the router, generated from a RouterConfig (pure).

Routing is the same as the Python router's, bucket for bucket: one map file holds the
weight and the cohort (``weight N`` and ``b.<code> 1``), the bucket is
``crc32(key) % 100`` (HAProxy's crc32 is zlib's), and a new split is written as a new
map version and committed in one step, so weight and cohort change atomically.
Two backends with one server each; the runtime API repoints a server with
``set server ... addr``. Nothing is reloaded for any change.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .config import RouterConfig
from .problem import problem_body

__all__ = ["HAProxyFiles", "host_port", "map_entries", "render_config", "write_files"]


@dataclass(frozen=True)
class HAProxyFiles:
    config: Path
    split_map: Path
    socket: Path


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    # HAProxy servers are addresses: the names this tool uses resolve locally.
    if host == "localhost":
        host = "127.0.0.1"
    return host, parts.port or 80


def map_entries(config: RouterConfig) -> list[tuple[str, str]]:
    return [("weight", str(config.weight))] + [(f"b.{code}", "1") for code in sorted(config.cohort)]


def _errorfile(status: int, reason: str) -> str:
    detail = "the backend could not answer" if status != 504 else "the backend did not answer in time"
    body = problem_body(status, detail).decode()
    return (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Content-Type: application/problem+json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Cache-Control: no-cache\r\n"
        "Connection: close\r\n"
        "\r\n"
        f"{body}"
    )


def render_config(
    config: RouterConfig, *, listen: tuple[str, int], files: HAProxyFiles, workdir: Path,
    connect_timeout_s: float = 2.0, server_timeout_s: float = 30.0,
) -> str:
    s_host, s_port = host_port(config.stable)
    c_host, c_port = host_port(config.canary)
    m = files.split_map
    return f"""\
global
    maxconn 4096
    stats socket {files.socket} mode 600 level admin
    stats timeout 10s
    hard-stop-after 5s

defaults
    mode http
    timeout connect {int(connect_timeout_s * 1000)}ms
    timeout client 60s
    timeout server {int(server_timeout_s * 1000)}ms
    timeout http-request 10s
    timeout http-keep-alive 10s
    option http-keep-alive
    option forwardfor
    retries 1
    errorfile 502 {workdir / "502.http"}
    errorfile 503 {workdir / "502.http"}
    errorfile 504 {workdir / "504.http"}

frontend lendops_router
    bind {listen[0]}:{listen[1]}
    http-request set-var(txn.w) str(weight),map_str_int({m},0)
    http-request set-var(txn.branch) req.fhdr(X-Branch-Code)
    http-request set-var(txn.key) req.fhdr(X-Customer-Id) if {{ req.fhdr(X-Customer-Id) -m len gt 0 }}
    http-request set-var(txn.key) req.fhdr(Authorization) if !{{ var(txn.key) -m found }} {{ req.fhdr(Authorization) -m len gt 0 }}
    acl in_cohort str(b.),concat(,txn.branch,),map_str_int({m},0) eq 1
    acl has_key var(txn.key) -m found
    acl key_canary var(txn.key),crc32,mod(100),sub(txn.w) lt 0
    acl rand_canary rand(100),sub(txn.w) lt 0
    use_backend canary if in_cohort
    use_backend canary if has_key key_canary
    use_backend canary if !has_key rand_canary
    default_backend stable

backend stable
    server stable {s_host}:{s_port}

backend canary
    server canary {c_host}:{c_port}
"""


def write_files(
    config: RouterConfig, *, listen: tuple[str, int], workdir: Path, socket_path: Path,
    **timeouts: float,
) -> HAProxyFiles:
    """``socket_path`` separately: a unix socket path is limited to ~100 bytes, which
    a deep workdir easily exceeds."""
    workdir.mkdir(parents=True, exist_ok=True)
    files = HAProxyFiles(
        config=workdir / "haproxy.cfg", split_map=workdir / "split.map", socket=socket_path,
    )
    files.split_map.write_text("".join(f"{k} {v}\n" for k, v in map_entries(config)))
    # HAProxy says 503 when it cannot connect to the (only) server; the router's contract
    # is 502 for a backend that is down, so 503 is served from the 502 file.
    for status, reason in ((502, "Bad Gateway"), (504, "Gateway Timeout")):
        (workdir / f"{status}.http").write_text(_errorfile(status, reason))
    files.config.write_text(
        render_config(config, listen=listen, files=files, workdir=workdir, **timeouts)
    )
    return files
