"""The model's phone lines, configured as the textbook call centre, match the Erlang formulas.

Oracle: Erlang C (M/M/n, infinite patience) and Erlang A (M/M/n+M, Palm 1943;
Garnett, Mandelbaum & Reiman 2002), sim/validation/theory.py. The model is set
to the textbook case by the theory case's configuration
(sim/validation/cases.py: ``phone_scenario``): lines open 24 hours, requests
arriving as a Poisson process (each consumer's requests are Poisson and
spread uniformly over the day), all of them calls to a person (restricted
exchange, no automation), a fixed number of agents, exponential call times,
first come first served, exponential patience (or none), no retrials, and a
stationary market (no churn, no acquisition, no warm-up). Each day gives one
observation of the share of calls that waited and of the share that hung up;
the tolerance is a 99% batch-means confidence interval (5 batches of 8 days),
computed here.
"""

from sim.validation.cases import (
    ERLANG_AGENTS,
    ERLANG_C_PATIENCE_MIN,
    ERLANG_CALL_MIN,
    ERLANG_LOAD,
    ERLANG_PATIENCE_MIN,
    batch_ci,
    phone_scenario,
)
from sim.validation.theory import erlang_a, erlang_c
from tests.emergent.helpers import run


def test_infinite_patience_gives_erlang_c():
    table, _ = run(phone_scenario(ERLANG_C_PATIENCE_MIN, 40), 1)
    waited, half = batch_ci(table["share_waited"], 5)
    assert table["calls_abandoned"].sum() < 1e-3 * table["calls_offered"].sum()  # patience of 69 days
    target = erlang_c(ERLANG_AGENTS, ERLANG_LOAD)
    assert abs(waited - target) < half, (waited, half, target)
    assert 0.3 < waited < 0.8  # a pool of people queues well before saturation (85% load here)


def test_exponential_patience_gives_erlang_a():
    table, _ = run(phone_scenario(ERLANG_PATIENCE_MIN, 40), 1)
    theory = erlang_a(ERLANG_AGENTS, ERLANG_LOAD, 60.0 / ERLANG_CALL_MIN, 60.0 / ERLANG_PATIENCE_MIN)
    abandon, half_a = batch_ci(table["calls_abandoned"] / table["calls_offered"], 5)
    waited, half_w = batch_ci(table["share_waited"], 5)
    assert abs(abandon - theory.p_abandon) < half_a, (abandon, half_a, theory.p_abandon)
    assert abs(waited - theory.p_wait) < half_w, (waited, half_w, theory.p_wait)
