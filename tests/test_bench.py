"""The benchmark script runs on a fresh checkout and writes the table users quote."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_prints_the_table_and_writes_json(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, "benchmarks/bench.py", "--sizes", "3000", "--ticks", "3",
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "cons-ticks/s" in proc.stdout and "x floor" in proc.stdout and "3,000" in proc.stdout
    data = json.loads(out.read_text())
    (row,) = data["results"]
    assert row["consumers"] == 3000 and row["ticks"] == 3
    assert row["tick_loop_s"] > 0 and row["floor_ms"] > 0 and row["peak_rss_gib"] > 0
    assert data["git"]["commit"] and data["machine"]["cores"]


def test_the_small_runs_are_timed_against_their_targets(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("exlab_bench", ROOT / "benchmarks" / "bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = bench._small_runs(tmp_path, repeats=1)
    assert [r["run"] for r in rows] == ["what-if in-process", "what-if fresh", "classroom fresh"]
    for r in rows:
        assert r["s"] > 0 and r["target_s"] == bench.SMALL_TARGETS_S[r["run"]]
        assert r["met"] == (r["s"] <= r["target_s"])
    table = bench.format_small(rows).splitlines()
    assert len(table) == 2 + 3 and all(("met" in ln) for ln in table[2:])
