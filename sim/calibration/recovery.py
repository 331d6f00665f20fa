"""Parameter recovery: does ``exlab calibrate`` find hidden values it did not see, with honest intervals?

``python -m sim.calibration.recovery [--quick] [--workers N | --serial] [--out PATH]``
writes ``docs/RECOVERY.md`` in one atomic write, stamped with
:func:`sim.experiments.engine.model_fingerprint` (the model's sources and presets)
and :func:`calibration_fingerprint` (SHA-256 of ``sim/calibration/*.py``), so that
``tests/calibration/test_recovery_report.py`` fails when either changed after the
report was made. ``--quick`` (4 sets, a smaller budget) checks the report itself
and is not the evidence.

**Design.** The model makes the data. :data:`SETS` sets of hidden values are drawn
uniformly from the priors (set i from ``derive_seed(ROOT_SEED, "truth", i)``). Set i
runs the recovery market (:func:`recovery_base`: the default bank at
:data:`CONSUMERS` consumers, customers a little more ready to leave) for
``max(LENGTHS)`` days with seed ``derive_seed(ROOT_SEED, "data", i)``; its daily
KPIs (:data:`KPIS`) are written as a KPI CSV, and the first ``n`` days of it are
the series of length ``n``. A calibration file (:func:`calibration_text`: the
priors of :data:`PARAMETERS`, ``summary = "levels"``, seed
``derive_seed(ROOT_SEED, "calibration", i)``, the budget :data:`BUDGET`) is run
on it serially, as ``exlab calibrate --serial`` would, without the hidden
values. A calibration is the task ``(set, days)``; two studies share them:

- the *main* study calibrates every set on :data:`MAIN_LENGTH` days (coverage,
  widths, correlations);
- the *shrinkage* study calibrates the first :data:`SHRINK_SETS` sets on each
  length of :data:`LENGTHS` (the longest is the main study's own calibration).
  Every length gets the same generations (the acceptance-rate stop set so low
  that it does not end one length earlier than another), so that the widths
  differ by the data alone. The intervals of an ABC-SMC narrow with every
  generation until the tolerance reaches the noise of the data; the share by
  which they narrowed in the last generation says how close to that limit they
  are.

The main study's intervals are those of a tolerance above zero, hence wider
than the exact posterior's (conservative): its coverage may exceed 90%.

**Measures**, per parameter:

- *coverage*: how many of the :data:`SETS` 90% intervals (the 5% and 95% weighted
  posterior quantiles) contain the hidden value. An exact 90% interval covers it
  18 times in 20 on average and at least 16 times with probability 0.87
  (binomial(20, 0.9)); fewer than 16 is evidence of over-confident intervals;
- *width*: ``(q95 - q05) / (high - low)``, the 90% interval's share of the prior
  range: its mean and largest value over the sets (criterion: below 0.5);
- *shrinkage*: the mean width over the first :data:`SHRINK_SETS` sets at each
  length in :data:`LENGTHS` (the same data, cut shorter), the number of those
  sets whose interval on the longest series is narrower than on the shortest
  (paired: the same set and data), and how much the intervals still narrowed in
  their last generation (a large value: limited by the budget rather than the
  data);
- *identifiability*: the weighted posterior correlation between parameters
  (mean over the sets), and a sensitivity table: each KPI's level (its mean over
  the :data:`MAIN_LENGTH` days) when a parameter moves from the low to the high end
  of its prior, the others in the middle of theirs, over :data:`SENSITIVITY_SEEDS`
  runs, in units of the sd of that level between seeds. ``churn.threshold``, not
  estimated, is added with the range :data:`CONFOUNDER` to show a parameter these
  KPIs cannot tell from ``churn.max_rate_per_year``: the cosine between two rows'
  effect vectors near 1 means the KPIs move the same way for both.

Every simulation's seed derives from :data:`ROOT_SEED` and every calibration is
serial, so the numbers do not depend on how many worker processes run them.

**Resume.** Each finished calibration is appended, as one JSON line, to
``--work DIR/results.jsonl`` (default ``build/recovery``) with a key: the SHA-256
of its calibration file, base scenario, task, hidden values, the model's
fingerprint, the calibration engine's sources (``sim/calibration/*.py`` but this
file) and :data:`RESULT_VERSION`. A run killed part way is rerun with the same
command and calibrates only what has no stored result under its current key; a
line torn by the kill is ignored. Nothing in the folder is ever deleted.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import platform
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.scenario import Scenario, load_scenario, with_overrides
from sim.seeds import derive_seed

__all__ = ["BUDGET", "DEFAULT_OUT", "DEFAULT_WORK", "ResultStore", "task_key",
           "KPIS", "PARAMETERS", "SETS", "Stamp", "calibration_fingerprint",
           "calibration_text", "main", "parse_header", "recover", "recovery_base", "render", "sensitivity", "truths"]

EXIT_BAD_INPUT = 2
ROOT_SEED = 20261130
#: The recovery market: the default bank at this population (above 10,000 the social graph is built by numpy,
#: which makes a run of a few days about twice as fast as at 4,000 with networkx).
CONSUMERS = 10500
#: Changes to the default bank: more consumers near the churn threshold (so that a few weeks of churn inform),
#: and a short warm-up at a higher speed (the same adaptation, fewer simulated days).
BASE_OVERRIDES: dict[str, Any] = {"population.consumers": CONSUMERS, "churn.threshold": 0.5,
                                  "run.warmup_days": 10, "run.warmup_speed": 120.0}
#: (path, prior low, prior high) of the estimated parameters.
PARAMETERS = (("churn.max_rate_per_year", 0.2, 2.0),
              ("segments[*].requests_per_month", 0.3, 1.2),
              ("satisfaction.loss_weight", 0.5, 4.0))
#: A parameter not estimated, in the sensitivity table only: (path, low, high).
CONFOUNDER = ("churn.threshold", 0.35, 0.65)
#: (outcome, unit) of the KPI columns: three flows, whose information grows with the series.
KPIS = (("churn_rate", "1/year"), ("contacts_human", "contacts"), ("complaints", "messages"))
PERIOD = "day"
LENGTHS = (4, 8, 16)
MAIN_LENGTH = 16
SETS = 20
SHRINK_SETS = 10
SENSITIVITY_SEEDS = 4
#: Every calibration's ABC-SMC budget: eleven generations whatever the length of the series (a stop on acceptance
#: only below 5%, which none reached in the runs reported).
BUDGET = {"generations": 11, "population_size": 50, "max_simulations": 6000, "min_acceptance_rate": 0.05,
          "quantile": 0.5}
#: The smaller study of ``--quick``: sets, shrinkage sets and changes to :data:`BUDGET`.
QUICK = {"sets": 4, "shrink_sets": 1, "budget": {"generations": 3, "population_size": 20}}
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "docs" / "RECOVERY.md"
DEFAULT_WORK = Path(__file__).resolve().parents[2] / "build" / "recovery"
#: Raised whenever :func:`recover` changes what it computes or returns, so that no stored result of older code
#: is reused (this file is not part of the stored results' key otherwise: a change to the report alone keeps them).
RESULT_VERSION = 2
_COMMAND = "python -m sim.calibration.recovery"
COVERAGE_MIN = 16
WIDTH_MAX = 0.5


def recovery_base() -> Scenario:
    """The recovery market: ``default_bank`` with :data:`BASE_OVERRIDES`."""
    return with_overrides(load_scenario("default_bank"), BASE_OVERRIDES)


def _customers() -> float:
    from sim.calibration.spec import model_customers

    return model_customers(recovery_base())


def truths(n: int = SETS) -> list[dict[str, float]]:
    """The hidden values of sets 0..n-1, uniform in the priors."""
    out = []
    for i in range(n):
        rng = np.random.default_rng(derive_seed(ROOT_SEED, "truth", i))
        out.append({p: float(rng.uniform(lo, hi)) for p, lo, hi in PARAMETERS})
    return out


def calibration_text(budget: dict | None = None, seed: int = 1) -> str:
    """A recovery's calibration file (``base.toml``, ``kpis.csv`` next to it); ``budget`` changes :data:`BUDGET`."""
    b = {**BUDGET, **(budget or {})}
    lines = ['name = "recovery"', 'base = "base.toml"', 'observed = "kpis.csv"', f"seed = {seed}",
             'summary = "levels"', "band_draws = 4", f"customers = {_customers()}"]
    for p, lo, hi in PARAMETERS:
        lines += ["", "[[parameters]]", f'path = "{p}"', f"low = {lo}", f"high = {hi}"]
    lines += ["", "[budget]"] + [f"{k} = {v}" for k, v in b.items()]
    return "\n".join(lines) + "\n"


def _data(i: int, days: int) -> bytes:
    from sim.calibration.synthetic import synthetic_kpis, to_csv

    df = synthetic_kpis(recovery_base(), truths(i + 1)[i], period=PERIOD, periods=max(LENGTHS),
                        seed=derive_seed(ROOT_SEED, "data", i), kpis=KPIS, customers=_customers())
    return to_csv(df[df[PERIOD] <= days])


def recover(task: tuple[int, int], budget: dict | None = None) -> dict:
    """Calibrate set ``i`` on its first ``days`` days (task ``(i, days)``) without its hidden values.

    Args:
        task: Set and days.
        budget: Changes to :data:`BUDGET` (``--quick``).

    Returns:
        ``rows`` (one per parameter: truth, median, q05, q95, width, covered),
        ``simulations``, ``generations``, ``stopped``, ``correlation``, ``by_generation``
        (each generation's widths), ``wall_s`` and ``cpu_s``.
    """
    from sim.calibration.fit import calibrate
    from sim.calibration.spec import calibration_from_toml
    from sim.scenario import to_toml

    i, days = task
    text = calibration_text(budget, seed=derive_seed(ROOT_SEED, "calibration", i) % 2**32)
    t0, c0 = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory(prefix="exlab-recovery-") as tmp:
        (Path(tmp) / "base.toml").write_text(to_toml(recovery_base()))
        cal = calibration_from_toml(text, f"recovery set {i}, {days} days", base_dir=tmp,
                                    observed_csv=_data(i, days))
        res = calibrate(cal, Path(tmp) / "out", "serial")
        by_generation = _widths_by_generation(cal, Path(tmp) / "out" / "abc.db")
    truth = truths(i + 1)[i]
    rows = [{"set": i, "days": days, "parameter": r["parameter"], "truth": truth[r["parameter"]],
             "median": r["median"], "q05": r["q05"], "q95": r["q95"], "width": r["interval_share"],
             "covered": bool(r["q05"] <= truth[r["parameter"]] <= r["q95"])}
            for r in res.posterior.to_dict("records")]
    return {"set": i, "days": days, "rows": rows, "simulations": res.simulations,
            "generations": res.generations,
            "stopped": res.stopped, "correlation": res.correlation.to_numpy().tolist(),
            "by_generation": by_generation, "wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}


def _widths_by_generation(cal, db: Path) -> list[list[float]]:
    """Per generation, each parameter's 90% interval as a share of its prior range."""
    from sim.calibration.fit import require_pyabc

    pyabc = require_pyabc()
    h = pyabc.History(f"sqlite:///{db}", _id=1)
    out = []
    for t in range(h.max_t + 1):
        df, w = h.get_distribution(m=0, t=t)
        row = []
        for p in cal.parameters:
            x = df[p.path].to_numpy(dtype=float)
            lo, hi = (pyabc.weighted_statistics.weighted_quantile(x, w, alpha=a) for a in (0.05, 0.95))
            row.append(float((hi - lo) / (p.high - p.low)))
        out.append(row)
    return out


def _sensitivity_run(task: tuple[str, str, int]) -> dict[str, float]:
    """One run of the sensitivity table: KPI levels with one parameter at one end of its range."""
    from sim.calibration.observed import aggregate
    from sim.run import simulate

    path, end, r = task
    values = {p: (lo + hi) / 2 for p, lo, hi in PARAMETERS}
    ranges = {p: (lo, hi) for p, lo, hi in (*PARAMETERS, CONFOUNDER)}
    if path:
        values[path] = ranges[path][0 if end == "low" else 1]
    sc = with_overrides(recovery_base(), {**values, "run.ticks": MAIN_LENGTH})
    names = [k for k, _ in KPIS]
    table = simulate(sc, seed=derive_seed(ROOT_SEED, "sensitivity", r)).table
    agg = aggregate(table, names, 1)
    return {k: float(agg[k].mean()) for k in names}


def sensitivity(executor) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sensitivity table (effects in noise units; rows: parameters, columns: KPIs) and the rows' cosines."""
    names = [p for p, _, _ in PARAMETERS] + [CONFOUNDER[0]]
    tasks = [(p, end, r) for p in names for end in ("low", "high") for r in range(SENSITIVITY_SEEDS)]
    got: dict[tuple, dict] = {}
    for done in executor.imap_unordered(_sensitivity_run, tasks):
        if done.error is not None:
            raise RuntimeError(f"sensitivity run {done.task} failed: {done.error}")
        got[done.task] = done.value
    kpis = [k for k, _ in KPIS]
    eff = pd.DataFrame(index=names, columns=kpis, dtype=float)
    for p in names:
        lo = pd.DataFrame([got[(p, "low", r)] for r in range(SENSITIVITY_SEEDS)])
        hi = pd.DataFrame([got[(p, "high", r)] for r in range(SENSITIVITY_SEEDS)])
        sd = np.sqrt((lo.var(ddof=1) + hi.var(ddof=1)) / 2)
        eff.loc[p] = ((hi.mean() - lo.mean()) / sd.replace(0, np.nan)).to_numpy()
    unit = eff.fillna(0.0).to_numpy()
    norm = np.linalg.norm(unit, axis=1, keepdims=True)
    cos = (unit / np.where(norm > 0, norm, 1)) @ (unit / np.where(norm > 0, norm, 1)).T
    return eff, pd.DataFrame(cos, index=names, columns=names)


def calibration_fingerprint(exclude: tuple[str, ...] = ()) -> str:
    """SHA-256 over ``sim/calibration/*.py`` but the names in ``exclude``.

    Each file enters as its path, a NUL, its bytes and a NUL, in path order.
    """
    folder = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        if path.name not in exclude:
            h.update(f"sim/calibration/{path.name}".encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _engine_fingerprint() -> str:
    """The calibration code a stored result was made by: :func:`calibration_fingerprint` without this file."""
    return calibration_fingerprint(exclude=(Path(__file__).name,))


def task_key(task: tuple[int, int], budget: dict | None, model: str, engine: str) -> str:
    """The key of a stored calibration: what its result depends on (see *Resume* in the module docstring)."""
    import json

    from sim.scenario import to_toml

    i, days = task
    parts = {"version": RESULT_VERSION, "task": [i, days], "model": model, "engine": engine,
             "calibration": calibration_text(budget, seed=derive_seed(ROOT_SEED, "calibration", i) % 2**32),
             "base": to_toml(recovery_base()), "truth": truths(i + 1)[i],
             "data": [ROOT_SEED, PERIOD, max(LENGTHS), [list(k) for k in KPIS]]}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


class ResultStore:
    """Finished calibrations by key, in ``folder/results.jsonl`` (one JSON line each, flushed and synced)."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / "results.jsonl"

    def load(self) -> dict[str, dict]:
        """Stored results by key; lines that do not parse (torn by a kill) are left out."""
        import json

        found: dict[str, dict] = {}
        if not self.path.is_file():
            return found
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                rec = json.loads(line)
                found[rec["key"]] = rec["result"]
            except (ValueError, KeyError, TypeError):
                continue
        return found

    def add(self, key: str, result: dict) -> None:
        """Append one result; a line torn earlier is ended first so that this one parses."""
        import json

        self.path.parent.mkdir(parents=True, exist_ok=True)
        torn = False
        if self.path.is_file() and self.path.stat().st_size > 0:
            with open(self.path, "rb") as fh:
                fh.seek(-1, os.SEEK_END)
                torn = fh.read(1) != b"\n"
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(("\n" if torn else "") + json.dumps({"key": key, "result": result}) + "\n")
            fh.flush()
            os.fsync(fh.fileno())


# ------------------------------------------------------------------ the report
@dataclass(frozen=True)
class Stamp:
    """The report's header: what made it, where, when and how long it took."""

    model: str
    calibration: str
    date: str
    machine: str
    wall_s: float
    cpu_s: float
    command: str
    mode: str
    reused: int = 0


_HEADER_KEYS = ("Model fingerprint", "Calibration fingerprint", "Date", "Machine", "Wall time", "Calibrations",
                "CPU time of the calibrations", "Command", "Mode")


def parse_header(text: str) -> dict[str, str]:
    """The header rows of a report written by :func:`render`, by name (fingerprints without backticks)."""
    import re

    found: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("## "):
            break
        m = re.fullmatch(r"\| ([^|]+?) \| (.*) \|", line.strip())
        if m and m.group(1) in _HEADER_KEYS and m.group(1) not in found:
            found[m.group(1)] = m.group(2).strip().strip("`")
    return found


def _duration(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m} min {s:02d} s" if m else f"{s} s"


def _f(x: float, digits: int = 2) -> str:
    return "nan" if not math.isfinite(x) else f"{x:.{digits}f}"


Task = tuple[int, int]


def study_tasks(sets: int = SETS, shrink_sets: int = SHRINK_SETS) -> tuple[set[Task], set[Task]]:
    """The (set, days) tasks of the main study and of the shrinkage study; a task may belong to both.

    Main: sets ``0..sets-1`` on :data:`MAIN_LENGTH` days; shrinkage: sets ``0..shrink_sets-1`` on each of
    :data:`LENGTHS`.
    """
    return ({(i, MAIN_LENGTH) for i in range(sets)},
            {(i, d) for d in LENGTHS for i in range(shrink_sets)})


def summarize(results: list[dict], sets: int = SETS, shrink_sets: int = SHRINK_SETS) -> dict[str, Any]:
    """Coverage, widths and correlations of the main study; widths by length of the shrinkage study."""
    lengths = LENGTHS
    main_tasks, shrink_tasks = study_tasks(sets, shrink_sets)
    main_res = [res for res in results if (res["set"], res["days"]) in main_tasks]
    shrink_res = [res for res in results if (res["set"], res["days"]) in shrink_tasks]
    rows = pd.DataFrame([r for res in main_res for r in res["rows"]])
    srows = pd.DataFrame([r for res in shrink_res for r in res["rows"]])
    names = [p for p, _, _ in PARAMETERS]
    per = {}
    for k, p in enumerate(names):
        m = rows[rows.parameter == p]
        sp = srows[srows.parameter == p] if len(srows) else srows
        per[p] = {"covered": int(m.covered.sum()), "n": len(m), "width_mean": float(m.width.mean()),
                  "width_max": float(m.width.max()), "wide": int((m.width >= WIDTH_MAX).sum()),
                  "shrink": {d: float(sp[sp.days == d].width.mean()) if len(sp) and (sp.days == d).any()
                             else math.nan for d in lengths},
                  "narrowing": {d: _last_narrowing([r for r in shrink_res if r["days"] == d], k) for d in lengths},
                  "paired": _paired_narrower(sp, min(lengths), max(lengths))}
    corr = [np.array(res["correlation"]) for res in main_res]
    mean_corr = pd.DataFrame(np.mean(corr, axis=0), index=names, columns=names) if corr else None

    def mean(study: list[dict], key: str) -> float:
        return float(np.mean([res[key] for res in study])) if study else math.nan

    return {"per": per, "correlation": mean_corr, "main": main_res,
            "shrink_sets": sorted({res["set"] for res in shrink_res}),
            "simulations": int(sum(res["simulations"] for res in results)),
            "simulations_main_mean": mean(main_res, "simulations"),
            "generations_main_mean": mean(main_res, "generations"),
            "simulations_shrink_mean": mean(shrink_res, "simulations"),
            "generations_shrink_mean": mean(shrink_res, "generations")}


def _paired_narrower(rows: pd.DataFrame, short: int, long: int) -> tuple[int, int]:
    """(sets whose interval on ``long`` days is narrower than on ``short`` days, sets calibrated on both)."""
    if not len(rows):
        return 0, 0
    w = rows.pivot_table(index="set", columns="days", values="width")
    if short not in w.columns or long not in w.columns:
        return 0, 0
    both = w[[short, long]].dropna()
    return int((both[long] < both[short]).sum()), len(both)


def _last_narrowing(results: list[dict], k: int) -> float:
    """Mean share by which parameter k's interval narrowed in the last generation of these calibrations."""
    got = [1.0 - res["by_generation"][-1][k] / res["by_generation"][-2][k] for res in results
           if len(res["by_generation"]) >= 2 and res["by_generation"][-2][k] > 0]
    return float(np.mean(got)) if got else math.nan


def render(stamp: Stamp, results: list[dict], eff: pd.DataFrame, cos: pd.DataFrame, *, sets: int = SETS,
           shrink_sets: int = SHRINK_SETS, budget: dict | None = None) -> str:
    """The report as Markdown (``results`` of :func:`recover`, the :func:`sensitivity` tables)."""
    b = {**BUDGET, **(budget or {})}
    s = summarize(results, sets, shrink_sets)
    per = s["per"]
    names = [p for p, _, _ in PARAMETERS]
    priors = {p: (lo, hi) for p, lo, hi in PARAMETERS}
    out = [
        "# Parameter recovery report",
        "",
        "<!-- Written by `python -m sim.calibration.recovery` (make validate); edits by hand are overwritten. -->",
        "",
        "| | |",
        "|---|---|",
        f"| Model fingerprint | `{stamp.model}` |",
        f"| Calibration fingerprint | `{stamp.calibration}` |",
        f"| Date | {stamp.date} |",
        f"| Machine | {stamp.machine.replace('|', '/')} |",
        f"| Wall time | {_duration(stamp.wall_s)} |",
        f"| Calibrations | {len(results)}" + (f", {stamp.reused} of them taken from the store (finished by an "
                                               "earlier or interrupted run)"
                                               if stamp.reused else "") + " |",
        f"| CPU time of the calibrations | {_duration(stamp.cpu_s)} |",
        f"| Command | `{stamp.command}` |",
        f"| Mode | {stamp.mode} |",
        "",
        "## How to read this report",
        "",
        f"The model made the data: {sets} sets of hidden parameter values, drawn uniformly from the priors, each "
        f"run on the recovery market and reduced to daily KPIs, then calibrated by `exlab calibrate` (serially, "
        f"the default `summary = \"levels\"`) without the values. A 90% interval should contain the hidden value "
        f"in about 18 sets of 20; at least {COVERAGE_MIN} is the criterion (an exact 90% interval meets it with "
        "probability 0.87). *Width* is the 90% interval's share of the prior range (criterion: below "
        f"{WIDTH_MAX}). *Shrinkage* calibrates the first sets again on shorter series of the same data (their "
        "first days), with the same budget, so that the widths differ by the data alone. "
        "The intervals come from an ABC tolerance above zero, hence are wider than the exact "
        "posterior's (conservative): coverage above 18 of 20 may be expected of them. "
        "The design and the measures are in the docstring of `sim/calibration/recovery.py`; the method "
        "in [CALIBRATION.md](CALIBRATION.md). The stamp is the SHA-256 of the model's sources and presets "
        "(`model_fingerprint()`) and of `sim/calibration/*.py`: when either changes, "
        "`tests/calibration/test_recovery_report.py` fails until the report is made again.",
        "",
        "## Design",
        "",
        f"- **Market**: the preset `default_bank` at {CONSUMERS:,} consumers with "
        + ", ".join(f"`{k} = {v}`" for k, v in BASE_OVERRIDES.items() if k != "population.consumers")
        + " (customers leave more readily than in the preset, so that a few days of churn in a large market inform).",
        f"- **KPIs** (daily, {', '.join(f'`{k} [{u}]`' for k, u in KPIS)}): three flows, whose information "
        "grows with the length of the series.",
        f"- **Series**: {MAIN_LENGTH} days for every set (main study); {', '.join(str(d) for d in LENGTHS)} "
        f"days for the first {len(s['shrink_sets'])} sets (shrinkage study, whose {MAIN_LENGTH}-day calibrations "
        "are the main study's).",
        "- **Priors** (uniform): " + "; ".join(f"`{p}` on [{lo:g}, {hi:g}]" for p, lo, hi in PARAMETERS) + ".",
        "- **ABC-SMC budget** of every calibration: " + ", ".join(f"{k} = {v}" for k, v in b.items())
        + f"; on average {s['simulations_main_mean']:.0f} simulations and {s['generations_main_mean']:.1f} "
          f"generations per calibration of the main study, {s['simulations_shrink_mean']:.0f} and "
          f"{s['generations_shrink_mean']:.1f} of the shrinkage study. {s['simulations']:,} simulations in all.",
        "",
        f"## Results ({MAIN_LENGTH} days, {sets} sets)",
        "",
        "| Parameter | Prior | Coverage of the 90% interval | Mean width | Largest width | Verdict |",
        "|---|---|---:|---:|---:|---|",
    ]
    for p in names:
        r = per[p]
        ok_cov = r["covered"] >= COVERAGE_MIN * r["n"] / 20
        ok_w = r["width_mean"] < WIDTH_MAX
        verdict = ("meets both criteria" if ok_cov and ok_w else
                   "; ".join(x for x in (None if ok_cov else "**coverage below the criterion**",
                                         None if ok_w else "**wider than half the prior range**") if x))
        if ok_cov and ok_w and r["width_max"] >= WIDTH_MAX:
            verdict += f" (on average; wider than {WIDTH_MAX} in {r['wide']} of {r['n']} sets)"
        lo, hi = priors[p]
        out.append(f"| `{p}` | [{lo:g}, {hi:g}] | {r['covered']} of {r['n']} | {_f(r['width_mean'])} | "
                   f"{_f(r['width_max'])} | {verdict} |")
    out += ["", "### Shrinkage with the length of the series", "",
            f"Mean width over sets {', '.join(str(i) for i in s['shrink_sets'])}, calibrated on the first "
            "days of the same data, with the same budget; *Shrinks*: the mean width falls at every longer "
            f"series; *Paired*: the sets whose interval on {max(LENGTHS)} days is narrower than on "
            f"{min(LENGTHS)}:", "",
            "| Parameter | " + " | ".join(f"{d} days" for d in LENGTHS) + " | Shrinks | Paired | Narrowed in the "
            "last generation (" + ", ".join(f"{d}" for d in LENGTHS) + " days) |",
            "|---|" + "---:|" * len(LENGTHS) + "---|---:|---|"]
    for p in names:
        w = [per[p]["shrink"][d] for d in LENGTHS]
        finite = [x for x in w if math.isfinite(x)]
        shrinks = all(b2 < a for a, b2 in zip(finite, finite[1:], strict=False)) if len(finite) > 1 else False
        last = ", ".join(f"{100 * per[p]['narrowing'][d]:.0f}%" if math.isfinite(per[p]["narrowing"][d]) else "-"
                         for d in LENGTHS)
        k, n = per[p]["paired"]
        out.append(f"| `{p}` | " + " | ".join(_f(x) for x in w) + f" | {'yes' if shrinks else '**no**'} | "
                   f"{k} of {n} | {last} |")
    out += ["", "An interval that still narrowed markedly in the last generation was limited by the ABC budget "
            "(more generations would narrow it further), not by the data: for such a parameter the widths above "
            "understate what a longer series adds."]
    out += ["", "## Identifiability", "", "Mean posterior correlation between the parameters "
            f"({MAIN_LENGTH} days, over the {sets} sets):", ""]
    corr = s["correlation"]
    out += ["| | " + " | ".join(f"`{p}`" for p in names) + " |", "|---|" + "---:|" * len(names)]
    for p in names:
        out.append(f"| `{p}` | " + " | ".join(_f(float(corr.loc[p, q]), 2) if corr is not None else "-"
                                              for q in names) + " |")
    out += ["", f"Sensitivity of each KPI's level over {MAIN_LENGTH} days to each parameter moved across its "
            f"range (the others in the middle of theirs; `{CONFOUNDER[0]}` on [{CONFOUNDER[1]:g}, "
            f"{CONFOUNDER[2]:g}], not estimated), in units of the level's sd between {SENSITIVITY_SEEDS} seeds:",
            "", "| Parameter moved | " + " | ".join(f"`{k}`" for k, _ in KPIS) + " |",
            "|---|" + "---:|" * len(KPIS)]
    for p in eff.index:
        out.append(f"| `{p}` | " + " | ".join(_f(float(eff.loc[p, k]), 1) for k, _ in KPIS) + " |")
    out += ["", "Cosine between the rows (1: the KPIs respond the same way to both, so they cannot tell them "
            "apart):", "", "| | " + " | ".join(f"`{p}`" for p in cos.columns) + " |",
            "|---|" + "---:|" * len(cos.columns)]
    for p in cos.index:
        out.append(f"| `{p}` | " + " | ".join(_f(float(cos.loc[p, q]), 2) for q in cos.columns) + " |")
    out += ["", _identifiability_text(eff, cos, corr), "", "## Every set", "",
            "| Set | " + " | ".join(f"`{p}`: hidden, [q05, q95]" for p in names) + " | Simulations | "
            "Generations |", "|---:|" + "---|" * len(names) + "---:|---:|"]
    main_results = sorted(s["main"], key=lambda r: r["set"])
    for res in main_results:
        cells = []
        for r in res["rows"]:
            mark = "" if r["covered"] else " **outside**"
            cells.append(f"{r['truth']:.3g}, [{r['q05']:.3g}, {r['q95']:.3g}]{mark}")
        out.append(f"| {res['set']} | " + " | ".join(cells) + f" | {res['simulations']} | {res['generations']} |")
    return "\n".join(out) + "\n"


def _identifiability_text(eff: pd.DataFrame, cos: pd.DataFrame, corr: pd.DataFrame | None) -> str:
    """Which KPI informs which parameter, and which pairs the KPIs cannot tell apart, in words."""
    lines = []
    for p in eff.index:
        row = eff.loc[p].abs().sort_values(ascending=False)
        strong = [f"`{k}` ({eff.loc[p, k]:+.1f})" for k, v in row.items() if v >= 2.0]
        lines.append(f"`{p}` moves " + (", ".join(strong) if strong else "no KPI by 2 sd or more") + ".")
    pairs = []
    names = list(cos.index)
    for i, a in enumerate(names):
        for bname in names[i + 1:]:
            c = float(cos.loc[a, bname])
            if abs(c) >= 0.9:
                pairs.append(f"`{a}` and `{bname}` (cosine {c:+.2f}): these KPIs cannot tell them apart, and a "
                             "calibration estimating both would report a strong posterior correlation and wide "
                             "marginal intervals; a KPI that responds to one only (for the churn pair, the "
                             "level of satisfaction and trust at which customers leave) would be needed")
    if corr is not None:
        names = list(corr.index)
        for i, a in enumerate(names):
            for bname in names[i + 1:]:
                r = float(corr.loc[a, bname])
                if abs(r) >= 0.4:
                    pairs.append(f"`{a}` and `{bname}` are estimated together (mean posterior correlation "
                                 f"{r:+.2f}): both move a shared KPI, and the third KPI separates them")
    text = "**Which KPI identifies which parameter.** " + " ".join(lines)
    if pairs:
        text += "\n\n**Pairs.** " + "; ".join(pairs) + "."
    return text


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


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m sim.calibration.recovery``."""
    p = _Parser(prog=_COMMAND, description="Recover hidden parameter values with exlab calibrate and write the "
                                           "report docs/RECOVERY.md (stamped with the model's fingerprint).")
    p.add_argument("--quick", action="store_true", help="4 sets and a small budget: checks the report, is not "
                                                        "the evidence")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="processes the calibrations are spread on (default: the usable cores)")
    p.add_argument("--serial", action="store_true", help="every calibration in this process")
    p.add_argument("--out", default=str(DEFAULT_OUT), metavar="PATH",
                   help="the Markdown file to write (default: docs/RECOVERY.md)")
    p.add_argument("--work", default=str(DEFAULT_WORK), metavar="DIR",
                   help="where finished calibrations are kept, so that an interrupted run resumes "
                        "(default: build/recovery)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the recovery and write the report; returns the exit status (0 written, 2 bad input, 130 interrupted)."""
    from sim.atomic import check_output_file
    from sim.calibration.fit import require_pyabc
    from sim.scenario import ScenarioError

    args = build_parser().parse_args(argv)
    try:
        if args.workers is not None and args.workers < 1:
            raise ScenarioError([("--workers", "an integer >= 1", str(args.workers))])
        if args.serial and args.workers is not None:
            raise ScenarioError([("--serial", "either --serial or --workers", "both")])
        out = check_output_file(args.out, (".md",), "--out")
        work = Path(args.work)
        if work.exists() and not work.is_dir():
            raise ScenarioError([("--work", "a folder (it keeps the finished calibrations)", str(work))])
        require_pyabc()
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return _run(args, out, work, argv)
    except KeyboardInterrupt:
        print(f"interrupted: no report written; finished calibrations are kept in {work}, and the same command "
              "continues", file=sys.stderr)
        return 130


def _run(args, out: Path, work: Path, argv: list[str] | None) -> int:
    from tqdm import tqdm

    from sim.atomic import atomic_write
    from sim.experiments.engine import model_fingerprint
    from sim.experiments.executors import DaskExecutor, SerialExecutor

    t0 = time.perf_counter()
    model, calib, machine = model_fingerprint(), calibration_fingerprint(), _machine()
    given = sys.argv[1:] if argv is None else argv
    command = " ".join([_COMMAND, *(shlex.quote(a) for a in given)])
    sets = QUICK["sets"] if args.quick else SETS
    shrink = QUICK["shrink_sets"] if args.quick else SHRINK_SETS
    budget = QUICK["budget"] if args.quick else None
    # Longest calibrations first, so that no worker is left with a long one at the end; one task per (set, days).
    main_tasks, shrink_tasks = study_tasks(sets, shrink)
    tasks = sorted(main_tasks | shrink_tasks, key=lambda t: (-t[1], t[0]))
    store = ResultStore(work)
    engine = _engine_fingerprint()
    keys = {task: task_key(task, budget, model, engine) for task in tasks}
    stored = store.load()
    results = [stored[keys[t]] for t in tasks if keys[t] in stored]
    todo = [t for t in tasks if keys[t] not in stored]
    if results:
        print(f"resuming: {len(results)} of {len(tasks)} calibrations taken from {store.path}", file=sys.stderr)
    executor = SerialExecutor() if args.serial else DaskExecutor(workers=args.workers)
    with executor:
        with tqdm(total=len(tasks), initial=len(results), desc="recovery", unit="calibration", file=sys.stderr,
                  dynamic_ncols=True) as bar:
            for done in executor.imap_unordered(recover, todo, budget):
                if done.error is not None:
                    print(f"error: calibration {done.task} failed: {done.error}", file=sys.stderr)
                    return 1
                store.add(keys[tuple(done.task)], done.value)
                results.append(done.value)
                bar.set_postfix_str(f"set {done.value['set']}, {done.value['days']} days, "
                                    f"{done.value['simulations']} simulations")
                bar.update(1)
        eff, cos = sensitivity(executor)
    if model_fingerprint() != model or calibration_fingerprint() != calib:
        print("warning: the sources changed during the run; the report is stamped with the fingerprints at "
              "its start and will read as stale", file=sys.stderr)
    stamp = Stamp(model=model, calibration=calib, date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                  machine=machine, wall_s=time.perf_counter() - t0,
                  cpu_s=float(sum(r["cpu_s"] for r in results)), command=command,
                  mode="quick (smaller study: not the evidence)" if args.quick else "full",
                  reused=len(tasks) - len(todo))
    atomic_write(out, render(stamp, results, eff, cos, sets=sets, shrink_sets=shrink, budget=budget).encode())
    print(f"wrote {out} ({len(results)} calibrations) in {_duration(stamp.wall_s)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
