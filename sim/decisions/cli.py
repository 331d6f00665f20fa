"""``exlab optimize``: parsing and printing only (the work is in :mod:`sim.decisions.optimize`).

Bad input raises :class:`~sim.scenario.ScenarioError`, which ``exlab`` prints
on one line and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_command"]


def _cmd_optimize(args) -> int:
    from pathlib import Path

    from tqdm import tqdm

    from sim.atomic import check_output_folder
    from sim.decisions.optimize import optimize
    from sim.decisions.spec import load_decision
    from sim.experiments.executors import DaskExecutor, SerialExecutor
    from sim.scenario import ScenarioError

    dec = load_decision(args.decision)
    if args.workers is not None and args.workers < 1:
        raise ScenarioError([("--workers", "an integer >= 1", str(args.workers))])
    if args.serial and args.scheduler:
        raise ScenarioError([("--serial", "either --serial or --scheduler", "both")])
    out = Path(args.out)
    check_output_folder(out)
    executor = (SerialExecutor() if args.serial
                else DaskExecutor(address=args.scheduler, workers=args.workers))
    bar = tqdm(total=dec.trials, unit="trial", desc=dec.name, disable=args.quiet or None, file=sys.stderr)

    def progress(done, total):
        bar.update(done - bar.n)

    with executor:
        df = optimize(dec, out, executor, progress)
    bar.close()
    if df.empty:
        print("no trial met the constraints: no Pareto point", file=sys.stderr)
    print(f"{len(df)} Pareto point(s), re-evaluated with fresh seeds (95% t intervals); wrote "
          f"{out / 'pareto.csv'}, {out / 'pareto.png'} and front_NN.toml")
    cols = [c for c in df.columns if c not in ("scenario",) and not c.endswith(("_ci_low", "_ci_high"))]
    for r in df.to_dict("records"):
        print("  " + ", ".join(f"{c}={r[c]:.4g}" if isinstance(r[c], float) else f"{c}={r[c]}" for c in cols)
              + f"  ({r['scenario']})")
    return 0


def add_command(sub: argparse._SubParsersAction) -> None:
    """Add ``optimize`` to the ``exlab`` subcommands."""
    s = sub.add_parser(
        "optimize", help="search a decision file's levers for the best trade-offs (optuna)",
        description="Optimize the levers of a decision file; rerun the same command to resume.",
        epilog="Example:\n  exlab optimize experiments/decisions/staffing_decision.toml --out results/staffing "
               "--serial",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("decision", help="decision file (.toml)")
    s.add_argument("--out", required=True, help="folder of the study (study.db) and its outputs")
    s.add_argument("--workers", type=int, default=None, help="worker processes of the embedded local cluster")
    s.add_argument("--scheduler", default=None, metavar="ADDRESS", help="address of a running Dask scheduler")
    s.add_argument("--serial", action="store_true", help="run in this process (reproducible search)")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=_cmd_optimize)
