"""Textbook formulas the simulated queues are checked against.

Erlang C (M/M/n) [1, 2] and Erlang A (M/M/n+M, Palm's queue with exponential
patience) [3, 4, 5]. Notation: ``n`` servers, arrival rate ``lambda``, service
rate ``mu`` (1/mean service time), offered load ``R = lambda / mu`` in
Erlangs, abandonment rate ``theta`` (1/mean patience), occupancy
``rho = R / n``. Times are in the unit of ``1/mu`` (hours in this project).

Erlang A is computed two ways: exactly from the birth-death chain of the
number in system (:func:`erlang_a`) and from the closed form of Garnett,
Mandelbaum & Reiman with the incomplete gamma function
(:func:`erlang_a_closed_form`); the tests check one against the other.

References:
    [1] Erlang, A. K. (1917). Solution of some problems in the theory of
        probabilities of significance in automatic telephone exchanges. Post
        Office Electrical Engineers' Journal 10, 189-197.
    [2] Gross, D., Shortle, J. F., Thompson, J. M., & Harris, C. M. (2008).
        Fundamentals of Queueing Theory, 4th ed. Wiley, section 2.3 (M/M/c).
    [3] Palm, C. (1943). Intensitatsschwankungen im Fernsprechverkehr.
        Ericsson Technics 44, 1-189.
    [4] Garnett, O., Mandelbaum, A., & Reiman, M. (2002). Designing a call
        center with impatient customers. Manufacturing & Service Operations
        Management 4(3), 208-227.
    [5] Mandelbaum, A., & Zeltyn, S. (2007). Service engineering in action:
        the Palm/Erlang-A queue, with applications to call centers. In
        Advances in Services Innovations, Springer, 17-45.
    [6] Wolff, R. W. (1982). Poisson arrivals see time averages. Operations
        Research 30(2), 223-231.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

__all__ = ["ErlangA", "erlang_a", "erlang_a_closed_form", "erlang_b", "erlang_c", "erlang_c_mean_wait",
           "erlang_c_service_level"]


def erlang_b(n: int, offered_load: float) -> float:
    """Erlang's loss formula ``B(n, R) = (R^n / n!) / sum_{k=0}^{n} R^k / k!`` [1].

    Computed as ``P(N = n) / P(N <= n)`` for ``N ~ Poisson(R)`` (the two sums
    share the factor ``e^-R``), stable for large ``n``.
    """
    if offered_load <= 0:
        return 0.0 if n > 0 else 1.0
    return float(stats.poisson.pmf(n, offered_load) / stats.poisson.cdf(n, offered_load))


def erlang_c(n: int, offered_load: float) -> float:
    """Probability that an arrival waits in M/M/n: ``C(n, R) = n B / (n - R (1 - B))`` [1, 2].

    ``B = B(n, R)`` of :func:`erlang_b`; equal to
    ``(R^n / n!) (n / (n - R)) / (sum_{k<n} R^k / k! + (R^n / n!) (n / (n - R)))``.
    1 when ``R >= n`` (no steady state: every arrival eventually waits).
    """
    if offered_load >= n:
        return 1.0
    b = erlang_b(n, offered_load)
    return n * b / (n - offered_load * (1.0 - b))


def erlang_c_mean_wait(n: int, offered_load: float, mu: float) -> float:
    """Mean wait in queue of all arrivals in M/M/n: ``W_q = C(n, R) / (n mu - lambda) = C / (mu (n - R))`` [2].

    ``inf`` when ``R >= n``.
    """
    if offered_load >= n:
        return math.inf
    return erlang_c(n, offered_load) / (mu * (n - offered_load))


def erlang_c_service_level(n: int, offered_load: float, mu: float, t: float) -> float:
    """``P(W_q <= t) = 1 - C(n, R) exp(-(n - R) mu t)`` in M/M/n, FCFS [2].

    The wait of a delayed arrival is exponential of rate ``n mu - lambda``.
    0 when ``R >= n``.
    """
    if offered_load >= n:
        return 0.0
    return 1.0 - erlang_c(n, offered_load) * math.exp(-(n - offered_load) * mu * t)


@dataclass(frozen=True)
class ErlangA:
    """Steady-state measures of M/M/n+M seen by an arrival.

    Attributes:
        p_wait: ``P(W > 0)``, probability that an arrival finds all servers busy.
        p_abandon: ``P(Ab)``, probability that an arrival abandons.
        mean_wait: ``E[W]``, mean time on hold of all arrivals (served or not).
        mean_queue: ``E[Q]``, mean number waiting.
        states: Number of states of the truncated chain (0 for the closed form).
    """

    p_wait: float
    p_abandon: float
    mean_wait: float
    mean_queue: float
    states: int


def erlang_a(n: int, offered_load: float, mu: float, theta: float, tail: float = 1e-14,
             max_states: int = 10_000_000) -> ErlangA:
    """Erlang A measures from the birth-death chain of the number in system [3, 4].

    States ``k = 0, 1, ...``; up rate ``lambda = R mu``; down rate
    ``d_k = min(k, n) mu + max(k - n, 0) theta``. Stationary
    ``pi_k ∝ prod_{j=1}^{k} lambda / d_j`` (in logarithms). The chain is cut at
    the first ``K > n`` with ``lambda < d_{K+1}`` where the geometric bound of
    the mass beyond K, ``pi_K r / (1 - r)`` with ``r = lambda / d_{K+1}``
    (ratios decrease beyond K), is below ``tail`` times the total.

    By PASTA [6] an arrival sees ``pi``: ``P(W > 0) = sum_{k>=n} pi_k``;
    ``E[Q] = sum_k max(k - n, 0) pi_k``; by Little's law on the queue
    ``E[W] = E[Q] / lambda``; the abandonment rate is ``theta E[Q]``, so
    ``P(Ab) = theta E[Q] / lambda = theta E[W]`` [5].

    ``theta = 0`` is Erlang C (M/M/n) and needs ``R < n``.

    Args:
        n: Servers (>= 1).
        offered_load: ``R = lambda / mu`` (Erlangs, > 0).
        mu: Service rate (1 / mean service time).
        theta: Abandonment rate (1 / mean patience), ``>= 0``.
        tail: Relative mass neglected beyond the truncation.
        max_states: Refuse chains longer than this.

    Raises:
        ValueError: If ``theta = 0`` and ``R >= n``, or the chain needs more
            than ``max_states`` states.
    """
    lam = offered_load * mu
    if theta <= 0 and offered_load >= n:
        raise ValueError("Erlang C (theta = 0) has no steady state for R >= n")
    size = 2 * n + 64
    while True:
        k = np.arange(1, size + 1, dtype=np.float64)
        down = np.minimum(k, n) * mu + np.maximum(k - n, 0.0) * theta
        logp = np.concatenate([[0.0], np.cumsum(math.log(lam) - np.log(down))])
        top = logp.max()
        p = np.exp(logp - top)
        total = p.sum()
        # truncation bound from the last state
        r = lam / (min(size + 1, n) * mu + max(size + 1 - n, 0) * theta)
        if size > n and r < 1.0 and p[-1] * r / (1.0 - r) < tail * total:
            break
        if size >= max_states:
            raise ValueError("the chain needs more than max_states states")
        size = min(2 * size, max_states)
    pi = p / total
    states = np.arange(pi.shape[0])
    queue = np.maximum(states - n, 0)
    p_wait = float(pi[n:].sum())
    mean_q = float((queue * pi).sum())
    mean_w = mean_q / lam
    return ErlangA(p_wait=p_wait, p_abandon=theta * mean_w, mean_wait=mean_w, mean_queue=mean_q,
                   states=int(pi.shape[0]))


def erlang_a_closed_form(n: int, offered_load: float, mu: float, theta: float) -> ErlangA:
    """Erlang A measures in closed form (Garnett, Mandelbaum & Reiman) [4, 5].

    With ``x = n mu / theta``, ``y = lambda / theta`` and
    ``A(x, y) = x e^y y^-x gamma(x, y)`` (lower incomplete gamma), equal to
    ``sum_{j>=0} y^j / ((x+1)...(x+j))`` (the queue's part of the chain):

    - ``P(W > 0) = A B / (1 + (A - 1) B)`` with ``B = B(n, R)`` Erlang B;
    - ``P(Ab | W > 0) = 1 / (rho A) + 1 - 1 / rho``, ``rho = R / n``;
    - ``P(Ab) = P(Ab | W > 0) P(W > 0)``, ``E[W] = P(Ab) / theta``,
      ``E[Q] = lambda E[W]``.

    Needs ``theta > 0``.
    """
    if theta <= 0:
        raise ValueError("the closed form needs theta > 0 (use erlang_c for theta = 0)")
    lam = offered_load * mu
    x, y = n * mu / theta, lam / theta
    log_a = math.log(x) + y - x * math.log(y) + special.gammaln(x) + math.log(special.gammainc(x, y))
    a = math.exp(log_a)
    b = erlang_b(n, offered_load)
    p_wait = a * b / (1.0 + (a - 1.0) * b)
    rho = offered_load / n
    p_ab = (1.0 / (rho * a) + 1.0 - 1.0 / rho) * p_wait
    mean_w = p_ab / theta
    return ErlangA(p_wait=p_wait, p_abandon=p_ab, mean_wait=mean_w, mean_queue=lam * mean_w, states=0)
