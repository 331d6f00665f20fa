"""Typed message batches, addresses and the conservation ledger, on hand-sized inputs.

Expected values are worked out by hand from the address layout documented in
``sim/messages.py``: consumers 0..N-1, firm f at N + f, intermediary k at N + F + k.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.ages import ExchangeAge
from sim.messages import BROADCAST, Addresses, Channel, Ledger, MessageBatch, MessageKind


# ---------------------------------------------------------------- addresses
@pytest.fixture
def addr() -> Addresses:
    return Addresses(n_consumers=5, n_firms=2, n_intermediaries=3)


def test_addresses_put_firms_after_consumers_and_intermediaries_after_firms(addr):
    assert addr.firm(0) == 5 and addr.firm(1) == 6
    assert addr.intermediary(0) == 7 and addr.intermediary(2) == 9
    assert np.array_equal(addr.firm(np.array([1, 0])), [6, 5])


def test_kind_of_classifies_every_address(addr):
    #            consumers    firms  intermediaries  broadcast
    addresses = [0, 1, 4,     5, 6,  7, 8, 9,        BROADCAST]
    expected = [0, 0, 0,      1, 1,  2, 2, 2,        -1]
    assert addr.kind_of(np.array(addresses)).tolist() == expected


def test_kind_of_an_empty_batch_is_empty(addr):
    assert addr.kind_of(np.empty(0, np.int64)).shape == (0,)


# ---------------------------------------------------------------- batches
def test_make_broadcasts_scalars_to_the_number_of_senders():
    b = MessageBatch.make([0, 1, 2], 7, MessageKind.REQUEST, Channel.PLATFORM,
                          ExchangeAge.GENERALIZED, 0.5, [1.0, 2.0, 3.0], [5.0, 6.0, 7.0])
    assert len(b) == 3
    assert b.receiver.tolist() == [7, 7, 7]
    assert b.kind.tolist() == [MessageKind.REQUEST] * 3
    assert b.age.tolist() == [ExchangeAge.GENERALIZED] * 3
    assert np.allclose(b.value, 0.5)
    assert (b.arrives_at - b.sent_at).tolist() == [4.0, 4.0, 4.0]


def test_make_without_arrival_time_arrives_when_sent():
    b = MessageBatch.make([3], [4], MessageKind.RECOMMENDATION, Channel.PEER,
                          ExchangeAge.RESTRICTED, 1.0, [12.5])
    assert b.arrives_at.tolist() == [12.5]
    b.sent_at[0] = 0.0
    assert b.arrives_at[0] == 12.5, "arrival must be a copy, not the same array"


def test_a_single_sender_is_broadcast_to_every_receiver():
    b = MessageBatch.make(3, [4, 5, 6], MessageKind.OFFER, Channel.MAIL, 0, 0.5, 1.0)
    assert len(b) == 3
    assert b.sender.tolist() == [3, 3, 3]
    assert b.receiver.tolist() == [4, 5, 6]
    assert b.sent_at.tolist() == [1.0, 1.0, 1.0]


def test_arrays_of_different_lengths_are_rejected():
    with pytest.raises(ValueError):
        MessageBatch.make([1, 2], [4, 5, 6], MessageKind.REQUEST, Channel.PHONE, 0, 0.0, 1.0)


def test_concat_joins_rows_in_order_and_empty_concat_is_empty():
    a = MessageBatch.make([0], [5], MessageKind.REQUEST, Channel.PHONE, 0, 0.0, [1.0])
    b = MessageBatch.make([5, 5], [0, 1], MessageKind.ANSWER, Channel.PHONE, 0, 0.0, [3.0, 4.0])
    ab = MessageBatch.concat([a, b])
    assert ab.sender.tolist() == [0, 5, 5]
    assert ab.kind.tolist() == [MessageKind.REQUEST, MessageKind.ANSWER, MessageKind.ANSWER]
    empty = MessageBatch.concat([])
    assert len(empty) == 0
    assert len(MessageBatch.concat([empty, a])) == 1


def test_to_frame_names_kinds_channels_and_ages():
    b = MessageBatch.make([0, 6], [6, 0], [MessageKind.PUBLIC_POST, MessageKind.PUBLIC_ANSWER],
                          Channel.SOCIAL, ExchangeAge.COMPLEX, 0.0, [0.0, 1.0])
    df = b.to_frame()
    assert df["kind"].tolist() == ["public_post", "public_answer"]
    assert df["channel"].tolist() == ["social", "social"]
    assert df["age"].tolist() == ["complex", "complex"]
    assert list(df.columns) == ["sender", "receiver", "kind", "channel", "age", "value",
                                "sent_at", "arrives_at"]


def test_a_models_last_messages_hold_exactly_the_last_tick(tiny_scenario):
    from sim.model import ExchangeModel

    m = ExchangeModel(tiny_scenario(0.5, 0.0, 0.5), rng=1, record_messages=True)
    for _ in range(3):
        m.step()
    msgs = m.last_messages
    assert len(msgs) > 0
    # Tick 3 covers hours [48, 72); answers may come out later, nothing is sent earlier.
    assert msgs.sent_at.min() >= 48.0
    requests = msgs.kind == MessageKind.REQUEST
    assert np.all(msgs.sent_at[requests] < 72.0)


def test_messages_are_not_kept_unless_asked(tiny_scenario):
    from sim.model import ExchangeModel

    m = ExchangeModel(tiny_scenario(), rng=1)
    m.step()
    assert len(m.last_messages) == 0
    assert m.ledger.sent.sum() > 0


# ---------------------------------------------------------------- ledger
def test_ledger_is_balanced_only_when_every_sent_message_is_accounted_for():
    ledger = Ledger()
    assert ledger.balanced()
    ledger.add("sent", ExchangeAge.GENERALIZED, 10)
    assert not ledger.balanced()
    ledger.add("delivered", ExchangeAge.GENERALIZED, 6)
    ledger.add("dropped", ExchangeAge.GENERALIZED, 1)
    ledger.queued[ExchangeAge.GENERALIZED] = 3
    assert ledger.balanced()
    ledger.add("sent", ExchangeAge.RESTRICTED, 1)
    assert not ledger.balanced(), "a surplus in another age must not be hidden by totals"
