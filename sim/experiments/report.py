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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis import summarize_runs, t_intervals
from sim.experiments.runs import ID_COLUMNS
from sim.experiments.store import ResultsFolder
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
    """A results folder read back: manifest, design, runs, failures and sensitivity indices."""

    folder: Path
    manifest: dict
    design: pd.DataFrame
    runs: pd.DataFrame
    failures: pd.DataFrame
    sensitivity: pd.DataFrame | None = None

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
    The runs are every ``*.parquet`` file below the folder except
    ``sensitivity.parquet`` (for a folder written by ``exlab sweep``: the part
    files in ``runs/``), read in name order; names starting with a dot
    (temporaries) and files whose real path leaves the folder (symbolic links)
    are skipped.

    Args:
        folder: The results folder.
        manifest_required: Refuse a folder without a readable ``manifest.json``.
            When False, a missing (or larger than ``max_manifest_bytes``)
            manifest reads as ``{}`` and an unreadable one as ``{"error": ...}``.
        max_files: Refuse a folder with more run files than this.
        max_manifest_bytes: Size above which the manifest is not read (not required only).

    Raises:
        ScenarioError: no such folder, too many or unreadable run files, or
            (when required) no readable manifest.
    """
    store = ResultsFolder(folder)
    root = store.root.resolve()
    if not root.is_dir():
        raise ScenarioError(
            [("(folder)", "a results folder written by `exlab sweep`", f"{folder!s} (no such folder)")]
        )

    def inside(p: Path) -> bool:
        return p.is_file() and p.resolve().is_relative_to(root)

    files = sorted(
        p
        for p in root.rglob("*.parquet")
        if p.name != "sensitivity.parquet" and not p.name.startswith(".") and inside(p)
    )
    if max_files is not None and len(files) > max_files:
        raise ScenarioError(
            [("(folder)", f"at most {max_files} Parquet files", f"{len(files)} files")], str(folder)
        )
    manifest: dict = {}
    if manifest_required:
        manifest = store.read_manifest()
    elif inside(store.manifest_path) and (
        max_manifest_bytes is None or store.manifest_path.stat().st_size <= max_manifest_bytes
    ):
        try:
            manifest = store.read_manifest()
        except ScenarioError as exc:
            manifest = {"error": str(exc)}
    sens = None
    for name in ("sensitivity.parquet", "sensitivity.csv"):
        if inside(root / name):
            sens = pd.read_parquet(root / name) if name.endswith("parquet") else pd.read_csv(root / name)
            break
    return SweepResults(
        folder=store.root,
        manifest=manifest,
        design=store.read_design() if inside(store.design_path) else pd.DataFrame(),
        runs=_read_runs(files, root, str(folder)),
        failures=store.read_failures(),
        sensitivity=sens,
    )


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
    problem = d["salib_problem"]
    unit = res.design[[f"unit:{p}" for p in res.factors]].to_numpy()
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
        path = out_dir / f"{name}.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        written.append(path)
    if res.manifest["outcomes"]["keep"] == "series" and res.runs["point"].nunique() <= 12:
        written += _series_plots(res, out_dir)
    return written


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
        path = out_dir / f"{name}_series.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
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


def print_report(folder: str | Path, *, plots: bool = True, out=None) -> SweepResults:
    """Print the report of a results folder; write summary.csv, sensitivity.csv and plots/."""
    from sim.experiments.store import _atomic_write_bytes

    out = out or sys.stdout
    res = load_results(folder)
    m = res.manifest
    planned = m["counts"]["planned"]
    runs = per_run(res)
    n_done = runs["run_id"].nunique() if not runs.empty else 0
    still_failed = set(res.failures["run_id"]) - set(runs.get("run_id", []))
    print(
        f"{m['experiment']['name']}: {m['design']['kind']} design, {m['design']['points']} "
        f"points x {m['design']['replications']} replications; runs done {n_done}/{planned}, "
        f"failed (not yet rerun) {len(still_failed)}; status {m['status']}",
        file=out,
    )
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
    _atomic_write_bytes(res.folder / "summary.csv", means.to_csv(index=False).encode("utf-8"))
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
        _atomic_write_bytes(
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
