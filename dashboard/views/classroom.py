"""Classroom: a small network under one exchange age, stepped day by day with its messages drawn.

Laid out for a projector: the controls on one row, a sentence saying what just
happened, then the network across the whole width with a large legend.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import charts, stats, theme
from dashboard.classroom_model import (
    AGES,
    MAX_CLASSROOM_CONSUMERS,
    build_model,
    message_segments,
    narrate,
    node_frame,
    seeded_layout,
    tie_frame,
)
from sim.messages import MessageBatch

SPEEDS = {
    "slow (1 day / 2 s)": 2.0,
    "normal (1 day / s)": 1.0,
    "fast (2 days / s)": 0.5,
    "very fast (4 days / s)": 0.25,
}
NETWORK_HEIGHT = 560


@st.cache_data(max_entries=16, show_spinner=False)
def _layout(n: int, src: np.ndarray, dst: np.ndarray, seed: int) -> np.ndarray:
    return seeded_layout(n, src, dst, seed)


def _edges(model) -> tuple[np.ndarray, np.ndarray]:
    g = model.graph
    src = np.repeat(np.arange(model.n), np.diff(np.asarray(g.indptr)))
    return src.astype(np.int64), np.asarray(g.indices, dtype=np.int64)


def _signature() -> tuple:
    return (
        st.session_state["cls_age"],
        int(st.session_state["cls_n"]),
        int(st.session_state["cls_seed"]),
    )


def _mean_trust(m) -> float:
    trust = np.asarray(m.state.trust)[np.asarray(m.state.firm) >= 0]
    return float(np.nanmean(trust)) if trust.size else float("nan")


def _reset() -> None:
    age, n, seed = _signature()
    m = build_model(age, n, seed)
    st.session_state["cls_model"] = m
    st.session_state["cls_sig"] = (age, n, seed)
    st.session_state["cls_batch"] = None
    st.session_state["cls_days_shown"] = 0
    st.session_state["cls_trust_before"] = _mean_trust(m)


def _step(days: int) -> None:
    m = st.session_state["cls_model"]
    st.session_state["cls_trust_before"] = _mean_trust(m)
    batches = []
    for _ in range(days):
        m.step()
        batches.append(m.last_messages)
    st.session_state["cls_batch"] = MessageBatch.concat(batches)
    st.session_state["cls_days_shown"] = days
    age, n, seed = st.session_state["cls_sig"]
    hist = st.session_state.setdefault("cls_history", {})
    hist[(age, n, seed)] = m.recorder.frame()[["tick", "trust", "satisfaction", "control_share"]]


def _toggle_play() -> None:
    st.session_state["cls_playing"] = not st.session_state.get("cls_playing", False)


def _story(m, segs: pd.DataFrame, batch: MessageBatch | None) -> str:
    """The narration of the days just shown, from their message counts."""
    days = st.session_state.get("cls_days_shown", 0)
    if not m.tick or batch is None:
        return (
            "**Day 0.** Nothing has happened yet. Press **Step 1 day** or **Play** and watch "
            "the messages appear."
        )
    frame = batch.to_frame()
    sent = {str(k).lower(): int(v) for k, v in frame["kind"].astype(str).value_counts().items()}
    reached = (
        {str(k): int(v) for k, v in segs.groupby("kind")["count"].sum().items()} if len(segs) else {}
    )
    via = 0
    if len(segs):
        rq = segs[(segs["kind"] == "request") & (segs["route"] == "consumer -> intermediary")]
        via = int(rq["count"].sum())
    customers = int((np.asarray(m.state.firm) >= 0).sum())
    text = narrate(
        sent,
        reached,
        via,
        days,
        st.session_state.get("cls_trust_before", float("nan")),
        _mean_trust(m),
        customers,
    )
    return f"**Day {m.tick}.** {text}"


def _draw() -> None:
    m = st.session_state["cls_model"]
    age = st.session_state["cls_sig"][0]
    src, dst = _edges(m)
    xy = _layout(m.n, src, dst, int(st.session_state["cls_sig"][2]))
    batch = st.session_state.get("cls_batch")
    segs = message_segments(m, xy, batch) if batch is not None else message_segments(m, xy)
    days = st.session_state.get("cls_days_shown", 0)
    shown = "the last day" if days <= 1 else f"the last {days} days"
    with st.container(key="cls_bar"):
        st.markdown(_story(m, segs, batch))
    title = (
        f"{AGES[age].title}, day {m.tick}: messages of {shown}"
        if m.tick
        else f"{AGES[age].title}: the population before day 1"
    )
    nodes = node_frame(m, xy)
    with st.container(key="cls_network"):
        st.altair_chart(
            charts.network_chart(nodes, tie_frame(xy, src, dst), segs, title, height=NETWORK_HEIGHT),
            theme=None,
        )
    st.caption(
        "Node colour: each consumer's trust in the firm, on a fixed scale from 0 (dark purple) "
        "through 0.5 (teal) to 1 (yellow). Lines: messages, coloured by kind, with an "
        "arrowhead towards the receiver. Use the chart's full-screen button for the back of "
        "the room."
    )
    left, right = st.columns([1, 1], gap="large")
    counts = (
        segs.groupby("kind")["count"].sum().reset_index()
        if len(segs)
        else pd.DataFrame({"kind": [], "count": []})
    )
    with left:
        c1, c2, c3 = st.columns(3)
        c1.metric("Day", m.tick)
        c2.metric("Messages", int(counts["count"].sum()) if len(counts) else 0)
        c3.metric("Mean trust", f"{_mean_trust(m):.3f}")
        if len(counts):
            st.altair_chart(
                charts.message_count_chart(counts, f"Messages of {shown}"), theme=None
            )
    with right:
        lesson = AGES[age]
        st.markdown(f"**{lesson.title}.** {lesson.means}")
        st.markdown(f"**What to watch.** {lesson.watch}")
    _history()


def _history() -> None:
    hist = st.session_state.get("cls_history", {})
    _, n, seed = st.session_state["cls_sig"]
    frames = [
        f.assign(run=AGES[a].title)
        for (a, hn, hs), f in hist.items()
        if hn == n and hs == seed and len(f)
    ]
    if not frames:
        return
    st.subheader("Ages compared on the same population")
    st.caption(
        f"{n} consumers, seed {seed}: the same people and friendship network under each age "
        "you have stepped. Switch the age above and step again to add a line. Both axes run "
        "over the whole range, 0 to 1, so a small wobble looks small."
    )
    d = pd.concat(frames, ignore_index=True).assign(replication=0)
    band = stats.bands(d, ["trust", "control_share"])
    colors = {AGES[a].title: theme.age_color(a) for a in AGES}
    c1, c2 = st.columns(2)
    c1.altair_chart(
        charts.run_series_chart(band, "trust", colors, y_domain=(0.0, 1.0), height=280),
        theme=None,
    )
    c2.altair_chart(
        charts.run_series_chart(band, "control_share", colors, y_domain=(0.0, 1.0), height=280),
        theme=None,
    )


def _settings() -> None:
    with st.popover("Class settings", icon=":material/settings:"):
        st.slider(
            "Consumers",
            30,
            MAX_CLASSROOM_CONSUMERS,
            150,
            step=10,
            key="cls_n",
            help="Classroom populations stay small so every node can be drawn.",
            persist_state="session",
        )
        st.number_input(
            "Seed",
            0,
            1_000_000,
            7,
            key="cls_seed",
            help="Same seed: same people and same friendship network under every age.",
            persist_state="session",
        )
        st.select_slider(
            "Play speed",
            list(SPEEDS),
            value="normal (1 day / s)",
            key="cls_speed",
            persist_state="session",
        )


def render() -> None:
    """Draw the page."""
    st.title("Classroom")
    playing = st.session_state.get("cls_playing", False)
    with st.container(horizontal=True, key="cls_controls", vertical_alignment="bottom", wrap=True):
        st.radio(
            "Exchange age",
            list(AGES),
            format_func=lambda a: AGES[a].title,
            horizontal=True,
            key="cls_age",
            persist_state="session",
            width="content",
            label_visibility="collapsed",
        )
        step = st.button(
            "Step 1 day", key="cls_step", icon=":material/skip_next:", disabled=playing,
            width="content",
        )
        week = st.button(
            "Step 7 days", key="cls_week", icon=":material/fast_forward:", disabled=playing,
            width="content",
        )
        st.button(
            "Pause" if playing else "Play",
            key="cls_play",
            on_click=_toggle_play,
            icon=":material/pause:" if playing else ":material/play_arrow:",
            type="primary",
            width="content",
        )
        reset = st.button("Reset", key="cls_reset", icon=":material/restart_alt:", width="content")
        _settings()
    if st.session_state.get("cls_sig") != _signature() or "cls_model" not in st.session_state:
        _reset()
    if step:
        _step(1)
    if week:
        _step(7)
    if reset:
        st.session_state["cls_playing"] = False
        _reset()
        st.rerun()

    every = SPEEDS[st.session_state["cls_speed"]] if st.session_state.get("cls_playing") else None

    @st.fragment(run_every=every)
    def live() -> None:
        if st.session_state.get("cls_playing"):
            _step(1)
        _draw()

    live()


render()
