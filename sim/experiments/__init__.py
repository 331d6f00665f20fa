"""Experiments at scale: experiment files, designs, executors, resumable sweeps, reports.

The flow (EMA Workbench's architecture): an experiment file names a base
scenario, the parameters to vary, a design and the outcomes to keep
(:mod:`~sim.experiments.spec`); the design gives points
(:mod:`~sim.experiments.designs`); each (point, replication) is a run with a
derived seed and a key (:mod:`~sim.experiments.runs`); an executor runs them
(:mod:`~sim.experiments.executors`); the driver writes one Parquet part file per
run and a manifest (:mod:`~sim.experiments.store`, :mod:`~sim.experiments.sweep`);
:mod:`~sim.experiments.report` summarises a folder.

Example::

    from sim.experiments import load_experiment, run_sweep
    summary = run_sweep(load_experiment("experiments/complex_share_factorial.toml"), "results/cs")
"""

from sim.experiments.designs import Design, build_design
from sim.experiments.executors import DaskExecutor, SerialExecutor
from sim.experiments.report import load_results, print_report
from sim.experiments.runs import RunJob, RunSpec, execute_run, plan_runs
from sim.experiments.spec import Experiment, experiment_from_toml, load_experiment
from sim.experiments.sweep import SweepSummary, run_sweep

__all__ = [
    "DaskExecutor",
    "Design",
    "Experiment",
    "RunJob",
    "RunSpec",
    "SerialExecutor",
    "SweepSummary",
    "build_design",
    "execute_run",
    "experiment_from_toml",
    "load_experiment",
    "load_results",
    "plan_runs",
    "print_report",
    "run_sweep",
]
