"""The pure judges: Kayenta-style cases with known differences, and validity under peeking."""

from __future__ import annotations

import math

import numpy as np
import pytest

from release.analysis import (
    CountInterval,
    HistInterval,
    count_evidence,
    histogram_evidence,
)
from release.analysis._judge import count_log_e_path

ALPHA = 0.01


def _stream(rng: np.random.Generator, p_stable: float, p_canary: float, *, weight: float,
            batch: int, batches: int):
    """Cumulative (errors_c, errors_s, n_c, n_s) after each batch."""
    ec = es = nc = ns = 0
    for _ in range(batches):
        c = int(rng.binomial(batch, weight))
        s = batch - c
        ec += int(rng.binomial(c, p_canary))
        es += int(rng.binomial(s, p_stable))
        nc += c
        ns += s
        yield ec, es, nc, ns


def _first_rejection(rng, p_s, p_c, *, weight=0.5, batch=20, batches=100, tol=1.2):
    for k, (ec, es, nc, ns) in enumerate(_stream(rng, p_s, p_c, weight=weight, batch=batch, batches=batches)):
        if count_evidence([CountInterval(ec, es, nc, ns)], tolerance=tol).e_value >= 1 / ALPHA:
            return (k + 1) * batch
    return None


def test_five_percent_against_point_two_fails_within_a_few_hundred_requests():
    rng = np.random.default_rng(7)
    n = [_first_rejection(rng, 0.002, 0.05, batches=100) for _ in range(20)]
    assert all(x is not None for x in n)
    assert np.median(n) <= 600  # total requests at 50/50: ~300 canary requests


def test_zero_error_baseline_with_canary_at_two_percent_fails():
    rng = np.random.default_rng(8)
    n = [_first_rejection(rng, 0.0, 0.02, batches=200) for _ in range(10)]
    assert all(x is not None for x in n), n


def test_equal_rates_do_not_fail():
    ev = count_evidence([CountInterval(10, 10, 5000, 5000)], tolerance=1.2)
    assert ev.e_value < 1.0


def test_three_requests_carry_little_evidence():
    # Even three errors in three canary requests are not 1/alpha of evidence at 50/50.
    assert count_evidence([CountInterval(3, 0, 3, 3)], tolerance=1.2).e_value < 1 / ALPHA


def test_no_events_is_neutral():
    assert count_evidence([CountInterval(0, 0, 500, 500)], tolerance=1.2).e_value == pytest.approx(1.0)


def test_ratio_within_tolerance_is_not_a_regression():
    # Canary at 1.1x stable with lots of data: below the 1.2 tolerance.
    ev = count_evidence([CountInterval(1100, 10000, 100000, 1000000)], tolerance=1.2)
    assert ev.e_value < 1.0


def test_two_sided_sees_a_drop():
    ev = count_evidence([CountInterval(20, 600, 200, 2000)], tolerance=1.2, direction="two-sided")
    assert ev.e_value >= 1 / ALPHA and ev.direction == "less"
    assert count_evidence([CountInterval(20, 600, 200, 2000)], tolerance=1.2).e_value < 1


def test_exposure_share_is_measured_per_interval():
    # Same error rate on both tracks, but the canary's share changes from 5% to 50%:
    # stable's error burst in the first interval must not make the canary look bad.
    ivs = [CountInterval(1, 60, 500, 9500), CountInterval(20, 20, 5000, 5000)]
    assert count_evidence(ivs, tolerance=1.2).e_value < 1.0


def _hist(counts):
    cum = np.cumsum(counts)
    return tuple(float(x) for x in cum[:-1]), float(cum[-1])


def test_histogram_shift_up_fails_and_improvement_passes():
    bounds = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25)
    stable = [100, 600, 280, 15, 4, 1, 0]
    slower = [0, 0, 0, 1, 2, 27, 0]  # +200 ms: everything in the 0.1-0.25 bucket
    faster = [60, 0, 0, 0, 0, 0, 0]
    cs, ns = _hist(stable)
    for canary, fails in ((slower, True), (faster, False)):
        cc, nc = _hist(canary)
        ev = histogram_evidence([HistInterval(cc, cs, nc, ns)], bounds, tolerance=1.2, slack=1)
        assert (ev.e_value >= 1 / ALPHA) is fails
        if fails:
            tail, j, _ = ev.best
            assert tail == "upper" and bounds[j] >= 0.05


def test_one_bucket_slack_forgives_crossing_a_single_bound():
    bounds = (0.005, 0.01, 0.025, 0.05)
    stable = [0, 1000, 0, 0, 0]  # all just under 10 ms
    canary = [0, 0, 1000, 0, 0]  # all just over 10 ms
    cs, ns = _hist(stable)
    cc, nc = _hist(canary)
    assert histogram_evidence([HistInterval(cc, cs, nc, ns)], bounds, tolerance=1.2, slack=1).e_value < 1
    assert histogram_evidence([HistInterval(cc, cs, nc, ns)], bounds, tolerance=1.2, slack=0).e_value > 100


def test_two_sided_histogram_sees_a_downward_shift():
    bounds = tuple(float(b) for b in range(300, 1501, 50))
    rng = np.random.default_rng(3)
    def counts(mean, n):
        x = rng.normal(mean, 100, n)
        h, _ = np.histogram(x, bins=[-np.inf, *bounds, np.inf])
        return h
    cs, ns = _hist(counts(900, 2000))
    cc, nc = _hist(counts(750, 200))
    assert histogram_evidence([HistInterval(cc, cs, nc, ns)], bounds, tolerance=1.2,
                              direction="two-sided").e_value >= 1 / ALPHA
    assert histogram_evidence([HistInterval(cc, cs, nc, ns)], bounds, tolerance=1.2).e_value < 1 / ALPHA


def test_path_matches_single_interval_evidence():
    ec, es, nc, ns = [0, 3, 9], [1, 2, 4], [10, 100, 300], [90, 900, 2700]
    path = count_log_e_path(ec, es, nc, ns, tolerance=1.2)
    for k in range(3):
        one = count_evidence([CountInterval(ec[k], es[k], nc[k], ns[k])], tolerance=1.2)
        assert path[k] == pytest.approx(one.log_e)


def test_false_alarms_under_constant_peeking_stay_below_alpha_unlike_a_naive_check():
    """400 null runs, each checked after every batch of 20 requests, 1,000 batches."""
    rng = np.random.default_rng(2024)
    runs, batches, batch, p = 400, 1000, 20, 0.02
    c = rng.binomial(batch, 0.3, size=(runs, batches))
    ec = np.cumsum(rng.binomial(c, p), axis=1)
    es = np.cumsum(rng.binomial(batch - c, p), axis=1)
    nc, ns = np.cumsum(c, axis=1), np.cumsum(batch - c, axis=1)
    bar = np.log(1 / ALPHA)
    sequential = naive = 0
    for r in range(runs):
        # Tolerance 1.0: the strictest null (no excess allowed at all).
        if np.any(count_log_e_path(ec[r], es[r], nc[r], ns[r], tolerance=1.0) >= bar):
            sequential += 1
        # Naive: a one-sided two-proportion z-test at 99 %, checked after every batch.
        with np.errstate(divide="ignore", invalid="ignore"):
            pc, ps = ec[r] / nc[r], es[r] / ns[r]
            pool = (ec[r] + es[r]) / (nc[r] + ns[r])
            se = np.sqrt(np.maximum(pool * (1 - pool) * (1 / nc[r] + 1 / ns[r]), 1e-12))
            z = (pc - ps) / se
        if np.any(z[5:] > 2.326):
            naive += 1
    assert sequential / runs <= ALPHA + 0.01  # ≤ α up to simulation error (sd ≈ 0.5 %)
    assert naive / runs > 3 * ALPHA


# -- equivalence: the "pass" half of the three-way decision ---------------------------------
def test_equivalence_needs_evidence_not_just_absence_of_regression():
    from release.analysis._judge import count_equivalence

    same = count_equivalence([CountInterval(200, 600, 1000, 3000)], margin=2.0)
    assert math.exp(same) > 1e6
    assert count_equivalence([CountInterval(0, 0, 1000, 3000)], margin=2.0) == 0.0  # no events, no claim
    worse = count_equivalence([CountInterval(55, 0, 1000, 3000)], margin=2.0)
    assert math.exp(worse) < 1.0
    few = count_equivalence([CountInterval(12, 36, 100, 300)], margin=2.0, direction="two-sided")
    assert math.exp(few) < 100


def test_equivalence_is_anytime_valid_at_the_margin():
    """A canary exactly ``margin`` times worse, checked after every batch, is called
    equivalent in at most about alpha of the runs."""
    import numpy as np

    from release.analysis._judge import count_equivalence

    rng = np.random.default_rng(7)
    runs, batches, alpha = 200, 60, 0.01
    false_calls = 0
    for _ in range(runs):
        ivs = []
        for _ in range(batches):
            ivs.append(CountInterval(float(rng.poisson(100 * 0.04)), float(rng.poisson(100 * 0.02)), 100.0, 100.0))
            if count_equivalence(ivs, margin=2.0) >= math.log(1 / alpha):
                false_calls += 1
                break
    assert false_calls <= 4, false_calls  # expected <= 2 of 200; 4 leaves room for chance
