"""Influence page driven through AppTest."""

from conftest import press_run, small_lab


def test_without_a_run_the_page_points_to_the_lab(app):
    app.switch_page("views/influence.py")
    app.run()
    assert not app.exception
    assert any("Scenario lab" in i.value for i in app.info)


def test_after_a_run_it_shows_influencers_cascades_and_control_share(app):
    small_lab(app, consumers=600, ticks=40)
    press_run(app)
    app.switch_page("views/influence.py")
    app.run()
    assert not app.exception, app.exception
    labels = {m.label for m in app.metric}
    assert {"Influence edges kept", "Largest cascade", "Cascades",
            "Control share, median consumer"} <= labels
    edges = next(m.value for m in app.metric if m.label == "Influence edges kept")
    assert int(edges.replace(",", "")) > 0
    assert app.selectbox(key="infl_run").value == "Run 1"
