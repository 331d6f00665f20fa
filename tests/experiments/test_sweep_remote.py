"""Sweeps on a running Dask cluster (``--scheduler``): workers must run the driver's engine, and an
unreachable scheduler is reported within the connect timeout."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import sim
from sim.cli import main

from .helpers import FACTORIAL, write_experiment

pytestmark = pytest.mark.dask


def test_an_unreachable_scheduler_is_reported_within_the_connect_timeout(tmp_path, capsys):
    exp = write_experiment(tmp_path, FACTORIAL)
    t0 = time.monotonic()
    code = main(["sweep", str(exp), "--out", str(tmp_path / "res"), "--scheduler", "tcp://127.0.0.1:9",
                 "--connect-timeout", "1", "--quiet"])
    waited = time.monotonic() - t0
    assert code == 2
    err = capsys.readouterr().err
    assert "--scheduler: expected the address of a running Dask scheduler" in err and "after 1 s" in err
    assert len(err.strip().splitlines()) == 1, err
    assert waited < 15, waited  # not the 30 s it used to take
    assert not (tmp_path / "res").exists()


def test_the_connect_timeout_must_be_positive(tmp_path, capsys):
    exp = write_experiment(tmp_path, FACTORIAL)
    assert main(["sweep", str(exp), "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "0"]) == 2
    assert "--connect-timeout: expected a number of seconds above 0, got 0.0" in capsys.readouterr().err


@pytest.fixture
def scheduler_with_a_changed_worker(tmp_path):
    """A scheduler in this process and one worker process that runs a copy of sim/ with one file edited."""
    from distributed import Client, LocalCluster

    code = tmp_path / "other_code"
    shutil.copytree(Path(sim.__file__).parent, code / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    with open(code / "sim" / "model.py", "a", encoding="utf-8") as fh:
        fh.write("\n# a change made on the worker's copy only\n")
    with LocalCluster(n_workers=0, processes=True, protocol="tcp://", dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster:
        env = dict(os.environ, PYTHONPATH=str(code))
        worker = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", cluster.scheduler_address, "--nworkers", "1",
             "--nthreads", "1", "--no-dashboard"],
            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            with Client(cluster) as client:
                client.wait_for_workers(1, timeout=60)
                yield cluster.scheduler_address
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()


def test_workers_running_another_engine_are_refused_with_one_line(scheduler_with_a_changed_worker, tmp_path,
                                                                   capsys):
    exp = write_experiment(tmp_path, FACTORIAL)
    out = tmp_path / "res"
    code = main(["sweep", str(exp), "--out", str(out), "--scheduler", scheduler_with_a_changed_worker, "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert "--scheduler: expected workers running this engine" in err and "1 of 1 workers with another engine" in err
    assert not list((out / "runs").glob("*.parquet"))  # nothing ran on the wrong code
