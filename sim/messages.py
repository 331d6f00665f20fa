"""Typed messages carried in batches, and the conservation ledger.

Addresses: consumers are ``0..N-1``, firm ``f`` is ``N + f`` and intermediary
``k`` is ``N + F + k`` (see :class:`Addresses`). A broadcast to a firm's whole
public is one row whose receiver is :data:`BROADCAST`; the ledger counts it
once per consumer reached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

__all__ = ["BROADCAST", "Addresses", "Channel", "Ledger", "MessageBatch", "MessageKind"]

BROADCAST = -1


class MessageKind(IntEnum):
    """What a message is."""

    OFFER = 0            #: firm -> its public (broadcast)
    REQUEST = 1          #: consumer -> firm (possibly relayed)
    ANSWER = 2           #: firm -> consumer
    COMPLAINT = 3        #: consumer -> firm, private
    PUBLIC_POST = 4      #: consumer -> its network, public (a question or a complaint)
    PUBLIC_ANSWER = 5    #: firm -> a consumer and its network, public
    RECOMMENDATION = 6   #: consumer -> peer, positive word-of-mouth
    WARNING = 7          #: consumer -> peer, negative word-of-mouth
    AMPLIFIED = 8        #: intermediary (audience) -> its audience, a relayed public post


class Channel(IntEnum):
    """The medium a message travels on."""

    MAIL = 0
    AUTOMATED = 1   #: voice server, chatbot, app
    PHONE = 2       #: human answer by phone
    PLATFORM = 3    #: call platform's tele-advisor line
    SOCIAL = 4      #: public social media
    PEER = 5        #: private conversation between peers
    ADVISOR = 6     #: advisor meeting


_FIELDS = ("sender", "receiver", "kind", "channel", "age", "value", "sent_at", "arrives_at")


@dataclass
class MessageBatch:
    """Arrays describing messages, one row each.

    ``value`` is content quality on [0, 1] for offers, requests and answers, and
    valence (+1 / -1) for word-of-mouth. Times are in hours since the start.
    """

    sender: np.ndarray
    receiver: np.ndarray
    kind: np.ndarray
    channel: np.ndarray
    age: np.ndarray
    value: np.ndarray
    sent_at: np.ndarray
    arrives_at: np.ndarray

    @classmethod
    def make(cls, sender, receiver, kind, channel, age, value, sent_at, arrives_at=None):
        """Build a batch; scalars (one sender, one kind...) are repeated to the batch length.

        Raises:
            ValueError: when two array arguments have different lengths.
        """
        args = (sender, receiver, kind, channel, age, value, sent_at, arrives_at)
        sizes = {np.size(x) for x in args if x is not None and np.ndim(x) > 0}
        if len(sizes) > 1:
            raise ValueError(f"message arrays of different lengths: {sorted(sizes)}")
        n = sizes.pop() if sizes else 1

        def arr(x, dt):
            a = np.asarray(x, dtype=dt)
            return np.full(n, a, dtype=dt) if a.ndim == 0 else a

        sent = arr(sent_at, np.float64)
        return cls(arr(sender, np.int64), arr(receiver, np.int64), arr(kind, np.int8),
                   arr(channel, np.int8), arr(age, np.int8), arr(value, np.float32), sent,
                   sent.copy() if arrives_at is None else arr(arrives_at, np.float64))

    def __len__(self) -> int:
        return int(self.sender.shape[0])

    @classmethod
    def concat(cls, batches: list[MessageBatch]) -> MessageBatch:
        """Join batches row-wise."""
        if not batches:
            return cls.make(np.empty(0), np.empty(0), 0, 0, 0, 0.0, np.empty(0))
        return cls(*(np.concatenate([getattr(b, f) for b in batches]) for f in _FIELDS))

    def to_frame(self):
        """The batch as a pandas DataFrame with readable kind, channel and age names."""
        import pandas as pd

        from sim.ages import ExchangeAge

        df = pd.DataFrame({f: getattr(self, f) for f in _FIELDS})
        df["kind"] = [MessageKind(k).name.lower() for k in self.kind]
        df["channel"] = [Channel(c).name.lower() for c in self.channel]
        df["age"] = [ExchangeAge(a).name.lower() for a in self.age]
        return df


@dataclass(frozen=True)
class Addresses:
    """Maps agent kinds to message addresses."""

    n_consumers: int
    n_firms: int
    n_intermediaries: int

    def firm(self, f):
        """Address of firm ``f`` (int or array)."""
        return self.n_consumers + f

    def intermediary(self, k):
        """Address of intermediary ``k`` (int or array)."""
        return self.n_consumers + self.n_firms + k

    def kind_of(self, addr: np.ndarray) -> np.ndarray:
        """0 for consumers, 1 for firms, 2 for intermediaries, -1 for a broadcast."""
        addr = np.asarray(addr)
        out = np.zeros(addr.shape, dtype=np.int8)
        out[addr >= self.n_consumers] = 1
        out[addr >= self.n_consumers + self.n_firms] = 2
        out[addr == BROADCAST] = -1
        return out


@dataclass
class Ledger:
    """Cumulative message counts per exchange age: sent, delivered, dropped, queued.

    The invariant ``sent == delivered + dropped + queued`` holds after every
    tick, where ``queued`` is what waits in queues at the end of the tick.
    A message relayed through an intermediary counts once, when it is first
    sent, and is delivered when it reaches its final receiver.
    """

    sent: np.ndarray = field(default_factory=lambda: np.zeros(3, dtype=np.int64))
    delivered: np.ndarray = field(default_factory=lambda: np.zeros(3, dtype=np.int64))
    dropped: np.ndarray = field(default_factory=lambda: np.zeros(3, dtype=np.int64))
    queued: np.ndarray = field(default_factory=lambda: np.zeros(3, dtype=np.int64))

    def add(self, what: str, age: int, n: int) -> None:
        """Count ``n`` messages of ``age`` as sent, delivered or dropped."""
        getattr(self, what)[age] += int(n)

    def balanced(self) -> bool:
        """True when every sent message is delivered, dropped or still queued."""
        return bool(np.all(self.sent == self.delivered + self.dropped + self.queued))
