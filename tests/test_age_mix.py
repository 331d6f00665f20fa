"""The exchange-age mix is declared once: three shares (a constant mix) or a schedule.

Expected numbers are computed by hand from the points written in the files
(linear interpolation between schedule points), never by the code under test.
"""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest

from sim import load_scenario, simulate
from sim.ages import AgeMix
from sim.experiments import build_design, execute_run, experiment_from_toml, plan_runs
from sim.experiments.runs import RunJob
from sim.scenario import (
    ScenarioError,
    get_path,
    scenario_from_toml,
    scenario_to_dict,
    to_toml,
    with_overrides,
)

TRANSITION = "transition_to_complex_age"


def _mix(sc) -> tuple[float, float, float]:
    return (sc.exchange.restricted, sc.exchange.generalized, sc.exchange.complex)


def _table(sc, seed: int = 1, ticks: int = 30):
    return simulate(sc, seed=seed, ticks=ticks).table.drop(columns="scenario")


@pytest.fixture(scope="module")
def transition():
    return with_overrides(load_scenario(TRANSITION), {"population.consumers": 800})


# %% The preset's numbers are unchanged -------------------------------------------------------


@pytest.mark.parametrize(
    ("tick", "expected"),
    [
        # the file: (0: 0.7/0.3/0), (365: 0.7/0.3/0), (730: 0.15/0.15/0.7)
        (0, (0.7, 0.3, 0.0)),
        (200, (0.7, 0.3, 0.0)),
        (365, (0.7, 0.3, 0.0)),
        (438, (0.59, 0.27, 0.14)),  # 73/365 = 0.2 of the way: 0.7 - 0.2 * 0.55, ...
        (657, (0.26, 0.18, 0.56)),  # 0.8 of the way: 0.7 - 0.8 * 0.55, 0.3 - 0.8 * 0.15, 0.8 * 0.7
        (730, (0.15, 0.15, 0.7)),
        (2000, (0.15, 0.15, 0.7)),  # held after the last point
    ],
)
def test_transition_schedule_gives_the_interpolated_mix(tick, expected):
    mix = AgeMix(load_scenario(TRANSITION).exchange).at(tick)
    assert np.allclose(mix, expected, atol=1e-12)


def test_a_constant_mix_is_a_one_point_schedule():
    sc = scenario_from_toml("[exchange]\nrestricted = 0.5\ngeneralized = 0.2\ncomplex = 0.3\n")
    points = sc.exchange.points()
    assert [(p.tick, p.restricted, p.generalized, p.complex) for p in points] == [
        (0, 0.5, 0.2, 0.3)
    ]
    for tick in (0, 1, 365, 10_000):
        assert np.allclose(AgeMix(sc.exchange).at(tick), (0.5, 0.2, 0.3), atol=1e-12)


def test_with_a_schedule_the_shares_read_its_last_point():
    sc = load_scenario(TRANSITION)
    assert _mix(sc) == (0.15, 0.15, 0.7)
    assert get_path(sc, "exchange.complex") == 0.7
    assert len(sc.exchange.schedule) == 3


# %% One declaration in files -----------------------------------------------------------------


def test_a_file_with_both_shares_and_a_schedule_is_refused_in_one_line():
    text = (
        "[exchange]\ncomplex = 0.2\nrestricted = 0.8\n\n"
        "[[exchange.schedule]]\ntick = 0\n\n"
        "[[exchange.schedule]]\ntick = 10\nrestricted = 0.5\ncomplex = 0.5\n"
    )
    with pytest.raises(ScenarioError) as info:
        scenario_from_toml(text)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith("exchange: expected either the three shares")
    assert "restricted, complex and 2 schedule points" in msg


def test_a_scheduled_scenario_round_trips_through_toml_and_dicts():
    sc = load_scenario(TRANSITION)
    text = to_toml(sc)
    assert "complex" not in tomllib.loads(text)["exchange"]
    assert scenario_from_toml(text) == sc
    assert "complex" not in scenario_to_dict(sc)["exchange"]
    kept = with_overrides(sc, {"firms[0].quality": 0.6})
    assert kept.exchange.schedule == sc.exchange.schedule


# %% Overrides ------------------------------------------------------------------------------


def test_sweeping_complex_on_the_transition_preset_changes_the_run(transition):
    # The one-liner that printed True while the schedule silently won.
    what_if = with_overrides(transition, {"exchange.complex": 1.0})
    assert not _table(transition).equals(_table(what_if))


def test_a_single_share_replaces_the_schedule_by_a_constant_mix(transition):
    sc = with_overrides(transition, {"exchange.complex": 0.4})
    assert sc.exchange.schedule == []
    # the schedule ends at 0.15/0.15/0.7: the other two keep their 1:1 proportion of 0.6
    assert np.allclose(_mix(sc), (0.3, 0.3, 0.4), atol=1e-12)
    assert np.allclose(AgeMix(sc.exchange).at(0), (0.3, 0.3, 0.4), atol=1e-12)
    assert np.allclose(AgeMix(sc.exchange).at(700), (0.3, 0.3, 0.4), atol=1e-12)


def test_a_single_share_keeps_the_proportions_of_the_schedule_end():
    text = (
        "[[exchange.schedule]]\ntick = 0\n\n"
        "[[exchange.schedule]]\ntick = 50\nrestricted = 0.6\ngeneralized = 0.2\ncomplex = 0.2\n"
    )
    sc = with_overrides(scenario_from_toml(text), {"exchange.complex": 0.5})
    # 0.6 : 0.2 = 3 : 1 of the remaining 0.5
    assert np.allclose(_mix(sc), (0.375, 0.125, 0.5), atol=1e-12)
    assert sc.exchange.schedule == []


def test_a_single_share_on_a_constant_mix_rescales_the_others():
    base = scenario_from_toml("[exchange]\nrestricted = 0.7\ngeneralized = 0.2\ncomplex = 0.1\n")
    sc = with_overrides(base, {"exchange.complex": 0.5})
    # 0.7 : 0.2 of the remaining 0.5
    assert np.allclose(_mix(sc), (0.5 * 7 / 9, 0.5 * 2 / 9, 0.5), atol=1e-12)


def test_the_order_of_the_overrides_does_not_matter(transition):
    for base in (load_scenario("default_bank"), transition):
        a = with_overrides(base, {"exchange.complex": 0.5, "exchange.generalized": 0.3})
        b = with_overrides(base, {"exchange.generalized": 0.3, "exchange.complex": 0.5})
        assert a == b
        assert np.allclose(_mix(a), (0.2, 0.3, 0.5), atol=1e-12)
        assert a.exchange.schedule == []
    base = load_scenario("default_bank")
    a = with_overrides(base, {"firms[*].quality": 0.5, "firms[0].quality": 0.9})
    b = with_overrides(base, {"firms[0].quality": 0.9, "firms[*].quality": 0.5})
    assert a == b and a.firms[0].quality == 0.9


def test_three_shares_that_do_not_sum_to_one_are_refused():
    with pytest.raises(ScenarioError) as info:
        with_overrides(
            load_scenario("default_bank"),
            {"exchange.complex": 0.5, "exchange.generalized": 0.3, "exchange.restricted": 0.1},
        )
    (path, expected, given), = info.value.problems
    assert path == "exchange.restricted + exchange.generalized + exchange.complex"
    assert expected == "shares summing to 1"
    assert given == "0.1 + 0.3 + 0.5 = 0.9"


def test_three_shares_summing_to_one_are_taken_as_given(transition):
    sc = with_overrides(
        transition,
        {"exchange.restricted": 0.25, "exchange.generalized": 0.25, "exchange.complex": 0.5},
    )
    assert _mix(sc) == (0.25, 0.25, 0.5)
    assert sc.exchange.schedule == []


def test_two_shares_above_one_are_refused():
    with pytest.raises(ScenarioError) as info:
        with_overrides(
            load_scenario("default_bank"), {"exchange.complex": 0.7, "exchange.generalized": 0.6}
        )
    (path, expected, given), = info.value.problems
    assert path == "exchange.generalized + exchange.complex"
    assert "at most 1" in expected and "exchange.restricted" in expected
    assert given == "0.6 + 0.7 = 1.3"


def test_shares_and_the_schedule_set_together_are_refused(transition):
    with pytest.raises(ScenarioError) as info:
        with_overrides(
            transition, {"exchange.complex": 0.5, "exchange.schedule[1].complex": 0.1}
        )
    assert info.value.problems[0][0] == "exchange"


def test_a_schedule_point_share_keeps_the_schedule(transition):
    sc = with_overrides(transition, {"exchange.schedule[2].complex": 0.5})
    assert len(sc.exchange.schedule) == 3
    last = sc.exchange.schedule[2]
    # 0.15 : 0.15 of the remaining 0.5
    assert math.isclose(last.complex, 0.5) and math.isclose(last.restricted, 0.25)
    assert math.isclose(last.generalized, 0.25)


# %% Experiments and the dashboard go through the same rule ---------------------------------


def test_an_experiment_sweeping_complex_on_the_transition_preset_varies_the_runs():
    exp = experiment_from_toml(
        f"""
name = "transition_complex"
[base]
scenario = "{TRANSITION}"
ticks = 20
set = {{ "population.consumers" = 300 }}
[design]
kind = "full_factorial"
replications = 1
seed = 3
common_random_numbers = true
[[parameters]]
path = "exchange.complex"
values = [0.0, 1.0]
[outcomes]
names = ["trust", "wom_volume"]
keep = "series"
"""
    )
    runs = plan_runs(exp, build_design(exp))
    job = RunJob.of(exp)
    low, high = (execute_run(r, job) for r in runs)
    assert runs[0].seed == runs[1].seed
    assert not low[["trust", "wom_volume"]].equals(high[["trust", "wom_volume"]])


def test_the_dashboard_mix_lever_replaces_the_schedule(transition):
    from dashboard.runs import apply_levers

    sc = apply_levers(transition, {}, (0.0, 0.0, 1.0))
    assert sc.exchange.schedule == [] and _mix(sc) == (0.0, 0.0, 1.0)
    assert not _table(transition).equals(_table(sc))
    same = apply_levers(load_scenario("default_bank"), {}, (0.7, 0.2, 0.5))
    assert math.isclose(same.exchange.complex, 0.5 / 1.4)
