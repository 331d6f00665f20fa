"""State variables stay inside their documented ranges (``sim/state.py``) in any scenario.

Trust, satisfaction, the three expectation norms, recognition and attachment
live on [0, 1]; the entitled level never exceeds the dreamed one (Zeithaml,
Berry & Parasuraman 1993: adequate <= desired); evidence counts are never
negative; nothing is NaN. Checked after every tick over generated scenarios
whose behavioural rates and weights span their whole schema bounds.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim.model import ExchangeModel
from sim.state import ConsumerState

UNIT_INTERVAL = ("trust", "satisfaction", "predicted_quality", "adequate_quality",
                 "desired_quality", "recognition", "attachment", "last_quality", "need",
                 "help_received")
NON_NEGATIVE = ("evidence_pos", "evidence_neg", "expected_response_h", "from_firm", "from_peers")


def _violations(state: ConsumerState) -> list[str]:
    """Each bound checked directly on the arrays (independent of ``check_bounds``)."""
    bad = []
    for name in UNIT_INTERVAL + NON_NEGATIVE:
        a = getattr(state, name)
        if np.isnan(a).any():
            bad.append(f"{name} has NaN")
            continue
        if a.min() < 0:
            bad.append(f"{name} min {a.min()} < 0")
        if name in UNIT_INTERVAL and a.max() > 1:
            bad.append(f"{name} max {a.max()} > 1")
    over = state.adequate_quality > state.desired_quality
    if over.any():
        i = int(np.flatnonzero(over)[0])
        bad.append(f"adequate {state.adequate_quality[i]} > desired {state.desired_quality[i]} "
                   f"for consumer {i}")
    # Trust is the beta-reputation mean of its own evidence (Josang & Ismail 2002).
    expected = (state.evidence_pos + 1) / (state.evidence_pos + state.evidence_neg + 2)
    if not np.allclose(state.trust, expected, rtol=1e-5, atol=1e-6):
        bad.append("trust differs from (pos + 1) / (pos + neg + 2)")
    return bad


def test_state_variables_stay_in_bounds_in_any_scenario(random_scenarios):
    @given(sc=random_scenarios(behaviour=True), ticks=st.integers(5, 30))
    def check(sc, ticks):
        model = ExchangeModel(sc)
        assert _violations(model.state) == []
        for t in range(ticks):
            model.step()
            bad = _violations(model.state)
            assert bad == [], f"after tick {t + 1}: {bad}"
            assert model.state.check_bounds() == []

    check()


def test_recorded_means_are_in_bounds_and_not_nan_while_customers_remain(random_scenarios):
    @given(sc=random_scenarios(behaviour=True))
    def check(sc):
        model = ExchangeModel(sc)
        for _ in range(10):
            model.step()
        table = model.recorder.frame()
        alive = table["customers"] > 0
        for col in ("trust", "satisfaction", "attachment", "recognition", "expectation_quality",
                    "expectation_adequate", "expectation_desired"):
            values = table.loc[alive, col]
            assert values.notna().all(), col
            assert values.between(0.0, 1.0).all(), col

    check()


def test_check_bounds_reports_each_broken_variable(tiny_scenario):
    """The model's own bounds check is the oracle for its callers, so it must catch breakage."""
    model = ExchangeModel(tiny_scenario(), rng=1)
    assert model.state.check_bounds() == []
    st_ = model.state
    st_.trust[0] = 1.5
    st_.satisfaction[1] = np.nan
    st_.evidence_neg[2] = -0.1
    st_.adequate_quality[3] = 0.9
    st_.desired_quality[3] = 0.8
    bad = model.state.check_bounds()
    assert "trust" in bad
    assert "satisfaction" in bad
    assert "evidence_neg" in bad
    assert "adequate_quality > desired_quality" in bad


def test_extreme_but_valid_parameters_keep_state_in_bounds(tiny_scenario):
    """The corners of the schema: every rate at 1, heaviest weights, noisiest contacts."""
    sc = tiny_scenario(
        0.2, 0.3, 0.5,
        segments=[{"name": "everyone", "requests_per_month": 30.0, "desired_quality": 1.0,
                   "adequate_quality": 1.0, "predicted_quality": 1.0, "patience_h": 0.1,
                   "advisor_visits_per_year": 100.0}],
        firms=[{"name": "Firm", "quality": 1.0, "quality_trend_per_year": 1.0,
                "promise_quality": 1.0, "misuse_per_year": 50.0, "data_asked": 1.0,
                "data_needed": 0.0, "listening": True, "listening_rate": 1.0,
                "announced_response_h": 0.01}],
        satisfaction={"memory": 1.0, "gain_weight": 10.0, "loss_weight": 10.0,
                      "performance_weight": 5.0, "below_adequate_weight": 10.0},
        expectations={"predicted_rate": 1.0, "adequate_up_rate": 1.0, "adequate_down_rate": 1.0,
                      "desired_rate": 1.0, "response_rate": 1.0, "peer_weight": 1.0,
                      "announcement_weight": 1.0},
        trust={"forgetting": 0.5, "negative_weight": 10.0, "broken_promise_weight": 50.0,
               "recognition_decay": 1.0, "attachment_rate": 1.0},
        channels={"quality_noise": 1.0},
        wom={"base_rate": 1.0}, acquisition={"innovation": 1.0, "imitation": 5.0},
        churn={"max_rate_per_year": 52.0})
    model = ExchangeModel(sc, rng=3)
    for t in range(15):
        model.step()
        assert _violations(model.state) == [], f"after tick {t + 1}"
