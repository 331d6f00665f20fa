"""The ODD description (docs/ODD.md) keeps up with the code.

* Its generated parameter and outcome tables equal what ``docs/gen_params.py``
  produces from the schema and the outcome registry.
* Its process overview (section 3) names every method that
  ``ExchangeModel.step`` calls, in the order ``step`` calls them.
* Its consumer table (section 2) names every ``ConsumerState`` variable.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import inspect
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sim.model import ExchangeModel
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


def _step_calls() -> list[str]:
    """Names of the model's own methods called by ``ExchangeModel.step``, in call order."""
    src = textwrap.dedent(inspect.getsource(ExchangeModel.step))
    calls = []
    for node in ast.walk(ast.parse(src)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "self"):
            calls.append((node.lineno, node.col_offset, node.func.attr))
    return [name for _, _, name in sorted(calls)]


@pytest.mark.parametrize("block", ["params", "outcomes"])
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


def test_process_overview_names_every_method_step_calls_in_order():
    overview = _section(_odd(), 3)
    calls = _step_calls()
    assert any(c.startswith("_phase_") for c in calls), "step() should call its phases"
    missing = [c for c in calls if f"`{c}`" not in overview]
    assert not missing, f"docs/ODD.md section 3 does not name: {missing}"
    positions = [overview.index(f"`{c}`") for c in dict.fromkeys(calls)]
    assert positions == sorted(positions), (
        "docs/ODD.md section 3 lists the phases in another order than ExchangeModel.step: "
        f"{list(dict.fromkeys(calls))}")


def test_every_phase_method_of_the_model_is_described():
    text = _odd()
    phases = [name for name, _ in inspect.getmembers(ExchangeModel, inspect.isfunction)
              if name.startswith("_phase_")]
    missing = [p for p in phases if f"`{p}`" not in text]
    assert not missing, f"docs/ODD.md does not describe: {missing}"


def test_every_consumer_state_variable_is_in_the_entities_section():
    entities = _section(_odd(), 2)
    missing = [f.name for f in dataclasses.fields(ConsumerState) if f"`{f.name}`" not in entities]
    assert not missing, f"docs/ODD.md section 2 does not list: {missing}"
