"""Decisions page: a small bounded search gives a Pareto front, a point opens in the Scenario lab,
finished fronts are read from a results folder or a CSV, bad files give one line."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pandas as pd
import pytest

from dashboard import decisions_data as dd
from dashboard.lab import UPLOAD_PREFIX
from sim.decisions.spec import decision_from_toml
from sim.scenario import load_scenario, to_toml, with_overrides
from sim.scenario.presets import presets_dir

REPO = Path(__file__).resolve().parents[2]
PAGE = "views/decisions.py"
AGENTS = "firms[0].phone_agents"


def _open(app):
    app.switch_page(PAGE)
    app.run()
    assert not app.exception, app.exception
    return app


def _tiny(app, trials: int = 4, seconds: int = 600):
    for key, value in (("opt_consumers", 300), ("opt_ticks", 5), ("opt_reps", 1), ("opt_trials", trials),
                       ("opt_time", seconds)):
        app.number_input(key=key).set_value(value)
    app.run()
    assert not app.exception, app.exception
    return app


def _front_folder(root, name="staffing", agents=(3, 8)):
    """A finished search as exlab optimize writes it: pareto.csv, decision.json, front_NN.toml."""
    folder = root / name
    folder.mkdir(parents=True)
    base = with_overrides(load_scenario("default_bank"), {"population.consumers": 400, "run.ticks": 6})
    rows = []
    for i, n in enumerate(agents):
        cost = 420.0 * n
        rows.append({"point": i, "trial": 10 + i, AGENTS: n,
                     "staff_cost_eur+waiting_cost_eur": cost, "staff_cost_eur+waiting_cost_eur_ci_low": cost - 5,
                     "staff_cost_eur+waiting_cost_eur_ci_high": cost + 5,
                     "trust": 0.5 + 0.01 * n, "trust_ci_low": 0.49 + 0.01 * n, "trust_ci_high": 0.51 + 0.01 * n,
                     "scenario": f"front_{i:02d}.toml"})
        (folder / f"front_{i:02d}.toml").write_text(to_toml(with_overrides(base, {AGENTS: n})))
    pd.DataFrame(rows).to_csv(folder / "pareto.csv", index=False)
    text = (REPO / "experiments" / "decisions" / "staffing_decision.toml").read_text()
    (folder / "decision.json").write_text(json.dumps({"source": "staffing.toml", "sha256": "x", "text": text}))
    return folder


# ---------------------------------------------------------------- pure helpers
def test_the_page_writes_decision_files_the_optimizer_accepts():
    text = dd.decision_toml(
        name="t", base="default_bank", consumers=500, ticks=7, replications=2, trials=6, seed=3,
        levers=[(AGENTS, 2, 9, "int"), ("firms[0].automation_share", 0.2, 0.8, "float")],
        objectives=[dd.Objective(("staff_cost_eur", "waiting_cost_eur"), "minimize", "mean"),
                    dd.Objective(("trust",), "maximize", "last")],
        budget=(("staff_cost_eur",), "mean", 2500.0), comment="a comment\nover two lines",
    )
    dec = decision_from_toml(text, "test", base_dir=presets_dir())
    assert dec.base.population.consumers == 500 and dec.base.run.ticks == 7
    assert [(lv.path, lv.low, lv.high, lv.type) for lv in dec.levers] == [
        (AGENTS, 2, 9, "int"), ("firms[0].automation_share", 0.2, 0.8, "float")]
    assert [o.direction for o in dec.objectives] == ["minimize", "maximize"]
    assert dec.constraints[0].max == 2500.0 and dec.trials == 6 and dec.seed == 3


def test_on_off_levers_are_searched_both_ways_and_read_back():
    text = dd.decision_toml(
        name="t", base="default_bank", consumers=300, ticks=5, replications=1, trials=4, seed=1,
        levers=[("firms[0].listening", 0, 1, "bool")], objectives=[dd.Objective(("trust",), "maximize", "last")])
    dec = decision_from_toml(text, "test", base_dir=presets_dir())
    assert [(lv.path, lv.type, lv.low, lv.high) for lv in dec.levers] == [("firms[0].listening", "bool", 0, 1)]
    csv = b"point,firms[0].listening,trust,trust_ci_low,trust_ci_high\n0,False,0.5,0.4,0.6\n1,True,0.6,0.5,0.7\n"
    front = dd.front_from_csv("pareto.csv", csv, base="default_bank")
    assert dd.point_overrides(front, 1) == {"firms[0].listening": True}
    assert list(dd.front_table(front)["Listening (learns what segments expect)"]) == ["off", "on"]
    assert dd.point_scenario(front, 1, "p").firms[0].listening is True
    with pytest.raises(dd.FrontError, match="not on/off"):
        dd.front_from_csv("pareto.csv", csv.replace(b"True", b"maybe"))


def test_objectives_read_in_words():
    cost = dd.Objective(("staff_cost_eur", "waiting_cost_eur"), "minimize", "mean")
    assert dd.objective_label(cost) == "Staff cost + waiting cost (EUR, mean per day)"
    assert dd.objective_label(dd.Objective(("trust",), "maximize", "last")) == "Trust (0 to 1, on the last day)"
    assert dd.objective_label(dd.Objective(("churn",), "minimize", "run")) == "Churn (consumers, total)"
    assert dd.fmt_objective(cost, 12345.0) == "12.3 k EUR"
    assert dd.default_direction(["trust"]) == "maximize"
    assert dd.default_direction(["staff_cost_eur", "trust"]) == "minimize"


@pytest.mark.parametrize("content, words", [
    (b"\xff\xfe\x00garbage", "not a text file"),
    (b"a,b\n1,2\n", "no objective columns"),
    (b"point,colour,trust,trust_ci_low,trust_ci_high\n0,red,0.5,0.4,0.6\n", "neither an objective"),
    (b"point,firms[0].phone_agents,trust,trust_ci_low,trust_ci_high\n0,many,0.5,0.4,0.6\n", "not numbers"),
    (b"", "empty"),
])
def test_bad_fronts_are_refused_in_one_sentence(content, words):
    with pytest.raises(dd.FrontError, match=words) as info:
        dd.front_from_csv("mine.csv", content)
    assert "\n" not in str(info.value)


def test_a_front_folder_reads_its_points_objectives_and_scenarios(tmp_path):
    front = dd.front_from_folder(_front_folder(tmp_path), "staffing")
    assert front.points == [0, 1] and front.levers == (AGENTS,)
    assert [o.direction for o in front.objectives] == ["minimize", "maximize"]
    assert [o.reduce for o in front.objectives] == ["mean", "last"]  # from the decision file
    assert front.preset == "default_bank" and set(front.scenarios) == {0, 1}
    sc = dd.point_scenario(front, 1, "p1")
    assert sc.firms[0].phone_agents == 8 and sc.population.consumers == 400 and sc.name == "p1"
    big = dd.point_scenario(front, 1, "p1", preset_size=True)
    assert big.firms[0].phone_agents == 8 and big.population.consumers == 20_000
    spec = dd.front_chart(front, front.objectives[0], front.objectives[1], selected=1).to_dict()
    assert [p["name"] for p in spec["params"]] == ["pick"]  # a click selects a point
    assert len(spec["datasets"][next(iter(spec["datasets"]))]) == 2
    table = dd.front_table(front)
    assert list(table["Phone agents (people)"]) == ["3", "8"]
    assert table["Trust (0 to 1, on the last day)"].iloc[0] == "0.530 (0.520 to 0.540)"


# ---------------------------------------------------------------- the page
def test_page_renders_the_search_form(app):
    _open(app)
    assert [t.value for t in app.title] == ["Decisions"]
    assert app.multiselect(key="opt_levers").value == [AGENTS]
    assert app.multiselect(key="opt_obj1_outcomes").value == ["staff_cost_eur", "waiting_cost_eur"]
    assert app.radio(key="opt_obj2_dir").value == "maximize"
    assert app.button(key="opt_run")
    assert not app.error


def test_a_tiny_search_gives_a_front_and_a_point_opens_in_the_lab(app):
    _tiny(_open(app))    # a bound no machine reaches: the search finishes its trials (compiling included)
    app.button(key="opt_run").click()
    app.run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    table = app.table[0].value
    assert len(table) >= 1 and "Phone agents (people)" in table.columns
    assert len(app.get("vega_lite_chart")) == 1  # the front
    front = app.session_state["dec_front:new"]
    assert len(front.trials) == front.trials_done == 4  # every trial, drawn behind the front
    points = app.selectbox(key="dec_point").options
    last = int(points[-1].split()[1])
    agents = int(table["Phone agents (people)"].iloc[-1])
    app.selectbox(key="dec_point").set_value(last)
    app.run()
    app.button(key="dec_open").click()
    app.run()
    assert not app.exception, app.exception
    assert [t.value for t in app.title] == ["Scenario lab"]
    base = app.session_state["lab_base"]
    assert base == f"{UPLOAD_PREFIX}default_bank_search point {last}"
    assert app.selectbox(key="lab_base").value == base
    assert app.number_input(key=f"lab:{base}:{AGENTS}").value == agents
    assert app.number_input(key=f"lab:{base}:consumers").value == 300  # the size searched
    assert app.number_input(key=f"lab:{base}:ticks").value == 5


def test_the_time_bound_stops_the_search(app):
    _tiny(_open(app), trials=400, seconds=5)
    start = time.monotonic()
    app.button(key="opt_run").click()
    app.run()
    spent = time.monotonic() - start
    assert not app.exception, app.exception
    stopped = [i.value for i in app.info if "time bound" in i.value]
    assert stopped and "of 400 trials" in stopped[0], [i.value for i in app.info]
    assert spent < 45, spent
    assert len(app.table[0].value) >= 1


def test_a_finished_folder_opens_and_its_point_goes_to_the_lab(app, tmp_path):
    _front_folder(tmp_path / "results")
    _open(app)
    app.radio(key="opt_source").set_value("finished").run()
    app.selectbox(key="opt_folder").set_value("staffing").run()
    assert not app.exception, app.exception
    assert not app.error
    assert len(app.table[0].value) == 2
    app.selectbox(key="dec_point").set_value(1).run()
    app.radio(key="dec_size").set_value("preset").run()
    app.button(key="dec_open").click()
    app.run()
    assert not app.exception, app.exception
    base = app.session_state["lab_base"]
    assert app.number_input(key=f"lab:{base}:{AGENTS}").value == 8
    assert app.number_input(key=f"lab:{base}:consumers").value == 20_000


def test_a_bad_upload_says_what_is_wrong_in_one_line(app):
    _open(app)
    app.radio(key="opt_source").set_value("finished").run()
    app.file_uploader(key="opt_upload").set_value(("front.csv", b"a,b\n1,2\n", "text/csv"))
    app.run()
    assert not app.exception, app.exception
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "no objective columns" in errors[0] and "\n" not in errors[0]
    assert not app.table


def test_an_uploaded_front_opens_on_a_preset(app):
    _open(app)
    app.radio(key="opt_source").set_value("finished").run()
    csv = (f"point,{AGENTS},trust,trust_ci_low,trust_ci_high\n0,4,0.5,0.45,0.55\n1,9,0.55,0.5,0.6\n").encode()
    app.file_uploader(key="opt_upload").set_value(("pareto.csv", csv, "text/csv"))
    app.run()
    assert not app.exception and not app.error
    app.selectbox(key="dec_apply_preset").set_value("bank_call_platform").run()
    app.selectbox(key="dec_point").set_value(1).run()
    app.button(key="dec_open").click()
    app.run()
    assert not app.exception, app.exception
    base = app.session_state["lab_base"]
    assert app.number_input(key=f"lab:{base}:{AGENTS}").value == 9
    preset = load_scenario("bank_call_platform")
    assert app.number_input(key=f"lab:{base}:consumers").value == preset.population.consumers


# ---------------------------------------------------------------- discover
NEED = "segments[*].human_need"


class _Planted:
    """Runs nothing: trust falls by a fifth with the change where customers' need of a person is above 0.6."""

    workers = 1

    def imap_unordered(self, fn, tasks, *shared):
        from sim.experiments.executors import Done

        for task in tasks:
            key, over, _seed = task
            drop = "-with-" in key and over[NEED] > 0.6
            yield Done(task, value=0.4 if drop else 0.5)


def _discovery_folder(root, name="automation"):
    from dashboard.discovery_data import EXAMPLE
    from sim.decisions.discover import discover
    from sim.decisions.spec import discovery_from_toml

    spec = discovery_from_toml(EXAMPLE.read_text(), "example", base_dir=EXAMPLE.parent)
    folder = root / name
    disc = discover(spec, folder, _Planted())
    assert disc.boxes, "the planted region gives a box"
    return folder


def test_discovery_files_resized_for_the_browser_stay_valid():
    from dashboard.discovery_data import EXAMPLE, discovery_text
    from sim.decisions.spec import discovery_from_toml

    text = discovery_text(EXAMPLE.read_text(), samples=10, replications=1, consumers=300, ticks=7)
    spec = discovery_from_toml(text, "t", base_dir=EXAMPLE.parent)
    original = discovery_from_toml(EXAMPLE.read_text(), "o", base_dir=EXAMPLE.parent)
    assert (spec.samples, spec.replications, spec.base.population.consumers, spec.base.run.ticks) == (10, 1, 300, 7)
    assert spec.change == original.change and spec.outcome == original.outcome
    assert [(d.path, d.low, d.high, d.label) for d in spec.dimensions] == [
        (d.path, d.low, d.high, d.label) for d in original.dimensions]


def test_a_finished_discovery_shows_its_boxes_in_words(app, tmp_path):
    _discovery_folder(tmp_path / "results")
    _open(app)
    app.segmented_control(key="dec_part").set_value("Discover").run()
    app.radio(key="disc_source").set_value("finished").run()
    app.selectbox(key="disc_folder").set_value("automation").run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    boxes = [m.value for m in app.markdown if m.value.startswith("**Box 1.**")]
    found = re.search(r"when customers' need of a person is above (\d+(?:\.\d+)?)%", boxes[0] if boxes else "")
    assert found and 50 <= float(found.group(1)) <= 60, boxes  # the planted edge is at 60%
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Points run"] == "40 of 40"
    cases = int(metrics["Points where it happens"])
    assert 0 < cases < 40
    assert any("Inside it the outcome happens at" in c.value for c in app.caption)
    assert len(app.table) >= 2  # the box's limits, the robustness of the change
    assert any(s.value == "Robustness of the change" for s in app.subheader)
    assert len(app.get("vega_lite_chart")) == 3  # the trajectory, the points sampled, the robustness


def test_a_tiny_discovery_runs_in_the_page(app):
    _open(app)
    app.segmented_control(key="dec_part").set_value("Discover").run()
    for key, value in (("disc_samples", 8), ("disc_consumers", 200), ("disc_ticks", 5), ("disc_time", 600)):
        app.number_input(key=key).set_value(value)
    app.run()
    app.button(key="disc_run").click()
    app.run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Points run"] == "8 of 8"


def test_a_bad_discovery_file_or_folder_gives_one_line(app, tmp_path):
    (tmp_path / "results" / "broken").mkdir(parents=True)
    (tmp_path / "results" / "broken" / "summary.json").write_text("{not json")
    (tmp_path / "results" / "broken" / "boxes.csv").write_text("box\n")
    _open(app)
    app.segmented_control(key="dec_part").set_value("Discover").run()
    app.file_uploader(key="disc_upload").set_value(("mine.toml", b'base = "default_bank"\nsamples = "many"\n',
                                                    "application/toml"))
    app.run()
    assert not app.exception, app.exception
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "not a valid discovery file" in errors[0] and "\n" not in errors[0]
    app.radio(key="disc_source").set_value("finished").run()
    app.selectbox(key="disc_folder").set_value("broken").run()
    assert not app.exception, app.exception
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "\n" not in errors[0], errors


# ---------------------------------------------------------------- calibrate
TINY_KPIS = (("trust", "%"), ("satisfaction", "1-5"))


@pytest.fixture(scope="module")
def tiny_kpis() -> bytes:
    """Four weeks of a small bank's KPIs, made by the model with a stated churn ceiling."""
    from sim.calibration.synthetic import synthetic_kpis, to_csv

    base = with_overrides(load_scenario("default_bank"), {"population.consumers": 200})
    df = synthetic_kpis(base, {"churn.max_rate_per_year": 1.0}, period="week", periods=4, seed=5, kpis=TINY_KPIS)
    return to_csv(df, "synthetic: four weeks")


@pytest.fixture
def finished_calibration(tmp_path):
    """A finished calibration folder as exlab calibrate writes it (result, posterior, bands, calibrated scenario)."""
    folder = tmp_path / "results" / "tiny"
    folder.mkdir(parents=True)
    churn = "churn.max_rate_per_year"
    (folder / "result.json").write_text(json.dumps({
        "name": "tiny", "source": "tiny.toml", "generations": 2, "simulations": 31, "epsilon": [1e300, 2.5],
        "acceptance_rates": [1.0, 0.48], "stopped": "budget: 2 generations", "complete": True,
        "reproducible": True, "warnings": [], "wall_s": 3.0, "summary": "levels", "replications": 1}))
    pd.DataFrame([{"parameter": churn, "mean": 1.1, "sd": 0.3, "median": 1.05, "q05": 0.6, "q95": 1.7,
                   "prior_low": 0.2, "prior_high": 3.0, "interval_share": 0.39}]).to_csv(
        folder / "posterior.csv", index=False)
    pd.DataFrame({churn: [0.9, 1.1, 1.2], "weight": [0.3, 0.4, 0.3]}).to_csv(folder / "samples.csv", index=False)
    pd.DataFrame({"parameter": [churn], churn: [1.0]}).to_csv(folder / "correlation.csv", index=False)
    rows = [{"period": p, "outcome": o, "column": f"{o} [{u}]", "unit": u, "observed": obs + 0.1 * p,
             "q05": obs - 1, "median": obs + 0.1 * p, "q95": obs + 1}
            for o, u, obs in (("trust", "%", 52.0), ("satisfaction", "1-5", 3.0)) for p in range(1, 5)]
    pd.DataFrame(rows).to_csv(folder / "bands.csv", index=False)
    sc = with_overrides(load_scenario("default_bank"),
                        {"population.consumers": 200, "run.ticks": 28, churn: 1.05})
    (folder / "calibrated.toml").write_text(to_toml(sc, "calibrated"))
    (folder / "calibration.json").write_text(json.dumps({"source": "tiny.toml", "name": "tiny", "sha256": "x",
                                                         "text": 'base = "default_bank"\n', "stopped": None}))
    return folder


def _calibrate_part(app):
    _open(app)
    app.segmented_control(key="dec_part").set_value("Calibrate").run()
    assert not app.exception, app.exception
    return app


def test_the_sample_calibration_form_is_valid(app):
    _calibrate_part(app)
    assert not app.error and not app.warning, ([e.value for e in app.error], [w.value for w in app.warning])
    assert app.multiselect(key="cal_params").value == [
        "churn.max_rate_per_year", "segments[*].requests_per_month", "satisfaction.loss_weight"]
    assert app.multiselect(key="cal_outcomes").value == ["churn_rate", "satisfaction", "trust", "contacts_human"]
    text = app.code[0].value
    assert 'path = "churn.max_rate_per_year"' in text and "population_size = 10" in text
    assert app.button(key="cal_run")


def test_a_finished_calibration_shows_the_fit_and_opens_in_the_lab(app, finished_calibration):
    _calibrate_part(app)
    app.radio(key="cal_source").set_value("finished").run()
    app.selectbox(key="cal_folder").set_value("tiny").run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics == {"Generations": "2", "Runs of the model": "31", "Parameters": "1"}
    assert any(s.value == "Fit against the data" for s in app.subheader)
    assert any("Stopped on its budget: 2 generations" in c.value.replace("\\", "") for c in app.caption)
    posterior = app.table[0].value
    assert list(posterior.index) == ["Highest churn rate (per year)"]
    assert posterior["Prior range"].iloc[0] == "0.2 to 3" and posterior["90% interval"].iloc[0] == "0.6 to 1.7"
    median = float(posterior["Median"].iloc[0])
    assert median == 1.05
    charts = app.get("vega_lite_chart")
    assert len(charts) == 3, len(charts)  # one per KPI (trust, satisfaction), and the posterior
    app.radio(key="cal_open_size").set_value("calibrated").run()
    app.button(key="cal_open").click()
    app.run()
    assert not app.exception, app.exception
    base = app.session_state["lab_base"]
    assert base == f"{UPLOAD_PREFIX}tiny calibrated"
    assert app.number_input(key=f"lab:{base}:consumers").value == 200
    assert app.number_input(key=f"lab:{base}:ticks").value == 28  # four weeks
    assert "churn" in app.session_state["exlab_uploaded"][1]
    from sim.scenario import scenario_from_toml

    sc = scenario_from_toml(app.session_state["exlab_uploaded"][1], "lab")
    assert sc.churn.max_rate_per_year == pytest.approx(median, rel=0.01)


def test_a_tiny_calibration_runs_in_the_page(app, tiny_kpis):
    _calibrate_part(app)
    app.file_uploader(key="cal_upload").set_value(("weeks.csv", tiny_kpis, "text/csv"))
    app.run()
    assert not app.error, [e.value for e in app.error]
    app.multiselect(key="cal_params").set_value(["churn.max_rate_per_year"])
    for key, value in (("cal_consumers", 200), ("cal_gens", 1), ("cal_draws", 2), ("cal_time", 600)):
        app.number_input(key=key).set_value(value)
    app.run()
    app.button(key="cal_run").click()
    app.run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Generations"] == "1"
    assert any("Stopped on its budget" in c.value for c in app.caption)
    assert len(app.table[0].value) == 1


@pytest.mark.parametrize("content, words", [
    (b"month,foo [x]\n1,2\n2,3\n3,4\n", "foo"),
    (b"when,trust [%]\n1,50\n2,51\n3,52\n", "period column"),
    (b"\xff\xfe garbage", "UTF-8"),
])
def test_a_bad_kpi_file_gives_one_line(app, content, words):
    _calibrate_part(app)
    app.file_uploader(key="cal_upload").set_value(("kpis.csv", content, "text/csv"))
    app.run()
    assert not app.exception, app.exception
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and words in errors[0].replace("\\", "") and "\n" not in errors[0], errors
    assert "cal_run" not in [b.key for b in app.button]  # nothing to run on a file that cannot be read
