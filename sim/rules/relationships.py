"""Relationships: recognition, forgetting, trust and attachment, once a day for every consumer.

Recognition (esteem felt from being treated as a person, seed 001) decays and
grows with the recognition value of the day's contacts; recognition received is
also positive evidence for those who seek it. Evidence is forgotten, trust
follows (:func:`sim.rules.trust.beta_trust`), and attachment (commitment)
follows trust weighted by recognition [1]. Felt help fades.

References:
    [1] Morgan, R. M., & Hunt, S. D. (1994). The commitment-trust theory of
        relationship marketing. JM 58(3), 20-38.
    [2] Josang, A., & Ismail, R. (2002). The beta reputation system.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from sim.rules import trust as tr
from sim.rules.jit import CHUNK, kernel, parallel_kernel, rule

__all__ = ["SUMMED", "add_summed", "add_to_sums", "adjust_sums", "attachment_step", "recognition_step",
           "relationships"]

#: Quantities summed over active consumers by :func:`relationships`, in this order (the outcome means).
SUMMED = ("trust", "trust_sq", "attachment", "recognition", "satisfaction", "predicted_quality",
          "adequate_quality", "desired_quality", "expected_response_h", "predicted_start")


@rule
def recognition_step(recognition, gained, trp):
    """Felt recognition after one day: ``R <- min((1 - delta) R + g_R gained, 1)``.

    delta = ``trust.recognition_decay`` (1/day), g_R = ``trust.recognition_gain``,
    gained = the day's recognition value received.
    """
    return min(recognition * (1.0 - trp.recognition_decay) + trp.recognition_gain * gained, 1.0)


@rule
def attachment_step(attachment, trust, recognition, trp):
    """Attachment after one day: ``att += a (T (1 - k + k R) - att)``.

    a = ``trust.attachment_rate`` (1/day), k = ``trust.attachment_recognition_share`` [1].
    """
    k = trp.attachment_recognition_share
    return attachment + trp.attachment_rate * (trust * ((1.0 - k) + k * recognition) - attachment)


@rule
def add_to_sums(sums, sign, trust, attachment, recognition, satisfaction, predicted, adequate, desired,
                expected_h, predicted_start):
    """Add (``sign`` = 1) or remove (-1) one consumer's values to the sums of :data:`SUMMED` (float64)."""
    t = np.float64(trust)
    sums[0] += sign * t
    sums[1] += sign * (t * t)
    sums[2] += sign * np.float64(attachment)
    sums[3] += sign * np.float64(recognition)
    sums[4] += sign * np.float64(satisfaction)
    sums[5] += sign * np.float64(predicted)
    sums[6] += sign * np.float64(adequate)
    sums[7] += sign * np.float64(desired)
    sums[8] += sign * np.float64(expected_h)
    sums[9] += sign * np.float64(predicted_start)


@rule
def add_summed(sums, S, i, sign):
    """Add (``sign`` = 1) or remove (-1) consumer i's contribution to the sums of :data:`SUMMED`."""
    add_to_sums(sums, sign, S.trust[i], S.attachment[i], S.recognition[i], S.satisfaction[i],
                S.predicted_quality[i], S.adequate_quality[i], S.desired_quality[i], S.expected_response_h[i],
                S.predicted_start[i])


@kernel
def adjust_sums(idx, S, sign, sums):
    """:func:`add_summed` for consumers ``idx`` (the day's churners leave the sums, switchers come back)."""
    for j in range(idx.shape[0]):
        add_summed(sums, S, idx[j], sign)


@kernel
def relationships(gain, privacy_k, S, trp, wom, sums):
    """The day's relationship update of every consumer, and the sums of :data:`SUMMED` over active ones.

    Per consumer: R from :func:`recognition_step`; positive evidence gains
    ``trust.recognition_weight x gained x recognition_seeking``; negative
    evidence gains the firm's privacy evidence ``privacy_k[f] x
    privacy_sensitivity`` (:mod:`sim.rules.privacy`); both are multiplied by
    ``trust.forgetting``; trust, attachment; help x ``wom.help_persistence``.
    ``gain`` is cleared.

    The consumers are cut in fixed chunks of :data:`sim.rules.jit.CHUNK`, run
    on as many threads as ``EXLAB_THREADS`` allows (:func:`_relate_chunks`);
    each chunk forms its own sums and the sums are added in chunk order, so
    any number of threads gives the same numbers.
    """
    n = gain.shape[0]
    partial = np.zeros(((n + CHUNK - 1) // CHUNK, sums.shape[0]))
    _relate_chunks(gain, privacy_k, S.recognition, S.evidence_pos, S.evidence_neg, S.recognition_seeking, S.firm,
                   S.privacy_sensitivity, S.trust, S.attachment, S.help_received, S.satisfaction,
                   S.predicted_quality, S.adequate_quality, S.desired_quality, S.expected_response_h,
                   S.predicted_start, trp, wom, partial)
    for c in range(sums.shape[0]):
        sums[c] = 0.0
    for k in range(partial.shape[0]):
        for c in range(sums.shape[0]):
            sums[c] += partial[k, c]


@parallel_kernel
def _relate_chunks(gain, privacy_k, recognition, ev_pos, ev_neg, seeking, firm, privacy_sens, trust, attachment,
                   help_received, satisfaction, predicted, adequate, desired, expected_h, predicted_start, trp, wom,
                   partial):
    """:func:`relationships` on chunk after chunk, the chunks shared among threads.

    The arrays come one by one: numba loses writes made through a tuple of
    arrays inside a parallel loop.
    """
    n = gain.shape[0]
    for c in prange(partial.shape[0]):
        for i in range(c * CHUNK, min((c + 1) * CHUNK, n)):
            g = np.float64(np.float32(gain[i]))
            gain[i] = 0.0
            r32 = np.float32(recognition_step(np.float64(recognition[i]), g, trp))
            pos = np.float64(ev_pos[i]) + trp.recognition_weight * g * np.float64(seeking[i])
            neg = np.float64(ev_neg[i])
            f = firm[i]
            if f >= 0:
                neg = neg + privacy_k[f] * np.float64(privacy_sens[i])
            p32 = np.float32(pos * trp.forgetting)
            n32 = np.float32(neg * trp.forgetting)
            t32 = np.float32(tr.beta_trust(np.float64(p32), np.float64(n32)))
            recognition[i] = r32
            ev_pos[i] = p32
            ev_neg[i] = n32
            trust[i] = t32
            attachment[i] = np.float32(attachment_step(np.float64(attachment[i]), np.float64(t32), np.float64(r32),
                                                       trp))
            help_received[i] = np.float32(np.float64(help_received[i]) * wom.help_persistence)
            if f >= 0:
                add_to_sums(partial[c], 1.0, trust[i], attachment[i], recognition[i], satisfaction[i], predicted[i],
                            adequate[i], desired[i], expected_h[i], predicted_start[i])
