"""Experiments page: reading a batch results folder defensively, inside the results root only."""

import json
import os

import numpy as np
import pandas as pd
import pytest

from dashboard import stats


def _results(root, name="sweep", per_tick=True):
    folder = root / name / "runs"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for part, auto in enumerate((0.2, 0.5, 0.8)):
        rows = []
        for rep in range(4):
            for tick in (1, 2, 3) if per_tick else (365,):
                rows.append({"run_id": f"r{part}-{rep}", "seed": 100 + rep, "tick": tick,
                             "firms[0].automation_share": auto, "exchange.complex": 0.1,
                             "trust": 0.7 - 0.2 * auto + rng.normal(0, 0.01),
                             "churn": float(rng.integers(0, 5))})
        pd.DataFrame(rows).to_parquet(folder / f"part-{part}.parquet")
    (root / name / "manifest.json").write_text(json.dumps({"experiment": "sweep", "runs": 12}))
    pd.DataFrame({"parameter": ["firms[0].automation_share", "exchange.complex"],
                  "outcome": ["trust", "trust"], "ST": [0.9, 0.05],
                  "ST_conf": [0.05, 0.02]}).to_csv(root / name / "sensitivity.csv", index=False)
    return root / name


def test_parameters_outcomes_and_per_run_reduction(tmp_path):
    folder = _results(tmp_path)
    data, manifest, sens = stats.load_results(folder)
    params, outcomes = stats.split_columns(data)
    assert params == ["firms[0].automation_share"]  # run_id: bookkeeping; complex: fixed
    assert outcomes == ["trust", "churn"]
    runs = stats.per_run(data, params, outcomes)
    assert len(runs) == 12
    one = data[data["run_id"] == "r0-0"]
    row = runs[runs["run_id"] == "r0-0"].iloc[0]
    assert row["trust"] == pytest.approx(one.sort_values("tick")["trust"].iloc[-1])  # "last"
    assert row["churn"] == pytest.approx(one["churn"].sum())  # "sum"
    ci = stats.ci_by_parameter(runs, params[0], "trust")
    assert list(ci[params[0]]) == [0.2, 0.5, 0.8] and list(ci["n"]) == [4, 4, 4]
    assert (ci["lo"] <= ci["mean"]).all() and (ci["mean"] <= ci["hi"]).all()
    assert manifest["runs"] == 12 and list(sens["ST"]) == [0.9, 0.05]


def test_folders_outside_the_root_are_refused(tmp_path):
    root = tmp_path / "results"
    _results(root)
    outside = tmp_path / "secret"
    outside.mkdir()
    os.symlink(outside, root / "link")
    assert stats.safe_folder("sweep", root) == (root / "sweep").resolve()
    for bad in ("..", "../secret", str(outside), "sweep/../../secret", "link"):
        with pytest.raises(stats.ResultsFolderError, match="leads outside"):
            stats.safe_folder(bad, root)
    with pytest.raises(stats.ResultsFolderError, match="no folder"):
        stats.safe_folder("missing", root)


def test_page_plots_outcomes_against_parameters(app, tmp_path):
    _results(tmp_path / "results")
    app.switch_page("views/experiments.py")
    app.run()
    assert not app.exception, app.exception
    assert app.selectbox(key="exp_folder").value == "sweep"
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Runs"] == "12" and metrics["Parameters that vary"] == "1"
    assert app.selectbox(key="exp_param").value == "firms[0].automation_share"
    assert any(s.value == "Sensitivity indices" for s in app.subheader)


def _open_typed(app, typed: str):
    """Type a folder into the one folder box (AppTest cannot type a new option: set it first)."""
    app.session_state["exp_folder"] = typed
    app.switch_page("views/experiments.py")
    app.run()
    assert not app.exception, app.exception
    return app


def test_page_refuses_a_typed_path_outside_the_root(app, tmp_path):
    _results(tmp_path / "results")
    _open_typed(app, "../../etc")
    assert any("leads outside" in e.value for e in app.error)
    assert not app.metric


def test_the_folder_box_is_the_one_source_of_truth(app, tmp_path):
    _results(tmp_path / "results", name="first")
    _results(tmp_path / "results", name="nested/second")
    _open_typed(app, "nested/second")
    assert app.selectbox(key="exp_folder").value == "nested/second"
    shown = " ".join(m.value for m in app.markdown if m.value.startswith("**Folder:**"))
    assert "nested/second" in shown.replace("\\", "")


def test_page_with_no_results_says_so(app):
    app.switch_page("views/experiments.py")
    app.run()
    assert any("No results folder yet" in i.value for i in app.info)


# ---------------------------------------------------------------- charts, bounds, plain words
def test_dotted_and_categorical_parameters_draw_one_point_per_level():
    from dashboard import charts

    runs = pd.DataFrame({
        "network.kind": ["watts_strogatz"] * 3 + ["barabasi_albert"] * 3,
        "firms[*].quality": [0.5, 0.7, 0.9] * 2,
        "trust": [0.60, 0.62, 0.64, 0.50, 0.52, 0.54],
    })
    for param, kind in (("network.kind", "nominal"), ("firms[*].quality", "quantitative")):
        ci = stats.ci_by_parameter(runs, param, "trust")
        spec = charts.ci_chart(ci, param, "trust", param).to_dict()
        text = json.dumps(spec)
        # No field name with a dot or bracket: Vega-Lite would read it as a nested path.
        fields = {e["field"] for layer in spec["layer"] for e in layer["encoding"].values()
                  if isinstance(e, dict) and "field" in e}
        assert not any("." in f or "[" in f for f in fields), fields
        assert f'"type": "{kind}"' in text
        data = next(iter(spec["datasets"].values()))
        assert len({row["level"] for row in data}) == runs[param].nunique()


def test_intervals_on_counts_stop_at_zero():
    runs = pd.DataFrame({"p": [1, 1, 1, 2, 2, 2], "churn": [0.0, 0.0, 3.0, 0.0, 1.0, 0.0]})
    ci = stats.ci_by_parameter(runs, "p", "churn")
    assert (ci["lo"] >= 0).all() and (ci["lo"] <= ci["mean"]).all()
    shares = pd.DataFrame({"p": [1, 1, 1], "control_share": [0.99, 0.90, 1.0]})
    assert (stats.ci_by_parameter(shares, "p", "control_share")["hi"] <= 1).all()


def _manifest(kind="sobol", samples=16, reps=1):
    text = ('# First comment line.\nname = "s"\ndescription = "Does quality offset public '
            'complaints?"\n[base]\nscenario = "default_bank"\nset = { "population.consumers" = 300 }\n')
    return {
        "experiment": {"name": "s", "text": text},
        "base_scenario": {"ref": "default_bank"},
        "design": {"kind": kind, "samples": samples, "replications": reps, "points": 80,
                   "parameters": [{"path": "exchange.complex", "range": [0.0, 0.6]},
                                  {"path": "network.kind",
                                   "values": ["watts_strogatz", "barabasi_albert"]}]},
        "outcomes": {"names": ["trust"], "keep": "summary", "at_ticks": [10, 30], "ticks": 30},
        "counts": {"planned": 80, "done": 78, "failed": 2, "missing": 0},
        "status": "incomplete",
    }


def test_the_question_and_design_read_in_plain_words():
    from dashboard.experiment_info import design_lines, question

    m = _manifest()
    assert question(m) == "Does quality offset public complaints?"
    text = " ".join(design_lines(m))
    for words in ("Sobol", "N = 16", "80 design points", "Complex exchange share",
                  "watts_strogatz and barabasi_albert", "default_bank", "population.consumers = 300",
                  "30 days", "78 of 80 runs done, 2 failed"):
        assert words in text, words
    assert question({"experiment": {"text": "# Which lever matters?\nname = 'x'\n"}}) == (
        "Which lever matters?")
    # A manifest of another shape is read without an error.
    assert isinstance(design_lines({"experiment": "not a table", "design": []}), list)
    assert question({"experiment": "not a table", "design": []}) is None


def test_small_sobol_samples_and_impossible_indices_are_flagged():
    from dashboard.experiment_info import sensitivity_warnings

    sens = pd.DataFrame({"outcome": ["customers"] * 2, "parameter": ["a", "b"],
                         "method": ["sobol"] * 2, "S1": [-0.17, 0.30], "S1_conf": [0.45, 0.05],
                         "ST": [1.54, 0.35], "ST_conf": [1.41, 0.04]})
    warnings = " ".join(sensitivity_warnings(sens, _manifest(samples=16)))
    assert "N = 16" in warnings and "1.54, above 1" in warnings and "-0.17, below 0" in warnings
    good = pd.DataFrame({"outcome": ["trust"] * 2, "parameter": ["a", "b"], "method": ["sobol"] * 2,
                         "S1": [0.60, 0.30], "S1_conf": [0.03, 0.02],
                         "ST": [0.65, 0.33], "ST_conf": [0.04, 0.02]})
    assert sensitivity_warnings(good, _manifest(samples=1024, reps=3)) == []
    morris = pd.DataFrame({"outcome": ["churn"], "parameter": ["a"], "method": ["morris"],
                           "mu": [0.1], "mu_star": [1.25], "mu_star_conf": [0.9], "sigma": [1.7]})
    assert any("trajectories" in w for w in sensitivity_warnings(morris, _manifest("morris", 6)))


def test_page_shows_the_question_the_warning_and_how_to_read(app, tmp_path):
    folder = _results(tmp_path / "results")
    (folder / "manifest.json").write_text(json.dumps(_manifest()))
    pd.DataFrame({"outcome": ["trust"], "parameter": ["firms[0].automation_share"],
                  "method": ["sobol"], "S1": [-0.2], "S1_conf": [0.5], "ST": [1.5],
                  "ST_conf": [1.4]}).to_csv(folder / "sensitivity.csv", index=False)
    app.switch_page("views/experiments.py")
    app.run()
    assert not app.exception, app.exception
    assert any(m.value.startswith("**Question.**") for m in app.markdown)
    assert any("Too little data to trust these indices" in w.value for w in app.warning)
    assert any(e.label == "How to read these indices" for e in app.expander)


def test_summaries_kept_at_several_days_are_not_added_up(app, tmp_path):
    root = tmp_path / "results" / "summ"
    (root / "runs").mkdir(parents=True)
    rows = []
    for run, q in enumerate((0.5, 0.9)):
        for tick, churn in ((10, 4.0), (30, 9.0)):  # churn: the total up to that day
            rows.append({"run_id": f"r{run}", "seed": run, "tick": tick, "firms[*].quality": q,
                         "churn": churn + run, "trust": 0.6})
    pd.DataFrame(rows).to_parquet(root / "runs" / "p.parquet")
    (root / "manifest.json").write_text(json.dumps(_manifest()))
    app.switch_page("views/experiments.py")
    app.run()
    assert not app.exception, app.exception
    slider = app.get("select_slider")[0]
    assert slider.value == 30
    table = app.dataframe[0].value
    assert sorted(table["churn"]) == [9.0, 10.0]  # the day-30 totals, not 4 + 9
