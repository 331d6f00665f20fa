"""Acquisition on a complete graph, configured as the Bass model, follows the Bass curve.

Oracle: Bass (1969), F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}), the
closed form of dF/dt = (p + qF)(1 - F). The agent rule (sim/rules/acquisition.py)
is the per-day hazard p + q * (customer ties / ties) once valence and offers
play no part, every consumer starts as a prospect and nobody churns; on a
complete graph the customer share of ties is the population's (minus oneself).
Other word-of-mouth is switched off. The configuration is the theory case's
(sim/validation/cases.py: ``bass_scenario``), run here in its quick size.

The model steps in whole days: its expected path is the discrete Bass
recursion F(t+1) = F(t) + (p + q F(t)) (1 - F(t)) (Bass 1969 estimated the
model in this discrete form), which runs ahead of the continuous curve while
growth accelerates (an Euler step of a convex curve), by at most about 0.01
here. The mean of four runs of 2,000 consumers must stay within 0.035 of both
(the take-off's timing varies from run to run: with 1,000 consumers and three
runs the mean strays up to 0.045).
"""

import numpy as np

from sim.validation.cases import BASS_P, BASS_Q, BASS_TICKS, BASS_TOLERANCE, bass_curve, bass_discrete, bass_scenario
from tests.emergent.helpers import run


def test_acquisition_on_a_complete_graph_follows_the_bass_curve():
    sc = bass_scenario(BASS_TICKS, BASS_P, BASS_Q)
    curves = [run(sc, seed)[0]["customer_share"].to_numpy() for seed in (1, 2, 3, 4)]
    simulated = np.mean(curves, axis=0)
    assert np.max(np.abs(simulated - bass_discrete(BASS_TICKS, BASS_P, BASS_Q))) < BASS_TOLERANCE
    assert np.max(np.abs(simulated - bass_curve(np.arange(1, BASS_TICKS + 1), BASS_P, BASS_Q))) < BASS_TOLERANCE
    # Sanity: the curve really is S-shaped (takes off, then saturates).
    assert simulated[20] < 0.15 and simulated[-1] > 0.98


def test_without_imitation_acquisition_is_slower_than_bass():
    only_p = run(bass_scenario(100, BASS_P, 0.0), 1)[0]["customer_share"].iloc[-1]
    assert abs(only_p - (1 - (1 - BASS_P) ** 100)) < 0.05
    assert only_p < bass_curve(100, BASS_P, BASS_Q) - 0.3
