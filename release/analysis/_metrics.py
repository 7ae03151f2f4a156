"""The built-in metrics: how each one turns interval increments into a verdict.

Pure: increments in, :class:`Verdict` out. Queries are passed in as text, only for the
explanation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from ._judge import (
    CountInterval,
    HistInterval,
    count_equivalence,
    count_evidence,
    histogram_equivalence,
    histogram_evidence,
    quantile,
)
from ._snapshot import Hist, Increment
from ._verdict import Verdict

__all__ = ["BUILTIN_JUDGES", "LINE_CAP_BOUND", "Settings"]

#: ``lending_granted_line_fen`` isolates lines at the 50,000 CNY cap above this bound.
LINE_CAP_BOUND = 4_990_000.0


@dataclass(frozen=True)
class Settings:
    """``alpha`` is the whole canary's false-alarm bound; this metric may spend the
    fraction ``share`` of it (weighted Bonferroni: the shares of all statistical metrics
    sum to 1), so the rollout as a whole keeps ``alpha``."""

    alpha: float
    min_samples: int
    tolerance: float
    critical: bool
    share: float = 1.0
    margin: float = 2.0

    @property
    def bar(self) -> float:
        return 1.0 / (self.alpha * self.share)

    @property
    def equivalence_bar(self) -> float:
        """A pass needs every metric shown equivalent (an intersection-union test), so
        each may use the whole alpha: no Bonferroni split here."""
        return 1.0 / self.alpha

    @property
    def bar_text(self) -> str:
        if self.share >= 1.0:
            return f"1/α={self.bar:g}"
        return f"{self.bar:g} (α={self.alpha:g}, this metric's share {self.share:.3g})"


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _e(x: float) -> str:
    if x >= 1e6:
        return f"{x:.2e}"
    return f"{x:.3g}"


def _not_enough(name: str, judge: str, s: Settings, query: str, n_c: float, n_s: float,
                stable: dict, canary: dict, unit: str, statistic: float | None) -> Verdict | None:
    if n_c >= s.min_samples and n_s >= s.min_samples:
        return None
    return Verdict(
        name, judge, "inconclusive", s.critical, query, stable, canary, statistic, s.bar,
        f"not enough data: canary n={n_c:g}, stable n={n_s:g} {unit} (need {s.min_samples} each); keep watching",
    )


def _no_regression(name: str, judge: str, s: Settings, query: str, stable: dict, canary: dict,
                   e: float, log_eq: float, text: str, *, rests_on: str = "") -> Verdict:
    """Below the regression bar: ``pass`` only once equivalence is shown, else keep
    watching. "Not rejected yet" is not "fine": with little data a 5 %-error canary
    sits below the bar too."""
    eq = math.exp(min(log_eq, 700.0))
    canary = {**canary, "equivalence_e": eq}
    if eq >= s.equivalence_bar:
        return Verdict(name, judge, "pass", s.critical, query, stable, canary, e, s.bar,
                       f"{text}; equivalent within ×{s.margin:g}{rests_on} (e-value {_e(eq)} ≥ "
                       f"{s.equivalence_bar:g})")
    return Verdict(name, judge, "inconclusive", s.critical, query, stable, canary, e, s.bar,
                   f"{text}; not yet shown within ×{s.margin:g} of stable{rests_on} (e-value {_e(eq)} < "
                   f"{s.equivalence_bar:g}): keep watching")


def _count_verdict(name: str, incs: Sequence[Increment], s: Settings, query: str, *,
                   events: str, exposure: str, direction: Literal["greater", "two-sided"],
                   label: str, unit: str, describe: Callable[[float, float, str], str]) -> Verdict:
    ivs = [
        CountInterval(i.track("canary").counter(events), i.track("stable").counter(events),
                      i.track("canary").counter(exposure), i.track("stable").counter(exposure))
        for i in incs
    ]
    ev = count_evidence(ivs, tolerance=s.tolerance, direction=direction)
    canary = {"value": ev.rate_canary, label: ev.rate_canary, events: ev.events_canary, "n": ev.exposure_canary}
    stable = {"value": ev.rate_stable, label: ev.rate_stable, events: ev.events_stable, "n": ev.exposure_stable}
    e = ev.e_value
    low = _not_enough(name, "sequential-count", s, query, ev.exposure_canary, ev.exposure_stable,
                      stable, canary, unit, e)
    if low is not None:
        return low
    head = describe(ev.rate_canary or 0.0, ev.rate_stable or 0.0, ev.direction)
    sizes = f"(n={ev.exposure_canary:g}/{ev.exposure_stable:g})"
    if e >= s.bar:
        return Verdict(name, "sequential-count", "fail", s.critical, query, stable, canary, e, s.bar,
                       f"{head} {sizes}, e-value {_e(e)} ≥ {s.bar_text}")
    return _no_regression(name, "sequential-count", s, query, stable, canary, e,
                          count_equivalence(ivs, margin=s.margin, direction=direction),
                          f"{head} {sizes}, e-value {_e(e)} < {s.bar:g}: no regression beyond ×{s.tolerance:g}")


def _error_ratio(incs: Sequence[Increment], s: Settings, query: str) -> Verdict:
    return _count_verdict(
        "error-ratio", incs, s, query, events="errors", exposure="requests", direction="greater",
        label="error_ratio", unit="requests",
        describe=lambda c, st, d: f"canary {_pct(c)} vs stable {_pct(st)} 5xx",
    )


_GRADE_NAMES = {1.0: "A", 2.0: "B", 3.0: "C"}


_APPROVED_BOUNDS = (1.0, 2.0, 3.0)  # A | B | C | other approved grades


def _approved_grades(h: Hist) -> Hist:
    """The grade histogram of approvals only (declines, at +Inf, left out)."""
    cum = h.at((*_APPROVED_BOUNDS, 4.0))
    return Hist(tuple(zip(_APPROVED_BOUNDS, cum[:-1])), cum[-1], 0.0)


def _approval_rate(incs: Sequence[Increment], s: Settings, query: str) -> Verdict:
    """Approval drift: the declined share of credit decisions (two-sided count test) and
    the grades of approvals (ordinal A < B < C < other, two-sided histogram test); the
    e-value is the mean of both.

    A scoring change moves approvals across grades long before enough extra declines pile
    up; judged among approvals the grade shift is as sharp as the APR shift it causes, so
    the reason names the cause rather than the downstream price.
    """
    ivs = [
        CountInterval(i.track("canary").counter("declines"), i.track("stable").counter("declines"),
                      i.track("canary").counter("decisions"), i.track("stable").counter("decisions"))
        for i in incs
    ]
    count = count_evidence(ivs, tolerance=s.tolerance, direction="two-sided")
    hivs = []
    tc, ts = Hist(), Hist()
    for i in incs:
        gc = _approved_grades(i.track("canary").histogram("grades"))
        gs = _approved_grades(i.track("stable").histogram("grades"))
        tc, ts = tc.plus(gc), ts.plus(gs)
        hivs.append(HistInterval(gc.at(_APPROVED_BOUNDS), gs.at(_APPROVED_BOUNDS), gc.count, gs.count))
    mix = histogram_evidence(hivs, _APPROVED_BOUNDS, tolerance=s.tolerance, direction="two-sided")
    has_grades = tc.count > 0 or ts.count > 0
    log_e = (math.log(0.5) + math.log(math.exp(min(count.log_e, 700.0)) + math.exp(min(mix.log_e, 700.0)))
             if has_grades else count.log_e)
    e = math.exp(min(log_e, 700.0))

    def side(rate: float | None, declines: float, n: float, h: Hist) -> dict:
        shares = {}
        if h.count:
            prev = 0.0
            for b, cum in zip(_APPROVED_BOUNDS, h.at(_APPROVED_BOUNDS)):
                shares[f"grade_{_GRADE_NAMES[b]}_of_approvals"] = (cum - prev) / h.count
                prev = cum
        return {"value": None if rate is None else 1.0 - rate, "approval_rate": None if rate is None else 1.0 - rate,
                "declined_share": rate, "declines": declines, "n": n, **shares}

    canary = side(count.rate_canary, count.events_canary, count.exposure_canary, tc)
    stable = side(count.rate_stable, count.events_stable, count.exposure_stable, ts)
    judge = "sequential-count+histogram" if has_grades else "sequential-count"
    low = _not_enough("approval-rate", judge, s, query, count.exposure_canary,
                      count.exposure_stable, stable, canary, "credit decisions", e)
    if low is not None:
        return low
    c, st = count.rate_canary or 0.0, count.rate_stable or 0.0
    move = "fewer approvals" if c > st else "more approvals" if c < st else "same approvals"
    head = f"canary approves {_pct(1 - c)} vs stable {_pct(1 - st)} ({move})"
    if e >= s.bar and mix.best is not None and mix.log_e > count.log_e:
        tail, j, _ = mix.best
        b = _APPROVED_BOUNDS[j]
        if tail in ("upper", "below"):
            where = f"below grade {_GRADE_NAMES[b]}"
            sc, ss = _share(tc, b, True), _share(ts, b, True)
        else:
            where = f"at grade {_GRADE_NAMES[b]} or better"
            sc, ss = _share(tc, b, False), _share(ts, b, False)
        head += f"; grades shifted: {_pct(sc)} of canary approvals {where} vs {_pct(ss)} of stable"
    sizes = f"(n={count.exposure_canary:g}/{count.exposure_stable:g})"
    if e >= s.bar:
        return Verdict("approval-rate", judge, "fail", s.critical, query, stable, canary, e, s.bar,
                       f"{head} {sizes}, e-value {_e(e)} ≥ {s.bar_text}")
    return _no_regression("approval-rate", judge, s, query, stable, canary, e,
                          count_equivalence(ivs, margin=s.margin, direction="two-sided"),
                          f"{head} {sizes}, e-value {_e(e)} < {s.bar:g}: no drift beyond ×{s.tolerance:g}",
                          rests_on=" (declined share)")


def _hist_intervals(incs: Sequence[Increment], key: str) -> tuple[list[HistInterval], tuple[float, ...], Hist, Hist]:
    bounds: set[float] = set()
    total_c, total_s = Hist(), Hist()
    for i in incs:
        hc, hs = i.track("canary").histogram(key), i.track("stable").histogram(key)
        bounds.update(hc.bounds())
        bounds.update(hs.bounds())
        total_c, total_s = total_c.plus(hc), total_s.plus(hs)
    b = tuple(sorted(bounds))
    ivs = [
        HistInterval(i.track("canary").histogram(key).at(b), i.track("stable").histogram(key).at(b),
                     i.track("canary").histogram(key).count, i.track("stable").histogram(key).count)
        for i in incs
    ]
    return ivs, b, total_c, total_s


def _hist_values(h: Hist, bounds: tuple[float, ...]) -> dict:
    cum = h.at(bounds)
    return {
        "n": h.count,
        "mean": h.sum / h.count if h.count else None,
        "p50": quantile(0.5, bounds, cum, h.count),
        "p99": quantile(0.99, bounds, cum, h.count),
    }


def _share(h: Hist, bound: float, upper: bool) -> float | None:
    if not h.count:
        return None
    below = h.at((bound,))[0]
    return (h.count - below) / h.count if upper else below / h.count


def _hist_verdict(name: str, key: str, incs: Sequence[Increment], s: Settings, query: str, *,
                  direction: Literal["greater", "two-sided"], slack: int, unit: str,
                  fmt: Callable[[float], str], what: str, extra: Callable[[Hist, tuple[float, ...]], dict] | None = None) -> Verdict:
    ivs, bounds, tc, ts = _hist_intervals(incs, key)
    ev = histogram_evidence(ivs, bounds, tolerance=s.tolerance, direction=direction, slack=slack)
    canary, stable = _hist_values(tc, bounds), _hist_values(ts, bounds)
    headline = "p99" if key == "latency" else "mean"
    canary["value"], stable["value"] = canary[headline], stable[headline]
    if extra is not None:
        canary.update(extra(tc, bounds))
        stable.update(extra(ts, bounds))
    e = ev.e_value
    low = _not_enough(name, "sequential-histogram", s, query, tc.count, ts.count, stable, canary, unit, e)
    if low is not None:
        return low
    sizes = f"(n={tc.count:g}/{ts.count:g})"
    summary = (f"p50 {fmt(canary['p50'])} vs {fmt(stable['p50'])}, p99 {fmt(canary['p99'])} vs "
               f"{fmt(stable['p99'])}")
    if ev.best is not None:
        tail, j, _ = ev.best
        b_c = bounds[j]
        if tail in ("upper", "below"):
            b_s = bounds[j - slack] if j - slack >= 0 else -math.inf
            share_c, share_s = _share(tc, b_c, True), (_share(ts, b_s, True) if b_s > -math.inf else 1.0)
            where = (f"{_pct(share_c)} of canary {what} above {fmt(b_c)} vs {_pct(share_s)} of stable"
                     + (f" above {fmt(b_s)}" if slack else ""))
            sense = "higher" if key != "latency" else "slower"
        else:
            b_s = bounds[j + slack] if j + slack < len(bounds) else math.inf
            share_c, share_s = _share(tc, b_c, False), (_share(ts, b_s, False) if b_s < math.inf else 1.0)
            where = (f"{_pct(share_c)} of canary {what} at or below {fmt(b_c)} vs {_pct(share_s)} of stable"
                     + (f" at or below {fmt(b_s)}" if slack else ""))
            sense = "lower"
        canary["worst_bound"], canary["worst_share"] = b_c, share_c
        stable["worst_bound"], stable["worst_share"] = b_s if math.isfinite(b_s) else None, share_s
    if e >= s.bar and ev.best is not None:
        return Verdict(name, "sequential-histogram", "fail", s.critical, query, stable, canary, e, s.bar,
                       f"canary {sense}: {where}; {summary} {sizes}, e-value {_e(e)} ≥ {s.bar_text}")
    log_eq, informative = histogram_equivalence(ivs, bounds, margin=s.margin, direction=direction)
    return _no_regression(name, "sequential-histogram", s, query, stable, canary, e, log_eq,
                          f"{summary} {sizes}, e-value {_e(e)} < {s.bar:g}: no shift beyond ×{s.tolerance:g}",
                          rests_on=f" at {informative} bucket bounds" if informative else " (no informative bucket)")


def _seconds(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"


def _bps(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0f} bps"


def _cny(x: float | None) -> str:
    return "n/a" if x is None else f"{x / 100:,.0f} CNY"


def _latency(incs: Sequence[Increment], s: Settings, query: str) -> Verdict:
    # One bucket of slack: the canary fails only if its tail above bound j is heavier
    # than stable's above the bound below j, i.e. the shift spans a whole bucket.
    return _hist_verdict("latency", "latency", incs, s, query, direction="greater", slack=1,
                         unit="requests", fmt=_seconds, what="requests")


def _apr(incs: Sequence[Increment], s: Settings, query: str) -> Verdict:
    return _hist_verdict("apr", "apr", incs, s, query, direction="two-sided", slack=0,
                         unit="grants", fmt=_bps, what="grants")


def _line(incs: Sequence[Increment], s: Settings, query: str) -> Verdict:
    def at_cap(h: Hist, bounds: tuple[float, ...]) -> dict:
        return {"share_at_cap": _share(h, LINE_CAP_BOUND, True) if LINE_CAP_BOUND in bounds else None}

    v = _hist_verdict("granted-line", "line", incs, s, query, direction="two-sided", slack=0,
                      unit="grants", fmt=_cny, what="lines", extra=at_cap)
    if v.decision != "inconclusive":
        cap = f"; at cap {_pct(v.canary.get('share_at_cap'))} vs {_pct(v.stable.get('share_at_cap'))}"
        mean = f"; mean {_cny(v.canary.get('mean'))} vs {_cny(v.stable.get('mean'))}"
        head, sep, tail = v.explanation.partition(" (n=")
        v = Verdict(v.metric, v.judge, v.decision, v.critical, v.query, v.stable, v.canary,
                    v.statistic, v.threshold, head + mean + cap + sep + tail)
    return v


def _guardrail(incs: Sequence[Increment], s: Settings, query: str) -> Verdict:
    out_c = sum(i.track("canary").counter("apr_outside") for i in incs)
    out_s = sum(i.track("stable").counter("apr_outside") for i in incs)
    n_c = sum(i.track("canary").histogram("apr").count for i in incs)
    n_s = sum(i.track("stable").histogram("apr").count for i in incs)
    canary = {"value": out_c, "outside": out_c, "n": n_c}
    stable = {"value": out_s, "outside": out_s, "n": n_s}
    if out_c > 0:
        return Verdict("apr-guardrail", "guardrail", "fail", True, query, stable, canary, out_c, 0.0,
                       f"{out_c:g} canary APR(s) outside [LPR, 4×LPR] among {n_c:g} grants: rule, rolls back at once")
    if n_c < s.min_samples:
        return Verdict("apr-guardrail", "guardrail", "inconclusive", s.critical, query, stable, canary,
                       out_c, 0.0, f"no APR outside the guardrail yet, but only {n_c:g} canary grants "
                       f"(need {s.min_samples}); keep watching")
    return Verdict("apr-guardrail", "guardrail", "pass", s.critical, query, stable, canary, out_c, 0.0,
                   f"no canary APR outside [LPR, 4×LPR] in {n_c:g} grants")


BUILTIN_JUDGES: Mapping[str, Callable[[Sequence[Increment], Settings, str], Verdict]] = {
    "error-ratio": _error_ratio,
    "latency": _latency,
    "approval-rate": _approval_rate,
    "apr": _apr,
    "granted-line": _line,
    "apr-guardrail": _guardrail,
}
