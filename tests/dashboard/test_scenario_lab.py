"""Scenario lab driven through AppTest: run, compare, replications, noise, refusals, uploads,
persistence across pages, exports."""

import io
import json
import zipfile

import pandas as pd
import pytest
from conftest import press_run, small_lab

from dashboard import cost
from dashboard.formatting import DERIVED, KPIS, PHONE_KPIS, direction
from dashboard.lab import export_files, kpi_label
from sim import simulate
from sim.metrics import OUTCOMES
from sim.scenario import list_presets, load_scenario, scenario_from_toml, to_toml, with_overrides

GREEN, RED, GRAY = 1, 0, 2  # Metric.MetricColor


def _runs(at):
    return at.session_state["exlab_runs"]


def _cards(at) -> dict:
    return {m.label: m for m in at.metric}


def _bar_text(at) -> str:
    return " ".join(m.value for m in at.markdown)


def test_first_visit_invites_a_run_and_lists_presets_by_their_question(app):
    assert any("press **Run**" in i.value for i in app.info)
    box = app.selectbox(key="lab_base")
    assert box.value == "default_bank"
    assert set(box.options) == {p.summary for p in list_presets()}  # questions, not file names
    labels = {n.label for n in app.number_input}
    assert {"Consumers", "Days to simulate", "Seed"} <= labels
    assert not any("(consumers)" in lb or "Ticks" in lb for lb in labels)
    assert "Promise response time (hours; 0 = no promise)" in labels


def test_run_shows_kpi_cards_against_the_baseline(app):
    small_lab(app)
    press_run(app)
    cards = _cards(app)
    assert {kpi_label(n) for n in KPIS} <= set(cards)
    assert any(h.value == "Run 1: default\\_bank" for h in app.header)
    # No lever moved: every card says so rather than showing a spurious +0, in grey.
    assert all(cards[kpi_label(n)].delta == "no change" for n in KPIS)
    assert all(cards[kpi_label(n)].proto.color == GRAY for n in KPIS)
    run = _runs(app)[0]
    assert run.consumers == 400 and run.ticks == 20
    # A run predicted well under 2 s gets five replications, and the page says why.
    assert run.replications == 5 and run.auto_replications
    assert len(run.table) == 5 * 20


def test_changes_are_coloured_by_whether_they_are_good_news(app):
    small_lab(app, consumers=1500, ticks=60)
    app.selectbox(key="lab:default_bank:reps").set_value(3)
    app.slider(key="lab:default_bank:firms[0].automation_share").set_value(0.95)
    app.number_input(key="lab:default_bank:firms[0].advisors_per_10k").set_value(40.0)
    press_run(app)
    by_label = {kpi_label(n): n for n in (*KPIS, *PHONE_KPIS)}
    judged = 0
    for m in app.metric:
        name = by_label[m.label]
        desc = m.proto.delta_description
        if desc.startswith(("better", "worse")):
            judged += 1
            good, _ = direction(name)
            up = m.delta.startswith("+")
            assert desc.startswith("better") == (up == good), (m.label, m.delta, desc)
            assert m.proto.color == (GREEN if desc.startswith("better") else RED)
        elif desc.startswith("within noise"):
            assert m.proto.color == GRAY
        assert "band ±" in desc or m.delta == "no change"  # three replications: a band
        good, _ = direction(name)
        said = {True: "Higher is better", False: "Lower is better", None: "Neither direction"}
        assert said[good] in m.help, m.label
    assert judged >= 1


def test_a_small_change_is_marked_within_the_noise(app):
    small_lab(app, consumers=800, ticks=40)
    app.slider(key="lab:default_bank:firms[0].automation_share").set_value(0.41)
    press_run(app)
    descs = [m.proto.delta_description for m in app.metric]
    assert any(d.startswith("within noise") for d in descs), descs


def test_one_replication_says_the_noise_is_unknown(app):
    small_lab(app)
    app.selectbox(key="lab:default_bank:reps").set_value(1)
    app.slider(key="lab:default_bank:firms[0].automation_share").set_value(0.9)
    press_run(app)
    assert any("One replication" in c.value for c in app.caption)
    assert any("noise unknown" in m.proto.delta_description for m in app.metric)


def test_two_runs_compare_side_by_side_with_b_minus_a(app):
    small_lab(app)
    press_run(app)
    app.slider(key="lab:default_bank:firms[0].automation_share").set_value(0.95)
    press_run(app)
    runs = _runs(app)
    assert [r.label for r in runs] == ["Run 1", "Run 2"]
    assert "automation share: 0.4 → 0.95" in runs[1].changes["levers"]
    assert any(h.value == "Kept runs side by side" for h in app.header)
    table = app.dataframe[0].value
    assert "Run 2 − Run 1" in table.columns
    assert {kpi_label(n) for n in PHONE_KPIS} <= set(table.index)  # the queue compared too
    cells = table["Run 2 − Run 1"].tolist()
    assert all(any(w in c for w in ("better", "worse", "within noise", "no change", "changed"))
               for c in cells)
    assert {r.slot for r in runs} == {0, 1}


def test_at_most_four_runs_are_kept_and_remove_frees_a_slot(app):
    small_lab(app, consumers=200, ticks=5)
    app.selectbox(key="lab:default_bank:reps").set_value(1)
    for seed in range(5):
        app.number_input(key="lab:default_bank:seed").set_value(seed + 1)
        press_run(app)  # the new seed and the click arrive in the same script run
    runs = _runs(app)
    assert [r.label for r in runs] == ["Run 2", "Run 3", "Run 4", "Run 5"]
    assert sorted(r.slot for r in runs) == [0, 1, 2, 3]
    app.button(key="remove_Run 3").click()
    app.run()
    assert [r.label for r in _runs(app)] == ["Run 2", "Run 4", "Run 5"]


def test_replications_use_derived_seeds_and_give_a_band(app):
    small_lab(app, consumers=300, ticks=10)
    app.selectbox(key="lab:default_bank:reps").set_value(3)
    app.run()
    press_run(app)
    run = _runs(app)[0]
    assert sorted(run.table["replication"].unique()) == [0, 1, 2]
    assert sorted(run.table["seed"].unique()) == [1, 2, 3]
    assert any("95% band over 3 replications" in (m.help or "") for m in app.metric)


def test_a_repeated_run_says_it_came_from_the_cache(app):
    small_lab(app, consumers=350, ticks=12)
    press_run(app)
    assert "computed in" in _runs(app)[0].timing_words
    assert "Instant" in _bar_text(app)  # the bar knows the next identical run is cached
    press_run(app)
    assert _runs(app)[1].timing_words == "from cache"
    assert any("from cache" in m.value for m in app.markdown)


def test_lever_settings_survive_a_visit_to_another_page(app):
    small_lab(app)
    app.slider(key="lab:default_bank:firms[0].automation_share").set_value(0.8)
    app.run()
    changed = " ".join(m.value for m in app.markdown if "Changed versus the preset" in m.value)
    assert "automation share: 0.4 → 0.8" in changed.replace("\\", "")
    app.switch_page("views/classroom.py")
    app.run()
    app.switch_page("views/scenario_lab.py")
    app.run()
    assert not app.exception
    assert app.slider(key="lab:default_bank:firms[0].automation_share").value == 0.8
    assert app.number_input(key="lab:default_bank:consumers").value == 400
    app.button(key="lab_reset_levers").click()
    app.run()
    assert app.slider(key="lab:default_bank:firms[0].automation_share").value == 0.4
    assert any("nothing yet" in m.value for m in app.markdown)


def test_an_out_of_range_value_is_named_and_the_run_refused(app):
    small_lab(app)
    app.number_input(key="lab:default_bank:firms[0].promise_response_h").set_value(5000.0)
    app.run()
    assert any("5,000 is outside the allowed range, 0 to 2,000" in e.value for e in app.error)
    assert "Cannot run" in _bar_text(app)
    press_run(app)
    assert any(e.value.startswith("Not run") for e in app.error)
    assert not app.session_state["exlab_runs"]


@pytest.fixture
def fresh_server(monkeypatch):
    """A server that has measured no run yet: the prediction is the benchmark's, not one
    stretched by the small runs of earlier tests in this process."""
    monkeypatch.setattr(cost, "_RATIOS", cost.deque(maxlen=20))


def test_a_long_run_is_predicted_and_needs_confirmation(app, fresh_server):
    app.selectbox(key="lab_base").set_value("bank_5m")
    app.run()
    text = _bar_text(app)
    assert "Predicted about" in text and "min" in text
    assert app.checkbox(key="lab_confirm").label == "Start it anyway"
    press_run(app)  # not confirmed: nothing starts
    assert any("Not run yet" in e.value for e in app.error)
    assert not app.session_state["exlab_runs"]


def test_a_run_over_the_cap_is_refused(app, monkeypatch, fresh_server):
    monkeypatch.setenv("EXLAB_DASHBOARD_MAX_RUN_S", "20")
    app.selectbox(key="lab_base").set_value("bank_5m")
    app.run()
    assert any("EXLAB_DASHBOARD_MAX_RUN_S" in e.value for e in app.error)
    press_run(app)
    assert not app.session_state["exlab_runs"]


def test_exchange_mix_levers_are_normalised(app):
    small_lab(app, consumers=300, ticks=5)
    app.slider(key="lab:default_bank:exchange.complex").set_value(0.5)
    app.run()
    assert any("complex 0.36" in c.value for c in app.caption)  # 0.5 / (0.7 + 0.2 + 0.5)
    press_run(app)
    sc = scenario_from_toml(_runs(app)[0].scenario_text)
    assert abs(sc.exchange.restricted + sc.exchange.generalized + sc.exchange.complex - 1) < 1e-9
    assert abs(sc.exchange.complex - 0.5 / 1.4) < 1e-9


def test_a_population_too_large_for_memory_is_refused_before_running(app):
    small_lab(app, consumers=50_000_000, ticks=5)
    press_run(app)
    assert any("refused before it starts" in e.value and "GiB" in e.value for e in app.error)
    assert not any(h.value.startswith("Run 1") for h in app.header)


def test_exports_carry_the_levers_and_the_baseline(app):
    small_lab(app, consumers=300, ticks=15)
    app.selectbox(key="lab:default_bank:reps").set_value(2)
    app.slider(key="lab:default_bank:firms[0].automation_share").set_value(0.7)
    press_run(app)
    run = _runs(app)[0]
    labels = {b.proto.label for b in app.get("download_button")}
    assert {"CSV", "Parquet", "Scenario TOML", "Everything (.zip)"} <= labels
    # The TOML header says what was changed; the file reruns to replication 1's numbers.
    files = export_files(run)
    toml = files["what_if.toml"]
    assert "# Changed versus the preset: automation share: 0.4 → 0.7" in toml
    again = simulate(scenario_from_toml(toml))
    kept = run.table[run.table["replication"] == 0].drop(columns=["run", "replication"])
    pd.testing.assert_frame_equal(again.table.reset_index(drop=True), kept.reset_index(drop=True))
    base = scenario_from_toml(files["baseline.toml"])
    assert base.firms[0].automation_share == 0.4
    table = pd.read_csv(io.StringIO(files["tables.csv"]))
    assert set(table["run"]) == {"Run 1", "Baseline"}
    assert len(table) == 2 * 2 * 15
    settings = json.loads(files["settings.json"])
    assert settings["levers_changed"]["firms[0].automation_share"] == {"preset": 0.4, "set": 0.7}
    with zipfile.ZipFile(io.BytesIO(files["zip"])) as z:
        names = {n.split("/")[-1] for n in z.namelist()}
    assert {"what_if.toml", "baseline.toml", "what_if.csv", "baseline.csv", "settings.json"} <= names


def _upload(at, name: str, content: bytes):
    at.file_uploader(key="lab_upload").set_value((name, content, "application/toml"))
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_bad_scenario_file_is_explained_in_plain_words(app):
    text = to_toml(load_scenario("default_bank")).replace(
        "automation_share = 0.4", "automation_share = 7.5"
    ) + "\nsurprise = 1\n"
    _upload(app, "bad.toml", text.encode())
    msg = " ".join(e.value for e in app.error).replace("\\", "")
    assert "bad.toml is not a valid scenario" in msg
    assert "firms[0].automation_share: expected a number between 0 and 1, got 7.5" in msg
    assert "surprise" in msg
    assert app.selectbox(key="lab_base").value == "default_bank"


def test_binary_oversized_and_deeply_nested_uploads_are_refused(app):
    _upload(app, "binary.toml", b"\xff\xfe\x00garbage")
    assert any("not a text file" in e.value for e in app.error)
    _upload(app, "huge.toml", b"# " + b"x" * 1_100_000)
    assert any("limited to 1,000 kB" in e.value for e in app.error)
    deep = b"a = " + b"[" * 500 + b"]" * 500 + b"\n"  # about 1 kB
    _upload(app, "deep.toml", deep)
    assert any("levels deep" in e.value for e in app.error)
    inline = b"a = " + b"{b=" * 500 + b"1" + b"}" * 500 + b"\n"
    _upload(app, "inline.toml", inline)
    assert any("levels deep" in e.value for e in app.error)


def test_a_good_scenario_file_becomes_the_starting_point(app):
    sc = with_overrides(load_scenario("default_bank"), {"population.consumers": 250,
                                                        "run.ticks": 8})
    text = to_toml(sc).replace('name = "default_bank"', 'name = "my_bank"')
    _upload(app, "mine.toml", text.encode())
    assert any("my\\_bank" in s.value and "loaded and valid" in s.value for s in app.success)
    assert app.selectbox(key="lab_base").value == "Uploaded: my_bank"
    assert app.number_input(key="lab:Uploaded: my_bank:consumers").value == 250
    press_run(app)
    assert _runs(app)[0].base_name == "Uploaded: my_bank"
    assert len(_runs(app)[0].table) == 8 * _runs(app)[0].replications


@pytest.mark.parametrize("name", ["<img src=x onerror=alert(1)>", "**x** [y](http://e.x)"])
def test_a_scenario_name_with_markup_is_shown_as_text(app, name):
    sc = with_overrides(load_scenario("default_bank"), {"population.consumers": 200,
                                                        "run.ticks": 3})
    text = to_toml(sc).replace('name = "default_bank"', f"name = {json.dumps(name)}")
    _upload(app, "markup.toml", text.encode())
    press_run(app)
    for m in app.markdown:
        if m.proto.allow_html:
            assert "<img" not in m.value and "http://e.x" not in m.value
    for el in list(app.markdown) + list(app.header) + list(app.success) + list(app.caption):
        assert "<img" not in el.value.replace("\\<", "")
        assert "](http" not in el.value.replace("\\]\\(", "")
    run = _runs(app)[0]
    assert "<" not in run.base_name and "[" not in run.base_name  # a plain label everywhere


def test_every_kpi_outcome_is_in_the_registry_or_derived_from_it():
    names = {o.name for o in OUTCOMES}
    assert set(KPIS) <= names
    assert set(PHONE_KPIS) <= names | {o.name for o in DERIVED}


def test_the_human_channel_levers_are_the_phone_lines_and_the_back_office(app):
    groups = [e.label for e in app.expander]
    assert "Phone lines" in groups and "Back office" in groups
    labels = {n.label for n in app.number_input}
    assert "Phone agents (people; 0 = staffed to the calls by the square-root rule)" in labels
    assert any(lb.startswith("Back-office capacity for relayed requests") for lb in labels)
    assert not any(lb.startswith("Human capacity") for lb in labels)
    # The preset staffs by the rule: the results say so, with the rule's beta.
    small_lab(app)
    app.selectbox(key="lab:default_bank:reps").set_value(1)
    press_run(app)
    assert any("square-root rule (β = 0.5)" in c.value for c in app.caption)


def test_more_phone_agents_shorten_the_wait_and_cost_more(app):
    small_lab(app, consumers=1500, ticks=30)
    app.selectbox(key="lab:default_bank:reps").set_value(2)
    app.number_input(key="lab:default_bank:firms[0].phone_agents").set_value(12)
    press_run(app)
    cards = _cards(app)
    assert {kpi_label(n) for n in PHONE_KPIS} <= set(cards)
    assert cards[kpi_label("phone_agents")].value == "12"
    staff = cards[kpi_label("staff_cost_eur")]
    assert staff.delta.startswith("+") and staff.proto.color == RED  # dearer: bad news
    for name in ("wait_mean_min", "abandonment"):
        assert not cards[kpi_label(name)].delta.startswith("+"), name
    assert not cards[kpi_label("service_level")].delta.startswith("-")
    assert any("Bank: 12 agents set" in c.value for c in app.caption)
    assert "phone agents: 0 → 12" in _runs(app)[0].changes["levers"]


def test_opening_hours_reach_the_run_and_closing_before_opening_is_refused(app):
    small_lab(app)
    app.selectbox(key="lab:default_bank:reps").set_value(1)
    app.number_input(key="lab:default_bank:channels.phone_open_h").set_value(20.0)
    app.number_input(key="lab:default_bank:channels.phone_close_h").set_value(8.0)
    app.run()
    assert any("close at 8 h, no later than they open (20 h)" in e.value for e in app.error)
    press_run(app)
    assert not app.session_state["exlab_runs"]
    app.number_input(key="lab:default_bank:channels.phone_open_h").set_value(9.5)
    app.number_input(key="lab:default_bank:channels.phone_close_h").set_value(17.0)
    press_run(app)
    assert any("Lines open 09:30 to 17:00" in c.value for c in app.caption)
    sc = scenario_from_toml(_runs(app)[0].scenario_text)
    assert (sc.channels.phone_open_h, sc.channels.phone_close_h) == (9.5, 17.0)
