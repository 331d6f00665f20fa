"""Runs: the unit of work of a sweep, its key, its seed, and the function a worker calls.

A run is one (point, replication) pair. Its key (``run_id``) names its part
file, so a resumed sweep skips what is done by listing file names. Its seed is
``derive_seed(design.seed, point, replication)`` (or
``derive_seed(design.seed, "common", replication)`` with common random
numbers), so results do not depend on the order or place in which runs execute.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis import summarize_run
from sim.experiments.designs import DTYPES, Design
from sim.experiments.spec import Experiment, Factor, OutcomeSpec
from sim.scenario import Scenario
from sim.seeds import derive_seed

__all__ = ["RunJob", "RunSpec", "execute_run", "expected_rows", "plan_runs", "run_rows", "summarize"]

ID_COLUMNS = ("run_id", "point", "replication", "seed")


@dataclass(frozen=True)
class RunSpec:
    """One run: its key, design point, replication, seed and scenario overrides."""

    run_id: str
    point: int
    replication: int
    seed: int
    params: dict


@dataclass(frozen=True)
class RunJob:
    """What every run of a sweep shares (sent to workers with each run).

    Attributes:
        base: The base scenario (overrides are applied on top of it).
        factors: The varied parameters (their kinds fix the column dtypes).
        outcomes: The outcomes kept and their shape.
    """

    base: Scenario
    factors: tuple[Factor, ...]
    outcomes: OutcomeSpec

    @classmethod
    def of(cls, exp: Experiment) -> RunJob:
        """The job of an experiment."""
        return cls(base=exp.base, factors=exp.factors, outcomes=exp.outcomes)


def run_key(point: int, replication: int, seed: int, params: dict) -> str:
    """``p000012-r003-<8 hex>``: sortable by point and replication, checked by content."""
    blob = json.dumps({"params": params, "seed": seed}, sort_keys=True, default=str)
    digest = hashlib.sha256(blob.encode("utf-8")).hexdigest()[:8]
    return f"p{point:06d}-r{replication:03d}-{digest}"


def plan_runs(exp: Experiment, design: Design) -> list[RunSpec]:
    """Every run of the experiment, point-major, with its derived seed."""
    spec = exp.design
    runs = []
    for point in range(len(design.points)):
        params = design.params(point)
        for rep in range(spec.replications):
            seed = (
                derive_seed(spec.seed, "common", rep)
                if spec.common_random_numbers
                else derive_seed(spec.seed, point, rep)
            )
            runs.append(RunSpec(run_key(point, rep, seed, params), point, rep, seed, params))
    return runs


def summarize(
    table: pd.DataFrame, names: tuple[str, ...] | list[str], at_ticks: tuple[int, ...] | list[int]
) -> pd.DataFrame:
    """Each outcome summarised over ticks 1..t by its registry rule, one row per ``t``.

    The summary is :func:`sim.analysis.summarize_run` of the rows up to ``t``
    (an outcome never recorded up to ``t`` is NaN). Ticks beyond the run are dropped.
    """
    rows = []
    ticks = table["tick"].to_numpy()
    for t in at_ticks:
        upto = table[ticks <= t]
        if upto.empty or int(upto["tick"].iloc[-1]) != t:
            continue
        rows.append({"tick": int(t), **summarize_run(upto, names)})
    return pd.DataFrame(rows, columns=["tick", *names])


def expected_rows(ticks: int, keep: str, at_ticks: tuple[int, ...] | list[int]) -> int:
    """Rows in the part file of a whole run of ``ticks`` days (what :func:`shape_table` keeps).

    Every tick with ``keep = "series"``; with ``"summary"`` one row per chosen
    tick the run reaches (one row, the last tick, when none are chosen).
    """
    if keep == "series":
        return ticks
    return sum(1 for t in at_ticks if t <= ticks) if at_ticks else 1


def run_rows(spec: RunSpec, job: RunJob) -> int:
    """Rows in the part file of ``spec`` once it is done (its own ``run.ticks`` when that varies)."""
    ticks = int(spec.params.get("run.ticks", job.base.run.ticks))
    return expected_rows(ticks, job.outcomes.keep, job.outcomes.at_ticks)


def shape_table(table: pd.DataFrame, spec: RunSpec, job: RunJob) -> pd.DataFrame:
    """A run's per-tick table -> the rows kept in its part file, with fixed column dtypes."""
    names = list(job.outcomes.names)
    if job.outcomes.keep == "series":
        kept = table[["tick", *names]].reset_index(drop=True)
    else:
        last = int(table["tick"].iloc[-1]) if len(table) else 0
        kept = summarize(table, names, job.outcomes.at_ticks or (last,))
    n = len(kept)
    out = pd.DataFrame(
        {
            "run_id": pd.Series([spec.run_id] * n, dtype=object),
            "point": np.full(n, spec.point, np.int64),
            "replication": np.full(n, spec.replication, np.int64),
            "seed": np.full(n, spec.seed, np.int64),
        }
    )
    for f in job.factors:
        out[f.path] = pd.Series([spec.params[f.path]] * n, dtype=DTYPES[f.kind])
    out["tick"] = kept["tick"].to_numpy(np.int64)
    for name in names:
        out[name] = kept[name].to_numpy(np.float64)
    return out


def execute_run(spec: RunSpec, job: RunJob) -> pd.DataFrame:
    """Run one point of the design with one seed; return its rows (what a worker calls).

    Pure apart from the simulation itself: it writes nothing, so a run that is
    executed twice (a retried task) cannot leave two copies behind.
    """
    from sim.run import simulate
    from sim.scenario import with_overrides

    sc = with_overrides(job.base, spec.params) if spec.params else job.base
    res = simulate(sc, seed=spec.seed)
    return shape_table(res.table, spec, job)
