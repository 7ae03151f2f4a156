"""In-process stand-ins for the runtime and the analyzer, for controller loop tests
(the real processes are exercised in tests/release/e2e)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from release.traffic.split import TrafficSplit


class FakeClock:
    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeRuntime:
    calls: list[tuple[str, Any]] = field(default_factory=list)
    split: TrafficSplit | None = None
    canary: str | None = None
    stable: str = "1.0.0"
    fail_on: str = ""

    def _call(self, name: str, arg: Any = None) -> None:
        self.calls.append((name, arg))
        if name == self.fail_on:
            raise RuntimeError(f"{name} exploded")

    def deploy_canary(self, version: str) -> None:
        self._call("deploy_canary", version)
        self.canary = version

    def set_traffic(self, split: TrafficSplit) -> None:
        self._call("set_traffic", (split.weight, len(split.cohort)))
        self.split = split

    def current_traffic(self) -> TrafficSplit | None:
        return self.split

    def promote(self) -> None:
        self._call("promote")
        assert self.canary
        self.stable, self.canary = self.canary, None
        self.split = TrafficSplit.stable_only()

    def stop_canary(self) -> None:
        self._call("stop_canary")
        self.canary = None

    def revert_stable(self, version: str) -> None:
        self._call("revert_stable", version)
        self.stable = version

    def endpoints(self) -> dict[str, str]:
        return {"stable": "http://stable", "canary": "http://canary"}

    def router_url(self) -> str | None:
        return "http://router"

    def state(self) -> dict[str, Any]:
        return {"stable": self.stable, "canary": self.canary}

    def restore(self, state: dict[str, Any]) -> None:
        self._call("restore", dict(state))
        self.stable, self.canary = state["stable"], state["canary"]


@dataclass
class FakeResult:
    decision: str
    critical: bool = False
    reason: str = ""
    metric: str = "error-ratio"

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "critical": self.critical,
            "reason": self.reason,
            "verdicts": [{"metric": self.metric, "decision": self.decision, "stable": 0.01, "canary": 0.02,
                          "explanation": self.reason}],
        }


class ScriptedAnalyzer:
    """Returns the scripted decisions in order, then repeats the last one."""

    def __init__(self, script: list[Any], saved: dict[str, Any] | None = None) -> None:
        self.script = script
        self.index = int(saved["index"]) if saved else 0
        self.begun = 0

    def begin(self) -> None:
        self.begun += 1

    def evaluate(self) -> Any:
        item = self.script[min(self.index, len(self.script) - 1)]
        self.index += 1
        if isinstance(item, Exception):
            raise item
        return item

    def state(self) -> dict[str, Any]:
        return {"index": self.index}


def fake_runtime(rollout: Any, workdir: Any) -> FakeRuntime:
    """For LENDOPS_RELEASE_RUNTIME in CLI tests."""
    return FakeRuntime()


def fake_analyzer(rollout: Any, endpoints: dict[str, str], saved: dict[str, Any] | None) -> ScriptedAnalyzer:
    """For LENDOPS_RELEASE_ANALYZER in CLI tests; LENDOPS_FAKE_DECISION picks the verdict."""
    import os

    decision = os.environ.get("LENDOPS_FAKE_DECISION", "pass")
    return ScriptedAnalyzer([FakeResult(decision, reason=f"scripted {decision}", metric="latency")], saved)
