"""Influence page: who influences, the cascades of public posts, control share against the baseline."""

import json

import numpy as np
import pandas as pd
from conftest import press_run, small_lab

from dashboard.influence_data import CARDS, concentration, size_bins
from dashboard.lab import kpi_label
from dashboard.runs import cached_run
from sim import load_scenario
from sim.scenario import to_toml, with_overrides


def test_without_a_run_the_page_points_to_the_lab(app):
    app.switch_page("views/influence.py")
    app.run()
    assert not app.exception
    assert any("Scenario lab" in i.value for i in app.info)


def _open_influence(app):
    """Press Run in the lab, then open the Influence page on that run."""
    press_run(app)
    app.switch_page("views/influence.py")
    app.run()
    assert not app.exception, app.exception
    return app


def _influence(app, consumers=1500, ticks=40):
    small_lab(app, consumers=consumers, ticks=ticks)
    app.selectbox(key="lab:default_bank:reps").set_value(2)
    return _open_influence(app)


def _tables(app) -> dict[str, pd.DataFrame]:
    """The page's static tables by their first column (Consumer: influencers; Day: cascades)."""
    return {t.value.columns[0]: t.value for t in app.table}


def test_the_page_says_who_influences_how_far_posts_spread_and_compares_with_the_baseline(app):
    _influence(app)
    assert app.selectbox(key="infl_run").value == "Run 1"
    assert {kpi_label(n) for n in CARDS} <= {m.label for m in app.metric}
    heads = {h.value for h in app.header}
    assert {"Who influences", "Cascades of public posts", "Control share"} <= heads
    run = app.session_state["exlab_runs"][0]
    tables = _tables(app)
    top = tables["Consumer"]
    assert 0 < len(top) <= 15
    moved = top["Trust moved"].to_numpy()
    assert np.all(np.diff(moved) <= 0)  # strongest first
    segments = {s.name for s in load_scenario("default_bank").segments}
    assert set(top["Segment"]) <= segments
    assert set(top["Role"]) <= {"customer of Bank", "prospect"}
    assert (top["Raised"] + top["Lowered"] <= top["Ties"]).all()  # one can move only one's ties
    largest = tables["Day"]
    assert np.all(np.diff(largest["Sharers"].to_numpy()) <= 0)
    assert (largest["Depth"] < largest["Sharers"]).all()  # a chain of d reshares has d + 1 sharers
    assert (largest["Day"].between(1, run.ticks)).all()


def test_cascade_records_agree_with_the_days_outcomes(app):
    """The per-post records the page reads add up to the per-day outcomes of the same run."""
    _influence(app)
    run = app.session_state["exlab_runs"][0]
    out = cached_run(run.scenario_text, run.seed, run.ticks)
    day = run.table[run.table["replication"] == 0]
    cs = out.influence.cascades
    assert cs["posts"] == day["public_posts"].sum() > 0
    assert cs["reshares"] == day["reshares"].sum()
    assert cs["largest"] == day["cascade_largest"].max()
    assert out.influence.bins["posts"].sum() == cs["posts"]
    text = " ".join(m.value for m in app.markdown)
    assert f"{cs['posts']:,} public posts" in text


def test_size_bins_double_in_width_and_count_every_post():
    sizes = np.array([1, 1, 2, 3, 4, 5, 8, 9, 300])
    valence = np.array([1, -1, 1, -1, -1, 1, 1, -1, 1])
    bins = size_bins(sizes, valence)
    assert bins["posts"].sum() == sizes.size
    for s, v in zip(sizes, valence, strict=True):
        name = "positive" if v > 0 else "negative"
        hit = bins[(bins["lo"] <= s) & (s <= bins["hi"]) & (bins["valence"] == name)]
        assert len(hit) == 1
    edges = bins.drop_duplicates("lo").sort_values("lo")
    assert edges["lo"].tolist()[:4] == [1, 2, 3, 5]
    wide = edges[edges["lo"] >= 3]
    assert (wide["hi"] == 2 * (wide["lo"] - 1)).all()  # 3-4, 5-8, 9-16, ...: each twice the last


def test_concentration_tells_an_even_spread_from_a_few_stars():
    even = concentration(np.ones(1000))
    assert abs(even["top1"] - 0.01) < 1e-12 and abs(even["top10"] - 0.10) < 1e-12
    stars = np.zeros(1000)
    stars[:5] = 1.0
    few = concentration(stars)
    assert few["top1"] == 1.0 and few["movers"] == 0.005
    curve = few["curve"]
    assert np.all(np.diff(curve["moved"]) >= 0) and curve["moved"].iloc[-1] == 1.0
    assert np.isnan(concentration(np.zeros(10))["top1"])  # nobody moved anyone


def test_without_public_exchange_nobody_posts_and_the_cards_say_so_against_the_baseline(app):
    small_lab(app, consumers=1500, ticks=40)
    app.selectbox(key="lab:default_bank:reps").set_value(2)
    app.slider(key="lab:default_bank:exchange.complex").set_value(0.0)
    _open_influence(app)
    cards = {m.label: m for m in app.metric}
    assert cards[kpi_label("public_posts")].value == "0"
    assert cards[kpi_label("public_posts")].delta.startswith("-")  # the preset's run had posts
    assert any("Nobody posted in public" in i.value for i in app.info)


def test_user_names_are_shown_as_typed_in_the_tables(app):
    sc = with_overrides(load_scenario("default_bank"), {"population.consumers": 800, "run.ticks": 30})
    text = to_toml(sc).replace('name = "Bank"', f"name = {json.dumps('**Big** <b>Bank</b>')}")
    text = text.replace('name = "digital"', f"name = {json.dumps('[web](http://e.x)')}")
    app.file_uploader(key="lab_upload").set_value(("mine.toml", text.encode(), "application/toml"))
    app.run()
    _open_influence(app)
    top = _tables(app)["Consumer"]
    cells = " ".join(top["Role"].tolist() + top["Segment"].tolist())
    assert "**Big**" not in cells and "<b>" not in cells and "](http" not in cells
    assert "Big" in cells


def test_bloggers_are_described_apart_with_their_audience(app):
    app.selectbox(key="lab_base").set_value("complex_age")
    app.run()
    app.number_input(key="lab:complex_age:consumers").set_value(1500)
    app.number_input(key="lab:complex_age:ticks").set_value(30)
    app.selectbox(key="lab:complex_age:reps").set_value(1)
    _open_influence(app)
    assert any(h.value == "Bloggers" for h in app.subheader)
    text = " ".join(m.value for m in app.markdown)
    for b in load_scenario("complex_age").intermediaries:
        if b.kind == "blogger":
            assert f"audience of {int(b.audience_share * 1500):,} consumers" in text
