"""Classroom driven through AppTest: step, play, reset and switch exchange ages."""

import json

import numpy as np
import pandas as pd
import pytest

from dashboard.classroom_model import AGES, build_model, message_segments, seeded_layout


@pytest.fixture
def classroom(app):
    app.switch_page("views/classroom.py")
    app.run()
    assert not app.exception, app.exception
    app.slider(key="cls_n").set_value(80)
    app.run()
    return app


def _day(at) -> int:
    return int(next(m.value for m in at.metric if m.label == "Day"))


def test_step_advances_one_day_and_shows_messages(classroom):
    assert _day(classroom) == 0
    classroom.button(key="cls_step").click()
    classroom.run()
    assert not classroom.exception
    assert _day(classroom) == 1
    classroom.button(key="cls_week").click()
    classroom.run()
    assert _day(classroom) == 8
    assert int(next(m.value for m in classroom.metric if m.label == "Messages")) > 0
    assert classroom.session_state["cls_model"].n == 80


@pytest.mark.parametrize("age", list(AGES))
def test_every_age_steps_with_its_caption(classroom, age):
    classroom.radio(key="cls_age").set_value(age)
    classroom.run()
    assert any(AGES[age].means in m.value for m in classroom.markdown)
    classroom.button(key="cls_week").click()
    classroom.run()
    assert not classroom.exception, classroom.exception
    assert _day(classroom) == 7


def test_switching_ages_keeps_the_same_population_and_network(classroom):
    classroom.button(key="cls_step").click()
    classroom.run()
    first = classroom.session_state["cls_model"]
    classroom.radio(key="cls_age").set_value("complex")
    classroom.run()
    second = classroom.session_state["cls_model"]
    assert second is not first and second.tick == 0
    np.testing.assert_array_equal(first.graph.indices, second.graph.indices)
    classroom.button(key="cls_step").click()
    classroom.run()
    assert any(s.value == "Ages compared on the same population" for s in classroom.subheader)
    keys = set(classroom.session_state["cls_history"])
    assert {("restricted", 80, 7), ("complex", 80, 7)} <= keys


def test_play_steps_on_each_run_and_pause_and_reset_stop(classroom):
    classroom.button(key="cls_play").click()
    classroom.run()
    assert classroom.session_state["cls_playing"]
    assert _day(classroom) == 1  # the play fragment stepped once in this run
    assert classroom.button(key="cls_play").label == "Pause"
    classroom.button(key="cls_play").click()
    classroom.run()
    assert not classroom.session_state["cls_playing"]
    classroom.button(key="cls_reset").click()
    classroom.run()
    assert _day(classroom) == 0


def test_layout_is_seeded_and_broadcasts_reach_the_firms_customers():
    m = build_model("restricted", 60, 3)
    src = np.repeat(np.arange(m.n), np.diff(m.graph.indptr))
    a = seeded_layout(m.n, src, m.graph.indices, 3)
    b = seeded_layout(m.n, src, m.graph.indices, 3)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a).max() <= 1.0 + 1e-12
    for _ in range(31):  # the insurer broadcasts every 30 days
        m.step()
        segs = message_segments(m, a)
        if (segs["kind"] == "offer").any():
            break
    offers = segs[segs["kind"] == "offer"]
    assert len(offers) == int((m.state.firm == 0).sum())


def test_ego_layout_puts_each_receiver_near_its_sender():
    from dashboard.classroom_model import ego_layout

    src = np.array([0, 0, 0, 1, 1])
    dst = np.array([2, 3, 4, 5, 2])
    xy = ego_layout(6, src, dst)
    assert np.linalg.norm(xy[0] - xy[1]) > 1.0  # the two senders sit apart on the ring
    for leaf in (2, 3, 4):
        assert np.linalg.norm(xy[leaf] - xy[0]) == pytest.approx(0.3)
    assert np.linalg.norm(xy[5] - xy[1]) == pytest.approx(0.3)


# ---------------------------------------------------------------- a lesson that shows change
def _bar(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Day "))


def test_each_day_is_narrated_from_its_message_counts(classroom):
    assert _bar(classroom).startswith("**Day 0.**")
    classroom.button(key="cls_step").click()
    classroom.run()
    text = _bar(classroom)
    assert text.startswith("**Day 1.** Today")
    batch = classroom.session_state["cls_batch"].to_frame()
    kinds = batch["kind"].astype(str).str.lower().value_counts()
    if kinds.get("answer", 0):
        n = int(kinds["answer"])
        assert f"the firm sent {n} answer" in text
    assert "Mean trust of the" in text


def test_narration_names_what_happened_in_plain_words():
    from dashboard.classroom_model import narrate

    text = narrate({"offer": 1, "request": 12, "answer": 9, "amplified": 2},
                   {"offer": 150, "amplified": 90}, 4, 1, 0.57, 0.55, 150)
    assert "broadcast its offer to 150 customers" in text
    assert "12 requests went out, 4 of them through the call platform" in text
    assert "relayed 2 complaints to 90 followers" in text
    assert "fell from 0.570 to 0.550" in text
    assert "quiet" in narrate({}, {}, 0, 7, 0.5, 0.5, 150)


def test_classroom_dynamics_move_trust_within_a_lesson():
    from dashboard.classroom_model import build_model, classroom_scenario
    from sim import ExchangeModel, load_scenario
    from sim.scenario import with_overrides

    def moved(model, days=40):
        """Mean over customers of how far each one's trust moved during the lesson."""
        before = np.asarray(model.state.trust).copy()
        for _ in range(days):
            model.step()
        keep = np.asarray(model.state.firm) >= 0
        return float(np.abs(np.asarray(model.state.trust) - before)[keep].mean())

    for age in AGES:
        lesson = moved(build_model(age, 150, 7))
        # The preset itself, at the same size, on the same network and from the same start: trust hardly moves.
        preset = with_overrides(load_scenario(AGES[age].preset), {
            "population.consumers": 150, "run.warmup_days": 0, "network.kind": "watts_strogatz",
            "network.mean_degree": 6.0, "network.rewire": 0.1})
        slow = moved(ExchangeModel(preset, rng=7))
        assert lesson > 1.5 * slow and lesson > 0.03, (age, lesson, slow)
    # The restricted lesson is a pure dyad: no call desk to draw.
    assert classroom_scenario("restricted", 100).intermediaries == []


def test_the_blogger_amplifies_within_the_first_weeks():
    m = build_model("complex", 150, 7)
    seen = False
    for _ in range(21):
        m.step()
        kinds = m.last_messages.to_frame()["kind"].astype(str).str.lower()
        if (kinds == "amplified").any():
            seen = True
            break
    assert seen, "no amplification in three weeks"


def test_network_draws_an_arrowhead_per_message_on_a_fixed_trust_scale():
    from dashboard import charts
    from dashboard.classroom_model import node_frame, tie_frame

    m = build_model("generalized", 60, 3)
    src = np.repeat(np.arange(m.n), np.diff(m.graph.indptr))
    xy = seeded_layout(m.n, src, m.graph.indices, 3)
    for _ in range(3):
        m.step()
    segs = message_segments(m, xy)
    assert len(segs)
    spec = charts.network_chart(node_frame(m, xy), tie_frame(xy, src, m.graph.indices), segs).to_dict()
    heads = [ly for ly in spec["layer"] if ly.get("mark", {}).get("shape") == "triangle-up"]
    assert len(heads) == 1 and "angle" in heads[0]["encoding"]
    data = spec["datasets"][heads[0]["data"]["name"]]
    assert len(data) == len(segs)
    trust = next(ly for ly in spec["layer"] if ly["encoding"].get("color", {}).get("field") == "trust")
    assert trust["encoding"]["color"]["scale"]["domain"] == [0, 1]


def test_ages_compared_uses_the_whole_zero_to_one_axis():
    from dashboard import charts, stats, theme

    d = pd.DataFrame({"run": "Complex exchange", "replication": 0, "tick": [1, 2, 3],
                      "trust": [0.6681, 0.6685, 0.6683], "control_share": [0.3, 0.31, 0.3]})
    band = stats.bands(d, ["trust"])
    spec = charts.run_series_chart(band, "trust", {"Complex exchange": theme.age_color("complex")},
                                   y_domain=(0.0, 1.0)).to_dict()
    assert '"domain": [0.0, 1.0]' in json.dumps(spec)


def test_message_kinds_each_have_their_own_colour():
    from dashboard import theme
    from sim.messages import MessageKind

    assert set(theme.KIND_COLORS) == {k.name.lower() for k in MessageKind}
    assert len(set(theme.KIND_COLORS.values())) == len(MessageKind)


def test_play_keeps_the_ages_chart_updating(classroom):
    classroom.button(key="cls_play").click()
    classroom.run()
    classroom.run()  # a second tick of the play loop
    assert classroom.session_state["cls_playing"]
    hist = classroom.session_state["cls_history"][("restricted", 80, 7)]
    assert len(hist) == _day(classroom) >= 1
    assert any(s.value == "Ages compared on the same population" for s in classroom.subheader)
