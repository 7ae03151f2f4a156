"""Rollout traffic from a Locust scenario (the spec's ``load:`` section), run against
the router for as long as the canary is on trial."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from release.process import pid_alive
from release.spec.model import LoadSpec

__all__ = ["LoadDriver"]


class LoadDriver:
    def __init__(self, spec: LoadSpec, *, spec_dir: Path, out_dir: Path, saved: dict[str, Any] | None = None) -> None:
        self.spec = spec
        self.spec_dir = spec_dir
        self.out_dir = out_dir
        self.running: Any = None
        # A load started by a controller that died: we can only stop it by pid.
        self.orphan_pid = int(saved["pid"]) if saved and saved.get("pid") else None

    def scenario(self) -> str:
        local = self.spec_dir / self.spec.scenario
        return str(local) if local.exists() else self.spec.scenario

    def start(self, host: str) -> dict[str, Any]:
        from loadtest.runner import start_scenario

        tokens = self.spec.tokensFile or None
        if tokens and not Path(tokens).is_absolute():
            tokens = str(self.spec_dir / tokens)
        self.running = start_scenario(self.scenario(), host, tokens_file=tokens, out_dir=self.out_dir,
                                      until_stopped=True)
        return {"pid": self.running.proc.pid, "out_dir": str(self.out_dir), "host": host}

    @property
    def active(self) -> bool:
        if self.running is not None:
            return bool(self.running.running)
        return self.orphan_pid is not None and pid_alive(self.orphan_pid)

    def stop(self) -> str:
        """Stop the load; a one-line summary for the history."""
        if self.running is not None:
            summary = self.running.stop(timeout=20.0)
            self.running = None
            return (f"load {summary.scenario}: {summary.requests} requests, {summary.failures} failed, "
                    f"{summary.request_rate:.1f} req/s, tracks {summary.tracks}")
        if self.orphan_pid is not None and pid_alive(self.orphan_pid):
            try:
                os.killpg(self.orphan_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            self.orphan_pid = None
            return "load stopped (started by an earlier controller; its summary is in the load directory)"
        return "load had already ended"
