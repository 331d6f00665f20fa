"""kill -9 of a sweep's driver mid-run, then the same command again: every run exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.experiments import load_experiment
from sim.experiments.designs import build_design
from sim.experiments.runs import RunJob, execute_run, plan_runs

from .helpers import write_experiment

pytestmark = pytest.mark.dask

REPO = Path(__file__).resolve().parents[2]

SLOWER = """
[design]
replications = 8
seed = 5

[[parameters]]
path = "exchange.complex"
values = [0.1, 0.3, 0.5, 0.7]

[outcomes]
names = ["trust", "churn"]
keep = "series"
"""


def _sweep_cmd(exp: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "sim",
        "sweep",
        str(exp),
        "--out",
        str(out),
        "--workers",
        "2",
        "--quiet",
    ]


def test_a_killed_driver_resumed_with_the_same_command_has_every_run_once(tmp_path):
    exp_path = write_experiment(tmp_path, SLOWER, ticks=60)
    out = tmp_path / "res"
    proc = subprocess.Popen(
        _sweep_cmd(exp_path, out),
        cwd=REPO,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < 300 and proc.poll() is None:
            if len(list((out / "runs").glob("*.parquet"))) >= 3:
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read().decode()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        try:  # the driver's worker processes are in its session; none may outlive the test
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    at_kill = len(list((out / "runs").glob("*.parquet")))
    waited = time.monotonic() - t0
    assert 3 <= at_kill < 32, f"not killed mid-sweep: {at_kill} parts after {waited:.0f} s"

    done = subprocess.run(
        _sweep_cmd(exp_path, out), cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert f"{at_kill} already done" in done.stdout

    exp = load_experiment(exp_path)
    runs = plan_runs(exp, build_design(exp))
    df = pd.read_parquet(out / "runs")
    assert sorted(df["run_id"].unique()) == sorted(r.run_id for r in runs)
    assert df.groupby("run_id").size().eq(60).all()  # each run once, whole
    assert not df.duplicated(["run_id", "tick"]).any()
    for spec in (runs[0], runs[-1]):  # spot check against an in-process run
        got = df[df.run_id == spec.run_id].sort_values("tick").reset_index(drop=True)
        ref = execute_run(spec, RunJob.of(exp))
        pd.testing.assert_frame_equal(got, ref, check_dtype=False)
