"""``exlab optimize``: a known optimum, resume after a kill, reproducibility, bad decision files."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.scenario import load_scenario, to_toml
from sim.validation.cases import ERLANG_C_PATIENCE_MIN, ERLANG_CALL_MIN, ERLANG_LOAD, phone_scenario
from sim.validation.theory import erlang_c

CONSUMERS, DAYS = 2000, 8


def _erlang_base(tmp_path: Path) -> Path:
    p = tmp_path / "erlang_c.toml"
    p.write_text(to_toml(phone_scenario(ERLANG_C_PATIENCE_MIN, DAYS, CONSUMERS)))
    return p


def _decision(tmp_path: Path, trials: int = 12, extra: str = "") -> Path:
    _erlang_base(tmp_path)
    p = tmp_path / "staffing.toml"
    p.write_text(f"""
base = "erlang_c.toml"
replications = 2
trials = {trials}
seed = 3

[[levers]]
path = "firms[0].phone_agents"
low = 9
high = 20
type = "int"

[[objectives]]
outcomes = ["staff_cost_eur", "waiting_cost_eur"]
direction = "minimize"
reduce = "mean"
{extra}""")
    return p


def exact_cost_per_day(n: int) -> float:
    """Staff cost n x 24 h x cost/agent-hour plus waiting cost lambda x 24 h x Wq x cost/waiting hour (M/M/n)."""
    sc = phone_scenario(ERLANG_C_PATIENCE_MIN, DAYS, CONSUMERS)
    mu = 60.0 / ERLANG_CALL_MIN                    # calls per agent-hour
    lam = ERLANG_LOAD * mu                         # calls per hour
    wq = erlang_c(n, ERLANG_LOAD) / (n * mu - lam)  # hours on hold per call
    ch = sc.channels
    return n * 24 * ch.agent_cost_per_hour_eur + lam * 24 * wq * ch.waiting_cost_per_hour_eur


def test_finds_the_erlang_c_staffing_optimum(tmp_path, capsys):
    best_n = min(range(9, 21), key=exact_cost_per_day)
    out = tmp_path / "out"
    assert main(["optimize", str(_decision(tmp_path)), "--out", str(out), "--serial", "--quiet"]) == 0
    df = pd.read_csv(out / "pareto.csv")
    assert len(df) == 1
    found = int(df["firms[0].phone_agents"].iloc[0])
    assert abs(found - best_n) <= 1
    col = "staff_cost_eur+waiting_cost_eur"
    assert df[f"{col}_ci_low"].iloc[0] <= df[col].iloc[0] <= df[f"{col}_ci_high"].iloc[0]
    assert (out / "pareto.png").stat().st_size > 0
    sc = load_scenario(out / df["scenario"].iloc[0])
    assert sc.firms[0].phone_agents == found


def test_serial_search_is_reproducible(tmp_path):
    rows = []
    for k in range(2):
        d = tmp_path / f"d{k}"
        d.mkdir()
        out = d / "out"
        assert main(["optimize", str(_decision(d, trials=6)), "--out", str(out), "--serial", "--quiet"]) == 0
        with sqlite3.connect(out / "study.db") as db:
            rows.append(db.execute("select t.number, p.param_value from trials t join trial_params p "
                                   "using (trial_id) order by t.number").fetchall())
        rows.append(pd.read_csv(out / "pareto.csv").drop(columns="scenario").to_dict("records"))
    assert rows[0] == rows[2] and rows[1] == rows[3]


def _states(db_path: Path) -> list[str]:
    with sqlite3.connect(db_path) as db:
        return [r[0] for r in db.execute("select state from trials")]


@pytest.mark.slow
def test_killed_optimization_resumes_without_repeating(tmp_path):
    trials = 30
    dec = _decision(tmp_path, trials=trials)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "sim", "optimize", str(dec), "--out", str(out), "--serial", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        if (out / "study.db").exists():
            try:
                if _states(out / "study.db").count("COMPLETE") >= 3:
                    break
            except sqlite3.Error:
                pass
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _states(out / "study.db").count("COMPLETE")
    assert 3 <= before < trials
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    states = _states(out / "study.db")
    assert states.count("COMPLETE") == trials
    assert len(states) <= trials + 1          # at most the one interrupted trial, marked FAIL
    assert (out / "pareto.csv").exists()


@pytest.mark.parametrize("extra, words", [
    ("colour = 1\n", "colour"),
    ('[[uncertainties]]\npath = "firms[0].phone_agents"\nlow = 9\nhigh = 12\ntype = "int"\n',
     "lever or an uncertainty"),
    ('[[objectives]]\noutcomes = ["happiness"]\n', "happiness"),
    ('[[constraints]]\noutcomes = ["trust"]\nmax = 1.0\n', "cost outcome"),
])
def test_bad_decision_files_give_one_line_and_status_2(tmp_path, capsys, extra, words):
    dec = _decision(tmp_path, extra=extra)
    if extra.startswith("colour"):   # a top-level key must come before the tables
        text = dec.read_text()
        dec.write_text(extra + text.replace(extra, ""))
    assert main(["optimize", str(dec), "--out", str(tmp_path / "o"), "--serial", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1 and words in err


def test_changed_decision_file_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    dec = _decision(tmp_path, trials=2)
    assert main(["optimize", str(dec), "--out", str(out), "--serial", "--quiet"]) == 0
    dec.write_text(dec.read_text().replace("high = 20", "high = 18"))
    assert main(["optimize", str(dec), "--out", str(out), "--serial", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "changed" in err


def test_a_budget_on_staff_cost_binds(tmp_path):
    """Waiting cost alone falls with every agent added; a staff budget of 10 agents' cost stops it at 10."""
    sc = phone_scenario(ERLANG_C_PATIENCE_MIN, DAYS, CONSUMERS)
    budget = 10 * 24 * sc.channels.agent_cost_per_hour_eur + 1.0
    dec = _decision(tmp_path, trials=12, extra=f"""
[[constraints]]
outcomes = ["staff_cost_eur"]
reduce = "mean"
max = {budget}
""")
    dec.write_text(dec.read_text().replace('outcomes = ["staff_cost_eur", "waiting_cost_eur"]',
                                           'outcomes = ["waiting_cost_eur"]'))
    out = tmp_path / "out"
    assert main(["optimize", str(dec), "--out", str(out), "--serial", "--quiet"]) == 0
    df = pd.read_csv(out / "pareto.csv")
    assert df["firms[0].phone_agents"].tolist() == [10]
    trials = pd.read_csv(out / "trials.csv")       # every trial, with its feasibility
    assert trials["trial"].tolist() == list(range(12)) and set(trials["state"]) == {"COMPLETE"}
    assert (trials["feasible"] == (trials["firms[0].phone_agents"] <= 10)).all()
    assert trials["feasible"].any() and not trials["feasible"].all()


TWO_OBJECTIVES = """
[[objectives]]
outcomes = ["trust"]
direction = "maximize"
reduce = "last"
"""


def _trial_rows(out: Path) -> list:
    with sqlite3.connect(out / "study.db") as db:
        return db.execute("select t.number, t.state, p.param_value from trials t join trial_params p "
                          "using (trial_id) order by t.number").fetchall()


def test_time_limit_stops_a_generation_and_resume_runs_its_trials_first(tmp_path, monkeypatch):
    """Out of time after three runs: trial 0 is finished, trials 1-3 of the generation wait for the resume."""
    from sim.decisions.optimize import optimize
    from sim.decisions.spec import load_decision
    from sim.experiments.executors import SerialExecutor

    dec = load_decision(_decision(tmp_path, trials=8, extra=TWO_OBJECTIVES))  # NSGA-II, population 4
    real, jump = time.monotonic, [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: real() + jump[0])

    class OutOfTimeAfterThreeRuns(SerialExecutor):
        def imap_unordered(self, fn, tasks, *shared):
            for k, done in enumerate(super().imap_unordered(fn, tasks, *shared)):
                if k == 2:
                    jump[0] = 1e6
                yield done

    out = tmp_path / "out"
    front = optimize(dec, out, OutOfTimeAfterThreeRuns(), time_limit=3600)
    rows = _trial_rows(out)
    assert [(n, s) for n, s, _ in rows] == [(0, "COMPLETE"), (1, "FAIL"), (2, "FAIL"), (3, "FAIL")]
    assert front["trial"].tolist() == [0]
    monkeypatch.setattr(time, "monotonic", real)
    optimize(dec, out, SerialExecutor())
    rows = _trial_rows(out)
    assert [s for _, s, _ in rows].count("COMPLETE") == 8
    assert [v for n, _, v in rows if n in (4, 5, 6)] == [v for n, _, v in rows if n in (1, 2, 3)]


@pytest.mark.slow
@pytest.mark.dask
def test_search_on_two_workers_is_the_serial_search(tmp_path):
    """Generations are told in trial order, so the workers' timing cannot change the search."""
    found = []
    for k, flags in enumerate((["--serial"], ["--workers", "2"])):
        d = tmp_path / f"d{k}"
        d.mkdir()
        out = d / "out"
        assert main(["optimize", str(_decision(d, trials=8, extra=TWO_OBJECTIVES)), "--out", str(out),
                     *flags, "--quiet"]) == 0
        found.append((_trial_rows(out), pd.read_csv(out / "pareto.csv").drop(columns="scenario")))
    assert found[0][0] == found[1][0]
    pd.testing.assert_frame_equal(found[0][1], found[1][1])


def test_an_on_off_lever_is_searched_and_written_as_true_or_false(tmp_path):
    dec = _decision(tmp_path, trials=4, extra='\n[[levers]]\npath = "firms[0].listening"\ntype = "bool"\n')
    out = tmp_path / "out"
    assert main(["optimize", str(dec), "--out", str(out), "--serial", "--quiet"]) == 0
    with sqlite3.connect(out / "study.db") as db:
        tried = {r[0] for r in db.execute("select distinct p.param_value from trial_params p "
                                          "where p.param_name = 'firms[0].listening'")}
    assert tried == {0.0, 1.0}            # optuna stores the index of the choice [False, True]
    df = pd.read_csv(out / "pareto.csv")
    for r in df.to_dict("records"):
        assert load_scenario(out / r["scenario"]).firms[0].listening is bool(r["firms[0].listening"])


@pytest.mark.parametrize("lever, words", [
    ('path = "firms[0].listening"\ntype = "float"\nlow = 0\nhigh = 1\n', '"bool"'),
    ('path = "firms[0].listening"\ntype = "bool"\nlow = 0\nhigh = 2\n', "0 and 1"),
    ('path = "firms[0].automation_share"\ntype = "bool"\n', "is a number"),
])
def test_on_off_levers_are_checked(tmp_path, capsys, lever, words):
    dec = _decision(tmp_path, extra=f"\n[[levers]]\n{lever}")
    assert main(["optimize", str(dec), "--out", str(tmp_path / "o"), "--serial", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err

