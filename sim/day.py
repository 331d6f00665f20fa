"""The day: what one tick's phases hand to each other, in named fields.

A :class:`Day` is created at the start of ``ExchangeModel.step()`` and passed
to every phase (sim/phases.py); nothing of the day is kept in attributes of
the model. Fields are grouped by the phase that writes them; the outcome row
(``record``) reads them at the end of the day.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Day"]


def _empty(dtype=np.float64) -> np.ndarray:
    return np.empty(0, dtype)


@dataclass
class Day:
    """One day's data, passed from phase to phase."""

    tick: int                     #: the day's index, 0 for the first day
    now_h: float                  #: hours since the start at the day's beginning
    mix: np.ndarray               #: today's age mix (restricted, generalized, complex)
    active: np.ndarray            #: bool per consumer: with a firm (kept current by churn)

    # 1. firms
    customers_by_firm_segment: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int64))
    customers_by_firm: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    quality: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))   #: delivered quality (firm, segment)
    promise: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))   #: promised quality (firm, segment)
    message_fit: float = np.nan
    purchases: int = 0

    # 2.-4. contacts, requests, advisors
    contacts_statement: int = 0
    contacts_self: int = 0
    contacts_automated: int = 0
    contacts_human: int = 0
    contacts_platform: int = 0
    contacts_social: int = 0
    contacts_advisor: int = 0
    unserved_meetings: int = 0
    served: object = None                       #: sim.routing.Served of the day
    response_h: np.ndarray = field(default_factory=_empty)   #: response times of today's answers
    waits_h: np.ndarray = field(default_factory=_empty)      #: time answered requests waited in queues
    posters: np.ndarray = field(default_factory=lambda: _empty(np.int64))  #: public requests, read with talk
    post_valence: np.ndarray = field(default_factory=_empty)
    answered_in_public: np.ndarray = field(default_factory=lambda: _empty(np.int64))  #: posters the firm answered
    complaints: int = 0
    resolved: int = 0
    staff_cost: float = 0.0       #: phone agents' cost today
    waiting_cost: float = 0.0     #: value of the hours callers spent on hold today

    # 5. privacy: negative evidence per unit of sensitivity, per firm (read by relationships)
    privacy_k: np.ndarray = field(default_factory=_empty)

    # 6. experience
    delivered_quality: float = np.nan

    # 7. word of mouth
    wom_total: int = 0
    wom_positive: int = 0
    public_posts: int = 0
    public_complaints: int = 0
    warned: int = 0
    reshares: int = 0                  #: public posts reshared today (cascades, sim/rules/cascades.py)
    cascades: object = None            #: sim.rules.cascades.CascadeDay of today's posts

    # 8. relationships: sums over active consumers (sim.rules.relationships.SUMMED)
    sums: np.ndarray = field(default_factory=_empty)

    # 9. churn, 10. acquisition
    churned: int = 0
    acquired: int = 0

    # money and messages, written by several phases
    cost: float = 0.0
    relational_cost: float = 0.0
    revenue: float = 0.0
    firm_msgs: float = 0.0
    peer_msgs: float = 0.0
    messages: list = field(default_factory=list)   #: message batches, when the model records them
