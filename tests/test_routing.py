"""Who may send what to whom under each of Bagozzi's (1975) exchange ages.

- restricted: consumer <-> firm, no intermediary ever;
- generalized: consumer -> platform -> firm -> consumer, each hop later than the last;
- complex: public posts reach the poster's ties in the social graph.

The expectations come from the age definitions in ``sim/routing.py``'s
module docstring and Bagozzi (1975), not from the engine's output.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.ages import ExchangeAge
from sim.messages import Channel, MessageKind

CONSUMER, FIRM, INTERMEDIARY, BROADCAST = 0, 1, 2, -1


def _kinds(model, batch):
    return model.addr.kind_of(batch.sender), model.addr.kind_of(batch.receiver)


def _platform_and_blogger(**platform):
    return [{"name": "Platform", "kind": "platform", **platform},
            {"name": "Blog", "kind": "blogger", "audience_share": 0.5, "amplification": 1.0}]


# ---------------------------------------------------------------- restricted
def test_restricted_exchange_never_routes_through_an_intermediary(tiny_scenario, run_model):
    sc = tiny_scenario(1.0, 0.0, 0.0, intermediaries=_platform_and_blogger(),
                       firms=[{"name": "Firm", "automation_share": 0.5,
                               "broadcast_every_ticks": 5}])
    model, msgs = run_model(sc, ticks=15)
    sender, receiver = _kinds(model, msgs)
    kind = msgs.kind
    # The run really exchanged requests, answers and offers with the firm.
    assert np.any((kind == MessageKind.REQUEST) & (receiver == FIRM))
    assert np.any((kind == MessageKind.ANSWER) & (sender == FIRM) & (receiver == CONSUMER))
    assert np.any(kind == MessageKind.OFFER)
    assert not np.any(sender == INTERMEDIARY)
    assert not np.any(receiver == INTERMEDIARY)
    assert not np.any(msgs.channel == Channel.PLATFORM)


def test_restricted_messages_in_a_mixed_world_never_touch_an_intermediary(tiny_scenario, run_model):
    sc = tiny_scenario(0.4, 0.3, 0.3, intermediaries=_platform_and_blogger())
    model, msgs = run_model(sc, ticks=15)
    sender, receiver = _kinds(model, msgs)
    restricted = msgs.age == ExchangeAge.RESTRICTED
    assert restricted.sum() > 0
    # Intermediaries do appear in this world, just never in restricted exchange.
    assert np.any((sender == INTERMEDIARY) | (receiver == INTERMEDIARY))
    assert not np.any(restricted & ((sender == INTERMEDIARY) | (receiver == INTERMEDIARY)))


def test_restricted_requests_go_straight_from_consumer_to_firm(tiny_scenario, run_model):
    sc = tiny_scenario(1.0, 0.0, 0.0)
    model, msgs = run_model(sc, ticks=10)
    sender, receiver = _kinds(model, msgs)
    req = msgs.kind == MessageKind.REQUEST
    assert req.sum() > 0
    assert np.all(sender[req] == CONSUMER)
    assert np.all(receiver[req] == FIRM)


# ---------------------------------------------------------------- generalized
DELAY_H = 6.0
HUMAN_RESPONSE_H = 2.0


@pytest.fixture(scope="module")
def generalized_run(tiny_scenario, run_model):
    sc = tiny_scenario(0.0, 1.0, 0.0,
                       intermediaries=[{"name": "Platform", "kind": "platform", "delay_h": DELAY_H,
                                        "capacity_per_1000": 1000.0, "loss": 0.0}],
                       channels={"human_response_h": HUMAN_RESPONSE_H})
    return run_model(sc, ticks=15)


def test_generalized_consumer_requests_go_to_an_intermediary(generalized_run):
    model, msgs = generalized_run
    sender, receiver = _kinds(model, msgs)
    from_consumer = (msgs.kind == MessageKind.REQUEST) & (sender == CONSUMER)
    assert from_consumer.sum() > 0
    assert np.all(receiver[from_consumer] == INTERMEDIARY)
    platform = model.addr.intermediary(0)
    assert np.all(msgs.receiver[from_consumer] == platform)


def test_generalized_request_reaches_the_firm_only_via_an_intermediary(generalized_run):
    model, msgs = generalized_run
    sender, receiver = _kinds(model, msgs)
    to_firm = (msgs.kind == MessageKind.REQUEST) & (receiver == FIRM)
    assert to_firm.sum() > 0
    assert np.all(sender[to_firm] == INTERMEDIARY)


def test_generalized_request_arrives_later_than_it_was_sent(generalized_run):
    """Each hop through the platform adds its delay_h (6 h in this scenario)."""
    model, msgs = generalized_run
    sender, receiver = _kinds(model, msgs)
    req = msgs.kind == MessageKind.REQUEST
    first_hop = req & (sender == CONSUMER) & (receiver == INTERMEDIARY)
    second_hop = req & (sender == INTERMEDIARY) & (receiver == FIRM)
    assert first_hop.sum() > 0 and second_hop.sum() > 0
    assert np.all(msgs.arrives_at[first_hop] > msgs.sent_at[first_hop])
    np.testing.assert_allclose(msgs.arrives_at[first_hop] - msgs.sent_at[first_hop], DELAY_H)
    np.testing.assert_allclose(msgs.arrives_at[second_hop] - msgs.sent_at[second_hop], DELAY_H)


def test_generalized_answer_comes_after_the_consumers_request_and_both_hops(generalized_run):
    """An answer cannot precede send time + platform delay + the firm's handling time."""
    model, msgs = generalized_run
    sender, receiver = _kinds(model, msgs)
    req = (msgs.kind == MessageKind.REQUEST) & (sender == CONSUMER)
    ans = (msgs.kind == MessageKind.ANSWER) & (receiver == CONSUMER)
    assert ans.sum() > 0
    earliest_request = {}
    for c, t in zip(msgs.sender[req], msgs.sent_at[req], strict=True):
        earliest_request[int(c)] = min(t, earliest_request.get(int(c), np.inf))
    for c, t in zip(msgs.receiver[ans], msgs.sent_at[ans], strict=True):
        assert int(c) in earliest_request, f"consumer {c} got an answer without asking"
        assert t >= earliest_request[int(c)] + DELAY_H + HUMAN_RESPONSE_H - 1e-9


def test_generalized_requests_are_never_answered_directly_by_automation(generalized_run):
    model, msgs = generalized_run
    assert not np.any((msgs.kind == MessageKind.ANSWER) & (msgs.channel == Channel.AUTOMATED))


def test_generalized_request_without_capacity_on_the_platform_never_reaches_the_firm(
        tiny_scenario, run_model):
    sc = tiny_scenario(0.0, 1.0, 0.0, intermediaries=[
        {"name": "Platform", "kind": "platform", "capacity_per_1000": 0.0}])
    model, msgs = run_model(sc, ticks=8)
    _, receiver = _kinds(model, msgs)
    assert np.any((msgs.kind == MessageKind.REQUEST) & (receiver == INTERMEDIARY))
    assert not np.any((msgs.kind == MessageKind.REQUEST) & (receiver == FIRM))
    assert not np.any(msgs.kind == MessageKind.ANSWER)
    assert model.ledger.queued[ExchangeAge.GENERALIZED] > 0


def test_leakage_sends_requests_to_a_line_not_meant_for_the_segment(tiny_scenario, run_model):
    segments = [{"name": "a", "requests_per_month": 10.0},
                {"name": "b", "requests_per_month": 10.0}]
    lines = [{"name": "line a", "kind": "platform", "segments": ["a"]},
             {"name": "line b", "kind": "platform", "segments": ["b"]}]

    def wrong_line_share(leakage):
        sc = tiny_scenario(0.0, 1.0, 0.0, segments=segments, intermediaries=lines,
                           exchange={"leakage": leakage})
        model, msgs = run_model(sc, ticks=5)
        req = (msgs.kind == MessageKind.REQUEST) & (model.addr.kind_of(msgs.sender) == CONSUMER)
        line = msgs.receiver[req] - model.addr.intermediary(0)
        return float(np.mean(line != model.state.segment[msgs.sender[req]]))

    assert wrong_line_share(0.0) == 0.0
    # With two lines every leaked request lands on the other line: expect about half.
    assert 0.35 < wrong_line_share(0.5) < 0.65


# ---------------------------------------------------------------- complex
@pytest.fixture(scope="module")
def complex_run(tiny_scenario, run_model):
    sc = tiny_scenario(0.0, 0.0, 1.0, firms=[{"name": "Firm", "answer_in_public": 0.5}],
                       intermediaries=_platform_and_blogger())
    return run_model(sc, ticks=10)


def test_complex_exchange_delivers_peers_public_posts_to_consumers(complex_run):
    model, msgs = complex_run
    sender, receiver = _kinds(model, msgs)
    posts = (msgs.kind == MessageKind.PUBLIC_POST) & (sender == CONSUMER) & (receiver == CONSUMER)
    assert posts.sum() > 0
    assert np.all(msgs.channel[posts] == Channel.SOCIAL)
    assert np.all(msgs.age[posts] == ExchangeAge.COMPLEX)


def test_public_posts_reach_only_ties_of_the_poster(complex_run):
    model, msgs = complex_run
    posts = msgs.kind == MessageKind.PUBLIC_POST
    g = model.graph
    for s, r in zip(msgs.sender[posts], msgs.receiver[posts], strict=True):
        assert r in g.indices[g.indptr[s]:g.indptr[s + 1]], f"{r} is not a tie of {s}"


def test_a_full_public_reach_shows_a_post_to_every_tie(tiny_scenario, run_model):
    sc = tiny_scenario(0.0, 0.0, 1.0, wom={"public_reach": 1.0, "enabled": False, "reshare_rate": 0.0})
    model, msgs = run_model(sc, ticks=1)
    posts = msgs.kind == MessageKind.PUBLIC_POST
    assert posts.sum() > 0
    # Without word-of-mouth the only posts are today's public requests: each poster's
    # audience is its whole neighbourhood (counted once per post).
    requests = (msgs.kind == MessageKind.REQUEST) & (msgs.channel == Channel.SOCIAL)
    expected = int(model.degree[msgs.sender[requests]].sum())
    assert int(posts.sum()) == expected


def test_complex_requests_are_answered_by_the_firm_in_public_or_private(complex_run):
    model, msgs = complex_run
    sender, receiver = _kinds(model, msgs)
    answers = np.isin(msgs.kind, [MessageKind.ANSWER, MessageKind.PUBLIC_ANSWER])
    assert np.any(msgs.kind == MessageKind.PUBLIC_ANSWER)
    assert np.all(sender[answers] == FIRM)
    assert np.all(receiver[answers] == CONSUMER)
    assert np.all(msgs.arrives_at[answers] > msgs.sent_at[answers] - 1e-9)


def test_bloggers_amplify_public_complaints_to_their_audience(tiny_scenario, run_model):
    # A poor firm makes posters dissatisfied, so public posts are complaints.
    sc = tiny_scenario(0.0, 0.0, 1.0, firms=[{"name": "Firm", "quality": 0.0}],
                       segments=[{"name": "everyone", "requests_per_month": 10.0,
                                  "predicted_quality": 0.9, "share_propensity": 1.0}],
                       intermediaries=_platform_and_blogger())
    model, msgs = run_model(sc, ticks=10)
    sender, receiver = _kinds(model, msgs)
    amplified = msgs.kind == MessageKind.AMPLIFIED
    assert amplified.sum() > 0
    assert np.all(sender[amplified] == INTERMEDIARY)
    assert np.all(receiver[amplified] == BROADCAST)
    assert np.all(msgs.age[amplified] == ExchangeAge.COMPLEX)


# ---------------------------------------------------------------- answers and promises
def test_answers_later_than_a_promised_response_time_cost_trust(tiny_scenario):
    """Coherence (seed 002): a promise of 1 h broken by 2 h human answers is negative evidence.

    Same seed with and without the promise, so the only difference is the broken promise.
    """
    from sim.model import ExchangeModel

    def mean_trust(promise_h):
        sc = tiny_scenario(1.0, 0.0, 0.0,
                           firms=[{"name": "Firm", "automation_share": 0.0,
                                   "promise_response_h": promise_h}],
                           channels={"human_response_h": 2.0})
        model = ExchangeModel(sc, rng=5)
        for _ in range(10):
            model.step()
        return float(model.state.trust.mean())

    assert mean_trust(1.0) < mean_trust(0.0)
