"""Pure table helpers: replication bands, summaries with t-based 95% CIs, results folders.

No Streamlit here: these functions take and return DataFrames so the tests
can check them directly.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as sps

from sim.metrics import OUTCOMES

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
    "t_interval",
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


def t_interval(values: np.ndarray | pd.Series, level: float = 0.95) -> tuple[float, float, int]:
    """Mean, half-width of the t-based confidence interval, and n (NaNs dropped).

    With one value the half-width is NaN: one run says nothing about spread.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = int(v.size)
    if n == 0:
        return float("nan"), float("nan"), 0
    mean = float(v.mean())
    if n < 2:
        return mean, float("nan"), n
    half = float(sps.t.ppf(0.5 + level / 2, n - 1) * v.std(ddof=1) / np.sqrt(n))
    return mean, half, n


def bands(table: pd.DataFrame, outcomes: list[str], by: str = "run") -> pd.DataFrame:
    """Per tick, run and outcome: mean over replications with its 95% t-interval.

    Args:
        table: Stacked replication tables (columns ``tick``, ``replication``, ``by``, outcomes).
        outcomes: Outcome columns to summarise.
        by: Column naming the run (one line per value).

    Returns:
        Long table: by, tick, outcome, mean, lo, hi, n. Where n < 2, lo = hi = mean.
    """
    long = table.melt(
        id_vars=[by, "tick", "replication"],
        value_vars=outcomes,
        var_name="outcome",
        value_name="value",
    )
    g = long.groupby([by, "outcome", "tick"], sort=False)["value"]
    out = g.agg(mean="mean", sd="std", n="count").reset_index()
    tq = sps.t.ppf(0.975, np.maximum(out["n"] - 1, 1))
    half = np.where(out["n"] > 1, tq * out["sd"] / np.sqrt(out["n"].clip(lower=1)), 0.0)
    out["lo"] = out["mean"] - half
    out["hi"] = out["mean"] + half
    return out.drop(columns="sd")


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
    """Read every ``*.parquet`` file under ``folder`` (as data), the manifest and sensitivity table.

    Files whose path leaves the folder (symbolic links) are skipped.
    """
    folder = folder.resolve()
    frames = []
    files = sorted(
        p
        for p in folder.rglob("*.parquet")
        if p.name != "sensitivity.parquet" and p.resolve().is_relative_to(folder)
    )
    if len(files) > max_files:
        raise ResultsFolderError(
            f"{len(files)} Parquet files: more than the {max_files} this page reads."
        )
    for p in files:
        try:
            frames.append(pd.read_parquet(p))
        except Exception as exc:  # a half-written part file must not hide the others
            raise ResultsFolderError(
                f"{p.relative_to(folder)} could not be read as Parquet: {exc}"
            ) from None
    data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    manifest: dict = {}
    mpath = folder / "manifest.json"
    if (
        mpath.is_file()
        and mpath.resolve().is_relative_to(folder)
        and mpath.stat().st_size < 20_000_000
    ):
        try:
            manifest = json.loads(mpath.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            manifest = {"error": f"manifest.json is not valid JSON: {exc}"}
    sens = None
    for name in ("sensitivity.parquet", "sensitivity.csv"):
        sp = folder / name
        if sp.is_file() and sp.resolve().is_relative_to(folder):
            sens = pd.read_parquet(sp) if name.endswith("parquet") else pd.read_csv(sp)
            break
    return data, manifest, sens


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

    Each outcome keeps its registry summary over ticks (last, mean or sum).
    """
    if "tick" not in df.columns or df["tick"].nunique() <= 1:
        return df
    if "run_id" in df.columns:
        keys = ["run_id"]
    else:
        keys = [c for c in (*params, "seed", "replication", "scenario") if c in df.columns]
    keys = keys or ["_all"]
    d = df.assign(_all=0) if keys == ["_all"] else df
    d = d.sort_values("tick")
    agg = {}
    for o in outcomes:
        how = _OUTCOME[o].summary
        agg[o] = {"last": "last", "mean": "mean", "sum": "sum"}[how]
    for p in params:
        if p not in keys:
            agg[p] = "first"
    return d.groupby(keys, sort=False, dropna=False).agg(agg).reset_index()


def ci_by_parameter(
    runs: pd.DataFrame, param: str, outcome: str, max_levels: int = 12, bins: int = 8
) -> pd.DataFrame:
    """Mean of ``outcome`` with its 95% t-interval per value of ``param``.

    A parameter with more than ``max_levels`` values (a Latin hypercube, say)
    is cut into ``bins`` quantile bins, represented by their mean value.

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
    rows = []
    for value, grp in d.groupby(group, sort=True):
        mean, half, n = t_interval(grp[outcome])
        half = 0.0 if not np.isfinite(half) else half
        rows.append({param: value, "mean": mean, "lo": mean - half, "hi": mean + half, "n": n})
    return pd.DataFrame(rows)
