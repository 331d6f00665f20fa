"""Churn and switching: a convex hazard in loyalty, damped by attachment.

Retention is convex in satisfaction [1]: the logistic link below is an
assumption from the literature (not an emergent pattern). With several firms a
leaver switches to another firm chosen in proportion to its reputation; with
one firm it leaves the market.

References:
    [1] Jones, T. O., & Sasser, W. E. (1995). Why satisfied customers defect.
        HBR 73(6), 88-99.
    [2] Morgan, R. M., & Hunt, S. D. (1994). The commitment-trust theory of
        relationship marketing. JM 58(3), 20-38.
"""

from __future__ import annotations

import math

import numpy as np

from sim.rules import trust as tr
from sim.rules.jit import kernel, rule

__all__ = ["churn_hazard", "daily_bound", "hazards", "start_relationship", "switch_targets"]

#: Added to every firm's reputation when choosing where a switcher goes, so a firm of zero
#: reputation can still be chosen and the weights never all vanish (structural).
REPUTATION_FLOOR = 1e-3


def daily_bound(ch) -> float:
    """The largest daily hazard, ``churn.max_rate_per_year / 365`` (1/day)."""
    return ch.max_rate_per_year / 365.0


@rule
def churn_hazard(satisfaction, trust, attachment, bound, ch):
    """Daily probability of leaving: ``h = h_max / (1 + exp(k (L - L0))) (1 - lock x attachment)``.

    L = (satisfaction + trust) / 2 (loyalty, on [0, 1]); h_max =
    :func:`daily_bound` (1/day); k = ``churn.steepness``; L0 =
    ``churn.threshold``; lock = ``churn.attachment_lock`` [2].
    """
    loyalty = 0.5 * (satisfaction + trust)
    return bound / (1.0 + math.exp(ch.steepness * (loyalty - ch.threshold))) * (1.0 - ch.attachment_lock * attachment)


@kernel
def hazards(cand, S, bound, ch, out):
    """:func:`churn_hazard` of the candidate consumers ``cand`` into ``out``."""
    for j in range(cand.shape[0]):
        i = cand[j]
        out[j] = churn_hazard(np.float64(S.satisfaction[i]), np.float64(S.trust[i]), np.float64(S.attachment[i]),
                              bound, ch)


def switch_targets(old: np.ndarray, reputation: np.ndarray, pick: np.ndarray) -> np.ndarray:
    """The firm each leaver switches to: another firm, drawn with probability proportional to reputation.

    ``pick`` are uniform draws on [0, 1), one per leaver.
    """
    rep = reputation + REPUTATION_FLOOR
    nf = rep.size
    new = np.empty_like(old)
    for f in range(nf):
        m = old == f
        w = rep.copy()
        w[f] = 0
        cw = np.cumsum(w / w.sum())
        new[m] = np.minimum(np.searchsorted(cw, pick[m], side="right"), nf - 1)
    return new


@kernel
def start_relationship(idx, S, trp, initial_satisfaction):
    """A switcher starts afresh with its new firm: initial evidence and trust, no attachment or recognition."""
    for j in range(idx.shape[0]):
        i = idx[j]
        S.evidence_pos[i] = np.float32(trp.initial_positive)
        S.evidence_neg[i] = np.float32(trp.initial_negative)
        S.trust[i] = np.float32(tr.beta_trust(np.float64(S.evidence_pos[i]), np.float64(S.evidence_neg[i])))
        S.attachment[i] = 0.0
        S.recognition[i] = 0.0
        S.satisfaction[i] = np.float32(initial_satisfaction)
