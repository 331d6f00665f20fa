"""Shared helpers for the experiment tests: tiny experiment files and run functions."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.runs import RunJob, RunSpec, execute_run, shape_table

TINY_BASE = """
[base]
scenario = "default_bank"
ticks = {ticks}
set = {{ "population.consumers" = 300 }}
"""


def write_experiment(folder: Path, body: str, *, ticks: int = 20, name: str = "tiny") -> Path:
    """Write an experiment file on the tiny base scenario (300 consumers) and return its path."""
    text = f'name = "{name}"\n' + TINY_BASE.format(ticks=ticks) + textwrap.dedent(body)
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


FACTORIAL = """
[design]
replications = 2
seed = 7

[[parameters]]
path = "exchange.complex"
values = [0.1, 0.5]

[[parameters]]
path = "firms[*].quality"
range = [0.5, 0.9]
steps = 2

[outcomes]
names = ["trust", "churn", "wom_volume"]
keep = "series"
"""


#: A sampled design of two parameters (fill in ``kind`` and ``samples``) keeping trust's summary.
SENS = """
[design]
kind = "{kind}"
samples = {samples}
seed = 3

[[parameters]]
path = "exchange.complex"
range = [0.0, 0.5]

[[parameters]]
path = "churn.threshold"
range = [0.2, 0.5]

[outcomes]
names = ["trust"]
"""


def fake_table(ticks: int, values: dict[str, float]) -> pd.DataFrame:
    """A per-tick outcome table where each named outcome is constant."""
    from sim.metrics import OUTCOMES

    df = pd.DataFrame({"tick": np.arange(1, ticks + 1, dtype=np.int64)})
    for o in OUTCOMES:
        df[o.name] = float(values[o.name]) if o.name in values else np.nan
    return df


def linear_trust(spec: RunSpec, job: RunJob) -> pd.DataFrame:
    """A stand-in model: trust = 2 x + 0 y (first two varied parameters), no simulation.

    An analytic oracle for the sensitivity plumbing: the first parameter must
    carry all the variance, the second none.
    """
    paths = [f.path for f in job.factors]
    y = 2.0 * spec.params[paths[0]] + 0.0 * spec.params[paths[1]]
    return shape_table(fake_table(job.base.run.ticks, {"trust": y}), spec, job)


def fail_on_point_one(spec: RunSpec, job: RunJob, *, marker: str) -> pd.DataFrame:
    """Raise for design point 1 while the file ``marker`` exists (use with functools.partial)."""
    if spec.point == 1 and Path(marker).exists():
        raise RuntimeError("injected failure")
    return execute_run(spec, job)


def die_once(spec: RunSpec, job: RunJob, *, folder: str) -> pd.DataFrame:
    """Kill the worker process the first time any run starts; later calls run normally.

    The marker file ``folder/died`` is created atomically (O_EXCL), so exactly one
    call dies even when two workers start at the same moment.
    """
    try:
        fd = os.open(os.path.join(folder, "died"), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return execute_run(spec, job)
    os.write(fd, f"{os.getpid()} {spec.run_id}".encode())
    os.close(fd)
    os._exit(1)
