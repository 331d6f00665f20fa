"""Calibration files: validated like scenarios (unknown keys, bounds, paths), every problem on its own line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.calibration import calibration_from_toml, load_calibration
from sim.cli import main
from sim.scenario import ScenarioError

CSV = "week,satisfaction [1-5],contacts_human [contacts]\n1,3.0,700\n2,3.1,800\n3,3.0,750\n4,,720\n"

GOOD = """
name = "test"
base = "default_bank"
consumers = 500
observed = "kpis.csv"
customers = 10000
seed = 3

[[parameters]]
path = "satisfaction.loss_weight"
low = 0.5
high = 4.0

[[parameters]]
path = "segments[*].requests_per_month"

[budget]
generations = 3
population_size = 20
"""


def _write(tmp_path: Path, text: str = GOOD, csv: str = CSV) -> Path:
    (tmp_path / "kpis.csv").write_text(csv)
    p = tmp_path / "cal.toml"
    p.write_text(text)
    return p


def _problems(tmp_path: Path, text: str, csv: str = CSV) -> list[str]:
    with pytest.raises(ScenarioError) as exc:
        load_calibration(_write(tmp_path, text, csv))
    return str(exc.value).splitlines()


def test_a_good_file_gives_the_base_the_priors_and_the_runs_length(tmp_path):
    cal = load_calibration(_write(tmp_path))
    assert cal.name == "test" and cal.base.population.consumers == 500
    assert cal.base.run.ticks == 28                                   # 4 weeks of data
    assert cal.names == ["satisfaction.loss_weight", "segments[*].requests_per_month"]
    assert (cal.parameters[0].low, cal.parameters[0].high) == (0.5, 4.0)
    assert (cal.parameters[1].low, cal.parameters[1].high) == (0.0, 100.0)   # the schema's bounds by default
    assert cal.model_customers == pytest.approx(450.0)                # 500 consumers, 10% prospects
    assert cal.observed.model.loc[1, "contacts_human"] == pytest.approx(700 * 450 / 10000)
    assert cal.budget.generations == 3 and cal.budget.population_size == 20
    assert cal.summary == "levels" and cal.replications == 1


def test_the_digest_changes_with_the_data(tmp_path):
    a = load_calibration(_write(tmp_path)).sha256
    b = load_calibration(_write(tmp_path, csv=CSV.replace("700", "701"))).sha256
    assert a != b


def test_an_uploaded_csv_replaces_the_path(tmp_path):
    text = GOOD.replace('observed = "kpis.csv"\n', "")
    cal = calibration_from_toml(text, "upload", base_dir=tmp_path, observed_csv=CSV.encode())
    assert cal.observed.periods == (1, 2, 3, 4)


@pytest.mark.parametrize("change, words", [
    (("seed = 3", "seed = 3\ncolour = 1"), ["colour: expected a known key in the file", "an unknown key"]),
    (("[budget]", "[budget]\ngenerationz = 2"), ["budget.generationz: expected a known key"]),
    (("high = 4.0", "high = 4.0\nprior = 1"), ["parameters[0].prior: expected a known key"]),
    (("high = 4.0", "high = 11.0"), ["parameters[0].high: expected a value within the schema's bounds [0.0, 10.0]",
                                     "got 11.0"]),
    (("low = 0.5", "low = -1.0"), ["parameters[0].low: expected a value within the schema's bounds"]),
    (("low = 0.5", "low = 5.0"), ["parameters[0].high: expected a value above low (5)"]),
    (('path = "satisfaction.loss_weight"', 'path = "satisfaction.los_weight"'),
     ["parameters[0].path: expected a real-valued scenario parameter path"]),
    (('path = "satisfaction.loss_weight"', 'path = "firms[0].phone_agents"'), ["(an integer parameter)"]),
    (('path = "segments[*].requests_per_month"', 'path = "satisfaction.loss_weight"'),
     ["parameters[1].path: expected a parameter estimated once"]),
    (('path = "segments[*].requests_per_month"', 'path = "firms[3].quality"'),
     ["parameters[1] (firms[3].quality = 0)", "expected a valid base scenario"]),
    (('base = "default_bank"', 'base = "no_such_preset"'), ["base (no_such_preset)"]),
    (('observed = "kpis.csv"', 'observed = "missing.csv"'), ["observed", "missing.csv"]),
    (('seed = 3', 'seed = 3\noutcomes = ["trust"]'), ["outcomes: expected a KPI column of the CSV"]),
    (('seed = 3', 'seed = 3\nsummary = "shape"'), ["summary: expected one of 'levels', 'series'"]),
    (("population_size = 20", "population_size = 2"), ["budget.population_size: expected an integer between 10"]),
    (("customers = 10000\n", ""), ["customers = ...", "rescale"]),
])
def test_bad_files_are_refused_with_path_expected_and_got(tmp_path, change, words):
    old, new = change
    assert old in GOOD
    lines = _problems(tmp_path, GOOD.replace(old, new, 1))
    text = "\n".join(lines)
    assert all(w in text for w in words), text
    assert all(": expected " in ln for ln in lines)


def test_every_problem_is_reported_together(tmp_path):
    text = GOOD.replace("seed = 3", "seed = -1\ncolour = 2").replace("population_size = 20", "population_size = 0")
    assert len(_problems(tmp_path, text)) == 3


def test_a_file_without_parameters_or_base_is_refused(tmp_path):
    lines = _problems(tmp_path, 'observed = "kpis.csv"\n')
    assert any(ln.endswith("base: expected a preset name or scenario file path, got none") for ln in lines)
    assert any("parameters: expected at least one [[parameters]] table" in ln for ln in lines)


@pytest.mark.parametrize("args, words", [
    (["--serial", "--workers", "2"], ["one of --serial, --workers or --scheduler"]),
    (["--workers", "0"], ["--workers: expected an integer >= 1"]),
])
def test_the_command_refuses_bad_options_in_one_line(tmp_path, capsys, args, words):
    p = _write(tmp_path)
    assert main(["calibrate", str(p), "--out", str(tmp_path / "out"), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and all(w in err[0] for w in words), err


def test_the_command_refuses_a_bad_file_and_an_out_that_is_a_file(tmp_path, capsys):
    p = _write(tmp_path, GOOD.replace("seed = 3", "seed = 3\ncolour = 1"))
    assert main(["calibrate", str(p), "--out", str(tmp_path / "out"), "--serial"]) == 2
    assert "colour" in capsys.readouterr().err
    (tmp_path / "afile").write_text("x")
    assert main(["calibrate", str(_write(tmp_path)), "--out", str(tmp_path / "afile"), "--serial"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--out" in err[0]


def test_without_pyabc_the_command_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    import builtins

    real = builtins.__import__

    def no_pyabc(name, *a, **kw):
        if name == "pyabc" or name.startswith("pyabc."):
            raise ImportError("No module named 'pyabc'")
        return real(name, *a, **kw)

    monkeypatch.setattr(builtins, "__import__", no_pyabc)
    assert main(["calibrate", str(_write(tmp_path)), "--out", str(tmp_path / "out"), "--serial"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install -e '.[calibrate]'" in err[0], err


def test_help_shows_an_example(capsys):
    with pytest.raises(SystemExit):
        main(["calibrate", "--help"])
    out = capsys.readouterr().out
    assert "exlab calibrate experiments/calibration/bank_calibration.toml --out" in out
