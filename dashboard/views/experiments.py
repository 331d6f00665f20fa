"""Experiments: open a results folder of the batch runner; its question and design in plain
words, outcomes against parameters with confidence intervals, sensitivity indices with a
warning when the sample is too small to trust them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, stats
from dashboard.experiment_info import (
    design_lines,
    keep_mode,
    param_words,
    question,
    sensitivity_guide,
    sensitivity_warnings,
)
from dashboard.formatting import escape_md

FOLDER_KEY = "exp_folder"


@st.cache_data(max_entries=8, show_spinner=False)
def _load(folder: str, signature: tuple) -> tuple:
    from pathlib import Path

    return stats.load_results(Path(folder))


def _signature(folder) -> tuple:
    files = sorted(folder.rglob("*.parquet")) + [folder / "manifest.json", folder / "sensitivity.csv"]
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files if p.exists())


_INDEX_COLS = ("ST", "S1", "mu_star", "mu", "sigma", "S2", "delta", "index", "value")
_NAME_COLS = ("parameter", "param", "name", "names", "factor", "variable")


def _sensitivity(sens: pd.DataFrame, manifest: dict) -> None:
    st.subheader("Sensitivity indices")
    method = str(sens["method"].iloc[0]) if "method" in sens.columns and len(sens) else (
        "sobol" if "S1" in sens.columns else "morris"
    )
    problems = sensitivity_warnings(sens, manifest)
    if problems:
        st.warning(
            "**Too little data to trust these indices yet.**\n\n"
            + "\n".join(f"- {escape_md(p)}" for p in problems),
            icon=":material/warning:",
        )
    with st.expander("How to read these indices", expanded=not problems):
        st.markdown(sensitivity_guide(method))
    name_col = next((c for c in _NAME_COLS if c in sens.columns), None)
    idx_cols = [c for c in _INDEX_COLS if c in sens.columns]
    if name_col and idx_cols:
        d = sens
        c1, c2 = st.columns(2)
        if "outcome" in sens.columns:
            outs = list(dict.fromkeys(sens["outcome"].astype(str)))
            pick = c1.selectbox(
                "Outcome", outs, key="exp_sens_outcome", format_func=charts.outcome_title
            )
            d = sens[sens["outcome"].astype(str) == pick]
        index = c2.selectbox("Index", idx_cols, key="exp_sens_index")
        conf = next((c for c in (f"{index}_conf", f"{index}_ci") if c in d.columns), None)
        st.altair_chart(
            charts.sensitivity_chart(d, index, name_col, conf, title=f"{index} per parameter"),
            theme=None,
        )
    st.dataframe(sens, hide_index=True, width="stretch")


def _choose_folder(root, found: list[str]) -> str:
    """One widget decides the folder: pick one found, or type a path and press Enter."""
    choice = st.selectbox(
        "Results folder",
        found,
        key=FOLDER_KEY,
        accept_new_options=True,
        placeholder="Type a folder inside the results root and press Enter",
        help="Pick a folder found under the results root, or type the path of another one "
        "(relative to the root) and press Enter. What this box shows is the folder read.",
        persist_state="session",
    )
    return (choice or "").strip()


def _story(manifest: dict) -> None:
    q = question(manifest)
    if q:
        st.markdown(f"**Question.** {escape_md(q)}")
    lines = design_lines(manifest)
    if lines:
        st.markdown("\n".join(f"- {escape_md(line)}" for line in lines))
    with st.expander("Manifest (as written by the batch runner)"):
        st.json(manifest, expanded=1)


def render() -> None:
    """Draw the page."""
    st.title("Experiments")
    root = stats.results_root()
    st.caption(
        "Open a results folder written by the batch runner. Only folders inside the results "
        f"root are read: {escape_md(root)} (set EXLAB_RESULTS_ROOT to change it)."
    )
    found = stats.list_result_folders(root)
    target = _choose_folder(root, found)
    if not target:
        st.info(
            "No results folder yet. Run an experiment with the batch runner "
            "(`exlab sweep EXPERIMENT.toml --out results/NAME`); its folder appears here."
        )
        return
    try:
        folder = stats.safe_folder(target, root)
        data, manifest, sens = _load(str(folder), _signature(folder))
    except stats.ResultsFolderError as exc:
        st.error(escape_md(exc))
        return
    shown = folder.relative_to(root).as_posix() if folder != root else "."
    st.markdown(f"**Folder:** {escape_md(shown)}")
    if manifest:
        _story(manifest)
    if data.empty:
        st.warning("This folder holds no run data (no readable .parquet files).")
        if sens is not None:
            _sensitivity(sens, manifest)
        return
    params, outcomes = stats.split_columns(data)
    if keep_mode(manifest) == "summary" and "tick" in data.columns and data["tick"].nunique() > 1:
        ticks = sorted(int(t) for t in data["tick"].unique())
        day = st.select_slider(
            "Day of the kept summaries",
            ticks,
            value=ticks[-1],
            key="exp_tick",
            help="This experiment kept each run's summary (last value, mean or total up to "
            "that day) at these days; the charts show the one chosen.",
        )
        data = data[data["tick"] == day]
    runs = stats.per_run(data, params, outcomes)
    c = st.columns(3)
    c[0].metric("Runs", f"{len(runs):,}")
    c[1].metric("Parameters that vary", len(params))
    c[2].metric("Outcomes", len(outcomes))
    if not params or not outcomes:
        st.warning(
            "No parameter varies across these runs, or no known outcome column was found. "
            f"Columns: {escape_md(', '.join(map(str, data.columns)))}"
        )
    else:
        p1, p2 = st.columns([1, 2])
        param = p1.selectbox("Parameter", params, key="exp_param", format_func=param_words)
        default = [o for o in ("trust", "satisfaction", "churn", "control_share") if o in outcomes][
            :2
        ]
        chosen = p2.multiselect(
            "Outcomes",
            outcomes,
            default=default or outcomes[:1],
            key="exp_outcomes",
            format_func=charts.outcome_title,
        )
        levels = runs[param].nunique()
        st.caption(
            f"Each point is the mean over the runs at one level of {escape_md(param_words(param))}, "
            "with its 95% t interval, clipped at the outcome's possible range"
            + (" (levels cut into 8 bins of equal counts)." if levels > 12 else ".")
        )
        cols = st.columns(2)
        for i, o in enumerate(chosen):
            ci = stats.ci_by_parameter(runs, param, o)
            with cols[i % 2].container(key=f"exp_ci_{i}"):
                st.altair_chart(charts.ci_chart(ci, param, o, param_words(param)), theme=None)
        with st.expander("Runs table"):
            st.dataframe(runs.head(5000), hide_index=True, width="stretch")
    if sens is not None:
        _sensitivity(sens, manifest)


render()
