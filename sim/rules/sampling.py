"""Sampling helpers whose cost grows with the number of events, not of consumers."""

from __future__ import annotations

import numpy as np

__all__ = ["bernoulli_indices", "poisson_events"]


def poisson_events(rng: np.random.Generator, rate: np.ndarray, rate_max: float | None = None,
                   eligible: np.ndarray | None = None) -> np.ndarray:
    """Indices of consumers who have an event this tick, one entry per event.

    Each consumer ``i`` has events at rate ``rate[i]`` per tick (rates below 1).
    Events are drawn by thinning: ``K ~ Poisson(N * rate_max)`` candidates drawn
    uniformly with replacement, each kept with probability
    ``rate[i] / rate_max``. The result is a Poisson process per consumer with
    the right rate, at a cost proportional to the number of events.

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
    k = rng.poisson(n * rate_max)
    cand = rng.integers(0, n, size=k)
    keep = rng.random(k) * rate_max < rate[cand]
    if eligible is not None:
        keep &= eligible[cand]
    return cand[keep]


def bernoulli_indices(rng: np.random.Generator, p: np.ndarray, p_max: float | None = None) -> np.ndarray:
    """Sorted indices ``i`` with an independent success of probability ``p[i]``.

    Candidates come from geometric skipping at ``p_max`` (one draw per
    candidate rather than per consumer), thinned to ``p[i] / p_max``.
    """
    n = p.shape[0]
    if p_max is None:
        p_max = float(p.max()) if n else 0.0
    if n == 0 or p_max <= 0:
        return np.empty(0, dtype=np.int64)
    p_max = min(p_max, 1.0)
    if p_max > 0.2:
        return np.flatnonzero(rng.random(n) < p)
    expected = n * p_max
    size = int(expected + 6 * np.sqrt(expected) + 16)
    pos = np.cumsum(rng.geometric(p_max, size=size)) - 1
    while pos[-1] < n:
        more = np.cumsum(rng.geometric(p_max, size=size)) + pos[-1]
        pos = np.concatenate([pos, more])
    cand = pos[pos < n]
    keep = rng.random(cand.shape[0]) * p_max < p[cand]
    return cand[keep]
