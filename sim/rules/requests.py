"""Requests and answers: how an answer is experienced, complaints, and what answering changes.

A request answered late against the consumer's expected response time costs
satisfaction (:func:`sim.rules.experience.lateness_penalty`), less when a
person answers at a booked appointment (seed 003); an answer later than a
response time the firm promised is a broken promise. An answer whose
satisfaction falls below ``satisfaction.complaint_below`` is a complaint;
complaints a person follows up are intense contacts (seed 000, seed 001).
Demand for immediacy grows when answers come fast (seed 003): the expected
response time moves toward the times experienced.
"""

from __future__ import annotations

import numpy as np

from sim.rules import contacts as ct
from sim.rules import experience as xp
from sim.rules.jit import kernel, rule

__all__ = ["answered", "is_complaint", "late_against_promise", "score_answers"]


@rule
def late_against_promise(response_h, promised_h):
    """Whether an answer broke a promised response time: ``promised_h > 0 and t > promised_h`` (hours)."""
    return promised_h > 0 and response_h > promised_h


@rule
def is_complaint(satisfaction, sat):
    """An answer is a complaint when its satisfaction is below ``satisfaction.complaint_below``."""
    return satisfaction < sat.complaint_below


@kernel
def score_answers(c, human, response_h, distortion, noise, quality, S, failed, boost, drop, appointments,
                  promised_h, ch, sat, perceived, penalty, recog, late):
    """Per answer j to consumer c[j]: perceived quality, lateness penalty, recognition value, broken promise.

    Perceived quality from :func:`sim.rules.contacts.answer_quality`; the
    penalty from :func:`sim.rules.experience.lateness_penalty` with relief
    ``channels.appointment_relief`` when a person answers for a firm that
    books appointments; recognition ``channels.human_recognition`` or
    ``automated_recognition``; ``late[j]`` from :func:`late_against_promise`.
    """
    for j in range(c.shape[0]):
        i = c[j]
        f = S.firm[i]
        h = human[j]
        shift = ct.quality_shift(S.treated[i], failed[i], boost, drop)
        perceived[j] = ct.answer_quality(h, quality[f, S.segment[i]], distortion[j], np.float64(S.human_need[i]),
                                         noise[j], shift, ch)
        relief = ch.appointment_relief if (appointments[f] and h) else 0.0
        penalty[j] = xp.lateness_penalty(response_h[j], np.float64(S.expected_response_h[i]),
                                         np.float64(S.time_sensitivity[i]), sat.time_scale_h, relief)
        recog[j] = ch.human_recognition if h else ch.automated_recognition
        late[j] = late_against_promise(response_h[j], promised_h[f])


@kernel
def answered(c, response_h, S, help_per_answer, response_rate):
    """Once per consumer answered today (``c`` sorted): felt help, a message from the firm, expected time.

    help <- min(help + ``wom.help_per_answer``, 1); from_firm += 1; with
    ``response_rate`` > 0 the expected response time T (hours) moves toward the
    day's answers: ``T <- max(T + rate x mean(t - T), 0.01)`` (0.01 h keeps it
    positive: structural).
    """
    j = 0
    k = c.shape[0]
    while j < k:
        i = c[j]
        er = np.float64(S.expected_response_h[i])
        d = 0.0
        cnt = 0.0
        while j < k and c[j] == i:
            d += response_h[j] - er
            cnt += 1.0
            j += 1
        S.help_received[i] = np.float32(min(1.0, np.float64(S.help_received[i]) + help_per_answer))
        S.from_firm[i] = S.from_firm[i] + np.float32(1.0)
        if response_rate > 0:
            S.expected_response_h[i] = np.float32(max(er + response_rate * d / cnt, 0.01))
