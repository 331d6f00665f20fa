"""Predict a run's peak memory from its scenario and refuse runs that would not fit.

The prediction is linear in consumers and in stored (directed) ties, with
constants measured as the peak resident set size (VmHWM) of fresh
processes running ``simulate`` on the bank_5m preset (every mechanism on) on
a 64-bit Linux machine with Python 3.12 and numpy 2:

- direct CSR generators (where ``fastgraph.supports`` says so, by graph kind
  and number of consumers): 0.34 GiB at 200k consumers, 0.42 at 500k, 0.55 at 1M, 0.83 at
  2M with 10 ties each. The peak is reached either while the graph is built
  (rewiring temporaries, about 16 bytes per directed tie) or during the tick
  loop: consumer state (89 bytes, sim/state.py), the day book (32 bytes,
  sim/rules/kernels.py), the recognition, talker and touched buffers (9 bytes)
  and the peer-sum buffers (9 bytes), with per-tick temporaries, about 132
  bytes per consumer measured; the base is the interpreter with numpy, pandas,
  mesa, networkx and numba loaded, plus the compiled kernels.
- networkx (smaller graphs): networkx holds each tie as dict entries, about
  125 bytes per directed tie and 600 bytes per node, and numba is not loaded.

Measured peaks lie within 10% of the prediction from 20k to 2M consumers
(tests/test_memory.py checks 200k against a fresh measurement, to 25%). The
first large run after installation also compiles the graph kernels, which
adds about 0.1 GiB once; the estimate leaves that out.
"""

from __future__ import annotations

from sim.scenario.loader import ScenarioError
from sim.scenario.schema import Scenario

__all__ = ["MemoryError_", "check_memory", "estimate_peak_bytes", "machine_memory_bytes",
           "memory_limit_bytes"]

MIB = 2**20

#: Interpreter and libraries when the direct graph generators (numba) are used.
BASE_BYTES = 292 * MIB
#: Per consumer: state arrays (see sim/state.py), rates, buffers, per-tick temporaries.
BYTES_PER_CONSUMER = 132
#: Per stored directed tie with the direct generators: CSR index plus construction temporaries.
BYTES_PER_TIE = 16
#: Interpreter and libraries on the networkx path (no numba).
NX_BASE_BYTES = 160 * MIB
#: Per node and per directed tie while networkx holds the graph.
NX_BYTES_PER_NODE = 600
NX_BYTES_PER_TIE = 125


def _directed_ties(sc: Scenario) -> float:
    n = sc.population.consumers
    if sc.network.kind == "complete":
        return float(n) * (n - 1)
    return float(n) * sc.network.mean_degree


def estimate_peak_bytes(sc: Scenario) -> int:
    """Predicted peak resident memory of a run of ``sc``, in bytes."""
    from sim.network import fastgraph

    n = sc.population.consumers
    ties = _directed_ties(sc)
    if sc.network.kind == "complete" or fastgraph.supports(sc.network, n):
        return int(BASE_BYTES + n * BYTES_PER_CONSUMER + ties * BYTES_PER_TIE)
    return int(NX_BASE_BYTES + n * (BYTES_PER_CONSUMER + NX_BYTES_PER_NODE) + ties * NX_BYTES_PER_TIE)


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
