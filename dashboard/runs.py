"""Cached runs and the kept-run slots of the Scenario lab.

``cached_run`` wraps :func:`sim.simulate` in ``st.cache_data`` keyed on the
scenario's TOML text, the seed and the number of ticks, so a what-if asked
twice (or the baseline asked by every what-if) runs once per server. The run
itself happens in a worker thread while the script thread draws the progress
bar: Streamlit elements cannot be touched from inside a cached function.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.cost import raw_predict_s, record_timing
from dashboard.formatting import OUTCOME_INFO, derived_values
from dashboard.influence_data import InfluenceSummary, summarise
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
    influence: InfluenceSummary | None = None  #: the Influence page's tables


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


_CACHE_ENTRIES = 64


@st.cache_data(max_entries=_CACHE_ENTRIES, show_spinner=False)
def cached_run(
    toml_text: str, seed: int, ticks: int, _progress: Callable[[int, int], None] | None = None
) -> RunOutput:
    """Simulate the scenario given as TOML text; cached on (text, seed, ticks)."""
    sc = scenario_from_toml(toml_text, "dashboard")
    built: list = []
    res = simulate(sc, seed=seed, ticks=ticks, progress=_progress, model_hook=built.append)
    return RunOutput(
        table=res.table,
        by_firm=res.by_firm,
        summary=with_derived(res.summary(), res.table),
        scenario_toml=res.scenario_toml(),
        seed=res.seed,
        ticks=res.ticks,
        wall_s=res.wall_s,
        top_influencers=list(res.influence.get("top_influencers", [])),
        control_share_per_consumer=dict(res.influence.get("control_share_per_consumer", {})),
        truncated=bool(res.influence.get("truncated", False)),
        tracker=res.influence.get("tracker"),
        influence=summarise(built[0]),
    )


def with_derived(summary: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """A run's summary with the derived outcomes (:data:`dashboard.formatting.DERIVED`) added;
    one whose value is undefined (no call offered) is left out, like an unrecorded outcome."""
    rows = [
        {"outcome": name, "value": value, "unit": OUTCOME_INFO[name].unit,
         "summary": OUTCOME_INFO[name].summary, "meaning": OUTCOME_INFO[name].meaning}
        for name, value in derived_values(table).items()
        if math.isfinite(value)
    ]
    return pd.concat([summary, pd.DataFrame(rows)], ignore_index=True) if rows else summary


#: Keys (scenario text hash, seed, ticks) this server has computed: what the cache holds.
_COMPUTED: OrderedDict[tuple[int, int, int], None] = OrderedDict()
_COMPUTED_LOCK = threading.Lock()


def _key(text: str, seed: int, ticks: int) -> tuple[int, int, int]:
    return (hash(text), int(seed), int(ticks))


def is_cached(text: str, seed: int, ticks: int) -> bool:
    """Whether this server has computed the run (and so ``cached_run`` returns it at once)."""
    with _COMPUTED_LOCK:
        return _key(text, seed, ticks) in _COMPUTED


def _mark_computed(text: str, seed: int, ticks: int) -> None:
    with _COMPUTED_LOCK:
        _COMPUTED[_key(text, seed, ticks)] = None
        _COMPUTED.move_to_end(_key(text, seed, ticks))
        while len(_COMPUTED) > _CACHE_ENTRIES:
            _COMPUTED.popitem(last=False)


def cached_count(texts: list[str], seeds: list[int], ticks: int) -> int:
    """How many of the runs (every text with every seed) the cache already holds."""
    return sum(is_cached(t, s, ticks) for t in texts for s in seeds)


@dataclass(frozen=True)
class Job:
    """Replications of one scenario to run: a label for the progress text, the TOML, seeds, days."""

    label: str
    text: str
    seeds: tuple[int, ...]
    ticks: int


@dataclass
class JobResult:
    """A job's outputs, which of them came from the cache, and the seconds this call took."""

    outputs: list[RunOutput]
    from_cache: list[bool]
    elapsed_s: float

    @property
    def all_cached(self) -> bool:
        """Every replication came from the cache."""
        return all(self.from_cache)


def run_jobs(
    jobs: list[Job], on_progress: Callable[[float, str], None] | None = None
) -> list[JobResult]:
    """Run (or fetch from the cache) every replication of every job, one after the other.

    The progress fraction counts simulated days over all the days still to
    compute, so it reads the same whichever job is running; runs already in
    the cache, or asked twice, count once at most and are said to come from
    the cache.
    """
    ticks_of = {id(j): max(int(j.ticks), 1) for j in jobs}
    todo: list[list[bool]] = []  # per replication: still to compute?
    planned: set[tuple[str, int, int]] = set()
    for j in jobs:
        row = []
        for s in j.seeds:
            key = (j.text, int(s), int(j.ticks))
            row.append(key not in planned and not is_cached(*key))
            planned.add(key)  # the same run asked twice (no lever changed) is computed once
        todo.append(row)
    total = sum(ticks_of[id(j)] * sum(t) for j, t in zip(jobs, todo, strict=True)) or 1
    done_days = 0
    state = {"day": 0, "called": False}

    def tick_cb(d: int, t: int) -> None:
        state["day"] = d
        state["called"] = True

    results: list[JobResult] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        for j, compute in zip(jobs, todo, strict=True):
            outputs, flags = [], []
            start = time.perf_counter()
            for i, s in enumerate(j.seeds):
                state.update(day=0, called=False)
                t0 = time.perf_counter()
                fut = pool.submit(cached_run, j.text, s, int(j.ticks), _progress=tick_cb)
                while True:
                    try:
                        out = fut.result(timeout=0.1)
                        break
                    except TimeoutError:
                        if on_progress and compute[i]:
                            frac = min((done_days + state["day"]) / total, 1.0)
                            where = (
                                f"day {state['day']} of {j.ticks}"
                                if state["day"]
                                else "building the population and its network"
                            )
                            on_progress(
                                frac,
                                f"{j.label}, replication {i + 1} of {len(j.seeds)}: {where} "
                                f"({100 * frac:.0f}% of the work)",
                            )
                hit = not state["called"]
                if not hit:
                    _mark_computed(j.text, s, j.ticks)
                    record_timing(
                        raw_predict_s(scenario_from_toml(j.text, "dashboard"), j.ticks),
                        time.perf_counter() - t0,
                    )
                if compute[i]:
                    done_days += ticks_of[id(j)]
                outputs.append(out)
                flags.append(hit)
            results.append(JobResult(outputs, flags, time.perf_counter() - start))
    if on_progress:
        on_progress(1.0, "done")
    return results


def run_replications(
    sc: Scenario,
    seed: int,
    ticks: int,
    replications: int,
    on_progress: Callable[[float, str], None] | None = None,
    label: str = "run",
) -> list[RunOutput]:
    """Run (or fetch from the cache) every replication of one scenario."""
    job = Job(label, scenario_text(sc), tuple(replication_seeds(seed, replications)), int(ticks))
    return run_jobs([job], on_progress)[0].outputs


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
    wall_s: float  #: seconds this run's click took (what-if and baseline, cache hits included)
    baseline_toml: str = ""  #: the baseline's scenario, seed and ticks written in
    levers: dict[str, tuple[Any, Any]] = field(default_factory=dict)  #: path -> (preset, set)
    computed: int = 0  #: replications computed for this run (what-if and baseline)
    from_cache: int = 0  #: replications that came from the cache
    auto_replications: bool = False
    created: float = field(default_factory=time.time)

    @property
    def timing_words(self) -> str:
        """How the numbers were obtained: computed in so many seconds, or from the cache."""
        if self.computed == 0:
            return "from cache"
        cached = f", {self.from_cache} from cache" if self.from_cache else ""
        return f"{self.computed} run(s) computed in {self.wall_s:.1f} s{cached}"


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
