"""The README, followed literally: every fenced block is run, in order, in a fresh folder.

Blocks are told apart by their language: ``sh`` blocks run in bash (``-e``:
every command must succeed), ``python`` blocks in a fresh interpreter,
``toml`` blocks are validated as scenario or experiment files, ``text``
blocks are not code. An HTML comment on the line before a block says more:

- ``<!-- file: NAME -->``: the block is that file; it is written into the
  folder before anything runs (a command may use it);
- ``<!-- not run: REASON -->``: the block cannot run in a test (it serves
  forever, needs a cluster, runs this suite); its syntax is checked only.

Shell blocks share one session, as in a reader's terminal: what one exports
(the activation of the virtual environment) holds in the next. The folder
starts with copies of ``scenarios/`` and ``experiments/`` and a
link to the virtual environment, so ``source .venv/bin/activate`` works as
written; ``exlab`` is not on the PATH before that line. Presets are shrunk
to a few thousand consumers in the copy (``EXLAB_SCENARIOS`` points at it):
the sizes are the test's, the commands are the README's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from sim.experiments.spec import experiment_from_toml
from sim.scenario import scenario_from_toml

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SMALL = 3000
LANGUAGES = {"sh", "python", "toml", "text"}
SHELL_STATE = ".readme-shell-state"

pytestmark = [pytest.mark.slow, pytest.mark.dask]


@dataclass
class Block:
    line: int  # of the opening fence, 1-based
    language: str
    text: str
    marker: str  # the comment on the line before ("" if none)

    @property
    def file(self) -> str | None:
        m = re.fullmatch(r"<!-- file: (\S+) -->", self.marker)
        return m.group(1) if m else None

    @property
    def not_run(self) -> str | None:
        m = re.fullmatch(r"<!-- not run: (.+) -->", self.marker)
        return m.group(1) if m else None


def readme_blocks(text: str) -> list[Block]:
    """Every fenced block of a Markdown text, with its language and the comment before it."""
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        m = re.fullmatch(r"```(\w*)\s*", lines[i])
        if not m:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
        before = lines[i - 1].strip() if i else ""
        blocks.append(Block(i + 1, m.group(1), "\n".join(lines[i + 1:end]) + "\n",
                            before if before.startswith("<!--") else ""))
        i = end + 1
    return blocks


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))


def test_every_block_says_what_it_is():
    assert BLOCKS
    for b in BLOCKS:
        assert b.language in LANGUAGES, f"README line {b.line}: a fence needs one of {sorted(LANGUAGES)}"
        assert not b.marker or b.file or b.not_run, f"README line {b.line}: unknown marker {b.marker}"


def test_blocks_that_are_not_run_are_valid_syntax(tmp_path):
    skipped = [b for b in BLOCKS if b.not_run]
    assert skipped, "the README has blocks that cannot run in a test (make run, a Slurm cluster)"
    for b in skipped:
        if b.language == "sh":
            script = tmp_path / "block.sh"
            script.write_text(b.text)
            proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
            assert proc.returncode == 0, f"README line {b.line}: {proc.stderr}"
        elif b.language == "python":
            compile(b.text, f"README line {b.line}", "exec")


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.language == "toml"], ids=lambda b: f"line{b.line}")
def test_toml_blocks_are_valid_scenario_or_experiment_files(block):
    if re.search(r"^\[base\]", block.text, re.M):
        experiment_from_toml(block.text, f"README line {block.line}", base_dir=ROOT)
    else:
        scenario_from_toml(block.text, f"README line {block.line}")


def _shrunk_presets(folder: Path) -> None:
    folder.mkdir()
    for p in sorted((ROOT / "scenarios").glob("*.toml")):
        text = re.sub(r"^consumers = (\d+)",
                      lambda m: f"consumers = {min(int(m.group(1)), SMALL)}", p.read_text(), flags=re.M)
        (folder / p.name).write_text(text)


def _environment(folder: Path) -> dict[str, str]:
    venv_bin = str(Path(sys.prefix) / "bin")
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update(PATH=path, EXLAB_SCENARIOS=str(folder / "scenarios"), MPLBACKEND="Agg")
    return env


def test_every_command_and_snippet_runs_in_order(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    _shrunk_presets(work / "scenarios")
    shutil.copytree(ROOT / "experiments", work / "experiments")
    (work / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    env = _environment(work)
    for b in BLOCKS:
        if b.file:
            (work / b.file).parent.mkdir(parents=True, exist_ok=True)
            (work / b.file).write_text(b.text)
    assert shutil.which("exlab", path=env["PATH"]) is None, "exlab must come from `source .venv/bin/activate`"
    ran = 0
    for b in BLOCKS:
        if b.file or b.not_run or b.language in ("toml", "text"):
            continue
        if b.language == "sh":  # one shell session: what a block exports (activation) holds for the next
            script = f"[ -f {SHELL_STATE} ] && source {SHELL_STATE}\n{b.text}\nexport -p > {SHELL_STATE}\n"
            cmd = ["bash", "-e", "-o", "pipefail", "-c", script]
        else:
            cmd = [str(Path(sys.prefix) / "bin" / "python"), "-c", b.text]
        proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"README line {b.line} failed:\n{b.text}\n{proc.stdout}\n{proc.stderr}"
        assert "Traceback" not in proc.stderr, f"README line {b.line}:\n{proc.stderr}"
        ran += 1
    assert ran >= 4
    # Every sweep the README runs into its own folder did its runs there.
    outs = {m for b in BLOCKS if b.language == "sh" and not b.not_run
            for m in re.findall(r"exlab sweep \S+ --out (\S+)", b.text)}
    assert len(outs) >= 3
    for out in outs:
        manifest = json.loads((work / out / "manifest.json").read_text())
        assert manifest["status"] == "complete", out
        assert all(s["done"] > 0 for s in manifest["sessions"]), f"{out}: a command that did nothing"
