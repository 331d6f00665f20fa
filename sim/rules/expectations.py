"""Expectations: the three norms (possible, entitled, dreamed) and expected response time.

Each consumer holds a predicted ("will") level E, an adequate (entitled)
level A and a desired (dreamed) level D of quality [3], and an expected
response time. They adapt to experience, to what peers report
(:mod:`sim.rules.word_of_mouth`) and to what the firm announces or promises.

References:
    [1] Boulding, W., Kalra, A., Staelin, R., & Zeithaml, V. A. (1993). A
        dynamic process model of service quality. JMR 30(1), 7-27.
    [2] Rust, R. T., & Oliver, R. L. (2000). Should we delight the customer?
        JAMS 28(1), 86-94.
    [3] Zeithaml, V. A., Berry, L. L., & Parasuraman, A. (1993). The nature and
        determinants of customer expectations of service. JAMS 21(1), 1-12.
    [4] Helson, H. (1964). Adaptation-level theory. Harper & Row.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from sim.rules.jit import CHUNK, kernel, parallel_kernel, rule

__all__ = ["adapt_norms", "anchor", "pulled"]


@rule
def adapt_norms(predicted, adequate, desired, experienced, smoothed, exp):
    """The three norms after one day with contacts (quality on [0, 1]).

    P is the day's experienced quality, X the consumer's smoothed experience
    (updated with P before this step, rate ``expectations.experience_memory``).

    - ``E += a_E (P - E)``, a_E = ``expectations.predicted_rate`` (adaptive
      expectations [1], adaptation level [4]): E tracks the mean experience
      without bias, whatever the noise;
    - the entitled level follows ``max(X - m, 0)`` (m = ``adequate_margin``: what one
      accepts lies below what one usually gets [3]) with a ratchet: rate
      ``adequate_up_rate`` when ``X - m > A``, else ``adequate_down_rate``
      (entitlement rises faster than it falls [2]: an assumption from the
      literature, applied to smoothed experience so that the noise of single
      contacts does not ratchet it up);
    - ``D += a_D max(X - D, 0)``, a_D = ``desired_rate`` (dreams follow the best
      experience and never fall);
    - then ``A <= D`` is kept. Returns (E, A, D).
    """
    e = predicted + exp.predicted_rate * (experienced - predicted)
    target = max(smoothed - exp.adequate_margin, 0.0)
    a = adequate + (exp.adequate_up_rate if target > adequate else exp.adequate_down_rate) * (target - adequate)
    d = desired + exp.desired_rate * max(smoothed - desired, 0.0)
    return e, min(a, d), d


@rule
def pulled(value, target, rate):
    """``value + rate (target - value)``: a norm pulled toward a target (announcement, promise)."""
    return value + rate * (target - value)


@kernel
def anchor(S, announced_h, promise, promised_h, exp):
    """Once a day, what firms announce and promise pulls their customers' expectations.

    For a customer of firm f in segment g:
    ``T <- pulled(T, announced_h[f], expectations.announcement_weight)`` when f
    announces a response time (seed 003); ``E <- pulled(E, promise[f, g],
    expectations.promised_quality_pull)`` when f promises a quality [3];
    ``T <- pulled(T, promised_h[f], promised_response_share x announcement_weight)``
    when f promises a response time. T in hours, E quality on [0, 1]. Each
    consumer on its own: fixed chunks of consumers shared among threads.
    """
    _anchor_chunks(S.firm, S.segment, S.expected_response_h, S.predicted_quality, announced_h, promise, promised_h,
                   exp)


@parallel_kernel
def _anchor_chunks(firm, segment, expected_h, predicted, announced_h, promise, promised_h, exp):
    """:func:`anchor` on chunk after chunk, the chunks shared among threads (arrays one by one)."""
    w_resp = exp.promised_response_share * exp.announcement_weight
    n = firm.shape[0]
    for c in prange((n + CHUNK - 1) // CHUNK):
        for i in range(c * CHUNK, min((c + 1) * CHUNK, n)):
            f = firm[i]
            if f < 0:
                continue
            er = np.float64(expected_h[i])
            a = announced_h[f]
            if a > 0:
                er = pulled(er, a, exp.announcement_weight)
            pr = promise[f, segment[i]]
            if pr > 0:
                predicted[i] = np.float32(pulled(np.float64(predicted[i]), pr, exp.promised_quality_pull))
            r = promised_h[f]
            if r > 0:
                er = pulled(er, r, w_resp)
            expected_h[i] = np.float32(er)
