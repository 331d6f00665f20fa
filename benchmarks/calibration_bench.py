"""Calibration at scale: 3 parameters against 12 monthly points of 4 KPIs at 20,000 consumers, on 2 workers.

The data are synthetic: the default bank at 20,000 consumers with hidden values
(:data:`TRUTH`), 12 months of churn (% per month), CSAT (1-5), trust (%) and
calls answered by people (counts of a bank of 200,000 customers), made by
:func:`sim.calibration.synthetic.synthetic_kpis`. ``exlab calibrate`` then runs
on an embedded Dask cluster (pyabc's DaskDistributedSampler) with the budget
below; the target is at most 15 minutes wall time.

    .venv/bin/python benchmarks/calibration_bench.py              # the benchmark (target: at most 15 min)
    .venv/bin/python benchmarks/calibration_bench.py --consumers 2000 --months 3 --population 20 --generations 2
                                                                  # a quick look that the script works

Prints the wall time, the simulations (ABC and band runs), the generations and
the posterior against the hidden values; appends a JSON record to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

from sim.calibration import calibrate, calibration_from_toml
from sim.calibration.spec import model_customers
from sim.calibration.synthetic import synthetic_kpis, to_csv
from sim.experiments.executors import DaskExecutor
from sim.scenario import load_scenario, with_overrides

TRUTH = {"churn.max_rate_per_year": 1.2, "segments[*].requests_per_month": 0.7, "satisfaction.loss_weight": 2.5}
PRIORS = {"churn.max_rate_per_year": (0.1, 3.0), "segments[*].requests_per_month": (0.2, 1.5),
          "satisfaction.loss_weight": (0.5, 4.0)}
KPIS = (("churn_rate", "%/month"), ("satisfaction", "1-5"), ("trust", "%"), ("contacts_human", "contacts"))
CUSTOMERS = 200_000
TARGET_S = 15 * 60

CALIBRATION = """
name = "calibration_bench"
base = "default_bank"
consumers = {consumers}
observed = "kpis.csv"
customers = {customers}
summary = "levels"
band_draws = {bands}
seed = 2026
{parameters}
[budget]
generations = {generations}
population_size = {population}
max_simulations = {max_simulations}
min_acceptance_rate = 0.05
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--consumers", type=int, default=20_000)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--population", type=int, default=60, help="particles per generation")
    ap.add_argument("--generations", type=int, default=5, help="generations at most (generation 0 is the prior)")
    ap.add_argument("--max-simulations", type=int, default=800)
    ap.add_argument("--bands", type=int, default=20, help="posterior draws run for the predictive bands")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    params = "".join(f'\n[[parameters]]\npath = "{p}"\nlow = {lo}\nhigh = {hi}\n' for p, (lo, hi) in PRIORS.items())
    text = CALIBRATION.format(consumers=args.consumers, customers=CUSTOMERS, bands=args.bands, parameters=params,
                              generations=args.generations, population=args.population,
                              max_simulations=args.max_simulations)
    base = with_overrides(load_scenario("default_bank"), {"population.consumers": args.consumers})
    t0 = time.perf_counter()
    data = synthetic_kpis(base, TRUTH, period="month", periods=args.months, seed=7, kpis=KPIS, customers=CUSTOMERS)
    made = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        cal = calibration_from_toml(text, "calibration_bench", base_dir=tmp, observed_csv=to_csv(data))
        t1 = time.perf_counter()
        with DaskExecutor(workers=args.workers) as ex:
            started = time.perf_counter() - t1

            def progress(p):
                if p.stage == "abc":
                    print(f"\rgeneration {p.generation}/{p.generations}, {p.simulations} simulations, "
                          f"epsilon {p.epsilon:.3g}  {time.perf_counter() - t1:6.0f} s", end="", file=sys.stderr)
                else:
                    print(f"\rbands {p.simulations}/{p.total}  {time.perf_counter() - t1:6.0f} s      ", end="",
                          file=sys.stderr)

            res = calibrate(cal, Path(tmp) / "out", ex, progress)
        wall = time.perf_counter() - t1
    print(file=sys.stderr)
    sims = res.simulations + args.bands
    ok = wall <= TARGET_S
    print(f"{len(PRIORS)} parameters, {args.months} monthly points of {len(KPIS)} KPIs, {args.consumers:,} consumers "
          f"(model customers {model_customers(base):,.0f}), {args.workers} workers: {wall:.0f} s wall "
          f"({wall / 60:.1f} min, cluster start {started:.1f} s; data made in {made:.1f} s), {res.generations} "
          f"generations, {res.simulations} ABC simulations + {args.bands} band runs = {sims} simulations; "
          f"stopped on {res.stopped}; target {TARGET_S // 60} min: {'met' if ok else 'NOT met'}")
    for line in res.summary_lines():
        print("  " + line)
    post = res.posterior.set_index("parameter")
    for p, v in TRUTH.items():
        print(f"  hidden {p} = {v}: {'inside' if post.loc[p, 'q05'] <= v <= post.loc[p, 'q95'] else 'OUTSIDE'} "
              "the 90% interval")
    rec = {"benchmark": "calibration", **vars(args), "wall_s": round(wall, 1), "simulations": sims,
           "abc_simulations": res.simulations, "generations": res.generations, "stopped": res.stopped,
           "target_met": ok, "posterior": res.posterior.to_dict("records"), "machine": platform.node(),
           "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}
    out = Path(__file__).parent / "results" / f"calibration-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(rec, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
