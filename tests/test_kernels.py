"""The compiled per-consumer passes give exactly the numpy results, and small runs never compile."""

import subprocess
import sys
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.model import ExchangeModel
from sim.rules.kernels import COMPILE_FROM, use_compiled
from sim.scenario import scenario_from_dict, scenario_to_dict
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def _bank(n=3000, ticks=120):
    sc = load_scenario(ROOT / "scenarios" / "bank_5m.toml")
    return replace(sc, population=replace(sc.population, consumers=n), run=replace(sc.run, ticks=ticks))


def _two_firms_with_churn():
    """Two competing firms (different promises, announcements and privacy), churn and switching on."""
    d = scenario_to_dict(_bank(3000, 150))
    bank = d["firms"][0]
    challenger = dict(bank, name="Challenger", market_share=0.4, quality=0.6, promise_quality=0.9,
                      announced_response_h=0.0, promise_response_h=4.0, data_asked=0.9, misuse_per_year=6.0,
                      automation_share=0.8)
    d["firms"] = [dict(bank, market_share=0.6), challenger]
    d["churn"] = {"enabled": True, "max_rate_per_year": 3.0}
    return scenario_from_dict(d)


def _run(sc, kernels):
    m = ExchangeModel(sc, kernels=kernels)
    while m.running:
        m.step()
    return m


def _switches():
    """Mechanisms off or on that change which branches the passes take."""
    d = scenario_to_dict(_bank(2000, 120))
    d["expectations"] = {"enabled": False}
    d["wom"] = {"enabled": False}
    d["privacy"] = {"enabled": False}
    d["exchange"] = {"restricted": 0.3, "generalized": 0.2, "complex": 0.5}
    d["campaign"] = dict(d.get("campaign", {}), enabled=True, quality_boost=0.2, start_tick=10, duration_ticks=50)
    d["failure"] = {"enabled": True, "start_tick": 30, "duration_ticks": 20, "affected_share": 0.2}
    d["firms"][0] = dict(d["firms"][0], message_fit="monolithic", appointments=True, promise_quality=0.0)
    return scenario_from_dict(d)


@pytest.mark.parametrize("make", [_bank, _two_firms_with_churn, _switches],
                         ids=["bank", "two firms with churn", "mechanisms switched"])
def test_compiled_and_numpy_paths_give_identical_runs(make):
    sc = make()
    a, b = _run(sc, "numpy"), _run(sc, "compiled")
    assert not a.kernels.compiled and b.kernels.compiled
    pd.testing.assert_frame_equal(a.recorder.frame(), b.recorder.frame(), check_exact=True)
    for f in fields(a.state):
        assert np.array_equal(getattr(a.state, f.name), getattr(b.state, f.name)), f.name
    assert np.array_equal(a.influence.exerted, b.influence.exerted)
    # The runs did exercise what the passes compute.
    table = a.recorder.frame()
    assert table["churn"].sum() > 0
    assert len(sc.firms) == 1 or len(np.unique(a.state.firm)) == len(sc.firms)
    assert table["wom_volume"].sum() > 0 and table["contacts_human"].sum() > 0  # public posts when talk is off


def test_a_small_run_does_not_load_the_compiler():
    code = ("import sys; from sim import Scenario, simulate; from sim.scenario import with_overrides; "
            f"simulate(with_overrides(Scenario(), {{'population.consumers': {COMPILE_FROM - 1}}}), ticks=5); "
            "print('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_kernel_choice():
    assert not use_compiled(COMPILE_FROM - 1, "auto") and use_compiled(COMPILE_FROM, "auto")
    assert use_compiled(10, "compiled") and not use_compiled(10**7, "numpy")
    with pytest.raises(ValueError, match="expected 'auto', 'numpy' or 'compiled', got 'fast'"):
        use_compiled(10, "fast")
