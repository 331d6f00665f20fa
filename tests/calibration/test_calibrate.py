"""``exlab calibrate`` end to end on a tiny market: the prior narrows around the hidden value, serial runs repeat
exactly, a killed run resumes where it stopped, a time limit stops after a generation, and the calibrated scenario
runs with ``exlab run``."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.calibration import calibrate, load_calibration, read_calibration
from sim.calibration.synthetic import synthetic_kpis, to_csv
from sim.cli import main
from sim.scenario import ScenarioError, load_scenario, to_toml, with_overrides

pytest.importorskip("pyabc")

TRUTH = 0.8           # segments[*].requests_per_month, hidden
CONSUMERS = 300


def _base():
    return with_overrides(load_scenario("default_bank"), {"population.consumers": CONSUMERS,
                                                          "run.warmup_days": 5, "run.warmup_speed": 100.0})


def _files(folder: Path, generations: int = 3) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "base.toml").write_text(to_toml(_base()))
    df = synthetic_kpis(_base(), {"segments[*].requests_per_month": TRUTH}, period="week", periods=4, seed=7,
                        kpis=[("contacts_human", "contacts"), ("satisfaction", "1-5")], customers=5000)
    df.loc[2, "satisfaction [1-5]"] = float("nan")   # a missing value
    (folder / "kpis.csv").write_bytes(to_csv(df, "synthetic: made by the test"))
    p = folder / "tiny.toml"
    p.write_text(f"""
name = "tiny"
base = "base.toml"
observed = "kpis.csv"
customers = 5000
seed = 5
band_draws = 6

[[parameters]]
path = "segments[*].requests_per_month"
low = 0.1
high = 2.0

[budget]
generations = {generations}
population_size = 20
""")
    return p


def test_a_smoke_calibration_narrows_the_prior_around_the_hidden_value(tmp_path):
    cal = load_calibration(_files(tmp_path))
    seen = []
    res = calibrate(cal, tmp_path / "out", "serial", progress=seen.append)
    (row,) = res.posterior.to_dict("records")
    assert row["q05"] <= TRUTH <= row["q95"]
    assert row["interval_share"] < 0.5
    assert res.generations == 3 and res.complete and res.reproducible
    assert res.simulations >= 3 * 20
    assert res.stopped.startswith("budget")
    # progress: after every simulation, every generation, then the band runs
    abc = [p for p in seen if p.stage == "abc"]
    assert abc[-1].generation == 3 and abc[-1].simulations == res.simulations
    assert [p.simulations for p in seen if p.stage == "bands"] == list(range(1, 7))
    # bands in the firm's units next to the observed values
    b = res.bands
    assert list(b.columns[:2]) == ["period", "outcome"]
    assert {"observed", "q05", "median", "q95"} <= set(b.columns)
    obs = pd.read_csv(tmp_path / "kpis.csv", comment="#")
    got = b[b.outcome == "contacts_human"].set_index("period")["observed"]
    assert got.tolist() == pytest.approx(obs["contacts_human [contacts]"].tolist())
    assert b[(b.outcome == "satisfaction") & (b.period == 3)]["observed"].isna().all()
    assert (b.q05 <= b["median"]).all() and (b["median"] <= b.q95).all()
    # the folder reads back as the same result
    again = read_calibration(tmp_path / "out")
    assert again.posterior.equals(res.posterior) and again.simulations == res.simulations
    assert again.scenario.segments[0].requests_per_month == pytest.approx(row["median"])
    for name in ("posterior.csv", "samples.csv", "correlation.csv", "bands.csv", "posterior.png", "fit.png",
                 "calibrated.toml", "abc.db"):
        assert (tmp_path / "out" / name).stat().st_size > 0, name
    assert not [p.name for p in (tmp_path / "out").iterdir() if p.name.endswith(".tmp")]


def test_the_calibrated_scenario_runs_with_exlab_run(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["calibrate", str(_files(tmp_path, generations=2)), "--out", str(out), "--serial", "--quiet"]) == 0
    said = capsys.readouterr().out
    assert "segments[*].requests_per_month: median" in said and "90% interval" in said
    assert main(["run", str(out / "calibrated.toml"), "--quiet", "--ticks", "3"]) == 0
    sc = load_scenario(out / "calibrated.toml")
    assert sc.population.consumers == CONSUMERS and sc.run.seed == 5 and sc.run.ticks == 28


def test_two_serial_calibrations_give_identical_posteriors(tmp_path):
    outs = []
    for k in range(2):
        cal = load_calibration(_files(tmp_path / f"c{k}", generations=2))
        calibrate(cal, tmp_path / f"c{k}" / "out", "serial")
        outs.append(tmp_path / f"c{k}" / "out")
    for name in ("samples.csv", "posterior.csv", "bands.csv"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name


def test_a_time_limit_stops_after_a_generation_and_a_rerun_continues(tmp_path):
    cal = load_calibration(_files(tmp_path))
    res = calibrate(cal, tmp_path / "out", "serial", time_limit=0.0)
    assert res.generations == 1 and not res.complete and res.stopped.startswith("time limit")
    assert len(res.posterior) == 1 and len(res.bands) > 0        # what was reached is written
    res = calibrate(cal, tmp_path / "out", "serial")
    assert res.generations == 3 and res.complete


def test_a_folder_of_another_calibration_is_refused(tmp_path):
    calibrate(load_calibration(_files(tmp_path, generations=1)), tmp_path / "out", "serial")
    other = load_calibration(_files(tmp_path / "other", generations=2))
    with pytest.raises(ScenarioError, match="changed since"):
        calibrate(other, tmp_path / "out", "serial")
    with pytest.raises(ScenarioError, match="a folder written by exlab calibrate"):
        read_calibration(tmp_path / "other")


def _generations(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute("select t, nr_samples, population_end_time from populations where t >= 0 "
                           "order by t").fetchall()


@pytest.mark.slow
def test_a_killed_calibration_resumes_at_the_next_generation_and_ends_as_an_uninterrupted_one(tmp_path):
    gens = 4
    ref = tmp_path / "ref"
    calibrate(load_calibration(_files(ref, generations=gens)), ref / "out", "serial")
    cal = _files(tmp_path / "run", generations=gens)
    out = tmp_path / "run" / "out"
    cmd = [sys.executable, "-m", "sim", "calibrate", str(cal), "--out", str(out), "--serial", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    done: list[tuple] = []
    while time.time() < deadline and proc.poll() is None:
        try:
            done = _generations(out / "abc.db")
        except sqlite3.Error:
            done = []
        if len(done) >= 2:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _generations(out / "abc.db")
    assert 2 <= len(before) < gens, before
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    after = _generations(out / "abc.db")
    assert [g[0] for g in after] == list(range(gens))
    assert after[: len(before)] == before            # the generations made before the kill were not redone
    for name in ("samples.csv", "posterior.csv", "bands.csv"):
        assert (out / name).read_bytes() == (ref / "out" / name).read_bytes(), name


@pytest.mark.dask
@pytest.mark.slow
def test_a_calibration_runs_on_dask_workers(tmp_path):
    from sim.experiments.executors import DaskExecutor

    cal = load_calibration(_files(tmp_path, generations=2))
    with DaskExecutor(workers=2) as ex:
        res = calibrate(cal, tmp_path / "out", ex)
    (row,) = res.posterior.to_dict("records")
    assert res.generations == 2 and not res.reproducible
    assert row["q05"] <= TRUTH <= row["q95"] and row["interval_share"] < 1.0
    assert len(res.bands) == 2 * 4
