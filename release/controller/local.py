"""LocalRuntime: the one-machine runtime — ``lendops serve`` processes for stable and
canary (``release.target.LocalTarget``) behind the local router
(``release.router.RouterProcess`` driven through ``LocalRouterProvider``).

Everything it starts runs detached and outlives the controller. Its state is saved to
``<workdir>/local-runtime.json`` after every change (not only after a whole action), so
a controller killed half-way through an action finds every process it started, and the
next rollout in the same workdir reuses the running stable build and router.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from release.controller.errors import RuntimeFailure
from release.process import free_port
from release.spec import Rollout
from release.traffic.split import TrafficSplit

__all__ = ["LocalRuntime", "build_runtime", "stop_local"]

_STATE_FILE = "local-runtime.json"
#: Seconds a process keeps running after the router stopped sending it traffic, so
#: requests already in flight (and the router's pooled keep-alive connections, closed
#: after 1.5 s idle) finish instead of being cut: Argo's scaleDownDelaySeconds, short.
DRAIN_SECONDS = 2.0


def _save(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as fh:
        json.dump(data, fh, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class LocalRuntime:
    def __init__(self, rollout: Rollout, workdir: str | Path, *, lendops_cmd: Sequence[str] = ("lendops",),
                 drain_seconds: float = DRAIN_SECONDS, sleep: Callable[[float], None] = time.sleep) -> None:
        local = rollout.spec.target.local
        if local is None:
            raise RuntimeFailure("the kubernetes target has no driver in this build; use target: {local: {...}}")
        traffic = rollout.spec.traffic
        if traffic.provider not in ("local-router", "haproxy"):
            raise RuntimeFailure(f"traffic provider {traffic.provider} needs a kubernetes target")
        self.rollout = rollout
        self.workdir = Path(workdir).resolve()
        self.files = self.workdir / "local"
        self.state_path = self.workdir / _STATE_FILE
        self.db_url = local.db
        self.host = local.host
        self.impl = "haproxy" if traffic.provider == "haproxy" else traffic.impl
        self.lendops_cmd = tuple(lendops_cmd)
        self.drain_seconds = drain_seconds
        self.sleep = sleep
        self.target: Any = None
        self.router: Any = None
        self.provider: Any = None
        if self.state_path.exists():
            self._attach(json.loads(self.state_path.read_text()))

    # -- attach / persist ---------------------------------------------------------------
    def _attach(self, state: dict[str, Any]) -> None:
        from release.router import RouterProcess, RouterStartError
        from release.target import LocalTarget

        if state.get("target"):
            self.target = LocalTarget.restore(state["target"], lendops_cmd=self.lendops_cmd, strict=False)
            if self.target.db_url != self.db_url and self.target.stable is not None:
                raise RuntimeFailure(
                    f"the running stable uses {self.target.db_url}, the spec says {self.db_url}; "
                    f"stop it first (`lendops release down`)")
        router = state.get("router") or {}
        if router.get("pid"):
            try:
                self.router = RouterProcess.attach(int(router["pid"]), router["url"], router["admin_url"])
            except RouterStartError:
                self.router = None
                self._router_ports = (int(router["url"].rsplit(":", 1)[1]), int(router["admin_url"].rsplit(":", 1)[1]))
            self.impl = router.get("impl", self.impl)
        if self.router is not None:
            self._provider()

    def _provider(self) -> Any:
        from release.traffic import LocalRouterProvider

        self.provider = LocalRouterProvider(self.router.admin_url)
        return self.provider

    def _persist(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        _save(self.state_path, self.state())

    def state(self) -> dict[str, Any]:
        router = None
        if self.router is not None:
            router = {"pid": self.router.pid, "url": self.router.url, "admin_url": self.router.admin_url,
                      "impl": self.impl}
        return {
            "kind": "local",
            "target": self.target.state() if self.target is not None else None,
            "router": router,
            "endpoints": self.endpoints(),
        }

    def restore(self, state: dict[str, Any]) -> None:
        # The workdir file is written after every sub-step, so it is never older than the
        # copy in the rollout document; fall back to that copy only when it is missing.
        if self.target is None and self.router is None and state:
            self._attach(state)
        self._ensure_router()

    # -- pieces ------------------------------------------------------------------------------
    def _ensure_target(self) -> Any:
        if self.target is None:
            from release.target import LocalTarget

            self.target = LocalTarget(db_url=self.db_url, workdir=self.files, host=self.host,
                                      lendops_cmd=self.lendops_cmd)
        return self.target

    def _upgrade_db(self) -> None:
        try:
            done = subprocess.run([*self.lendops_cmd, "db", "upgrade", "--db", self.db_url],
                                  capture_output=True, text=True, timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RuntimeFailure(f"cannot prepare the database {self.db_url}: {exc}") from exc
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
            raise RuntimeFailure(f"`lendops db upgrade --db {self.db_url}` failed: {tail[0]}")

    def _ensure_stable(self) -> str:
        target = self._ensure_target()
        stable = self.rollout.spec.stable
        if target.stable is not None and target.stable.owned():
            if target.stable.version != stable.version:
                raise RuntimeFailure(
                    f"the running stable is {target.stable.version}, the spec says {stable.version}")
            return str(target.stable.url)
        self._upgrade_db()
        url = str(target.start_stable(stable.version, stable.faults or None))
        self._persist()
        return url

    def _ensure_router(self, stable: str | None = None, canary: str | None = None) -> None:
        from release.router import RouterProcess

        if self.router is not None and self.router.alive():
            if stable or canary:
                self.provider.set_backends(stable=stable, canary=canary)
            return
        if self.target is None or self.target.stable is None:
            return  # nothing to route to yet; deploy_canary starts the router
        ends = self.target.endpoints()
        stable = stable or ends["stable"]
        canary = canary or ends.get("canary") or stable
        traffic = self.rollout.spec.traffic
        ports = getattr(self, "_router_ports", None) or (
            traffic.port or free_port(self.host), traffic.adminPort or free_port(self.host))
        # A router that has to be (re)started begins with everything on stable; the
        # controller re-applies the saved split right after.
        self.router = RouterProcess.start(ports[0], ports[1], stable, canary, impl=self.impl, weight=0,
                                          host=self.host, workdir=self.files)
        self._provider()
        self._persist()

    # -- Runtime ----------------------------------------------------------------------------------
    def deploy_canary(self, version: str) -> None:
        stable = self._ensure_stable()
        target = self.target
        faults = self.rollout.spec.canary.faults or None
        running = target.canary
        if running is not None and running.owned() and (running.version != version or running.faults != faults):
            target.stop_canary()
        if target.canary is None or not target.canary.owned():
            target.canary = None
            target.start_canary(version, faults)
            self._persist()
        self._ensure_router(stable=stable, canary=target.canary.url)
        self._persist()

    def set_traffic(self, split: TrafficSplit) -> None:
        if self.provider is None:
            if split.weight == 0 and not split.cohort:
                return  # nothing routes yet, so everything is on stable already
            raise RuntimeFailure("no router is running")
        to_canary = split.weight > 0 or bool(split.cohort)
        target = self.target
        if to_canary and target is not None and target.canary is None and target.stable is not None \
                and target.stable.version == self.rollout.spec.canary.version:
            # Re-run after a crash in the middle of a promotion that already finished
            # on this machine: the canary build *is* the stable now; never route to a
            # stopped canary.
            split = TrafficSplit.stable_only()
        self.provider.apply(split)

    def current_traffic(self) -> TrafficSplit | None:
        return self.provider.current() if self.provider is not None else None

    def promote(self) -> None:
        target = self._ensure_target()
        if target.canary is None:
            if target.stable is not None and target.stable.version == self.rollout.spec.canary.version:
                if self.provider is not None:  # promoted before a restart
                    self.provider.switch(TrafficSplit.stable_only(), stable=target.stable.url)
                return
            raise RuntimeFailure("no canary to promote")
        # The canary build is already serving everything (weight 100); start it as the new
        # stable, move traffic there, then stop the old processes.
        url = target.promote()
        self._persist()
        self.provider.switch(TrafficSplit.stable_only(), stable=url)
        self._drain()
        target.stop_previous()
        target.stop_canary()
        self._persist()

    def stop_canary(self) -> None:
        if self.target is not None:
            if self.target.canary is not None:
                self._drain()
            self.target.stop_canary()
            self._persist()

    def _drain(self) -> None:
        if self.provider is not None and self.drain_seconds > 0:
            self.sleep(self.drain_seconds)

    def revert_stable(self, version: str) -> None:
        target = self._ensure_target()
        if target.stable is not None and target.stable.version == version and target.stable.owned():
            return
        url = target.start_stable(version, self.rollout.spec.stable.faults or None)
        self._persist()
        if self.provider is not None:
            self.provider.switch(TrafficSplit.stable_only(), stable=url)
            self._drain()
        target.stop_previous()
        self._persist()

    def endpoints(self) -> dict[str, str]:
        if self.target is None:
            return {}
        return {k: v for k, v in self.target.endpoints().items() if v}

    def router_url(self) -> str | None:
        return str(self.router.url) if self.router is not None else None

    def stop_all(self) -> None:
        if self.router is not None:
            self.router.stop()
            self.router = None
        if self.target is not None:
            self.target.stop_all()
        self._persist()


def build_runtime(rollout: Rollout, workdir: str | Path) -> Any:
    """The runtime the spec's target asks for: local processes, or a Kubernetes
    namespace (``release.kube``; needs the ``kubernetes`` extra)."""
    if rollout.spec.target.kubernetes is not None:
        try:
            from release.kube.runtime import build_kubernetes_runtime
        except ImportError as exc:
            raise RuntimeFailure(f"the kubernetes target needs `pip install lendops[kubernetes]`: {exc}") from exc
        try:
            return build_kubernetes_runtime(rollout, workdir)
        except Exception as exc:  # no kubeconfig, unknown context: one line for the user
            raise RuntimeFailure(f"cannot reach the cluster: {exc}") from exc
    return LocalRuntime(rollout, workdir)


def stop_local(workdir: str | Path) -> list[str]:
    """Stop the router and every process recorded in ``<workdir>/local-runtime.json``."""
    from release.router import RouterProcess, RouterStartError
    from release.target import LocalTarget

    path = Path(workdir) / _STATE_FILE
    if not path.exists():
        return []
    state = json.loads(path.read_text())
    stopped = []
    router = state.get("router") or {}
    if router.get("pid"):
        try:
            RouterProcess.attach(int(router["pid"]), router["url"], router["admin_url"]).stop()
            stopped.append(f"router {router['url']}")
        except RouterStartError:
            pass
    if state.get("target"):
        target = LocalTarget.restore(state["target"], strict=False)
        stopped += [f"{h.track} {h.version} {h.url}" for h in (target.stable, target.canary, target.previous) if h]
        target.stop_all()
    path.unlink()
    return stopped
