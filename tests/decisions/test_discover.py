"""``exlab discover``: PRIM finds a planted region, paired runs, resume, bad input, the Latin hypercube."""

from __future__ import annotations

import fcntl
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.decisions.discover import (
    box_in_words,
    discover,
    find_boxes,
    load_discovery,
    paired_effect,
    plan_runs,
    read_discovery,
    robustness_table,
    sample_points,
)
from sim.experiments.executors import SerialExecutor
from sim.scenario import ScenarioError

TINY = """
base = "default_bank"
consumers = 300
ticks = 5
replications = {replications}
samples = {samples}
seed = 4

[[levers]]
path = "firms[0].advisors_per_10k"
low = 2
high = 15

[[uncertainties]]
path = "segments[*].human_need"
low = 0.1
high = 0.9
label = "customers' need of a person"

[change]
"firms[0].automation_share" = {automation}

[outcome]
name = "trust"
reduce = "last"
effect = "relative"
side = "<"
threshold = -0.04
"""


def _tiny(tmp_path: Path, automation: float = 0.8, samples: int = 8, replications: int = 1, top: str = "",
          extra: str = "") -> Path:
    p = tmp_path / "tiny_discovery.toml"
    p.write_text(top + TINY.format(automation=automation, samples=samples, replications=replications) + extra)
    return p


class CountingExecutor(SerialExecutor):
    """The serial executor, counting the runs it starts."""

    def __init__(self):
        self.started: list[str] = []

    def imap_unordered(self, fn, tasks, *shared):
        def counted(task, *args):
            self.started.append(task[0])
            return fn(task, *args)

        yield from super().imap_unordered(counted, tasks, *shared)


# %% PRIM through the wrapper, words, effects, robustness ------------------------------------------


def _planted(seed: int = 11, n: int = 1000) -> tuple[pd.DataFrame, np.ndarray]:
    """y = (x1 > 0.6) and (x2 < 0.3), blurred at the edges (sd 0.02) and 1% of labels flipped."""
    from scipy.stats import qmc

    rng = np.random.default_rng(seed)
    x = pd.DataFrame(qmc.LatinHypercube(d=4, rng=rng).random(n), columns=["x1", "x2", "x3", "x4"])
    y = ((x["x1"] + rng.normal(0, 0.02, n) > 0.6) & (x["x2"] + rng.normal(0, 0.02, n) < 0.3)).to_numpy()
    flip = rng.random(n) < 0.01
    return x, np.where(flip, ~y, y)


def test_prim_recovers_a_planted_region():
    x, y = _planted()
    boxes, trajectory = find_boxes(x, y, boxes=2, min_density=0.5, min_cases=5, max_qp=0.1)
    assert len(boxes) == 1                       # the rest is noise: no second box
    b = boxes[0]
    lim = b.limits.set_index("dimension")
    assert set(lim.index) == {"x1", "x2"}
    assert abs(lim.loc["x1", "low"] - 0.6) < 0.05 and np.isnan(lim.loc["x1", "high"])
    assert abs(lim.loc["x2", "high"] - 0.3) < 0.05 and np.isnan(lim.loc["x2", "low"])
    assert b.density > 0.9 and b.coverage > 0.85
    assert abs(b.mass - 0.12) < 0.03
    assert b.contains(x).sum() == round(b.mass * len(x))
    words = box_in_words(b.limits)
    assert words.startswith("when ") and " and " in words
    assert f"x1 is above {lim.loc['x1', 'low']:.3g}" in words and f"x2 is below {lim.loc['x2', 'high']:.3g}" in words
    t = trajectory[trajectory["box"] == 1]
    assert t["chosen"].sum() == 1 and t.loc[t["chosen"], "step"].item() == b.step
    assert t["coverage"].iloc[0] == 1.0 and t["kind"].iloc[0] == "start"
    assert (t["res_dim"] <= 4).all() and t["mass"].min() >= 0.05 - 1e-9


def test_no_case_no_box():
    x, _ = _planted(n=50)
    boxes, trajectory = find_boxes(x, np.zeros(50, dtype=bool))
    assert boxes == [] and trajectory.empty


@pytest.mark.parametrize("rows, names, expected", [
    ([("firms[0].automation_share", 0.62, None)], None, "when firms[0].automation_share is above 62%"),
    ([("exchange.complex", 0.3, None), ("wom.base_rate", 0.005, 0.01)],
     {"exchange.complex": "the share of exchange that is complex", "wom.base_rate": "word-of-mouth"},
     "when the share of exchange that is complex is above 30% and word-of-mouth is between 0.005 and 0.01 per day"),
    ([("firms[0].phone_agents", 5.0, 12.0)], None, "when firms[0].phone_agents is from 5 to 12 people"),
    ([("firms[0].phone_agents", None, 12.0)], {"firms[0].phone_agents": "the people answering the phone"},
     "when the people answering the phone is at most 12"),
    ([("firms[0].advisors_per_10k", None, 12.2)],
     {"firms[0].advisors_per_10k": "the advisors per 10,000 customers"},
     "when the advisors per 10,000 customers is below 12.2"),
    ([("segments[*].requests_per_month", 1.0123, None)], None,
     "when segments[*].requests_per_month is above 1.01 requests/month"),
    ([("a", 1.0, None), ("b", None, 2.5), ("c", 0.25, 0.75)], None,
     "when a is above 1, b is below 2.5 and c is between 0.25 and 0.75"),
    ([("firms[0].listening", 0.5, None), ("exchange.complex", None, 0.2)],
     {"firms[0].listening": "the bank's listening"},
     "when the bank's listening is on and exchange.complex is below 20%"),
    ([("firms[0].listening", None, 0.5)], None, "when firms[0].listening is off"),
    ([], None, "everywhere in the sampled ranges"),
])
def test_box_in_words(rows, names, expected):
    limits = pd.DataFrame(rows, columns=["dimension", "low", "high"]).astype({"low": float, "high": float})
    assert box_in_words(limits, names) == expected


def test_paired_effect():
    np.testing.assert_array_equal(paired_effect([1.0, 0.0, 3.0, -1.0], [0.0, 0.0, 2.0, -2.0], "relative"),
                                  [np.inf, 0.0, 0.5, 0.5])
    np.testing.assert_array_equal(paired_effect([1.0, 3.0], [2.0, 2.0], "absolute"), [-1.0, 1.0])


def test_robustness_percentiles_and_regret():
    values = pd.DataFrame({"without": [1.0, 2.0, 3.0, 4.0], "with": [2.0, 1.0, 3.0, 6.0]})
    hi = robustness_table(values, higher_is_better=True).set_index("option")
    assert hi.loc["without", "regret_max"] == 2.0 and hi.loc["with", "regret_max"] == 1.0
    assert hi.loc["without", "regret_mean"] == 0.75 and hi.loc["with", "regret_mean"] == 0.25
    assert hi.loc["without", "best_share"] == 0.5 and hi.loc["with", "best_share"] == 0.75
    assert hi.loc["without", "p50"] == 2.5 and hi.loc["with", "p5"] == pytest.approx(1.15)
    lo = robustness_table(values, higher_is_better=False).set_index("option")
    assert lo.loc["without", "regret_mean"] == 0.25 and lo.loc["with", "regret_mean"] == 0.75


# %% The Latin hypercube and the paired runs -------------------------------------------------------


def test_latin_hypercube_is_stratified_and_both_arms_share_draws_and_seeds(tmp_path):
    extra = '\n[[uncertainties]]\npath = "wom.base_rate"\nlow = 0.002\nhigh = 0.02\n' \
            '\n[[levers]]\npath = "firms[0].phone_agents"\nlow = 3\nhigh = 9\ntype = "int"\n'
    spec = load_discovery(_tiny(tmp_path, samples=25, replications=2, extra=extra))
    pts = sample_points(spec)
    assert len(pts) == 25 and pts["point"].tolist() == list(range(25))
    for d in spec.dimensions:
        v = pts[d.path].to_numpy()
        assert (v >= d.low).all() and (v <= d.high).all()
        if d.type == "float":
            strata = np.floor(25 * (v - d.low) / (d.high - d.low)).astype(int)
            assert sorted(strata) == list(range(25))    # one point in each of 25 equal strata
        else:
            assert pts[d.path].dtype.kind == "i" and set(v) <= set(range(3, 10))
    tasks = plan_runs(spec, pts)
    assert len(tasks) == 25 * 2 * 2
    by_key = {k: (over, seed) for k, over, seed in tasks}
    seeds = set()
    for i in range(25):
        for r in range(2):
            (without, s0), (with_, s1) = by_key[f"p{i:05d}-without-r{r:03d}"], by_key[f"p{i:05d}-with-r{r:03d}"]
            assert s0 == s1                               # common random numbers within the pair
            assert with_ == {**without, "firms[0].automation_share": 0.8}
            assert without == {d.path: pts.loc[i, d.path] for d in spec.dimensions}
            seeds.add(s0)
    assert len(seeds) == 50                               # every point and replication has its own seed
    assert sample_points(spec).equals(pts)                # the file's seed fixes the sample


# %% Real runs -------------------------------------------------------------------------------------


def test_a_change_that_changes_nothing_has_no_effect_anywhere(tmp_path):
    """default_bank's firm answers 40% of requests automatically: setting 0.4 again changes nothing."""
    spec = load_discovery(_tiny(tmp_path, automation=0.4))
    d = discover(spec, tmp_path / "out", SerialExecutor())
    assert len(d.samples) == 8 and (d.samples["effect"] == 0).all()
    assert (d.samples["trust_with"] == d.samples["trust_without"]).all()
    assert d.base_rate == 0 and d.boxes == [] and d.complete and d.note == ""
    runs = [json.loads(line) for line in (tmp_path / "out" / "runs.jsonl").read_text().splitlines()]
    assert len(runs) == 16
    seed = {r["task"]: r["seed"] for r in runs}
    assert all(seed[f"p{i:05d}-with-r000"] == seed[f"p{i:05d}-without-r000"] for i in range(8))
    assert (tmp_path / "out" / "boxes.md").read_text().count("No box") == 1


def test_tiny_discovery_end_to_end_through_the_cli(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["discover", str(_tiny(tmp_path)), "--out", str(out), "--serial", "--quiet"]) == 0
    text = capsys.readouterr().out
    for name in ("samples.csv", "boxes.csv", "trajectory.csv", "trajectory.png", "boxes.md", "robustness.csv",
                 "summary.json"):
        assert (out / name).stat().st_size > 0 and str(out / name) in text
    d = read_discovery(out)
    assert d.points_done == d.points_total == 8
    assert (d.samples["effect"] != 0).all()               # automation moves trust at every point
    assert d.base_rate == d.samples["flag"].mean() > 0
    assert d.boxes and d.boxes[0].words.startswith("when ") and d.boxes[0].words in text
    assert "box 1 (coverage" in text and "robustness" in text
    assert set(d.robustness["option"]) == {"without", "with"}
    rob = d.robustness.set_index("option")
    assert rob.loc["with", "p50"] == pytest.approx(np.percentile(d.samples["trust_with"], 50))
    assert (d.samples["box"] == 1).sum() == round(d.boxes[0].mass * 8)
    # a second run in the same folder resumes: nothing left to run, the same results
    counting = CountingExecutor()
    again = discover(load_discovery(tmp_path / "tiny_discovery.toml"), out, counting)
    assert counting.started == []
    pd.testing.assert_frame_equal(again.samples, d.samples, check_dtype=False)


def test_interrupted_discovery_resumes_without_repeating_runs(tmp_path):
    spec = load_discovery(_tiny(tmp_path, samples=6))
    out = tmp_path / "out"

    def stop_after_five(done, total):
        if done >= 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        discover(spec, out, SerialExecutor(), progress=stop_after_five)
    lines = (out / "runs.jsonl").read_text().splitlines()
    assert len(lines) == 5
    with open(out / "runs.jsonl", "a") as fh:         # a run torn by a kill in the middle of its line
        fh.write('{"task": "p00004-with-r000", "se')
    counting = CountingExecutor()
    seen = []
    d = discover(spec, out, counting, progress=lambda done, total: seen.append((done, total)))
    assert len(counting.started) == 12 - 5
    assert not set(counting.started) & {json.loads(line)["task"] for line in lines}
    assert seen[0] == (5, 12) and seen[-1] == (12, 12)
    assert len((out / "runs.jsonl").read_text().splitlines()) == 12
    fresh = discover(spec, tmp_path / "fresh", SerialExecutor())
    pd.testing.assert_frame_equal(d.samples, fresh.samples)


def test_time_limit_analyses_what_is_done_and_says_so(tmp_path, monkeypatch):
    spec = load_discovery(_tiny(tmp_path, samples=6))
    real, jump = time.monotonic, [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: real() + jump[0])

    def out_of_time_after_seven(done, total):
        if done >= 7:
            jump[0] = 1e6

    d = discover(spec, tmp_path / "out", SerialExecutor(), progress=out_of_time_after_seven, time_limit=3600)
    assert d.points_done == 3 and d.points_total == 6 and not d.complete     # runs 0-6: points 0, 1, 2
    assert "time limit" in d.note and "time limit" in (tmp_path / "out" / "boxes.md").read_text()
    monkeypatch.setattr(time, "monotonic", real)
    counting = CountingExecutor()
    assert discover(spec, tmp_path / "out", counting).complete and len(counting.started) == 12 - 7


def test_one_driver_per_folder_and_a_changed_file_is_refused(tmp_path, capsys):
    path = _tiny(tmp_path, samples=2)
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".driver.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(ScenarioError, match="no other discovery"):
            discover(load_discovery(path), out, SerialExecutor())
    assert main(["discover", str(path), "--out", str(out), "--serial", "--quiet"]) == 0
    path.write_text(path.read_text().replace("high = 15", "high = 14"))
    assert main(["discover", str(path), "--out", str(out), "--serial", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "changed" in err
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert main(["discover", str(path), "--out", str(other), "--serial", "--quiet"]) == 2
    assert "notes.txt" in capsys.readouterr().err and (other / "notes.txt").read_text() == "mine"


# %% Bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize("top, extra, flags, words", [
    ("colour = 1\n", "", [], "colour"),
    ("", '\n[[uncertainties]]\npath = "firms[0].advisors_per_10k"\nlow = 3\nhigh = 9\n', [],
     "lever or an uncertainty"),
    ("", "", [], "happiness"),
    ("", "", [], "'>='"),
    ("", "", [], "outcome.threshold"),
    ("", "", [], "change.firms[0].advisors_per_10k"),
    ("", "", [], "change.firms[*].advisors_per_10k"),
    ("", "", [], "firms[3].advisors_per_10k"),
    ("", "", ["--workers", "0"], "--workers"),
    ("", "", ["--serial", "--workers", "2"], "--serial"),
    ("", "", ["OUT_IS_A_FILE"], "--out"),
])
def test_bad_input_gives_one_line_and_status_2(tmp_path, capsys, top, extra, flags, words):
    path = _tiny(tmp_path, top=top, extra=extra)
    text = path.read_text()
    edits = {"happiness": ('name = "trust"', 'name = "happiness"'),
             "'>='": ('side = "<"', 'side = ">="'),
             "outcome.threshold": ("threshold = -0.04", ""),
             "change.firms[0].advisors_per_10k": ('"firms[0].automation_share" = 0.8',
                                                  '"firms[0].advisors_per_10k" = 5'),
             "change.firms[*].advisors_per_10k": ('"firms[0].automation_share" = 0.8',
                                                  '"firms[*].advisors_per_10k" = 5'),
             "firms[3].advisors_per_10k": ('path = "firms[0].advisors_per_10k"',
                                           'path = "firms[3].advisors_per_10k"')}
    if words in edits:
        text = text.replace(*edits[words])
    path.write_text(text)
    out = tmp_path / "o"
    if flags == ["OUT_IS_A_FILE"]:
        out.write_text("a file")
        flags = []
    rc = main(["discover", str(path), "--out", str(out), *(flags or ["--serial"]), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert "Traceback" not in err and len(err.splitlines()) == 1 and words in err


# %% Serial and parallel ---------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.dask
def test_two_workers_give_the_serial_samples(tmp_path):
    """Seeds depend on the point and replication only, so the executor cannot change a number."""
    path = _tiny(tmp_path, samples=4)
    found = []
    for k, flags in enumerate((["--serial"], ["--workers", "2"])):
        out = tmp_path / f"out{k}"
        assert main(["discover", str(path), "--out", str(out), *flags, "--quiet"]) == 0
        found.append(read_discovery(out).samples)
    pd.testing.assert_frame_equal(found[0], found[1])


def test_an_on_off_lever_is_sampled_half_off_half_on_and_reaches_the_runs(tmp_path):
    spec = load_discovery(_tiny(tmp_path, samples=10, extra='\n[[levers]]\npath = "firms[0].listening"\n'
                                                          'type = "bool"\n'))
    pts = sample_points(spec)
    assert pts["firms[0].listening"].dtype == bool and pts["firms[0].listening"].sum() == 5
    runs = plan_runs(spec, pts)
    assert {type(o["firms[0].listening"]) for _, o, _ in runs} == {bool}
