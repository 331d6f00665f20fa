"""The model's phone lines, configured as the textbook call centre, match the Erlang formulas.

Oracle: Erlang C (M/M/n, infinite patience) and Erlang A (M/M/n+M, Palm 1943;
Garnett, Mandelbaum & Reiman 2002), sim/validation/theory.py. The model is set
to the textbook case: lines open 24 hours, requests arriving as a Poisson
process (each consumer's requests are Poisson and spread uniformly over the
day), all of them calls to a person (restricted exchange, no automation), a
fixed number of agents, exponential call times, first come first served,
exponential patience (or none), no retrials, and a stationary market (no
churn, no acquisition, no warm-up). Each day gives one observation of the
share of calls that waited and of the share that hung up; the tolerance is a
99% batch-means confidence interval (5 batches of 8 days), computed here.
"""

import numpy as np
from scipy import stats

from sim.validation.theory import erlang_a, erlang_c
from tests.emergent.helpers import run, small

AGENTS, CALL_MIN = 10, 6.0
CONSUMERS = 20_000
LOAD = 8.5  # Erlangs: 85 calls an hour of 6 minutes on 10 agents


def _phone(patience_min):
    calls_per_day = LOAD / (CALL_MIN / 60.0) * 24.0
    per_month = calls_per_day / CONSUMERS * 365.0 / 12.0
    return small(CONSUMERS, 40, run__warmup_days=0, population__prospect_share=0.0,
                 acquisition__enabled=False, exchange__restricted=1.0, exchange__generalized=0.0,
                 exchange__complex=0.0, firms__0__automation_share=0.0, firms__0__phone_agents=AGENTS,
                 channels__phone_open_h=0.0, channels__phone_close_h=24.0, channels__phone_service_min=CALL_MIN,
                 channels__phone_service_distribution="exponential", channels__retrial_share=0.0,
                 segments__0__requests_per_month=per_month, segments__0__phone_patience_min=patience_min,
                 segments__0__statements_per_month=0.0, segments__0__app_checks_per_month=0.0,
                 segments__0__atm_uses_per_month=0.0, segments__0__advisor_visits_per_year=0.0)


def _batch_ci(daily, batches=5):
    means = np.array([b.mean() for b in np.array_split(np.asarray(daily), batches)])
    half = stats.t.ppf(0.995, batches - 1) * means.std(ddof=1) / np.sqrt(batches)
    return means.mean(), half


def test_infinite_patience_gives_erlang_c():
    table, _ = run(_phone(1e5), 1)
    waited, half = _batch_ci(table["share_waited"])
    assert table["calls_abandoned"].sum() < 1e-3 * table["calls_offered"].sum()  # patience of 69 days
    assert abs(waited - erlang_c(AGENTS, LOAD)) < half, (waited, half, erlang_c(AGENTS, LOAD))
    assert 0.3 < waited < 0.8  # a pool of people queues well before saturation (85% load here)


def test_exponential_patience_gives_erlang_a():
    patience_min = 3.0
    table, _ = run(_phone(patience_min), 1)
    theory = erlang_a(AGENTS, LOAD, 60.0 / CALL_MIN, 60.0 / patience_min)
    abandon, half_a = _batch_ci(table["calls_abandoned"] / table["calls_offered"])
    waited, half_w = _batch_ci(table["share_waited"])
    assert abs(abandon - theory.p_abandon) < half_a, (abandon, half_a, theory.p_abandon)
    assert abs(waited - theory.p_wait) < half_w, (waited, half_w, theory.p_wait)
