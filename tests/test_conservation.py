"""Message conservation: sent = delivered + dropped + queued, after every tick, for every age.

An invariant in the epydemic sense: it must hold for any scenario, so it is
checked over generated scenarios (age mix, capacities down to none, loss,
leakage, churn, population, seed), not over one hand-picked run.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim.ages import ExchangeAge
from sim.messages import Ledger, MessageKind
from sim.model import ExchangeModel


def _assert_conserved(ledger: Ledger, when: str) -> None:
    for age in ExchangeAge:
        a = int(age)
        accounted = ledger.delivered[a] + ledger.dropped[a] + ledger.queued[a]
        assert ledger.sent[a] == accounted, (
            f"{when}, {age.name}: sent {ledger.sent[a]} != delivered {ledger.delivered[a]} "
            f"+ dropped {ledger.dropped[a]} + queued {ledger.queued[a]}")
        for name in ("sent", "delivered", "dropped", "queued"):
            assert getattr(ledger, name)[a] >= 0, f"{when}: negative {name} for {age.name}"
    assert ledger.balanced()


def test_every_sent_message_is_delivered_dropped_or_queued_in_any_scenario(random_scenarios):
    @given(sc=random_scenarios(), ticks=st.integers(5, 25))
    def check(sc, ticks):
        model = ExchangeModel(sc)
        previous = Ledger()
        for t in range(ticks):
            model.step()
            _assert_conserved(model.ledger, f"tick {t + 1}")
            # Cumulative counts never decrease.
            for name in ("sent", "delivered", "dropped"):
                assert np.all(getattr(model.ledger, name) >= getattr(previous, name))
            previous = Ledger(*(getattr(model.ledger, f).copy()
                                for f in ("sent", "delivered", "dropped", "queued")))

    check()


def test_queued_count_is_what_waits_in_the_queues(tiny_scenario):
    sc = tiny_scenario(0.5, 0.5, 0.0,
                       firms=[{"name": "Firm", "automation_share": 0.0,
                               "human_capacity_per_tick": 0.5}],
                       intermediaries=[{"name": "Platform", "kind": "platform",
                                        "capacity_per_1000": 5.0}])
    model = ExchangeModel(sc, rng=4)
    for _ in range(10):
        model.step()
        waiting = np.zeros(3, np.int64)
        for q in model.router.firm_queues + model.router.platform_queues:
            waiting += np.bincount(q.age, minlength=3)
        assert np.array_equal(model.ledger.queued, waiting)


def test_tiny_capacity_really_queues_and_drops_so_conservation_is_not_trivial(tiny_scenario):
    """With almost no human capacity and impatient consumers, requests wait and are abandoned.

    Relayed requests wait in backlogs across days (queued); calls wait on the line and hang up
    within the day (dropped, never queued overnight).
    """
    sc = tiny_scenario(
        0.5, 0.5, 0.0,
        segments=[{"name": "everyone", "requests_per_month": 20.0, "patience_h": 20.0, "phone_patience_min": 0.5}],
        firms=[{"name": "Firm", "automation_share": 0.0, "human_capacity_per_tick": 20.0, "phone_agents": 1}],
        intermediaries=[{"name": "Platform", "kind": "platform", "capacity_per_1000": 5.0,
                         "loss": 0.2}])
    model = ExchangeModel(sc, rng=9)
    queued_seen = np.zeros(3, bool)
    for t in range(20):
        model.step()
        _assert_conserved(model.ledger, f"tick {t + 1}")
        queued_seen |= model.ledger.queued > 0
    assert queued_seen[ExchangeAge.GENERALIZED], "nothing ever queued in a backlog"
    for age in (ExchangeAge.RESTRICTED, ExchangeAge.GENERALIZED):
        assert model.ledger.dropped[age] > 0, f"nothing dropped in {age.name}"
        assert model.ledger.delivered[age] > 0, f"nothing delivered in {age.name}"
    # One agent for about twice the calls one person can take: a large share of the calls is dropped.
    r = ExchangeAge.RESTRICTED
    assert model.ledger.dropped[r] > 0.5 * model.ledger.delivered[r]


def test_a_lossless_ample_platform_drops_nothing(tiny_scenario):
    sc = tiny_scenario(
        0.0, 1.0, 0.0,
        segments=[{"name": "everyone", "requests_per_month": 6.0, "patience_h": 10_000.0}],
        intermediaries=[{"name": "Platform", "kind": "platform", "capacity_per_1000": 10_000.0,
                         "loss": 0.0}],
        churn={"enabled": False})
    model = ExchangeModel(sc, rng=2)
    for _ in range(10):
        model.step()
    g = ExchangeAge.GENERALIZED
    assert model.ledger.sent[g] > 0
    assert model.ledger.dropped[g] == 0
    _assert_conserved(model.ledger, "end")


def test_a_platform_that_loses_everything_passes_no_request_on(tiny_scenario, run_model):
    sc = tiny_scenario(0.0, 1.0, 0.0, intermediaries=[
        {"name": "Platform", "kind": "platform", "capacity_per_1000": 10_000.0, "loss": 1.0}])
    model, msgs = run_model(sc, ticks=6, seed=2)
    g = ExchangeAge.GENERALIZED
    requests_sent = int(np.sum(msgs.kind == MessageKind.REQUEST))
    assert requests_sent > 0
    assert not np.any(msgs.kind == MessageKind.ANSWER)
    # Every request is lost at the platform, except those arriving after the last day's end
    # (sent late, plus the 4 h delay), which still wait there.
    assert model.ledger.dropped[g] + model.ledger.queued[g] == requests_sent
    assert model.ledger.dropped[g] > 0.8 * requests_sent
    _assert_conserved(model.ledger, "end")
