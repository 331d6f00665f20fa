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
50k        0.33       0.49        1.48
200k       0.43       0.55        1.28
1M         0.67       0.85        1.27
5M         1.78       2.37        1.33
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

- per peer message of the busiest day: a day's word-of-mouth (private
  messages and the exposures of public posts and their cascades) is held in
  arrays while it is delivered. Its volume depends on behaviour, so the
  estimate takes a bound (:func:`peer_messages_bound`): every customer talks
  with the probability of the most talkative state the rules allow (the
  talk rule at satisfaction 0, full recognition seeking and one unit of help,
  the segment with the highest share propensity), a public post reaches
  ``public_reach`` of the mean degree, each exposure reshared at the highest
  segment's reshare probability (a geometric series of generations), all of
  it capped by ``wom.max_exposures_per_day``. Measured at 1M consumers, 120
  days: complex_age (word of mouth at the cap, 2.0 million messages a day)
  peaks at 0.98 GiB against 0.79 without this term; the bank at 0.65 GiB
  (44 thousand messages a day).

The estimate is for runs whose compiled passes are cached: the first large
run after installation also compiles them, which adds about 0.1-0.2 GiB once
(tests/test_memory.py measures the bound after a warm-up).
"""

from __future__ import annotations

from sim.scenario.loader import ScenarioError
from sim.scenario.schema import Scenario

__all__ = ["MemoryError_", "check_memory", "estimate_peak_bytes", "machine_memory_bytes",
           "memory_limit_bytes", "peer_messages_bound"]

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
#: Per peer message of the day's word-of-mouth (fitted on complex_age at 1M consumers, see above).
BYTES_PER_MESSAGE = 134
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


def peer_messages_bound(sc: Scenario) -> float:
    """Peer messages of the busiest day, bounded from the scenario (see the module's notes)."""
    from sim.rules import word_of_mouth as wm
    from sim.rules.params import group

    if not sc.wom.enabled:
        return 0.0
    n = sc.population.consumers
    wom = group(sc.wom)
    share = max(s.share_propensity for s in sc.segments)
    # the rule's plain-Python form: nothing is compiled before a run (with NUMBA_DISABLE_JIT it is the rule itself)
    rule = getattr(wm.talk_probability, "py_func", wm.talk_probability)
    talk = n * rule(0.0, 1.0, 1.0, share, wom)
    complex_share = max(p.complex for p in sc.exchange.points())
    degree = float(n - 1) if sc.network.kind == "complete" else float(sc.network.mean_degree)
    seen = talk * complex_share * sc.wom.public_reach * degree
    spread = min(sc.wom.reshare_rate * 2.0 * share * degree, 0.95)
    exposures = min(seen / (1.0 - spread), float(sc.wom.max_exposures_per_day))
    return talk + exposures


def estimate_peak_bytes(sc: Scenario) -> int:
    """Predicted peak resident memory of a run of ``sc`` (an upper bound), in bytes."""
    from sim.network import fastgraph

    n = sc.population.consumers
    ties = _directed_ties(sc)
    fitted = (BASE_BYTES + _influence_edges(sc) * BYTES_PER_INFLUENCE_EDGE + n * BYTES_PER_CONSUMER
              + ties * BYTES_PER_TIE + peer_messages_bound(sc) * BYTES_PER_MESSAGE)
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
