import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

APP = str(REPO / "dashboard" / "app.py")


@pytest.fixture
def app(tmp_path, monkeypatch):
    """A fresh dashboard session whose Experiments page reads an empty results root."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("EXLAB_RESULTS_ROOT", str(tmp_path / "results"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def small_lab(at, consumers: int = 400, ticks: int = 20):
    """Shrink the Scenario lab's run so a test run takes a fraction of a second."""
    at.number_input(key="lab:default_bank:consumers").set_value(consumers)
    at.number_input(key="lab:default_bank:ticks").set_value(ticks)
    return at.run()


def press_run(at):
    at.button(key="lab_run").click()
    at.run()
    assert not at.exception, at.exception
    return at
