"""simulate(): the one entry point used by the CLI, the dashboard, the batch runner and the benchmark."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis import summarize_run
from sim.metrics import OUTCOMES
from sim.model import ExchangeModel
from sim.scenario.loader import to_toml
from sim.scenario.schema import Scenario

__all__ = ["TABLE_SUFFIXES", "Results", "simulate", "write_table"]

#: The table formats ``write_table`` writes, by file name suffix.
TABLE_SUFFIXES = (".parquet", ".csv")


def _version() -> str:
    from sim import __version__

    return __version__


@dataclass
class Results:
    """What a run returns: the tidy per-tick table, per-firm table, influence and provenance."""

    table: pd.DataFrame
    by_firm: pd.DataFrame
    scenario: Scenario
    seed: int
    ticks: int
    wall_s: float
    influence: dict = field(default_factory=dict)
    ledger: dict = field(default_factory=dict)
    campaign: dict | None = None
    version: str = field(default_factory=_version)

    def scenario_toml(self) -> str:
        """The scenario as TOML, with this run's seed and ticks written in (re-runs identically)."""
        from dataclasses import replace

        sc = replace(self.scenario, run=replace(self.scenario.run, seed=self.seed, ticks=self.ticks))
        return to_toml(sc, header=f"Scenario {sc.name}: exported by exchangelab {self.version}")

    def summary(self) -> pd.DataFrame:
        """One row per outcome: its summary over the run (last, mean or sum), unit and meaning.

        Values follow :func:`sim.analysis.summarize_run`; an outcome never
        recorded in this run (its summary is NaN) is left out.
        """
        values = summarize_run(self.table, [o.name for o in OUTCOMES])
        rows = [{"outcome": o.name, "value": values[o.name], "unit": o.unit,
                 "summary": o.summary, "meaning": o.meaning}
                for o in OUTCOMES if not np.isnan(values[o.name])]
        return pd.DataFrame(rows)

    def provenance(self) -> dict:
        """Seed, ticks, version, scenario name: what is needed to reproduce the run."""
        return {"scenario": self.scenario.name, "seed": self.seed, "ticks": self.ticks,
                "version": self.version}


def simulate(scenario: Scenario, *, seed: int | None = None, ticks: int | None = None,
             progress: Callable[[int, int], None] | None = None,
             model_hook: Callable[[ExchangeModel], None] | None = None) -> Results:
    """Run a scenario and return its results.

    Args:
        scenario: The scenario to run.
        seed: Root seed (default: ``scenario.run.seed``).
        ticks: Days to simulate (default: ``scenario.run.ticks``).
        progress: Called as ``progress(done, total)`` after every tick.
        model_hook: Called with the model after it is built (tests, inspection).

    The same scenario, seed and ticks give bit-identical tables.
    """
    from dataclasses import replace

    from sim.memory import check_memory

    seed = scenario.run.seed if seed is None else int(seed)
    ticks = scenario.run.ticks if ticks is None else int(ticks)
    scenario = replace(scenario, run=replace(scenario.run, seed=seed, ticks=ticks))
    check_memory(scenario)
    t0 = time.perf_counter()
    model = ExchangeModel(scenario, rng=seed)
    if model_hook:
        model_hook(model)
    for i in range(ticks):
        model.step()
        if progress:
            progress(i + 1, ticks)
    wall = time.perf_counter() - t0
    table = model.recorder.frame()
    table.insert(1, "scenario", scenario.name)
    table.insert(2, "seed", seed)
    camp = None
    if scenario.campaign.enabled:
        from sim.rules.campaigns import campaign_effect

        camp = campaign_effect(model)
    top = model.influence.top_influencers(10)
    return Results(
        table=table,
        by_firm=model.firm_table(),
        scenario=scenario,
        seed=seed,
        ticks=ticks,
        wall_s=wall,
        influence={"top_influencers": top,
                   "control_share_per_consumer": _control_share_quantiles(model),
                   "truncated": model.influence.truncated,
                   "tracker": model.influence},
        ledger={k: getattr(model.ledger, k).tolist() for k in ("sent", "delivered", "dropped", "queued")},
        campaign=camp,
    )


def _control_share_quantiles(model: ExchangeModel) -> dict:
    st = model.state
    tot = st.from_firm.astype(np.float64) + st.from_peers
    share = np.where(tot > 0, st.from_firm / np.maximum(tot, 1), np.nan)
    q = np.nanquantile(share, [0.1, 0.5, 0.9]) if np.isfinite(share).any() else [np.nan] * 3
    return {"p10": float(q[0]), "median": float(q[1]), "p90": float(q[2])}


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as .parquet or .csv, atomically and durably (see :func:`sim.atomic.atomic_write`).

    Raises:
        ValueError: another suffix.
        OSError: the file cannot be written (naming ``path``).
    """
    from sim.atomic import atomic_write

    path = Path(path)
    if path.suffix not in TABLE_SUFFIXES:
        raise ValueError(f"{path}: expected a .parquet or .csv file name")
    if path.suffix == ".parquet":
        return atomic_write(path, lambda tmp: df.to_parquet(tmp, index=False))
    return atomic_write(path, lambda tmp: df.to_csv(tmp, index=False))
