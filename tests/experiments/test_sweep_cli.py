"""``exlab sweep`` and ``exlab report`` from the command line: exit codes and plain errors."""

from __future__ import annotations

import pandas as pd

from sim.cli import main

from .helpers import FACTORIAL, write_experiment


def test_sweep_then_report_through_the_cli(tmp_path, capsys):
    exp = write_experiment(tmp_path, FACTORIAL)
    out = tmp_path / "res"
    assert main(["sweep", str(exp), "--out", str(out), "--serial", "--quiet"]) == 0
    assert pd.read_parquet(out / "runs")["run_id"].nunique() == 8
    assert main(["report", str(out), "--no-plots"]) == 0
    assert "trust" in capsys.readouterr().out


def test_a_bad_experiment_file_exits_2_with_the_field_path_and_no_traceback(tmp_path, capsys):
    exp = write_experiment(
        tmp_path,
        """
        [[parameters]]
        path = "exchange.complex"
        values = [1.7]
        """,
    )
    assert main(["sweep", str(exp), "--out", str(tmp_path / "res"), "--serial"]) == 2
    err = capsys.readouterr().err
    assert "parameters[0].values[0]: expected a number between 0 and 1, got 1.7" in err
    assert "Traceback" not in err


def test_a_changed_experiment_on_an_existing_folder_exits_2_until_fresh(tmp_path, capsys):
    exp = write_experiment(tmp_path, FACTORIAL)
    out = tmp_path / "res"
    assert main(["sweep", str(exp), "--out", str(out), "--serial", "--quiet"]) == 0
    exp.write_text(exp.read_text().replace("replications = 2", "replications = 1"))
    assert main(["sweep", str(exp), "--out", str(out), "--serial", "--quiet"]) == 2
    assert "--fresh" in capsys.readouterr().err
    assert main(["sweep", str(exp), "--out", str(out), "--serial", "--quiet", "--fresh"]) == 0
    assert pd.read_parquet(out / "runs")["run_id"].nunique() == 4


def test_report_on_a_folder_that_is_not_a_results_folder_exits_2(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nowhere")]) == 2
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "manifest.json" in err and "Traceback" not in err
