"""Pure table helpers: replication bands, summaries with t-based 95% CIs, results folders.

No Streamlit here: these functions take and return DataFrames so the tests
can check them directly.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.formatting import outcome_bounds
from sim.analysis import summarize_runs, t_interval, t_intervals
from sim.experiments.report import load_results as read_results_folder
from sim.metrics import OUTCOMES
from sim.scenario import ScenarioError

__all__ = [
    "OUTCOME_NAMES",
    "ResultsFolderError",
    "bands",
    "ci_by_parameter",
    "kpi_table",
    "load_results",
    "per_run",
    "results_root",
    "safe_folder",
    "split_columns",
]

OUTCOME_NAMES: tuple[str, ...] = tuple(o.name for o in OUTCOMES)
_OUTCOME = {o.name: o for o in OUTCOMES}
#: Columns that describe a run's bookkeeping rather than a parameter.
BOOKKEEPING = {
    "run",
    "run_id",
    "point",
    "key",
    "seed",
    "replication",
    "rep",
    "tick",
    "scenario",
    "status",
    "wall_s",
    "error",
    "worker",
    "version",
    "started",
    "finished",
    "point_id",
    "hash",
    "experiment",
    "attempt",
}


def bands(table: pd.DataFrame, outcomes: list[str], by: str = "run") -> pd.DataFrame:
    """Per tick, run and outcome: mean over replications with its 95% t interval.

    The interval is :func:`sim.analysis.t_intervals`.

    Args:
        table: Stacked replication tables (columns ``tick``, ``replication``, ``by``, outcomes).
        outcomes: Outcome columns to summarise.
        by: Column naming the run (one line per value).

    Returns:
        Long table: by, tick, outcome, mean, lo, hi, n. Where n < 2, lo = hi = mean.
        The band is clipped at the outcome's natural bounds (no negative counts,
        no share above one).
    """
    long = table.melt(
        id_vars=[by, "tick", "replication"],
        value_vars=outcomes,
        var_name="outcome",
        value_name="value",
    )
    out = t_intervals(long.groupby([by, "outcome", "tick"], sort=False)["value"]).reset_index()
    half = out["half"].fillna(0.0)  # no interval: the band shrinks to the line
    out["lo"] = out["mean"] - half
    out["hi"] = out["mean"] + half
    for name in outcomes:
        low, high = outcome_bounds(name)
        rows = out["outcome"] == name
        out.loc[rows, "lo"] = out.loc[rows, "lo"].clip(lower=low, upper=high)
        out.loc[rows, "hi"] = out.loc[rows, "hi"].clip(lower=low, upper=high)
    return out.drop(columns=["sd", "half"])


def kpi_table(summaries: list[pd.DataFrame]) -> pd.DataFrame:
    """Mean over replications of each outcome's run summary, with its 95% half-width."""
    allv = pd.concat([s.assign(replication=i) for i, s in enumerate(summaries)], ignore_index=True)
    rows = []
    for name, grp in allv.groupby("outcome", sort=False):
        mean, half, n = t_interval(grp["value"])
        first = grp.iloc[0]
        rows.append(
            {
                "outcome": name,
                "value": mean,
                "ci95": half,
                "n": n,
                "unit": first["unit"],
                "summary": first["summary"],
                "meaning": first["meaning"],
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ results folders
class ResultsFolderError(ValueError):
    """A results folder cannot be opened (outside the root, missing, or unreadable)."""


def results_root() -> Path:
    """The only tree the Experiments page may read.

    ``EXLAB_RESULTS_ROOT`` sets it; the default is ``<repo>/results``.
    """
    env = os.environ.get("EXLAB_RESULTS_ROOT")
    root = Path(env) if env else Path(__file__).resolve().parents[1] / "results"
    return root.expanduser().resolve()


def safe_folder(typed: str, root: Path | None = None) -> Path:
    """Resolve a typed folder against the results root and refuse anything outside it.

    Relative paths are taken under the root; ``..`` and symbolic links are
    resolved first, so neither can lead out of it.
    """
    root = (root or results_root()).resolve()
    text = (typed or "").strip()
    if "\x00" in text:
        raise ResultsFolderError("That folder name contains a null character.")
    cand = Path(text).expanduser()
    cand = (cand if cand.is_absolute() else root / cand).resolve()
    if cand != root and not cand.is_relative_to(root):
        raise ResultsFolderError(
            f"Only folders inside the results root {root} can be opened; "
            f"'{typed}' leads outside it."
        )
    if not cand.is_dir():
        raise ResultsFolderError(f"There is no folder '{typed}' inside the results root {root}.")
    return cand


def list_result_folders(root: Path | None = None, limit: int = 200) -> list[str]:
    """Folders under the root that hold a manifest or Parquet files, relative to the root."""
    root = (root or results_root()).resolve()
    if not root.is_dir():
        return []
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        if "manifest.json" in filenames or any(f.endswith(".parquet") for f in filenames):
            rel = Path(dirpath).relative_to(root).as_posix()
            found.append("." if rel == "." else rel)
            dirnames[:] = []  # a results folder's own part files need not be listed
        if len(found) >= limit:
            break
    return found


def load_results(
    folder: Path, max_files: int = 20_000
) -> tuple[pd.DataFrame, dict, pd.DataFrame | None]:
    """The run data, manifest and sensitivity table of a folder (see :func:`sim.experiments.load_results`).

    The manifest is optional here (``{}`` when missing or over 20 MB); files
    whose path leaves the folder (symbolic links) are skipped.
    """
    try:
        res = read_results_folder(
            folder, manifest_required=False, max_files=max_files, max_manifest_bytes=20_000_000
        )
    except ScenarioError as exc:
        raise ResultsFolderError(str(exc)) from None
    return res.runs, res.manifest, res.sensitivity


def split_columns(df: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Split columns into (parameters, outcomes).

    Outcomes are registry names; parameters vary across runs and are not bookkeeping.
    """
    outcomes = [c for c in df.columns if c in _OUTCOME and pd.api.types.is_numeric_dtype(df[c])]
    params = []
    for c in df.columns:
        if c in _OUTCOME or c in BOOKKEEPING or c.startswith("_"):
            continue
        try:
            varies = df[c].nunique(dropna=True) > 1
        except TypeError:  # unhashable cells (lists) are not parameters we can plot
            continue
        if varies:
            params.append(c)
    return params, outcomes


def per_run(df: pd.DataFrame, params: list[str], outcomes: list[str]) -> pd.DataFrame:
    """One row per run: a per-tick table is reduced with each outcome's own summary.

    Each outcome keeps its registry summary over ticks (last, mean or sum):
    :func:`sim.analysis.summarize_runs`.
    """
    if "tick" not in df.columns or df["tick"].nunique() <= 1:
        return df
    if "run_id" in df.columns:
        keys = ["run_id"]
    else:
        keys = [c for c in (*params, "seed", "replication", "scenario") if c in df.columns]
    keys = keys or ["_all"]
    d = df.assign(_all=0) if keys == ["_all"] else df
    out = summarize_runs(d, outcomes, keys)
    rest = [p for p in params if p not in keys]
    if rest:
        out = out.join(d.groupby(keys, sort=False, dropna=False)[rest].first())
    return out.reset_index()


def ci_by_parameter(
    runs: pd.DataFrame, param: str, outcome: str, max_levels: int = 12, bins: int = 8
) -> pd.DataFrame:
    """Mean of ``outcome`` with its 95% t-interval per value of ``param``.

    A parameter with more than ``max_levels`` values (a Latin hypercube, say)
    is cut into ``bins`` quantile bins, represented by their mean value. The
    interval is clipped at the outcome's natural bounds (a count never goes
    below zero, a share never above one).

    Returns:
        Columns: param value (named ``param``), mean, lo, hi, n.
    """
    d = runs[[param, outcome]].dropna()
    x = d[param]
    if pd.api.types.is_numeric_dtype(x) and x.nunique() > max_levels:
        cut = pd.qcut(x, q=bins, duplicates="drop")
        group = x.groupby(cut, observed=True).transform("mean")
    else:
        group = x
    low, high = outcome_bounds(outcome)
    rows = []
    for value, grp in d.groupby(group, sort=True):
        mean, half, n = t_interval(grp[outcome])
        half = 0.0 if not np.isfinite(half) else half
        rows.append(
            {
                param: value,
                "mean": mean,
                "lo": min(max(mean - half, low), high),
                "hi": max(min(mean + half, high), low),
                "n": n,
            }
        )
    return pd.DataFrame(rows, columns=[param, "mean", "lo", "hi", "n"])
