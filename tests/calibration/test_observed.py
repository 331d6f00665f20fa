"""The KPI CSV: periods, units, the measurement model against hand-worked values, and one-line refusals."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from sim.calibration.observed import MIN_POINTS, aggregate, read_observed, unit_map
from sim.scenario import ScenarioError


def _read(text: str, **kw):
    return read_observed(io.BytesIO(text.encode()), source="kpis.csv", **kw)


def _refused(text: str, **kw) -> str:
    with pytest.raises(ScenarioError) as exc:
        _read(text, **kw)
    return str(exc.value)


GOOD = """# synthetic, for the test
month,churn_rate [%/month],satisfaction [1-5],contacts_human [contacts],trust [%]
1,2.0,4.2,4000,60
2,1.5,,3600,55
3,1.0,3.0,,50
4,,5,3000,
"""


def test_a_good_file_is_read_with_missing_values_and_converted_by_hand_worked_maps():
    obs = _read(GOOD, customers=20000, model_customers=1800)
    assert obs.period == "month" and obs.days == 30 and obs.periods == (1, 2, 3, 4) and obs.ticks == 120
    assert obs.outcomes == ["churn_rate", "satisfaction", "contacts_human", "trust"]
    m = obs.model
    # 2% of customers leave in a 30-day month: 0.02 x 365 / 30 per year
    assert m.loc[1, "churn_rate"] == pytest.approx(0.02 * 365 / 30)
    assert m.loc[3, "churn_rate"] == pytest.approx(0.1216666667)
    # CSAT 4.2 on 1-5 is (4.2 - 1) / 4 = 0.8; 3 is 0.5; 5 is 1
    assert m.loc[1, "satisfaction"] == pytest.approx(0.8)
    assert m.loc[3, "satisfaction"] == pytest.approx(0.5) and m.loc[4, "satisfaction"] == pytest.approx(1.0)
    # 4,000 calls at 20,000 customers are 360 at the model's 1,800
    assert m.loc[1, "contacts_human"] == pytest.approx(360.0)
    assert m.loc[1, "trust"] == pytest.approx(0.6)
    # missing cells stay missing, in both units
    assert np.isnan(m.loc[2, "satisfaction"]) and np.isnan(obs.firm.loc[3, "contacts_human"])
    assert np.isnan(m.loc[4, "churn_rate"])
    k = obs.kpi("satisfaction")
    assert k.to_firm(k.to_model(4.2)) == pytest.approx(4.2)


@pytest.mark.parametrize("name, unit, x, y", [
    ("churn_rate", "1/year", 0.3, 0.3),
    ("churn_rate", "%/year", 12.0, 0.12),
    ("churn_rate", "1/month", 0.01, 0.01 * 365 / 30),
    ("churn_rate", "%/week", 0.5, 0.005 * 365 / 7),
    ("satisfaction", "0-1", 0.7, 0.7),
    ("satisfaction", "0,1", 0.7, 0.7),
    ("satisfaction", "%", 70.0, 0.7),
    ("satisfaction", "0-10", 7.0, 0.7),
    ("satisfaction", "1-7", 4.0, 0.5),
    ("wom_valence", "share", 0.4, 0.4),
    ("response_time_h", "minutes", 90.0, 1.5),
    ("response_time_h", "days", 0.5, 12.0),
    ("wait_mean_min", "s", 30.0, 0.5),
])
def test_unit_maps(name, unit, x, y):
    a, b = unit_map(name, unit)
    assert a * x + b == pytest.approx(y)


def test_counts_and_money_are_rescaled_by_the_firms_customers():
    a, b = unit_map("staff_cost_eur", "EUR", customers=50000, model_customers=1000)
    assert (a, b) == (pytest.approx(0.02), 0.0)
    assert unit_map("cascade_largest", "consumers", customers=50000, model_customers=1000) == (1.0, 0.0)


def test_weekly_and_daily_periods_and_gaps():
    obs = _read("week,trust [0-1]\n1,0.5\n2,0.6\n5,0.7\n")
    assert obs.days == 7 and obs.periods == (1, 2, 5) and obs.ticks == 35
    assert _read("day,trust [0-1]\n1,0.5\n2,0.6\n3,0.7\n").ticks == 3


@pytest.mark.parametrize("text, words", [
    ("month,churn_rat [1/year]\n1,1\n2,1\n3,1\n", ["column 'churn_rat [1/year]'", "did you mean churn_rate"]),
    ("month,churn_rate [%]\n1,1\n2,1\n3,1\n", ["a unit of churn_rate", "%/month", "got '%'"]),
    ("month,churn_rate\n1,1\n2,1\n3,1\n", ["the unit in brackets", "churn_rate [1/year]"]),
    ("quarter,churn_rate [1/year]\n1,1\n2,1\n3,1\n", ["one period column named day, week or month"]),
    ("month,week,trust [0-1]\n1,1,1\n2,2,1\n3,3,1\n", ["one period column", "'month', 'week'"]),
    ("month,trust [0-1]\n1,0.5\n1,0.6\n2,0.7\n", ["strictly increasing month numbers"]),
    ("month,trust [0-1]\n0,0.5\n1,0.6\n2,0.7\n", ["month (row 1)", "'0'"]),
    ("month,trust [0-1]\nJan,0.5\n2,0.6\n3,0.7\n", ["'Jan'"]),
    ("month,trust [0-1]\n1,0.5\n2,\n3,0.7\n", [f"at least {MIN_POINTS} observed periods", "got 2"]),
    ("month,trust [0-1]\n1,0.5\n2,high\n3,0.7\n", ["(row 2)", "a number or an empty cell", "'high'"]),
    ("month,contacts_human [contacts]\n1,5\n2,5\n3,5\n", ["customers = ...", "rescale"]),
    ("month,trust [0-1],trust [%]\n1,0.5,50\n2,0.5,50\n3,0.5,50\n", ["one column per outcome"]),
    ("month\n1\n2\n3\n", ["at least one KPI column"]),
    ("", ["a CSV file"]),
])
def test_bad_files_are_refused_naming_the_column_and_the_expectation(text, words):
    msg = _refused(text)
    assert msg.startswith("kpis.csv: ")
    assert all(w in msg for w in words), msg


def test_every_problem_is_one_line():
    msg = _refused("month,churn_rat [1/year],trust,satisfaction [%]\n1,1,1,1\n2,1,1,x\n")
    lines = msg.splitlines()
    assert len(lines) == 4 and all(": expected " in ln for ln in lines)


def test_a_period_beyond_the_longest_run_is_refused():
    assert "at most 36500 days" in _refused("month,trust [0-1]\n1,0.5\n2,0.6\n2000,0.7\n")


def test_an_outcome_subset_keeps_those_columns_and_names_a_missing_one():
    obs = _read(GOOD, customers=20000, model_customers=1800, outcomes=["trust", "churn_rate"])
    assert sorted(obs.outcomes) == ["churn_rate", "trust"]
    assert "outcomes: expected a KPI column" in _refused(GOOD, customers=20000, model_customers=1800,
                                                         outcomes=["complaints"])


def test_aggregate_follows_each_outcomes_rule_over_the_period():
    table = pd.DataFrame({"tick": np.arange(1, 15), "churn": np.arange(1, 15, dtype=float),
                          "churn_rate": np.arange(1, 15, dtype=float), "trust": np.arange(1, 15) / 100.0})
    table.loc[table.tick == 3, "churn_rate"] = np.nan
    out = aggregate(table, ["churn", "churn_rate", "trust"], 7)
    assert out.index.tolist() == [1, 2]
    assert out.loc[1, "churn"] == sum(range(1, 8))                       # sum
    assert out.loc[1, "churn_rate"] == pytest.approx(np.mean([1, 2, 4, 5, 6, 7]))   # mean, NaN skipped
    assert out.loc[2, "trust"] == pytest.approx(0.14)                   # last
