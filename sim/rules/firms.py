"""Firms: delivered quality, offers to the public, listening, reputation and staffing.

A firm delivers a quality per segment that drifts with its yearly trend and
gains from personalisation (:mod:`sim.rules.privacy`); it broadcasts offers
whose fit to each receiver's need is evidence about it (seed 004: one message
for a heterogeneous public fits nobody); a listening firm learns what segments
need and expect (seed 001); its public reputation follows the valence of public
talk about it; it staffs people to answer and advisors to meet.
"""

from __future__ import annotations

import math

import numpy as np

from sim.rules import trust as tr
from sim.rules.callcentre import offered_load, square_root_staffing
from sim.rules.jit import kernel, rule, u01

__all__ = ["broadcast", "drifted_quality", "human_capacity", "listen", "meeting_capacity", "message_fit",
           "phone_agents", "phone_demand_per_day", "purchase_probability", "reputation_step"]


@rule
def message_fit(content, need):
    """Fit of a message to a receiver: ``clip(1 - 2 |content - need|, 0, 1)`` (positions on [0, 1]).

    The factor 2 makes a message half the position range away fit nothing (structural).
    """
    return min(max(1.0 - 2.0 * abs(content - need), 0.0), 1.0)


@rule
def purchase_probability(fit, trust, offers):
    """Probability that a customer accepts an offer: ``fit x trust x offers.purchase_rate``."""
    return fit * trust * offers.purchase_rate


def reputation_step(reputation, praise, complaints, rate):
    """A firm's public reputation after one day of public talk about it.

    ``rep += rate (praise / (praise + complaints) - rep)`` on a day with public
    talk, unchanged otherwise (rate = ``wom.reputation_rate``, 1/day).
    """
    total = praise + complaints
    if total > 0:
        return reputation + rate * (praise / total - reputation)
    return reputation


def human_capacity(fp, customers: int, demand_per_day: float, mix) -> float:
    """Answers the firm's back office can give per day to relayed requests (a backlog).

    With ``human_capacity_per_tick`` c > 0: ``floor(c x customers / 1000)``.
    Otherwise sized to demand: ``ceil(staffing_ratio x demand x generalized share)``
    (relayed requests all reach a person).
    """
    if fp.human_capacity_per_tick > 0:
        return math.floor(fp.human_capacity_per_tick * customers / 1000.0)
    return float(np.ceil(fp.staffing_ratio * demand_per_day * mix[1]))


def phone_demand_per_day(fp, demand_per_day: float, mix) -> float:
    """Expected calls a day (first attempts): requests for a person made directly.

    ``demand x (restricted + complex x (1 - answer_in_public)) x (1 - automation_share)``.
    """
    return demand_per_day * (mix[0] + mix[2] * (1 - fp.answer_in_public)) * (1 - fp.automation_share)


def phone_agents(fp, calls_per_day: float, ch) -> int:
    """People on the phone: ``phone_agents`` when set, else square-root staffing [Halfin & Whitt 1981].

    ``ceil(R + beta sqrt(R))`` with the offered load R = calls per open hour x
    mean call time (Erlangs), beta = ``staffing_beta``.
    """
    if fp.phone_agents > 0:
        return int(fp.phone_agents)
    hours = max(ch.phone_close_h - ch.phone_open_h, 0.01)
    load = offered_load(calls_per_day / hours, ch.phone_service_min / 60.0)
    return int(square_root_staffing(load, fp.staffing_beta)) if load > 0 else 0


def meeting_capacity(fp, customers: int) -> float:
    """Advisor meetings per day: ``floor(advisors_per_10k x customers / 10000 x advisor_meetings_per_day)``."""
    return math.floor(fp.advisors_per_10k * customers / 10_000.0 * fp.advisor_meetings_per_day)


def listen(content, offer_quality, heard_need_sum, heard_adequate_sum, heard_count, rate, pull_share):
    """A listening firm's update from one day's feedback, per segment (in place).

    content += rate (mean heard need - content) for segments heard;
    offer quality += rate x pull_share x max(mean heard adequate level - quality, 0)
    (quality moves toward what customers feel entitled to, and only up).
    """
    seen = heard_count > 0
    content[seen] += rate * (heard_need_sum[seen] / heard_count[seen] - content[seen])
    want = np.where(seen, heard_adequate_sum / np.maximum(heard_count, 1), offer_quality)
    offer_quality += rate * pull_share * np.maximum(want - offer_quality, 0)


@kernel
def broadcast(S, f, content, leak_p, keys, trp, offers):
    """The firm's offer reaches each of its customers: fit, purchase, evidence. Returns (members, fit sum, buys).

    A customer of segment g gets ``content[g]``, or with probability
    ``leak_p`` the content of a random segment (a line not meant for it);
    fit from :func:`message_fit`; a purchase with :func:`purchase_probability`;
    the fit is graded as a routine contact: positive evidence
    ``trust.routine_weight x 2 max(fit - 0.5, 0)``, negative likewise with
    ``trust.negative_weight``. Draws are counter-based, keyed by ``keys``.
    """
    members = 0
    buys = 0
    fit_sum = 0.0
    n_seg = content.shape[0]
    w = trp.routine_weight
    for i in range(S.firm.shape[0]):
        if S.firm[i] != f:
            continue
        c = content[S.segment[i]]
        if leak_p > 0:
            if u01(keys[0], i) < leak_p:
                o = min(np.int64(u01(keys[1], i) * n_seg), n_seg - 1)
                c = content[o]
        fit = message_fit(c, np.float64(S.need[i]))
        if u01(keys[2], i) < purchase_probability(fit, np.float64(S.trust[i]), offers):
            buys += 1
        fit_sum += fit
        members += 1
        S.evidence_pos[i] = np.float32(np.float64(S.evidence_pos[i]) + tr.graded_positive(fit, w))
        S.evidence_neg[i] = np.float32(np.float64(S.evidence_neg[i]) + tr.graded_negative(fit, w, trp))
        S.from_firm[i] = S.from_firm[i] + np.float32(1.0)
    return members, fit_sum, buys


def drifted_quality(offer_quality, trend_per_year: float):
    """One day of the firm's quality trend: ``clip(q + trend / 365, 0, 1)`` (quality per segment)."""
    drift = trend_per_year / 365.0
    return np.clip(offer_quality + drift, 0.0, 1.0) if drift else offer_quality
