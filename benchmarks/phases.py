"""Wall time per phase of ``ExchangeModel.step`` for the bank_5m preset at a chosen size.

    python benchmarks/phases.py                       # 1M consumers, 30 days
    python benchmarks/phases.py --consumers 5000000 --ticks 20

Every phase of ``sim.phases.PHASES`` is wrapped with a timer for the run, and so
are the helpers named in ``NESTED`` (listed under their own name and also
counted in their phase); the table lists milliseconds per day. Recording the
outcomes is timed as ``record``.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NESTED = ("_deliver", "_answers", "_broadcast")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--consumers", type=int, default=1_000_000)
    ap.add_argument("--ticks", type=int, default=30)
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "bank_5m.toml")
    a = ap.parse_args(argv)

    import dataclasses

    import sim.model
    import sim.phases
    from sim.model import ExchangeModel
    from sim.scenario.loader import load_scenario

    sc = load_scenario(a.scenario)
    sc = replace(sc, population=replace(sc.population, consumers=a.consumers), run=replace(sc.run, ticks=a.ticks))
    spent: dict[str, float] = defaultdict(float)
    def timer(fn, name):
        def timed(*args, **kw):
            t = time.perf_counter()
            try:
                return fn(*args, **kw)
            finally:
                spent[name] += time.perf_counter() - t
        return timed

    for name in NESTED:
        setattr(sim.phases, name, timer(getattr(sim.phases, name), name))
    sim.model.PHASES = tuple(dataclasses.replace(ph, run=timer(ph.run, ph.name)) for ph in sim.phases.PHASES)
    ExchangeModel._record = timer(ExchangeModel._record, "record")
    t0 = time.perf_counter()
    model = ExchangeModel(sc)
    t1 = time.perf_counter()
    while model.running:
        model.step()
    t2 = time.perf_counter()
    days = model.tick
    print(f"{a.consumers:,} consumers, {days} days: set-up {t1 - t0:.2f} s, "
          f"loop {t2 - t1:.2f} s ({1000 * (t2 - t1) / days:.1f} ms/day)")
    for name, s in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {name:26s} {1000 * s / days:8.1f} ms/day")


if __name__ == "__main__":
    main()
