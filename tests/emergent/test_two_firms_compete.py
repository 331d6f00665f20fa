"""In an open market the firm that serves worse loses customers to the one that serves better.

Claim (seed 000; Jones & Sasser 1995): customers who are served badly leave,
and switch to the competitor with the better reputation, while prospects
choose by reputation and word-of-mouth (sim/rules/acquisition.py). Nothing in
the rules names a winner: each firm's share follows from its customers'
experience. The preset ``two_banks_compete`` starts both banks at half the
customers; over five seeds the change of the worse bank's share has a 95% t
interval below zero. Knock-out: with equal quality the interval covers zero.
"""

import numpy as np
import pytest

from sim import load_scenario, simulate
from sim.analysis import t_interval
from sim.scenario import with_overrides


def _share(model, firm):
    f = np.asarray(model.state.firm)
    return (f == firm).sum() / max((f >= 0).sum(), 1)


def _share_change(seed, **overrides):
    """The Challenger's share of the customers at the end minus at day 0 (after the warm-up)."""
    sc = with_overrides(load_scenario("two_banks_compete"), {"population.consumers": 4000, **overrides})
    box = {}
    simulate(sc, seed=seed, ticks=365, model_hook=lambda m: box.update(m=m, start=_share(m, 1)))
    return _share(box["m"], 1) - box["start"]


@pytest.mark.slow
def test_the_worse_bank_loses_share():
    changes = [_share_change(s) for s in range(1, 6)]
    mean, half, _ = t_interval(changes)
    assert mean + half < 0, changes


@pytest.mark.slow
def test_with_equal_service_neither_bank_wins():
    changes = [_share_change(s, **{"firms[1].quality": 0.74}) for s in range(1, 6)]
    mean, half, _ = t_interval(changes)
    assert mean - half < 0 < mean + half, changes
