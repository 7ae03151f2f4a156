"""Anytime-valid judges: pure functions from counts to evidence.

The count test (JUDGE.md; Lindon & Malek 2022, Netflix's counting-process tests)
--------------------------------------------------------------------------------
Per evaluation interval k each track has an exposure ``n`` (requests, decisions,
grants) and an event count ``e`` (5xx, declines, requests slower than a bucket bound).
Let ``rho`` be the ratio of the canary's event rate per exposure to stable's. Given the
interval's events, the canary's share of them is Binomial with
``theta(rho) = rho n_c / (rho n_c + n_s)``. The null "no regression" is
``rho <= tol``; the alternative puts a prior over ``rho > tol`` (a geometric grid in
``log(rho / tol)``). The mixture likelihood ratio

    E = sum_g pi_g prod_k (theta_k(rho_g)/theta_k(tol))^e_c,k ((1-theta_k(rho_g))/(1-theta_k(tol)))^e_s,k

is a non-negative supermartingale under the null (each factor has expectation <= 1:
exactly 1 for Poisson counts at rho = tol, below 1 for Bernoulli/multinomial counts
because (1+x)^n <= e^(nx), and below 1 for rho < tol by monotone likelihood ratio). By
Ville's inequality P(sup_t E_t >= 1/alpha) <= alpha: the false-alarm bound holds however
often the judge looks. Exposure is the *measured* share per interval, so weight changes
and sticky routing that skews the share do not bias it.

Histograms become many count tests: the events of bound j are the requests above it
(upper tail) or at/below it (lower tail). The average of e-values is an e-value, so the
histogram's evidence is the mean over its bounds (cost: at most log(#bounds)). A
``slack`` of s buckets compares the canary's tail above bound j with stable's above
bound j-s: the practical effect threshold for latency (crossing one bucket bound by a
millisecond is not a regression).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = [
    "CountEvidence",
    "CountInterval",
    "Direction",
    "HistEvidence",
    "HistInterval",
    "count_evidence",
    "count_log_e_path",
    "histogram_evidence",
    "quantile",
]

Direction = Literal["greater", "less", "two-sided"]

# log(rho/tol) from a 2 % to a ~3000x excess: a log-uniform prior over effect sizes, so
# that a 25x error-rate jump and a 1.5x drift are both found without tuning.
_DELTAS = np.geomspace(0.02, 8.0, 40)
_LOG_PRIOR = -math.log(len(_DELTAS))


@dataclass(frozen=True)
class CountInterval:
    """Counts of one evaluation interval: events and exposure per track."""

    events_canary: float
    events_stable: float
    exposure_canary: float
    exposure_stable: float


@dataclass(frozen=True)
class CountEvidence:
    log_e: float  # natural log of the e-value
    log_e_greater: float
    log_e_less: float
    events_canary: float
    events_stable: float
    exposure_canary: float
    exposure_stable: float

    @property
    def e_value(self) -> float:
        return _exp(self.log_e)

    @property
    def rate_canary(self) -> float | None:
        return self.events_canary / self.exposure_canary if self.exposure_canary else None

    @property
    def rate_stable(self) -> float | None:
        return self.events_stable / self.exposure_stable if self.exposure_stable else None

    @property
    def direction(self) -> Literal["greater", "less"]:
        return "greater" if self.log_e_greater >= self.log_e_less else "less"


def _exp(x: float) -> float:
    return math.exp(min(x, 700.0))


def _lse(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """log-sum-exp (scipy's is ~50x slower per call on these small arrays)."""
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(x - m), axis=axis))


def _log_e_tests(ec: np.ndarray, es: np.ndarray, nc: np.ndarray, ns: np.ndarray,
                 tolerance: float, sign: float) -> np.ndarray:
    """One-sided log e-values of many tests at once.

    ``ec``/``es``: events, shape (tests, intervals); ``nc``/``ns``: exposure, (intervals,).
    Intervals where a track had no exposure carry no information and are skipped.
    """
    tests = ec.shape[0]
    ok = (nc > 0) & (ns > 0)
    if not ok.any():
        return np.zeros(tests)
    ec, es, nc, ns = ec[:, ok], es[:, ok], nc[ok], ns[ok]
    lnc, lns = np.log(nc)[:, None], np.log(ns)[:, None]          # (K, 1)
    log_rho0 = sign * math.log(tolerance)
    a1 = (log_rho0 + sign * _DELTAS)[None, :] + lnc              # (K, G)
    n1 = np.logaddexp(a1, lns)
    a0 = log_rho0 + lnc                                          # (K, 1)
    n0 = np.logaddexp(a0, lns)
    d_t = (a1 - n1) - (a0 - n0)   # log theta(rho) - log theta(rho0)
    d_f = n0 - n1                 # log (1-theta(rho)) - log (1-theta(rho0))
    ll = np.einsum("tk,kg->tg", ec, d_t) + np.einsum("tk,kg->tg", es, d_f)
    return _lse(ll + _LOG_PRIOR, axis=1)


def _log_e_one_sided(ec: np.ndarray, es: np.ndarray, nc: np.ndarray, ns: np.ndarray,
                     tolerance: float, sign: float) -> float:
    if ec.size == 0:
        return 0.0
    return float(_log_e_tests(ec[None, :], es[None, :], nc, ns, tolerance, sign)[0])


def _arrays(intervals: Sequence[CountInterval]) -> tuple[np.ndarray, ...]:
    ec = np.array([max(i.events_canary, 0.0) for i in intervals], dtype=float)
    es = np.array([max(i.events_stable, 0.0) for i in intervals], dtype=float)
    # Exposure never below the events it produced (guards rounding in Prometheus values).
    nc = np.maximum(np.array([i.exposure_canary for i in intervals], dtype=float), ec)
    ns = np.maximum(np.array([i.exposure_stable for i in intervals], dtype=float), es)
    return ec, es, nc, ns


def count_evidence(intervals: Sequence[CountInterval], *, tolerance: float,
                   direction: Direction = "greater") -> CountEvidence:
    """Evidence that the canary's event rate exceeds ``tolerance`` x stable's.

    ``direction="less"`` tests the canary's rate being below stable's / tolerance;
    ``"two-sided"`` averages both one-sided e-values (still an e-value).

    >>> ev = count_evidence([CountInterval(20, 2, 400, 3600)], tolerance=1.2)
    >>> ev.e_value > 100
    True
    """
    if tolerance < 1.0:
        raise ValueError("tolerance must be >= 1")
    if intervals:
        ec, es, nc, ns = _arrays(intervals)
    else:
        ec = es = nc = ns = np.zeros(0)
    up = _log_e_one_sided(ec, es, nc, ns, tolerance, +1.0) if direction != "less" else -math.inf
    down = _log_e_one_sided(ec, es, nc, ns, tolerance, -1.0) if direction != "greater" else -math.inf
    if direction == "greater":
        log_e = up
    elif direction == "less":
        log_e = down
    else:
        log_e = float(np.logaddexp(up, down) - math.log(2.0))
    return CountEvidence(
        log_e=log_e, log_e_greater=up, log_e_less=down,
        events_canary=float(ec.sum()), events_stable=float(es.sum()),
        exposure_canary=float(nc.sum()), exposure_stable=float(ns.sum()),
    )


def count_equivalence(intervals: Sequence[CountInterval], *, margin: float,
                      direction: Direction = "greater") -> float:
    """log e-value *against* "the canary is worse than ``margin`` x stable": the other
    half of a three-way sequential decision (regression / keep watching / equivalent).

    ``greater`` tests H0: rho >= margin against rho < margin; ``less`` tests
    H0: rho <= 1/margin; ``two-sided`` needs both (an intersection-union test: the
    smaller e-value). The same mixture martingale as :func:`count_evidence`, mirrored, so
    Ville's inequality bounds the chance of calling a bad canary equivalent by 1/E.
    Without events on either track there is no evidence: the result is 0 (e-value 1),
    never "equivalent".

    >>> import math
    >>> math.exp(count_equivalence([CountInterval(200, 600, 1000, 3000)], margin=2.0)) > 100
    True
    """
    if margin <= 1.0:
        raise ValueError("margin must be > 1")
    if not intervals:
        return 0.0
    ec, es, nc, ns = _arrays(intervals)
    logs = []
    if direction in ("greater", "two-sided"):
        logs.append(_log_e_one_sided(ec, es, nc, ns, 1.0 / margin, -1.0))
    if direction in ("less", "two-sided"):
        logs.append(_log_e_one_sided(ec, es, nc, ns, 1.0 / margin, +1.0))
    return float(min(logs))


def histogram_equivalence(intervals: Sequence["HistInterval"], bounds: Sequence[float], *, margin: float,
                          direction: Literal["greater", "two-sided"] = "greater",
                          min_share: float = 0.1) -> tuple[float, int]:
    """log e-value against "the canary's distribution is shifted beyond ``margin``",
    and how many bounds it rests on.

    At every informative bound (stable's share above it within [min_share, 1-min_share])
    the canary's tail above the bound must be shown no heavier than ``margin`` x
    stable's (and, two-sided, no lighter than stable's / margin); all of them at once
    (intersection-union: the smallest e-value). No informative bound: no evidence.
    """
    if not intervals or not bounds:
        return 0.0, 0
    count_s = sum(iv.count_stable for iv in intervals)
    if count_s <= 0:
        return 0.0, 0
    logs: list[float] = []
    for j in range(len(bounds)):
        above_s = sum(iv.count_stable - iv.stable[j] for iv in intervals)
        if not min_share <= above_s / count_s <= 1.0 - min_share:
            continue
        tails = [CountInterval(iv.count_canary - iv.canary[j], iv.count_stable - iv.stable[j],
                               iv.count_canary, iv.count_stable) for iv in intervals]
        logs.append(count_equivalence(tails, margin=margin, direction=direction if direction == "greater"
                                      else "two-sided"))
    if not logs:
        return 0.0, 0
    return float(min(logs)), len(logs)


@dataclass(frozen=True)
class HistInterval:
    """One interval of two cumulative histograms on common ``bounds`` (finite ``le``s).

    ``canary[j]`` is the canary's count at or below ``bounds[j]``; ``count_canary`` the
    canary's total (the ``+Inf`` bucket).
    """

    canary: tuple[float, ...]
    stable: tuple[float, ...]
    count_canary: float
    count_stable: float


@dataclass(frozen=True)
class HistEvidence:
    log_e: float
    # (part, bound index, evidence); part: "upper"/"below" = evidence of an upward shift
    # (canary heavier above / lighter at-or-below the bound), "lower"/"above" = downward.
    tests: tuple[tuple[str, int, CountEvidence], ...]
    best: tuple[str, int, CountEvidence] | None

    @property
    def e_value(self) -> float:
        return _exp(self.log_e)


def histogram_evidence(intervals: Sequence[HistInterval], bounds: Sequence[float], *,
                       tolerance: float, direction: Literal["greater", "two-sided"] = "greater",
                       slack: int = 0) -> HistEvidence:
    """Evidence that the canary's distribution is shifted up (or either way).

    "greater" means stochastically larger (slower, dearer, bigger lines): the canary is
    over-represented above some bound. "two-sided" also tests the lower tails.
    """
    nb = len(bounds)
    tests: list[tuple[str, int, CountEvidence]] = []
    if nb and intervals:
        cc = np.array([iv.canary for iv in intervals], dtype=float).T   # (bounds, intervals)
        cs = np.array([iv.stable for iv in intervals], dtype=float).T
        nc = np.array([iv.count_canary for iv in intervals], dtype=float)
        ns = np.array([iv.count_stable for iv in intervals], dtype=float)
        # Stable's cumulative counts with both ends: index j+1 is bound j, 0 is -inf, nb+1 is +inf.
        cs_ext = np.vstack([np.zeros((1, len(intervals))), cs, ns[None, :]])
        specs: list[tuple[str, int, float, np.ndarray, np.ndarray]] = []
        # An upward shift (beyond `slack` buckets) shows as a heavier canary tail above a
        # bound ("upper", rate ratio > tol) or a lighter canary share at or below it
        # ("below", ratio < 1/tol); whichever part is rarer carries more evidence.
        for j in range(slack, nb):
            s_below = cs_ext[j - slack + 1]
            specs.append(("upper", j, +1.0, nc - cc[j], ns - s_below))
            specs.append(("below", j, -1.0, cc[j], s_below))
        if direction == "two-sided":
            for j in range(nb - slack):
                s_below = cs_ext[j + slack + 1]
                specs.append(("lower", j, +1.0, cc[j], s_below))
                specs.append(("above", j, -1.0, nc - cc[j], ns - s_below))
        for sign in (+1.0, -1.0):
            group = [sp for sp in specs if sp[2] == sign]
            if not group:
                continue
            ec = np.clip(np.array([g[3] for g in group]), 0.0, None)
            es = np.clip(np.array([g[4] for g in group]), 0.0, None)
            logs = _log_e_tests(ec, es, np.maximum(nc, ec.max(axis=0)), np.maximum(ns, es.max(axis=0)),
                                tolerance, sign)
            for (tail, j, _, _, _), lg, c_row, s_row in zip(group, logs, ec, es):
                tests.append((tail, j, CountEvidence(
                    log_e=float(lg), log_e_greater=float(lg) if sign > 0 else -math.inf,
                    log_e_less=float(lg) if sign < 0 else -math.inf,
                    events_canary=float(c_row.sum()), events_stable=float(s_row.sum()),
                    exposure_canary=float(nc.sum()), exposure_stable=float(ns.sum()))))
    if not tests:
        return HistEvidence(log_e=0.0, tests=(), best=None)
    logs = np.array([t[2].log_e for t in tests])
    log_e = float(_lse(logs, axis=0) - math.log(len(tests)))
    best = tests[int(np.argmax(logs))]
    return HistEvidence(log_e=log_e, tests=tuple(tests), best=best)


def quantile(q: float, bounds: Sequence[float], cumulative: Sequence[float], count: float) -> float | None:
    """``histogram_quantile``: linear interpolation within the bucket, as Prometheus does."""
    if count <= 0 or not bounds:
        return None
    rank = q * count
    prev_b, prev_c = 0.0, 0.0
    for b, c in zip(bounds, cumulative):
        if c >= rank:
            if c == prev_c:
                return float(b)
            return float(prev_b + (b - prev_b) * (rank - prev_c) / (c - prev_c))
        prev_b, prev_c = b, c
    return float(bounds[-1])  # in the +Inf bucket: the highest finite bound, like Prometheus


def count_log_e_path(events_canary: Sequence[float], events_stable: Sequence[float],
                     exposure_canary: Sequence[float], exposure_stable: Sequence[float], *,
                     tolerance: float) -> np.ndarray:
    """log e-value ("greater") at each look of cumulative counts, vectorised.

    Each look treats the counts so far as one interval — what :func:`count_evidence`
    returns for a single interval; used by simulations that check after every batch.
    """
    ec = np.asarray(events_canary, dtype=float)
    es = np.asarray(events_stable, dtype=float)
    nc = np.maximum(np.asarray(exposure_canary, dtype=float), ec)
    ns = np.maximum(np.asarray(exposure_stable, dtype=float), es)
    ok = (nc > 0) & (ns > 0)
    lnc = np.log(np.where(ok, nc, 1.0))[:, None]
    lns = np.log(np.where(ok, ns, 1.0))[:, None]
    log_rho0 = math.log(tolerance)
    a1 = (log_rho0 + _DELTAS)[None, :] + lnc
    n1 = np.logaddexp(a1, lns)
    a0 = log_rho0 + lnc
    n0 = np.logaddexp(a0, lns)
    ll = ec[:, None] * ((a1 - n1) - (a0 - n0)) + es[:, None] * ((lns - n1) - (lns - n0))
    out = _lse(ll + _LOG_PRIOR, axis=1)
    return np.where(ok, out, 0.0)
