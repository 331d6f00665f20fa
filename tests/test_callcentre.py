"""The human channel as a queue (sim.rules.callcentre) against queueing theory and hand-worked days.

Stationary cases are compared with Erlang C and Erlang A (sim.validation.theory,
itself checked against the M/M/2 and M/M/inf textbook results and its closed
form): the textbook value must lie in the simulated measure's batch-means
confidence interval (Law 2015, Simulation Modeling and Analysis, 5th ed.,
section 9.5.3: after a warm-up, B batches of whole days, t interval on the B
batch estimates). The intervals are simultaneous 95% intervals over the whole
family of comparisons (Bonferroni: each at 1 - 0.05 / m), so that a change of
seed or of draw order makes the family fail with probability at most 5% when
the simulation is right; with per-comparison 95% intervals about half of all
seeds would fail one of the 18 comparisons by chance. Small days are worked by
hand from the FCFS rule.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim.rules import callcentre as cc
from sim.validation import theory

ROOT = Path(__file__).resolve().parents[1]
T20S = 1.0 / 180.0  # 20 seconds in hours


# ------------------------------------------------------------------ theory module against textbook values
def test_erlang_c_matches_the_mm2_textbook_case():
    # M/M/2 with rho = R / 2: P(wait) = 2 rho^2 / (1 + rho); R = 1 -> 1/3; Wq = C / (mu (n - R)).
    assert theory.erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert theory.erlang_c_mean_wait(2, 1.0, 2.0) == pytest.approx((1 / 3) / 2.0)
    # Erlang B(2, 1) = (1/2) / (1 + 1 + 1/2) = 0.2
    assert theory.erlang_b(2, 1.0) == pytest.approx(0.2)
    # M/M/1: C = rho
    assert theory.erlang_c(1, 0.7) == pytest.approx(0.7)
    assert theory.erlang_c_service_level(1, 0.7, 1.0, 0.0) == pytest.approx(0.3)


def test_erlang_a_chain_agrees_with_closed_form_and_limits():
    for n, r, mu, th in [(10, 9.5, 10.0, 5.0), (10, 12.0, 10.0, 5.0), (50, 48.0, 1.0, 0.1), (3, 1.0, 1.0, 4.0)]:
        a, b = theory.erlang_a(n, r, mu, th), theory.erlang_a_closed_form(n, r, mu, th)
        assert a.p_wait == pytest.approx(b.p_wait, rel=1e-9)
        assert a.p_abandon == pytest.approx(b.p_abandon, rel=1e-9)
        assert a.mean_wait == pytest.approx(b.mean_wait, rel=1e-9)
        assert a.p_abandon == pytest.approx(th * a.mean_wait, rel=1e-12)
    # theta = mu: the number in system is that of M/M/inf, Poisson(R)
    n, r = 10, 9.5
    a = theory.erlang_a(n, r, 1.0, 1.0)
    k = np.arange(0, 200)
    pk = stats.poisson.pmf(k, r)
    assert a.p_wait == pytest.approx(stats.poisson.sf(n - 1, r), rel=1e-9)
    assert a.mean_queue == pytest.approx(float((np.maximum(k - n, 0) * pk).sum()), rel=1e-9)
    # theta -> 0 tends to Erlang C; theta = 0 is Erlang C
    c = theory.erlang_a(n, r, 1.0, 0.0)
    assert c.p_wait == pytest.approx(theory.erlang_c(n, r), rel=1e-9)
    assert c.mean_wait == pytest.approx(theory.erlang_c_mean_wait(n, r, 1.0), rel=1e-9)
    assert theory.erlang_a(n, r, 1.0, 1e-6).p_wait == pytest.approx(theory.erlang_c(n, r), rel=1e-3)


# ------------------------------------------------------------------ stationary pool against Erlang C / A
def _simulate(n, load, mu, theta, batches, days_per_batch, warmup_days, seed):
    """Per-batch estimates of a 24-hour pool with Poisson arrivals, exponential service and patience."""
    rng = np.random.default_rng(seed)
    pool = cc.StaffPool()
    lam = load * mu
    mean_pat = math.inf if theta == 0 else 1.0 / theta
    keys = ("offered", "waited", "abandoned", "total_wait_h", "answered_within", "abandoned_within", "busy_h",
            "available_h")
    sums = {key: np.zeros(batches) for key in keys}
    next_id = 0
    for d in range(warmup_days + batches * days_per_batch):
        t = cc.poisson_arrivals(rng, lam, d, 0.0, 24.0)
        k = t.shape[0]
        s = cc.exponential_service(rng, k, 1.0 / mu)
        p = cc.exponential_patience(rng, np.full(k, mean_pat))
        res = pool.day(d, t, p, s, np.arange(next_id, next_id + k), n, 0.0, 24.0, T20S)
        next_id += k
        assert res.callbacks_closed == 0 and res.callbacks_closing == 0
        if d >= warmup_days:
            b = (d - warmup_days) // days_per_batch
            for key in keys:
                sums[key][b] += getattr(res, key)
    off = sums["offered"]
    return {
        "p_wait": sums["waited"] / off,
        "mean_wait": sums["total_wait_h"] / off,
        "p_abandon": sums["abandoned"] / off,
        "service_level": sums["answered_within"] / (off - sums["abandoned_within"]),
        "occupancy": sums["busy_h"] / sums["available_h"],
    }


def _ci(x, level):
    """Batch-means t interval at ``level`` (Law 2015, eq. 9.20 with the batch estimates as the sample)."""
    m = float(np.mean(x))
    h = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * np.std(x, ddof=1) / math.sqrt(len(x)))
    return m, m - h, m + h


# n = 10 servers, mean service 6 min (mu = 10 / h), about 2,300 requests a day; 30 batches of 4 days after 2.
N, MU, BATCHES, PER_BATCH, WARMUP = 10, 10.0, 30, 4, 2
CASES = {
    "C80": (8.0, 0.0, 101),   # Erlang C, 80% load
    "C95": (9.5, 0.0, 102),   # Erlang C, 95% load
    "A95": (9.5, 5.0, 103),   # Erlang A, 95% load, mean patience 12 min
    "A120": (12.0, 5.0, 104),  # Erlang A, overloaded (R > n): only abandonment keeps it stable
}


#: Comparisons with theory in this file: 4 measures per case (P(abandon) = 0 of Erlang C is checked
#: exactly), plus the abandonment identity for the two Erlang A cases.
COMPARISONS = 4 * len(CASES) + 2
LEVEL = 1.0 - 0.05 / COMPARISONS


def _ci_family(x):
    """A member of the simultaneous 95% family: the t interval at ``1 - 0.05 / COMPARISONS``."""
    return _ci(x, LEVEL)


@pytest.fixture(scope="module")
def stationary():
    return {name: _simulate(N, r, MU, th, BATCHES, PER_BATCH, WARMUP, seed) for name, (r, th, seed) in CASES.items()}


def _theory(load, theta):
    if theta == 0:
        return {"p_wait": theory.erlang_c(N, load), "mean_wait": theory.erlang_c_mean_wait(N, load, MU),
                "p_abandon": 0.0, "service_level": theory.erlang_c_service_level(N, load, MU, T20S),
                "occupancy": load / N}
    a = theory.erlang_a(N, load, MU, theta)
    # busy servers = lambda (1 - P(Ab)) E[S] (Little's law on the servers)
    return {"p_wait": a.p_wait, "mean_wait": a.mean_wait, "p_abandon": a.p_abandon,
            "occupancy": load * (1 - a.p_abandon) / N}


@pytest.mark.parametrize("name", list(CASES))
def test_stationary_pool_matches_erlang(stationary, name):
    load, theta, _ = CASES[name]
    sim, th = stationary[name], _theory(load, theta)
    for key, expected in th.items():
        if key == "p_abandon" and theta == 0:
            assert np.all(sim[key] == 0.0)
            continue
        m, lo, hi = _ci_family(sim[key])
        assert lo <= expected <= hi, f"{name} {key}: Erlang {expected:.5f} outside CI [{lo:.5f}, {hi:.5f}]"


def test_waiting_is_clearly_non_zero_well_before_saturation(stationary):
    # at 80% load about 4 in 10 callers wait (Erlang C 0.41); at 95% the mean wait is 9.9 min (Erlang C),
    # and the low end of its interval is still above 3 min
    _, lo80, _ = _ci_family(stationary["C80"]["p_wait"])
    _, lo95, _ = _ci_family(stationary["C95"]["mean_wait"])
    assert lo80 > 0.35
    assert lo95 > 0.05
    assert theory.erlang_c(N, 9.5) > 0.8


def test_abandonment_identity_p_abandon_equals_theta_mean_wait(stationary):
    # P(Ab) = theta E[W] (Mandelbaum & Zeltyn 2007) holds for the simulated batches within their CI
    for name in ("A95", "A120"):
        theta = CASES[name][1]
        diff = stationary[name]["p_abandon"] - theta * stationary[name]["mean_wait"]
        _, lo, hi = _ci_family(diff)
        assert lo <= 0.0 <= hi


# ------------------------------------------------------------------ hand-worked days
def test_one_server_fcfs_with_abandonment_by_hand():
    # service 1 h each; arrivals 1.0, 1.5, 1.6, 2.0; patience inf, 0.2, 1.0, 5.0; always open.
    # r0 starts 1.0 ends 2.0; r1 would wait 0.5 > 0.2: abandons at 1.7; r2 waits 0.4, 2.0-3.0; r3 waits 1.0, 3.0-4.0.
    pool = cc.StaffPool()
    r = pool.day(0, [1.0, 1.5, 1.6, 2.0], [math.inf, 0.2, 1.0, 5.0], [1.0] * 4, [10, 11, 12, 13], 1, 0.0, 24.0,
                 0.5)
    assert r.answered_id.tolist() == [10, 12, 13]
    assert r.answered_wait_h == pytest.approx([0.0, 0.4, 1.0])
    assert r.answered_start_h == pytest.approx([1.0, 2.0, 3.0])
    assert r.answered_end_h == pytest.approx([2.0, 3.0, 4.0])
    assert r.abandoned_id.tolist() == [11]
    assert r.abandoned_h == pytest.approx([1.7]) and r.abandoned_waited_h == pytest.approx([0.2])
    assert (r.offered, r.answered, r.abandoned, r.waited) == (4, 3, 1, 3)
    assert r.share_waited == pytest.approx(0.75)
    assert r.mean_wait_h == pytest.approx(1.4 / 3)
    assert r.p90_wait_h == pytest.approx(np.percentile([0.0, 0.4, 1.0], 90))
    assert r.total_wait_h == pytest.approx(1.6)
    # T = 0.5: answered within = 2 (waits 0, 0.4); abandoned within = 1 (0.2) -> 2 / (4 - 1)
    assert r.service_level == pytest.approx(2 / 3)
    assert r.occupancy == pytest.approx(3.0 / 24.0)
    assert r.waiting_cost(30.0) == pytest.approx(48.0)
    assert r.staff_cost(25.0) == pytest.approx(1 * 24 * 25.0)


def test_two_servers_with_working_hours_by_hand():
    # open 8-10, 2 servers; services: 1, 1, 1, 1, 1 h for arrivals 8.0, 8.1, 8.2, 9.5, 9.9; 7.5 and 10.5 closed.
    # 8.0 -> 8-9; 8.1 -> 8.1-9.1; 8.2 waits to 9.0 -> 9-10; 9.5 -> 9.5-10.5 (overtime 0.5);
    # 9.9 finds both busy until 10.0 = closing: told to call back at 10.0 (waited 0.1).
    pool = cc.StaffPool(2)
    t = [7.5, 8.0, 8.1, 8.2, 9.5, 9.9, 10.5]
    r = pool.day(0, t, [5.0] * 7, [1.0] * 7, np.arange(7), 2, 8.0, 10.0, T20S)
    assert r.answered_id.tolist() == [1, 2, 3, 4]
    assert r.answered_start_h == pytest.approx([8.0, 8.1, 9.0, 9.5])
    assert r.answered_end_h == pytest.approx([9.0, 9.1, 10.0, 10.5])
    assert r.callback_id.tolist() == [0, 5, 6]
    assert r.callback_closed.tolist() == [True, False, True]
    assert r.callback_h == pytest.approx([7.5, 10.0, 10.5])
    assert r.callback_waited_h == pytest.approx([0.0, 0.1, 0.0])
    assert r.callback_reopen_h == pytest.approx([8.0, 32.0, 32.0])
    assert (r.arrivals, r.offered, r.callbacks_closed, r.callbacks_closing) == (7, 5, 2, 1)
    # busy inside [8, 10): 1 + 1 + 1 + 0.5 = 3.5 of 2 x 2 = 4 server-hours
    assert r.busy_h == pytest.approx(3.5) and r.occupancy == pytest.approx(0.875)
    assert r.spill_h == pytest.approx(0.5)
    assert r.staff_cost(20.0) == pytest.approx(2 * 2 * 20.0)
    # next day both are free at the opening (32.0): two arrivals at 32.0 are answered at once
    r2 = pool.day(1, [32.0, 32.0], [0.0, 0.0], [1.0, 1.0], [7, 8], 2, 8.0, 10.0, T20S)
    assert r2.answered_start_h == pytest.approx([32.0, 32.0])


def test_calls_carried_across_midnight_count_in_the_next_day_when_always_open():
    pool = cc.StaffPool()
    r0 = pool.day(0, [23.5], [math.inf], [1.0], [0], 1, 0.0, 24.0, T20S)
    assert r0.busy_h == pytest.approx(0.5) and r0.spill_h == pytest.approx(0.5)
    # the server is busy until 24.5: a call at 24.0 waits half an hour
    r1 = pool.day(1, [24.0], [math.inf], [1.0], [1], 1, 0.0, 24.0, T20S)
    assert r1.answered_wait_h == pytest.approx([0.5])
    assert r1.busy_h == pytest.approx(0.5 + 1.0)


def _reference_fcfs(t, p, s, c, open_abs, close_abs, cutoff):
    """Plain O(c) per request reference: scan the free times for the smallest (written for this test)."""
    free = [open_abs] * c
    out = []
    for ti, pi, si in zip(t, p, s, strict=True):
        if ti < open_abs or ti >= close_abs:
            out.append((cc.CALLBACK_CLOSED, 0.0, math.nan))
            continue
        j = min(range(c), key=lambda i: free[i]) if c else -1
        b = max(ti, free[j]) if c else math.inf
        if b >= cutoff and ti + pi >= cutoff:
            out.append((cc.CALLBACK_CLOSING, close_abs - ti, math.nan))
        elif b - ti > pi:
            out.append((cc.ABANDONED, pi, math.nan))
        else:
            free[j] = b + si
            out.append((cc.ANSWERED, b - ti, b))
    return out


@pytest.mark.parametrize("c,open_h,close_h", [(7, 8.0, 18.0), (3, 0.0, 24.0), (1, 9.0, 17.0), (0, 8.0, 18.0)])
def test_heap_kernel_agrees_with_a_plain_scan(c, open_h, close_h):
    rng = np.random.default_rng(5)
    t = cc.poisson_arrivals(rng, 80.0, 0, 0.0, 24.0)
    s = cc.lognormal_service(rng, t.shape[0], 0.1, 1.2)
    p = cc.exponential_patience(rng, np.where(rng.random(t.shape[0]) < 0.2, np.inf, 0.15))
    r = cc.StaffPool().day(0, t, p, s, np.arange(t.shape[0]), c, open_h, close_h, T20S)
    cutoff = math.inf if (open_h, close_h) == (0.0, 24.0) else close_h
    ref = _reference_fcfs(t, p, s, c, open_h, close_h, cutoff)
    assert r.outcome.tolist() == [o for o, _, _ in ref]
    assert np.allclose(r.waited_h, [w for _, w, _ in ref], equal_nan=True)
    assert np.allclose(r.start_h, [b for _, _, b in ref], equal_nan=True)


# ------------------------------------------------------------------ working hours
def test_nothing_is_served_outside_working_hours_and_capacity_holds():
    rng = np.random.default_rng(7)
    pool = cc.StaffPool()
    open_h, close_h, c = 8.0, 18.0, 6
    starts, ends = [], []
    for d in range(5):
        t = cc.poisson_arrivals(rng, 50.0, d, 0.0, 24.0)  # 50 / h over the whole day, load 7 > 6 in hours
        k = t.shape[0]
        s = cc.exponential_service(rng, k, 0.14)
        p = cc.exponential_patience(rng, np.full(k, 2.0))
        r = pool.day(d, t, p, s, np.arange(k), c, open_h, close_h, T20S)
        o, cl = 24 * d + open_h, 24 * d + close_h
        outside = (t < o) | (t >= cl)
        assert r.callbacks_closed == int(outside.sum()) > 0
        assert np.all(r.outcome[outside] == cc.CALLBACK_CLOSED)
        assert np.all((r.answered_start_h >= o) & (r.answered_start_h < cl))
        assert r.callbacks_closing > 0  # overloaded: some are still waiting at closing
        assert np.all(r.callback_h[~r.callback_closed] == cl)
        assert r.arrivals == r.answered + r.abandoned + r.callbacks_closed + r.callbacks_closing
        assert r.offered == r.arrivals - r.callbacks_closed
        assert 0.0 <= r.occupancy <= 1.0 and r.occupancy > 0.9
        # FCFS: among answered requests, service starts in arrival order
        assert np.all(np.diff(r.answered_start_h) >= 0)
        starts.append(r.answered_start_h)
        ends.append(r.answered_end_h)
    # never more than c calls at once (sweep over all starts and ends, ends before starts at ties)
    st_, en = np.concatenate(starts), np.concatenate(ends)
    times = np.concatenate([st_, en])
    delta = np.concatenate([np.ones_like(st_), -np.ones_like(en)])
    order = np.lexsort((delta, times))
    assert np.cumsum(delta[order]).max() <= c


def test_occupancy_is_on_the_unit_interval_and_nan_without_servers():
    pool = cc.StaffPool()
    r = pool.day(0, [9.0], [1.0], [0.5], [0], 0, 8.0, 18.0, T20S)
    assert math.isnan(r.occupancy)
    assert r.abandoned == 1  # no server: the caller hangs up when patience runs out
    r = pool.day(1, [33.0], [math.inf], [0.5], [1], 0, 8.0, 18.0, T20S)
    assert r.callbacks_closing == 1 and r.callback_h == pytest.approx([42.0])


def test_invalid_input_is_refused():
    pool = cc.StaffPool()
    with pytest.raises(ValueError):
        pool.day(0, [2.0, 1.0], [1.0, 1.0], [1.0, 1.0], [0, 1], 1, 0.0, 24.0, T20S)  # unsorted
    with pytest.raises(ValueError):
        pool.day(1, [2.0], [1.0], [1.0], [0], 1, 0.0, 24.0, T20S)  # not in day 1
    with pytest.raises(ValueError):
        pool.day(0, [2.0], [1.0], [1.0], [0], 1, 18.0, 8.0, T20S)  # hours
    with pytest.raises(ValueError):
        pool.day(0, [2.0], [1.0], [1.0, 2.0], [0], 1, 0.0, 24.0, T20S)  # lengths


# ------------------------------------------------------------------ staffing, draws, retrials
def test_square_root_staffing_against_hand_worked_values():
    assert cc.square_root_staffing(100.0, 1.0) == 110  # 100 + 1 x 10
    assert cc.square_root_staffing(9.0, 0.5) == 11  # 9 + 1.5 = 10.5 -> 11
    assert cc.square_root_staffing(50.0, 0.5) == 54  # 50 + 3.54 = 53.54 -> 54
    assert cc.square_root_staffing(7.2, 0.0) == 8  # beta = 0: ceil(R)
    assert cc.square_root_staffing(4.0, -1.0) == 2  # 4 - 2
    assert cc.square_root_staffing(0.0, 1.0) == 0
    assert cc.offered_load(95.0, 0.1) == pytest.approx(9.5)
    # Halfin-Whitt: with beta = 1 the delay probability stays near the same value as R grows
    pw = [theory.erlang_c(cc.square_root_staffing(r, 1.0), r) for r in (100.0, 400.0, 1600.0)]
    assert max(pw) - min(pw) < 0.05 and 0.1 < pw[-1] < 0.3


@pytest.mark.parametrize("mean,cv", [(0.1, 0.5), (0.1, 1.5), (0.25, 1.0)])
def test_lognormal_service_has_the_requested_mean_and_cv(mean, cv):
    n = 400_000
    x = cc.lognormal_service(np.random.default_rng(11), n, mean, cv)
    z = 4.0  # two-sided 6e-5 per check
    # the mean: CLT standard error mean x cv / sqrt(n)
    assert abs(x.mean() - mean) < z * mean * cv / math.sqrt(n)
    # the cv: delta method, Var(s^2) ~ sigma^4 (kurtosis - 1) / n with the lognormal kurtosis
    s2 = math.log1p(cv * cv)
    kurt = math.exp(4 * s2) + 2 * math.exp(3 * s2) + 3 * math.exp(2 * s2) - 3
    se_cv = cv * math.sqrt((kurt - 1) / n) / 2
    assert abs(x.std() / x.mean() - cv) < z * se_cv + z * cv / math.sqrt(n)
    # logs are normal with sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2
    lx = np.log(x)
    assert abs(lx.mean() - (math.log(mean) - s2 / 2)) < z * math.sqrt(s2 / n)
    assert abs(lx.std() - math.sqrt(s2)) < z * math.sqrt(s2 / (2 * n))


def test_patience_and_service_draws_are_exponential_with_the_given_means():
    rng = np.random.default_rng(12)
    n = 200_000
    means = np.where(np.arange(n) % 2 == 0, 0.2, 0.05)
    p = cc.exponential_patience(rng, means)
    for m in (0.2, 0.05):
        sel = p[means == m]
        assert abs(sel.mean() - m) < 4 * m / math.sqrt(sel.shape[0])
        assert stats.kstest(sel / m, "expon").pvalue > 1e-4
    assert np.all(np.isinf(cc.exponential_patience(rng, np.full(10, np.inf))))
    s = cc.exponential_service(rng, n, 0.1)
    assert abs(s.mean() - 0.1) < 4 * 0.1 / math.sqrt(n)


def test_poisson_arrivals_are_uniform_in_the_window_with_a_poisson_count():
    rng = np.random.default_rng(13)
    counts = []
    for d in range(200):
        t = cc.poisson_arrivals(rng, 30.0, d, 8.0, 18.0)
        assert np.all(np.diff(t) >= 0) and np.all((t >= 24 * d + 8) & (t < 24 * d + 18))
        counts.append(t.shape[0])
    counts = np.array(counts)
    assert abs(counts.mean() - 300) < 4 * math.sqrt(300 / 200)
    assert abs(counts.var(ddof=1) / 300 - 1) < 0.3  # Poisson dispersion
    u = (cc.arrival_times(rng, 50_000, 3, 8.0, 18.0) - 80.0) / 10.0
    assert stats.kstest(u, "uniform").pvalue > 1e-4


def test_retrials_come_back_with_the_share_and_delay_and_are_counted_apart():
    rng = np.random.default_rng(14)
    pool = cc.StaffPool()
    t = cc.poisson_arrivals(rng, 200.0, 0, 0.0, 24.0)
    k = t.shape[0]
    r = pool.day(0, t, cc.exponential_patience(rng, np.full(k, 0.05)), cc.exponential_service(rng, k, 0.1),
                 np.arange(k), 10, 8.0, 18.0, T20S)
    failed = r.abandoned + r.callbacks_closed + r.callbacks_closing
    assert failed > 1000
    share, delay = 0.4, 2.0
    rid, due = cc.draw_retrials(np.random.default_rng(15), r, share, delay)
    assert abs(rid.shape[0] / failed - share) < 4 * math.sqrt(share * (1 - share) / failed)
    base = dict(zip(np.concatenate([r.abandoned_id, r.callback_id]).tolist(),
                    np.concatenate([r.abandoned_h, r.callback_reopen_h]).tolist(), strict=True))
    gaps = due - np.array([base[i] for i in rid.tolist()])
    assert stats.kstest(gaps / delay, "expon").pvalue > 1e-4
    # call-backs retry from an opening, never before
    cb = np.isin(rid, r.callback_id)
    assert np.all(due[cb] >= 8.0)

    pool.add_retrials(rid, due)
    got_id, got_h = pool.retrials_due(0)
    assert np.all(got_h < 24.0) and np.all(np.diff(got_h) >= 0)
    assert got_id.shape[0] == int((due < 24.0).sum())
    assert pool.pending_id.shape[0] == rid.shape[0] - got_id.shape[0]
    got1_id, got1_h = pool.retrials_due(1)
    assert np.all((got1_h >= 24.0) & (got1_h < 48.0))

    first = cc.poisson_arrivals(rng, 100.0, 1, 0.0, 24.0)
    at, ids, flag = cc.merge_arrivals(first, np.arange(10**6, 10**6 + first.shape[0]), got1_h, got1_id)
    assert np.all(np.diff(at) >= 0) and flag.sum() == got1_id.shape[0]
    k1 = at.shape[0]
    r1 = pool.day(1, at, cc.exponential_patience(rng, np.full(k1, 0.05)), cc.exponential_service(rng, k1, 0.1),
                  ids, 10, 8.0, 18.0, T20S, retrial=flag)
    assert r1.retrial_arrivals == got1_id.shape[0]
    assert r1.arrivals - r1.retrial_arrivals == first.shape[0]
    assert r1.retrial_answered == int(np.isin(r1.answered_id, got1_id).sum())


# ------------------------------------------------------------------ determinism, cost
def _run(seed, days=3):
    rng = np.random.default_rng(seed)
    pool = cc.StaffPool()
    out = []
    for d in range(days):
        t = cc.poisson_arrivals(rng, 90.0, d, 0.0, 24.0)
        k = t.shape[0]
        r = pool.day(d, t, cc.exponential_patience(rng, np.full(k, 0.3)), cc.lognormal_service(rng, k, 0.1, 1.0),
                     np.arange(k), 9, 7.0, 20.0, T20S)
        pool.schedule_retrials(rng, r, 0.5, 1.0)
        out.append(r)
    return out, pool


def test_same_inputs_and_seed_give_identical_results():
    a, pa = _run(21)
    b, pb = _run(21)
    for ra, rb in zip(a, b, strict=True):
        for f in ("outcome", "waited_h", "answered_id", "answered_start_h", "callback_id", "abandoned_h"):
            assert np.array_equal(getattr(ra, f), getattr(rb, f), equal_nan=True)
        assert ra.occupancy == rb.occupancy and ra.service_level == rb.service_level
    assert np.array_equal(pa.free_h, pb.free_h) and np.array_equal(pa.pending_due_h, pb.pending_due_h)
    c, _ = _run(22)
    assert not np.array_equal(a[0].waited_h, c[0].waited_h)


def test_a_day_allocates_for_its_requests_not_for_the_population():
    """The id range (the population size) changes no allocation: a day's memory is request-sized.

    Run as plain Python (``NUMBA_DISABLE_JIT=1``, the same code) so that every
    array goes through numpy, which reports to ``tracemalloc``. Ids up to 50
    million would need 400 MB for one array indexed by consumer.
    """
    code = (
        "import sys, tracemalloc, numpy as np\n"
        "from sim.rules import callcentre as cc\n"
        "k, id_range = 4000, int(sys.argv[1])\n"
        "rng = np.random.default_rng(31)\n"
        "t = np.sort(rng.random(k)) * 24.0; p = rng.standard_exponential(k) * 0.2\n"
        "s = rng.standard_exponential(k) * 0.1 * 20 * 24 / k * 0.95\n"
        "ids = rng.integers(0, id_range, k)\n"
        "tracemalloc.start()\n"
        "cc.StaffPool().day(0, t, p, s, ids, 20, 0.0, 24.0, 1 / 180)\n"
        "print(tracemalloc.get_traced_memory()[1])\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), NUMBA_DISABLE_JIT="1")
    peaks = [int(subprocess.run([sys.executable, "-c", code, str(n)], env=env, capture_output=True, text=True,
                                check=True, cwd=ROOT).stdout) for n in (1000, 50_000_000)]
    assert peaks[0] < 5_000_000        # request-sized: a few arrays of 4000 numbers
    assert abs(peaks[1] - peaks[0]) < 1_000_000, peaks


def test_plain_python_run_gives_the_same_numbers():
    code = (
        "import numpy as np\n"
        "from sim.rules import callcentre as cc\n"
        "rng = np.random.default_rng(3)\n"
        "t = cc.poisson_arrivals(rng, 60.0, 0, 0.0, 24.0); k = t.shape[0]\n"
        "r = cc.StaffPool(2).day(0, t, cc.exponential_patience(rng, np.full(k, 0.2)),\n"
        "    cc.exponential_service(rng, k, 0.1), np.arange(k), 6, 8.0, 18.0, 1 / 180)\n"
        "print(repr(r.waited_h.tolist())); print(r.outcome.tolist()); print(repr(r.busy_h))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    outs = []
    for jit_off in ("0", "1"):
        env["NUMBA_DISABLE_JIT"] = jit_off
        outs.append(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                   check=True, cwd=ROOT).stdout)
    assert outs[0] == outs[1]
