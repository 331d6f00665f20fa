"""Sweep throughput: the same sweep on embedded Dask clusters of 1, 2, ... workers.

Default: 200 runs (10 values of exchange.complex x 20 replications) of
default_bank with 10,000 consumers for 365 days, keeping summaries. Prints
wall time, runs per second and parallel efficiency

    efficiency(n) = T(1) / (n * T(n))

where T(n) is the wall time of the whole sweep with n workers (cluster start
included, as a user sees it). It also checks that every worker count gave
bit-identical results.

    .venv/bin/python benchmarks/sweep_bench.py        # the full benchmark (~5 min on 2 cores)
    .venv/bin/python benchmarks/sweep_bench.py --runs 20 --ticks 60      # a quick look
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from sim.experiments import DaskExecutor, load_experiment, run_sweep

EXPERIMENT = """
name = "sweep_bench"

[base]
scenario = "default_bank"
ticks = {ticks}
set = {{ "population.consumers" = {consumers} }}

[design]
replications = {reps}
seed = 2026

[[parameters]]
path = "exchange.complex"
range = [0.0, 0.6]
steps = {points}

[outcomes]
names = ["trust", "satisfaction", "churn", "wom_volume", "cost_eur"]
keep = "summary"
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=200, help="runs per sweep (a multiple of --points)")
    p.add_argument("--points", type=int, default=10, help="design points")
    p.add_argument("--consumers", type=int, default=10_000)
    p.add_argument("--ticks", type=int, default=365)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--keep", default=None, help="keep the results folders here")
    args = p.parse_args(argv)
    if args.runs % args.points:
        p.error("--runs must be a multiple of --points")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep or tmp)
        exp_path = root / "sweep_bench.toml"
        root.mkdir(parents=True, exist_ok=True)
        exp_path.write_text(EXPERIMENT.format(ticks=args.ticks, consumers=args.consumers,
                                              reps=args.runs // args.points, points=args.points))
        exp = load_experiment(exp_path)
        print(f"{args.runs} runs of default_bank, {args.consumers:,} consumers x {args.ticks} "
              f"days; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        times: dict[int, float] = {}
        tables: dict[int, pd.DataFrame] = {}
        for n in args.workers:
            out = root / f"workers_{n}"
            t0 = time.perf_counter()
            with DaskExecutor(workers=n) as ex:
                s = run_sweep(exp, out, executor=ex, fresh=True, progress=sys.stderr.isatty())
            times[n] = time.perf_counter() - t0
            if s.missing:
                print(f"{n} workers: {s.missing} runs missing (see {out / 'failures.csv'})")
            tables[n] = pd.read_parquet(out / "runs").sort_values("run_id").reset_index(drop=True)
            print(f"{n} worker(s): {times[n]:7.1f} s  {args.runs / times[n]:6.2f} runs/s  "
                  f"load average {os.getloadavg()[0]:.1f}", flush=True)
        base = min(times)
        print("\nworkers  wall_s  speed-up  efficiency")
        for n in args.workers:
            speed = times[base] * base / times[n]
            print(f"{n:7d}  {times[n]:6.1f}  {speed:8.2f}  {speed / n:10.2f}")
        first = tables[args.workers[0]]
        same = all(first.equals(t) for t in tables.values())
        print(f"identical results for every worker count: {same}")
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
