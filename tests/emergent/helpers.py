"""Shared set-up for the emergent stylized-fact tests: small populations, several seeds."""

from __future__ import annotations

import re

import numpy as np

from sim import Scenario, simulate
from sim.scenario import scenario_from_dict, scenario_to_dict, with_overrides

SEEDS = (1, 2, 3)


def small(consumers: int = 3000, ticks: int = 200, **overrides) -> Scenario:
    """The default scenario shrunk for tests; churn off unless asked so populations stay comparable."""
    ov = {"population.consumers": consumers, "run.ticks": ticks, "churn.enabled": False}
    ov.update({_path(k): v for k, v in overrides.items()})
    return with_overrides(Scenario(), ov)


def _path(key: str) -> str:
    """``firms__0__quality`` -> ``firms[0].quality``."""
    return re.sub(r"__(\d+)__", r"[\1].", key).replace("__", ".")


def with_segments(sc: Scenario, *segments: dict) -> Scenario:
    """Replace the segments by copies of the first one updated with each dict."""
    d = scenario_to_dict(sc)
    proto = d["segments"][0]
    d["segments"] = [dict(proto, **s) for s in segments]
    return scenario_from_dict(d)


def run(sc: Scenario, seed: int):
    """Run and return (table, model)."""
    box = {}
    res = simulate(sc, seed=seed, model_hook=lambda m: box.setdefault("model", m))
    return res.table, box["model"]


def late_minus_early(table, column: str, window: int = 30) -> float:
    """Mean of the last ``window`` ticks minus mean of the first ``window`` ticks."""
    col = table[column]
    return float(col.iloc[-window:].mean() - col.iloc[:window].mean())


def mean(values) -> float:
    return float(np.mean(values))
