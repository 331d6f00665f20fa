"""Classroom driven through AppTest: step, play, reset and switch exchange ages."""

import numpy as np
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
