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

from sim.rules import trust as tr
from sim.rules.jit import kernel, rule

__all__ = ["SUMMED", "add_summed", "adjust_sums", "attachment_step", "recognition_step", "relationships"]

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
def add_summed(sums, S, i, sign):
    """Add (``sign`` = 1) or remove (-1) consumer i's contribution to the sums of :data:`SUMMED`."""
    t = np.float64(S.trust[i])
    sums[0] += sign * t
    sums[1] += sign * (t * t)
    sums[2] += sign * np.float64(S.attachment[i])
    sums[3] += sign * np.float64(S.recognition[i])
    sums[4] += sign * np.float64(S.satisfaction[i])
    sums[5] += sign * np.float64(S.predicted_quality[i])
    sums[6] += sign * np.float64(S.adequate_quality[i])
    sums[7] += sign * np.float64(S.desired_quality[i])
    sums[8] += sign * np.float64(S.expected_response_h[i])
    sums[9] += sign * np.float64(S.predicted_start[i])


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
    """
    for c in range(sums.shape[0]):
        sums[c] = 0.0
    for i in range(gain.shape[0]):
        g = np.float64(np.float32(gain[i]))
        gain[i] = 0.0
        r32 = np.float32(recognition_step(np.float64(S.recognition[i]), g, trp))
        pos = np.float64(S.evidence_pos[i]) + trp.recognition_weight * g * np.float64(S.recognition_seeking[i])
        neg = np.float64(S.evidence_neg[i])
        f = S.firm[i]
        if f >= 0:
            neg = neg + privacy_k[f] * np.float64(S.privacy_sensitivity[i])
        p32 = np.float32(pos * trp.forgetting)
        n32 = np.float32(neg * trp.forgetting)
        t32 = np.float32(tr.beta_trust(np.float64(p32), np.float64(n32)))
        S.recognition[i] = r32
        S.evidence_pos[i] = p32
        S.evidence_neg[i] = n32
        S.trust[i] = t32
        S.attachment[i] = np.float32(attachment_step(np.float64(S.attachment[i]), np.float64(t32),
                                                     np.float64(r32), trp))
        S.help_received[i] = np.float32(np.float64(S.help_received[i]) * wom.help_persistence)
        if f >= 0:
            add_summed(sums, S, i, 1.0)
