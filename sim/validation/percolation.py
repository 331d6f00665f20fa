"""Bond percolation on random graphs: the sizes an independent cascade should reach.

An independent cascade with one origin, in which every tie of a sharer passes
the post on with the same probability T (the transmissibility), infects the
bond-percolation cluster of the origin: the set joined to it by ties that are
open, each independently with probability T [1]. On a random graph with a
given degree distribution p_k these clusters are solved by generating
functions [1, 2, 3]; the Erdos-Renyi graph of mean degree z (Poisson degrees)
gives closed forms.

Generating functions (notation of [1])
    ``G0(x) = sum_k p_k x^k`` (degree of a random node), ``G1(x) = G0'(x) / <k>``
    (number of other ties of the node at the end of a random tie: excess
    degree). With transmissibility T the number of *open* ties follows
    ``G0(x; T) = G0(1 + (x - 1) T)`` and ``G1(x; T) = G1(1 + (x - 1) T)``.
    Let ``H1(x)`` generate the size of the cluster reached through one open tie
    and ``H0(x)`` that of the cluster of a random node; on a locally tree-like
    graph ``H1(x) = x G1(H1(x); T)`` and ``H0(x) = x G0(H1(x); T)``.

Below the threshold (``T G1'(1) < 1``; for Erdos-Renyi ``T z < 1``)
    ``H0(1) = 1``, and differentiating at x = 1:
    ``<s> = H0'(1) = 1 + T G0'(1) / (1 - T G1'(1)) = 1 + T <k> / (1 - T (<k^2> - <k>) / <k>)``
    [1, Eq. for the mean outbreak size]. Poisson degrees have
    ``G0 = G1 = exp(z (x - 1))``, so ``G0'(1) = G1'(1) = z`` and
    ``<s> = 1 + T z / (1 - T z) = 1 / (1 - T z)``.

Above the threshold
    The smallest root u on [0, 1] of ``u = G1(u; T)`` is the probability that a
    tie does not lead to the giant cluster; the giant cluster holds a fraction
    ``S = 1 - G0(u; T)`` of the nodes, which is also the probability that a
    cascade from a random origin becomes giant [1, 2]. Poisson degrees give
    ``u = exp(T z (u - 1))`` and ``G0(u; T) = u``, so ``S = 1 - u`` solves
    ``S = 1 - exp(-T z S)`` [2, 3], i.e. ``S = 1 + W0(-c e^{-c}) / c`` with
    c = T z and W0 the principal branch of Lambert's W.

Mean size of the small (finite) clusters above the threshold
    Now ``H0(1) = G0(u; T) = 1 - S`` (the finite clusters only) and
    ``H1(1) = u``. Differentiating ``H1(x) = x G1(H1(x); T)`` at 1:
    ``H1'(1) = u + G1'(u; T) H1'(1)``, so ``H1'(1) = u / (1 - G1'(u; T))``;
    then ``H0'(1) = G0(u; T) + G0'(u; T) H1'(1)``. The mean size of a finite
    cluster, given that it is finite, is
    ``<s> = H0'(1) / H0(1) = 1 + G0'(u; T) u / (G0(u; T) (1 - G1'(u; T)))``,
    which is the form of [4] (there with T = 1) since ``G0'(x; T) = T <k> G1(x; T)``
    and so ``G0'(u; T) = T <k> u``. For Poisson degrees
    ``G0'(u; T) = G1'(u; T) = T z u`` and ``G0(u; T) = u``, so
    ``<s> = 1 + T z u / (1 - T z u) = 1 / (1 - T z u) = 1 / (1 - T z (1 - S))``:
    the small clusters above the threshold are those of a graph below it,
    of mean degree ``z (1 - S)``. Below the threshold (u = 1, S = 0) it is
    the first formula.

All formulas hold as the number of nodes grows (locally tree-like graphs):
finite graphs deviate by O(1/N) away from the threshold.

References:
    [1] Newman, M. E. J. (2002). Spread of epidemic disease on networks.
        Physical Review E 66, 016128.
    [2] Callaway, D. S., Newman, M. E. J., Strogatz, S. H., & Watts, D. J.
        (2000). Network robustness and fragility: percolation on random
        graphs. Physical Review Letters 85, 5468-5471.
    [3] Erdos, P., & Renyi, A. (1960). On the evolution of random graphs.
        Publ. Math. Inst. Hung. Acad. Sci. 5, 17-61.
    [4] Newman, M. E. J., Strogatz, S. H., & Watts, D. J. (2001). Random graphs
        with arbitrary degree distributions and their applications. Physical
        Review E 64, 026118.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import lambertw

__all__ = ["er_giant_fraction", "er_mean_cluster_size", "er_mean_small_cluster_size", "giant_fraction",
           "mean_cluster_size", "mean_small_cluster_size", "tie_escape_probability"]


def _check_t(T: float) -> None:
    if not 0.0 <= T <= 1.0:
        raise ValueError("transmissibility T must lie on [0, 1]")


def er_mean_cluster_size(T: float, z: float) -> float:
    """Mean size of the cluster of a random node, Erdos-Renyi graph below the threshold: ``1 / (1 - T z)``.

    T = transmissibility (probability a tie is open), z = mean degree.
    Counts the node itself. ``inf`` at and above the threshold ``T z >= 1``,
    where the giant cluster makes the mean diverge with N [1].
    """
    _check_t(T)
    c = T * z
    return math.inf if c >= 1.0 else 1.0 / (1.0 - c)


def er_giant_fraction(T: float, z: float) -> float:
    """Giant fraction S of an Erdos-Renyi graph with transmissibility T: the root of ``S = 1 - exp(-T z S)``.

    ``S = 1 + W0(-c e^{-c}) / c`` with c = T z (the non-zero root for c > 1);
    0 for c <= 1 [2, 3]. S is also the probability that a cascade from a
    random origin becomes giant [1].
    """
    _check_t(T)
    c = T * z
    if c <= 1.0:
        return 0.0
    return float(1.0 + lambertw(-c * math.exp(-c), 0).real / c)


def er_mean_small_cluster_size(T: float, z: float) -> float:
    """Mean size of the finite clusters of an Erdos-Renyi graph: ``1 / (1 - T z (1 - S))``.

    S = :func:`er_giant_fraction`; below the threshold S = 0 and this is
    :func:`er_mean_cluster_size`. Derived in the module docstring [1, 4];
    ``inf`` at the threshold T z = 1.
    """
    c = T * z
    if c == 1.0:
        return math.inf
    return 1.0 / (1.0 - c * (1.0 - er_giant_fraction(T, z)))


def _pmf(degrees: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Degree distribution p_k of a degree sequence, its support k and the mean degree."""
    deg = np.asarray(degrees, dtype=np.int64)
    if deg.size == 0 or deg.min() < 0:
        raise ValueError("need a non-empty sequence of non-negative degrees")
    pk = np.bincount(deg) / deg.size
    k = np.arange(pk.size, dtype=np.float64)
    mean = float(pk @ k)
    if mean <= 0:
        raise ValueError("the graph has no tie")
    return pk, k, mean


def _g(pk: np.ndarray, k: np.ndarray, x: float, T: float) -> tuple[float, float, float]:
    """``G0(x; T)`` and its first two derivatives in x: ``G0(y)``, ``T G0'(y)``, ``T^2 G0''(y)``, y = 1 + (x - 1) T."""
    y = 1.0 + (x - 1.0) * T
    g0 = float(pk @ y ** k)
    d1 = float(pk[1:] @ (k[1:] * y ** (k[1:] - 1.0))) * T
    d2 = float(pk[2:] @ (k[2:] * (k[2:] - 1.0) * y ** (k[2:] - 2.0))) * T * T if pk.size > 2 else 0.0
    return g0, d1, d2


def tie_escape_probability(T: float, degrees: np.ndarray) -> float:
    """Smallest root u on [0, 1] of ``u = G1(u; T)``: the probability that a tie does not lead to the giant cluster.

    1 at and below the threshold ``T G1'(1) = T (<k^2> - <k>) / <k> <= 1``;
    above it, Newton's method from u = 0 on the convex ``f(u) = G1(u; T) - u``,
    which rises monotonically to the smallest root [1, 4].
    """
    _check_t(T)
    pk, k, mean = _pmf(degrees)
    if T * float(pk @ (k * (k - 1.0))) / mean <= 1.0:  # T G1'(1) <= 1: at or below the threshold
        return 1.0
    u = 0.0
    for _ in range(10_000):
        _, d1, d2 = _g(pk, k, u, T)
        g1 = d1 / (T * mean) if T > 0 else 1.0
        dg1 = d2 / (T * mean) if T > 0 else 0.0
        f = g1 - u
        slope = dg1 - 1.0
        if slope >= 0.0:  # at or past the minimum of f: the root is u = 1
            return 1.0
        step = -f / slope
        u_new = min(u + step, 1.0)
        if abs(u_new - u) < 1e-15:
            return u_new
        u = u_new
    return u


def mean_cluster_size(T: float, degrees: np.ndarray) -> float:
    """Mean size of the cluster of a random node below the threshold, any degree sequence.

    ``<s> = 1 + T <k> / (1 - T (<k^2> - <k>) / <k>)`` from the degree
    sequence's moments [1]; ``inf`` at and above the threshold
    ``T (<k^2> - <k>) / <k> >= 1``.
    """
    _check_t(T)
    deg = np.asarray(degrees, dtype=np.float64)
    k1 = float(deg.mean())
    k2 = float((deg * deg).mean())
    if k1 <= 0:
        return 1.0
    r = T * (k2 - k1) / k1
    return math.inf if r >= 1.0 else 1.0 + T * k1 / (1.0 - r)


def giant_fraction(T: float, degrees: np.ndarray) -> float:
    """Giant fraction ``S = 1 - G0(u; T)`` for a degree sequence (u: :func:`tie_escape_probability`) [1, 2]."""
    pk, k, _ = _pmf(degrees)
    u = tie_escape_probability(T, degrees)
    if u >= 1.0:
        return 0.0
    g0, _, _ = _g(pk, k, u, T)
    return 1.0 - g0


def mean_small_cluster_size(T: float, degrees: np.ndarray) -> float:
    """Mean size of the finite clusters, any degree sequence.

    ``<s> = 1 + G0'(u; T) u / (G0(u; T) (1 - G1'(u; T)))`` (derived in the
    module docstring) [1, 4]; equals :func:`mean_cluster_size` below the threshold.
    """
    pk, k, mean = _pmf(degrees)
    u = tie_escape_probability(T, degrees)
    if u >= 1.0:
        return mean_cluster_size(T, degrees)
    g0, d1, d2 = _g(pk, k, u, T)
    dg1 = d2 / (T * mean)
    return 1.0 + d1 * u / (g0 * (1.0 - dg1))
