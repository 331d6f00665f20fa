"""Reports on a results folder: per-configuration means with 95% t intervals, sensitivity, plots.

Every run is first reduced to one value per outcome: with ``keep = "summary"``
the kept summary rows as they are (one per chosen tick); with ``keep =
"series"`` each outcome summarised over the whole run by its registry rule
(last, mean or sum; :func:`sim.analysis.summarize_runs`). Then, per
configuration (design point), over its replications
(:func:`sim.analysis.t_intervals`):

    mean = sum(y) / n,   CI95 = mean +/- t(0.975, n - 1) * sd / sqrt(n)

with ``sd`` the sample standard deviation (ddof = 1); a point with one
replication has no interval. For Sobol and Morris designs the per-point
means (in design order) go to SALib: first-order and total Sobol indices
(S1, ST, with 95% bootstrap intervals), or Morris mu, mu*, sigma.

References:
    Sobol', I. M. (2001). Global sensitivity indices for nonlinear mathematical
    models and their Monte Carlo estimates. Math. Comput. Simul., 55, 271-280.
    Campolongo, F., Cariboni, J., & Saltelli, A. (2007). An effective screening
    design for sensitivity analysis of large models. Environ. Model. Softw., 22,
    1509-1518.
    Herman, J., & Usher, W. (2017). SALib: an open-source Python library for
    sensitivity analysis. JOSS, 2(9), 97.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis import summarize_runs, t_intervals
from sim.atomic import atomic_write
from sim.experiments.designs import salib_problem
from sim.experiments.runs import ID_COLUMNS, expected_rows
from sim.experiments.spec import Factor
from sim.experiments.store import ResultsFolder, manifest_problems
from sim.metrics import outcome
from sim.scenario import ScenarioError

__all__ = [
    "SweepResults",
    "config_means",
    "load_results",
    "per_run",
    "print_report",
    "save_plots",
    "sensitivity",
]

MAX_PRINTED_POINTS = 40


@dataclass
class SweepResults:
    """A results folder read back: manifest, design, runs, failures and sensitivity indices.

    ``missing`` lists the planned runs without a part file and ``damaged`` the
    part files that are not a whole run (with why), in a folder of ``exlab sweep``.
    """

    folder: Path
    manifest: dict
    design: pd.DataFrame
    runs: pd.DataFrame
    failures: pd.DataFrame
    sensitivity: pd.DataFrame | None = None
    missing: list[str] = field(default_factory=list)
    damaged: dict[str, str] = field(default_factory=dict)

    @property
    def factors(self) -> list[str]:
        """Varied parameter paths, in file order."""
        return [p["path"] for p in self.manifest["design"]["parameters"]]

    @property
    def outcomes(self) -> list[str]:
        """Outcome names kept."""
        return list(self.manifest["outcomes"]["names"])


def load_results(
    folder: str | Path,
    *,
    manifest_required: bool = True,
    max_files: int | None = None,
    max_manifest_bytes: int | None = None,
) -> SweepResults:
    """Read a results folder: its runs, manifest, design, failures and sensitivity indices.

    The one reader of results folders, for ``exlab report`` and the dashboard.
    In a folder written by ``exlab sweep`` (a manifest of its own) the runs
    are the part files of the manifest's runs that are whole (checked as a
    resumed sweep checks them); the others are listed in ``missing`` and
    ``damaged``, and no other file is read. In any other folder the runs are
    every ``*.parquet`` file below it except ``sensitivity.parquet``, read in
    name order. Names starting with a dot (temporaries) and files whose real
    path leaves the folder (symbolic links) are skipped.

    Args:
        folder: The results folder.
        manifest_required: Refuse a folder without a manifest of ``exlab sweep``.
            When False, a missing (or larger than ``max_manifest_bytes``)
            manifest reads as ``{}`` and an unreadable one as ``{"error": ...}``.
        max_files: Refuse a folder with more run files than this.
        max_manifest_bytes: Size above which the manifest is not read (not required only).

    Raises:
        ScenarioError: no such folder, too many or unreadable run files, or
            (when required) no manifest of ``exlab sweep``.
    """
    store = ResultsFolder(folder)
    root = store.root.resolve()
    if not root.is_dir():
        raise ScenarioError(
            [("(folder)", "a results folder written by `exlab sweep`", f"{folder!s} (no such folder)")]
        )

    def inside(p: Path) -> bool:
        return p.is_file() and p.resolve().is_relative_to(root)

    manifest: Any = {}
    if manifest_required:
        manifest = store.read_manifest()
    elif inside(store.manifest_path) and (
        max_manifest_bytes is None or store.manifest_path.stat().st_size <= max_manifest_bytes
    ):
        try:
            manifest = store.read_manifest(check=False)
        except ScenarioError as exc:
            manifest = {"error": str(exc)}
    ours = manifest_required or not manifest_problems(manifest)
    design = store.read_design() if inside(store.design_path) else pd.DataFrame()
    missing: list[str] = []
    damaged: dict[str, str] = {}
    if ours:
        expected = _expected_rows(manifest, design)
        numeric = ("point", "replication", "seed", "tick", *manifest["outcomes"]["names"])
        good, damaged = store.check_parts(expected, numeric)
        missing = [k for k in expected if k not in good and k not in damaged]
        files = [store.part_path(k) for k in sorted(good) if inside(store.part_path(k))]
    else:
        files = sorted(
            p
            for p in root.rglob("*.parquet")
            if p.name != "sensitivity.parquet" and not p.name.startswith(".") and inside(p)
        )
    if max_files is not None and len(files) > max_files:
        raise ScenarioError(
            [("(folder)", f"at most {max_files} Parquet files", f"{len(files)} files")], str(folder)
        )
    sens = None
    for name in ("sensitivity.parquet", "sensitivity.csv"):
        if inside(root / name):
            sens = _read_table(root / name, str(folder))
            break
    return SweepResults(
        folder=store.root,
        manifest=manifest,
        design=design,
        runs=_read_runs(files, root, str(folder)),
        failures=store.read_failures(),
        sensitivity=sens,
        missing=missing,
        damaged=damaged,
    )


def _expected_rows(m: dict, design: pd.DataFrame) -> dict[str, int]:
    """Rows of each planned run's part file, from the manifest (and the design when run.ticks varies)."""
    out = m["outcomes"]
    ticks_of = {}
    if "run.ticks" in design.columns and "point" in design.columns:
        points = pd.to_numeric(design["point"], errors="coerce")
        ticks = pd.to_numeric(design["run.ticks"], errors="coerce")
        ticks_of = {int(p): int(t) for p, t in zip(points, ticks, strict=True) if pd.notna(p) and pd.notna(t)}
    return {
        run_id: expected_rows(int(ticks_of.get(point, out["ticks"])), out["keep"], out.get("at_ticks") or [])
        for run_id, point, _, _ in m["seeds"]["runs"]
    }


def _read_table(path: Path, source: str) -> pd.DataFrame:
    """A small table (CSV or Parquet) of a results folder, or a ScenarioError naming it."""
    try:
        return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except Exception as exc:  # any damage: named as one line, not a traceback
        text = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise ScenarioError([(path.name, "a readable table", text)], source) from None


def _read_runs(files: list[Path], root: Path, source: str) -> pd.DataFrame:
    """The run files as one table, with the union of their columns."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not files:
        return pd.DataFrame()
    try:  # one read of all files against their merged schema (a column missing from a file is NaN)
        schema = pa.unify_schemas([pq.read_schema(p) for p in files])
        return pq.read_table(files, schema=schema).to_pandas().reset_index(drop=True)
    except (OSError, pa.ArrowException):  # a column's type differs between files, or a file is damaged
        pass
    frames = []
    for p in files:
        try:
            frames.append(pd.read_parquet(p))
        except Exception as exc:  # a damaged file is named, not hidden behind the others
            raise ScenarioError(
                [(p.relative_to(root).as_posix(), "a readable Parquet file", str(exc))], source
            ) from None
    return pd.concat(frames, ignore_index=True)


def per_run(res: SweepResults) -> pd.DataFrame:
    """One row per run (and chosen tick): identifiers, parameters, tick, one value per outcome.

    With ``keep = "series"`` each outcome is summarised over the whole run by
    :func:`sim.analysis.summarize_runs`.
    """
    df = res.runs
    if df.empty:
        return df
    keys = [*ID_COLUMNS, *res.factors]
    if res.manifest["outcomes"]["keep"] != "series":
        return df.sort_values([*keys, "tick"]).reset_index(drop=True)
    g = df.groupby("run_id", sort=True)
    out = g[keys[1:]].first()
    out["tick"] = g["tick"].max()
    out = out.join(summarize_runs(df, res.outcomes, ["run_id"]))
    return out.reset_index().sort_values(["point", "replication"]).reset_index(drop=True)


def config_means(runs: pd.DataFrame, factors: list[str], outcomes: list[str]) -> pd.DataFrame:
    """Per configuration (point and tick) and outcome: n, mean, sd and the 95% t interval.

    The interval is :func:`sim.analysis.t_intervals`; a point with one
    replication has none (``ci_low`` and ``ci_high`` are NaN).
    """
    columns = ["point", *factors, "tick", "outcome", "n", "mean", "sd", "ci_low", "ci_high"]
    if runs.empty:
        return pd.DataFrame(columns=columns)
    long = runs.melt(
        id_vars=["point", *factors, "tick"],
        value_vars=outcomes,
        var_name="outcome",
        value_name="value",
    )
    tab = t_intervals(long.groupby(["point", "tick", "outcome"], sort=False)["value"]).reset_index()
    tab["ci_low"] = tab["mean"] - tab["half"]
    tab["ci_high"] = tab["mean"] + tab["half"]
    if factors:
        tab = tab.merge(runs.groupby("point")[factors].first().reset_index(), on="point", how="left")
    order = {name: i for i, name in enumerate(outcomes)}
    tab = tab.sort_values(
        ["outcome", "point", "tick"], key=lambda s: s.map(order) if s.name == "outcome" else s
    )
    return tab[columns].reset_index(drop=True)


#: Sensitivity index columns reported per method (SALib result keys).
_INDEX_COLUMNS = {"sobol": ("S1", "S1_conf", "ST", "ST_conf"),
                  "morris": ("mu", "mu_star", "mu_star_conf", "sigma")}


def sensitivity(res: SweepResults, runs: pd.DataFrame) -> pd.DataFrame:
    """Sobol (S1, ST) or Morris (mu, mu*, sigma) indices per outcome and parameter.

    Uses the per-point mean over replications at the last kept tick. Empty when
    the design is neither Sobol nor Morris, or when some points have no run yet.
    """
    d = res.manifest["design"]
    kind = d["kind"]
    if kind not in ("sobol", "morris") or runs.empty:
        return pd.DataFrame()
    last = (
        runs[runs["tick"] == runs["tick"].max()]
        if res.manifest["outcomes"]["keep"] != "series"
        else runs
    )
    means = last.groupby("point")[res.outcomes].mean().reindex(range(d["points"]))
    problem = salib_problem(tuple(Factor(path=p, kind="float") for p in res.factors))
    unit = _unit_matrix(res)
    per_block = len(res.factors) + 1 if kind == "morris" else (2 if d["second_order"] else 1) * len(res.factors) + 2
    if unit is None or not res.factors or d["points"] % per_block:
        return pd.DataFrame()  # design.csv or the manifest do not describe a sampled design
    rows = []
    for name in res.outcomes:
        y = means[name].to_numpy(np.float64)
        if not np.isfinite(y).all():
            continue  # a missing point or an outcome never recorded: no valid estimate
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "sobol":
                from SALib.analyze import sobol as sobol_analyze

                si = sobol_analyze.analyze(problem, y, calc_second_order=d["second_order"],
                                           print_to_console=False, seed=d["seed"] % 2**32)
            else:
                from SALib.analyze import morris as morris_analyze

                si = morris_analyze.analyze(problem, unit, y, num_levels=d["levels"],
                                            print_to_console=False, seed=d["seed"] % 2**32)
        for j, p in enumerate(res.factors):
            row = {"outcome": name, "parameter": p, "method": kind}
            row.update({key: si[key][j] for key in _INDEX_COLUMNS[kind]})
            rows.append(row)
    return pd.DataFrame(rows)


def _unit_matrix(res: SweepResults) -> np.ndarray | None:
    """The sampler's matrix from design.csv, one row per point, or None when it is not there."""
    columns = [f"unit:{p}" for p in res.factors]
    if not set(columns) <= set(res.design.columns):
        return None
    unit = res.design[columns].apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
    points = res.manifest["design"]["points"]
    inside = np.isfinite(unit).all() and (0 <= unit).all() and (unit <= 1).all()
    if unit.shape != (points, len(columns)) or not inside:
        return None
    return unit


def save_plots(res: SweepResults, runs: pd.DataFrame, means: pd.DataFrame) -> list[Path]:
    """PNG plots into FOLDER/plots/: each outcome against each varied parameter.

    One figure per outcome, one panel per parameter: every run as a dot, and
    for parameters with few levels the level means with 95% t intervals. With
    ``keep = "series"`` and at most 12 points, also each point's mean time
    series with its 95% band.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = res.folder / "plots"
    out_dir.mkdir(exist_ok=True)
    written: list[Path] = []
    factors = res.factors
    if runs.empty:
        return written
    last = runs[runs["tick"] == runs["tick"].max()]
    for name in res.outcomes:
        if not last[name].notna().any():
            continue
        unit = outcome(name).unit
        panels = factors or ["point"]
        fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.6), squeeze=False)
        for ax, p in zip(axes[0], panels, strict=True):
            x = last[p]
            categorical = not pd.api.types.is_numeric_dtype(x) or pd.api.types.is_bool_dtype(x)
            levels = sorted(x.unique(), key=str)
            pos = {v: i for i, v in enumerate(levels)}
            xs = x.map(pos) if categorical else x
            ax.scatter(xs, last[name], s=10, alpha=0.35, color="tab:blue", label="runs")
            if len(levels) <= 20:
                ci = t_intervals(last.groupby(p)[name])
                mx = [pos[v] for v in ci.index] if categorical else ci.index
                ax.errorbar(
                    mx,
                    ci["mean"].to_numpy(),
                    yerr=ci["half"].to_numpy(),
                    fmt="o-",
                    color="tab:red",
                    capsize=3,
                    label="mean at this value, 95% CI",
                )
            if categorical:
                ax.set_xticks(range(len(levels)), [str(v) for v in levels])
            ax.set_xlabel(p)
            ax.set_ylabel(f"{name} ({unit})" if unit else name)
        axes[0][0].legend(fontsize=8)
        tick = int(last["tick"].iloc[0])
        fig.suptitle(
            f"{res.manifest['experiment']['name']}: {name} "
            f"({outcome(name).summary} up to tick {tick})",
            fontsize=10,
        )
        fig.tight_layout()
        path = _save_png(fig, out_dir / f"{name}.png")
        written.append(path)
    if res.manifest["outcomes"]["keep"] == "series" and res.runs["point"].nunique() <= 12:
        written += _series_plots(res, out_dir)
    return written


def _save_png(fig, path: Path) -> Path:
    """Save a figure as PNG atomically, then close it."""
    import matplotlib.pyplot as plt

    try:
        return atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=90, format="png"))
    finally:
        plt.close(fig)


def _series_plots(res: SweepResults, out_dir: Path) -> list[Path]:
    import matplotlib.pyplot as plt

    written = []
    df = res.runs
    for name in res.outcomes:
        if not df[name].notna().any():
            continue
        fig, ax = plt.subplots(figsize=(6.5, 3.8))
        for point, grp in df.groupby("point"):
            ci = t_intervals(grp.groupby("tick")[name])
            label = ", ".join(f"{p}={grp[p].iloc[0]}" for p in res.factors) or f"point {point}"
            (line,) = ax.plot(ci.index, ci["mean"], label=label)
            ax.fill_between(
                ci.index,
                ci["mean"] - ci["half"],
                ci["mean"] + ci["half"],
                alpha=0.2,
                color=line.get_color(),
            )
        ax.set_xlabel("tick (day)")
        unit = outcome(name).unit
        ax.set_ylabel(f"{name} ({unit})" if unit else name)
        ax.legend(fontsize=7)
        ax.set_title(f"{name}: mean per configuration, 95% CI band", fontsize=10)
        fig.tight_layout()
        path = _save_png(fig, out_dir / f"{name}_series.png")
        written.append(path)
    return written


def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)):
        return "nan" if not np.isfinite(v) else f"{v:.4g}"
    return str(v)


def _table(rows: list[list], header: list[str], out) -> None:
    widths = [max(len(str(r[i])) for r in [*rows, header]) for i in range(len(header))]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)), file=out)


def _driver_alive(res: SweepResults, session: dict) -> bool:
    """Whether the driver of a session is still running.

    On the driver's own host: its pid is alive and started when the recorded
    driver did (a reused pid is not it). Elsewhere, or for a session that did
    not record its driver: whether some driver holds the folder's lock.
    """
    import os
    import socket

    from sim.experiments.sweep import process_start

    driver = session.get("driver")
    if not isinstance(driver, dict) or driver.get("host") != socket.gethostname():
        return ResultsFolder(res.folder).lock_is_held()
    pid = driver.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return ResultsFolder(res.folder).lock_is_held()
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        pass
    recorded = driver.get("started")
    return recorded is None or process_start(pid) == recorded


def resume_hint(res: SweepResults) -> str:
    """The command that resumes the sweep of this folder, from its last driver's directory."""
    import os
    import shlex

    sessions = [s for s in res.manifest.get("sessions", []) if isinstance(s.get("driver"), dict)]
    driver = sessions[-1]["driver"] if sessions else {}
    command = driver.get("command")
    if not isinstance(command, str):
        source = res.manifest["experiment"].get("source") or f"{res.manifest['experiment']['name']}.toml"
        command = shlex.join(["exlab", "sweep", str(source), "--out", str(res.folder)])
    cwd = driver.get("cwd")
    if isinstance(cwd, str) and cwd != os.getcwd():
        return f"cd {shlex.quote(cwd)} && {command}"
    return command


def sweep_status(res: SweepResults, n_done: int) -> str:
    """The sweep's state: complete, running (a live driver), or stopped with the command that resumes it.

    A manifest that says "running" is believed only while its driver is alive.
    """
    m = res.manifest
    planned = len(m["seeds"]["runs"])
    state = m["status"]
    sessions = [s for s in m["sessions"] if isinstance(s, dict)]
    if state == "running":
        if sessions and _driver_alive(res, sessions[-1]):
            driver = sessions[-1].get("driver") or {}
            where = f" (driver pid {driver['pid']} on {driver['host']})" if "pid" in driver else ""
            return f"running{where}"
        state = "interrupted"
    if n_done == planned:
        return "complete"
    if state == "complete":
        state = "incomplete"
    return f"{state}, {n_done} of {planned} done, resume with: {resume_hint(res)}"


def _what_is_missing(res: SweepResults) -> str:
    parts = []
    if res.missing:
        keys = ", ".join(res.missing[:3]) + (", ..." if len(res.missing) > 3 else "")
        parts.append(f"{len(res.missing)} runs without a part file ({keys})")
    if res.damaged:
        shown = "; ".join(f"runs/{k}.parquet: {why}" for k, why in list(res.damaged.items())[:3])
        more = f"; and {len(res.damaged) - 3} more" if len(res.damaged) > 3 else ""
        parts.append(f"{len(res.damaged)} damaged part files, left out and run again on resume ({shown}{more})")
    return "missing: " + "; ".join(parts)


def print_report(folder: str | Path, *, plots: bool = True, out=None) -> SweepResults:
    """Print the report of a results folder; write summary.csv, sensitivity.csv and plots/."""
    out = out or sys.stdout
    res = load_results(folder)
    m = res.manifest
    planned = len(m["seeds"]["runs"])
    runs = per_run(res)
    n_done = runs["run_id"].nunique() if not runs.empty else 0
    still_failed = set(res.failures["run_id"]) - set(runs.get("run_id", []))
    print(
        f"{m['experiment']['name']}: {m['design']['kind']} design, {m['design']['points']} "
        f"points x {m['design']['replications']} replications; runs done {n_done}/{planned}, "
        f"failed (not yet rerun) {len(still_failed)}; status {sweep_status(res, n_done)}",
        file=out,
    )
    if res.missing or res.damaged:
        print(_what_is_missing(res), file=out)
    print(
        f"experiment sha256 {m['experiment']['sha256'][:12]}..., base {m['base_scenario']['ref']}, "
        f"exchangelab {m['versions'].get('exchangelab')}, seeds: {m['seeds']['rule']} "
        f"with root {m['seeds']['root']}",
        file=out,
    )
    prints = {s.get("engine_sha256") for s in m.get("sessions", []) if s.get("done")} - {None}
    if len(prints) > 1:
        print(
            f"warning: runs were made by {len(prints)} different versions of the engine's "
            "source (see sessions in manifest.json); rerun with `exlab sweep --fresh`",
            file=out,
        )
    if runs.empty:
        print("no finished runs yet", file=out)
        return res
    means = config_means(runs, res.factors, res.outcomes)
    atomic_write(res.folder / "summary.csv", means.to_csv(index=False).encode("utf-8"))
    final = means[means["tick"] == means["tick"].max()]
    for name in res.outcomes:
        block = final[final["outcome"] == name]
        if block["mean"].isna().all():
            continue
        o = outcome(name)
        print(
            f"\n{name} ({o.unit}; {o.summary} up to tick {int(block['tick'].iloc[0])}): "
            f"mean over replications, 95% t interval",
            file=out,
        )
        rows = [
            [
                int(r["point"]),
                *[_fmt(r[p]) for p in res.factors],
                int(r["n"]),
                _fmt(r["mean"]),
                f"[{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]" if r["n"] > 1 else "-",
            ]
            for _, r in block.head(MAX_PRINTED_POINTS).iterrows()
        ]
        _table(rows, ["point", *res.factors, "n", "mean", "95% CI"], out)
        if len(block) > MAX_PRINTED_POINTS:
            print(f"... {len(block) - MAX_PRINTED_POINTS} more points in summary.csv", file=out)
    sens = sensitivity(res, runs)
    if not sens.empty:
        atomic_write(
            res.folder / "sensitivity.csv", sens.to_csv(index=False).encode("utf-8")
        )
        cols = [c for c in sens.columns if c not in ("outcome", "parameter", "method")]
        print(f"\nsensitivity ({m['design']['kind']}; written to sensitivity.csv)", file=out)
        _table(
            [
                [r["outcome"], r["parameter"], *[_fmt(r[c]) for c in cols]]
                for _, r in sens.iterrows()
            ],
            ["outcome", "parameter", *cols],
            out,
        )
    elif m["design"]["kind"] in ("sobol", "morris"):
        print("\nsensitivity: not computed (every point needs a finished run)", file=out)
    if plots:
        written = save_plots(res, runs, means)
        print(f"\n{len(written)} plots in {res.folder / 'plots'}", file=out)
    return res
