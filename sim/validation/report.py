"""The evidence report: ``python -m sim.validation.report [--quick] [--reps N] [--out PATH]``.

Runs the theory cases (:mod:`sim.validation.cases`: the model configured to
a textbook case, against the formula) and the claims
(:mod:`sim.validation.claims`: what the model says about the sources'
claims, with effect sizes and confidence intervals), and writes them to
``docs/VALIDATION.md`` (or ``--out``) in one atomic write
(:func:`sim.atomic.atomic_write`). The header is stamped with
:func:`sim.experiments.engine.model_fingerprint` (the digest of the sources
that compute the numbers), the date, the machine, the wall time and the
command, so a reader (and ``tests/test_validation_report.py``) can tell
whether the report still describes the code.

Progress goes to stderr. Bad input (an option, ``--reps`` below 2, an
``--out`` that cannot be written) is refused in one line with exit status 2
before any run starts.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["DEFAULT_OUT", "EXIT_BAD_INPUT", "Stamp", "build_parser", "main", "parse_header", "render",
           "write_report"]

EXIT_BAD_INPUT = 2
#: Where ``make validate`` writes the report: docs/VALIDATION.md of the source tree.
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "docs" / "VALIDATION.md"
_COMMAND = "python -m sim.validation.report"


@dataclass(frozen=True)
class Stamp:
    """The report's header: what made it, where, when and how long it took.

    Attributes:
        fingerprint: :func:`sim.experiments.engine.model_fingerprint` when the run started.
        date: UTC date and time the run ended (``YYYY-MM-DD HH:MM UTC``).
        machine: Host, architecture, cores, processor and Python version.
        wall_s: Wall time of the whole run, in seconds.
        command: The command that made the report.
        mode: ``full`` (the evidence) or ``quick`` (smaller runs, for checking the report itself).
        reps: Replications per claim.
    """

    fingerprint: str
    date: str
    machine: str
    wall_s: float
    command: str
    mode: str
    reps: int


# ------------------------------------------------------------------ rendering
def _cell(text: object) -> str:
    """Text for one Markdown table cell: one line, pipes escaped."""
    return _line(text).replace("|", "\\|")


def _line(text: object) -> str:
    """Text on one line (runs of white space, newlines included, become one space)."""
    return " ".join(str(text).split())


def _num(x: float) -> str:
    """Four significant digits (whole numbers with thousands separators from 1,000 on); nan and inf spelled out."""
    x = float(x)
    if not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def _effect(estimate: float, low: float, high: float) -> str:
    """``estimate ± half-width`` for a symmetric interval, else ``estimate [low, high]``."""
    if not all(math.isfinite(v) for v in (estimate, low, high)):
        return f"{_num(estimate)} [{_num(low)}, {_num(high)}]"
    half = (high - low) / 2.0
    if abs((low + high) / 2.0 - estimate) <= 1e-6 * max(abs(half), abs(estimate), 1e-12):
        return f"{_num(estimate)} ± {_num(half)}"
    return f"{_num(estimate)} [{_num(low)}, {_num(high)}]"


def _duration(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m} min {s:02d} s" if m else f"{s} s"


_HEADER_KEYS = ("Model fingerprint", "Date", "Machine", "Wall time", "Command", "Mode", "Replications per claim")


def render(stamp: Stamp, theory: Sequence, claims: Sequence) -> str:
    """The report as Markdown: header, how to read it, the theory table, the claims table and explanations.

    ``theory`` holds :class:`sim.validation.cases.TheoryResult` rows; ``claims``
    rows with the fields of ``sim.validation.claims.ClaimResult`` (claim,
    source, hypothesis, design, outcome, estimate, ci_low, ci_high, n,
    verdict, explanation).
    """
    passed = sum(1 for r in theory if r.passed)
    out = [
        "# Validation report",
        "",
        "<!-- Written by `python -m sim.validation.report` (make validate); edits by hand are overwritten. -->",
        "",
        "| | |",
        "|---|---|",
        f"| Model fingerprint | `{stamp.fingerprint}` |",
        f"| Date | {_cell(stamp.date)} |",
        f"| Machine | {_cell(stamp.machine)} |",
        f"| Wall time | {_duration(stamp.wall_s)} |",
        f"| Command | `{_cell(stamp.command)}` |",
        f"| Mode | {stamp.mode} |",
        f"| Replications per claim | {stamp.reps} |",
        "",
        "## How to read this report",
        "",
        "- **Theory cases** configure the whole model so that one mechanism reduces to a textbook case "
        "(Bass diffusion, Erlang queues, bond percolation, adaptive expectations) and compare one measured "
        "number with the formula. A case passes when |measured − target| ≤ tolerance. Tolerances come from "
        "the runs (99% confidence intervals over replications or batches of days) unless the case says "
        "otherwise; for the two range cases the target is the middle of the accepted range and the "
        "tolerance its half-width. The configurations are `sim/validation/cases.py`, shared with the tests.",
        "- **Claims** are statements of the sources the model is meant to reproduce. Each row gives the "
        "hypothesis, the experiment run on the model to test it (its design), the estimated effect with its "
        "95% confidence interval and n, the number of observations behind it, and the verdict the interval "
        "supports; the paragraph under the table explains each verdict. `sim/validation/claims.py` holds "
        "the experiments.",
        "- **The stamp** is the SHA-256 of the sources that compute these numbers "
        "(`model_fingerprint()` in `sim/experiments/engine.py`). When the code or a preset changes, the "
        "stamp no longer matches and `tests/test_validation_report.py` fails: run `make validate`.",
        "",
        f"## Theory cases ({passed} of {len(theory)} pass)",
        "",
        "| Case | Target | Measured | Tolerance | Pass | Source |",
        "|---|---:|---:|---:|:---:|---|",
    ]
    for r in theory:
        out.append(f"| {_cell(r.case)} | {_num(r.target)} | {_num(r.measured)} | {_num(r.tolerance)} | "
                   f"{'yes' if r.passed else '**no**'} | {_cell(r.source)} |")
    out += ["", "Configurations:", ""]
    out += [f"- **{_cell(r.case)}**: {_line(r.note)}" for r in theory]
    out += ["", f"## Claims ({len(claims)})", ""]
    if not claims:
        out.append("No claim was run.")
        return "\n".join(out) + "\n"
    out += ["| # | Claim | Hypothesis | Condition | Effect ± 95% CI | n | Verdict |",
            "|---:|---|---|---|---|---:|---|"]
    for i, c in enumerate(claims, 1):
        condition = _split_design(c.design)[1]
        out.append(f"| {i} | {_cell(c.claim)} | {_cell(c.hypothesis)} | {_cell(condition or '-')} | "
                   f"{_cell(_effect(c.estimate, c.ci_low, c.ci_high))} | {int(c.n)} | {_cell(c.verdict)} |")
    out += ["", "### What each verdict rests on"]
    previous = None
    for i, c in enumerate(claims, 1):
        design = _split_design(c.design)[0]
        if (c.claim, c.source) != previous:  # the rows of one claim follow each other
            out += ["", f"#### {_line(c.claim)}", "", f"*Source:* {_line(c.source)}", "",
                    f"*Design:* {_line(design)}"]
            previous = (c.claim, c.source)
            shown = design
        elif design != shown:
            out += ["", f"*Design:* {_line(design)}"]
            shown = design
        out += ["", f"**{i}.** {_line(c.hypothesis)} *Outcome:* {_line(c.outcome)}. *Verdict:* {_line(c.verdict)}.",
                "", str(c.explanation).strip()]
    return "\n".join(out) + "\n"


def _split_design(design: str) -> tuple[str, str]:
    """A claim's design without its condition, and the condition (``"Condition: ..."`` at its end, or "")."""
    text = str(design).strip()
    at = text.rfind("Condition:")
    if at < 0:
        return text, ""
    return text[:at].strip(), text[at + len("Condition:"):].strip()


def parse_header(text: str) -> dict[str, str]:
    """The header rows of a report written by :func:`render`, by name (``Model fingerprint`` without backticks)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        m = re.fullmatch(r"\| ([^|]+?) \| (.*) \|", line.strip())
        if m and m.group(1) in _HEADER_KEYS and m.group(1) not in found:
            found[m.group(1)] = m.group(2).strip().strip("`")
        if line.startswith("## "):
            break
    return found


def write_report(path: str | Path, text: str) -> Path:
    """Write the report at ``path`` atomically (:func:`sim.atomic.atomic_write`)."""
    from sim.atomic import atomic_write

    return atomic_write(path, text.encode("utf-8"))


# ------------------------------------------------------------------ running
def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu)
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = f", load {os.getloadavg()[0]:.1f} at start" if hasattr(os, "getloadavg") else ""
    return (f"{platform.node()}, {platform.system()} {platform.machine()}, {cores} cores ({cpu}){load}, "
            f"Python {platform.python_version()}")


def _claim_rows() -> Callable:
    """``sim.validation.claims.claim_rows``, imported only when the claims are run."""
    from sim.validation.claims import claim_rows

    return claim_rows


class _Parser(argparse.ArgumentParser):
    """An argument parser that refuses bad input in one line (exit status 2), without the usage."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m sim.validation.report``."""
    p = _Parser(prog=_COMMAND, description="Run the theory cases and the claims and write the evidence report "
                                           "(Markdown, stamped with the model's fingerprint).")
    p.add_argument("--quick", action="store_true",
                   help="smaller and shorter runs: checks the report, is not the evidence")
    p.add_argument("--reps", type=int, default=10, metavar="N", help="replications per claim (>= 2; default 10)")
    p.add_argument("--out", default=str(DEFAULT_OUT), metavar="PATH",
                   help="the Markdown file to write (default: docs/VALIDATION.md)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the report; returns the exit status (0 written, 2 bad input, 1 claims missing, 130 interrupted)."""
    from sim.atomic import check_output_file
    from sim.scenario import ScenarioError

    args = build_parser().parse_args(argv)
    try:
        if args.reps < 2:
            raise ScenarioError([("--reps", "an integer >= 2", str(args.reps))])
        out = check_output_file(args.out, (".md",), "--out")
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return _run(args, out, argv)
    except KeyboardInterrupt:
        print("interrupted: nothing written", file=sys.stderr)
        return 130


def _run(args, out: Path, argv: list[str] | None) -> int:
    from tqdm import tqdm

    from sim.experiments.engine import model_fingerprint
    from sim.validation import cases

    try:
        claim_rows = _claim_rows()
    except ImportError as exc:
        print(f"error: the claims cannot be run ({exc})", file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    fingerprint = model_fingerprint()
    machine = _machine()
    given = sys.argv[1:] if argv is None else argv
    command = " ".join([_COMMAND, *(shlex.quote(a) for a in given)])

    with tqdm(total=len(cases.CASES), desc="theory", unit="case", file=sys.stderr, dynamic_ncols=True) as bar:
        def theory_progress(line: str) -> None:  # called before each case: the previous one is done
            if started:
                bar.update(1)
            started.append(line)
            bar.set_postfix_str(line.removeprefix("theory: "))

        started: list[str] = []
        theory = cases.theory_rows(args.quick, progress=theory_progress)
        bar.update(len(theory) - bar.n)
    with tqdm(desc="claims", unit="run", file=sys.stderr, dynamic_ncols=True) as bar:
        def claims_progress(line: str) -> None:
            done = re.search(r"\brun (\d+)/(\d+)", str(line))  # "run k/N: ..." gives the bar its total
            if done and bar.total != int(done.group(2)):
                bar.total = int(done.group(2))
            bar.set_postfix_str(str(line)[:80])
            bar.update(1)

        claims = claim_rows(reps=args.reps, quick=args.quick, progress=claims_progress)

    if model_fingerprint() != fingerprint:
        print("warning: the model's sources changed during the run; the report is stamped with the "
              "fingerprint at its start and will read as stale", file=sys.stderr)
    stamp = Stamp(fingerprint=fingerprint, date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                  machine=machine, wall_s=time.perf_counter() - t0, command=command,
                  mode="quick (smaller runs: not the evidence)" if args.quick else "full", reps=args.reps)
    write_report(out, render(stamp, theory, claims))
    failed = [r.case for r in theory if not r.passed]
    print(f"wrote {out} ({len(theory) - len(failed)} of {len(theory)} theory cases pass, "
          f"{len(claims)} claims) in {_duration(stamp.wall_s)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
