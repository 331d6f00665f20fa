"""Compare every preset's outcome table between a git revision and the working tree.

A safety net for restructuring the engine without changing what it computes:

    python benchmarks/identity.py --base HEAD~3              # every preset, small and bit-identical?
    python benchmarks/identity.py --base v0.1 --consumers 25000 --ticks 60 --preset default_bank

The base revision is checked out in a temporary git worktree; each side runs in
its own process (``PYTHONPATH`` pointing at its tree), writes each preset's
outcome table to a pickle, and the tables are compared exactly. The per-firm
table and the final consumer state are compared too. Exit status 0 when
everything is identical, 1 otherwise (each difference is printed).
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import pickle, sys
import numpy as np
from dataclasses import fields
from sim.scenario.loader import load_scenario, with_overrides
from sim.scenario.presets import list_presets, resolve
from sim.run import simulate
out, consumers, ticks, seed, only = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
res = {}
for p in list_presets():
    if only and p.name not in only:
        continue
    sc = with_overrides(load_scenario(resolve(p.name)), {"population.consumers": consumers})
    box = {}
    r = simulate(sc, seed=seed, ticks=ticks, model_hook=lambda m: box.setdefault("m", m))
    st = box["m"].state
    state = {f.name: np.asarray(getattr(st, f.name)).copy() for f in fields(st)}
    res[p.name] = (r.table.drop(columns=["scenario"], errors="ignore"), r.by_firm, state)
with open(out, "wb") as fh:
    pickle.dump(res, fh)
"""


def run_side(tree: Path, out: Path, args) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), EXLAB_SCENARIOS=str(tree / "scenarios"))
    cmd = [sys.executable, "-c", CHILD, str(out), str(args.consumers), str(args.ticks), str(args.seed),
           *args.preset]
    subprocess.run(cmd, env=env, check=True, cwd=tree)
    with open(out, "rb") as fh:
        return pickle.load(fh)


def compare(old: dict, new: dict) -> list[str]:
    import numpy as np

    problems = []
    for name in sorted(set(old) | set(new)):
        if name not in old or name not in new:
            problems.append(f"{name}: only on one side")
            continue
        (t0, f0, s0), (t1, f1, s1) = old[name], new[name]
        cols = [c for c in t0.columns if c in t1.columns]
        for c in cols:
            a, b = t0[c].to_numpy(), t1[c].to_numpy()
            if not np.array_equal(a, b, equal_nan=True):
                bad = np.flatnonzero(~((a == b) | (np.isnan(a.astype(float)) & np.isnan(b.astype(float)))))
                problems.append(f"{name}: outcome {c} differs from tick {int(bad[0]) + 1} "
                                f"({a[bad[0]]!r} -> {b[bad[0]]!r})")
        for c in sorted(set(t0.columns) ^ set(t1.columns)):
            problems.append(f"{name}: outcome {c} only on one side")
        if not f0.equals(f1):
            problems.append(f"{name}: per-firm table differs")
        for k in sorted(set(s0) & set(s1)):
            if not np.array_equal(s0[k], s1[k], equal_nan=True):
                problems.append(f"{name}: final state {k} differs")
    return problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="git revision to compare against")
    ap.add_argument("--consumers", type=int, default=3000)
    ap.add_argument("--ticks", type=int, default=120)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--preset", action="append", default=[], help="only these presets (repeatable)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="exlab-identity-") as tmp:
        tmp = Path(tmp)
        base_tree = tmp / "base"
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(base_tree), args.base], cwd=ROOT,
                       check=True)
        try:
            old = run_side(base_tree, tmp / "old.pkl", args)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base_tree)], cwd=ROOT, check=False)
        new = run_side(ROOT, tmp / "new.pkl", args)
    problems = compare(old, new)
    for p in problems:
        print(p)
    print(f"{len(old)} presets at {args.consumers} consumers x {args.ticks} days: "
          + ("identical" if not problems else f"{len(problems)} differences"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
