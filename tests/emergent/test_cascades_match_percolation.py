"""The model's public posts, configured as bond percolation, have the cascade sizes of percolation theory.

Oracle: bond percolation on an Erdos-Renyi graph (Newman 2002; Callaway et al.
2000), sim/validation/percolation.py: below the threshold T z = 1 the mean
cascade size is 1 / (1 - T z); above it a share S = 1 - exp(-T z S) of the
posts goes giant and the others average 1 / (1 - T z (1 - S)); all three
conditioned on an author with at least one tie (the model posts nothing from
a consumer without ties).

The whole model runs, configured by the theory case
(sim/validation/cases.py: ``percolation_scenario``, quick size): an
Erdos-Renyi graph of mean degree 5, one reshare probability T for every
consumer (no spread of the share propensity), every tie sees a post, no firm
answers in public, no blogger, authors drawn uniformly. Each run draws its own
graph; the tolerance is the 99% t interval of the per-run differences from the
prediction, computed here. The check can fail: the same runs reject the
prediction for a reshare probability a sixth lower or higher than the one set.
"""

from sim.validation.cases import (
    PERCOLATION_ABOVE,
    PERCOLATION_BELOW,
    PERCOLATION_MEAN_DEGREE,
    percolation_check,
    percolation_replications,
)

Z = PERCOLATION_MEAN_DEGREE


def _accepts(samples, T, measure):
    target, measured, half = percolation_check(samples, T, measure)
    return abs(measured - target) <= half, (target, measured, half)


def test_below_the_threshold_cascades_average_one_over_one_minus_tz():
    samples = percolation_replications(PERCOLATION_BELOW, quick=True)
    assert all(s.truncated == 0 and s.giant == 0 for s in samples)
    assert sum(s.posts for s in samples) > 10_000
    ok, detail = _accepts(samples, PERCOLATION_BELOW / Z, "mean_size")
    assert ok, detail
    # power: the same runs reject the prediction for T z = 0.7 instead of 0.6
    ok, detail = _accepts(samples, 0.7 / Z, "mean_size")
    assert not ok, detail


def test_a_higher_reshare_probability_is_told_apart():
    """Runs at T z = 0.7 match their own prediction and reject the one for T z = 0.6."""
    samples = percolation_replications(0.7, quick=True)
    ok, detail = _accepts(samples, 0.7 / Z, "mean_size")
    assert ok, detail
    ok, detail = _accepts(samples, PERCOLATION_BELOW / Z, "mean_size")
    assert not ok, detail


def test_above_the_threshold_a_share_s_of_posts_goes_giant():
    samples = percolation_replications(PERCOLATION_ABOVE, quick=True)
    assert all(s.truncated == 0 for s in samples)
    T = PERCOLATION_ABOVE / Z
    ok, detail = _accepts(samples, T, "giant_share")
    assert ok, detail
    ok, detail = _accepts(samples, T, "small_mean_size")
    assert ok, detail
    # power: a sixth lower or higher T z (S = 0.68 or 0.87) is rejected
    for tz in (PERCOLATION_ABOVE * 5 / 6, PERCOLATION_ABOVE * 7 / 6):
        ok, detail = _accepts(samples, tz / Z, "giant_share")
        assert not ok, (tz, detail)
