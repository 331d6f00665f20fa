"""Scenario lab driven through AppTest: run, compare, replications, refusals, uploads, exports."""

import pandas as pd
from conftest import press_run, small_lab

from dashboard.charts import outcome_label
from sim import simulate
from sim.scenario import load_scenario, scenario_from_toml, to_toml, with_overrides

KPI_LABELS = {outcome_label(n) for n in ("trust", "satisfaction", "churn", "cost_eur")}


def _runs(at):
    return at.session_state["exlab_runs"]


def test_first_visit_invites_a_run(app):
    assert any("press **Run**" in i.value for i in app.info)
    assert app.selectbox(key="lab_base").value == "default_bank"


def test_run_shows_kpi_cards_against_the_baseline(app):
    small_lab(app)
    press_run(app)
    labels = {m.label for m in app.metric}
    assert KPI_LABELS <= labels
    assert any(h.value == "Run 1: default_bank" for h in app.header)
    # No lever moved: every card says so rather than showing a spurious +0.
    assert all(m.delta == "no change" for m in app.metric)
    run = _runs(app)[0]
    assert run.consumers == 400 and run.ticks == 20 and len(run.table) == 20


def test_a_lever_change_shows_a_delta_and_two_runs_compare_side_by_side(app):
    small_lab(app)
    press_run(app)
    app.slider(key="lab:default_bank:firms[0].automation_share").set_value(0.95)
    app.number_input(key="lab:default_bank:firms[0].advisors_per_10k").set_value(40.0)
    press_run(app)
    runs = _runs(app)
    assert [r.label for r in runs] == ["Run 1", "Run 2"]
    assert "automation share = 0.95" in runs[1].changes["levers"]
    assert any(h.value == "Kept runs side by side" for h in app.header)
    assert len(app.metric) == 3 * 8  # the latest run's cards, then one set per kept run
    assert any(m.delta not in (None, "no change") for m in app.metric)
    # Two distinct slot colours.
    assert {r.slot for r in runs} == {0, 1}


def test_at_most_four_runs_are_kept_and_remove_frees_a_slot(app):
    small_lab(app, consumers=200, ticks=5)
    for seed in range(5):
        app.number_input(key="lab:default_bank:seed").set_value(seed + 1)
        press_run(app)  # the new seed and the click arrive in the same script run
    runs = _runs(app)
    assert [r.label for r in runs] == ["Run 2", "Run 3", "Run 4", "Run 5"]
    assert sorted(r.slot for r in runs) == [0, 1, 2, 3]
    app.button(key="remove_Run 3").click()
    app.run()
    assert [r.label for r in _runs(app)] == ["Run 2", "Run 4", "Run 5"]


def test_replications_use_derived_seeds_and_give_a_ci(app):
    small_lab(app, consumers=300, ticks=10)
    app.slider(key="lab:default_bank:reps").set_value(3)
    app.run()
    press_run(app)
    run = _runs(app)[0]
    assert sorted(run.table["replication"].unique()) == [0, 1, 2]
    assert sorted(run.table["seed"].unique()) == [1, 2, 3]
    assert any("95% CI over 3 replications" in (m.help or "") for m in app.metric)


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


def test_exported_toml_reruns_to_the_same_numbers(app):
    small_lab(app, consumers=300, ticks=15)
    press_run(app)
    run = _runs(app)[0]
    again = simulate(scenario_from_toml(run.scenario_toml))
    kept = run.table[run.table["replication"] == 0].drop(columns=["run", "replication"])
    pd.testing.assert_frame_equal(again.table.reset_index(drop=True), kept.reset_index(drop=True))
    labels = [b.label for b in app.get("download_button")]
    assert {"CSV", "Parquet", "Scenario TOML"} <= set(labels)


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
    msg = " ".join(e.value for e in app.error)
    assert "bad.toml is not a valid scenario" in msg
    assert "firms[0].automation_share: expected a number between 0 and 1, got 7.5" in msg
    assert "surprise" in msg
    assert app.selectbox(key="lab_base").value == "default_bank"


def test_binary_and_oversized_uploads_are_refused(app):
    _upload(app, "binary.toml", b"\xff\xfe\x00garbage")
    assert any("not a text file" in e.value for e in app.error)
    _upload(app, "huge.toml", b"# " + b"x" * 1_100_000)
    assert any("limited to 1,000 kB" in e.value for e in app.error)


def test_a_good_scenario_file_becomes_the_starting_point(app):
    sc = with_overrides(load_scenario("default_bank"), {"population.consumers": 250,
                                                        "run.ticks": 8})
    text = to_toml(sc).replace('name = "default_bank"', 'name = "my_bank"')
    _upload(app, "mine.toml", text.encode())
    assert any("'my_bank' loaded and valid" in s.value for s in app.success)
    assert app.selectbox(key="lab_base").value == "Uploaded: my_bank"
    assert app.number_input(key="lab:Uploaded: my_bank:consumers").value == 250
    press_run(app)
    assert _runs(app)[0].base_name == "Uploaded: my_bank"
    assert len(_runs(app)[0].table) == 8
