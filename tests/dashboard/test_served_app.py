"""Safety of the served app: bounded uploads, no traceback for visitors, localhost by default."""

import re
import time
import tomllib
from pathlib import Path

import pytest

from dashboard.uploads import MAX_NESTING, MAX_UPLOAD_MB, nesting_depth, read_upload
from sim.scenario import list_presets

REPO = Path(__file__).resolve().parents[2]


def test_every_preset_is_read_and_shallow():
    for p in list_presets():
        text = p.path.read_text()
        assert nesting_depth(text) <= 3, p.name
        assert read_upload(p.path.name, len(text), text.encode()).ok, p.name


def test_brackets_in_strings_and_comments_do_not_count():
    text = 'name = "[[[[{{{{"  # [[[[[[[[[[[[[[[[[[\nx = \'\'\'\n[[[[[[[[[[\n\'\'\'\ny = [[1], [2]]\n'
    assert nesting_depth(text) == 2


@pytest.mark.parametrize("opening,closing", [(b"[", b"]"), (b"{a=", b"}")])
def test_deep_nesting_is_refused_quickly_without_recursion(opening, closing):
    deep = b"a = " + opening * 100_000 + b"1" * (opening == b"{a=") + closing * 100_000 + b"\n"
    t0 = time.perf_counter()
    res = read_upload("deep.toml", len(deep), deep)
    assert not res.ok and f"more than {MAX_NESTING} levels deep" in res.message
    assert time.perf_counter() - t0 < 1.0


def test_oversized_uploads_are_refused_before_parsing():
    res = read_upload("big.toml", 5_000_000, b"")
    assert not res.ok and "limited to 1,000 kB" in res.message


def test_the_server_bounds_uploads_hides_tracebacks_and_listens_on_localhost():
    cfg = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert cfg["server"]["maxUploadSize"] <= MAX_UPLOAD_MB
    assert cfg["server"]["address"] == "127.0.0.1"
    assert cfg["client"]["showErrorDetails"] == "none"  # "false" would still show a stack trace
    make = (REPO / "Makefile").read_text()
    assert re.search(r"^HOST \?= 127\.0\.0\.1$", make, re.M)
    run = make.split("\nrun:")[1].split("\n\n")[0]
    assert "--server.address $(HOST)" in run and "--client.showErrorDetails none" in run
    assert f"--server.maxUploadSize {MAX_UPLOAD_MB}" in run


def test_the_readme_documents_the_classroom_switch_and_the_run_cap():
    readme = (REPO / "README.md").read_text()
    dash = readme.split("## Dashboard")[1].split("\n## ")[0]
    assert "make run HOST=0.0.0.0" in dash
    assert "EXLAB_DASHBOARD_MAX_RUN_S" in dash
