"""Designs: sizes from their definitions, Latin hypercube strata, Morris one-at-a-time steps."""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiments.designs import build_design, latin_hypercube, morris, sobol
from sim.experiments.runs import plan_runs, summarize
from sim.experiments.spec import Factor, experiment_from_toml
from sim.seeds import derive_seed

from .helpers import TINY_BASE, fake_table


def _exp(body: str):
    return experiment_from_toml(TINY_BASE.format(ticks=20) + body, "t.toml")


def test_full_factorial_crosses_every_level_in_file_order():
    exp = _exp("""
        [[parameters]]
        path = "exchange.complex"
        values = [0.1, 0.3, 0.5]
        [[parameters]]
        path = "population.consumers"
        range = [100, 300]
        steps = 3
        """)
    d = build_design(exp)
    assert d.unit is None
    assert d.points.shape[0] == 9
    assert d.points.iloc[0].to_dict() == {
        "point": 0,
        "exchange.complex": 0.1,
        "population.consumers": 100,
    }
    assert d.points["population.consumers"].tolist()[:3] == [100, 200, 300]
    assert str(d.points["population.consumers"].dtype) == "int64"


def test_latin_hypercube_puts_one_point_in_each_of_n_strata_per_dimension():
    # The defining property (McKay et al. 1979): each of the n equal-width bins
    # of every coordinate holds exactly one sample.
    u = latin_hypercube(3, 8, seed=5)
    for j in range(3):
        assert sorted(np.floor(u[:, j] * 8).astype(int)) == list(range(8))
    assert np.array_equal(u, latin_hypercube(3, 8, seed=5))
    assert not np.array_equal(u, latin_hypercube(3, 8, seed=6))


def test_sobol_and_morris_sizes_follow_saltelli_and_morris():
    assert sobol(3, 16, seed=1).shape == (16 * (3 + 2), 3)
    assert sobol(3, 16, seed=1, second_order=True).shape == (16 * (2 * 3 + 2), 3)
    m = morris(4, 5, seed=1, levels=4)
    assert m.shape == (5 * (4 + 1), 4)
    # within a trajectory consecutive points differ in exactly one coordinate
    for t in range(5):
        traj = m[t * 5 : (t + 1) * 5]
        changed = (np.abs(np.diff(traj, axis=0)) > 1e-12).sum(axis=1)
        assert changed.tolist() == [1, 1, 1, 1]


def test_unit_coordinates_map_to_values_linearly_or_by_equal_bins():
    f = Factor("exchange.complex", "float", range=(0.2, 0.6))
    assert [f.from_unit(u) for u in (0.0, 0.5, 1.0)] == [0.2, 0.4, 0.6]
    i = Factor("population.consumers", "int", range=(10, 12))  # 3 bins of width 1/3
    assert [i.from_unit(u) for u in (0.0, 0.34, 0.99, 1.0)] == [10, 11, 12, 12]
    c = Factor("network.kind", "str", values=("a", "b"))
    assert [c.from_unit(u) for u in (0.0, 0.49, 0.5, 1.0)] == ["a", "a", "b", "b"]


def test_sampled_designs_apply_the_unit_matrix_to_the_parameters():
    exp = _exp("""
        [design]
        kind = "latin_hypercube"
        samples = 6
        seed = 3
        [[parameters]]
        path = "exchange.complex"
        range = [0.0, 0.5]
        """)
    d = build_design(exp)
    assert np.allclose(d.points["exchange.complex"], 0.5 * d.unit[:, 0])


def test_replication_seeds_are_derived_from_root_point_and_replication():
    exp = _exp("""
        [design]
        replications = 3
        seed = 42
        [[parameters]]
        path = "exchange.complex"
        values = [0.1, 0.2]
        """)
    runs = plan_runs(exp, build_design(exp))
    assert [r.seed for r in runs] == [derive_seed(42, p, r) for p in range(2) for r in range(3)]
    assert len({r.seed for r in runs}) == 6
    assert len({r.run_id for r in runs}) == 6
    crn = _exp("""
        [design]
        replications = 2
        seed = 42
        common_random_numbers = true
        [[parameters]]
        path = "exchange.complex"
        values = [0.1, 0.2]
        """)
    seeds = [r.seed for r in plan_runs(crn, build_design(crn))]
    assert seeds[:2] == seeds[2:] and seeds[0] != seeds[1]


def test_summaries_at_chosen_ticks_follow_each_outcomes_registry_rule():
    # trust is summarised by "last", delivered_quality by "mean", churn by "sum"
    # (sim.metrics.OUTCOMES). Worked by hand on four ticks:
    t = fake_table(4, {})
    t["trust"] = [0.5, 0.6, np.nan, 0.7]
    t["delivered_quality"] = [0.2, 0.4, 0.6, np.nan]
    t["churn"] = [1.0, 0.0, 2.0, 3.0]
    s = summarize(t, ["trust", "delivered_quality", "churn"], [1, 3, 4, 9])
    assert s["tick"].tolist() == [1, 3, 4]  # tick 9 is beyond the run
    assert s["trust"].tolist() == [0.5, 0.6, 0.7]  # last recorded value
    assert s["delivered_quality"].tolist() == pytest.approx([0.2, 0.4, 0.4])
    assert s["churn"].tolist() == [1.0, 3.0, 6.0]
    assert np.isnan(summarize(t, ["acquired"], [4])["acquired"].iloc[0])
