"""Lever optimization at scale: 200 trials, two objectives, 20,000 consumers x 365 days, 2 workers.

The decision: how many people on the phone and how much automation for the
default bank, minimizing cost (staff, contacts and waiting) while maximizing
trust, with the market's word-of-mouth intensity uncertain. NSGA-II runs in
synchronous generations of 50 trials on an embedded Dask cluster; each trial
is 2 replications, and the final front is re-evaluated with fresh seeds.

    .venv/bin/python benchmarks/optimize_bench.py               # the benchmark (target: at most 15 min)
    .venv/bin/python benchmarks/optimize_bench.py --trials 20 --consumers 2000 --ticks 60   # a quick look

Prints the wall time, the runs made and the front; appends a JSON record to
benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

from sim.decisions.optimize import optimize, population_size
from sim.decisions.spec import decision_from_toml
from sim.experiments.executors import DaskExecutor

DECISION = """
name = "optimize_bench"
base = "default_bank"
consumers = {consumers}
ticks = {ticks}
replications = {reps}
trials = {trials}
seed = 2026

[[levers]]
path = "firms[0].phone_agents"
low = 1
high = 30
type = "int"

[[levers]]
path = "firms[0].automation_share"
low = 0.0
high = 0.9

[[uncertainties]]
path = "wom.base_rate"
low = 0.002
high = 0.02

[[objectives]]
outcomes = ["cost_eur", "waiting_cost_eur"]
direction = "minimize"
reduce = "run"

[[objectives]]
outcomes = ["trust"]
direction = "maximize"
reduce = "last"
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--consumers", type=int, default=20_000)
    ap.add_argument("--ticks", type=int, default=365)
    ap.add_argument("--reps", type=int, default=2, help="replications per trial")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    dec = decision_from_toml(DECISION.format(**vars(args)), "optimize_bench")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, DaskExecutor(workers=args.workers) as ex:
        started = time.perf_counter() - t0

        def progress(done, total):
            print(f"\r{done}/{total} trials  {time.perf_counter() - t0:6.0f} s", end="", file=sys.stderr)

        front = optimize(dec, Path(tmp) / "study", ex, progress)
    wall = time.perf_counter() - t0
    print(file=sys.stderr)
    runs = args.trials * args.reps + len(front) * max(args.reps, 2)
    print(f"{args.trials} trials x {args.reps} replications, {args.consumers} consumers x {args.ticks} days, "
          f"{args.workers} workers (population {population_size(dec)}): {wall:.0f} s wall "
          f"({wall / 60:.1f} min; cluster start {started:.1f} s), {runs} runs, {len(front)} Pareto points")
    print(front.drop(columns=[c for c in front.columns if c.endswith(("_ci_low", "_ci_high"))]).to_string())
    rec = {"benchmark": "optimize", **vars(args), "wall_s": round(wall, 1), "runs": runs,
           "front_points": len(front), "machine": platform.node(),
           "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}
    out = Path(__file__).parent / "results" / f"optimize-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(rec, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
