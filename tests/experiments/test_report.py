"""Reports: 95% t intervals worked out by hand, sensitivity indices on analytic stand-in models."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.experiments import SerialExecutor, load_experiment, run_sweep
from sim.experiments.report import config_means, print_report

from .helpers import FACTORIAL, SENS, linear_trust, write_experiment


def test_config_means_give_the_t_interval_worked_by_hand():
    # y = 1, 2, 3: mean 2, sd 1, t(0.975, 2) = 4.302652729911275 (t tables),
    # half-width 4.3027 / sqrt(3) = 2.484138
    runs = pd.DataFrame(
        {
            "point": [0, 0, 0, 1],
            "x": [0.1, 0.1, 0.1, 0.2],
            "tick": [9] * 4,
            "trust": [1.0, 2.0, 3.0, 5.0],
        }
    )
    tab = config_means(runs, ["x"], ["trust"]).set_index("point")
    assert tab.loc[0, "n"] == 3 and tab.loc[0, "mean"] == 2.0 and tab.loc[0, "sd"] == 1.0
    half = 4.302652729911275 / math.sqrt(3)
    assert tab.loc[0, "ci_low"] == pytest.approx(2 - half)
    assert tab.loc[0, "ci_high"] == pytest.approx(2 + half)
    assert math.isnan(tab.loc[1, "ci_low"])  # one replication: no interval


def test_report_prints_means_and_writes_summary_and_plots(tmp_path, capsys):
    exp = load_experiment(write_experiment(tmp_path, FACTORIAL))
    out = tmp_path / "res"
    run_sweep(exp, out, executor=SerialExecutor(), progress=False)
    print_report(out)
    text = capsys.readouterr().out
    assert "runs done 8/8" in text and "95% t interval" in text
    summary = pd.read_csv(out / "summary.csv")
    runs = pd.read_parquet(out / "runs")
    # trust is summarised by its last value: the point-0 mean is the mean of the final ticks
    final = runs[(runs.point == 0) & (runs.tick == 20)]["trust"].mean()
    got = summary[(summary.point == 0) & (summary.outcome == "trust")]["mean"].iloc[0]
    assert got == pytest.approx(final)
    assert (out / "plots" / "trust.png").stat().st_size > 1000
    assert (out / "plots" / "trust_series.png").exists()


def _sensitivity_on_linear_stand_in(tmp_path, kind: str, samples: int) -> pd.DataFrame:
    """Sweep the stand-in model with the given design, report, and read the sensitivity table."""
    exp = load_experiment(write_experiment(tmp_path, SENS.format(kind=kind, samples=samples)))
    out = tmp_path / "res"
    run_sweep(exp, out, executor=SerialExecutor(), progress=False, run_fn=linear_trust)
    print_report(out, plots=False)
    return pd.read_csv(out / "sensitivity.csv").set_index("parameter")


def test_sobol_indices_on_a_linear_stand_in_put_all_variance_on_the_first_parameter(tmp_path):
    # y = 2 x1 + 0 x2: analytically S1 = ST = 1 for x1 and 0 for x2.
    sens = _sensitivity_on_linear_stand_in(tmp_path, "sobol", 64)
    assert sens.loc["exchange.complex", "S1"] == pytest.approx(1.0, abs=0.05)
    assert sens.loc["exchange.complex", "ST"] == pytest.approx(1.0, abs=0.05)
    assert sens.loc["churn.threshold", "ST"] == pytest.approx(0.0, abs=1e-9)


def test_morris_mu_star_on_a_linear_stand_in_is_the_slope_times_the_range(tmp_path):
    # y = 2 x1 with x1 = 0.5 u1: every elementary effect in unit space is 2 * 0.5 = 1.
    sens = _sensitivity_on_linear_stand_in(tmp_path, "morris", 5)
    assert sens.loc["exchange.complex", "mu_star"] == pytest.approx(1.0)
    assert sens.loc["exchange.complex", "sigma"] == pytest.approx(0.0, abs=1e-9)
    assert sens.loc["churn.threshold", "mu_star"] == pytest.approx(0.0, abs=1e-9)
