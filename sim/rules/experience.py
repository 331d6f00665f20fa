"""Experience: how a contact satisfies, and how the day's contacts become satisfaction.

A contact is experienced against the consumer's norms (expectation
disconfirmation with asymmetric weights and a zone of tolerance), graded into
beta evidence about the firm, and written in the day book; at the end of the
day the book is closed: satisfaction and the reported quality move toward the
day's weighted means, the evidence joins the consumer's evidence, and the
norms adapt (:mod:`sim.rules.expectations`).

References:
    [1] Oliver, R. L. (1980). A cognitive model of the antecedents and
        consequences of satisfaction decisions. JMR 17(4), 460-469.
    [2] Anderson, E. W., & Sullivan, M. W. (1993). The antecedents and
        consequences of customer satisfaction for firms. Marketing Science
        12(2), 125-143.
    [3] Zeithaml, V. A., Berry, L. L., & Parasuraman, A. (1993). The nature and
        determinants of customer expectations of service. JAMS 21(1), 1-12.
    [4] Mittal, V., Ross, W. T., & Baldasare, P. M. (1998). The asymmetric
        impact of negative and positive attribute-level performance. JM 62(1).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from sim.rules import daybook as B
from sim.rules import expectations as ex
from sim.rules import trust as tr
from sim.rules.jit import CHUNK, kernel, parallel_kernel, rule

__all__ = ["close_day", "contact_satisfaction", "lateness_penalty", "score_contacts", "smoothed"]


@rule
def contact_satisfaction(perceived, predicted, adequate, sat):
    """Satisfaction of one contact, on [0, 1].

    ``s = clip(0.5 + w_p (P - 0.5) + w_+ max(d, 0) - w_- max(-d, 0) - w_a max(A - P, 0), 0, 1)``
    with ``d = P - E``: P perceived quality, E predicted level, A adequate
    level (all quality on [0, 1]); ``w_p = sat.performance_weight`` [2],
    ``w_+ = sat.gain_weight`` [1], ``w_- = sat.loss_weight`` [4] (losses loom
    larger: an assumption from the literature), ``w_a = sat.below_adequate_weight``
    (the zone of tolerance's floor [3]). A contact exactly as predicted, at
    P = 0.5 and above A, gives 0.5.
    """
    d = perceived - predicted
    s = (0.5 + sat.performance_weight * (perceived - 0.5) + sat.gain_weight * max(d, 0.0)
         - sat.loss_weight * max(-d, 0.0) - sat.below_adequate_weight * max(adequate - perceived, 0.0))
    return min(max(s, 0.0), 1.0)


@rule
def lateness_penalty(response_h, expected_h, sensitivity, scale_h, relief):
    """Satisfaction lost to a late answer: ``sensitivity * min(max(t - T, 0) / h, 1) * (1 - relief)``.

    t the response time and T the expected one (hours), h =
    ``satisfaction.time_scale_h`` (hours of lateness that cost the whole
    sensitivity), ``relief`` the share removed at a booked appointment (the
    consumer knew when: seed 003). On [0, sensitivity].
    """
    late = max(response_h - expected_h, 0.0) / scale_h
    return sensitivity * min(late, 1.0) * (1.0 - relief)


@rule
def smoothed(old, target, rate):
    """Exponential smoothing ``old + rate (target - old)`` (satisfaction, reported quality)."""
    return old + rate * (target - old)


@kernel
def score_contacts(book, touched, idx, perceived, weight, penalty, recog, S, promise, sat, trp, out):
    """Score contacts ``idx`` (perceived quality, lateness penalty, recognition) into the day book.

    Per contact j of consumer i: s = clip(contact_satisfaction - penalty_j, 0, 1)
    is written to ``out[j]``; the book's contact columns add the weight, the
    weighted quality and satisfaction, the graded evidence
    (:func:`sim.rules.trust.graded_evidence`) plus the evidence of a promise
    kept or broken (:func:`sim.rules.trust.promise_evidence`), the recognition
    value and one count. ``penalty`` and ``recog`` have one value per contact,
    or a single value for all.

    The contacts are visited by consumer (a stable order, so each consumer's
    contacts add up in their given order) in fixed chunks of consumers
    (:data:`sim.rules.jit.CHUNK`) shared among threads: no two threads write
    the same row, and any number of threads gives the same numbers.
    """
    n = book.shape[0]
    if idx.shape[0] == 0:
        return
    ordered = True
    for j in range(1, idx.shape[0]):
        if idx[j] < idx[j - 1]:
            ordered = False
            break
    order = np.arange(idx.shape[0]) if ordered else np.argsort(idx, kind="mergesort")
    cuts = np.searchsorted(idx[order], np.arange(0, n + CHUNK, CHUNK))
    _score_chunks(book, touched, idx, order, cuts, perceived, weight, penalty, recog, S.predicted_quality,
                  S.adequate_quality, S.firm, S.segment, promise, sat, trp, out)


@parallel_kernel
def _score_chunks(book, touched, idx, order, cuts, perceived, weight, penalty, recog, predicted, adequate, firm,
                  segment, promise, sat, trp, out):
    """:func:`score_contacts` on the contacts ``order[cuts[c]:cuts[c + 1]]`` of chunk c, chunks among threads."""
    npen = penalty.shape[0]
    nrec = recog.shape[0]
    for c in prange(cuts.shape[0] - 1):
        for t in range(cuts[c], cuts[c + 1]):
            j = order[t]
            i = idx[j]
            p = perceived[j]
            touched[i] = 1
            s = contact_satisfaction(p, np.float64(predicted[i]), np.float64(adequate[i]), sat)
            s = min(max(s - penalty[j if npen > 1 else 0], 0.0), 1.0)
            pos = tr.graded_positive(s, weight)
            neg = tr.graded_negative(s, weight, trp)
            pr = promise[firm[i], segment[i]]
            if pr > 0:
                neg = neg + tr.broken_promise(pr, p, weight, trp)
                pos = pos + tr.kept_promise(pr, p, weight, trp)
            book[i, B.WEIGHT] += np.float32(weight)
            book[i, B.WEIGHTED_QUALITY] += np.float32(p * weight)
            book[i, B.WEIGHTED_SATISFACTION] += np.float32(s * weight)
            book[i, B.POSITIVE] += np.float32(pos)
            book[i, B.NEGATIVE] += np.float32(neg)
            book[i, B.RECOGNITION] += np.float32(recog[j if nrec > 1 else 0])
            book[i, B.COUNT] += np.float32(1.0)
            out[j] = s


@kernel
def close_day(book, touched, gain, S, sat, exp, adapt):
    """Close the day book: evidence, recognition gained, satisfaction, reported quality and norms.

    For each consumer with a row today: the day's positive and negative
    evidence join the evidence counts; the recognition gained is handed to
    the relationships pass (``gain``); when the day's contacts have weight w,
    with weighted means P (quality) and s (satisfaction),
    satisfaction <- smoothed(satisfaction, s, sat.memory), smoothed experience
    (what the consumer reports to peers) <- smoothed(X, P,
    expectations.experience_memory), and (when ``adapt``) the three norms take
    one step
    (:func:`sim.rules.expectations.adapt_norms`). Returns the sum of P and
    the number of consumers with a weighted contact (the day's delivered
    quality is their ratio).

    The consumers are cut in fixed chunks (:data:`sim.rules.jit.CHUNK`) shared
    among threads; each chunk sums its own P and the sums are added in chunk
    order, so any number of threads gives the same numbers.
    """
    n = book.shape[0]
    partial = np.zeros(((n + CHUNK - 1) // CHUNK, 2))
    _close_chunks(book, touched, gain, S.evidence_pos, S.evidence_neg, S.satisfaction, S.last_quality,
                  S.predicted_quality, S.adequate_quality, S.desired_quality, sat, exp, adapt, partial)
    total = 0.0
    hits = 0
    for c in range(partial.shape[0]):
        total += partial[c, 0]
        hits += np.int64(partial[c, 1])
    return total, hits


@parallel_kernel
def _close_chunks(book, touched, gain, ev_pos, ev_neg, satisfaction, last_quality, predicted, adequate, desired, sat,
                  exp, adapt, partial):
    """:func:`close_day` on chunk after chunk, the chunks shared among threads (arrays one by one)."""
    n = book.shape[0]
    for c in prange(partial.shape[0]):
        total = 0.0
        hits = 0.0
        for i in range(c * CHUNK, min((c + 1) * CHUNK, n)):
            if touched[i] == 0:
                continue
            touched[i] = 0
            ev_pos[i] = np.float32(np.float64(ev_pos[i]) + np.float64(book[i, B.POSITIVE]))
            ev_neg[i] = np.float32(np.float64(ev_neg[i]) + np.float64(book[i, B.NEGATIVE]))
            gain[i] = book[i, B.RECOGNITION]
            w = np.float64(book[i, B.WEIGHT])
            if w > 0:
                p = np.float64(book[i, B.WEIGHTED_QUALITY]) / w
                s = np.float64(book[i, B.WEIGHTED_SATISFACTION]) / w
                total += p
                hits += 1.0
                satisfaction[i] = np.float32(min(max(smoothed(np.float64(satisfaction[i]), s, sat.memory), 0.0),
                                                 1.0))
                x = smoothed(np.float64(last_quality[i]), p, exp.experience_memory)
                last_quality[i] = np.float32(x)
                if adapt:
                    e, a, d = ex.adapt_norms(np.float64(predicted[i]), np.float64(adequate[i]),
                                             np.float64(desired[i]), p, x, exp)
                    predicted[i] = np.float32(e)
                    adequate[i] = np.float32(a)
                    desired[i] = np.float32(d)
            for k in range(B.CONTACT_COLUMNS):
                book[i, k] = 0.0
        partial[c, 0] = total
        partial[c, 1] = hits
