"""Rising delivered quality raises expectations, so satisfaction rises less than quality does.

Claim (seed 003, "the curse of satisfaction"; Rust & Oliver 2000): better
service raises what customers expect, so satisfaction gains are eaten by
expectation inflation. Nothing in the rules says "satisfaction rises less":
expectations adapt toward experience (Boulding et al. 1993) and satisfaction
is disconfirmation against them (Oliver 1980). Gains are measured against the
same world with flat quality (same seed), over the last 30 days of a year;
the counterfactual is the same pair of worlds with fixed norms
(``expectations.enabled = false``).
"""

from tests.emergent.helpers import SEEDS, run, small


def _late(table, column):
    return float(table[column].iloc[-30:].mean())


def test_rising_quality_inflates_expectations_and_damps_satisfaction_gains():
    for seed in SEEDS:
        rising, _ = run(small(ticks=365, firms__0__quality_trend_per_year=0.2), seed)
        flat, _ = run(small(ticks=365), seed)
        rising_fixed, _ = run(small(ticks=365, firms__0__quality_trend_per_year=0.2,
                                    expectations__enabled=False), seed)
        flat_fixed, _ = run(small(ticks=365, expectations__enabled=False), seed)

        quality_gain = _late(rising, "delivered_quality") - _late(flat, "delivered_quality")
        assert quality_gain > 0.1, "the scenario must raise delivered quality"
        # Expectations rise with quality, beyond their drift under flat quality.
        assert _late(rising, "expectation_quality") > _late(flat, "expectation_quality") + 0.03
        assert rising["expectation_inflation"].iloc[-1] > flat["expectation_inflation"].iloc[-1]
        # Satisfaction rises less than quality does, and much less than with fixed norms.
        sat_gain = _late(rising, "satisfaction") - _late(flat, "satisfaction")
        fixed_gain = _late(rising_fixed, "satisfaction") - _late(flat_fixed, "satisfaction")
        assert 0 < sat_gain < quality_gain
        assert sat_gain < 0.75 * fixed_gain
