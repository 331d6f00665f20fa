"""Sweeps on Dask clusters started inside the tests (scheduler and workers on localhost).

Same seeds give the same results whatever the executor and number of workers,
and a worker process that dies mid-run loses no run: the scheduler reruns its
task elsewhere.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import pandas as pd
import pytest

from sim.experiments import DaskExecutor, SerialExecutor, load_experiment, run_sweep

from .helpers import FACTORIAL, die_once, write_experiment

pytestmark = pytest.mark.dask


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    return load_experiment(write_experiment(tmp_path_factory.mktemp("exp"), FACTORIAL))


@pytest.fixture(scope="module")
def serial_table(experiment, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "res"
    run_sweep(experiment, out, executor=SerialExecutor(), progress=False)
    return _read(out)


def _read(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "runs").sort_values(["run_id", "tick"]).reset_index(drop=True)


def test_two_dask_workers_give_the_serial_results(client, experiment, serial_table, tmp_path):
    out = tmp_path / "res"
    s = run_sweep(experiment, out, executor=DaskExecutor(client=client), progress=False)
    assert (s.done, s.failed) == (8, 0)
    pd.testing.assert_frame_equal(_read(out), serial_table)


def test_an_embedded_one_worker_cluster_gives_the_same_results(experiment, serial_table, tmp_path):
    out = tmp_path / "res"
    with DaskExecutor(workers=1) as ex:
        assert ex.workers == 1
        run_sweep(experiment, out, executor=ex, progress=False)
    pd.testing.assert_frame_equal(_read(out), serial_table)


def test_a_worker_that_dies_mid_run_loses_no_run(client, experiment, serial_table, tmp_path):
    out = tmp_path / "res"
    crash = functools.partial(die_once, folder=str(tmp_path))
    s = run_sweep(
        experiment, out, executor=DaskExecutor(client=client), progress=False, run_fn=crash
    )
    assert (tmp_path / "died").exists()  # a worker process really exited mid-run
    assert (s.done, s.failed, s.missing) == (8, 0, 0)
    pd.testing.assert_frame_equal(_read(out), serial_table)
