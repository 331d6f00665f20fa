"""Rising delivered quality raises expectations, so satisfaction rises less than quality does.

Claim (seed 003, "the curse of satisfaction"; Rust & Oliver 2000): better
service raises what customers expect, so satisfaction gains are eaten by
expectation inflation. Nothing in the rules says "satisfaction rises less":
expectations adapt toward experience (Boulding et al. 1993) and satisfaction
is disconfirmation against them (Oliver 1980). Gains are measured against the
same world with flat quality (same seed), over the last 30 days of a year.

Knock-out: with fixed norms (``expectations.enabled = false``) nothing
inflates and satisfaction rises more than quality (about 1.25 times as much,
against about 0.6 with adapting norms).
"""

from tests.emergent.helpers import SEEDS, run, small


def _late(table, column):
    return float(table[column].iloc[-30:].mean())


def _gains(seed, **switch):
    """Rising-quality world minus flat-quality world: quality, predicted level, inflation, satisfaction."""
    rising, _ = run(small(1000, 365, firms__0__quality_trend_per_year=0.2, **switch), seed)
    flat, _ = run(small(1000, 365, **switch), seed)
    return {"quality": _late(rising, "delivered_quality") - _late(flat, "delivered_quality"),
            "predicted": _late(rising, "expectation_quality") - _late(flat, "expectation_quality"),
            "inflation": rising["expectation_inflation"].iloc[-1] - flat["expectation_inflation"].iloc[-1],
            "satisfaction": _late(rising, "satisfaction") - _late(flat, "satisfaction")}


def test_rising_quality_inflates_expectations_and_damps_satisfaction_gains():
    """Norms that follow experience eat most of the satisfaction gain (knock-out below)."""
    for seed in SEEDS:
        g = _gains(seed)
        assert g["quality"] > 0.1, "the scenario must raise delivered quality"
        # Expectations rise with quality, beyond their drift under flat quality.
        assert g["predicted"] > 0.03
        assert g["inflation"] > 0
        # Satisfaction rises less than quality does (with fixed norms it rises more: see the knock-out).
        assert 0 < g["satisfaction"] < 0.75 * g["quality"], g


def test_knock_out_with_fixed_norms_satisfaction_rises_more_than_quality():
    """Knock-out: fixed norms (expectations.enabled = false)."""
    for seed in SEEDS:
        g = _gains(seed, expectations__enabled=False)
        assert g["quality"] > 0.1, "the scenario must raise delivered quality"
        assert abs(g["inflation"]) < 0.005
        assert g["satisfaction"] > g["quality"], g
