"""Shared analysis: outcome summaries over a run and t intervals, worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from sim.analysis import summarize_run, summarize_runs, t_half_width, t_interval, t_intervals
from sim.experiments.report import SweepResults, load_results
from sim.experiments.report import per_run as report_per_run
from sim.experiments.runs import summarize
from sim.scenario import ScenarioError

NAN = float("nan")
# y = 1, 2, 3: mean 2, sd 1; t(0.975, 2) = 4.302652729911275 (t tables), so the
# half-width is 4.302653 / sqrt(3) = 2.484138.
T_975_2 = 4.302652729911275
HALF_123 = 2.484138


def test_t_interval_of_one_two_three_by_hand():
    mean, half, n = t_interval([1.0, 2.0, 3.0])
    assert (mean, n) == (2.0, 3)
    assert half == pytest.approx(HALF_123, abs=5e-7)
    assert half == pytest.approx(T_975_2 / math.sqrt(3))


def test_t_interval_drops_missing_values_first():
    mean, half, n = t_interval(pd.Series([1.0, NAN, 2.0, 3.0, NAN]))
    assert (mean, n) == (2.0, 3)
    assert half == pytest.approx(HALF_123, abs=5e-7)


def test_t_interval_needs_two_values():
    mean, half, n = t_interval([5.0, NAN])
    assert (mean, n) == (5.0, 1) and math.isnan(half)  # one value: no interval
    for empty in ([], [NAN, NAN]):
        mean, half, n = t_interval(empty)
        assert n == 0 and math.isnan(mean) and math.isnan(half)


def test_t_interval_agrees_with_scipys_interval_at_another_level():
    v = np.array([1.0, 2.0, 4.0, 7.0])
    mean, half, n = t_interval(v, level=0.9)
    lo, hi = sps.t.interval(0.9, 3, loc=v.mean(), scale=sps.sem(v))
    assert n == 4 and mean == 3.5
    assert (mean - half, mean + half) == pytest.approx((lo, hi))


def test_half_width_is_elementwise_and_nan_below_two():
    # sd 2 with n 4: t(0.975, 3) = 3.182446 (t tables), 3.182446 * 2 / 2 = 3.182446
    half = t_half_width([1.0, 2.0, 1.0, 1.0], [3, 4, 1, 0])
    assert half[0] == pytest.approx(HALF_123, abs=5e-7)
    assert half[1] == pytest.approx(3.182446, abs=5e-7)
    assert np.isnan(half[2]) and np.isnan(half[3])


def test_grouped_intervals_skip_missing_values():
    df = pd.DataFrame({"g": ["a", "a", "a", "b", "b", "c"], "y": [1.0, 2.0, 3.0, 4.0, NAN, NAN]})
    tab = t_intervals(df.groupby("g")["y"])
    assert tab.loc["a", ["n", "mean", "sd"]].tolist() == [3, 2.0, 1.0]
    assert tab.loc["a", "half"] == pytest.approx(HALF_123, abs=5e-7)
    assert tab.loc["b", ["n", "mean"]].tolist() == [1, 4.0] and np.isnan(tab.loc["b", "half"])
    assert tab.loc["c", "n"] == 0 and np.isnan(tab.loc["c", "mean"])


def _run_table() -> pd.DataFrame:
    # trust: "last"; delivered_quality: "mean"; churn and purchases: "sum"
    return pd.DataFrame(
        {
            "tick": [1, 2, 3, 4],
            "trust": [0.5, 0.6, NAN, NAN],
            "delivered_quality": [0.2, NAN, 0.4, 0.6],
            "churn": [1.0, 2.0, NAN, 3.0],
            "purchases": [NAN] * 4,
            "response_time_h": [NAN] * 4,
            "trust_treated": [NAN] * 4,
        }
    )


def test_each_rule_skips_missing_ticks():
    got = summarize_run(_run_table(), ["trust", "delivered_quality", "churn"])
    assert got["trust"] == 0.6  # the last recorded value, not the NaN after it
    assert got["delivered_quality"] == pytest.approx((0.2 + 0.4 + 0.6) / 3)
    assert got["churn"] == 6.0


def test_an_outcome_never_recorded_is_nan_under_every_rule():
    got = summarize_run(_run_table(), ["purchases", "response_time_h", "trust_treated"])
    assert all(math.isnan(v) for v in got.values())  # sum, mean, last: NaN, not 0
    empty = summarize_run(_run_table().iloc[:0], ["trust", "churn"])
    assert math.isnan(empty["trust"]) and math.isnan(empty["churn"])


def test_runs_are_summarised_in_tick_order_whatever_the_row_order():
    df = pd.DataFrame(
        {
            "run_id": ["a", "b", "a", "b"],
            "tick": [2, 1, 1, 2],
            "trust": [0.9, 0.3, 0.1, 0.4],
            "churn": [1.0, NAN, 2.0, NAN],
        }
    )
    out = summarize_runs(df, ["trust", "churn"], ["run_id"])
    assert out.loc["a", "trust"] == 0.9 and out.loc["b", "trust"] == 0.4
    assert out.loc["a", "churn"] == 3.0 and math.isnan(out.loc["b", "churn"])


def test_every_caller_gives_nan_for_an_outcome_never_recorded():
    from dashboard import stats

    table = _run_table()
    assert math.isnan(summarize(table, ["purchases"], [4])["purchases"].iloc[0])
    two = pd.concat([table.assign(run_id="a"), table.assign(run_id="b")], ignore_index=True)
    assert stats.per_run(two, [], ["churn", "purchases"])["purchases"].isna().all()
    res = SweepResults(
        folder=None,
        manifest={"design": {"parameters": []}, "outcomes": {"keep": "series", "names": ["churn", "purchases"]}},
        design=pd.DataFrame(),
        runs=two.assign(point=0, replication=[0] * 4 + [1] * 4, seed=1),
        failures=pd.DataFrame(),
    )
    runs = report_per_run(res)
    assert runs["churn"].tolist() == [6.0, 6.0] and runs["purchases"].isna().all()


def test_the_results_reader_names_a_damaged_file_and_keeps_to_its_limit(tmp_path):
    (tmp_path / "runs").mkdir()
    pd.DataFrame({"tick": [1], "trust": [0.5]}).to_parquet(tmp_path / "runs" / "a.parquet")
    res = load_results(tmp_path, manifest_required=False)
    assert res.manifest == {} and res.runs["trust"].tolist() == [0.5]
    with pytest.raises(ScenarioError, match="manifest.json"):
        load_results(tmp_path)  # `exlab report` needs the manifest
    (tmp_path / "runs" / "b.parquet").write_bytes(b"not parquet")
    with pytest.raises(ScenarioError) as info:
        load_results(tmp_path, manifest_required=False, max_files=1)
    assert info.value.problems[0][1:] == ("at most 1 Parquet files", "2 files")
    with pytest.raises(ScenarioError) as info:
        load_results(tmp_path, manifest_required=False)
    assert info.value.problems[0][:2] == ("runs/b.parquet", "a readable Parquet file")


def test_the_results_reader_keeps_every_column_of_every_file(tmp_path):
    pd.DataFrame({"tick": [1], "trust": [0.5]}).to_parquet(tmp_path / "a.parquet")
    pd.DataFrame({"tick": [2], "churn": [3.0]}).to_parquet(tmp_path / "b.parquet")
    runs = load_results(tmp_path, manifest_required=False).runs
    assert runs["tick"].tolist() == [1, 2]
    assert runs["trust"].tolist()[0] == 0.5 and math.isnan(runs["trust"].tolist()[1])
    assert math.isnan(runs["churn"].tolist()[0]) and runs["churn"].tolist()[1] == 3.0


def test_welch_interval_needs_two_values_in_each_group():
    from sim.analysis import welch_ci

    assert all(np.isnan(x) for x in welch_ci(np.array([1.0, 2.0, 3.0]), np.array([])))
    eff, lo, hi = welch_ci(np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 4.0]))
    # equal variances (1) and sizes: se = sqrt(2/3), dof = 4, t(0.975, 4) = 2.776445
    assert eff == -1.0 and hi - eff == pytest.approx(2.776445 * np.sqrt(2 / 3), rel=1e-6)
