"""Acquisition: prospects become customers through a firm's reach, its reputation and word-of-mouth.

The market's consumers are the firms' customers and the prospects, consumers
of no firm in the model (the outside option: customers of competitors the
scenario does not model, or of nobody). A prospect becomes a customer of firm
f with the daily hazard

    h_f = p (1 + g (2 rep_f - 1)) (1 + L [f broadcasts today])
          + q sum over ties j who are customers of f of (1 + g (2 S_j - 1)) / k

with p = ``acquisition.innovation`` and q = ``acquisition.imitation``
(1/day), g = ``valence_weight``, rep_f the firm's public reputation, L =
``offer_lift``, S_j the satisfaction of tie j and k the prospect's number of
ties. It becomes a customer with probability ``min(sum_f h_f, 1)`` and then
picks firm f with probability ``h_f / sum_f h_f``. With one firm and g = 0,
L = 0 this is the Bass model on the graph [1] (adopters are customers): the
Bass curve is its special case (tests/emergent). Negative word-of-mouth
deters [2]: a dissatisfied customer tie counts less than a neutral one, and
less than nothing would be a repellent (not modelled: the tie weight is
clipped at 0).

References:
    [1] Bass, F. M. (1969). A new product growth model for consumer durables.
        Management Science 15(5), 215-227.
    [2] Goldenberg, J., Libai, B., Moldovan, S., & Muller, E. (2007). The NPV
        of bad news. IJRM 24(3), 186-200.
"""

from __future__ import annotations

import numpy as np

from sim.rules.jit import kernel, rule

__all__ = ["acquisition_bound", "own_reach_hazard", "tie_weight", "word_of_mouth_hazards"]


def own_reach_hazard(acq, reputation: np.ndarray, offer_today: np.ndarray) -> np.ndarray:
    """Per firm: ``p (1 + g (2 rep - 1)) (1 + L offer_today)`` (1/day), reputation on [0, 1]."""
    return (acq.innovation * np.maximum(1.0 + acq.valence_weight * (2.0 * reputation - 1.0), 0.0)
            * (1.0 + acq.offer_lift * offer_today))


def acquisition_bound(acq, own: np.ndarray) -> float:
    """An upper bound of a prospect's daily hazard: ``sum_f own_f + q (1 + g)``, capped at 1."""
    return float(min(own.sum() + acq.imitation * (1.0 + acq.valence_weight), 1.0))


@rule
def tie_weight(satisfaction, gamma):
    """What one customer tie counts for in the word-of-mouth hazard: ``max(1 + g (2 S - 1), 0)``."""
    return max(1.0 + gamma * (2.0 * satisfaction - 1.0), 0.0)


@kernel
def word_of_mouth_hazards(cand, indptr, indices, S, imitation, gamma, out):
    """``out[j, f] += q sum_{ties of cand[j] who are customers of f} tie_weight / ties`` for each candidate."""
    for j in range(cand.shape[0]):
        i = cand[j]
        lo = indptr[i]
        hi = indptr[i + 1]
        k = hi - lo
        if k == 0:
            continue
        for e in range(lo, hi):
            t = indices[e]
            f = S.firm[t]
            if f >= 0:
                out[j, f] += imitation * tie_weight(np.float64(S.satisfaction[t]), gamma) / k
