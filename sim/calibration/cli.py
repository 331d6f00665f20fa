"""``exlab calibrate``: parsing and printing only (the work is in :mod:`sim.calibration.fit`).

Bad input raises :class:`~sim.scenario.ScenarioError`, which ``exlab`` prints
on one line and exits with status 2; so does a missing pyabc (with the
command that installs it).
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_command"]

EPILOG = """Example (the synthetic sample of docs/CALIBRATION.md):
  exlab calibrate experiments/calibration/bank_calibration.toml --out results/bank_calibration --workers 2

Rerun the same command to resume after an interruption (the generations done are kept in DIR/abc.db).
Writes DIR/posterior.csv, samples.csv, correlation.csv, bands.csv, posterior.png, fit.png and
calibrated.toml (the base scenario with the posterior medians: exlab run DIR/calibrated.toml).
--serial gives the same posterior on every run of the same file; on Dask workers each simulation
is reproducible but the posterior only up to Monte Carlo error."""


def _cmd_calibrate(args) -> int:
    from pathlib import Path

    from tqdm import tqdm

    from sim.atomic import check_output_folder
    from sim.calibration.fit import require_pyabc
    from sim.calibration.spec import load_calibration
    from sim.scenario import ScenarioError

    require_pyabc()
    if args.workers is not None and args.workers < 1:
        raise ScenarioError([("--workers", "an integer >= 1", str(args.workers))])
    given = [o for o, v in (("--serial", args.serial), ("--workers", args.workers is not None),
                            ("--scheduler", args.scheduler)) if v]
    if len(given) > 1:
        raise ScenarioError([(given[0], "one of --serial, --workers or --scheduler", " and ".join(given))])
    out = check_output_folder(Path(args.out))
    cal = load_calibration(args.calibration)

    from sim.calibration.fit import calibrate
    from sim.experiments.executors import DaskExecutor, SerialExecutor

    executor = SerialExecutor() if args.serial else DaskExecutor(address=args.scheduler, workers=args.workers)
    bar = tqdm(total=cal.budget.generations, unit="gen", desc=cal.name, disable=args.quiet or None,
               file=sys.stderr)

    def progress(p) -> None:
        if p.stage == "abc":
            bar.update(p.generation - bar.n)
            eps = "inf" if p.epsilon == float("inf") else f"{p.epsilon:.3g}"
            bar.set_postfix_str(f"simulations={p.simulations}, epsilon={eps}", refresh=False)
        else:
            bar.set_postfix_str(f"predictive bands {p.simulations}/{p.total}")

    with executor:
        res = calibrate(cal, out, executor, progress)
    bar.close()
    print(f"{cal.name}: {res.generations} generations, {res.simulations} simulations, final tolerance "
          f"{res.epsilon[-1]:.3g}; stopped on {res.stopped}")
    if not res.complete:
        print("not finished: rerun the same command to continue", file=sys.stderr)
    for line in res.summary_lines():
        print("  " + line)
    print(f"wrote {out / 'posterior.csv'}, bands.csv, posterior.png, fit.png and {out / 'calibrated.toml'}")
    return 0


def add_command(sub: argparse._SubParsersAction) -> None:
    """Add ``calibrate`` to the ``exlab`` subcommands."""
    s = sub.add_parser(
        "calibrate", help="fit a scenario's parameters to a firm's KPI series (ABC-SMC, pyabc)",
        description="Estimate the parameters of a calibration file from its KPI series by ABC-SMC (pyabc), "
                    "with their uncertainty; rerun the same command to resume. See docs/CALIBRATION.md.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("calibration", metavar="FILE", help="calibration file (.toml)")
    s.add_argument("--out", required=True, metavar="DIR", help="folder of the store (abc.db) and the outputs")
    s.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes of the embedded local Dask cluster (default: the usable cores)")
    s.add_argument("--scheduler", default=None, metavar="ADDRESS", help="address of a running Dask scheduler")
    s.add_argument("--serial", action="store_true", help="run in this process (reproducible posterior)")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=_cmd_calibrate)
