"""Benchmark: the small runs users wait for, then the bank_5m preset at growing populations.

    python benchmarks/bench.py            # small runs; 50k, 200k, 1M consumers
    python benchmarks/bench.py --full     # and 5M (the preset itself, 365 days)
    python benchmarks/bench.py --sizes 50000 200000 --ticks 60 --out /tmp/b.json
    python benchmarks/bench.py --no-small # the scaling series only

*Small runs* (skipped by ``--sizes``), each against its target
(:data:`SMALL_TARGETS_S`), after the compiled passes are cached:

- the default what-if in-process: ``simulate(default_bank)`` (20,000 consumers,
  a year and its warm-up) in a process that already ran it once, as the
  dashboard does on a second click (the best of :data:`REPEATS`);
- the default what-if fresh: ``exlab run default_bank --quiet`` in a new
  process, imports and cached compilation included (the median of :data:`REPEATS`);
- the classroom run fresh: ``exlab run`` on the default bank at 300 consumers
  for 60 days (the median of :data:`REPEATS`).

Every size runs in its own subprocess through ``sim.run.simulate`` (the
entry point users call), so the peak resident memory reported (the child's
VmHWM) belongs to that size alone. Printed table and JSON record: consumers,
ticks, graph build time, tick-loop time, consumer-ticks per second over the
tick loop, milliseconds per tick, the memory-traffic floor of a tick (one
streaming read of every consumer state array and of the graph, measured in
the same process right after the run) and the tick's time as a multiple of
it, peak RSS, and the memory estimate the engine made before starting. The
JSON also holds the git commit and a machine description, and is written
atomically (sim.atomic).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "bank_5m.toml"
DEFAULT_SIZES = (50_000, 200_000, 1_000_000)
FULL_SIZES = DEFAULT_SIZES + (5_000_000,)
REPEATS = 3
#: Wall-time targets of the small runs, in seconds.
SMALL_TARGETS_S = {"what-if in-process": 0.5, "what-if fresh": 2.0, "classroom fresh": 2.0}
_IN_PROCESS = """
import json, time
from sim import load_scenario, simulate
sc = load_scenario("default_bank")
t = time.perf_counter(); simulate(sc, seed=1); first = time.perf_counter() - t
times = []
for _ in range({repeats}):
    t = time.perf_counter(); simulate(sc, seed=1); times.append(time.perf_counter() - t)
print(json.dumps({{"first_s": first, "times_s": times}}))
"""


# ------------------------------------------------------------------ small runs
def _small_runs(tmp: Path, repeats: int = REPEATS) -> list[dict]:
    """The three small runs (see the module docstring): name, seconds, what was timed, target."""
    from sim.scenario import load_scenario, to_toml, with_overrides

    exlab = Path(sys.executable).with_name("exlab")
    classroom = tmp / "classroom.toml"
    classroom.write_text(to_toml(with_overrides(load_scenario("default_bank"),
                                                {"population.consumers": 300, "run.ticks": 60})))

    def fresh(args: list[str]) -> list[float]:
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            subprocess.run([str(exlab), "run", *args, "--quiet"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - t)
        return times

    proc = subprocess.run([sys.executable, "-c", _IN_PROCESS.format(repeats=repeats)], cwd=ROOT, check=True,
                          stdout=subprocess.PIPE, text=True)
    inproc = json.loads(proc.stdout.strip().splitlines()[-1])
    rows = [{"run": "what-if in-process", "s": min(inproc["times_s"]), "all_s": inproc["times_s"],
             "first_s": inproc["first_s"], "how": f"best of {repeats} after a first call"}]
    for name, args in (("what-if fresh", ["default_bank"]), ("classroom fresh", [str(classroom)])):
        times = fresh(args)
        rows.append({"run": name, "s": sorted(times)[len(times) // 2], "all_s": times,
                     "how": f"median of {repeats} new processes"})
    for r in rows:
        r["target_s"] = SMALL_TARGETS_S[r["run"]]
        r["met"] = r["s"] <= r["target_s"]
    return rows


def format_small(rows: list[dict]) -> str:
    """The small runs as a text table."""
    lines = [f"{'small run':<20} {'seconds':>8} {'target':>7}  {'':<7} how", "-" * 64]
    for r in rows:
        lines.append(f"{r['run']:<20} {r['s']:>8.2f} {r['target_s']:>7.1f}  {'met' if r['met'] else 'NOT met':<7} "
                     f"{r['how']}")
    return "\n".join(lines)


# ------------------------------------------------------------------ child: one size
def _child(n: int, ticks: int) -> dict:
    from dataclasses import replace

    import sim.model
    from sim.memory import estimate_peak_bytes
    from sim.run import simulate
    from sim.scenario.loader import load_scenario

    sc = load_scenario(SCENARIO)
    sc = replace(sc, population=replace(sc.population, consumers=n),
                 run=replace(sc.run, ticks=ticks))
    marks: dict[str, float] = {}
    build = sim.model.build_social_graph

    def timed_build(*a, **k):
        t = time.perf_counter()
        g = build(*a, **k)
        marks["graph_s"] = time.perf_counter() - t
        return g

    sim.model.build_social_graph = timed_build
    step = max(1, ticks // 20)

    def hook(model):
        marks["built"] = time.perf_counter()
        marks["model"] = model

    def progress(done, total):
        if done == total:
            marks["loop_end"] = time.perf_counter()
        if done % step == 0 or done == total:
            print(f"  {n:>10,} consumers: day {done}/{total}", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    simulate(sc, progress=progress, model_hook=hook)
    total = time.perf_counter() - t0
    loop = marks["loop_end"] - marks["built"]
    floor = _floor_s(marks["model"])
    return {
        "consumers": n,
        "ticks": ticks,
        "graph_build_s": round(marks.get("graph_s", float("nan")), 3),
        "setup_s": round(marks["built"] - t0, 3),
        "tick_loop_s": round(loop, 3),
        "total_s": round(total, 3),
        "consumer_ticks_per_s": round(n * ticks / loop),
        "ms_per_tick": round(1000 * loop / ticks, 2),
        "ns_per_consumer_tick": round(1e9 * loop / (n * ticks), 2),
        "floor_ms": round(1000 * floor, 2),
        "times_floor": round(loop / ticks / floor, 1),
        "peak_rss_gib": round(_peak_rss_kib() / 2**20, 3),
        "estimated_peak_gib": round(estimate_peak_bytes(sc) / 2**30, 3),
    }


def _floor_s(model) -> float:
    """Memory-traffic floor of a tick: one read of every consumer state array and of the graph.

    Each array is summed by numpy (a streaming read at the machine's bandwidth);
    best of five. A tick that touches every consumer and every tie cannot cost less.
    """
    from dataclasses import fields

    import numpy as np

    arrays = [getattr(model.state, f.name) for f in fields(model.state)]
    arrays += [model.graph.indptr, model.graph.indices]
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for a in arrays:
            if a.dtype == bool:
                np.count_nonzero(a)
            else:
                a.sum()
        best = min(best, time.perf_counter() - t)
    return best


# ------------------------------------------------------------------ parent
def _machine() -> dict:
    import numpy as np

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gib = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    try:
        import numba
        numba_v = numba.__version__
    except ImportError:  # pragma: no cover
        numba_v = None
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": mem_gib,
            "platform": platform.platform(), "python": platform.python_version(),
            "numpy": np.__version__, "numba": numba_v}


def _git() -> dict:
    def run(*args):
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                  check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None
    return {"commit": run("rev-parse", "HEAD"),
            "dirty": bool(run("status", "--porcelain", "--untracked-files=no"))}


def _warm_up() -> None:
    """Compile (or load) the graph and tick kernels once, untimed, so a fresh clone's first size is fair."""
    code = ("import numpy as np; from sim.network import fastgraph as f; "
            "from sim.scenario.schema import NetworkParams as P; "
            "[f.build(P(kind=k), 2000, np.zeros(2000, np.int8), 1) for k in f.KINDS]; "
            "from sim.precompile import warm; warm()")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def _run_size(n: int, ticks: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(n), "--ticks", str(ticks)]
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        return {"consumers": n, "ticks": ticks, "error": f"exit code {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


COLUMNS = (("consumers", "consumers", "{:>12,}"), ("ticks", "ticks", "{:>6}"),
           ("graph_build_s", "graph s", "{:>8.2f}"), ("tick_loop_s", "loop s", "{:>8.2f}"),
           ("consumer_ticks_per_s", "cons-ticks/s", "{:>13,}"),
           ("ns_per_consumer_tick", "ns/c-t", "{:>7.1f}"), ("ms_per_tick", "ms/tick", "{:>8.1f}"),
           ("floor_ms", "floor ms", "{:>9.1f}"), ("times_floor", "x floor", "{:>8.1f}"),
           ("peak_rss_gib", "peak GiB", "{:>9.2f}"), ("estimated_peak_gib", "est GiB", "{:>8.2f}"))


def format_table(rows: list[dict]) -> str:
    """The results as a fixed-width text table."""
    widths = [len(fmt.format(1)) for _, _, fmt in COLUMNS]
    head = " ".join(f"{title:>{w}}" for (_, title, _), w in zip(COLUMNS, widths, strict=True))
    lines = [head, "-" * len(head)]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['consumers']:>12,} {r['ticks']:>6}  FAILED: {r['error']}")
            continue
        lines.append(" ".join(fmt.format(r[key]) for key, _, fmt in COLUMNS))
    return "\n".join(lines)


def _write_atomic(path: Path, data: dict) -> None:
    from sim.atomic import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))


def _peak_rss_kib() -> int:
    """This process's peak resident set (VmHWM), in KiB.

    Read from /proc rather than ``ru_maxrss``, which Linux carries over from the
    parent at fork and keeps across exec.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--full", action="store_true", help="add the 5M-consumer run (several minutes)")
    ap.add_argument("--sizes", type=int, nargs="+", help="consumer counts to run")
    ap.add_argument("--ticks", type=int, default=365, help="days per run (default 365)")
    ap.add_argument("--out", type=Path, help="JSON output (default benchmarks/results/bench-<time>.json)")
    ap.add_argument("--no-small", action="store_true", help="skip the small runs (what-if and classroom)")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        print(json.dumps(_child(args.child, args.ticks)), flush=True)
        return 0

    sizes = args.sizes or (FULL_SIZES if args.full else DEFAULT_SIZES)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or ROOT / "benchmarks" / "results" / f"bench-{stamp}.json"
    print(f"ExchangeLab scaling benchmark: {SCENARIO.name}, {args.ticks} days, sizes "
          + ", ".join(f"{s:,}" for s in sizes), file=sys.stderr, flush=True)
    _warm_up()
    small: list[dict] = []
    if not (args.no_small or args.sizes):
        import tempfile

        print("small runs: the default what-if in-process and fresh, the classroom run fresh", file=sys.stderr,
              flush=True)
        with tempfile.TemporaryDirectory(prefix="exlab-bench-") as tmp:
            small = _small_runs(Path(tmp))
        print(format_small(small), flush=True)
    rows = []
    for i, n in enumerate(sizes, 1):
        print(f"[{i}/{len(sizes)}] {n:,} consumers (fresh process)", file=sys.stderr, flush=True)
        t = time.perf_counter()
        rows.append(_run_size(n, args.ticks))
        print(f"[{i}/{len(sizes)}] done in {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    ok = [r for r in rows if "error" not in r]
    summary = {}
    if len(ok) >= 2:
        base = ok[0]["ns_per_consumer_tick"]
        summary["scaling_vs_smallest"] = {str(r["consumers"]): round(r["ns_per_consumer_tick"] / base, 2)
                                          for r in ok}
    record = {"benchmark": "bench.py", "scenario": SCENARIO.name,
              "started": stamp, "git": _git(), "machine": _machine(), "small_runs": small, "results": rows,
              **summary}
    _write_atomic(out, record)
    print(format_table(rows))
    if summary:
        print("time per consumer-tick relative to the smallest size: "
              + ", ".join(f"{k}: {v}x" for k, v in summary["scaling_vs_smallest"].items()))
    print(f"written {out}")
    return 0 if len(ok) == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
