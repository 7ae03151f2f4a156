"""A client of HAProxy's runtime API (the admin-level stats socket): one command per
connection, answers as text."""

from __future__ import annotations

import csv
import io
import re
import socket
from pathlib import Path

from .errors import HAProxyError

__all__ = ["RuntimeAPI"]

_VERSION = re.compile(r"New version created:\s*(\d+)")


class RuntimeAPI:
    def __init__(self, socket_path: Path, *, timeout: float = 5.0) -> None:
        self.socket_path = socket_path
        self.timeout = timeout

    def command(self, line: str) -> str:
        if "\n" in line or ";" in line:
            raise HAProxyError(line, "refusing a command containing a separator")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(self.timeout)
            sock.connect(str(self.socket_path))
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                chunks.append(data)
        return b"".join(chunks).decode(errors="replace")

    def _expect_empty(self, line: str) -> None:
        reply = self.command(line)
        if reply.strip():
            raise HAProxyError(line, reply)

    def replace_map(self, path: Path, entries: list[tuple[str, str]]) -> None:
        """Swap a map's whole content atomically (prepare / add / commit)."""
        prepared = self.command(f"prepare map {path}")
        found = _VERSION.search(prepared)
        if not found:
            raise HAProxyError(f"prepare map {path}", prepared)
        version = found.group(1)
        for key, value in entries:
            self._expect_empty(f"add map @{version} {path} {key} {value}")
        self._expect_empty(f"commit map @{version} {path}")

    def show_map(self, path: Path) -> dict[str, str]:
        reply = self.command(f"show map {path}")
        out: dict[str, str] = {}
        for row in reply.splitlines():
            parts = row.split()
            if len(parts) == 3:
                out[parts[1]] = parts[2]
        return out

    def set_server_addr(self, backend: str, server: str, host: str, port: int) -> None:
        line = f"set server {backend}/{server} addr {host} port {port}"
        reply = self.command(line)
        if "changed" not in reply and "no need" not in reply:
            raise HAProxyError(line, reply)

    def stats(self) -> list[dict[str, str]]:
        reply = self.command("show stat")
        text = reply.lstrip("# ")
        return list(csv.DictReader(io.StringIO(text)))
