"""The statistics pyabc compares, the seeds of a particle's runs and the identifiability warnings (no simulation)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from sim.calibration import calibration_from_toml
from sim.calibration.fit import MISSING, KpiModel, evaluation_seeds, identifiability_warnings

CSV = b"week,trust [0-1],complaints [messages]\n1,0.5,10\n2,,20\n3,0.7,30\n4,0.8,\n"
TEXT = """
base = "default_bank"
consumers = 500
observed = "kpis.csv"
customers = 450
replications = 2
seed = 9
summary = "{summary}"
[[parameters]]
path = "satisfaction.loss_weight"
low = 1.0
high = 3.0
[[parameters]]
path = "churn.max_rate_per_year"
low = 0.1
high = 2.0
"""


def _cal(summary: str = "levels"):
    return calibration_from_toml(TEXT.format(summary=summary), "t", observed_csv=CSV)


def test_levels_are_each_kpis_mean_over_the_observed_periods():
    m = KpiModel(_cal())
    assert m.observed_statistics() == pytest.approx({"trust": (0.5 + 0.7 + 0.8) / 3, "complaints": 20.0})
    sim = pd.DataFrame({"trust": [0.1, 0.9, 0.2, 0.3], "complaints": [1.0, 2.0, 3.0, 99.0]}, index=[1, 2, 3, 4])
    # the simulated value of a period the firm did not observe is left out too
    assert m.statistics(sim) == pytest.approx({"trust": 0.2, "complaints": 2.0})


def test_series_are_every_observed_period_and_a_missing_simulated_value_is_never_accepted():
    m = KpiModel(_cal("series"))
    assert m.observed_statistics() == pytest.approx({"trust@1": 0.5, "trust@3": 0.7, "trust@4": 0.8,
                                                     "complaints@1": 10.0, "complaints@2": 20.0,
                                                     "complaints@3": 30.0})
    sim = pd.DataFrame({"trust": [np.nan, 0.0, 0.1, 0.2], "complaints": [1.0, 2.0, 3.0, 4.0]}, index=[1, 2, 3, 4])
    assert m.statistics(sim)["trust@1"] == MISSING
    assert KpiModel(_cal()).statistics(sim)["trust"] == MISSING


def test_a_particles_seeds_derive_from_the_files_seed_and_its_values():
    cal = _cal()
    a = evaluation_seeds(cal, {"satisfaction.loss_weight": 2.0, "churn.max_rate_per_year": 1.0})
    assert len(a) == 2 and a[0] != a[1]
    assert a == evaluation_seeds(cal, {"churn.max_rate_per_year": 1.0, "satisfaction.loss_weight": 2.0})
    assert a != evaluation_seeds(cal, {"satisfaction.loss_weight": 2.0, "churn.max_rate_per_year": 1.0 + 1e-12})
    other = dataclasses.replace(cal, seed=10)
    assert a != evaluation_seeds(other, {"satisfaction.loss_weight": 2.0, "churn.max_rate_per_year": 1.0})


def test_warnings_name_pairs_that_move_together_and_parameters_the_kpis_barely_inform():
    post = pd.DataFrame([{"parameter": "a", "interval_share": 0.8}, {"parameter": "b", "interval_share": 0.2},
                         {"parameter": "c", "interval_share": 0.3}])
    corr = pd.DataFrame([[1.0, -0.85, 0.1], [-0.85, 1.0, 0.2], [0.1, 0.2, 1.0]], index=list("abc"),
                        columns=list("abc"))
    w = identifiability_warnings(post, corr)
    assert len(w) == 2
    assert "a and b are hard to tell apart" in w[0] and "-0.85" in w[0]
    assert "a is barely informed" in w[1] and "80%" in w[1]
    assert not identifiability_warnings(post.assign(interval_share=0.1), corr.where(corr > 0.5, 0.0))
