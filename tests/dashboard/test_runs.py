"""Runs of the Scenario lab: honest progress, and cached runs said to come from the cache."""

import re
import time

import pytest

from dashboard.runs import Job, cached_count, is_cached, run_jobs, scenario_text
from sim import load_scenario
from sim.scenario import with_overrides


def _text(seed_salt: int) -> str:
    sc = with_overrides(load_scenario("default_bank"),
                        {"population.consumers": 300 + seed_salt, "run.ticks": 12})
    return scenario_text(sc)


@pytest.fixture
def slow_days(monkeypatch):
    """The real runs, but each day of a first run reported slowly enough for the progress
    loop (which looks every 0.1 s) to see it."""
    from dashboard import runs

    real = runs.cached_run
    computed: set = set()

    def slow_run(text, seed, ticks, _progress=None):
        if (text, seed) not in computed and _progress:
            for d in range(1, ticks + 1):
                _progress(d, ticks)
                time.sleep(0.03)
            computed.add((text, seed))
        return real(text, seed, ticks)

    monkeypatch.setattr(runs, "cached_run", slow_run)


def test_progress_counts_days_of_the_runs_still_to_compute(slow_days):
    base, what_if = _text(1), _text(2)
    seeds = (101, 102)
    first = run_jobs([Job("Baseline", base, seeds, 12)])  # now in the cache
    assert not any(first[0].from_cache)
    assert cached_count([base, what_if], list(seeds), 12) == 2
    calls: list[tuple[float, str]] = []
    base_res, res = run_jobs(
        [Job("Baseline", base, seeds, 12), Job("Run 9", what_if, seeds, 12)],
        lambda f, t: calls.append((f, t)))
    assert base_res.all_cached and not any(res.from_cache)
    assert all(is_cached(what_if, s, 12) for s in seeds)
    fracs = [f for f, _ in calls]
    assert fracs == sorted(fracs) and fracs[-1] == 1.0
    seen = 0
    for frac, text in calls:
        assert "Baseline" not in text  # cached runs never show as work in progress
        m = re.search(r"replication (\d) of 2: day (\d+) of 12 \((\d+)% of the work\)", text)
        if m:
            rep, day, pct = int(m.group(1)), int(m.group(2)), int(m.group(3))
            expected = ((rep - 1) * 12 + day) / 24  # only the what-if's 24 days are work
            assert abs(frac - expected) < 1e-9 and abs(pct - 100 * expected) <= 0.5 + 1e-9
            seen += 1
    assert seen >= 5


def test_a_run_taken_from_the_cache_says_so():
    from dashboard.runs import KeptRun

    run = KeptRun(slot=0, label="Run 1", base_name="x", changes={}, seed=1, ticks=1,
                  replications=1, consumers=10, table=None, baseline_table=None, summaries=[],
                  baseline_summaries=[], scenario_toml="", scenario_text="", wall_s=0.01,
                  computed=0, from_cache=2)
    assert run.timing_words == "from cache"
    run.computed, run.from_cache, run.wall_s = 1, 1, 2.5
    assert run.timing_words == "1 run(s) computed in 2.5 s, 1 from cache"


def test_a_run_asked_twice_is_counted_as_work_once(slow_days):
    same = _text(3)  # no lever changed: the what-if is the baseline
    calls: list[float] = []
    base_res, res = run_jobs([Job("Baseline", same, (7,), 12), Job("Run 1", same, (7,), 12)],
                             lambda f, t: calls.append(f))
    assert not any(base_res.from_cache) and res.all_cached
    during = [f for f in calls if f < 1.0]
    assert during and max(during) > 0.6  # the baseline's days are the whole of the work
