"""Sweeps on the serial executor: the dataset, the manifest, resume, refusal and failures."""

from __future__ import annotations

import functools
import json

import pandas as pd
import pytest

from sim import simulate
from sim.experiments import SerialExecutor, load_experiment, run_sweep
from sim.scenario import ScenarioError, with_overrides

from .helpers import FACTORIAL, fail_on_point_one, write_experiment


@pytest.fixture
def factorial(tmp_path):
    return load_experiment(write_experiment(tmp_path, FACTORIAL))


def _sweep(exp, out, **kw):
    return run_sweep(exp, out, executor=SerialExecutor(), progress=False, **kw)


def test_a_serial_sweep_writes_a_parquet_dataset_read_as_is(factorial, tmp_path):
    out = tmp_path / "res"
    s = _sweep(factorial, out)
    assert (s.planned, s.done, s.failed, s.missing) == (8, 8, 0, 0)
    df = pd.read_parquet(out / "runs")
    assert list(df.columns) == [
        "run_id",
        "point",
        "replication",
        "seed",
        "exchange.complex",
        "firms[*].quality",
        "tick",
        "trust",
        "churn",
        "wom_volume",
    ]
    assert len(list((out / "runs").glob("*.parquet"))) == 8
    assert df.groupby("run_id").size().eq(20).all()  # the whole series of 20 ticks


def test_each_run_equals_simulate_with_its_overrides_and_recorded_seed(factorial, tmp_path):
    out = tmp_path / "res"
    _sweep(factorial, out)
    df = pd.read_parquet(out / "runs")
    row = df[(df.point == 3) & (df.replication == 1)]
    sc = with_overrides(
        factorial.base,
        {
            "exchange.complex": row["exchange.complex"].iloc[0],
            "firms[*].quality": row["firms[*].quality"].iloc[0],
        },
    )
    ref = simulate(sc, seed=int(row["seed"].iloc[0])).table
    assert row["trust"].tolist() == ref["trust"].tolist()
    assert row["churn"].tolist() == ref["churn"].tolist()


def test_the_manifest_records_text_hash_versions_seeds_times_and_counts(factorial, tmp_path):
    out = tmp_path / "res"
    _sweep(factorial, out)
    m = json.loads((out / "manifest.json").read_text())
    assert m["experiment"]["text"] == factorial.text
    assert m["experiment"]["sha256"] == factorial.sha256
    assert m["versions"]["exchangelab"] and m["versions"]["mesa"].startswith("3.")
    df = pd.read_parquet(out / "runs")
    recorded = {r[0]: r[3] for r in m["seeds"]["runs"]}
    assert recorded == df.groupby("run_id")["seed"].first().to_dict()
    assert m["counts"] == {"planned": 8, "done": 8, "failed": 0, "missing": 0}
    assert m["status"] == "complete" and m["started"] and m["finished"]
    assert len(pd.read_csv(out / "design.csv")) == 4


def test_a_second_call_resumes_running_only_missing_runs(factorial, tmp_path):
    out = tmp_path / "res"
    _sweep(factorial, out)
    before = pd.read_parquet(out / "runs").sort_values(["run_id", "tick"]).reset_index(drop=True)
    again = _sweep(factorial, out)
    assert (again.skipped, again.done) == (8, 0)
    victim = sorted((out / "runs").glob("*.parquet"))[5]
    victim.unlink()
    (out / "runs" / f".{victim.name}.abc.tmp").write_bytes(b"half a file")  # a killed write
    resumed = _sweep(factorial, out)
    assert (resumed.skipped, resumed.done, resumed.missing) == (7, 1, 0)
    after = pd.read_parquet(out / "runs").sort_values(["run_id", "tick"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after)
    assert not list((out / "runs").glob(".*.tmp"))


def test_a_changed_experiment_is_refused_unless_fresh(factorial, tmp_path):
    out = tmp_path / "res"
    _sweep(factorial, out)
    changed = load_experiment(write_experiment(tmp_path, FACTORIAL.replace("seed = 7", "seed = 8")))
    with pytest.raises(ScenarioError) as info:
        _sweep(changed, out)
    assert "--fresh" in str(info.value) and "sha256" in str(info.value)
    s = _sweep(changed, out, fresh=True)
    assert (s.skipped, s.done) == (0, 8)
    m = json.loads((out / "manifest.json").read_text())
    assert m["experiment"]["sha256"] == changed.sha256


def test_a_failing_run_is_recorded_not_fatal_and_retried_on_resume(factorial, tmp_path):
    out = tmp_path / "res"
    marker = tmp_path / "fail-now"
    marker.touch()
    flaky = functools.partial(fail_on_point_one, marker=str(marker))
    s = run_sweep(factorial, out, executor=SerialExecutor(), progress=False, run_fn=flaky)
    assert (s.done, s.failed, s.missing) == (6, 2, 2)
    failures = pd.read_csv(out / "failures.csv")
    assert failures["point"].tolist() == [1, 1]
    assert failures["error"].str.contains("injected failure").all()
    assert json.loads((out / "manifest.json").read_text())["status"] == "incomplete"
    marker.unlink()
    s = run_sweep(factorial, out, executor=SerialExecutor(), progress=False, run_fn=flaky)
    assert (s.skipped, s.done, s.missing) == (6, 2, 0)
    assert pd.read_parquet(out / "runs")["run_id"].nunique() == 8


def test_an_invalid_design_point_is_refused_before_anything_runs(tmp_path):
    # adequate_quality above desired_quality (0.8 in the preset) breaks a cross-field rule
    exp = load_experiment(
        write_experiment(
            tmp_path,
            """
        [[parameters]]
        path = "segments[0].adequate_quality"
        values = [0.5, 0.95]
        """,
        )
    )
    with pytest.raises(ScenarioError) as info:
        _sweep(exp, tmp_path / "res")
    assert "design point 1" in str(info.value)
    assert not (tmp_path / "res" / "manifest.json").exists()


def test_summary_rows_at_chosen_ticks(tmp_path):
    exp = load_experiment(
        write_experiment(
            tmp_path,
            """
        [[parameters]]
        path = "exchange.complex"
        values = [0.2]
        [outcomes]
        names = ["trust", "churn"]
        at_ticks = [5, 20]
        """,
        )
    )
    _sweep(exp, tmp_path / "res")
    df = pd.read_parquet(tmp_path / "res" / "runs")
    assert df["tick"].tolist() == [5, 20]
    ref = simulate(
        with_overrides(exp.base, {"exchange.complex": 0.2}), seed=int(df["seed"].iloc[0])
    ).table
    assert df["churn"].tolist() == [ref["churn"].iloc[:5].sum(), ref["churn"].sum()]
    assert df["trust"].iloc[1] == ref["trust"].iloc[-1]


def test_resuming_after_the_engine_source_changed_warns_and_the_report_says_so(
    factorial, tmp_path, monkeypatch, capsys
):
    from sim.experiments import sweep
    from sim.experiments.report import print_report

    out = tmp_path / "res"
    _sweep(factorial, out)
    sorted((out / "runs").glob("*.parquet"))[0].unlink()
    monkeypatch.setattr(sweep, "engine_fingerprint", lambda: "0" * 64)
    _sweep(factorial, out)
    assert "engine's source (sim/) changed" in capsys.readouterr().err
    print_report(out, plots=False)
    assert "2 different versions of the engine" in capsys.readouterr().out
