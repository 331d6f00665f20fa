"""Wall time and peak memory of one run of each exchange-age preset (10,000 consumers, 365 days).

    .venv/bin/python benchmarks/ages.py [PRESET ...]

Each preset runs in a fresh process so its peak resident set (VmHWM) is its own.
"""

from __future__ import annotations

import json
import subprocess
import sys

PRESETS = ("restricted_mutual_insurer", "bank_call_platform", "complex_age")

CHILD = """
import json, sys, time
from sim import load_scenario, simulate
sc = load_scenario(sys.argv[1])
t = time.perf_counter()
simulate(sc)
wall = time.perf_counter() - t
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
print(json.dumps({"consumers": sc.population.consumers, "ticks": sc.run.ticks,
                  "wall_s": wall, "peak_mib": int(hwm) / 1024}))
"""


def main(argv: list[str] | None = None) -> int:
    presets = argv if argv else PRESETS
    print(f"{'preset':28s} {'consumers':>9s} {'days':>5s} {'wall s':>7s} {'peak MiB':>9s}")
    for name in presets:
        out = subprocess.run([sys.executable, "-c", CHILD, name], capture_output=True, text=True,
                             check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{name:28s} {r['consumers']:9,d} {r['ticks']:5d} {r['wall_s']:7.2f} {r['peak_mib']:9.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
