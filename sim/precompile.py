"""Compile (or load from the on-disk cache) every compiled pass ahead of a run.

``python -m sim.precompile`` runs a small bank for a month so that the first real
run, or the dashboard's first click, does not wait for compilation (about 5 s
once per installation and rule version; well under a second when cached).
"""

from __future__ import annotations

import time

__all__ = ["warm"]


def warm() -> float:
    """Run every phase once on a small scenario with every mechanism on; return the seconds it took."""
    from dataclasses import replace

    from sim.model import ExchangeModel
    from sim.scenario.loader import load_scenario
    from sim.scenario.presets import resolve

    t = time.perf_counter()
    sc = load_scenario(resolve("bank_5m"))
    sc = replace(sc, churn=replace(sc.churn, enabled=True))
    model = ExchangeModel(sc, population__consumers=2000, run__ticks=31, campaign__enabled=True,
                          failure__enabled=True, population__prospect_share=0.2)
    while model.running:
        model.step()
    return time.perf_counter() - t


if __name__ == "__main__":
    print(f"ExchangeLab compiled passes ready ({warm():.1f} s)")
