"""Whatever the input, ``exlab`` exits with 0 or 2 and never prints a traceback (hypothesis).

Arbitrary bytes and arbitrary TOML documents (keys of the real schema mixed
with made-up ones, values of every TOML type, nested) are given to
``validate``, ``run`` and ``sweep``; arbitrary bytes, JSON documents and
damaged copies of a real manifest and part file to ``report``. Commands run
in-process through ``sim.cli.main``. A document that happens to be a valid
scenario or experiment is only validated, never run: its size is whatever
was drawn.
"""

from __future__ import annotations

import copy
import io
import json
import math
import re
import shutil
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from experiments.helpers import FACTORIAL, SENS, linear_trust, write_experiment
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.experiments import SerialExecutor, load_experiment, run_sweep
from sim.experiments.spec import experiment_from_toml
from sim.scenario import ScenarioError, scenario_from_toml
from sim.scenario.schema import iter_params

pytestmark = pytest.mark.timeout(600)  # a guard against a hang only

SETTINGS = settings(max_examples=25, deadline=None, derandomize=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SCENARIO_KEYS = sorted({p.split(".")[0].split("[")[0] for p, _, _ in iter_params()}
                       | {p.split(".")[-1] for p, _, _ in iter_params()})
EXPERIMENT_KEYS = ["name", "description", "base", "scenario", "ticks", "set", "design", "kind", "replications",
                   "seed", "samples", "levels", "parameters", "path", "values", "range", "steps", "outcomes",
                   "names", "keep", "at_ticks", "default_bank", "exchange.complex", "firms[*].quality"]


def exlab(*argv) -> tuple[int, str]:
    """``main(argv)`` in-process: its exit status and stderr (an exception fails the test as is)."""
    err = io.StringIO()
    with redirect_stderr(err), redirect_stdout(io.StringIO()):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code
    return code, err.getvalue()


def assert_clean(code, err: str) -> None:
    assert code in (0, 2), (code, err)
    assert "Traceback" not in err, err
    if code == 2:
        assert err.strip(), "a refusal must say why"


# ---------------------------------------------------------------- strategies
def _key(keys: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(keys) | st.text(min_size=1, max_size=8)


def _toml_values(keys: list[str]) -> st.SearchStrategy:
    scalars = (st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=True, allow_infinity=True)
               | st.booleans() | st.text(max_size=12) | st.sampled_from(["default_bank", "watts_strogatz",
                                                                        "series", "sobol", "trust"]))
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(_key(keys), inner, max_size=4), max_leaves=20)


def _toml_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def _toml(v) -> str:
    """A TOML inline value (a table as an inline table: valid for sections and arrays of tables)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a TOML basic string
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    return "{" + ", ".join(f"{_toml_key(k)} = {_toml(x)}" for k, x in v.items()) + "}"


def documents(keys: list[str]) -> st.SearchStrategy[str]:
    """TOML documents: a table of arbitrary keys and values, written out."""
    tables = st.dictionaries(_key(keys), _toml_values(keys), max_size=6)
    return tables.map(lambda d: "".join(f"{_toml_key(k)} = {_toml(v)}\n" for k, v in d.items()))


def _write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def _is_valid(parse, text: str) -> bool:
    try:
        parse(text)
    except ScenarioError:
        return False
    return True


# ---------------------------------------------------------------- scenarios and experiments
@SETTINGS
@given(content=st.binary(max_size=3000) | documents(SCENARIO_KEYS))
def test_validate_and_run_answer_any_scenario_file_with_0_or_2(content):
    with tempfile.TemporaryDirectory() as d:
        path = _write(Path(d), "s.toml", content)
        assert_clean(*exlab("validate", path))
        text = content if isinstance(content, str) else None
        if text is None or not _is_valid(lambda t: scenario_from_toml(t, "s"), text):
            assert_clean(*exlab("run", path, "--quiet", "--ticks", "2", "--out", Path(d) / "out.csv"))
            assert not (Path(d) / "out.csv").exists()


@SETTINGS
@given(content=st.binary(max_size=3000) | documents(EXPERIMENT_KEYS))
def test_sweep_answers_any_experiment_file_with_0_or_2(content):
    with tempfile.TemporaryDirectory() as d:
        path = _write(Path(d), "e.toml", content)
        valid = isinstance(content, str) and _is_valid(lambda t: experiment_from_toml(t, "e", base_dir=d), content)
        if not valid:
            assert_clean(*exlab("sweep", path, "--out", Path(d) / "res", "--serial", "--quiet"))
            assert not (Path(d) / "res").exists()


# ---------------------------------------------------------------- results folders


@pytest.fixture(scope="module", params=["factorial", "sobol"])
def results(tmp_path_factory, request) -> Path:
    """A finished results folder: a small factorial of real runs, or a Sobol design of a stand-in model."""
    d = tmp_path_factory.mktemp("prop")
    out = d / "res"
    if request.param == "factorial":
        exp = load_experiment(write_experiment(d, FACTORIAL.replace("replications = 2", "replications = 1"),
                                               ticks=5))
        run_sweep(exp, out, executor=SerialExecutor(), progress=False)
    else:
        exp = load_experiment(write_experiment(d, SENS.format(kind="sobol", samples=4), ticks=5))
        run_sweep(exp, out, executor=SerialExecutor(), progress=False, run_fn=linear_trust)
    assert exlab("report", out, "--no-plots")[0] == 0
    return out


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                   max_size=4), max_leaves=12)


def _paths(node, prefix=()):
    """Every key path of a JSON document (lists by index), shallow first."""
    out = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for k, v in list(items)[:40]:
        out.append((*prefix, k))
        out.extend(_paths(v, (*prefix, k)))
    return out


@st.composite
def damaged_manifests(draw, manifest: dict) -> bytes:
    """A real manifest with one field deleted or replaced by any JSON value, or cut short."""
    m = copy.deepcopy(manifest)
    path = draw(st.sampled_from(_paths(m)))
    parent = m
    for k in path[:-1]:
        parent = parent[k]
    if draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(_json)
    text = json.dumps(m).encode()
    return text[: draw(st.integers(0, len(text)))] if draw(st.integers(0, 9)) == 0 else text


def _report_on_copy(results: Path, manifest: bytes, part: bytes | None) -> None:
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d) / "res"
        shutil.copytree(results, folder)
        (folder / "manifest.json").write_bytes(manifest)
        if part is not None:
            sorted((folder / "runs").glob("*.parquet"))[0].write_bytes(part)
        assert_clean(*exlab("report", folder, "--no-plots"))


@settings(SETTINGS, max_examples=40)
@given(data=st.data())
def test_report_answers_a_damaged_manifest_or_part_file_with_0_or_2(results, data):
    manifest = json.loads((results / "manifest.json").read_text())
    content = data.draw(damaged_manifests(manifest), label="manifest")
    part = data.draw(st.none() | st.binary(max_size=600), label="part file")
    _report_on_copy(results, content, part)


@settings(SETTINGS, max_examples=15)
@given(content=st.binary(max_size=2000) | _json.map(lambda v: json.dumps(v).encode()))
def test_report_answers_any_manifest_with_0_or_2(results, content):
    _report_on_copy(results, content, None)
