"""Experiments: open a results folder of the batch runner; outcomes against parameters with CIs."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, stats
from dashboard.widgets import lever_spec


@st.cache_data(max_entries=8, show_spinner=False)
def _load(folder: str, signature: tuple) -> tuple:
    from pathlib import Path

    return stats.load_results(Path(folder))


def _signature(folder) -> tuple:
    files = sorted(folder.rglob("*.parquet")) + [folder / "manifest.json"]
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files if p.exists())


def _param_title(param: str) -> str:
    try:
        spec = lever_spec(param)
    except KeyError:
        return param
    return f"{param} ({spec.unit})" if spec.unit else param


_INDEX_COLS = ("ST", "S1", "mu_star", "mu", "sigma", "S2", "delta", "index", "value")
_NAME_COLS = ("parameter", "param", "name", "names", "factor", "variable")


def _sensitivity(sens) -> None:
    st.subheader("Sensitivity indices")
    st.dataframe(sens, hide_index=True, width="stretch")
    name_col = next((c for c in _NAME_COLS if c in sens.columns), None)
    idx_cols = [c for c in _INDEX_COLS if c in sens.columns]
    if not name_col or not idx_cols:
        return
    d = sens
    if "outcome" in sens.columns:
        outs = list(dict.fromkeys(sens["outcome"].astype(str)))
        pick = st.selectbox("Outcome", outs, key="exp_sens_outcome")
        d = sens[sens["outcome"].astype(str) == pick]
    index = st.selectbox("Index", idx_cols, key="exp_sens_index")
    conf = next((c for c in (f"{index}_conf", f"{index}_ci") if c in d.columns), None)
    st.altair_chart(
        charts.sensitivity_chart(d, index, name_col, conf, title=f"{index} per parameter"),
        theme=None,
    )


def render() -> None:
    """Draw the page."""
    st.title("Experiments")
    root = stats.results_root()
    st.caption(
        f"Open a results folder written by the batch runner. Only folders inside the "
        f"results root are read: `{root}` (set EXLAB_RESULTS_ROOT to change it)."
    )
    found = stats.list_result_folders(root)
    c1, c2 = st.columns(2)
    picked = c1.selectbox("Results folders found", found or ["(none found)"], key="exp_found")
    typed = c2.text_input("Or type a folder (relative to the root)", key="exp_typed")
    target = typed.strip() or (picked if found else "")
    if not target:
        st.info(
            "No results folder yet. Run an experiment with the batch runner; its folder "
            "appears here."
        )
        return
    try:
        folder = stats.safe_folder(target, root)
    except stats.ResultsFolderError as exc:
        st.error(str(exc))
        return
    try:
        data, manifest, sens = _load(str(folder), _signature(folder))
    except stats.ResultsFolderError as exc:
        st.error(str(exc))
        return
    st.markdown(f"**Folder:** `{folder.relative_to(root) if folder != root else '.'}`")
    if manifest:
        with st.expander("Manifest"):
            st.json(manifest, expanded=1)
    if data.empty:
        st.warning("This folder holds no run data (no readable .parquet files).")
        if sens is not None:
            _sensitivity(sens)
        return
    params, outcomes = stats.split_columns(data)
    runs = stats.per_run(data, params, outcomes)
    c = st.columns(3)
    c[0].metric("Runs", f"{len(runs):,}")
    c[1].metric("Parameters that vary", len(params))
    c[2].metric("Outcomes", len(outcomes))
    if not params or not outcomes:
        st.warning(
            "No parameter varies across these runs, or no known outcome column was found. "
            f"Columns: {', '.join(map(str, data.columns))}"
        )
    else:
        p1, p2 = st.columns([1, 2])
        param = p1.selectbox("Parameter", params, key="exp_param", format_func=_param_title)
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
        cols = st.columns(2)
        for i, o in enumerate(chosen):
            ci = stats.ci_by_parameter(runs, param, o)
            cols[i % 2].altair_chart(charts.ci_chart(ci, param, o, _param_title(param)), theme=None)
        with st.expander("Runs table"):
            st.dataframe(runs.head(5000), hide_index=True, width="stretch")
    if sens is not None:
        _sensitivity(sens)


render()
