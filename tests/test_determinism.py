"""Same scenario and seed give bit-identical results, whatever the front end.

Covers: ``simulate`` twice, another seed, Consumer agent views created or
not, the CLI writing the same file twice, and a re-run from the TOML that
``Results`` exports.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from sim import ExchangeModel, simulate
from sim.scenario import scenario_from_toml, to_toml
from sim.state import ConsumerState

MIXED = dict(restricted=0.4, generalized=0.3, complex=0.3)


@pytest.fixture(scope="module")
def mixed_scenario(tiny_scenario):
    return tiny_scenario(**MIXED, intermediaries=[
        {"name": "Platform", "kind": "platform", "capacity_per_1000": 10.0, "loss": 0.1},
        {"name": "Blog", "kind": "blogger", "audience_share": 0.3, "amplification": 0.5}],
        firms=[{"name": "A", "market_share": 0.6, "answer_in_public": 0.5},
               {"name": "B", "market_share": 0.4, "listening": True, "misuse_per_year": 20.0}],
        campaign={"enabled": True, "start_tick": 2, "duration_ticks": 10, "quality_boost": 0.1})


def _state_arrays(state: ConsumerState) -> dict[str, np.ndarray]:
    return {f.name: getattr(state, f.name).copy() for f in dataclasses.fields(state)}


def _assert_same_state(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert np.array_equal(a[name], b[name], equal_nan=a[name].dtype.kind == "f"), name


def test_same_scenario_and_seed_give_bit_identical_tables(mixed_scenario):
    a = simulate(mixed_scenario, seed=42, ticks=20)
    b = simulate(mixed_scenario, seed=42, ticks=20)
    assert_frame_equal(a.table, b.table, check_exact=True)
    assert_frame_equal(a.by_firm, b.by_firm, check_exact=True)
    assert a.ledger == b.ledger


def test_another_seed_gives_different_results(mixed_scenario):
    a = simulate(mixed_scenario, seed=42, ticks=20)
    b = simulate(mixed_scenario, seed=43, ticks=20)
    numeric = a.table.columns.drop(["tick", "scenario", "seed"])
    assert not a.table[numeric].equals(b.table[numeric])
    assert not np.isclose(a.table["trust"].iloc[-1], b.table["trust"].iloc[-1], rtol=0, atol=1e-9)


def test_the_seed_argument_overrides_the_scenarios_seed(mixed_scenario):
    run = dataclasses.replace(mixed_scenario.run, seed=42)
    reseeded = dataclasses.replace(mixed_scenario, run=run)
    a = simulate(reseeded, ticks=10)
    b = simulate(mixed_scenario, seed=42, ticks=10)
    assert_frame_equal(a.table, b.table, check_exact=True)


def test_results_do_not_depend_on_whether_consumer_agents_exist(mixed_scenario):
    def run(touch):
        model = ExchangeModel(mixed_scenario, rng=7)
        touch(model, -1)
        for t in range(15):
            model.step()
            touch(model, t)
        return _state_arrays(model.state), model.recorder.frame()

    def none(model, t):
        pass

    def some(model, t):
        # A few agents, created at different times and read (reading must change nothing).
        for i in (0, 5 + t if t >= 0 else 3, len(model.consumers) - 1):
            c = model.consumers[i]
            _ = (c.trust, c.satisfaction, c.firm, c.as_dict(), c.neighbours(), repr(c))

    def all_(model, t):
        if t == -1:
            model.consumers.materialize()

    state0, table0 = run(none)
    for touch in (some, all_):
        state, table = run(touch)
        _assert_same_state(state0, state)
        assert_frame_equal(table0, table, check_exact=True)


def test_simulate_is_unchanged_when_every_consumer_agent_is_created(mixed_scenario):
    plain = simulate(mixed_scenario, seed=3, ticks=10)
    viewed = simulate(mixed_scenario, seed=3, ticks=10,
                      model_hook=lambda m: m.consumers.materialize())
    assert_frame_equal(plain.table, viewed.table, check_exact=True)


def test_rerunning_the_exported_scenario_toml_gives_the_same_table(mixed_scenario):
    first = simulate(mixed_scenario, seed=99, ticks=12)
    text = first.scenario_toml()
    again = scenario_from_toml(text, "exported")
    assert again.run.seed == 99 and again.run.ticks == 12
    second = simulate(again)
    assert_frame_equal(first.table, second.table, check_exact=True)


def test_cli_run_writes_identical_files_twice(tmp_path: Path, mixed_scenario):
    scenario_file = tmp_path / "tiny.toml"
    scenario_file.write_text(to_toml(mixed_scenario, header="Tiny mixed scenario"))
    outs = [tmp_path / "run0.csv", tmp_path / "run1.csv"]

    def run(out):
        return subprocess.run(
            [sys.executable, "-m", "sim", "run", str(scenario_file), "--ticks", "8", "--seed", "5",
             "--quiet", "--out", str(out)],
            capture_output=True, text=True, timeout=300)

    # Two separate processes (started together): nothing may leak from one process's state.
    with ThreadPoolExecutor(max_workers=2) as pool:
        procs = list(pool.map(run, outs))
    for proc in procs:
        assert proc.returncode == 0, proc.stderr
    assert outs[0].read_bytes() == outs[1].read_bytes()
    table = pd.read_csv(outs[0])
    assert len(table) == 8
    assert (table["seed"] == 5).all()
    # And the file holds what simulate() returns in this process.
    in_process = simulate(mixed_scenario, seed=5, ticks=8).table
    assert_frame_equal(table, in_process, check_exact=False, rtol=1e-12, check_dtype=False)
