"""The ODD description (docs/ODD.md) keeps up with the code.

* Its generated parameter and outcome tables equal what ``docs/gen_params.py``
  produces from the schema and the outcome registry.
* Its process overview (section 3) is generated from ``sim.phases.PHASES``,
  the list ``ExchangeModel.step`` runs, so it names every phase in order.
* Its consumer table (section 2) names every ``ConsumerState`` variable.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sim.state import ConsumerState

ROOT = Path(__file__).resolve().parents[1]
ODD = ROOT / "docs" / "ODD.md"
GEN = ROOT / "docs" / "gen_params.py"


def _gen():
    spec = importlib.util.spec_from_file_location("odd_gen_params", GEN)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _odd() -> str:
    return ODD.read_text(encoding="utf-8")


def _section(text: str, number: int) -> str:
    """The body of the level-2 section ``## <number>. ...`` up to the next level-2 heading."""
    m = re.search(rf"^## {number}\. .*?$(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert m, f"docs/ODD.md has no section '## {number}.'"
    return m.group(1)


@pytest.mark.parametrize("block", ["params", "outcomes", "schedule"])
def test_generated_block_is_up_to_date(block):
    gen = _gen()
    assert gen.current_block(_odd(), block) == gen.RENDER[block]().strip("\n"), (
        f"the {block} block of docs/ODD.md is stale: run `python docs/gen_params.py`")


def test_gen_params_check_mode_agrees():
    res = subprocess.run([sys.executable, str(GEN), "--check"], capture_output=True, text=True,
                         cwd=ROOT)
    assert res.returncode == 0, res.stderr


def test_check_mode_detects_a_stale_block(tmp_path):
    gen = _gen()
    stale = gen.replace_block(_odd(), "params", "| `nothing` | | | | | |")
    doc = tmp_path / "ODD.md"
    doc.write_text(stale, encoding="utf-8")
    assert gen.stale_blocks(stale) == ["params"]
    assert gen.main(["--check", "--file", str(doc)]) == 1


def test_every_schema_parameter_is_in_the_table():
    from sim.scenario import iter_params

    block = _gen().current_block(_odd(), "params")
    missing = [path for path, _, _ in iter_params() if f"| `{path}` |" not in block]
    assert not missing, f"parameters missing from docs/ODD.md: {missing}"


def test_process_overview_lists_the_phases_step_runs_in_order():
    from sim.phases import PHASES

    overview = _section(_odd(), 3)
    names = [f"`sim.phases.{ph.run.__name__}`" for ph in PHASES]
    missing = [n for n in names if n not in overview]
    assert not missing, f"docs/ODD.md section 3 does not name: {missing}"
    positions = [overview.index(n) for n in names]
    assert positions == sorted(positions), "docs/ODD.md section 3 lists the phases in another order than PHASES"


def test_step_runs_the_phases_of_the_list_in_order(monkeypatch):
    import sim.phases as phases_mod
    from sim.model import ExchangeModel
    from sim.scenario.schema import Scenario

    seen = []
    wrapped = tuple(dataclasses.replace(ph, run=lambda m, d, _ph=ph: (seen.append(_ph.name), _ph.run(m, d)))
                    for ph in phases_mod.PHASES)
    monkeypatch.setattr("sim.model.PHASES", wrapped)
    m = ExchangeModel(Scenario(), population__consumers=50, run__ticks=2)
    seen.clear()  # the warm-up ran the same phases
    m.step()
    assert seen == [ph.name for ph in phases_mod.PHASES]


def test_every_consumer_state_variable_is_in_the_entities_section():
    entities = _section(_odd(), 2)
    missing = [f.name for f in dataclasses.fields(ConsumerState) if f"`{f.name}`" not in entities]
    assert not missing, f"docs/ODD.md section 2 does not list: {missing}"
