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
    assert app.selectbox(key="exp_found").value == "sweep"
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Runs"] == "12" and metrics["Parameters that vary"] == "1"
    assert app.selectbox(key="exp_param").value == "firms[0].automation_share"
    assert any(s.value == "Sensitivity indices" for s in app.subheader)


def test_page_refuses_a_typed_path_outside_the_root(app, tmp_path):
    _results(tmp_path / "results")
    app.switch_page("views/experiments.py")
    app.run()
    app.text_input(key="exp_typed").set_value("../../etc")
    app.run()
    assert any("leads outside" in e.value for e in app.error)
    assert not app.metric


def test_page_with_no_results_says_so(app):
    app.switch_page("views/experiments.py")
    app.run()
    assert any("No results folder yet" in i.value for i in app.info)
