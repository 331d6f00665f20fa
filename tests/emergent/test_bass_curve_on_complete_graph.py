"""Word-of-mouth adoption on a complete graph follows the Bass curve.

Oracle: Bass (1969), F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}), the
closed form of dF/dt = (p + qF)(1 - F). The agent rule is the per-day hazard
p + q * (adopted ties / ties); on a complete graph the adopted share of ties is
the population's (minus oneself). Only external (p) and imitation (q)
influence act: other word-of-mouth is switched off.

Tolerance: the model steps in whole days, so it lags the continuous curve by
at most about half a day of growth; with p = 0.003 and q = 0.04 per day the
worst gap of the mean over three runs of 1,000 consumers is about 0.02.
We allow 0.035.
"""

import numpy as np

from tests.emergent.helpers import run, small

P, Q = 0.003, 0.04
TICKS = 250


def bass(t, p, q):
    e = np.exp(-(p + q) * t)
    return (1 - e) / (1 + (q / p) * e)


def test_adoption_on_a_complete_graph_follows_the_bass_curve():
    sc = small(consumers=1000, ticks=TICKS, network__kind="complete", wom__enabled=False,
               wom__adoption_p=P, wom__adoption_q=Q)
    curves = [run(sc, seed)[0]["adoption"].to_numpy() for seed in (1, 2, 3)]
    simulated = np.mean(curves, axis=0)
    expected = bass(np.arange(1, TICKS + 1), P, Q)
    assert np.max(np.abs(simulated - expected)) < 0.035
    # Sanity: the curve really is S-shaped (takes off, then saturates).
    assert simulated[20] < 0.15 and simulated[-1] > 0.98


def test_without_imitation_adoption_is_slower_than_bass():
    sc = small(consumers=1000, ticks=100, network__kind="complete", wom__enabled=False,
               wom__adoption_p=P, wom__adoption_q=0.0)
    only_p = run(sc, 1)[0]["adoption"].iloc[-1]
    assert abs(only_p - (1 - (1 - P) ** 100)) < 0.05
    assert only_p < bass(100, P, Q) - 0.3
