"""Predict a run's peak memory from its scenario and refuse runs that would not fit."""

from __future__ import annotations

from sim.scenario.loader import ScenarioError
from sim.scenario.schema import Scenario
from sim.state import BYTES_PER_CONSUMER

__all__ = ["MemoryError_", "check_memory", "estimate_peak_bytes"]

#: Temporaries per consumer during a tick (bincounts, masks, rule arrays), bytes.
TEMP_BYTES_PER_CONSUMER = 160
#: Bytes per stored directed tie (int32 index) plus construction temporaries.
BYTES_PER_TIE = 4 * 2 + 40
BASE_BYTES = 250 * 2**20


def estimate_peak_bytes(sc: Scenario) -> int:
    """Predicted peak resident memory of a run, in bytes."""
    n = sc.population.consumers
    ties = n * sc.network.mean_degree if sc.network.kind != "complete" else n * (n - 1)
    return int(BASE_BYTES + n * (BYTES_PER_CONSUMER + TEMP_BYTES_PER_CONSUMER) + ties * BYTES_PER_TIE)


class MemoryError_(ScenarioError):
    """The run would need more memory than allowed."""


def check_memory(sc: Scenario) -> int:
    """Raise when the estimate exceeds ``population.memory_limit_gib``; return the estimate."""
    est = estimate_peak_bytes(sc)
    limit = sc.population.memory_limit_gib * 2**30
    if est > limit:
        raise MemoryError_([("population.consumers",
                             f"a population whose predicted peak memory fits in "
                             f"{sc.population.memory_limit_gib:g} GiB (population.memory_limit_gib)",
                             f"{sc.population.consumers} consumers, predicted {est / 2**30:.1f} GiB")])
    return est
