"""A market in which nothing is scheduled to change holds still after the warm-up.

Pattern (a property the model must have, not a claim of the sources): over
years one to three after the warm-up (sim/warmup.py), the yearly means of
trust, satisfaction and each expectation level move by less than 0.03 and the
customer base by less than 10%; the predicted level sits within 0.02 of the
quality delivered and the entitled level at or below it. Knock-out: without
the warm-up (the scenario's initial values) the same markets drift.
"""

import numpy as np
import pytest

from sim import load_scenario, simulate
from sim.scenario import with_overrides

PRESETS = ("default_bank", "restricted_mutual_insurer", "complex_age")
LEVELS = ("trust", "satisfaction", "expectation_quality", "expectation_adequate", "expectation_desired")


def _years(preset, **overrides):
    sc = with_overrides(load_scenario(preset), {"population.consumers": 4000, **overrides})
    table = simulate(sc, seed=2, ticks=3 * 365).table
    return table, [table.iloc[k * 365:(k + 1) * 365] for k in range(3)]


def _moves(years, column):
    means = [y[column].mean() for y in years]
    return max(means) - min(means)


@pytest.mark.slow
@pytest.mark.parametrize("preset", PRESETS)
def test_a_market_where_nothing_changes_holds_still(preset):
    table, years = _years(preset)
    for column in LEVELS:
        assert _moves(years, column) < 0.03, column
    customers = [y["customers"].mean() for y in years]
    assert (max(customers) - min(customers)) / np.mean(customers) < 0.10
    later = table.iloc[365:]
    assert abs((later["expectation_quality"] - later["delivered_quality"]).mean()) < 0.02
    assert (later["expectation_adequate"] <= later["expectation_quality"] + 1e-9).all()


@pytest.mark.slow
def test_without_the_warm_up_the_same_market_drifts():
    _, years = _years("default_bank", **{"run.warmup_days": 0})
    assert max(_moves(years, column) for column in LEVELS) > 0.03
