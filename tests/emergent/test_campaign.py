"""Campaign experiments: a random treated group against an untreated control, with a 95% CI.

Claim (seed 001: firms measure their campaigns empirically): the in-silico
experiment recovers an effect when there is one, and its confidence interval
covers zero when the campaign does nothing.
"""

from sim import simulate
from tests.emergent.helpers import small


def _effect(seed=4, **overrides):
    sc = small(3000, 120, campaign__enabled=True, campaign__start_tick=30,
               campaign__duration_ticks=90, **overrides)
    return simulate(sc, seed=seed).campaign


def test_extra_advisor_meetings_raise_trust_with_a_confidence_interval_above_zero():
    eff = _effect(campaign__extra_advisor_visits_per_year=12.0)
    trust = eff["trust"]
    assert trust["ci_low"] > 0
    assert trust["ci_low"] < trust["effect"] < trust["ci_high"]
    assert eff["treated"] + eff["control"] == 3000


def test_a_campaign_that_does_nothing_has_an_interval_covering_zero():
    # A 95% interval misses a true zero one time in twenty: over eight seeds it must cover zero at least
    # six times for each outcome (three or more misses in eight have probability 0.6% at 95% coverage).
    effects = [_effect(seed, campaign__extra_advisor_visits_per_year=0.0, campaign__quality_boost=0.0)
               for seed in range(1, 9)]
    for outcome in ("trust", "satisfaction"):
        covered = sum(e[outcome]["ci_low"] < 0 < e[outcome]["ci_high"] for e in effects)
        assert covered >= 6, outcome
