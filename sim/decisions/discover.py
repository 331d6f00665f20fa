"""Scenario discovery: where a change's effect crosses a threshold, found by PRIM (``exlab discover``).

Scenario discovery (Bryant and Lempert 2010) samples the parameters a firm
controls (levers) and those it does not (uncertainties), runs the model at
every sample point, marks the points where an outcome of interest happens,
and describes the region holding most of them as a few boxes, each a range
on a few parameters, found by PRIM (Friedman and Fisher 1999).

**Sample.** ``samples`` points of a Latin hypercube (McKay, Beckman and
Conover 1979; :func:`sim.experiments.designs.latin_hypercube`, i.e.
``scipy.stats.qmc.LatinHypercube`` seeded with
``derive_seed(seed, "latin_hypercube")``) over the d sampled parameters,
levers first. A coordinate u in [0, 1) maps to ``low + u (high - low)``, an
integer parameter to ``min(floor(low + u (high - low + 1)), high)``; each
float parameter's n values fall one in each of n equal strata of its range.

**Paired runs (common random numbers).** Point i, replication r runs twice,
without and with the change (the ``[change]`` overrides on top of the
point's values), both with the seed ``s_ir = derive_seed(seed, "point", i, r)``:
the change is the only difference between the two runs of a pair. An arm's
value at a point is the mean over its replications of the outcome reduced
over the run (``reduce``: the registry rule, the mean per day or the last
day). The effect at point i is

- relative: ``e_i = (m_with - m_without) / |m_without|`` (0 when both are 0,
  +-inf when only ``m_without`` is 0), a fraction (0.1 is 10%);
- absolute: ``e_i = m_with - m_without``, in the outcome's unit;

and the outcome of interest happens where ``e_i > threshold`` (side ``>``)
or ``e_i < threshold`` (side ``<``). The base rate is the share of points
where it happens.

**PRIM.** Through the ``prim`` package (:func:`find_boxes` is a thin
wrapper; no peeling is written here). Peeling removes, at each step, the
``peel_alpha`` share of the box's points at one end of one dimension,
whichever raises the share of cases of interest most per point removed
(the package's ``lenient1`` objective, Friedman and Fisher 1999 eq. 14.5),
until the box holds ``mass_min`` of the points; pasting then grows it back
while its density rises. Along this trajectory, for a box B:

- coverage = cases of interest in B / all cases of interest;
- density = cases of interest in B / points in B;
- mass = points in B / all points.

The chosen step of a trajectory: among the steps that keep at least
``min_coverage`` of the cases the box started from, the one with the highest
``F1 = 2 C D / (C + D)``, the harmonic mean of coverage C (the box's recall
of the cases) and density D (its precision), which is the point where the
trade-off curve bends (ties: fewer restricted dimensions, then higher
density). A further box is sought
on the points outside the earlier boxes and kept when its density is at
least ``min_density`` and it holds at least ``min_cases`` cases. Each restricted dimension gets its quasi-p value (the
package's: a one-sided binomial test of the box's cases against the box
without that restriction; Bryant and Lempert 2010): small means the
restriction matters. The restrictions whose quasi-p value at the chosen
step exceeds ``max_qp`` (edges peeled by chance in a small sample) are then
dropped, the least significant first, keeping at least one; each drop is a
step of the trajectory, and the last is the box.

**Robustness of the plan.** Each point is a state of the world. For each
option a (without the change, with it) across the points: the 5th, 50th and
95th percentiles and the mean of its value, and its regret
``R_ai = max_b v_bi - v_ai`` (higher is better) or ``v_ai - min_b v_bi``
(lower is better), the loss against the better option at that point
(Savage 1951; Lempert, Popper and Bankes 2003): mean, median, 95th percentile
and maximum, and the share of points where the option is the better one
(ties count for both). :func:`robustness_table` takes any number of options.

**Resume.** One driver per folder (a lock file; a second is refused). Every
finished run is appended to ``runs.jsonl`` (one JSON line, flushed to disk)
keyed by its run key ``pNNNNN-<arm>-rNNN`` and seed, so rerunning the same
command after a kill runs only what is missing (a torn last line is
dropped). A folder whose discovery file or base scenario changed is refused,
and so is a non-empty folder that ``exlab discover`` did not make. A run
that fails is not stored: its point is left out of the analysis, said in
the note, and the run is retried by the next command.

**Time limit.** ``discover(..., time_limit=s)`` (for the dashboard) starts no
run after s seconds, abandons the runs in flight, and analyses the points
finished by then, saying so in :attr:`Discovery.note`.

**Reproducibility.** Every run's seed and parameters depend on the file
alone (point, arm, replication), never on the executor or the order in which
runs finish, and a run is bit-identical for the same scenario and seed on
any machine running the same code; so serial and parallel discoveries, and
one resumed after a kill, give the same samples, boxes and robustness.

Outputs in the folder, written atomically (:func:`sim.atomic.atomic_write`):
``samples.csv``, ``boxes.csv``, ``trajectory.csv``, ``trajectory.png``,
``boxes.md``, ``robustness.csv`` and ``summary.json``; next to them
``discovery.json`` (the file's text and hashes) and ``runs.jsonl``.
:func:`read_discovery` loads a finished folder.
"""

from __future__ import annotations

import io
import json
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.atomic import atomic_write, fsync_folder
from sim.decisions.spec import (
    DiscoveryFile,
    DiscoverySpec,
    discovery_from_toml,
    load_discovery,
)
from sim.scenario import ScenarioError, to_toml, with_overrides
from sim.seeds import derive_seed

__all__ = [
    "Box",
    "Discovery",
    "DiscoveryFile",
    "DiscoverySpec",
    "box_in_words",
    "discover",
    "discovery_from_toml",
    "find_boxes",
    "load_discovery",
    "paired_effect",
    "plan_runs",
    "question",
    "read_discovery",
    "robustness_table",
    "run_outcome",
    "sample_points",
]

META = "discovery.json"
RUNS = "runs.jsonl"
SUMMARY = "summary.json"
LOCK = ".driver.lock"
ARMS = ("without", "with")
OUTPUTS = ("samples.csv", "boxes.csv", "trajectory.csv", "trajectory.png", "boxes.md", "robustness.csv", SUMMARY)
TRAJECTORY_COLUMNS = ["box", "step", "coverage", "density", "mass", "res_dim", "kind", "chosen"]


# %% Results -------------------------------------------------------------------------------------


@dataclass
class Box:
    """A PRIM box at its chosen trajectory step.

    Attributes:
        number: 1 for the first box, 2 for the next (found on the points outside box 1), ...
        limits: One row per restricted dimension: ``dimension``, ``low``, ``high``
            (inclusive; NaN on a side PRIM left free) and ``qp`` (quasi-p value).
        coverage: Cases of interest in the box over all cases of interest.
        density: Cases of interest in the box over the points in the box.
        mass: Points in the box over all points.
        res_dim: Restricted dimensions.
        step: The chosen step of the box's peeling and pasting trajectory.
        words: The box in plain words (:func:`box_in_words`).
    """

    number: int
    limits: pd.DataFrame
    coverage: float
    density: float
    mass: float
    res_dim: int
    step: int
    words: str = ""

    def contains(self, x: pd.DataFrame) -> np.ndarray:
        """Whether each row of ``x`` (columns named by dimension) lies in the box."""
        inside = np.ones(len(x), dtype=bool)
        for r in self.limits.itertuples(index=False):
            v = x[r.dimension].to_numpy(dtype=float)
            if not pd.isna(r.low):
                inside &= v >= r.low
            if not pd.isna(r.high):
                inside &= v <= r.high
        return inside


@dataclass
class Discovery:
    """A discovery's results (what :func:`discover` returns and :func:`read_discovery` reads).

    Attributes:
        name: The discovery file's name.
        question: The outcome of interest in words.
        samples: One row per point run: ``point``, one column per dimension,
            ``<outcome>_without``, ``<outcome>_with`` (means over replications),
            ``effect``, ``flag`` (the outcome happens) and ``box`` (the first box
            holding the point, 0 for none).
        boxes: The boxes found, first first.
        trajectory: Every box's peeling and pasting trajectory: ``box``, ``step``,
            ``coverage``, ``density``, ``mass``, ``res_dim``, ``chosen``.
        robustness: One row per option (``without``, ``with``): percentiles of the
            outcome and of the regret (:func:`robustness_table`).
        base_rate: Share of the points run where the outcome happens.
        dimensions: The sampled parameters: ``dimension``, ``role`` (lever or
            uncertainty), ``low``, ``high``, ``type``, ``label``.
        points_done: Points whose runs all finished.
        points_total: Points of the sample.
        note: What is missing and why (time limit, failed runs), or "".
        out: The results folder.
    """

    name: str
    question: str
    samples: pd.DataFrame
    boxes: list[Box]
    trajectory: pd.DataFrame
    robustness: pd.DataFrame
    base_rate: float
    dimensions: pd.DataFrame
    points_done: int
    points_total: int
    note: str = ""
    out: Path | None = None
    files: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether every point of the sample was run."""
        return self.points_done == self.points_total


# %% Sample and runs -----------------------------------------------------------------------------


def sample_points(spec: DiscoverySpec) -> pd.DataFrame:
    """The Latin hypercube: ``point`` and one column per dimension (levers, then uncertainties)."""
    from sim.experiments.designs import latin_hypercube

    dims = spec.dimensions
    u = latin_hypercube(len(dims), spec.samples, derive_seed(spec.seed, "latin_hypercube"))
    df = pd.DataFrame({"point": np.arange(spec.samples)})
    for j, d in enumerate(dims):
        if d.type == "int":
            df[d.path] = np.minimum(np.floor(d.low + u[:, j] * (d.high - d.low + 1)), d.high).astype(np.int64)
        elif d.type == "bool":  # off in the lower half of the strata, on in the upper half
            df[d.path] = u[:, j] >= 0.5
        else:
            df[d.path] = d.low + u[:, j] * (d.high - d.low)
    return df


def _py(v: Any) -> Any:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    return int(v) if isinstance(v, (int, np.integer)) else float(v)


def run_key(point: int, arm: str, replication: int) -> str:
    """The key of one run in ``runs.jsonl``: ``p00003-with-r001``."""
    return f"p{point:05d}-{arm}-r{replication:03d}"


def plan_runs(spec: DiscoverySpec, points: pd.DataFrame) -> list[tuple[str, dict, int]]:
    """Every run as ``(key, overrides, seed)``, point by point; the two arms of a pair share the seed."""
    paths = [d.path for d in spec.dimensions]
    tasks = []
    for row in points.to_dict("records"):
        i = int(row["point"])
        values = {p: _py(row[p]) for p in paths}
        for r in range(spec.replications):
            seed = derive_seed(spec.seed, "point", i, r)
            tasks.append((run_key(i, "without", r), values, seed))
            tasks.append((run_key(i, "with", r), {**values, **spec.change}, seed))
    return tasks


def reduce_outcome(table: pd.DataFrame, name: str, reduce: str) -> float:
    """One run's outcome: the registry rule over the run (``run``), the mean per day, or the last day."""
    from sim.analysis import summarize_run

    if reduce == "run":
        return float(summarize_run(table, [name])[name])
    if reduce == "mean":
        return float(table[name].mean())
    return float(table[name].iloc[-1])


def run_outcome(task: tuple[str, dict, int], spec: DiscoverySpec) -> float:
    """One run: the base scenario with the task's overrides and seed; returns the reduced outcome."""
    from sim.run import simulate

    _, overrides, seed = task
    sc = with_overrides(spec.base, overrides)
    table = simulate(sc, seed=seed, ticks=sc.run.ticks).table
    return reduce_outcome(table, spec.outcome.name, spec.outcome.reduce)


def paired_effect(with_change: Any, without: Any, kind: str) -> np.ndarray:
    """The change's effect, elementwise: ``with - without``, or divided by ``|without|`` when relative.

    A relative effect is 0 where both are 0 and +-inf where only ``without`` is 0.
    """
    w = np.asarray(with_change, dtype=float)
    wo = np.asarray(without, dtype=float)
    d = w - wo
    if kind == "absolute":
        return d
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = d / np.abs(wo)
    return np.where(wo != 0, rel, np.where(d == 0, 0.0, np.copysign(np.inf, d)))


# %% PRIM ----------------------------------------------------------------------------------------


def _choose_step(traj: pd.DataFrame, coverage: np.ndarray, min_coverage: float) -> int:
    """The step of highest F1 (harmonic mean of coverage and density) among those keeping ``min_coverage``."""
    density = traj["density"].to_numpy(dtype=float)
    eligible = coverage >= min_coverage - 1e-12
    if not eligible.any():
        eligible[0] = True
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.nan_to_num(2 * coverage * density / (coverage + density))
    res = traj["res_dim"].to_numpy()
    return int(min(np.flatnonzero(eligible), key=lambda s: (-round(f1[s], 12), res[s], -density[s], s)))


def find_boxes(x: pd.DataFrame, y: Any, *, boxes: int = 1, peel_alpha: float = 0.05, paste_alpha: float = 0.05,
               mass_min: float = 0.05, min_coverage: float = 0.5, min_density: float = 0.0, min_cases: int = 1,
               max_qp: float = 1.0) -> tuple[list[Box], pd.DataFrame]:
    """PRIM boxes around the points where ``y`` is true (the ``prim`` package; see the module's docstring).

    Args:
        x: One column per dimension (numbers).
        y: True at the cases of interest.
        boxes: At most this many boxes; the first is always returned (when any case exists).
        peel_alpha: Share of a box's points peeled at each step.
        paste_alpha: Share pasted back at each step.
        mass_min: Smallest share of the points a box may hold.
        min_coverage: The chosen step (highest F1 of coverage and density) keeps at least this
            share of the cases the box started from.
        min_density: A box after the first is kept only with this density or more...
        min_cases: ... and this many cases of interest or more.
        max_qp: The restrictions whose quasi-p value at the chosen step exceeds this
            are dropped, the least significant first, keeping at least one (the
            package's ``drop_restriction``; each drop is a step of the trajectory,
            and the last one is chosen). 1 keeps every restriction.

    Returns:
        The boxes (``words`` left empty) and every box's trajectory (``box``,
        ``step``, ``coverage``, ``density``, ``mass``, ``res_dim``, ``kind``: start,
        peel, paste or drop; ``chosen``).
    """
    import prim

    x = x.astype(float).reset_index(drop=True)
    y = np.asarray(y, dtype=bool)
    found: list[Box] = []
    rows: list[pd.DataFrame] = []
    if len(y) < 2 or not y.any():
        return found, pd.DataFrame(columns=TRAJECTORY_COLUMNS)
    p = prim.Prim(x, y, peel_alpha=peel_alpha, paste_alpha=paste_alpha, mass_min=mass_min)
    lo, hi = x.min(), x.max()
    free = np.ones(len(y), dtype=bool)
    total = int(y.sum())
    for k in range(1, boxes + 1):
        left = int(y[free].sum())
        if left == 0:
            break
        box = p.find_box()
        if box is None:
            break
        traj = box.peeling_trajectory.reset_index(drop=True).rename(columns={"res dim": "res_dim"})
        traj["res_dim"] = traj["res_dim"].astype(int)
        coverage = traj["coverage"].to_numpy(dtype=float) * total / left
        step = _choose_step(traj, coverage, min_coverage)
        box.select(step)
        lim = box.limits
        weak = lim["qp values"].sort_values(ascending=False)
        for dim in weak.index[weak > max_qp][: len(lim) - 1]:  # the least significant first, keeping one
            box.drop_restriction(dim)
        lim = box.limits
        drops = len(box.peeling_trajectory) - len(traj)
        if drops:
            traj = box.peeling_trajectory.reset_index(drop=True).rename(columns={"res dim": "res_dim"})
            traj["res_dim"] = traj["res_dim"].astype(int)
            step = len(traj) - 1
        cases = int(round(traj["coverage"].iloc[step] * total))
        if k > 1 and (traj["density"].iloc[step] < min_density or cases < min_cases
                      or traj["res_dim"].iloc[step] == 0):
            break
        limits = pd.DataFrame({
            "dimension": [str(d) for d in lim.index],
            "low": [float(r["min"]) if r["min"] > lo[d] else np.nan for d, r in lim.iterrows()],
            "high": [float(r["max"]) if r["max"] < hi[d] else np.nan for d, r in lim.iterrows()],
            "qp": lim["qp values"].astype(float).to_list(),
        })
        b = Box(number=k, limits=limits, coverage=float(traj["coverage"].iloc[step]),
                density=float(traj["density"].iloc[step]), mass=float(traj["mass"].iloc[step]),
                res_dim=int(traj["res_dim"].iloc[step]), step=step)
        found.append(b)
        t = traj[["coverage", "density", "mass", "res_dim"]].copy()
        t.insert(0, "step", np.arange(len(t)))
        t.insert(0, "box", k)
        mass = t["mass"].to_numpy()
        kind = ["start"] + ["peel" if m1 < m0 else "paste" for m0, m1 in zip(mass[:-1], mass[1:], strict=True)]
        t["kind"] = kind[: len(t) - drops] + ["drop"] * drops
        t["chosen"] = t["step"] == step
        rows.append(t)
        free &= ~b.contains(x)
    trajectory = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=TRAJECTORY_COLUMNS)
    return found, trajectory


# %% Words ---------------------------------------------------------------------------------------


def _number(v: float) -> str:
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def _formatter(dimension: str) -> tuple[Callable[[float], str], str, bool]:
    """How to show a dimension's values, its unit in words, and whether it is an integer (from the schema)."""
    from sim.experiments.spec import _schema_field

    f = _schema_field(dimension) if dimension else None
    if f is None:
        return _number, "", False
    unit = str(f.meta.get("unit") or "")
    lo, hi = f.meta.get("bounds") or (None, None)
    if f.type is bool:
        return _number, "on/off", False
    if f.type is int:
        return (lambda v: f"{int(round(v)):,}"), unit, True
    if unit.split(" ")[0] == "share" and lo is not None and hi is not None and 0 <= lo and hi <= 1:
        return (lambda v: f"{100 * v:.3g}%"), "", False
    if unit.startswith("1/"):
        unit = "per " + unit[2:]
    return _number, unit, False


def box_in_words(limits: pd.DataFrame, names: Mapping[str, str] | None = None) -> str:
    """A box in plain words: ``when A is above 62% and B is between 0.1 and 0.3 per day``.

    Args:
        limits: ``dimension``, ``low``, ``high`` per restricted dimension (NaN: no limit on that side).
        names: The words for a dimension (default: the dimension itself).

    Shares of the scenario schema (unit ``share``, bounds within [0, 1]) read as
    percentages; other parameters of the schema take its unit (unless their
    words already say it), integers "at least" / "at most" / "from ... to";
    on/off parameters "is on" / "is off"; other numbers show three significant digits.
    """
    names = names or {}
    parts = []
    for r in limits.itertuples(index=False):
        show, unit, integer = _formatter(r.dimension)
        label = names.get(r.dimension) or r.dimension
        if unit == "on/off":  # a box on a switch (0 off, 1 on) keeps one side
            parts.append(f"{label} is {'on' if not pd.isna(r.low) else 'off'}")
            continue
        tail = f" {unit}" if unit and unit not in label else ""
        low, high = (None if pd.isna(v) else float(v) for v in (r.low, r.high))
        if low is not None and high is not None:
            parts.append(f"{label} is {'from' if integer else 'between'} {show(low)} "
                         f"{'to' if integer else 'and'} {show(high)}{tail}")
        elif low is not None:
            parts.append(f"{label} is {'at least' if integer else 'above'} {show(low)}{tail}")
        elif high is not None:
            parts.append(f"{label} is {'at most' if integer else 'below'} {show(high)}{tail}")
    if not parts:
        return "everywhere in the sampled ranges"
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return "when " + text


def _amount(spec: DiscoverySpec, v: float) -> str:
    from sim.metrics import outcome

    if spec.outcome.effect == "relative":
        return f"{100 * v:.3g}%"
    unit = outcome(spec.outcome.name).unit
    return _number(v) + (f" {unit}" if unit and not unit.startswith("[") else "")


def question(spec: DiscoverySpec) -> str:
    """The outcome of interest in words: ``churn (total over the run) rises by more than 10% ...``."""
    from sim.metrics import outcome

    o = spec.outcome
    rule = o.reduce if o.reduce != "run" else outcome(o.name).summary
    how = {"sum": "total over the run", "mean": "mean per day", "last": "on the last day"}[rule]
    t = float(o.threshold)
    amount = _amount(spec, abs(t))
    if o.side == ">":
        verb = f"rises by more than {amount}" if t >= 0 else f"falls by less than {amount} (or rises)"
    else:
        verb = f"falls by more than {amount}" if t <= 0 else f"rises by less than {amount} (or falls)"
    change = ", ".join(f"{k} = {v}" for k, v in spec.change.items())
    kind = "relative" if o.effect == "relative" else "absolute"
    return f"{o.name} ({how}) {verb} with the change ({change}), {kind} to the same point without it"


# %% Robustness ----------------------------------------------------------------------------------


def robustness_table(values: pd.DataFrame, higher_is_better: bool) -> pd.DataFrame:
    """Each option's outcome and regret across states of the world.

    Args:
        values: One column per option, one row per state of the world (a sample point).
        higher_is_better: Direction of the outcome.

    Returns:
        One row per option: ``option``, ``p5``, ``p50``, ``p95``, ``mean`` of the
        outcome; ``regret_mean``, ``regret_p50``, ``regret_p95``, ``regret_max``
        (``max_b v_b - v_a`` or ``v_a - min_b v_b`` per row, never negative);
        ``best_share`` (share of rows where the option is the best, ties
        counting for each); ``n`` (rows).
    """
    v = values.to_numpy(dtype=float)
    best = v.max(axis=1, keepdims=True) if higher_is_better else v.min(axis=1, keepdims=True)
    regret = (best - v) if higher_is_better else (v - best)
    rows = []
    for j, name in enumerate(values.columns):
        a, r = v[:, j], regret[:, j]
        if len(a) == 0:
            rows.append({"option": name, "n": 0})
            continue
        p5, p50, p95 = np.percentile(a, [5, 50, 95])
        rows.append({"option": name, "p5": p5, "p50": p50, "p95": p95, "mean": a.mean(),
                     "regret_mean": r.mean(), "regret_p50": np.percentile(r, 50),
                     "regret_p95": np.percentile(r, 95), "regret_max": r.max(),
                     "best_share": float(np.mean(r == 0)), "n": len(a)})
    cols = ["option", "p5", "p50", "p95", "mean", "regret_mean", "regret_p50", "regret_p95", "regret_max",
            "best_share", "n"]
    return pd.DataFrame(rows).reindex(columns=cols)


# %% The driver ----------------------------------------------------------------------------------


def _hashes(spec: DiscoverySpec) -> dict[str, str]:
    import hashlib

    return {"sha256": spec.sha256, "base_sha256": hashlib.sha256(to_toml(spec.base).encode()).hexdigest()}


def _claim(spec: DiscoverySpec, out: Path) -> None:
    """Refuse a folder of another discovery, or a non-empty folder not made by one; else record the file."""
    meta = out / META
    if meta.exists():
        try:
            old = json.loads(meta.read_text())
        except (OSError, ValueError):
            raise ScenarioError([(str(out / META), "the record of a discovery (JSON)", "an unreadable file")]) from None
        now = _hashes(spec)
        if old.get("sha256") != now["sha256"]:
            raise ScenarioError([(str(out), f"the discovery file of this folder ({old.get('source')})",
                                  f"{spec.source} (changed since; use a new --out)")])
        if old.get("base_sha256") != now["base_sha256"]:
            raise ScenarioError([(str(out), "the base scenario this folder was run with",
                                  "a base scenario that changed since (use a new --out)")])
        return
    others = sorted(p.name for p in out.iterdir() if p.name != LOCK)
    if others:
        raise ScenarioError([(str(out), "a new or empty folder, or one exlab discover made",
                              f"a folder holding {others[0]}")])
    atomic_write(meta, json.dumps({"source": spec.source, **_hashes(spec), "text": spec.text}, indent=1).encode())


def _read_runs(path: Path) -> dict[str, dict]:
    """The runs stored in ``runs.jsonl`` by key; a torn or damaged line is dropped (and the file rewritten)."""
    if not path.exists():
        return {}
    raw = path.read_bytes()
    good: dict[str, dict] = {}
    damaged = bool(raw) and not raw.endswith(b"\n")
    for line in raw.split(b"\n"):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            good[str(rec["task"])] = {"task": str(rec["task"]), "seed": int(rec["seed"]),
                                      "value": float(rec["value"])}
        except (ValueError, KeyError, TypeError):
            damaged = True
    if damaged:
        atomic_write(path, "".join(json.dumps(r) + "\n" for r in good.values()).encode())
    return good


def discover(spec: DiscoverySpec, out: str | Path, executor, progress: Callable[[int, int], None] | None = None,
             time_limit: float | None = None) -> Discovery:
    """Run (or resume) a discovery, then find the boxes and the plan's robustness; writes the outputs.

    Args:
        spec: The discovery file (:func:`load_discovery`).
        out: The results folder (created if missing).
        executor: Where runs go (:class:`~sim.experiments.executors.SerialExecutor`
            or :class:`~sim.experiments.executors.DaskExecutor`).
        progress: Called with (finished runs, runs planned), stored runs included.
        time_limit: Seconds after which no run starts and those in flight are
            abandoned; the points finished by then are analysed. None: run all.

    Raises:
        ScenarioError: another driver holds the folder, the folder belongs to
            another discovery (or to nothing this command made), or the file changed.
    """
    import fcntl

    deadline = None if time_limit is None else time.monotonic() + time_limit
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lock = open(out / LOCK, "a")  # noqa: SIM115 (held until this function returns)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        raise ScenarioError([(str(out), "a folder no other discovery is writing", "one running now")]) from None
    try:
        _claim(spec, out)
        return _run_and_analyse(spec, out, executor, progress, deadline)
    finally:
        lock.close()


def _run_and_analyse(spec: DiscoverySpec, out: Path, executor, progress, deadline: float | None) -> Discovery:
    points = sample_points(spec)
    tasks = plan_runs(spec, points)
    seeds = {t[0]: t[2] for t in tasks}
    values = {k: r["value"] for k, r in _read_runs(out / RUNS).items() if seeds.get(k) == r["seed"]}
    todo = [t for t in tasks if t[0] not in values]
    done, total = len(tasks) - len(todo), len(tasks)
    if progress:
        progress(done, total)
    errors: dict[str, str] = {}
    stopped = deadline is not None and time.monotonic() > deadline and bool(todo)
    if todo and not stopped:
        check = getattr(executor, "check_engine", None)
        if check is not None:
            from sim.experiments.engine import engine_fingerprint

            check(engine_fingerprint())
        runs = executor.imap_unordered(run_outcome, todo, spec)
        with open(out / RUNS, "ab") as fh:
            try:
                for d in runs:
                    key = d.task[0]
                    if d.error is not None:
                        errors[key] = d.error
                    else:
                        values[key] = float(d.value)
                        fh.write((json.dumps({"task": key, "seed": d.task[2], "value": values[key]}) + "\n")
                                 .encode())
                        fh.flush()
                        os.fsync(fh.fileno())
                    done += 1
                    if progress:
                        progress(done, total)
                    if deadline is not None and time.monotonic() > deadline and done < total:
                        stopped = True
                        break
            finally:
                runs.close()
        fsync_folder(out)
    return _analyse(spec, out, points, values, errors, stopped)


def _analyse(spec: DiscoverySpec, out: Path, points: pd.DataFrame, values: dict[str, float],
             errors: dict[str, str], stopped: bool) -> Discovery:
    name = spec.outcome.name
    reps = range(spec.replications)
    rows = []
    missing_value = 0
    for i in points["point"]:
        arms = []
        for arm in ARMS:
            got = [values.get(run_key(int(i), arm, r)) for r in reps]
            arms.append(None if any(v is None for v in got) else float(np.mean(got)))
        if None in arms:
            continue
        if not all(math.isfinite(a) for a in arms):
            missing_value += 1
            continue
        rows.append((int(i), arms[0], arms[1]))
    done_points = [r[0] for r in rows]
    samples = points.set_index("point").loc[done_points].reset_index()
    samples[f"{name}_without"] = [r[1] for r in rows]
    samples[f"{name}_with"] = [r[2] for r in rows]
    samples["effect"] = paired_effect(samples[f"{name}_with"], samples[f"{name}_without"], spec.outcome.effect)
    t = float(spec.outcome.threshold)
    samples["flag"] = samples["effect"] > t if spec.outcome.side == ">" else samples["effect"] < t
    paths = [d.path for d in spec.dimensions]
    labels = {d.path: d.label or d.path for d in spec.dimensions}
    pr = spec.prim
    boxes, trajectory = find_boxes(samples[paths], samples["flag"], boxes=pr.boxes, peel_alpha=pr.peel_alpha,
                                   paste_alpha=pr.paste_alpha, mass_min=pr.mass_min,
                                   min_coverage=pr.min_coverage, min_density=pr.min_density,
                                   min_cases=pr.min_cases, max_qp=pr.max_qp)
    box_of = np.zeros(len(samples), dtype=np.int64)
    for b in reversed(boxes):
        b.words = box_in_words(b.limits, labels)
        box_of[b.contains(samples)] = b.number
    samples["box"] = box_of
    robust = robustness_table(samples[[f"{name}_without", f"{name}_with"]].set_axis(list(ARMS), axis=1),
                              spec.higher_is_better)
    notes = []
    if stopped:
        notes.append(f"time limit reached: {len(samples)} of {spec.samples} points run; "
                     "run the same command again to finish")
    if errors:
        first = next(iter(errors.values()))
        notes.append(f"{len(errors)} run(s) failed ({first}); run the same command again to retry them")
    if missing_value:
        notes.append(f"{missing_value} point(s) left out: {name} was not recorded (no value)")
    disc = Discovery(name=spec.name, question=question(spec), samples=samples, boxes=boxes, trajectory=trajectory,
                     robustness=robust, base_rate=float(samples["flag"].mean()) if len(samples) else float("nan"),
                     dimensions=_dimensions(spec), points_done=len(samples), points_total=spec.samples,
                     note="; ".join(notes), out=out, files=list(OUTPUTS))
    _write(disc, spec, out)
    return disc


def _dimensions(spec: DiscoverySpec) -> pd.DataFrame:
    rows = [{"dimension": d.path, "role": role, "low": d.low, "high": d.high, "type": d.type,
             "label": d.label or d.path}
            for role, ds in (("lever", spec.levers), ("uncertainty", spec.uncertainties)) for d in ds]
    return pd.DataFrame(rows, columns=["dimension", "role", "low", "high", "type", "label"])


# %% Files ---------------------------------------------------------------------------------------


def _boxes_frame(boxes: list[Box]) -> pd.DataFrame:
    rows = []
    for b in boxes:
        stats = {"coverage": b.coverage, "density": b.density, "mass": b.mass, "res_dim": b.res_dim,
                 "step": b.step}
        lim = b.limits.to_dict("records") or [{"dimension": "", "low": np.nan, "high": np.nan, "qp": np.nan}]
        rows += [{"box": b.number, **r, **stats} for r in lim]
    cols = ["box", "dimension", "low", "high", "qp", "coverage", "density", "mass", "res_dim", "step"]
    return pd.DataFrame(rows, columns=cols)


def _write(disc: Discovery, spec: DiscoverySpec, out: Path) -> None:
    csv = {"samples.csv": disc.samples, "boxes.csv": _boxes_frame(disc.boxes), "trajectory.csv": disc.trajectory,
           "robustness.csv": disc.robustness}
    for fname, df in csv.items():
        atomic_write(out / fname, df.to_csv(index=False).encode())
    atomic_write(out / "trajectory.png", _plot(disc))
    atomic_write(out / "boxes.md", _markdown(disc, spec).encode())
    summary = {
        "name": disc.name, "source": spec.source, "question": disc.question,
        "change": spec.change, "outcome": spec.outcome.name, "reduce": spec.outcome.reduce,
        "effect": spec.outcome.effect, "side": spec.outcome.side, "threshold": spec.outcome.threshold,
        "higher_is_better": spec.higher_is_better, "replications": spec.replications,
        "base_rate": disc.base_rate, "points_done": disc.points_done, "points_total": disc.points_total,
        "points_flagged": int(disc.samples["flag"].sum()), "note": disc.note,
        "dimensions": disc.dimensions.to_dict("records"),
        "boxes": [{"number": b.number, "coverage": b.coverage, "density": b.density, "mass": b.mass,
                   "res_dim": b.res_dim, "step": b.step, "words": b.words} for b in disc.boxes],
        "files": disc.files,
    }
    atomic_write(out / SUMMARY, json.dumps(summary, indent=1, default=_json_default).encode())


def _json_default(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    raise TypeError(type(v).__name__)


def _pct(v: float) -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{100 * v:.0f}%"


def _markdown(disc: Discovery, spec: DiscoverySpec) -> str:
    n, k = disc.points_done, int(disc.samples["flag"].sum())
    lines = [f"# {disc.name}: scenario discovery", "",
             f"Where {disc.question}?", "",
             f"{n} of {disc.points_total} points of a Latin hypercube over {len(spec.levers)} lever(s) and "
             f"{len(spec.uncertainties)} uncertainty(ies), {spec.replications} replication(s) each, run with and "
             f"without the change with the same seeds. The outcome happens at {k} of {n} points "
             f"(base rate {_pct(disc.base_rate)}).", ""]
    if disc.note:
        lines += [f"**Note:** {disc.note}.", ""]
    if not disc.boxes:
        lines += ["No box: " + ("the outcome happens at no point." if k == 0 else "too few points."), ""]
    for b in disc.boxes:
        lines += [f"## Box {b.number}: coverage {_pct(b.coverage)}, density {_pct(b.density)}, "
                  f"mass {_pct(b.mass)}", "",
                  ("" if b.number == 1 else "Among the points outside the earlier boxes: ")
                  + f"the outcome happens {b.words}: this box holds {_pct(b.coverage)} of the points where it "
                  f"happens, and it happens at {_pct(b.density)} of the points in the box "
                  f"({_pct(b.mass)} of all points).", ""]
        if len(b.limits):
            lines += ["| dimension | low | high | quasi-p |", "|---|---|---|---|"]
            for r in b.limits.itertuples(index=False):
                lo = "" if pd.isna(r.low) else f"{r.low:.4g}"
                hi = "" if pd.isna(r.high) else f"{r.high:.4g}"
                lines.append(f"| `{r.dimension}` | {lo} | {hi} | {r.qp:.2g} |")
            lines.append("")
    better = "higher" if spec.higher_is_better else "lower"
    lines += ["## Robustness of the change", "",
              f"{spec.outcome.name} across the {n} points, without and with the change ({better} is better); "
              "regret: the loss against the better option at the same point.", "",
              "| option | p5 | p50 | p95 | regret p50 | regret p95 | regret max | best at |",
              "|---|---|---|---|---|---|---|---|"]
    for r in disc.robustness.to_dict("records"):
        if not r.get("n"):
            continue
        lines.append(f"| {r['option']} | {r['p5']:.4g} | {r['p50']:.4g} | {r['p95']:.4g} | {r['regret_p50']:.4g} "
                     f"| {r['regret_p95']:.4g} | {r['regret_max']:.4g} | {_pct(r['best_share'])} |")
    lines += ["", "## Dimensions", ""]
    from sim.experiments.spec import _schema_field

    for r in disc.dimensions.to_dict("records"):
        f = _schema_field(r["dimension"])
        meaning = f.meta.get("meaning", "") if f is not None else ""
        unit = (f.meta.get("unit") or "") if f is not None else ""
        label = f" ({r['label']})" if r["label"] != r["dimension"] else ""
        lines.append(f"- `{r['dimension']}`{label}, {r['role']} sampled in [{r['low']:g}, {r['high']:g}]"
                     f"{' ' + unit if unit else ''}: {meaning}")
    return "\n".join(lines) + "\n"


def _plot(disc: Discovery) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    traj = disc.trajectory
    if traj.empty:
        ax.text(0.5, 0.5, "no box (no point where the outcome happens)", ha="center", va="center")
    for k, t in traj.groupby("box") if not traj.empty else []:
        sc = ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=18,
                        vmin=0, vmax=max(1, int(traj["res_dim"].max())), label=f"box {k}")
        ax.plot(t["coverage"], t["density"], lw=0.6, color="grey")
        c = t[t["chosen"].astype(bool)]
        ax.scatter(c["coverage"], c["density"], marker="*", s=220, facecolor="none", edgecolor="red", lw=1.5)
        ax.annotate(f"box {k}", (c["coverage"].iloc[0], c["density"].iloc[0]), textcoords="offset points",
                    xytext=(8, -12))
    if not traj.empty:
        fig.colorbar(sc, ax=ax, label="restricted dimensions", ticks=range(int(traj["res_dim"].max()) + 1))
    ax.set_xlim(0, 1.05)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("coverage (share of cases of interest in the box)")
    ax.set_ylabel("density (share of the box's points that are cases)")
    ax.set_title(f"{disc.name}: PRIM peeling trajectory (chosen step: star)")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


# %% Reading a folder ----------------------------------------------------------------------------


def read_discovery(out: str | Path) -> Discovery:
    """Load the results of a discovery folder (written by :func:`discover`).

    Raises:
        ScenarioError: the folder holds no finished analysis.
    """
    out = Path(out)
    try:
        s = json.loads((out / SUMMARY).read_text())
    except (OSError, ValueError):
        raise ScenarioError([(str(out), "a folder exlab discover wrote its results in",
                              f"no readable {SUMMARY}")]) from None
    samples = pd.read_csv(out / "samples.csv")
    table = pd.read_csv(out / "boxes.csv")
    boxes = []
    for b in s["boxes"]:
        rows = table[(table["box"] == b["number"]) & table["dimension"].notna()]
        limits = rows[["dimension", "low", "high", "qp"]].reset_index(drop=True)
        boxes.append(Box(number=b["number"], limits=limits, coverage=b["coverage"], density=b["density"],
                         mass=b["mass"], res_dim=b["res_dim"], step=b["step"], words=b["words"]))
    trajectory = pd.read_csv(out / "trajectory.csv")
    return Discovery(name=s["name"], question=s["question"], samples=samples, boxes=boxes, trajectory=trajectory,
                     robustness=pd.read_csv(out / "robustness.csv"), base_rate=s["base_rate"],
                     dimensions=pd.DataFrame(s["dimensions"]), points_done=s["points_done"],
                     points_total=s["points_total"], note=s["note"], out=out, files=s["files"])

