"""Predict a run's peak memory from its scenario and refuse runs that would not fit.

The prediction is an upper bound for runs like the bank_5m preset: a sum
linear in consumers, in stored (directed) ties and in the influence edges
the tracker may hold, times a safety margin. Its constants are fitted to the
peak resident set size (VmHWM) of fresh processes running ``simulate``
(every mechanism on, the warm-up and 365 days, compiled passes cached) on a
64-bit Linux machine with Python 3.12 and numpy 2;
``benchmarks/bench.py --child N`` measures the bank_5m preset:

=========  =========  ==========  =====
consumers  peak GiB   estimate    ratio
=========  =========  ==========  =====
50k        0.35       0.49        1.40
200k       0.46       0.54        1.18
500k       0.58       0.63        1.08
1M         0.70       0.79        1.13
2M         0.96       1.10        1.14
5M         1.83       2.04        1.11
=========  =========  ==========  =====

Every shipped preset at its own size peaks under the estimate too (the
closest, complex_age: 0.41 GiB against 0.49).

The terms:

- a base: the interpreter with numpy, pandas, mesa, numba, the compiled
  passes (sim/rules/jit.py) and graph kernels;
- the influence tracker's edges (sim/network/influence.py): up to its
  pending bound plus the kept edges, held while a merge sorts them. Whether a
  run fills the bound depends on how much word-of-mouth it has, which only
  the run tells: the estimate counts it full, so a run with little
  word-of-mouth (the bank below 200k consumers) peaks up to 0.15 GiB (30-50%)
  below the estimate;
- per consumer: state (sim/state.py), the day book (sim/rules/daybook.py),
  influence totals, talker, recognition and touched buffers, adopted-tie
  counts, graph row offsets and the day's per-consumer temporaries;
- per directed tie: the CSR index and what the graph's construction holds
  per tie;
- on the networkx path (smaller graphs), what networkx holds per node and
  per tie while the graph is built.

What the estimate does not see: the memory of a day's word-of-mouth grows
with its volume (the exposures of public posts and their cascades, the
messages between peers), which depends on the scenario's behaviour and on
the run, not on its size alone. Runs with far more word-of-mouth per
consumer than the bank exceed the estimate at large sizes: measured, ten
times the bank's word-of-mouth rate peaks at 0.55 GiB at 200k consumers and
1.12 GiB at 1M (estimates 0.54, 0.79); complex_age scaled to 1M consumers
1.30 GiB (estimate 0.79); the bank with 40 ties per consumer at 200k 0.81 GiB
(estimate 0.63). ``wom.max_exposures_per_day`` bounds the cascades' share.

The estimate is for runs whose compiled passes are cached: the first large
run after installation also compiles them, which adds about 0.1-0.2 GiB once
(tests/test_memory.py measures the bound after a warm-up).
"""

from __future__ import annotations

from sim.scenario.loader import ScenarioError
from sim.scenario.schema import Scenario

__all__ = ["MemoryError_", "check_memory", "estimate_peak_bytes", "machine_memory_bytes",
           "memory_limit_bytes"]

MIB = 2**20

#: Interpreter, libraries, compiled passes and graph kernels.
BASE_BYTES = 360 * MIB
#: Per consumer: state arrays, day book, buffers, per-tick temporaries.
BYTES_PER_CONSUMER = 151
#: Per stored directed tie: the CSR index and the graph's construction.
BYTES_PER_TIE = 16
#: Per influence edge the tracker may hold at once (pending and kept edges, while a merge sorts them).
BYTES_PER_INFLUENCE_EDGE = 43
#: Per node and per directed tie while networkx holds the graph (the networkx path only).
NX_BYTES_PER_NODE = 300
NX_BYTES_PER_TIE = 60
#: Safety margin over the fitted sum.
MARGIN = 1.08


def _influence_edges(sc: Scenario) -> int:
    """Influence edges the tracker holds at most: the pending bound before a merge, plus the kept ones."""
    from sim.network.influence import MERGE_EVERY

    kept = sc.influence.max_edges
    return max(2 * kept, MERGE_EVERY) + kept


def _directed_ties(sc: Scenario) -> float:
    n = sc.population.consumers
    if sc.network.kind == "complete":
        return float(n) * (n - 1)
    return float(n) * sc.network.mean_degree


def estimate_peak_bytes(sc: Scenario) -> int:
    """Predicted peak resident memory of a run of ``sc`` (an upper bound), in bytes."""
    from sim.network import fastgraph

    n = sc.population.consumers
    ties = _directed_ties(sc)
    fitted = (BASE_BYTES + _influence_edges(sc) * BYTES_PER_INFLUENCE_EDGE + n * BYTES_PER_CONSUMER
              + ties * BYTES_PER_TIE)
    if not (sc.network.kind == "complete" or fastgraph.supports(sc.network, n)):
        fitted += n * NX_BYTES_PER_NODE + ties * NX_BYTES_PER_TIE
    return int(MARGIN * fitted)


class MemoryError_(ScenarioError):
    """The run would need more memory than allowed."""


def machine_memory_bytes() -> int | None:
    """Physical memory of this machine, or None where the platform does not say."""
    import os

    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def memory_limit_bytes(sc: Scenario, cap_gib: float | None = None) -> tuple[int, str]:
    """The limit that applies to a run and where it comes from.

    The smallest of ``population.memory_limit_gib``, 90% of the machine's
    physical memory, and ``cap_gib`` (a front end's own budget) when given.
    """
    limits = [(int(sc.population.memory_limit_gib * 2**30),
               f"{sc.population.memory_limit_gib:g} GiB (population.memory_limit_gib)")]
    phys = machine_memory_bytes()
    if phys:
        limits.append((int(0.9 * phys), f"{0.9 * phys / 2**30:.1f} GiB (90% of this machine's memory)"))
    if cap_gib is not None:
        limits.append((int(cap_gib * 2**30), f"{cap_gib:g} GiB (this front end's budget)"))
    return min(limits)


def check_memory(sc: Scenario, cap_gib: float | None = None) -> int:
    """Raise when the estimate exceeds the limit (see :func:`memory_limit_bytes`); return the estimate."""
    est = estimate_peak_bytes(sc)
    limit, why = memory_limit_bytes(sc, cap_gib)
    if est > limit:
        raise MemoryError_([("population.consumers",
                             f"a population whose predicted peak memory fits in {why}",
                             f"{sc.population.consumers} consumers, predicted {est / 2**30:.1f} GiB")])
    return est
