"""``exlab sweep`` and ``exlab report``: parsing and printing only.

Bad input (an invalid experiment file, a changed experiment for an existing
results folder, a missing folder) raises :class:`~sim.scenario.ScenarioError`,
which ``exlab`` prints without a traceback and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys

from sim.experiments.executors import CONNECT_TIMEOUT_S

__all__ = ["add_commands"]


def _cmd_sweep(args) -> int:
    import math
    from pathlib import Path

    from sim.atomic import check_output_folder
    from sim.experiments.executors import SerialExecutor
    from sim.experiments.spec import load_experiment
    from sim.experiments.sweep import run_sweep
    from sim.scenario import ScenarioError

    exp = load_experiment(args.experiment)
    if args.workers is not None and args.workers < 1:
        raise ScenarioError([("--workers", "an integer >= 1", str(args.workers))])
    if args.serial and args.scheduler:
        raise ScenarioError([("--serial", "either --serial or --scheduler", "both")])
    if not (math.isfinite(args.connect_timeout) and args.connect_timeout > 0):
        raise ScenarioError([("--connect-timeout", "a number of seconds above 0", str(args.connect_timeout))])
    out = Path(args.out) if args.out else Path("results") / exp.name
    check_output_folder(out)
    executor = SerialExecutor() if args.serial else None
    if args.scheduler:
        from sim.experiments.executors import DaskExecutor

        try:
            executor = DaskExecutor(args.scheduler, connect_timeout=args.connect_timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            given = f"{args.scheduler} ({type(exc).__name__}: {exc})"
            raise ScenarioError(
                [("--scheduler", "the address of a running Dask scheduler", given)]
            ) from None
    try:
        s = run_sweep(
            exp,
            out,
            executor=executor,
            fresh=args.fresh,
            progress=not args.quiet,
            workers=args.workers,
        )
    finally:
        if executor is not None:
            executor.close()
    print(
        f"{exp.name}: {s.planned} runs planned, {s.skipped} already done, {s.done} done now, "
        f"{s.failed} failed, {s.missing} missing; {s.wall_s:.1f} s"
    )
    print(
        f"results: {s.folder} (read with pandas.read_parquet('{s.folder / 'runs'}'); "
        f"report with `exlab report {s.folder}`)"
    )
    if s.missing:
        print(
            f"{s.missing} runs are missing (see {s.folder / 'failures.csv'}); run the same "
            "command again to retry them",
            file=sys.stderr,
        )
        return 1
    return 0


def _cmd_report(args) -> int:
    from sim.experiments.report import print_report

    print_report(args.folder, plots=not args.no_plots)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``sweep`` and ``report`` to the ``exlab`` subcommands."""
    s = sub.add_parser(
        "sweep",
        help="run an experiment file (a parameter sweep) into a results folder",
        description="Run every run of an experiment file: an embedded Dask cluster on this "
        "machine by default, or a running Dask cluster (--scheduler). Started again "
        "with the same command, a sweep resumes where it stopped.",
        epilog="Examples:\n"
        "  exlab sweep experiments/tiny_factorial.toml --out results/tiny\n"
        "  exlab sweep experiments/tiny_sobol.toml --scheduler tcp://head:8786\n"
        "  exlab report results/tiny",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("experiment", help="experiment file (.toml)")
    s.add_argument(
        "--out", default=None, help="results folder (default: results/<experiment name>)"
    )
    s.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes of the embedded local cluster (default: usable cores)",
    )
    s.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="address of a running Dask scheduler, e.g. tcp://host:8786",
    )
    s.add_argument(
        "--connect-timeout",
        type=float,
        default=CONNECT_TIMEOUT_S,
        metavar="SECONDS",
        help=f"seconds to wait for the scheduler given by --scheduler (default: {CONNECT_TIMEOUT_S:g})",
    )
    s.add_argument(
        "--serial",
        action="store_true",
        help="run in this process without Dask (tiny sweeps, debugging)",
    )
    s.add_argument(
        "--fresh",
        action="store_true",
        help="discard this sweep's earlier results in the folder (the files its manifest lists, "
        "nothing else; needed after changing the experiment)",
    )
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=_cmd_sweep)

    r = sub.add_parser(
        "report",
        help="means with 95%% CIs, sensitivity indices and plots of a results folder",
        description="Print per-configuration means with 95% t intervals (and Sobol or Morris "
        "indices for those designs); write summary.csv, sensitivity.csv and PNG "
        "plots into FOLDER/plots/.",
    )
    r.add_argument("folder", help="results folder written by `exlab sweep`")
    r.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    r.set_defaults(func=_cmd_report)
