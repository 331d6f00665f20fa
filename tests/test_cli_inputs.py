"""Bad input to ``exlab``, called in-process: one line on stderr and status 2, before any work.

Covers the file itself (encoding, size, nesting, emptiness), the environment
variables ExchangeLab reads, the output destination of ``exlab run`` (checked
before the simulation, written atomically with the user's usual permissions)
and option values such as ``--outcome``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pytest

from sim.atomic import atomic_write
from sim.cli import main
from sim.env import check_environment, dashboard_max_run_s, dashboard_memory_gib, results_root
from sim.metrics import OUTCOMES
from sim.scenario import ScenarioError, load_scenario, to_toml
from sim.scenario.loader import MAX_TOML_BYTES, MAX_TOML_NESTING

BAD_INPUT = 2


@pytest.fixture
def tiny(tmp_path, tiny_scenario) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(to_toml(tiny_scenario(0.6, 0.2, 0.2, name="tiny", run={"ticks": 3, "seed": 3})))
    return path


def _refused(capsys, *argv) -> str:
    """Run exlab in-process; it must exit 2 with exactly one line on stderr (returned)."""
    assert main([str(a) for a in argv]) == BAD_INPUT
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "outcome" not in captured.out, "the run should not have started"
    return lines[0]


# ---------------------------------------------------------------- the scenario file itself
def test_a_utf8_byte_order_mark_is_accepted(tmp_path, tiny):
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + tiny.read_bytes())
    assert load_scenario(bom) == load_scenario(tiny)


@pytest.mark.parametrize(
    "content, said",
    [
        (b"\x00\x01\x02\x89PNG\r\n\x1a\n\xff\xd8", "expected UTF-8 text, got byte 0x89 at offset 3"),
        ("name = 'x'\n".encode("utf-16"), "expected UTF-8 text (save the file as UTF-8), got UTF-16 text"),
        (b"", "got an empty scenario file"),
        (b"# only a comment\n\n", "got an empty scenario file"),
        (b"a = " + b"[" * 500 + b"]" * 500 + b"\n", f"nested at most {MAX_TOML_NESTING} deep"),
        (b"a = " + b"{b=" * 300 + b"1" + b"}" * 300 + b"\n", f"nested at most {MAX_TOML_NESTING} deep"),
    ],
    ids=["binary", "utf16", "empty", "comments-only", "deep-arrays", "deep-inline-tables"],
)
def test_a_file_that_is_not_a_scenario_is_one_line(tmp_path, capsys, content, said):
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    assert len(content) < 1500  # small files: the size limit is not what refuses them
    for command in ("validate", "run", "describe"):
        line = _refused(capsys, command, path)
        assert said in line and str(path) in line, line


def test_a_device_without_end_is_refused_after_reading_past_the_limit_only(capsys):
    line = _refused(capsys, "validate", "/dev/zero")
    assert f"expected at most {MAX_TOML_BYTES} bytes, got more than {MAX_TOML_BYTES} bytes" in line


def test_an_experiment_file_gets_the_same_checks(tmp_path, capsys):
    path = tmp_path / "exp.toml"
    path.write_bytes(b"\xff\x00 binary")
    line = _refused(capsys, "sweep", path, "--out", tmp_path / "res", "--serial")
    assert "expected UTF-8 text" in line
    assert not (tmp_path / "res").exists()


# ---------------------------------------------------------------- environment
@pytest.mark.parametrize(
    "name, value, said",
    [
        ("EXLAB_SCENARIOS", "/no/such/folder", "no such folder"),
        ("EXLAB_SCENARIOS", __file__, "not a folder"),
        ("EXLAB_CACHE_DIR", f"{__file__}/cache", "is not a folder"),
        ("EXLAB_CACHE_DIR", "/sys/exlab-cache", "cannot write in /sys"),
    ],
)
def test_a_bad_environment_variable_is_one_line_naming_it(monkeypatch, capsys, name, value, said):
    monkeypatch.setenv(name, value)
    line = _refused(capsys, "list")
    assert line.startswith(f"error: environment: {name}: expected ") and said in line, line


@pytest.mark.parametrize("value", ["lots", "0", "-1", "nan", "inf"])
@pytest.mark.parametrize("name, getter", [("EXLAB_DASHBOARD_MEMORY_GIB", dashboard_memory_gib),
                                          ("EXLAB_DASHBOARD_MAX_RUN_S", dashboard_max_run_s)])
def test_the_dashboard_budgets_must_be_positive_numbers(monkeypatch, value, name, getter):
    monkeypatch.setenv(name, value)
    with pytest.raises(ScenarioError, match=f"{name}: expected a number of .* above 0"):
        getter()
    monkeypatch.setenv(name, "2.5")
    assert getter() == 2.5


def test_the_results_root_must_be_a_folder_when_it_exists(monkeypatch, tmp_path):
    monkeypatch.setenv("EXLAB_RESULTS_ROOT", __file__)
    with pytest.raises(ScenarioError, match="EXLAB_RESULTS_ROOT: expected a folder"):
        results_root(tmp_path)
    monkeypatch.setenv("EXLAB_RESULTS_ROOT", str(tmp_path / "not yet"))
    assert results_root(Path("/elsewhere")) == (tmp_path / "not yet").resolve()


def test_every_problem_of_the_environment_is_reported_together(monkeypatch):
    monkeypatch.setenv("EXLAB_SCENARIOS", "/no/such/folder")
    monkeypatch.setenv("EXLAB_DASHBOARD_MEMORY_GIB", "many")
    with pytest.raises(ScenarioError) as info:
        check_environment()
    assert [p[0] for p in info.value.problems] == ["EXLAB_SCENARIOS", "EXLAB_DASHBOARD_MEMORY_GIB"]


def test_every_exlab_variable_read_by_the_code_is_declared():
    import re

    root = Path(__file__).resolve().parents[1]
    from sim.env import VARIABLES

    read = set()
    for folder in ("sim", "dashboard"):
        for path in (root / folder).rglob("*.py"):
            read |= set(re.findall(r"environ(?:\.get)?\(\s*\"(EXLAB_[A-Z_]+)\"", path.read_text()))
            read |= set(re.findall(r"environ\[\"(EXLAB_[A-Z_]+)\"\]", path.read_text()))
    assert read, "no environment variable found: the pattern is out of date"
    assert read <= set(VARIABLES), read - set(VARIABLES)


# ---------------------------------------------------------------- options
def test_an_unknown_outcome_is_refused_with_the_closest_names(tiny, capsys):
    line = _refused(capsys, "run", tiny, "--outcome", "trust", "--outcome", "satisfacton")
    assert "--outcome: expected an outcome name such as satisfaction" in line and "'satisfacton'" in line


def test_an_outcome_like_nothing_known_lists_every_outcome(tiny, capsys):
    line = _refused(capsys, "run", tiny, "--outcome", "zzzz")
    assert all(o.name in line for o in OUTCOMES)


# ---------------------------------------------------------------- the output of exlab run
@pytest.mark.parametrize(
    "where, said",
    [
        (lambda d: d / "table.xlsx", "suffix '.xlsx'"),
        (lambda d: d, "a folder"),
        (lambda d: d / "missing" / "out.csv", "missing is missing"),
        (lambda d: d / "a_file" / "out.csv", "a_file is a regular file, not a folder"),
        (lambda d: Path("/sys/out.csv"), "cannot write in /sys"),
    ],
    ids=["suffix", "folder", "missing-folder", "below-a-file", "unwritable"],
)
def test_a_bad_destination_is_refused_before_the_run(tmp_path, tiny, capsys, where, said):
    (tmp_path / "a_file").write_text("x")
    out = where(tmp_path)
    line = _refused(capsys, "run", tiny, "--quiet", "--out", out)
    assert line.startswith("error: --out: expected ") and said in line, line
    assert str(out) in line and ".tmp" not in line
    assert not any(p.name.endswith(".tmp") for p in tmp_path.rglob("*"))


def test_outputs_get_the_umask_mode_and_a_replaced_file_keeps_its_mode(tmp_path, tiny, capsys):
    old = os.umask(0o027)
    try:
        new = tmp_path / "new.csv"
        assert main(["run", str(tiny), "--quiet", "--out", str(new)]) == 0
        assert stat.S_IMODE(new.stat().st_mode) == 0o640
        kept = tmp_path / "kept.parquet"
        kept.write_bytes(b"old")
        kept.chmod(0o604)
        assert main(["run", str(tiny), "--quiet", "--out", str(kept)]) == 0
        assert stat.S_IMODE(kept.stat().st_mode) == 0o604
        assert len(pd.read_parquet(kept)) == 3
    finally:
        os.umask(old)
    capsys.readouterr()


def test_a_failed_write_leaves_neither_a_temporary_nor_a_changed_file(tmp_path):
    dest = tmp_path / "table.csv"
    dest.write_text("the old table")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_text("half a tab")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError) as info:
        atomic_write(dest, half_then_fail)
    assert info.value.filename == str(dest)  # the destination is named, not the temporary
    assert dest.read_text() == "the old table"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]
