"""``exlab optimize`` and ``exlab discover``: parsing and printing only.

The work is in :mod:`sim.decisions.optimize` and :mod:`sim.decisions.discover`.

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


def _executor(args):
    """The executor the flags ask for; every bad combination is one ScenarioError."""
    import math

    from sim.experiments.executors import DaskExecutor, SerialExecutor
    from sim.scenario import ScenarioError

    if args.workers is not None and args.workers < 1:
        raise ScenarioError([("--workers", "an integer >= 1", str(args.workers))])
    if not (math.isfinite(args.connect_timeout) and args.connect_timeout > 0):
        raise ScenarioError([("--connect-timeout", "a number of seconds above 0", str(args.connect_timeout))])
    given = [f for f, on in (("--serial", args.serial), ("--workers", args.workers is not None),
                             ("--scheduler", bool(args.scheduler))) if on]
    if len(given) > 1:
        raise ScenarioError([(given[0], "one of --serial, --workers or --scheduler", " and ".join(given))])
    if args.serial:
        return SerialExecutor()
    if args.scheduler:
        try:
            return DaskExecutor(args.scheduler, connect_timeout=args.connect_timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ScenarioError([("--scheduler", "the address of a running Dask scheduler",
                                  f"{args.scheduler} ({type(exc).__name__}: {exc})")]) from None
    return DaskExecutor(workers=args.workers)


def _cmd_discover(args) -> int:
    from pathlib import Path

    from tqdm import tqdm

    from sim.atomic import check_output_folder
    from sim.decisions.discover import discover, load_discovery

    spec = load_discovery(args.discovery)
    out = Path(args.out)
    check_output_folder(out)
    executor = _executor(args)
    runs = spec.samples * spec.replications * 2
    bar = tqdm(total=runs, unit="run", desc=spec.name, disable=args.quiet or None, file=sys.stderr)

    def progress(done, total):
        bar.update(done - bar.n)

    with executor:
        d = discover(spec, out, executor, progress)
    bar.close()
    print(_discovery_summary(d, spec))
    return 0 if d.complete else 1


def _discovery_summary(d, spec) -> str:
    """The end-of-run text: the question, the boxes in words, robustness percentiles, the files."""
    flagged = int(d.samples["flag"].sum())
    lines = [f"{d.name}: where {d.question}?",
             f"{d.points_done} of {d.points_total} points x {spec.replications} replication(s), with and without "
             f"the change (same seeds): the outcome happens at {flagged} ({_pct(d.base_rate)})."]
    if d.note:
        lines.append(f"note: {d.note}")
    if not d.boxes:
        lines.append("no box: " + ("the outcome happens at no point" if flagged == 0 else "too few points"))
    for b in d.boxes:
        outside = "" if b.number == 1 else ", among the points outside the earlier boxes"
        lines.append(f"  box {b.number} (coverage {_pct(b.coverage)}, density {_pct(b.density)}, "
                     f"mass {_pct(b.mass)}{outside}): {b.words}")
    name = spec.outcome.name
    better = "higher" if spec.higher_is_better else "lower"
    lines.append(f"robustness of the change over the {d.points_done} points ({name}, {better} is better; "
                 "regret = loss against the better option at the same point):")
    lines.append(f"  {'option':8} {'p5':>10} {'p50':>10} {'p95':>10} {'regret p50':>11} {'regret p95':>11} "
                 f"{'best at':>8}")
    for r in d.robustness.to_dict("records"):
        if r.get("n"):
            lines.append(f"  {r['option']:8} {r['p5']:10.4g} {r['p50']:10.4g} {r['p95']:10.4g} "
                         f"{r['regret_p50']:11.4g} {r['regret_p95']:11.4g} {_pct(r['best_share']):>8}")
    lines.append(f"wrote {', '.join(str(d.out / f) for f in d.files)}")
    return "\n".join(lines)


def _pct(v) -> str:
    import math

    return "n/a" if v is None or not math.isfinite(v) else f"{100 * v:.0f}%"


def add_command(sub: argparse._SubParsersAction) -> None:
    """Add ``optimize`` and ``discover`` to the ``exlab`` subcommands."""
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
    _add_discover(sub)


def _add_discover(sub: argparse._SubParsersAction) -> None:
    from sim.experiments.executors import CONNECT_TIMEOUT_S

    d = sub.add_parser(
        "discover", help="find where a change's effect crosses a threshold (scenario discovery, PRIM)",
        description="Sample a discovery file's levers and uncertainties (Latin hypercube), run every point\n"
                    "with and without the change with the same seeds, mark the points where the outcome of\n"
                    "interest happens, and describe where they lie as PRIM boxes in plain words, with the\n"
                    "change's robustness (percentiles and regret) across the points. Rerun the same command\n"
                    "to resume after an interruption: finished runs are kept.",
        epilog="Example:\n  exlab discover experiments/decisions/automation_discovery.toml "
               "--out results/automation_discovery --serial\n\n"
               "Writes samples.csv, boxes.csv, trajectory.csv, trajectory.png, boxes.md, robustness.csv\n"
               "and summary.json in --out (see docs/DECISIONS.md).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    d.add_argument("discovery", help="discovery file (.toml)")
    d.add_argument("--out", required=True, help="folder of the runs (runs.jsonl) and the outputs")
    d.add_argument("--serial", action="store_true", help="run in this process, no Dask")
    d.add_argument("--workers", type=int, default=None, help="worker processes of the embedded local Dask cluster")
    d.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="address of a running Dask scheduler, e.g. tcp://host:8786")
    d.add_argument("--connect-timeout", type=float, default=CONNECT_TIMEOUT_S, metavar="SECONDS",
                   help=f"seconds to wait for the scheduler given by --scheduler (default: {CONNECT_TIMEOUT_S:g})")
    d.add_argument("--quiet", action="store_true", help="no progress bar")
    d.set_defaults(func=_cmd_discover)
