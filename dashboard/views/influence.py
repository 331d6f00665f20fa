"""Influence: who moved whose trust in a kept run, how far public posts spread, and how much of
what consumers hear still comes from the firms."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import charts, stats, theme
from dashboard.cards import kpi_grid
from dashboard.classroom_model import ego_layout
from dashboard.formatting import compact, escape_md
from dashboard.influence_data import CARDS, InfluenceSummary
from dashboard.runs import KeptRun, cached_run, kept_runs

#: Influencers whose out-edges are drawn, and the most edges drawn.
TOP_EGOS = 8
DRAWN_EDGES = 240


@st.cache_data(max_entries=16, show_spinner=False)
def _analysis(text: str, seed: int, ticks: int) -> dict:
    """One run's influence tables, and the drawing of its strongest influencers' ties."""
    out = cached_run(text, seed, ticks)
    tr = out.tracker
    src, dst, w = tr.edges()
    # Ego networks of the strongest influencers: their heaviest out-edges, drawn as stars.
    top_ids = np.array([c for c, _ in tr.top_influencers(TOP_EGOS)], dtype=np.int64)
    mine = np.flatnonzero(np.isin(src, top_ids))
    mine = mine[np.argsort(-np.abs(w[mine]))][:DRAWN_EDGES]
    s, d, ww = src[mine], dst[mine], w[mine]
    nodes = np.unique(np.concatenate([s, d]))
    local = {int(v): i for i, v in enumerate(nodes.tolist())}
    ls = np.array([local[int(v)] for v in s], dtype=np.int64)
    ld = np.array([local[int(v)] for v in d], dtype=np.int64)
    xy = ego_layout(len(nodes), ls, ld)
    return {
        "edges_kept": int(src.size),
        "truncated": bool(out.truncated),
        "summary": out.influence,
        "control": out.control_share_per_consumer,
        "nodes": pd.DataFrame(
            {
                "x": xy[:, 0],
                "y": xy[:, 1],
                "label": [f"#{v}" for v in nodes.tolist()],
                "exerted": tr.exerted[nodes] if len(nodes) else [],
            }
        ),
        "edges": pd.DataFrame(
            {
                "x": xy[ls, 0],
                "y": xy[ls, 1],
                "x2": xy[ld, 0],
                "y2": xy[ld, 1],
                "weight": np.abs(ww),
                "sign": np.sign(ww),
            }
        ),
    }


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%" if math.isfinite(x) else "n/a"


def _table(df: pd.DataFrame, formats: dict[str, str], key: str) -> None:
    """A static table that wraps rather than scrolls; text cells are user text made inert
    (``st.table`` reads cells as Markdown)."""
    shown = df.copy()
    for col in shown.columns:
        if pd.api.types.is_object_dtype(shown[col]) or pd.api.types.is_string_dtype(shown[col]):
            shown[col] = shown[col].map(escape_md)
    with st.container(key=key):
        st.table(shown.style.format(formats), hide_index=True)


def _who_influences(a: InfluenceSummary, color: str, drawing: dict) -> None:
    st.header("Who influences")
    c = a.concentration
    if not math.isfinite(c["top1"]):
        st.info("Nobody moved anyone's trust in this run (word-of-mouth may be off).")
        return
    top1, top10 = c["top1"], c["top10"]
    if top1 >= 0.05:
        verdict = "a few consumers carry much of it, and the strongest below are worth knowing"
    else:
        verdict = (
            "influence is spread widely, so no single consumer matters much: the strongest below "
            "differ little from the rest"
        )
    m = a.messages
    st.markdown(
        f"The most influential 1% of consumers moved **{_pct(top1)}** of all the trust moved by "
        f"word-of-mouth, the top 10% **{_pct(top10)}** (an even spread would give 1% and 10%): "
        f"{verdict}. {_pct(c['movers'])} of consumers moved someone's trust at least once. In "
        f"private they sent {m['recommendations']:,} recommendations and {m['warnings']:,} "
        f"warnings; in public they wrote {a.cascades['posts']:,} posts "
        f"({a.cascades['negative']:,} negative)."
    )
    left, right = st.columns(2)
    left.altair_chart(charts.concentration_chart(c["curve"], color), theme=None)
    if len(a.groups):
        right.altair_chart(
            charts.group_influence_chart(a.groups, color, "By segment and role"),
            theme=None,
        )
    st.subheader(f"The {len(a.influencers)} strongest influencers")
    st.caption(
        "Role at the end of the run (a prospect is a consumer of no firm, possibly one who left "
        "during it). Ties: people in their network. Trust moved: the trust they moved in others "
        "([0, 1] units, summed). Raised / Lowered: consumers whose trust in their firm they "
        "raised or lowered, on balance. Posts: public posts they wrote; Reshares: times others "
        "passed those posts on; Largest cascade: sharers of the largest one they started."
    )
    _table(
        a.influencers,
        {"Trust moved": "{:.3f}", "Ties": "{:,}", "Largest cascade": lambda v: f"{v:,}" if v else "–"},
        "infl_top",
    )
    if len(a.bloggers):
        _bloggers(a)
    if len(drawing["edges"]):
        st.altair_chart(
            charts.influence_graph_chart(
                drawing["nodes"],
                drawing["edges"],
                f"Whom the {TOP_EGOS} strongest influencers moved (their heaviest ties)",
            ),
            theme=None,
        )
    if drawing["truncated"]:
        st.caption(
            "The influence graph was cut to its heaviest edges during the run: Raised, Lowered "
            "and the drawing count those kept; trust moved per consumer stays exact."
        )


def _bloggers(a: InfluenceSummary) -> None:
    rows = a.bloggers
    st.subheader("Bloggers")
    parts = [
        f"**{escape_md(r['name'])}** picks up {100 * r['amplification']:.0f}% of public "
        f"complaints and passes each to its audience of {r['audience']:,} consumers"
        for _, r in rows.iterrows()
    ]
    amplified = a.messages["amplified"]
    widest = a.cascades["widest"]
    text = "; ".join(parts) + f". They passed on {compact(amplified)} messages in all"
    if len(rows) == 1 and rows["audience"].iloc[0] > 0:
        text += f", {amplified // int(rows['audience'].iloc[0]):,} complaints"
    text += (
        f". The widest consumer cascade reached {widest:,} consumers. Bloggers are not ranked "
        "with consumers above: what they pass on reaches a whole audience at once and is not "
        "traced receiver by receiver."
    )
    st.markdown(text)


def _against_baseline(box, run: KeptRun, color: str, outcome: str, title: str) -> None:
    """One outcome over time, the run (mean and 95% band) against its baseline (dashed)."""
    band = stats.bands(pd.concat([run.baseline_table, run.table], ignore_index=True), [outcome])
    colors = {run.label: color, "Baseline": theme.BASELINE_COLOR}
    box.altair_chart(
        charts.run_series_chart(band, outcome, colors, dashed=("Baseline",), title=title),
        theme=None,
    )


def _cascades(run: KeptRun, a: InfluenceSummary, color: str) -> None:
    st.header("Cascades of public posts")
    cs = a.cascades
    if not cs["posts"]:
        st.info("Nobody posted in public in this run (complex exchange may be off).")
        return
    top = a.largest.iloc[0] if len(a.largest) else None
    text = (
        f"{cs['posts']:,} public posts; {cs['reshared']:,} of them "
        f"({_pct(cs['reshared'] / cs['posts'])}) were reshared at least once, "
        f"{cs['reshares']:,} reshares in all."
    )
    if top is not None:
        text += (
            f" The largest cascade (day {top['Day']}, a {top['Post']} post) had "
            f"{top['Sharers']:,} sharers, chains of reshares {top['Depth']} deep, and was seen "
            f"by {top['Reach']:,} consumers."
        )
    if cs["truncated"]:
        text += (
            f" {cs['truncated']:,} cascades were cut by the daily bound on exposures "
            "(wom.max_exposures_per_day): their sizes are lower bounds."
        )
    st.markdown(text)
    left, right = st.columns(2)
    with left.container(key="infl_sizes"):
        st.altair_chart(charts.cascade_size_chart(a.bins), theme=None)
    _against_baseline(right, run, color, "cascade_spread_share", "Posts reshared, per day")
    st.caption(
        "Left: a size of 1 is a post nobody passed on; bins double in width, the scale is "
        "logarithmic. Right: mean over replications with its 95% band; dashed grey: the baseline."
    )
    st.subheader("The largest cascades")
    st.caption(
        "Sharers: the author and everyone who reshared. Depth: the longest chain of reshares. "
        "Reach: distinct consumers who saw the post."
    )
    largest = a.largest if a.largest["Cut"].any() else a.largest.drop(columns="Cut")
    if "Cut" in largest:
        largest = largest.assign(Cut=np.where(largest["Cut"], "cut", ""))
    _table(largest, {"Sharers": "{:,}", "Reach": "{:,}"}, "infl_largest")


def _control(run: KeptRun, color: str, control: dict) -> None:
    st.header("Control share")
    left, right = st.columns(2)
    _against_baseline(left, run, color, "control_share", "Control share over time")
    right.markdown(
        "The share of the messages a consumer received (last 30 days) that came from the firms "
        "rather than from peers and bloggers: how much the firms still shape what customers "
        "expect. Dashed grey: the baseline (the preset unchanged, same seeds)."
    )
    q = {k: _pct(control.get(k, math.nan)) for k in ("p10", "median", "p90")}
    right.markdown(
        f"At the end of replication 1, the median consumer heard {q['median']} of it from the "
        f"firms; a tenth of consumers {q['p10']} or less, a tenth {q['p90']} or more."
    )


def render() -> None:
    """Draw the page."""
    st.title("Influence")
    st.caption(
        "Who moved whose trust by word-of-mouth, how far public posts spread by reshares, and "
        "how much of what consumers hear still comes from the firms."
    )
    runs = kept_runs()
    if not runs:
        st.info(
            "No run yet. Run a scenario in the **Scenario lab** first; its influence appears here."
        )
        st.page_link(
            "views/scenario_lab.py", label="Go to the Scenario lab", icon=":material/tune:"
        )
        return
    labels = [r.label for r in runs]
    choice = st.selectbox(
        "Run",
        labels,
        index=len(labels) - 1,
        key="infl_run",
        format_func=lambda lb: f"{lb}: {next(r for r in runs if r.label == lb).base_name}",
    )
    run: KeptRun = next(r for r in runs if r.label == choice)
    color = theme.slot_color(run.slot)
    st.html(theme.swatch(color, run.label))
    st.markdown(
        f"{escape_md(run.base_name)} · {escape_md(run.changes['levers'])} · "
        f"{run.consumers:,} consumers · {run.ticks} days"
    )
    with st.spinner("Reading the run's influence"):
        drawing = _analysis(run.scenario_text, run.seed, run.ticks)
    a: InfluenceSummary = drawing["summary"]
    st.caption(
        f"Cards: mean of {run.replications} replication(s) against the baseline with the same "
        f"seeds. Everything below them: replication 1 (seed {run.seed}), charts over time excepted."
    )
    kpi_grid("kpis_influence", CARDS, run.summaries, run.baseline_summaries)
    _who_influences(a, color, drawing)
    _cascades(run, a, color)
    _control(run, color, drawing["control"])


render()
