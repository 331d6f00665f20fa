"""Predict a run's peak memory from its scenario and refuse runs that would not fit.

The prediction is linear in consumers and in stored (directed) ties, with
constants measured as the peak resident set size (VmHWM) of fresh processes
running ``simulate`` on the bank_5m preset (every mechanism on, 365 days) on a
64-bit Linux machine with Python 3.12 and numpy 2. With the direct CSR
generators (where ``fastgraph.supports`` says so, by graph kind and number of
consumers) the peak is the larger of two moments:

- the tick loop: 0.41 GiB at 200k consumers, 0.63 at 1M, 1.59 at 5M with 10
  ties each. Per consumer about 218 bytes: state (89, sim/state.py), the day
  book (32, sim/rules/daybook.py), influence totals (16), talker,
  recognition and touched buffers (9), graph row
  offsets and degrees (16) and the day's event temporaries; 4 bytes per tie
  (the CSR index); a base of the interpreter with numpy, pandas, mesa and
  networkx, numba and the compiled passes (sim/rules/jit.py), and the
  influence edge buffers (up to 2M pending edges and their merge). Runs too
  short to fill those buffers peak lower; the estimate is for a full run.
- building the graph: rewiring temporaries of about 16 bytes per directed tie
  (0.67 GiB at 1M consumers with 20 ties each).
- networkx (smaller graphs): networkx holds each tie as dict entries, about
  125 bytes per directed tie and 600 bytes per node, plus what numba and the
  compiled passes add (the difference of the two tick-loop bases).

Measured peaks of full runs lie within 10% of the prediction from 200k to 5M
consumers (tests/test_memory.py checks 200k against a fresh measurement, to
25%). The first large run after installation also compiles the passes,
which adds about 0.1-0.2 GiB once; the estimate leaves that out.
"""

from __future__ import annotations

from sim.scenario.loader import ScenarioError
from sim.scenario.schema import Scenario

__all__ = ["MemoryError_", "check_memory", "estimate_peak_bytes", "machine_memory_bytes",
           "memory_limit_bytes"]

MIB = 2**20

#: Tick loop: interpreter, libraries, compiled passes and influence buffers; the same without the
#: compiled passes (the difference is what numba and the passes add on the networkx path).
BASE_BYTES = 400 * MIB
NUMPY_BASE_BYTES = 193 * MIB
#: Tick loop, per consumer: state arrays, day book, buffers, per-tick temporaries.
BYTES_PER_CONSUMER = 218
#: Tick loop, per stored directed tie: the CSR index (int32).
BYTES_PER_TIE = 4
#: Graph construction with the direct generators: base, per consumer, per directed tie.
BUILD_BASE_BYTES = 254 * MIB
BUILD_BYTES_PER_CONSUMER = 123
BUILD_BYTES_PER_TIE = 16
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
        loop = BASE_BYTES + n * BYTES_PER_CONSUMER + ties * BYTES_PER_TIE
        build = BUILD_BASE_BYTES + n * BUILD_BYTES_PER_CONSUMER + ties * BUILD_BYTES_PER_TIE
        return int(max(loop, build))
    kernels = BASE_BYTES - NUMPY_BASE_BYTES  # numba and the compiled passes
    return int(NX_BASE_BYTES + kernels + n * (BYTES_PER_CONSUMER + NX_BYTES_PER_NODE) + ties * NX_BYTES_PER_TIE)


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
