"""Command line: ``exlab run | validate | list | describe`` (also ``python -m sim``).

Parsing and printing only; the work is done by :func:`sim.simulate` and the
scenario package. Bad input prints a plain message and exits with status 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]

EXIT_BAD_INPUT = 2


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _print_table(rows: list[list[str]], header: list[str], out=None) -> None:
    out = out or sys.stdout
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    print(line, file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)), file=out)


def _cmd_run(args) -> int:
    from tqdm import tqdm

    from sim.atomic import check_output_file
    from sim.run import TABLE_SUFFIXES, simulate, write_table
    from sim.scenario import ScenarioError, load_scenario, with_overrides

    # Checked before the run so a typo in --out or --outcome does not cost a whole simulation.
    if args.out:
        check_output_file(args.out, TABLE_SUFFIXES)
    if args.outcomes:
        _check_outcomes(args.outcomes)
    sc = load_scenario(args.scenario)
    # --seed and --ticks obey the schema's bounds on run.seed and run.ticks.
    given = {f"run.{k}": v for k, v in (("seed", args.seed), ("ticks", args.ticks)) if v is not None}
    if given:
        try:
            sc = with_overrides(sc, given)
        except ScenarioError as exc:
            raise ScenarioError(exc.problems, "command line") from None
    ticks = sc.run.ticks
    bar = tqdm(total=ticks, unit="day", desc=sc.name, disable=args.quiet or None, file=sys.stderr)

    def progress(done, total):
        bar.update(done - bar.n)

    res = simulate(sc, seed=sc.run.seed, ticks=ticks, progress=progress)
    bar.close()
    if args.out:
        try:
            write_table(res.table, args.out)
        except OSError as exc:
            raise ScenarioError([("--out", "a file that can be written",
                                  f"{args.out} ({exc.strerror or exc})")]) from None
        print(f"wrote {len(res.table)} rows to {args.out}")
    s = res.summary()
    print(f"\n{sc.name}: {sc.population.consumers:,} consumers, {ticks} days, seed {res.seed}, "
          f"{res.wall_s:.2f} s")
    keep = s[s.outcome.isin(args.outcomes)] if args.outcomes else s
    _print_table([[r.outcome, _fmt(r.value), r.unit, r.summary] for r in keep.itertuples()],
                 ["outcome", "value", "unit", "over run"])
    if res.campaign:
        c = res.campaign
        print(f"\ncampaign: {c['treated']:,} treated vs {c['control']:,} control "
              "(difference of means at the end, 95% Welch CI)")
        _print_table([[k, _fmt(c[k]["effect"]), f"[{_fmt(c[k]['ci_low'])}, {_fmt(c[k]['ci_high'])}]"]
                      for k in ("trust", "satisfaction", "retained")],
                     ["outcome", "effect", "95% CI"])
    top = res.influence.get("top_influencers") or []
    if top:
        print("\ntop influencers (consumer: trust moved in others): "
              + ", ".join(f"{i}: {w:.3g}" for i, w in top[:5]))
    return 0


def _check_outcomes(names: list[str]) -> None:
    """Refuse ``--outcome`` names that are not outcomes, naming the closest known ones."""
    import difflib

    from sim.metrics import OUTCOMES
    from sim.scenario import ScenarioError

    known = [o.name for o in OUTCOMES]
    problems = []
    for name in names:
        if name in known:
            continue
        near = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        expected = (f"an outcome name such as {', '.join(near)}" if near
                    else "an outcome name (" + ", ".join(known) + ")")
        problems.append(("--outcome", expected, repr(name)))
    if problems:
        raise ScenarioError(problems)


def _cmd_validate(args) -> int:
    from sim.memory import estimate_peak_bytes
    from sim.scenario import load_scenario

    sc = load_scenario(args.scenario)
    print(f"{args.scenario}: valid ({sc.name}; {sc.population.consumers:,} consumers, "
          f"{sc.run.ticks} days; predicted peak memory {estimate_peak_bytes(sc) / 2**30:.2f} GiB)")
    return 0


def _cmd_list(args) -> int:
    from sim.scenario import list_presets

    presets = list_presets()
    _print_table([[p.name, p.summary] for p in presets], ["preset", "question it answers"])
    return 0


def _cmd_describe(args) -> int:
    import re

    from sim.scenario import flatten, iter_params, load_scenario
    from sim.scenario.schema import Scenario

    sc = load_scenario(args.scenario)
    meta = {path: f for path, f, _ in iter_params()}
    defaults = dict(flatten(Scenario()))
    rows = []
    for path, value in flatten(sc):
        generic = re.sub(r"\[\d+\]", "[]", path)
        f = meta[generic]
        if path in defaults:
            default = defaults[path]
        else:
            default = f.default_factory() if callable(f.default_factory) else f.default
        rows.append([path, _fmt(value), _fmt(default), f.metadata.get("unit", ""),
                     f.metadata.get("meaning", "")])
    _print_table(rows, ["parameter", "value", "default", "unit", "meaning"])
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    p = argparse.ArgumentParser(
        prog="exlab",
        description="ExchangeLab: customer-relationship exchange networks under Bagozzi's "
                    "restricted, generalized and complex exchange, with word-of-mouth.",
        epilog="Examples:\n  exlab list\n  exlab run restricted_mutual_insurer --seed 7 --out out.parquet\n"
               "  exlab describe scenarios/complex_age.toml",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    r = sub.add_parser("run", help="run a scenario and print its summary",
                       description="Run a scenario (file or preset name) with a progress bar and "
                                   "print a summary of every outcome.")
    r.add_argument("scenario", help="scenario file (.toml) or preset name (see `exlab list`)")
    r.add_argument("--seed", type=int, default=None, help="root seed (default: the scenario's run.seed)")
    r.add_argument("--ticks", type=int, default=None, help="days to simulate (default: run.ticks)")
    r.add_argument("--out", default=None, help="write the per-day table to FILE.parquet or FILE.csv")
    r.add_argument("--outcome", dest="outcomes", action="append",
                   help="only show this outcome in the summary (repeatable)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=_cmd_run)

    v = sub.add_parser("validate", help="check a scenario file against the schema")
    v.add_argument("scenario")
    v.set_defaults(func=_cmd_validate)

    lp = sub.add_parser("list", help="list the preset scenarios with the question each answers")
    lp.set_defaults(func=_cmd_list)

    d = sub.add_parser("describe", help="every parameter with its value, default, unit and meaning")
    d.add_argument("scenario")
    d.set_defaults(func=_cmd_describe)
    return p


def _extend(parser: argparse.ArgumentParser) -> None:
    """Add subcommands contributed by other modules (experiments, report) when present."""
    try:
        from sim.experiments.cli import add_commands
    except ImportError:
        return
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    add_commands(sub)
    from sim.decisions.cli import add_command

    add_command(sub)
    from sim.calibration.cli import add_command as add_calibrate

    add_calibrate(sub)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``exlab``; returns the exit status."""
    from sim.env import VARIABLES, check_environment
    from sim.scenario import ScenarioError

    parser = build_parser()
    _extend(parser)
    args = parser.parse_args(argv)
    try:
        check_environment(name for name, (_, _, user) in VARIABLES.items() if user == "cli")
        return int(args.func(args) or 0)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
