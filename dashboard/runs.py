"""Cached runs and the kept-run slots of the Scenario lab.

``cached_run`` wraps :func:`sim.simulate` in ``st.cache_data`` keyed on the
scenario's TOML text, the seed and the number of ticks, so a what-if asked
twice (or the baseline asked by every what-if) runs once per server. The run
itself happens in a worker thread while the script thread draws the progress
bar: Streamlit elements cannot be touched from inside a cached function.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from sim import Scenario, ScenarioError, simulate
from sim.memory import check_memory, estimate_peak_bytes, memory_limit_bytes
from sim.scenario import (
    scenario_from_toml,
    to_toml,
    with_overrides,
)
from sim.scenario.schema import AGE_SHARES

__all__ = [
    "MAX_RUNS",
    "KeptRun",
    "RunOutput",
    "apply_levers",
    "cached_run",
    "keep_run",
    "kept_runs",
    "memory_problem",
    "replication_seeds",
    "run_replications",
    "scenario_text",
]

#: Runs kept side by side in the Scenario lab.
MAX_RUNS = 4
_RUNS_KEY = "exlab_runs"


@dataclass
class RunOutput:
    """What the dashboard keeps of one simulated run (picklable, for the cache)."""

    table: pd.DataFrame
    by_firm: pd.DataFrame
    summary: pd.DataFrame
    scenario_toml: str
    seed: int
    ticks: int
    wall_s: float
    top_influencers: list[tuple[int, float]]
    control_share_per_consumer: dict
    truncated: bool
    tracker: Any = None


def scenario_text(sc: Scenario) -> str:
    """The canonical TOML text of a scenario (the cache key)."""
    return to_toml(sc)


def replication_seeds(seed: int, replications: int) -> list[int]:
    """Seeds of the replications: the base seed, then seed + 1, seed + 2, ..."""
    return [int(seed) + i for i in range(int(replications))]


def apply_levers(
    base: Scenario, overrides: dict[str, Any], mix: tuple[float, float, float] | None = None
) -> Scenario:
    """``base`` with lever values set by path and, optionally, a new exchange-age mix.

    The mix is normalised to sum to one and set as its three shares in the same
    ``with_overrides`` call as the other levers, so it follows the scenario's
    rules for the age mix: on a scenario with a schedule, it replaces the
    schedule by this constant mix.
    """
    given = dict(overrides)
    if mix is not None:
        total = sum(mix)
        if total <= 0:
            raise ScenarioError([("exchange", "at least one exchange share above 0", "all zero")])
        given.update(
            {f"exchange.{k}": m / total for k, m in zip(AGE_SHARES, mix, strict=True)}
        )
    return with_overrides(base, given) if given else base


#: Memory one dashboard run may use (a shared, interactive server), in GiB.
DASHBOARD_MEMORY_GIB = float(os.environ.get("EXLAB_DASHBOARD_MEMORY_GIB", "4"))


def memory_problem(sc: Scenario) -> str | None:
    """A plain-words refusal when the run would not fit in memory, else None."""
    try:
        check_memory(sc, cap_gib=DASHBOARD_MEMORY_GIB)
    except ScenarioError:
        est = estimate_peak_bytes(sc) / 2**30
        _, why = memory_limit_bytes(sc, DASHBOARD_MEMORY_GIB)
        return (
            f"This run is refused before it starts: {sc.population.consumers:,} consumers would "
            f"need about {est:.1f} GiB of memory, more than the {why} allowed. "
            "Lower the population, or run it from the command line (exlab run)."
        )
    return None


@st.cache_data(max_entries=64, show_spinner=False)
def cached_run(
    toml_text: str, seed: int, ticks: int, _progress: Callable[[int, int], None] | None = None
) -> RunOutput:
    """Simulate the scenario given as TOML text; cached on (text, seed, ticks)."""
    sc = scenario_from_toml(toml_text, "dashboard")
    res = simulate(sc, seed=seed, ticks=ticks, progress=_progress)
    return RunOutput(
        table=res.table,
        by_firm=res.by_firm,
        summary=res.summary(),
        scenario_toml=res.scenario_toml(),
        seed=res.seed,
        ticks=res.ticks,
        wall_s=res.wall_s,
        top_influencers=list(res.influence.get("top_influencers", [])),
        control_share_per_consumer=dict(res.influence.get("control_share_per_consumer", {})),
        truncated=bool(res.influence.get("truncated", False)),
        tracker=res.influence.get("tracker"),
    )


def run_replications(
    sc: Scenario,
    seed: int,
    ticks: int,
    replications: int,
    on_progress: Callable[[float, str], None] | None = None,
    label: str = "run",
) -> list[RunOutput]:
    """Run (or fetch from the cache) every replication, reporting progress in [0, 1]."""
    text = scenario_text(sc)
    seeds = replication_seeds(seed, replications)
    done = [0, max(int(ticks), 1)]
    outputs: list[RunOutput] = []

    def tick_cb(d: int, t: int) -> None:
        done[0], done[1] = d, t

    with ThreadPoolExecutor(max_workers=1) as pool:
        for i, s in enumerate(seeds):
            done[0] = 0
            fut = pool.submit(cached_run, text, s, int(ticks), _progress=tick_cb)
            while True:
                try:
                    outputs.append(fut.result(timeout=0.1))
                    break
                except TimeoutError:
                    if on_progress:
                        frac = (i + done[0] / done[1]) / len(seeds)
                        on_progress(
                            frac,
                            f"{label}: replication {i + 1} of {len(seeds)}, "
                            f"day {done[0]} of {done[1]}",
                        )
    if on_progress:
        on_progress(1.0, f"{label}: done")
    return outputs


@dataclass
class KeptRun:
    """A run kept for comparison: its levers, its replications and its baseline."""

    slot: int
    label: str
    base_name: str
    changes: dict[str, Any]
    seed: int
    ticks: int
    replications: int
    consumers: int
    table: pd.DataFrame  #: every replication's table, with a ``replication`` column
    baseline_table: pd.DataFrame  #: the base scenario unchanged, same seeds and ticks
    summaries: list[pd.DataFrame]
    baseline_summaries: list[pd.DataFrame]
    scenario_toml: str  #: first replication's scenario, seed and ticks written in
    scenario_text: str
    wall_s: float
    created: float = field(default_factory=time.time)


def stack_tables(outputs: list[RunOutput], label: str) -> pd.DataFrame:
    """Concatenate replication tables with ``replication`` and ``run`` columns."""
    frames = []
    for i, o in enumerate(outputs):
        t = o.table.copy()
        t.insert(0, "replication", i)
        t.insert(0, "run", label)
        frames.append(t)
    return pd.concat(frames, ignore_index=True)


def kept_runs() -> list[KeptRun]:
    """The runs kept in this browser session, oldest first."""
    return st.session_state.setdefault(_RUNS_KEY, [])


def keep_run(run: KeptRun) -> KeptRun:
    """Add a run in the first free slot; the oldest run gives way when all slots are taken."""
    runs = kept_runs()
    if len(runs) >= MAX_RUNS:
        runs.pop(0)
    used = {r.slot for r in runs}
    run.slot = next(i for i in range(MAX_RUNS) if i not in used)
    runs.append(run)
    return run


def remove_run(slot: int) -> None:
    """Forget the run in ``slot``."""
    st.session_state[_RUNS_KEY] = [r for r in kept_runs() if r.slot != slot]
