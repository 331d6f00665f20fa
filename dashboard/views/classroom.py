"""Classroom: a small network under one exchange age, stepped day by day with its messages drawn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import charts, theme
from dashboard.classroom_model import (
    AGES,
    MAX_CLASSROOM_CONSUMERS,
    build_model,
    message_segments,
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


def _reset() -> None:
    age, n, seed = _signature()
    st.session_state["cls_model"] = build_model(age, n, seed)
    st.session_state["cls_sig"] = (age, n, seed)
    st.session_state["cls_batch"] = None
    st.session_state["cls_days_shown"] = 0


def _step(days: int) -> None:
    m = st.session_state["cls_model"]
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


def _draw() -> None:
    m = st.session_state["cls_model"]
    age = st.session_state["cls_sig"][0]
    src, dst = _edges(m)
    xy = _layout(m.n, src, dst, int(st.session_state["cls_sig"][2]))
    batch = st.session_state.get("cls_batch")
    segs = message_segments(m, xy, batch) if batch is not None else message_segments(m, xy)
    days = st.session_state.get("cls_days_shown", 0)
    left, right = st.columns([2.2, 1], gap="medium")
    shown = "the last day" if days <= 1 else f"the last {days} days"
    title = (
        f"{AGES[age].title}, day {m.tick}: messages of {shown}"
        if m.tick
        else f"{AGES[age].title}: press Step to start"
    )
    left.altair_chart(
        charts.network_chart(node_frame(m, xy), tie_frame(xy, src, dst), segs, title), theme=None
    )
    with right:
        st.metric("Day", m.tick)
        counts = (
            segs.groupby("kind")["count"].sum().reset_index()
            if len(segs)
            else pd.DataFrame({"kind": [], "count": []})
        )
        c1, c2 = st.columns(2)
        c1.metric("Messages", int(counts["count"].sum()) if len(counts) else 0)
        trust = float(np.nanmean(np.asarray(m.state.trust)[np.asarray(m.state.firm) >= 0]))
        c2.metric("Mean trust", f"{trust:.3f}")
        if len(counts):
            st.altair_chart(charts.message_count_chart(counts, f"Messages of {shown}"), theme=None)
        else:
            st.caption("No messages yet: step the model.")


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
        "you have stepped. Switch the age above and step again to add a line."
    )
    d = pd.concat(frames, ignore_index=True).assign(replication=0)
    from dashboard import stats

    band = stats.bands(d, ["trust", "control_share"])
    colors = {AGES[a].title: theme.age_color(a) for a in AGES}
    c1, c2 = st.columns(2)
    c1.altair_chart(charts.run_series_chart(band, "trust", colors), theme=None)
    c2.altair_chart(charts.run_series_chart(band, "control_share", colors), theme=None)


def render() -> None:
    """Draw the page."""
    st.title("Classroom")
    st.caption(
        "A small population under one of Bagozzi's exchange ages. Step it day by day and "
        "watch who sends what to whom."
    )
    c1, c2, c3, c4 = st.columns([3, 1.2, 0.8, 1.3])
    c1.radio(
        "Exchange age",
        list(AGES),
        format_func=lambda a: AGES[a].title,
        horizontal=True,
        key="cls_age",
    )
    c2.slider(
        "Consumers",
        30,
        MAX_CLASSROOM_CONSUMERS,
        150,
        step=10,
        key="cls_n",
        help="Classroom populations stay small so every node can be drawn.",
    )
    c3.number_input(
        "Seed",
        0,
        1_000_000,
        7,
        key="cls_seed",
        help="Same seed: same people and same friendship network under every age.",
    )
    c4.select_slider("Play speed", list(SPEEDS), value="normal (1 day / s)", key="cls_speed")
    if st.session_state.get("cls_sig") != _signature() or "cls_model" not in st.session_state:
        _reset()

    lesson = AGES[st.session_state["cls_age"]]
    st.markdown(f"**{lesson.title}.** {lesson.means}")
    st.markdown(f"**What to watch.** {lesson.watch}")

    playing = st.session_state.get("cls_playing", False)
    b1, b2, b3, b4, _ = st.columns([1, 1, 1, 1, 3])
    if b1.button("Step 1 day", key="cls_step", icon=":material/skip_next:", disabled=playing):
        _step(1)
    if b2.button("Step 7 days", key="cls_week", icon=":material/fast_forward:", disabled=playing):
        _step(7)
    b3.button(
        "Pause" if playing else "Play",
        key="cls_play",
        on_click=_toggle_play,
        icon=":material/pause:" if playing else ":material/play_arrow:",
        type="primary",
    )
    if b4.button("Reset", key="cls_reset", icon=":material/restart_alt:"):
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
    _history()


render()
