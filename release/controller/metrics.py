"""Self-metrics of the controller (prometheus-client, on an injected registry)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

from release.engine.state import RolloutState

__all__ = ["PHASES", "RolloutMetrics"]

PHASES = ("pending", "progressing", "paused", "promoting", "succeeded", "rolling_back", "rolled_back", "aborted")


class RolloutMetrics:
    """Example::

        metrics = RolloutMetrics(CollectorRegistry())
        metrics.update(state, now=time.time())
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.weight = Gauge("lendops_rollout_canary_weight", "Percent of non-cohort traffic on the canary",
                            ["rollout"], registry=r)
        self.cohort = Gauge("lendops_rollout_cohort_branches", "Branches routed to the canary",
                            ["rollout"], registry=r)
        self.phase = Gauge("lendops_rollout_phase", "1 for the rollout's current phase", ["rollout", "phase"],
                           registry=r)
        self.step = Gauge("lendops_rollout_step", "Index (0-based) of the current step", ["rollout"], registry=r)
        self.verdicts = Counter("lendops_rollout_verdicts", "Analysis verdicts by metric and decision",
                                ["rollout", "metric", "decision"], registry=r)
        self.value = Gauge("lendops_rollout_analysis_value",
                           "Last measured value of an analysed metric (stat: n, mean, p50, p99, ratio, ...)",
                           ["rollout", "metric", "track", "stat"], registry=r)
        self.duration = Gauge("lendops_rollout_duration_seconds", "Seconds since the rollout started",
                              ["rollout"], registry=r)
        self._server: Any = None

    def update(self, state: RolloutState, *, now: float) -> None:
        name = state.name
        self.weight.labels(name).set(state.weight)
        self.cohort.labels(name).set(len(state.cohort))
        for phase in PHASES:
            self.phase.labels(name, phase).set(1 if state.phase == phase else 0)
        self.step.labels(name).set(state.step)
        if state.started_at is not None:
            end = state.finished_at if state.finished_at is not None else now
            self.duration.labels(name).set(max(0.0, end - state.started_at))

    def observe(self, rollout: str, result: dict[str, Any]) -> None:
        for verdict in result.get("verdicts") or []:
            metric = str(verdict.get("metric", ""))
            self.verdicts.labels(rollout, metric, str(verdict.get("decision", ""))).inc()
            for track in ("stable", "canary"):
                value = verdict.get(track)
                values = value if isinstance(value, dict) else {"value": value}
                for stat, number in values.items():
                    if isinstance(number, (int, float)) and not isinstance(number, bool):
                        self.value.labels(rollout, metric, track, str(stat)).set(number)

    def snapshot(self) -> dict[str, float]:
        """Every sample as ``name{labels}: value`` (written into status)."""
        out: dict[str, float] = {}
        for family in self.registry.collect():
            for sample in family.samples:
                if sample.name.endswith("_created"):
                    continue
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
                out[f"{sample.name}{{{labels}}}"] = sample.value
        return out

    def serve(self, port: int, host: str = "127.0.0.1") -> int:
        """Expose /metrics; returns the bound port."""
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        self._server = server
        return int(server.server_address[1])

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
