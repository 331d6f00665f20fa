"""The ``exlab`` command line, run as a user runs it (``python -m sim`` in a subprocess).

Bad input must exit with status 2 and a plain message on stderr naming the
field, never a traceback. Every command of this module is started once, up
front and a few at a time (start-up dominates their cost); each test then
checks the outcome of its own command.
"""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from sim.scenario import flatten, load_scenario, to_toml
from sim.scenario.schema import Scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BAD_INPUT = 2


def exlab(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def files(tmp_path_factory, tiny_scenario) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli")
    tiny = d / "tiny_cli.toml"
    sc = tiny_scenario(0.6, 0.2, 0.2, name="tiny_cli", run={"ticks": 4, "seed": 3})
    tiny.write_text(to_toml(sc, header="A tiny scenario for CLI tests"))
    bad = d / "bad.toml"
    bad.write_text('name = "bad"\n[run]\nticks = "many"\n[[firms]]\nname = "A"\nquality = 1.5\n')
    broken = d / "broken.toml"
    broken.write_text("[run\nticks = 5\n")
    return {"tiny": tiny, "bad": bad, "broken": broken, "absent": d / "absent.toml",
            "csv": d / "table.csv", "parquet": d / "table.parquet", "xlsx": d / "table.xlsx"}


@pytest.fixture(scope="module")
def cli(files) -> dict[str, subprocess.CompletedProcess]:
    f = files
    commands = {
        "help": ["--help"],
        "none": [],
        "run_preset": ["run", "restricted_mutual_insurer", "--ticks", "5", "--quiet"],
        "run_csv": ["run", f["tiny"], "--quiet", "--out", f["csv"]],
        "run_parquet": ["run", f["tiny"], "--quiet", "--out", f["parquet"]],
        "run_xlsx": ["run", f["tiny"], "--quiet", "--out", f["xlsx"]],
        "run_bad_bounds": ["run", f["tiny"], "--quiet", "--ticks", "0", "--seed", "-1"],
        "validate_good": ["validate", f["tiny"]],
        "validate_bad": ["validate", f["bad"]],
        "validate_broken": ["validate", f["broken"]],
        "validate_absent": ["validate", f["absent"]],
        "list": ["list"],
        "describe": ["describe", "restricted_mutual_insurer"],
    }
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(exlab, *args) for name, args in commands.items()}
        return {name: fut.result() for name, fut in futures.items()}


def test_no_command_ever_prints_a_traceback(cli):
    for name, proc in cli.items():
        assert "Traceback" not in proc.stdout + proc.stderr, (name, proc.stderr)


def test_help_lists_every_subcommand(cli):
    proc = cli["help"]
    assert proc.returncode == 0
    for command in ("run", "validate", "list", "describe"):
        assert re.search(rf"^\s+{command}\s", proc.stdout, re.M), command


def test_no_subcommand_is_a_usage_error(cli):
    proc = cli["none"]
    assert proc.returncode == BAD_INPUT
    assert "usage: exlab" in proc.stderr


def test_run_preset_prints_a_summary_table(cli):
    proc = cli["run_preset"]
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "restricted_mutual_insurer:" in out and "5 days" in out
    assert re.search(r"^outcome\s+value\s+unit\s+over run\s*$", out, re.M)
    row = re.search(r"^trust\s+([0-9.eE+-]+)\s", out, re.M)
    assert row and 0.0 <= float(row.group(1)) <= 1.0
    assert "%|" not in proc.stderr, "--quiet should hide the progress bar"


def test_run_writes_csv_and_parquet_tables(cli, files):
    for name in ("csv", "parquet"):
        proc = cli[f"run_{name}"]
        assert proc.returncode == 0, proc.stderr
        assert f"wrote 4 rows to {files[name]}" in proc.stdout
    csv, parquet = pd.read_csv(files["csv"]), pd.read_parquet(files["parquet"])
    assert list(csv["tick"]) == [1, 2, 3, 4]
    assert list(csv.columns) == list(parquet.columns)
    # Same scenario and seed: the two formats hold the same numbers.
    pd.testing.assert_frame_equal(csv, parquet, check_dtype=False, check_exact=False, rtol=1e-12)


def test_run_rejects_an_unknown_output_suffix_before_running(cli, files):
    proc = cli["run_xlsx"]
    assert proc.returncode == BAD_INPUT
    assert ".parquet or .csv" in proc.stderr and str(files["xlsx"]) in proc.stderr
    assert not files["xlsx"].exists()
    assert "outcome" not in proc.stdout, "the run should not have started"


def test_run_rejects_out_of_bounds_seed_and_ticks_together(cli):
    proc = cli["run_bad_bounds"]
    assert proc.returncode == BAD_INPUT
    assert "run.ticks: expected an integer between 1 and 36500, got 0" in proc.stderr
    assert "run.seed: expected an integer between 0 and" in proc.stderr
    assert "got -1" in proc.stderr


def test_validate_accepts_a_good_file(cli):
    proc = cli["validate_good"]
    assert proc.returncode == 0, proc.stderr
    assert "valid" in proc.stdout and "tiny_cli" in proc.stdout


def test_validate_reports_every_problem_of_a_bad_file_on_stderr(cli, files):
    proc, bad = cli["validate_bad"], files["bad"]
    assert proc.returncode == BAD_INPUT
    assert proc.stdout == ""
    assert f"{bad}: run.ticks: expected an integer between 1 and 36500, got 'many'" in proc.stderr
    assert f"{bad}: firms[0].quality: expected a number between 0 and 1, got 1.5" in proc.stderr


def test_validate_reports_a_toml_syntax_error(cli):
    proc = cli["validate_broken"]
    assert proc.returncode == BAD_INPUT
    assert "(syntax): expected valid TOML" in proc.stderr


def test_validate_reports_a_missing_file(cli):
    proc = cli["validate_absent"]
    assert proc.returncode == BAD_INPUT
    assert "absent.toml" in proc.stderr and "No such file" in proc.stderr


def test_list_shows_every_preset_with_its_question(cli):
    proc = cli["list"]
    assert proc.returncode == 0, proc.stderr
    files = sorted(SCENARIOS.glob("*.toml"))
    assert files
    for f in files:
        first = f.read_text(encoding="utf-8").splitlines()[0].lstrip("#").strip()
        assert re.search(rf"^{re.escape(f.stem)}\s+{re.escape(first)}", proc.stdout, re.M), f.stem


def test_describe_lists_every_parameter_with_value_and_default(cli):
    proc = cli["describe"]
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line for line in proc.stdout.splitlines()[2:] if line.strip()}
    sc = load_scenario("restricted_mutual_insurer")
    for path, _ in flatten(sc):
        assert path in rows, f"{path} missing from describe"
    defaults = dict(flatten(Scenario()))
    # Values read from the preset file, defaults from the schema.
    assert sc.firms[0].quality != defaults["firms[0].quality"]
    assert re.match(r"firms\[0\]\.quality\s+0\.72\s+0\.7\s", rows["firms[0].quality"])
    assert re.match(r"run\.ticks\s+365\s+365\s+days\s", rows["run.ticks"])
    assert "Number of ticks to simulate" in rows["run.ticks"]

