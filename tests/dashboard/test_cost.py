"""Predicted run time, replications chosen by cost, and the limits of the served app."""

import pytest

from dashboard import cost
from sim import load_scenario
from sim.scenario import with_overrides


@pytest.fixture(autouse=True)
def _no_server_correction(monkeypatch):
    monkeypatch.setattr(cost, "_RATIOS", cost.deque(maxlen=20))


def test_cheap_runs_get_more_replications():
    reps = [cost.auto_replications(s) for s in (0.1, 1.9, 2.1, 9.0, 11.0, 29.0, 31.0, 300.0)]
    assert reps[0] == reps[1] == 5  # under 2 s
    assert reps == sorted(reps, reverse=True) and reps[-1] == 1


def test_prediction_grows_with_population_and_days():
    sc = load_scenario("default_bank")
    small = cost.predict_run_s(with_overrides(sc, {"population.consumers": 1000}), 100)
    big = cost.predict_run_s(sc, 100)
    longer = cost.predict_run_s(sc, 365)
    assert small < big < longer
    assert cost.predict_run_s(sc, 365) < 2  # the default bank: five replications
    assert cost.plan(cost.predict_run_s(sc, 365), None).replications == 5


def test_the_5m_bank_is_about_two_minutes_warned_and_still_possible(monkeypatch):
    sc = load_scenario("bank_5m")
    per_run = cost.predict_run_s(sc, sc.run.ticks)
    assert 60 < per_run < 240  # the README's benchmark: about two minutes a year
    p = cost.plan(per_run, None)
    assert p.replications == 1 and p.verdict == "confirm"  # warned, not refused
    assert "min" in cost.fmt_duration(p.total_s)
    monkeypatch.setenv("EXLAB_DASHBOARD_MAX_RUN_S", "60")
    assert cost.plan(per_run, None).verdict == "refuse"
    monkeypatch.setenv("EXLAB_DASHBOARD_MAX_RUN_S", "not a number")
    assert cost.max_run_s() == 600


def test_cached_runs_are_not_counted_as_work():
    p = cost.plan(1.0, 3, cached=2)
    assert p.to_compute == 4 and p.cached == 2 and p.total_s == pytest.approx(4.0)
    done = cost.plan(1.0, 3, cached=6)
    assert done.to_compute == 0 and "cache" in done.short_words()
    same = cost.plan(1.0, 3, scenarios=1)  # no lever changed: the what-if is the baseline
    assert same.to_compute == 3


def test_the_server_corrects_the_prediction_by_what_it_measured():
    sc = load_scenario("default_bank")
    before = cost.predict_run_s(sc, 365)
    for _ in range(5):
        cost.record_timing(1.0, 2.0)  # every run took twice the prediction
    assert cost.predict_run_s(sc, 365) == pytest.approx(2 * before)
