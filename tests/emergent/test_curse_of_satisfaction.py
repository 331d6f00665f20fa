"""The curse of satisfaction: after a step up in quality, expectations catch up and the gain fades.

Claim (seed 003; Rust & Oliver 2000; Boulding et al. 1993): better service
raises what customers expect, so its satisfaction gain is temporary. Nothing
in the rules says so: each contact is scored against the norms, and the norms
follow experience (sim/rules/expectations.py). Here every customer's contacts
gain 0.1 of quality from day 60 on (a campaign reaching everyone), in the
default bank after its warm-up. Knock-out: with the norms fixed
(expectations off) the satisfaction gain does not fade.
"""

import pytest

from sim import load_scenario, simulate
from sim.scenario import with_overrides

STEP = 60


def _run(**overrides):
    sc = with_overrides(load_scenario("default_bank"), {
        "population.consumers": 5000, "campaign.enabled": True, "campaign.treated_share": 1.0,
        "campaign.quality_boost": 0.1, "campaign.extra_advisor_visits_per_year": 0.0,
        "campaign.start_tick": STEP, "campaign.duration_ticks": 2000, **overrides})
    return simulate(sc, seed=1, ticks=STEP + 400).table


def _at(table, column, day, width=15):
    return table[column].iloc[day - width:day + width].mean()


@pytest.mark.slow
def test_expectations_catch_up_and_the_satisfaction_gain_fades():
    t = _run()
    before = {c: t[c].iloc[STEP - 30:STEP].mean() for c in ("delivered_quality", "expectation_quality",
                                                           "expectation_adequate", "satisfaction")}
    gap = _at(t, "delivered_quality", STEP + 60) - before["delivered_quality"]
    assert 0.08 < gap < 0.12
    # predicted quality closes at least half of the gap within 90 days
    assert t["expectation_quality"].iloc[STEP + 90] - before["expectation_quality"] > 0.5 * gap
    # satisfaction rises, then its gain fades to less than half of its peak within a year
    peak = max(_at(t, "satisfaction", d) for d in range(STEP + 20, STEP + 200, 10)) - before["satisfaction"]
    assert peak > 0.03
    assert _at(t, "satisfaction", STEP + 365) - before["satisfaction"] < 0.5 * peak
    # the entitled level rises, decelerates, and stays below the quality delivered
    a = [t["expectation_adequate"].iloc[STEP + d] for d in (0, 180, 365)]
    assert a[1] - a[0] > 0.03
    assert a[2] - a[1] < 0.03 and a[2] - a[1] < 0.5 * (a[1] - a[0])
    assert a[2] < _at(t, "delivered_quality", STEP + 365)


@pytest.mark.slow
def test_with_fixed_norms_the_gain_does_not_fade():
    t = _run(**{"expectations.enabled": False})
    before = t["satisfaction"].iloc[STEP - 30:STEP].mean()
    peak = max(_at(t, "satisfaction", d) for d in range(STEP + 20, STEP + 200, 10)) - before
    assert _at(t, "satisfaction", STEP + 365) - before > 0.8 * peak
