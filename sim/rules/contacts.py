"""Contacts: the quality a consumer perceives in each kind of contact with the firm.

Routine contacts (statements, app checks, cash machines) are many, cheap and
automated; answers to requests come from a channel (a person or a machine),
possibly relayed; advisor meetings and complaint follow-ups are rare, intense
contacts with a person (seed 000). Perceived quality is on [0, 1]; the
contact's weight as evidence is set by its kind (``trust.*_weight``).

A campaign adds quality to the treated group's contacts and a service failure
takes quality from the consumers it hits (:func:`quality_shift`).
"""

from __future__ import annotations

import numpy as np

from sim.rules.jit import kernel, rule

__all__ = ["advisor_quality", "answer_quality", "clip01", "quality_shift", "routine_quality", "score_routine"]


@rule
def clip01(x):
    """``min(max(x, 0), 1)``: a quality or a share kept on [0, 1]."""
    return min(max(x, 0.0), 1.0)


@rule
def quality_shift(treated, failed, boost, drop):
    """Quality added by campaigns, minus quality taken by failures, for one consumer's contact.

    ``boost`` for a treated consumer while a campaign runs, minus ``drop`` for a
    consumer hit by a running service failure; quality units.
    """
    return (boost if treated else 0.0) - (drop if failed else 0.0)


@rule
def routine_quality(delivered, noise, shift):
    """Perceived quality of a routine contact: ``clip(q[f, g] + noise + shift, 0, 1)``.

    q the firm's delivered quality for the segment, noise ~ N(0, channels.quality_noise).
    """
    return clip01(delivered + noise + shift)


@rule
def answer_quality(human, delivered, distortion, human_need, noise, shift, ch):
    """Perceived quality of an answer to a request.

    ``P = clip((1 - a) q_c + a q[f, g] - distortion - [automated] k h + noise + shift, 0, 1)``
    with q_c = ``channels.human_quality`` or ``automated_quality``, a =
    ``channels.answer_service_share``, distortion the quality lost on relays,
    k = ``channels.automation_shortfall`` and h the consumer's need of a person
    (seed 001: an automated answer falls short for those who need a person).
    """
    a = ch.answer_service_share
    p = (1.0 - a) * (ch.human_quality if human else ch.automated_quality) + a * delivered - distortion
    p = p - (0.0 if human else ch.automation_shortfall * human_need)
    p = p + noise
    p = p + shift
    return clip01(p)


@rule
def advisor_quality(delivered, noise, shift, ch):
    """Perceived quality of an advisor meeting.

    ``P = clip((1 - a) q_h + a q[f, g] + bonus + noise + shift, 0, 1)`` with
    q_h = ``channels.human_quality``, a = ``channels.advisor_service_share``,
    bonus = ``channels.advisor_quality_bonus`` (face to face, seed 000).
    """
    a = ch.advisor_service_share
    return clip01((1.0 - a) * ch.human_quality + a * delivered + ch.advisor_quality_bonus + noise + shift)


@kernel
def score_routine(idx, quality, S, noise, noise_sd, failed, boost, drop, out):
    """Perceived quality of routine contacts ``idx`` into ``out`` (:func:`routine_quality`)."""
    for j in range(idx.shape[0]):
        i = idx[j]
        shift = quality_shift(S.treated[i], failed[i], boost, drop)
        out[j] = routine_quality(quality[S.firm[i], S.segment[i]], noise_sd * np.float64(noise[j]), shift)


@kernel
def score_advisors(idx, quality, S, noise, failed, boost, drop, ch, out):
    """Perceived quality of advisor meetings ``idx`` into ``out`` (:func:`advisor_quality`)."""
    for j in range(idx.shape[0]):
        i = idx[j]
        shift = quality_shift(S.treated[i], failed[i], boost, drop)
        out[j] = advisor_quality(quality[S.firm[i], S.segment[i]], noise[j], shift, ch)
