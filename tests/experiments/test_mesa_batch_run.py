"""The model runs unchanged under ``mesa.batch_run`` through ``BatchModel``."""

from __future__ import annotations

import pandas as pd
from mesa.batchrunner import batch_run

from sim import simulate
from sim.experiments.mesa_compat import BatchModel
from sim.scenario import Scenario, with_overrides


def test_batch_run_with_two_tiny_runs_matches_simulate_with_the_same_seed():
    rows = batch_run(
        BatchModel,
        parameters={
            "population__consumers": 300,
            "run__ticks": 10,
            "exchange__complex": [0.1, 0.5],
        },
        rng=[3],
        max_steps=50,
        data_collection_period=-1,
        display_progress=False,
    )
    df = pd.DataFrame(rows).sort_values("exchange__complex")
    assert len(df) == 2 and df["Step"].tolist() == [10, 10]
    for _, row in df.iterrows():
        sc = with_overrides(
            Scenario(),
            {
                "population.consumers": 300,
                "run.ticks": 10,
                "exchange.complex": row["exchange__complex"],
            },
        )
        ref = simulate(sc, seed=3).table.iloc[-1]
        assert row["trust"] == ref["trust"]
        assert row["customers"] == ref["customers"]
