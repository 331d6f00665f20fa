"""Wall time of one call-centre day (``StaffPool.day``) by number of requests and by population size.

    python benchmarks/callcentre_bench.py

A day's cost should grow with its requests (linearly up to the O(log c) heap of
the c people on duty) and not with the population the request ids come from.
Best of five runs after a warm-up (compilation), in milliseconds.
"""

from __future__ import annotations

import math
import time

import numpy as np

from sim.rules import callcentre as cc

T20S = 20 / 3600


def day_ms(k: int, id_range: int, repeats: int = 5) -> float:
    """Best wall time of a day of ``k`` requests on 100 people at about 95% load, ids in ``[0, id_range)``."""
    rng = np.random.default_rng(31)
    t = np.sort(rng.random(k)) * 24.0
    p = rng.standard_exponential(k) * 0.2
    s = rng.standard_exponential(k) * 0.1 * 100 * 24 / k * 0.95
    ids = rng.integers(0, id_range, k)
    best = math.inf
    for _ in range(repeats):
        pool = cc.StaffPool()
        t0 = time.perf_counter()
        pool.day(0, t, p, s, ids, 100, 0.0, 24.0, T20S)
        best = min(best, time.perf_counter() - t0)
    return 1000 * best


def main() -> None:
    day_ms(1000, 10)
    print(f"{'requests':>10} {'id range':>12} {'ms per day':>11}")
    for k, n in ((50_000, 1_000), (50_000, 5_000_000), (500_000, 1_000), (500_000, 5_000_000)):
        print(f"{k:>10,} {n:>12,} {day_ms(k, n):>11.1f}")


if __name__ == "__main__":
    main()
