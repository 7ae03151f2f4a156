"""Validity and speed of the canary judge, side by side with a Flagger-style judge.

Seeded simulations of stable/canary request streams (Poisson traffic, binomial 5xx,
log-normal latency bucketed like the service's histogram), judged

- by lendops' Analyzer (release.analysis, default spec: alpha 0.01, minSamples 30,
  tolerance 1.2), evaluated every 5 s — peeking constantly;
- by Flagger's default analysis (bench/release_safety/flagger.py: 1 m interval,
  threshold 5, success >= 99 %, p99 <= 500 ms, no values = failed check);
- by a naive fixed-horizon test peeked at every 5 s (one-sided two-proportion z-test at
  99 %), to show what constant peeking does to a test that is not anytime-valid.

The weight-step scenario shows why the exposure share is measured per interval: errors of
a shared outage fall while the canary has 50 % of the traffic, so against its cumulative
share of requests the canary looks worse although it is not.

Null scenarios report the false-alarm rate (a good canary rolled back); effect
scenarios report the detection rate within the horizon and the median time and number
of canary requests until rollback.

    python -m bench.judge_validity                # full run (a few minutes)
    python -m bench.judge_validity --quick        # smaller, for a smoke test
    python -m bench.judge_validity --write-results   # also update bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.release_safety.flagger import replay
from monitoring.probe.names import HTTP_BUCKETS
from release.analysis import Analyzer, Hist, Snapshot, TrackSnapshot, default_analysis

INTERVAL_S = 5.0
HORIZON_S = 600.0
WEIGHT = 0.1
BURST_START_S, BURST_END_S = 300.0, 420.0
BOUNDS = np.array(HTTP_BUCKETS)


@dataclass(frozen=True)
class Scenario:
    name: str
    rps: float
    p_stable: float
    p_canary: float
    latency_shift_s: float = 0.0
    null: bool = False
    weight_after: float | None = None  # the canary weight from BURST_START_S on
    burst_p: float | None = None        # both tracks' error rate during the burst


def _bucket_probs(shift_s: float) -> np.ndarray:
    # Log-normal latency, median 12 ms, sigma 0.5; the canary adds a constant shift.
    from math import erf, log, sqrt

    def cdf(x: float) -> float:
        y = x - shift_s
        if y <= 0:
            return 0.0
        return 0.5 * (1 + erf((log(y) - log(0.012)) / (0.5 * sqrt(2))))

    cum = np.array([cdf(b) for b in BOUNDS] + [1.0])
    return np.diff(np.concatenate([[0.0], cum]))


class Replay:
    """A provider that hands out a recorded stream of snapshots, one per call."""

    def __init__(self, stream: list[Snapshot]) -> None:
        self.stream = stream
        self.i = 0

    def snapshot(self) -> Snapshot:
        snap = self.stream[min(self.i, len(self.stream) - 1)]
        self.i += 1
        return snap


def _stream(sc: Scenario, rng: np.random.Generator) -> list[Snapshot]:
    steps = int(HORIZON_S / INTERVAL_S)
    probs = {"stable": _bucket_probs(0.0), "canary": _bucket_probs(sc.latency_shift_s)}
    share = {"stable": 1 - WEIGHT, "canary": WEIGHT}
    p_err = {"stable": sc.p_stable, "canary": sc.p_canary}
    cum = {t: {"requests": 0.0, "errors": 0.0, "buckets": np.zeros(len(BOUNDS) + 1), "sum": 0.0}
           for t in share}
    out = [Snapshot(0.0, {t: TrackSnapshot({"requests": 0.0, "errors": 0.0}) for t in share})]
    for k in range(1, steps + 1):
        now = k * INTERVAL_S
        if sc.weight_after is not None and now > BURST_START_S:
            share = {"stable": 1 - sc.weight_after, "canary": sc.weight_after}
        burst = sc.burst_p is not None and BURST_START_S < now <= BURST_END_S
        tracks = {}
        for t in share:
            n = rng.poisson(sc.rps * INTERVAL_S * share[t])
            c = cum[t]
            c["requests"] += n
            c["errors"] += rng.binomial(n, sc.burst_p if burst else p_err[t])
            c["buckets"] += rng.multinomial(n, probs[t])
            c["sum"] += n * (0.013 + (sc.latency_shift_s if t == "canary" else 0.0))
            cumulative = np.cumsum(c["buckets"])
            by_le = {float(b): float(v) for b, v in zip(BOUNDS, cumulative[:-1])}
            by_le[math.inf] = float(cumulative[-1])
            tracks[t] = TrackSnapshot({"requests": c["requests"], "errors": c["errors"]},
                                      {"latency": Hist.from_cumulative(by_le, sum=c["sum"])})
        out.append(Snapshot(k * INTERVAL_S, tracks))
    return out


def _lendops(stream: list[Snapshot]) -> tuple[float | None, float | None, str | None]:
    provider = Replay(stream)
    analyzer = Analyzer(default_analysis(), provider)
    analyzer.begin()
    for snap in stream[1:]:
        result = analyzer.evaluate()
        if result.decision == "fail":
            return snap.taken_at, snap.track("canary").counter("requests"), result.failed[0].metric
    return None, None, None


def _naive(stream: list[Snapshot]) -> float | None:
    for snap in stream[1:]:
        c, s = snap.track("canary"), snap.track("stable")
        nc, ns = c.counter("requests"), s.counter("requests")
        if nc < 1 or ns < 1:
            continue
        ec, es = c.counter("errors"), s.counter("errors")
        pool = (ec + es) / (nc + ns)
        se = math.sqrt(pool * (1 - pool) * (1 / nc + 1 / ns)) if 0 < pool < 1 else 0.0
        if se > 0 and (ec / nc - es / ns) / se > 2.326:
            return snap.taken_at
    return None


def _flagger(stream: list[Snapshot]) -> tuple[float | None, float | None]:
    outcome = replay(stream)
    if not outcome.rolled_back:
        return None, None
    at = outcome.decided_at_s
    snap = next(s for s in stream if s.taken_at >= at - 1e-9)
    return at, snap.track("canary").counter("requests")


def _median(xs: list[float]) -> str:
    return f"{statistics.median(xs):.0f}" if xs else "–"


def run(runs_null: int, runs_effect: int, seed: int) -> tuple[list[dict], float]:
    scenarios = [
        Scenario("null: 0.5 % errors both, 20 req/s", 20, 0.005, 0.005, null=True),
        Scenario("null: 0.5 % errors both, 1 req/s (trickle)", 1, 0.005, 0.005, null=True),
        Scenario("null: zero errors, canary 5 ms faster, 20 req/s", 20, 0.0, 0.0, -0.005, null=True),
        Scenario("null: weight 10 % → 50 % at 5 min while a 2-min outage gives both tracks 5 % errors, 20 req/s",
                 20, 0.005, 0.005, null=True, weight_after=0.5, burst_p=0.05),
        Scenario("errors 2x (1 % vs 0.5 %), 20 req/s", 20, 0.005, 0.01),
        Scenario("errors 5x (2.5 % vs 0.5 %), 20 req/s", 20, 0.005, 0.025),
        Scenario("drill error_rate=0.05 (5 % vs 0 %), 20 req/s", 20, 0.0, 0.05),
        Scenario("drill error_rate=0.05 (5 % vs 0 %), 1 req/s", 1, 0.0, 0.05),
        Scenario("drill latency_ms=200, 20 req/s", 20, 0.0, 0.0, 0.200),
        Scenario("latency +20 ms, 20 req/s", 20, 0.0, 0.0, 0.020),
    ]
    rows = []
    started = time.perf_counter()
    for i, sc in enumerate(scenarios):
        rng = np.random.default_rng(seed + i)
        runs = runs_null if sc.null else runs_effect
        ours_t, ours_n, flag_t, flag_n, naive_hits, metrics = [], [], [], [], 0, {}
        for _ in range(runs):
            stream = _stream(sc, rng)
            t, n, metric = _lendops(stream)
            if t is not None:
                ours_t.append(t)
                ours_n.append(n)
                metrics[metric] = metrics.get(metric, 0) + 1
            ft, fn = _flagger(stream)
            if ft is not None:
                flag_t.append(ft)
                flag_n.append(fn)
            naive_hits += _naive(stream) is not None
        rows.append({
            "scenario": sc.name, "null": sc.null, "runs": runs,
            "ours_rate": len(ours_t) / runs, "ours_t": _median(ours_t), "ours_n": _median(ours_n),
            "flagger_rate": len(flag_t) / runs, "flagger_t": _median(flag_t), "flagger_n": _median(flag_n),
            "naive_rate": naive_hits / runs,
            "metrics": ", ".join(f"{m} {c}" for m, c in sorted(metrics.items())),
        })
        print(f"{sc.name}: lendops {len(ours_t)}/{runs} (median {_median(ours_t)} s, "
              f"{_median(ours_n)} canary req) [{rows[-1]['metrics']}]; flagger {len(flag_t)}/{runs} "
              f"(median {_median(flag_t)} s); naive z peeking {naive_hits}/{runs}", flush=True)
    return rows, time.perf_counter() - started


def _table(rows: list[dict], command: str, runs_null: int, runs_effect: int, seconds: float) -> str:
    lines = [
        "## Canary judge: false alarms and time to rollback (bench/judge_validity.py)",
        "",
        (f"Seeded simulation, canary weight {WEIGHT:.0%}, evaluated every {INTERVAL_S:g} s for "
         f"{HORIZON_S:g} s; {runs_null} runs per null scenario, {runs_effect} per effect scenario. "
         "lendops = `release.analysis.Analyzer` with the default spec (α = 0.01 for the whole "
         "canary, minSamples 30, tolerance 1.2), peeking at every evaluation; Flagger = its default "
         "analysis replayed (1 m interval, threshold 5, success ≥ 99 %, p99 ≤ 500 ms, no values = "
         "failed check); naive = one-sided two-proportion z-test at 99 % checked at every "
         f"evaluation. Command: `{command}` ({seconds:.0f} s)."),
        "",
        ("Null rows: share of good canaries rolled back (false alarms). Effect rows: share "
         "detected within the horizon, median seconds and canary requests until rollback."),
        "",
        "| scenario | lendops rolled back | lendops median s / canary req | Flagger rolled back | Flagger median s / canary req | naive z (peeking) rolled back |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['scenario']} | {r['ours_rate']:.1%}{' (' + r['metrics'] + ')' if r['metrics'] and not r['null'] else ''} "
            f"| {r['ours_t']} / {r['ours_n']} | {r['flagger_rate']:.1%} | {r['flagger_t']} / {r['flagger_n']} "
            f"| {r['naive_rate']:.1%} |"
        )
    return "\n".join(lines) + "\n"


def _write(section: str) -> None:
    path = Path(__file__).with_name("RESULTS.md")
    text = path.read_text()
    head = "## Canary judge: false alarms and time to rollback"
    if head in text:
        start = text.index(head)
        nxt = text.find("\n## ", start + len(head))
        text = text[:start] + section + (text[nxt + 1:] if nxt != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs-null", type=int, default=300)
    ap.add_argument("--runs-effect", type=int, default=60)
    ap.add_argument("--seed", type=int, default=20261128)
    ap.add_argument("--write-results", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.runs_null, args.runs_effect = 20, 10
    rows, seconds = run(args.runs_null, args.runs_effect, args.seed)
    command = "python -m bench.judge_validity " + " ".join(a for a in (argv if argv is not None else sys.argv[1:]))
    section = _table(rows, command.strip(), args.runs_null, args.runs_effect, seconds)
    print(section)
    if args.write_results:
        _write(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
