"""The model keeps Mesa's contract: one agent set, one clock, a real scenario object."""

from __future__ import annotations

import mesa
import pytest
from mesa.experimental.scenarios import Scenario as MesaScenario

from sim.agents import Consumer, Firm, Intermediary
from sim.model import ExchangeModel
from sim.scenario.schema import Scenario


def _model(**kw):
    return ExchangeModel(Scenario(), population__consumers=200, run__ticks=5, **kw)


def test_model_agents_hold_firms_and_intermediaries_whatever_views_exist():
    m = _model()
    before = set(m.agents)
    assert before == set(m.firms) | set(m.intermediaries)
    assert all(isinstance(a, (Firm, Intermediary)) for a in before)
    c = m.consumers[7]
    _ = [m.consumers[i].trust for i in range(50)]
    assert set(m.agents) == before
    assert isinstance(c, mesa.Agent) and isinstance(c, Consumer)
    assert c.model is m and c.unique_id == 8


def test_a_derived_consumer_field_refuses_writes_with_a_reason():
    m = _model()
    with pytest.raises(AttributeError, match="trust cannot be set: it is computed from evidence_pos"):
        m.consumers[3].trust = 0.9
    m.consumers[3].evidence_pos = 50.0  # the source of trust can be set, and trust follows next day
    m.step()
    assert m.consumers[3].trust > 0.9


def test_one_clock_mesa_steps():
    m = _model()
    for _ in range(3):
        m.step()
    assert m.steps == m.tick == 3
    assert len(m.recorder.frame()) == 3
    with pytest.raises(AttributeError):
        m.tick = 0


def test_model_scenario_is_a_mesa_scenario_holding_the_parameters():
    sc = Scenario()
    m = ExchangeModel(sc, rng=4)
    assert isinstance(m.scenario, MesaScenario)
    assert m.scenario.params is m.params and m.scenario.rng == 4 and m.scenario.model is m
