"""Release-safety benchmark: how fast lendops rolls back a bad canary, whether it ever
rolls back a good one, and how Flagger's default analysis does on the same streams.

For a good build and each fault kind, ``--runs`` real rollouts run at a fixed load (the
demo's open-model Locust scenario through the router) with the canary pinned at
``--weight`` percent. The real controller judges (direct scrape, 1 s interval); a
recorder scrapes both tracks' /metrics every second during the same run. Flagger's
judge (bench/release_safety/flagger.py) then replays that recorded stream.

Flagger needs interval x threshold = 300 s of data to roll back at all, far longer
than lendops' runs, so its stream is extended to ``--flagger-horizon`` seconds by
resampling whole recorded seconds of the same run (block bootstrap with the recorded
per-second increments of both tracks). Its time to rollback is therefore a replay, not
a live measurement; lendops' is live.

    python bench/release_safety/run.py --runs 3 --write-results
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.release_safety.flagger import replay  # noqa: E402
from release.analysis import ScrapeProvider, Snapshot, TrackSnapshot, increment  # noqa: E402
from release.demo.scenario import SCENARIOS  # noqa: E402
from release.demo.session import DemoOptions, DemoSession  # noqa: E402


@dataclass
class Run:
    scenario: str
    phase: str
    metric: str
    lendops_s: float | None
    canary_errors_before_decision: float
    flagger_rolled_back: bool
    flagger_s: float | None
    flagger_canary_errors: float
    canary_requests: float
    notes: list[str] = field(default_factory=list)


class Recorder:
    """Scrapes both tracks once a second into a stream of cumulative snapshots."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.stream: list[Snapshot] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="recorder", daemon=True)

    def _endpoints(self) -> dict[str, str]:
        try:
            data = json.loads((self.workdir / "local-runtime.json").read_text())
        except (OSError, ValueError):
            return {}
        return {k: v for k, v in (data.get("endpoints") or {}).items() if v}

    def _loop(self) -> None:
        provider = None
        while not self.stop.wait(1.0):
            endpoints = self._endpoints()
            if "canary" not in endpoints:
                continue
            if provider is None:
                provider = ScrapeProvider(endpoints, timeout=2.0)
            try:
                self.stream.append(provider.snapshot())
            except Exception:  # noqa: BLE001 - a missed second is a gap, not a failure
                continue


def _extend(stream: list[Snapshot], horizon_s: float, rng: random.Random) -> list[Snapshot]:
    """Block-bootstrap the recorded per-second increments out to ``horizon_s`` seconds."""
    if len(stream) < 3:
        return stream
    steps = [increment(b, a) for a, b in zip(stream, stream[1:])]
    out = list(stream)
    current = stream[-1]
    t = current.taken_at
    while t - stream[0].taken_at < horizon_s:
        inc = rng.choice(steps)
        t += 1.0
        tracks = {}
        for name in ("stable", "canary"):
            now, add = current.track(name), inc.track(name)
            counters = {k: now.counter(k) + add.counter(k) for k in set(now.counters) | set(add.counters)}
            hists = {k: now.histogram(k).plus(add.histogram(k)) for k in set(now.histograms) | set(add.histograms)}
            tracks[name] = TrackSnapshot(counters, hists)
        current = Snapshot(t, tracks)
        out.append(current)
    return out


def _errors_at(stream: list[Snapshot], seconds: float | None) -> float:
    if not stream:
        return 0.0
    start = stream[0]
    end = stream[-1]
    if seconds is not None:
        for snap in stream:
            if snap.taken_at - start.taken_at <= seconds + 1e-9:
                end = snap
    return increment(end, start).track("canary").counter("errors")


def one_run(name: str, *, weight: int, horizon_s: float, flagger_horizon_s: float, seed: int) -> Run:
    scenario = SCENARIOS[name]
    workdir = Path(tempfile.mkdtemp(prefix=f"lendops-safety-{name}-"))
    session = DemoSession(DemoOptions(scenario, horizon_s, workdir, "scrape", "quiet"), echo=lambda s: None)
    recorder = Recorder(workdir)
    steps = [{"setWeight": weight}, {"analysis": {"duration": f"{int(horizon_s)}s"}}, {"promote": {}}]
    recorder.thread.start()
    try:
        result = session.run(steps=steps)
    finally:
        recorder.stop.set()
        recorder.thread.join(5)
        session.close()
    stream = recorder.stream
    decided = result.time_to_decision_s if result.phase != "succeeded" else None
    flagger_stream = _extend(stream, flagger_horizon_s, random.Random(seed))
    flagger = replay(flagger_stream)
    canary_requests = increment(stream[-1], stream[0]).track("canary").counter("requests") if stream else 0.0
    return Run(
        scenario=name, phase=result.phase, metric=result.metric, lendops_s=decided,
        canary_errors_before_decision=_errors_at(stream, decided),
        flagger_rolled_back=flagger.rolled_back, flagger_s=flagger.decided_at_s,
        flagger_canary_errors=_errors_at(flagger_stream, flagger.decided_at_s),
        canary_requests=canary_requests,
    )


def _fmt(values: list[float | None]) -> tuple[str, str]:
    got = [v for v in values if v is not None]
    if not got:
        return "never", "never"
    med = statistics.median(got)
    return f"{med:.1f}", f"{max(got):.1f}" + ("" if len(got) == len(values) else " (some never)")


def table(runs: list[Run]) -> str:
    rows = ["| build | runs | lendops: rolled back | median / max s to rollback | canary 5xx before rollback (median) "
            "| Flagger: rolled back | median s to rollback | canary 5xx before rollback (median) | time ratio lendops/Flagger |",
            "|---|---|---|---|---|---|---|---|---|"]
    for name in SCENARIOS:
        mine = [r for r in runs if r.scenario == name]
        if not mine:
            continue
        back = sum(r.phase == "rolled_back" for r in mine)
        fl_back = sum(r.flagger_rolled_back for r in mine)
        med, mx = _fmt([r.lendops_s for r in mine])
        fl_med, _ = _fmt([r.flagger_s for r in mine])
        errs = statistics.median(r.canary_errors_before_decision for r in mine)
        fl_errs = statistics.median(r.flagger_canary_errors for r in mine)
        ratio = "n/a"
        l_times = [r.lendops_s for r in mine if r.lendops_s is not None]
        f_times = [r.flagger_s for r in mine if r.flagger_s is not None]
        if l_times and f_times:
            ratio = f"{statistics.median(l_times) / statistics.median(f_times):.3f}"
        elif l_times and not f_times:
            ratio = "0 (Flagger never)"
        metrics = sorted({r.metric for r in mine if r.metric})
        label = f"{name} ({', '.join(metrics)})" if metrics else name
        rows.append(f"| {label} | {len(mine)} | {back}/{len(mine)} | {med} / {mx} | {errs:.0f} | "
                    f"{fl_back}/{len(mine)} | {fl_med} | {fl_errs:.0f} | {ratio} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--weight", type=int, default=50)
    parser.add_argument("--horizon", type=float, default=90.0, help="seconds a good canary is watched")
    parser.add_argument("--flagger-horizon", type=float, default=600.0)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    runs: list[Run] = []
    for i in range(args.runs):
        for name in args.scenarios.split(","):
            run = one_run(name, weight=args.weight, horizon_s=args.horizon,
                          flagger_horizon_s=args.flagger_horizon, seed=1000 + i)
            runs.append(run)
            print(json.dumps(run.__dict__), flush=True)
    out = table(runs)
    print(out)
    if args.write_results:
        _write(out, args)


def _write(out: str, args: argparse.Namespace) -> None:
    path = Path(__file__).resolve().parents[1] / "RESULTS.md"
    text = path.read_text(encoding="utf-8")
    head = "## Release safety: lendops against Flagger's defaults"
    section = (f"{head}\n\nCommand: `python bench/release_safety/run.py --runs {args.runs} --weight {args.weight} "
               f"--horizon {args.horizon:g} --write-results` ({time.strftime('%Y-%m-%d')}). Canary pinned at "
               f"{args.weight} % under the demo's open-model load; lendops judged live (direct scrape, 1 s "
               f"interval); Flagger (1 m interval, threshold 5, success >= 99 %, p99 <= 500 ms) replayed on "
               f"the same recorded streams, extended to {args.flagger_horizon:g} s by resampling recorded "
               f"seconds.\n\n{out}\n")
    if head in text:
        before, _, rest = text.partition(head)
        after = rest.split("\n## ", 1)
        text = before + section + ("\n## " + after[1] if len(after) > 1 else "")
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
