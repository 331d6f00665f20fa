"""Shared fixtures: tiny scenarios, a model runner that keeps every tick's messages,
hypothesis profiles and a strategy of random small scenarios.

Scenarios are built from plain dicts, exactly as a TOML file would give them,
so every scenario a test uses has passed the loader's validation.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from sim.messages import MessageBatch
from sim.model import ExchangeModel
from sim.scenario import Scenario, scenario_from_dict

settings.register_profile(
    "default", max_examples=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "thorough", max_examples=200, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("EXLAB_HYPOTHESIS_PROFILE", "default"))


# ---------------------------------------------------------------- tiny scenarios
def _merge(base: dict, extra: dict) -> dict:
    """Recursive dict merge; lists (arrays of tables) are replaced, not merged."""
    out = copy.deepcopy(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


TINY_BASE: dict = {
    "name": "tiny",
    "run": {"ticks": 20, "seed": 11, "warmup_days": 0},  # routing mechanics from the initial state
    "population": {"consumers": 300},
    "segments": [{"name": "everyone", "requests_per_month": 6.0}],
    "firms": [{"name": "Firm", "automation_share": 0.3}],
    "intermediaries": [{"name": "Platform", "kind": "platform", "delay_h": 4.0}],
    "network": {"kind": "watts_strogatz", "mean_degree": 6},
}


def make_tiny_scenario(restricted: float = 1.0, generalized: float = 0.0, complex: float = 0.0,
                       **sections) -> Scenario:
    """A validated scenario of a few hundred consumers with busy request traffic.

    ``sections`` are merged into the TOML-shaped dict (``run={"ticks": 5}``,
    ``firms=[{...}]``); arrays of tables given here replace the defaults.
    """
    data = _merge(TINY_BASE, {"exchange": {"restricted": restricted, "generalized": generalized,
                                           "complex": complex}})
    data = _merge(data, sections)
    return scenario_from_dict(data, "tiny scenario")


@pytest.fixture(scope="session")
def tiny_scenario() -> Callable[..., Scenario]:
    """Factory of tiny validated scenarios (see :func:`make_tiny_scenario`)."""
    return make_tiny_scenario


def run_recording(scenario: Scenario, ticks: int, seed: int = 0,
                  each_tick: Callable[[ExchangeModel], None] | None = None,
                  ) -> tuple[ExchangeModel, MessageBatch]:
    """Run a model that records messages; return it and the messages of every tick joined."""
    model = ExchangeModel(scenario, rng=seed, record_messages=True)
    batches = []
    for _ in range(ticks):
        model.step()
        batches.append(model.last_messages)
        if each_tick:
            each_tick(model)
    return model, MessageBatch.concat(batches)


@pytest.fixture(scope="session")
def run_model() -> Callable[..., tuple[ExchangeModel, MessageBatch]]:
    """Runner that keeps every tick's messages (see :func:`run_recording`)."""
    return run_recording


# ---------------------------------------------------------------- random scenarios
_FAST_GRAPHS = ("watts_strogatz", "erdos_renyi", "barabasi_albert", "sbm")


@st.composite
def _age_mix(draw) -> tuple[float, float, float]:
    """Three shares summing to one; each age is often exactly absent or exactly alone."""
    raw = [draw(st.sampled_from([0.0, 0.0, 1.0]) | st.floats(0.0, 1.0)) for _ in range(3)]
    if sum(raw) == 0:
        raw[draw(st.integers(0, 2))] = 1.0
    total = sum(raw)
    r, g, c = (x / total for x in raw)
    return r, g, c


@st.composite
def random_scenario_dict(draw, behaviour: bool = False) -> dict:
    """A TOML-shaped dict of a small random scenario.

    Varies the age mix, segments and their demand and patience, firms with
    tiny to ample human capacity, platforms with tiny capacity, loss and
    leakage, a blogger, churn and the graph. With ``behaviour`` it also varies
    the rates and weights of the behavioural rules over their whole bounds.
    """
    n = draw(st.integers(100, 700))
    r, g, c = draw(_age_mix())
    n_seg = draw(st.integers(1, 3))
    segments = []
    for i in range(n_seg):
        desired = draw(st.floats(0.0, 1.0))
        segments.append({
            "name": f"s{i}",
            "share": draw(st.floats(0.05, 1.0)),
            "desired_quality": desired,
            "adequate_quality": draw(st.floats(0.0, desired)),
            "predicted_quality": draw(st.floats(0.0, 1.0)),
            "need": draw(st.floats(0.0, 1.0)),
            "requests_per_month": draw(st.floats(0.0, 30.0)),
            "patience_h": draw(st.sampled_from([0.1, 2.0, 30.0, 500.0])),
            "expected_response_h": draw(st.floats(0.01, 100.0)),
            "advisor_visits_per_year": draw(st.floats(0.0, 20.0)),
            "share_propensity": draw(st.floats(0.0, 1.0)),
            "human_need": draw(st.floats(0.0, 1.0)),
        })
    names = [s["name"] for s in segments]
    firms = []
    for i in range(draw(st.integers(1, 3))):
        firms.append({
            "name": f"f{i}",
            "market_share": draw(st.floats(0.1, 1.0)),
            "quality": draw(st.floats(0.0, 1.0)),
            "automation_share": draw(st.floats(0.0, 1.0)),
            # 0 = sized to demand; small values leave a handful of answers a day or none.
            "human_capacity_per_tick": draw(st.sampled_from([0.0, 0.5, 3.0, 20.0, 200.0])),
            "answer_in_public": draw(st.floats(0.0, 1.0)),
            "broadcast_every_ticks": draw(st.sampled_from([0, 1, 7])),
        })
    intermediaries = []
    for k in range(draw(st.integers(1, 2))):
        intermediaries.append({
            "name": f"p{k}",
            "kind": "platform",
            "segments": draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names))),
            "capacity_per_1000": draw(st.sampled_from([0.0, 1.0, 5.0, 50.0, 1000.0])),
            "delay_h": draw(st.floats(0.0, 48.0)),
            "loss": draw(st.floats(0.0, 1.0)),
            "distortion": draw(st.floats(0.0, 1.0)),
        })
    if draw(st.booleans()):
        intermediaries.append({"name": "blog", "kind": "blogger",
                               "audience_share": draw(st.floats(0.0, 1.0)),
                               "amplification": draw(st.floats(0.0, 1.0))})
    data = {
        "name": "random",
        "run": {"ticks": 30, "seed": draw(st.integers(0, 2**32 - 1)), "warmup_days": draw(st.sampled_from([0, 6]))},
        "population": {"consumers": n},
        "segments": segments,
        "firms": firms,
        "intermediaries": intermediaries,
        "exchange": {"restricted": r, "generalized": g, "complex": c,
                     "leakage": draw(st.floats(0.0, 1.0))},
        "network": {"kind": draw(st.sampled_from(_FAST_GRAPHS)),
                    "mean_degree": draw(st.floats(2.0, 12.0))},
        "churn": {"max_rate_per_year": draw(st.sampled_from([0.0, 0.6, 52.0]))},
        "wom": {"public_reach": draw(st.floats(0.0, 1.0))},
    }
    if behaviour:
        unit = st.floats(0.0, 1.0)
        data["channels"] = {"quality_noise": unit, "automated_quality": unit, "human_quality": unit}
        data["satisfaction"] = {"performance_weight": st.floats(0.0, 5.0),
                                "gain_weight": st.floats(0.0, 10.0),
                                "loss_weight": st.floats(0.0, 10.0),
                                "below_adequate_weight": st.floats(0.0, 10.0),
                                "memory": unit}
        data["expectations"] = {"enabled": st.booleans(), "predicted_rate": unit,
                                "adequate_up_rate": unit, "adequate_down_rate": unit,
                                "desired_rate": unit, "response_rate": unit,
                                "peer_weight": unit, "announcement_weight": unit}
        data["trust"] = {"forgetting": st.floats(0.5, 1.0), "negative_weight": st.floats(1.0, 10.0),
                         "routine_weight": st.floats(0.0, 10.0),
                         "request_weight": st.floats(0.0, 10.0),
                         "intense_weight": st.floats(0.0, 10.0),
                         "recognition_weight": st.floats(0.0, 10.0),
                         "broken_promise_weight": st.floats(0.0, 50.0), "wom_weight": st.floats(0.0, 10.0),
                         "public_weight": st.floats(0.0, 10.0),
                         "recognition_decay": unit, "attachment_rate": unit}
        data["privacy"] = {"overask_weight": st.floats(0.0, 10.0),
                           "misuse_weight": st.floats(0.0, 100.0)}
        for section in ("channels", "satisfaction", "expectations", "trust", "privacy"):
            data[section] = {k: draw(v) for k, v in data[section].items()}
        for f in firms:
            f.update(promise_quality=draw(unit), data_asked=draw(unit), data_needed=draw(unit),
                     personalization=draw(unit), misuse_per_year=draw(st.floats(0.0, 50.0)),
                     announced_response_h=draw(st.floats(0.0, 100.0)),
                     promise_response_h=draw(st.floats(0.0, 100.0)),
                     listening=draw(st.booleans()), appointments=draw(st.booleans()),
                     quality_trend_per_year=draw(st.floats(-1.0, 1.0)))
    return data


@pytest.fixture(scope="session")
def random_scenarios() -> Callable[..., st.SearchStrategy[Scenario]]:
    """``random_scenarios(behaviour=False)``: a strategy of small validated random scenarios."""
    def strategy(behaviour: bool = False) -> st.SearchStrategy[Scenario]:
        return random_scenario_dict(behaviour).map(lambda d: scenario_from_dict(d, "random"))
    return strategy


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator for tests that need random inputs of their own."""
    return np.random.default_rng(20260101)
