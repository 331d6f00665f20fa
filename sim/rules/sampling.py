"""Sampling helpers whose cost grows with the number of events, not of consumers."""

from __future__ import annotations

import numpy as np

__all__ = ["bernoulli_candidates", "bernoulli_indices", "poisson_events", "poisson_events_by_range", "thinned",
           "thinned_mask"]


def poisson_events(rng: np.random.Generator, rate: np.ndarray, rate_max: float | None = None,
                   eligible: np.ndarray | None = None) -> np.ndarray:
    """Indices of consumers who have an event this tick, one entry per event, sorted.

    Each consumer ``i`` has events at rate ``rate[i]`` per tick. Candidates
    form a Poisson process of intensity ``rate_max`` over the consumers:
    ``K ~ Poisson(N * rate_max)`` points placed as sorted uniform order
    statistics (normalised cumulative sums of ``K + 1`` exponential spacings),
    each consumer receiving the points that fall in its unit interval. Each
    candidate is then kept with probability ``rate[i] / rate_max``. The result
    is an independent Poisson count per consumer with the right rate, at a
    cost proportional to the number of events, and sorted by consumer so the
    reads and writes that follow walk the state arrays forward.

    Args:
        rng: Generator.
        rate: Events per tick per consumer, shape (N,).
        rate_max: An upper bound of ``rate`` (computed when None).
        eligible: Optional boolean mask; ineligible consumers have no events.
    """
    n = rate.shape[0]
    if rate_max is None:
        rate_max = float(rate.max()) if n else 0.0
    if n == 0 or rate_max <= 0:
        return np.empty(0, dtype=np.int64)
    k = int(rng.poisson(n * rate_max))
    spacing = rng.standard_exponential(k + 1)
    pos = np.cumsum(spacing)
    pos *= n / pos[-1]
    cand = pos[:k].astype(np.int64)
    np.minimum(cand, n - 1, out=cand)
    keep = rng.random(k) * rate_max < rate[cand]
    if eligible is not None:
        keep &= eligible[cand]
    return cand[keep]


def poisson_events_by_range(rng: np.random.Generator, bounds: np.ndarray, rates: np.ndarray,
                           eligible: np.ndarray | None = None) -> np.ndarray:
    """:func:`poisson_events` for rates constant over contiguous ranges of consumers (segments).

    Consumers ``bounds[r]`` to ``bounds[r + 1] - 1`` have events at rate
    ``rates[r]``: each range draws its Poisson number of events and places them
    as sorted uniform order statistics, with no thinning. Sorted by consumer.
    """
    parts = []
    for r, rate in enumerate(rates):
        lo, hi = int(bounds[r]), int(bounds[r + 1])
        if hi <= lo or rate <= 0:
            continue
        k = int(rng.poisson((hi - lo) * float(rate)))
        spacing = rng.standard_exponential(k + 1)
        pos = np.cumsum(spacing)
        pos *= (hi - lo) / pos[-1]
        cand = pos[:k].astype(np.int64)
        np.minimum(cand, hi - lo - 1, out=cand)
        cand += lo
        parts.append(cand)
    idx = np.concatenate(parts) if parts else np.empty(0, np.int64)
    if eligible is not None:
        idx = idx[eligible[idx]]
    return idx


def bernoulli_candidates(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """Sorted indices among ``n`` with an independent success of constant probability ``p``.

    Geometric skipping: the gaps between successes are drawn, one draw per
    success instead of one per consumer (for ``p`` above 0.2 a uniform draw per
    consumer is cheaper).
    """
    p = min(float(p), 1.0)
    if n == 0 or p <= 0:
        return np.empty(0, dtype=np.int64)
    if p > 0.2:
        return np.flatnonzero(rng.random(n) < p)
    expected = n * p
    size = int(expected + 6 * np.sqrt(expected) + 16)
    # Gaps longer than n end the draw; capping them keeps the cumulative sums far from overflow.
    pos = np.cumsum(np.minimum(rng.geometric(p, size=size), n + 1)) - 1
    while pos[-1] < n:
        more = np.cumsum(np.minimum(rng.geometric(p, size=size), n + 1)) + pos[-1]
        pos = np.concatenate([pos, more])
    return pos[pos < n]


def bernoulli_indices(rng: np.random.Generator, p: np.ndarray, p_max: float | None = None) -> np.ndarray:
    """Sorted indices ``i`` with an independent success of probability ``p[i]``.

    Candidates come from :func:`bernoulli_candidates` at ``p_max``, thinned to
    ``p[i] / p_max``.
    """
    n = p.shape[0]
    if p_max is None:
        p_max = float(p.max()) if n else 0.0
    if n == 0 or p_max <= 0:
        return np.empty(0, dtype=np.int64)
    p_max = min(p_max, 1.0)
    if p_max > 0.2:
        return np.flatnonzero(rng.random(n) < p)
    cand = bernoulli_candidates(rng, n, p_max)
    keep = rng.random(cand.shape[0]) * p_max < p[cand]
    return cand[keep]


def thinned(rng: np.random.Generator, cand: np.ndarray, p: np.ndarray, p_max: float) -> np.ndarray:
    """Keep candidates drawn at probability ``p_max`` with probability ``p / p_max`` (``p`` per candidate).

    With :func:`bernoulli_candidates`, this draws a success of probability
    ``p[i] <= p_max`` for every consumer while computing ``p`` for the
    candidates alone.
    """
    return cand[thinned_mask(rng, p, p_max)]


def thinned_mask(rng: np.random.Generator, p: np.ndarray, p_max: float) -> np.ndarray:
    """Which of candidates drawn at ``p_max`` succeed with probability ``p`` (see :func:`thinned`)."""
    return rng.random(p.shape[0]) * p_max < p
