"""Influence: the realized influence graph of a kept run: who moved whose trust."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import charts, stats, theme
from dashboard.classroom_model import ego_layout
from dashboard.runs import KeptRun, cached_run, kept_runs

#: Influencers whose out-edges are drawn, and the most edges drawn.
TOP_EGOS = 8
DRAWN_EDGES = 240


@st.cache_data(max_entries=16, show_spinner=False)
def _analysis(text: str, seed: int, ticks: int) -> dict:
    """Influence summaries of one run (cached: cascades and PageRank walk the whole edge list)."""
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
        "top": pd.DataFrame(tr.top_influencers(15), columns=["consumer", "influence"]),
        "pagerank": pd.DataFrame(tr.pagerank(10), columns=["consumer", "pagerank"]),
        "cascades": tr.cascade_sizes(),
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


def render() -> None:
    """Draw the page."""
    st.title("Influence")
    st.caption(
        "Every word-of-mouth message that changed someone's trust in their firm leaves an "
        "edge from sender to receiver, weighted by how much trust it moved."
    )
    runs = kept_runs()
    if not runs:
        st.info(
            "No run yet. Run a scenario in the **Scenario lab** first; its influence graph "
            "appears here."
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
    st.markdown(
        f"{theme.swatch(color, run.label)} · {run.base_name} · {run.changes['levers']} · "
        f"influence of replication 1 (seed {run.seed})",
        unsafe_allow_html=True,
    )
    with st.spinner("Analysing the influence graph"):
        a = _analysis(run.scenario_text, run.seed, run.ticks)

    c = st.columns(4)
    c[0].metric(
        "Influence edges kept",
        f"{a['edges_kept']:,}",
        help="Exact below the scenario's influence.max_edges; above it the heaviest are kept.",
    )
    c[1].metric(
        "Largest cascade",
        f"{int(a['cascades'][0]) if len(a['cascades']) else 0:,} consumers",
        help="Consumers linked by realized influence (weakly connected component).",
    )
    c[2].metric("Cascades", f"{len(a['cascades']):,}")
    cs = a["control"]
    c[3].metric(
        "Control share, median consumer",
        f"{cs.get('median', float('nan')):.3f}",
        help=f"Share of messages a consumer received from firms (last 30 days). "
        f"10th percentile {cs.get('p10', float('nan')):.3f}, "
        f"90th {cs.get('p90', float('nan')):.3f}.",
    )
    if a["truncated"]:
        st.caption(
            "The edge list was cut to its heaviest edges during the run; totals per "
            "consumer stay exact."
        )

    left, right = st.columns(2)
    if len(a["top"]):
        left.altair_chart(charts.top_influencer_chart(a["top"], color), theme=None)
    else:
        left.info("Nobody moved anyone's trust in this run (word-of-mouth may be off).")
    if len(np.unique(a["cascades"])) >= 3:
        right.altair_chart(charts.cascade_chart(a["cascades"], color), theme=None)
    elif len(a["cascades"]):
        right.subheader("Cascade sizes")
        right.markdown(
            "Sizes (consumers): "
            + ", ".join(f"{int(x):,}" for x in a["cascades"][:10])
            + ". Influence in this run is one connected web, not separate threads."
        )

    left2, right2 = st.columns(2)
    band = stats.bands(
        pd.concat([run.baseline_table, run.table], ignore_index=True), ["control_share"]
    )
    colors = {run.label: color, "Baseline": theme.BASELINE_COLOR}
    left2.altair_chart(
        charts.run_series_chart(
            band, "control_share", colors, dashed=("Baseline",), title="Control share over time"
        ),
        theme=None,
    )
    if len(a["edges"]):
        right2.altair_chart(
            charts.influence_graph_chart(
                a["nodes"], a["edges"], f"Whom the {TOP_EGOS} strongest influencers moved"
            ),
            theme=None,
        )
    if len(a["pagerank"]):
        st.subheader("Most central by PageRank of the influence graph")
        st.dataframe(a["pagerank"], hide_index=True, width="content")


render()
