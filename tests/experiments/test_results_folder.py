"""A results folder belongs to the sweep that made it: the user's files are never deleted, damaged
part files are found and run again, and a report says what is missing and how to resume."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.experiments import SerialExecutor, load_experiment, run_sweep
from sim.experiments.report import print_report
from sim.scenario import ScenarioError

from .helpers import FACTORIAL, write_experiment


@pytest.fixture
def factorial(tmp_path):
    return load_experiment(write_experiment(tmp_path, FACTORIAL))


def _sweep(exp, out, **kw):
    return run_sweep(exp, out, executor=SerialExecutor(), progress=False, **kw)


def _snapshot(folder):
    """Every file below ``folder`` with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _read(out):
    return pd.read_parquet(out / "runs").sort_values(["run_id", "tick"]).reset_index(drop=True)


# ---------------------------------------------------------------- whose folder
def test_fresh_on_a_folder_of_the_users_refuses_and_touches_nothing(tmp_path, capsys):
    exp = write_experiment(tmp_path, FACTORIAL)
    mine = tmp_path / "analysis"
    (mine / "runs").mkdir(parents=True)
    (mine / "plots").mkdir()
    pd.DataFrame({"x": [1, 2]}).to_parquet(mine / "runs" / "my_own.parquet")
    (mine / "plots" / "figure1.png").write_bytes(b"\x89PNG my figure")
    (mine / "summary.csv").write_text("a,b\n1,2\n")
    before = _snapshot(mine)
    for extra in ([], ["--fresh"]):
        assert main(["sweep", str(exp), "--out", str(mine), "--serial", "--quiet", *extra]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1, err
        assert "--out" in err and "analysis_2" in err, err  # a new folder is suggested...
        assert "--fresh" not in err  # ...never the option that would empty this one
        assert "runs/" in err and "summary.csv" in err
    assert _snapshot(mine) == before
    assert sorted(p.name for p in mine.iterdir()) == ["plots", "runs", "summary.csv"]  # not even a lock file


def test_a_folder_with_a_manifest_of_someone_else_is_refused_even_with_fresh(factorial, tmp_path):
    out = tmp_path / "res"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"tool": "other", "files": ["data.parquet"]}))
    (out / "data.parquet").write_bytes(b"theirs")
    before = _snapshot(out)
    with pytest.raises(ScenarioError, match="not one of `exlab sweep`"):
        _sweep(factorial, out, fresh=True)
    assert _snapshot(out) == before


def test_fresh_removes_what_the_manifest_lists_and_keeps_the_users_files(factorial, tmp_path):
    out = tmp_path / "res"
    _sweep(factorial, out)
    print_report(out, plots=True)
    manifest = json.loads((out / "manifest.json").read_text())
    for name in ("manifest.json", "design.csv", "summary.csv", "plots/trust.png", "plots/trust_series.png"):
        assert name in manifest["owned_files"]
    old_parts = {p.name for p in (out / "runs").glob("*.parquet")}
    (out / "notes.txt").write_text("my notes")
    (out / "plots" / "figure1.png").write_bytes(b"mine")
    (out / "runs" / "README").write_text("mine too")
    changed = load_experiment(write_experiment(tmp_path, FACTORIAL.replace("seed = 7", "seed = 8")))
    _sweep(changed, out, fresh=True)
    assert (out / "notes.txt").read_text() == "my notes"
    assert (out / "plots" / "figure1.png").read_bytes() == b"mine"
    assert (out / "runs" / "README").read_text() == "mine too"
    assert not (out / "summary.csv").exists() and not (out / "plots" / "trust.png").exists()
    new_parts = {p.name for p in (out / "runs").glob("*.parquet")}
    assert len(new_parts) == 8 and not (new_parts & old_parts)  # seed 8: other keys, old ones removed


def test_sweep_out_naming_an_existing_file_or_a_path_below_one_exits_2(tmp_path, capsys):
    exp = write_experiment(tmp_path, FACTORIAL)
    afile = tmp_path / "taken"
    afile.write_text("mine")
    for out in (afile, afile / "res"):
        assert main(["sweep", str(exp), "--out", str(out), "--serial", "--quiet"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: --out") and len(err.strip().splitlines()) == 1, err
    assert afile.read_text() == "mine"


# ---------------------------------------------------------------- damaged part files
def test_a_truncated_part_is_reported_missing_then_run_again_on_resume(factorial, tmp_path, capsys):
    out = tmp_path / "res"
    _sweep(factorial, out)
    before = _read(out)
    victim = sorted((out / "runs").glob("*.parquet"))[2]
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) // 2])  # a write cut short by a lost machine

    assert main(["report", str(out), "--no-plots"]) == 0
    text = capsys.readouterr().out
    assert "runs done 7/8" in text
    assert "1 damaged part files" in text and victim.name in text
    assert "resume with: " in text and f"--out {out}" in text

    s = _sweep(factorial, out)
    assert (s.skipped, s.done, s.missing) == (7, 1, 0)
    assert "1 damaged part files are run again" in capsys.readouterr().err
    pd.testing.assert_frame_equal(_read(out), before)


def test_parts_holding_another_run_or_too_few_rows_are_run_again(factorial, tmp_path):
    out = tmp_path / "res"
    _sweep(factorial, out)
    before = _read(out)
    parts = sorted((out / "runs").glob("*.parquet"))
    parts[1].write_bytes(parts[0].read_bytes())  # readable, but another run's rows
    short = pq.read_table(parts[3]).slice(0, 5)
    pq.write_table(short, parts[3])  # readable, the right key, 5 of 20 ticks
    s = _sweep(factorial, out)
    assert (s.skipped, s.done) == (6, 2)
    pd.testing.assert_frame_equal(_read(out), before)


def test_part_files_are_flushed_to_disk_before_and_after_the_rename(factorial, tmp_path, monkeypatch):
    import sim.atomic

    synced = []
    real = os.fsync

    def spy(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real(fd)

    monkeypatch.setattr(sim.atomic.os, "fsync", spy)
    out = tmp_path / "res"
    _sweep(factorial, out)
    runs = str((out / "runs").resolve())
    part_temps = [p for p in synced if p.startswith(runs + "/.") and p.endswith(".tmp")]
    assert len(part_temps) == 8  # each part's content, under its temporary name
    assert synced.count(runs) >= 8  # and the folder entry of each rename


# ---------------------------------------------------------------- status of the driver
def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _set_running(out, pid):
    m = json.loads((out / "manifest.json").read_text())
    m["status"] = "running"
    m["sessions"][-1]["status"] = "running"
    m["sessions"][-1]["driver"]["pid"] = pid
    m["sessions"][-1]["driver"]["started"] = None
    (out / "manifest.json").write_text(json.dumps(m))


def test_running_is_reported_only_while_the_driver_lives(factorial, tmp_path, capsys):
    out = tmp_path / "res"
    _sweep(factorial, out)
    sorted((out / "runs").glob("*.parquet"))[0].unlink()

    _set_running(out, _dead_pid())
    print_report(out, plots=False)
    text = capsys.readouterr().out
    assert "status interrupted, 7 of 8 done, resume with: exlab sweep" in text
    assert "status running" not in text
    assert "1 runs without a part file" in text

    _set_running(out, os.getpid())  # a live driver: this very process
    print_report(out, plots=False)
    assert f"status running (driver pid {os.getpid()} on" in capsys.readouterr().out


@pytest.mark.parametrize(
    "content, said",
    [
        (b"[1, 2, 3]", "a JSON object"),
        (b"\x00\x9f\x92\x96 binary", "a binary file"),
        (b'{"format": 2, "experiment": {"name": "x"', "truncated JSON"),
        (b'{"format": 2}', "no experiment"),
    ],
)
def test_report_on_a_damaged_manifest_exits_2_with_one_line(factorial, tmp_path, capsys, content, said):
    out = tmp_path / "res"
    _sweep(factorial, out)
    (out / "manifest.json").write_bytes(content)
    assert main(["report", str(out), "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert said in err and "manifest.json" in err, err
    assert len(err.strip().splitlines()) == 1, err
