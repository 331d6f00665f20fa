"""Trust: a beta-reputation evidence count with forgetting, and the evidence each event carries.

A consumer holds positive and negative evidence (r, s) about its firm; trust
is the expected value of a Beta(r + 1, s + 1) belief [1]. Evidence fades by a
daily factor (forgetting). A contact is graded into evidence around a neutral
satisfaction of 0.5; bad experiences weigh ``negative_weight`` times good ones
[2] (an assumption from the literature, not an emergent pattern). A promise is
the standard of coherence (seed 002): falling short of it is negative evidence
in proportion to the gap, keeping it a little positive evidence.

References:
    [1] Josang, A., & Ismail, R. (2002). The beta reputation system. 15th Bled
        Electronic Commerce Conference.
    [2] Slovic, P. (1993). Perceived risk, trust, and democracy. Risk Analysis
        13(6), 675-682.
"""

from __future__ import annotations

import numpy as np

from sim.rules import daybook as B
from sim.rules.jit import kernel, rule

__all__ = ["add_broken_response_promise", "beta_trust", "broken_promise", "graded_negative", "graded_positive",
           "initial_trust", "kept_promise", "message_trust_change"]


@rule
def beta_trust(pos, neg):
    """Trust ``T = (r + 1) / (r + s + 2)`` on (0, 1) from evidence r = pos, s = neg (evidence units) [1]."""
    return (pos + 1.0) / (pos + neg + 2.0)


@rule
def message_trust_change(pos, neg, positive, weight):
    """Change of trust that one piece of evidence of ``weight`` would cause: dT/dr w or dT/ds w.

    ``dT = (s + 1) / (r + s + 2)^2 w`` for positive evidence and
    ``-(r + 1) / (r + s + 2)^2 w`` for negative evidence (derivatives of
    :func:`beta_trust`); the influence graph weighs each peer message by it.
    """
    t = pos + neg + 2.0
    tot2 = t * t
    if positive:
        return (neg + 1.0) / tot2 * weight
    return -(pos + 1.0) / tot2 * weight


@rule
def graded_positive(s, weight):
    """Positive evidence of a contact of satisfaction s: ``w * 2 max(s - 0.5, 0)`` (w in evidence units)."""
    return weight * 2.0 * max(s - 0.5, 0.0)


@rule
def graded_negative(s, weight, trp):
    """Negative evidence of a contact: ``w * k * 2 max(0.5 - s, 0)``, k = ``trust.negative_weight`` [2]."""
    return weight * trp.negative_weight * 2.0 * max(0.5 - s, 0.0)


@rule
def broken_promise(promised, perceived, weight, trp):
    """Negative evidence of a contact below the promised quality: ``w_b * w * max(promised - P, 0)``.

    ``w_b = trust.broken_promise_weight`` (evidence per unit of quality gap).
    """
    return trp.broken_promise_weight * weight * max(promised - perceived, 0.0)


@rule
def kept_promise(promised, perceived, weight, trp):
    """Positive evidence of a contact at or above the promised quality: ``0.5 w_b w k`` (else 0).

    ``k = trust.kept_promise_share``: a kept promise is expected, so it
    carries a small share of what breaking it costs.
    """
    if promised - perceived <= 0:
        return 0.5 * trp.broken_promise_weight * weight * trp.kept_promise_share
    return 0.0


@kernel
def add_broken_response_promise(book, touched, idx, value):
    """Book ``value`` of negative evidence for each answer later than a promised response time."""
    for j in range(idx.shape[0]):
        i = idx[j]
        touched[i] = 1
        book[i, B.NEGATIVE] += np.float32(value)
        book[i, B.COUNT] += np.float32(1.0)


@kernel
def initial_trust(idx, S):
    """Trust of consumers ``idx`` from their evidence (at the start, and after switching firms)."""
    for j in range(idx.shape[0]):
        i = idx[j]
        S.trust[i] = np.float32(beta_trust(np.float64(S.evidence_pos[i]), np.float64(S.evidence_neg[i])))
