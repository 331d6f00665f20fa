"""Wall time per phase of ``ExchangeModel.step`` for the bank_5m preset at a chosen size.

    python benchmarks/phases.py                       # 1M consumers, 30 days
    python benchmarks/phases.py --consumers 5000000 --ticks 20

Every phase method is wrapped with a timer for the run; the table lists
milliseconds per day per phase (phases nested inside another, such as peer
delivery inside word-of-mouth, are listed under their own name and also
counted in their caller). Recording the outcomes is timed as ``_record``.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHASES = ("_phase_firms", "_phase_routine_contacts", "_phase_requests", "_phase_advisors", "_phase_privacy",
          "_phase_experience", "_phase_word_of_mouth", "_deliver_peer", "_phase_relationships", "_phase_churn",
          "_phase_adoption", "_record")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--consumers", type=int, default=1_000_000)
    ap.add_argument("--ticks", type=int, default=30)
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "bank_5m.toml")
    a = ap.parse_args(argv)

    from sim.model import ExchangeModel
    from sim.scenario.loader import load_scenario

    sc = load_scenario(a.scenario)
    sc = replace(sc, population=replace(sc.population, consumers=a.consumers), run=replace(sc.run, ticks=a.ticks))
    spent: dict[str, float] = defaultdict(float)
    for name in PHASES:
        orig = getattr(ExchangeModel, name)

        def timed(self, *args, _orig=orig, _name=name, **kw):
            t = time.perf_counter()
            try:
                return _orig(self, *args, **kw)
            finally:
                spent[_name] += time.perf_counter() - t

        setattr(ExchangeModel, name, timed)
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
