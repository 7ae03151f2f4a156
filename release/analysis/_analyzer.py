"""The analyzer: snapshots in, verdicts out; everything measured since ``begin()``."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from ._errors import AnalysisError, SpecError
from ._metrics import BUILTIN_JUDGES, Settings
from ._provider import MetricsProvider, QueryProvider
from ._snapshot import Increment, Snapshot, TrackSnapshot, increment
from ._spec import AnalysisSpec, MetricSpec, format_duration
from ._template import render
from ._verdict import AnalysisResult, Verdict, combine

__all__ = ["Analyzer"]

_STATE_VERSION = 1
_MAX_INTERVALS = 64
_CRITICAL_BY_DEFAULT = {"apr-guardrail"}
# Shares of alpha per statistical metric (normalised over the enabled ones). APR and
# granted line are downstream of the grade mix: a scoring change moves all three, and the
# higher bar for the downstream two lets the reason name the cause (approval-rate). A
# pure pricing or line fault grows its evidence exponentially, so 2x costs little.
_ALPHA_WEIGHTS = {"error-ratio": 2.0, "latency": 2.0, "approval-rate": 2.0, "apr": 1.0, "granted-line": 1.0}
_QUANTITIES = {
    "error-ratio": ("errors", "requests"),
    "latency": ("latency",),
    "approval-rate": ("declines", "decisions", "grades"),
    "apr": ("apr",),
    "granted-line": ("line",),
    "apr-guardrail": ("apr_outside",),
}


def _requests(inc: Increment) -> tuple[float, float]:
    return inc.track("canary").counter("requests"), inc.track("stable").counter("requests")


def _add(a: Increment, b: Increment) -> Increment:
    tracks: dict[str, TrackSnapshot] = {}
    for name in sorted(set(a.tracks) | set(b.tracks)):
        ta, tb = a.track(name), b.track(name)
        counters = {k: ta.counter(k) + tb.counter(k) for k in set(ta.counters) | set(tb.counters)}
        hists = {k: ta.histogram(k).plus(tb.histogram(k)) for k in set(ta.histograms) | set(tb.histograms)}
        tracks[name] = TrackSnapshot(counters, hists)
    return Increment(tracks, a.resets + b.resets)


def _close(a: Increment, b: Increment) -> bool:
    """Whether two intervals ran at the same canary share of requests.

    Such intervals are judged as one (the exposure share of the merged interval is what
    each of them had, up to binomial noise), which keeps the persisted state small; a
    change of weight starts a new interval, so each keeps its own exposure share.
    """
    ca, sa = _requests(a)
    cb, sb = _requests(b)
    if ca + sa <= 0 or cb + sb <= 0:
        return True
    wa, wb = ca / (ca + sa), cb / (cb + sb)
    w = (ca + cb) / (ca + sa + cb + sb)
    noise = 3.0 * math.sqrt(max(w * (1 - w), 1e-9) * (1 / (ca + sa) + 1 / (cb + sb)))
    return abs(wa - wb) <= max(0.01, 0.15 * max(wa, wb), noise)


def _gap(a: Increment, b: Increment) -> float:
    ca, sa = _requests(a)
    cb, sb = _requests(b)
    wa = ca / (ca + sa) if ca + sa > 0 else 0.0
    wb = cb / (cb + sb) if cb + sb > 0 else 0.0
    return abs(wa - wb)


def _inc_to_dict(inc: Increment) -> dict[str, Any]:
    return {"tracks": {k: t.to_dict() for k, t in inc.tracks.items()}, "resets": list(inc.resets)}


def _inc_from_dict(data: Mapping[str, Any]) -> Increment:
    return Increment({k: TrackSnapshot.from_dict(v) for k, v in data.get("tracks", {}).items()},
                     tuple(data.get("resets", ())))


class Analyzer:
    """Judges the canary against stable, as often as asked.

    >>> analyzer = Analyzer(spec, provider)      # doctest: +SKIP
    >>> analyzer.begin()                          # baseline: deltas count from here
    >>> analyzer.evaluate().decision              # "pass" | "fail" | "inconclusive"

    ``evaluate`` raises :class:`ProviderError` when metrics cannot be read; the caller
    decides how many such errors in a row it tolerates.
    """

    def __init__(self, spec: AnalysisSpec, provider: MetricsProvider, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.spec = spec
        self.provider = provider
        self.clock = clock
        self._baseline: Snapshot | None = None
        self._last: Snapshot | None = None
        self._intervals: list[Increment] = []
        self._resets: list[str] = []
        self._begun_at: float | None = None
        self._check()

    # -- set-up -----------------------------------------------------------------------
    def _check(self) -> None:
        thresholds = self.spec.thresholds()
        if thresholds and not callable(getattr(self.provider, "scalar", None)):
            names = ", ".join(m.name for m in thresholds)
            raise SpecError(f"threshold metric(s) {names} run PromQL and need the prometheus provider",
                            metrics=[m.name for m in thresholds])
        values = self._template_values()
        for m in thresholds:
            for template in (m.query, m.samples_query):
                if template is not None:
                    render(template, values)  # TemplateError names a missing key now, not mid-rollout

    def _template_values(self, track: str = "canary") -> dict[str, str]:
        elapsed = self.clock() - self._begun_at if self._begun_at is not None else 0.0
        window = max(math.ceil(elapsed), math.ceil(self.spec.interval_seconds), 1)
        return {
            "track": track,
            "interval": format_duration(self.spec.interval),
            "window": format_duration(window),
        }

    def settings(self, name: str) -> Settings:
        m = self.spec.metric(name)
        critical = name in _CRITICAL_BY_DEFAULT
        if m is not None and m.critical is not None:
            critical = m.critical
        return Settings(
            alpha=self.spec.alpha,
            min_samples=(m.min_samples if m is not None and m.min_samples is not None else self.spec.min_samples),
            tolerance=(m.tolerance if m is not None and m.tolerance is not None else self.spec.tolerance),
            critical=critical,
            share=self._alpha_share(name),
            margin=self.spec.margin,
        )

    def _alpha_share(self, name: str) -> float:
        total = sum(_ALPHA_WEIGHTS[n] for n in self.spec.builtins() if n in _ALPHA_WEIGHTS)
        return _ALPHA_WEIGHTS.get(name, 1.0) / total if name in _ALPHA_WEIGHTS and total else 1.0

    def _describe(self, name: str) -> str:
        describe = getattr(self.provider, "describe", None)
        parts = _QUANTITIES[name]
        if describe is None:
            text = " ÷ ".join(parts[:2]) + (f"; {parts[2]}" if len(parts) > 2 else "")
        else:
            text = " ÷ ".join(describe(q, "canary") for q in parts[:2])
            if len(parts) > 2:
                text += f"; grade mix: {describe(parts[2], 'canary')}"
        return f"{text} (and track=stable), increase since the analysis began"

    # -- lifecycle ----------------------------------------------------------------------
    def begin(self) -> None:
        """Take the baseline snapshot; every verdict covers what happened after it."""
        snap = self.provider.snapshot()
        self._baseline = self._last = snap
        self._intervals = []
        self._resets = []
        self._begun_at = self.clock()

    @property
    def begun(self) -> bool:
        return self._baseline is not None

    def _record(self, inc: Increment) -> None:
        if inc.resets:
            self._resets.extend(r for r in inc.resets if r not in self._resets)
        if self._intervals and _close(self._intervals[-1], inc):
            self._intervals[-1] = _add(self._intervals[-1], inc)
        else:
            self._intervals.append(inc)
        while len(self._intervals) > _MAX_INTERVALS:
            gaps = [_gap(a, b) for a, b in zip(self._intervals, self._intervals[1:])]
            k = gaps.index(min(gaps))
            self._intervals[k:k + 2] = [_add(self._intervals[k], self._intervals[k + 1])]

    def evaluate(self) -> AnalysisResult:
        """Verdicts for everything since :meth:`begin` (which it calls if nobody did)."""
        if self._last is None:
            self.begin()
        else:
            snap = self.provider.snapshot()
            self._record(increment(snap, self._last))
            self._last = snap
        verdicts = [BUILTIN_JUDGES[name](self._intervals, self.settings(name), self._describe(name))
                    for name in self.spec.builtins()]
        verdicts.extend(self._threshold(m) for m in self.spec.thresholds())
        notes = [f"counter reset on {r} (process restarted?): counted from zero, no negative delta"
                 for r in self._resets]
        return combine(verdicts, notes)

    def totals(self) -> Increment:
        """Everything since :meth:`begin`, per track (resets handled)."""
        total = Increment({})
        for inc in self._intervals:
            total = _add(total, inc)
        return total

    # -- threshold metrics --------------------------------------------------------------
    def _threshold(self, m: MetricSpec) -> Verdict:
        assert m.query is not None
        provider = self.provider
        assert isinstance(provider, QueryProvider)  # checked in _check()
        scalar = provider.scalar
        settings = self.settings(m.name)
        bound = m.max if m.max is not None else m.min
        q_c = render(m.query, self._template_values("canary"))
        q_s = render(m.query, self._template_values("stable"))
        value_c, value_s = scalar(q_c), scalar(q_s)
        totals = self.totals()
        if m.samples_query is not None:
            n_c = scalar(render(m.samples_query, self._template_values("canary"))) or 0.0
            n_s = scalar(render(m.samples_query, self._template_values("stable"))) or 0.0
        else:
            n_c, n_s = totals.track("canary").counter("requests"), totals.track("stable").counter("requests")
        canary = {"value": value_c, "n": n_c}
        stable = {"value": value_s, "n": n_s}

        def verdict(decision: str, text: str) -> Verdict:
            return Verdict(m.name, "threshold", decision, settings.critical, q_c, stable, canary,  # type: ignore[arg-type]
                           value_c, bound, text)

        if n_c < settings.min_samples:
            return verdict("inconclusive", f"not enough data: canary n={n_c:g} (need {settings.min_samples}); keep watching")
        if value_c is None:
            return verdict("inconclusive", "query returned no data for the canary; keep watching")
        shown = f"canary {value_c:.4g} (stable {value_s:.4g})" if value_s is not None else f"canary {value_c:.4g}"
        if m.max is not None and value_c > m.max:
            return verdict("fail", f"{shown} > max {m.max:g} (n={n_c:g})")
        if m.min is not None and value_c < m.min:
            return verdict("fail", f"{shown} < min {m.min:g} (n={n_c:g})")
        limits = " ".join(x for x in (f"max {m.max:g}" if m.max is not None else "",
                                      f"min {m.min:g}" if m.min is not None else "") if x)
        return verdict("pass", f"{shown} within {limits} (n={n_c:g})")

    # -- persistence --------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """JSON-serialisable state; :meth:`restore` continues from it."""
        return {
            "version": _STATE_VERSION,
            "begun_at": self._begun_at,
            "baseline": self._baseline.to_dict() if self._baseline is not None else None,
            "last": self._last.to_dict() if self._last is not None else None,
            "intervals": [_inc_to_dict(i) for i in self._intervals],
            "resets": list(self._resets),
        }

    @classmethod
    def restore(cls, spec: AnalysisSpec, provider: MetricsProvider, state: Mapping[str, Any], *,
                clock: Callable[[], float] = time.monotonic) -> Analyzer:
        if state.get("version") != _STATE_VERSION:
            raise AnalysisError(f"unknown analyzer state version {state.get('version')!r}",
                                version=state.get("version"))
        a = cls(spec, provider, clock=clock)
        a._begun_at = state.get("begun_at")
        a._baseline = Snapshot.from_dict(state["baseline"]) if state.get("baseline") else None
        a._last = Snapshot.from_dict(state["last"]) if state.get("last") else None
        a._intervals = [_inc_from_dict(i) for i in state.get("intervals", ())]
        a._resets = list(state.get("resets", ()))
        return a


