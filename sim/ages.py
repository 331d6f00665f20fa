"""Bagozzi's (1975) three exchange ages and the age mix over time."""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from sim.scenario.schema import ExchangeParams

__all__ = ["AgeMix", "ExchangeAge"]


class ExchangeAge(IntEnum):
    """Who may send what to whom, and by which route.

    RESTRICTED: dyadic, firm <-> consumer, one message for the whole public.
    GENERALIZED: univocal chains consumer -> intermediary -> firm -> consumer.
    COMPLEX: many-to-many and public; peers, audiences and the firm all talk.
    """

    RESTRICTED = 0
    GENERALIZED = 1
    COMPLEX = 2


class AgeMix:
    """The share of interactions under each age at a given tick.

    Reads the mix's one declaration, its schedule points (a constant mix is a
    single point): shares are interpolated linearly between points and held
    constant before the first and after the last.
    """

    def __init__(self, params: ExchangeParams):
        points = params.points()
        self.ticks = np.array([p.tick for p in points], dtype=float)
        self.shares = np.array([[p.restricted, p.generalized, p.complex] for p in points],
                               dtype=float)

    def at(self, tick: int) -> np.ndarray:
        """Shares (restricted, generalized, complex) at ``tick``, summing to one."""
        mix = np.array([np.interp(tick, self.ticks, self.shares[:, k]) for k in range(3)])
        return mix / mix.sum()
