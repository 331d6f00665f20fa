"""Every preset in ``scenarios/`` validates, says what it is for, and runs.

Presets are run with the population shrunk to 500 consumers: the point is
that every parameter combination they use is accepted by the engine and
keeps its invariants, not the full-size dynamics.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import load_scenario, simulate
from sim.ages import ExchangeAge
from sim.model import ExchangeModel
from sim.scenario import list_presets, presets_dir, scenario_from_toml, to_toml, with_overrides

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
PRESET_FILES = sorted(SCENARIOS.glob("*.toml"))
SMALL = 500


def test_there_are_presets_to_check():
    assert PRESET_FILES, f"no presets in {SCENARIOS}"


def test_list_presets_finds_every_scenario_file(monkeypatch):
    monkeypatch.delenv("EXLAB_SCENARIOS", raising=False)
    assert presets_dir().resolve() == SCENARIOS
    files = sorted(SCENARIOS.glob("*.toml"))
    assert [p.path.resolve() for p in list_presets()] == files
    assert [p.name for p in list_presets()] == [f.stem for f in files]


@pytest.mark.parametrize("path", PRESET_FILES, ids=lambda p: p.stem)
def test_preset_validates(path: Path):
    sc = load_scenario(path)
    assert sc.name == path.stem, "a preset's name should be its file name (what `exlab run` takes)"
    assert sc.description, "a preset should describe itself in `description`"


@pytest.mark.parametrize("path", PRESET_FILES, ids=lambda p: p.stem)
def test_preset_starts_with_a_header_comment_saying_what_it_answers(path: Path):
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines and lines[0].startswith("# "), "the first line should be a comment"
    assert len(lines[0].lstrip("# ").strip()) > 20, "the header should state the question"
    summary = {p.name: p.summary for p in list_presets()}[path.stem]
    assert summary == lines[0].lstrip("#").strip()


@pytest.mark.parametrize("path", PRESET_FILES, ids=lambda p: p.stem)
def test_preset_loads_by_name_as_by_path(path: Path):
    assert load_scenario(path.stem) == load_scenario(path)


@pytest.mark.parametrize("path", PRESET_FILES, ids=lambda p: p.stem)
def test_preset_round_trips_through_toml(path: Path):
    sc = load_scenario(path)
    assert scenario_from_toml(to_toml(sc)) == sc


@pytest.mark.parametrize("path", PRESET_FILES, ids=lambda p: p.stem)
def test_preset_runs_three_ticks_keeping_its_invariants(path: Path):
    sc = with_overrides(load_scenario(path), {"population.consumers": SMALL})
    model = ExchangeModel(sc)
    for _ in range(3):
        model.step()
        assert model.ledger.balanced()
        assert model.state.check_bounds() == []
    res = simulate(sc, ticks=3)
    assert len(res.table) == 3
    assert (res.table["customers"] > 0).all()


def test_each_exchange_age_has_a_preset_where_it_dominates():
    dominant = set()
    for path in PRESET_FILES:
        ex = load_scenario(path).exchange
        shares = [ex.restricted, ex.generalized, ex.complex]
        dominant.add(ExchangeAge(max(range(3), key=shares.__getitem__)))
    assert dominant == set(ExchangeAge)
