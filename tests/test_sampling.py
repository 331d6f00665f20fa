"""The event samplers draw what they promise: Poisson counts at each consumer's rate, Bernoulli successes at p."""

import math

import numpy as np

from sim.rules.sampling import bernoulli_candidates, poisson_events, poisson_events_by_range, thinned

DAYS = 4000


def _counts(draw, n):
    rng = np.random.default_rng(7)
    counts = np.zeros((DAYS, n), np.int64)
    for d in range(DAYS):
        idx = draw(rng)
        assert np.all(np.diff(idx) >= 0), "events come sorted by consumer"
        counts[d] = np.bincount(idx, minlength=n)
    return counts


def _poisson_pmf(lam, k):
    return math.exp(-lam) * lam**k / math.factorial(k)


def _check_poisson(counts, rates):
    mean = counts.mean(axis=0)
    se = np.sqrt(np.maximum(rates, 1e-12) / DAYS)
    assert np.all(np.abs(mean - rates) < 5 * se + 1e-12), (mean, rates)
    # The count distribution of the busiest consumer is Poisson, not Bernoulli.
    top = int(np.argmax(rates))
    freq = np.bincount(counts[:, top], minlength=4)[:3] / DAYS
    pmf = np.array([_poisson_pmf(rates[top], k) for k in range(3)])
    assert np.all(np.abs(freq - pmf) < 0.02), (freq, pmf)


def test_poisson_events_follow_each_consumers_rate():
    rates = np.linspace(0.0, 0.8, 40).astype(np.float32)
    counts = _counts(lambda rng: poisson_events(rng, rates), rates.size)
    _check_poisson(counts, rates.astype(np.float64))
    assert counts[:, 0].sum() == 0


def test_poisson_events_by_range_match_the_rates_of_each_range():
    bounds = np.array([0, 10, 10, 30])  # the middle range is empty
    rates = np.array([0.5, 0.9, 0.1])
    eligible = np.ones(30, bool)
    eligible[29] = False
    counts = _counts(lambda rng: poisson_events_by_range(rng, bounds, rates, eligible), 30)
    per_consumer = np.repeat([0.5, 0.1], [10, 20])
    per_consumer[29] = 0.0
    _check_poisson(counts, per_consumer)
    assert counts[:, 29].sum() == 0


def test_bernoulli_candidates_thinned_to_each_probability():
    p = np.linspace(0.0, 0.05, 50)
    bound = 0.05
    counts = _counts(lambda rng: thinned(rng, (c := bernoulli_candidates(rng, p.size, bound)), p[c], bound),
                     p.size)
    assert counts.max() <= 1
    se = np.sqrt(np.maximum(p * (1 - p), 1e-12) / DAYS)
    assert np.all(np.abs(counts.mean(axis=0) - p) < 5 * se + 1e-12)


def test_vanishing_probabilities_draw_nothing_instead_of_overflowing():
    rng = np.random.default_rng(3)
    assert bernoulli_candidates(rng, 5_000_000, 1e-17).size == 0
    p = np.full(1000, 1e-18)
    c = bernoulli_candidates(rng, p.size, 1e-18)
    assert thinned(rng, c, p[c], 1e-18).size == 0
