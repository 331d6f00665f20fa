"""The three agent classes: Firm, Intermediary and Consumer (all ``mesa.Agent``).

Firms and intermediaries are few and hold their own state. Consumers number
up to millions: their state lives in the model's :class:`~sim.state.ConsumerState`
arrays and a :class:`Consumer` is a view that reads and writes its row, so
``model.consumers[i].trust`` works for inspection and teaching.
"""

from __future__ import annotations

import operator
from dataclasses import fields
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.rules.firms import reputation_step
from sim.rules.privacy import personalization_bonus
from sim.state import ConsumerState

if TYPE_CHECKING:
    from sim.model import ExchangeModel
    from sim.scenario.schema import FirmParams, IntermediaryParams

__all__ = ["Consumer", "ConsumerCollection", "Firm", "Intermediary"]


class Firm(mesa.Agent):
    """A firm: promise, delivered quality per segment, channels, stance (listening, publicity)."""

    def __init__(self, model: ExchangeModel, index: int, params: FirmParams):
        super().__init__(model)
        self.index = index
        self.params = params
        self.name = params.name
        self.customers = 0
        n_seg = len(model.params.segments)
        base = np.array([params.segment_quality.get(s.name, params.quality)
                         for s in model.params.segments], dtype=np.float64)
        self.base_quality = base
        self.offer_quality = base.copy()
        mean_need = float(np.average([s.need for s in model.params.segments],
                                     weights=[s.share for s in model.params.segments]))
        # Without listening, every segment's message is built for the average customer.
        self.content = np.full(n_seg, mean_need)
        self.reputation = model.params.wom.initial_reputation
        self.reputation_hits = 0
        self.reputation_praise = 0
        self.misuse_events = 0

    def quality_by_segment(self) -> np.ndarray:
        """Quality delivered to each segment, with the personalisation that data allows."""
        sc = self.model.params
        bonus = personalization_bonus(self.params, sc.privacy.enabled, sc.privacy.personalization_gain)
        return np.clip(self.offer_quality + bonus, 0.0, 1.0)

    def promise_by_segment(self) -> np.ndarray:
        """Quality promised to each segment (0 = no promise)."""
        p = self.params
        return np.array([p.segment_promise.get(s.name, p.promise_quality)
                         for s in self.model.params.segments], dtype=np.float64)

    def monolithic_content(self) -> float:
        """The one message sent to the whole public: built for the average customer."""
        return float(np.average(self.content, weights=[s.share for s in self.model.params.segments]))

    def advisors(self) -> float:
        """Number of advisors employed."""
        return self.params.advisors_per_10k * self.customers / 10_000.0

    def update_reputation(self) -> None:
        """Public reputation follows the valence of the day's public talk (sim.rules.firms.reputation_step)."""
        self.reputation = reputation_step(self.reputation, self.reputation_praise, self.reputation_hits,
                                          self.model.params.wom.reputation_rate)
        self.reputation_hits = self.reputation_praise = 0


class Intermediary(mesa.Agent):
    """A call platform (relays requests in generalized exchange) or a blogger (amplifies in complex)."""

    def __init__(self, model: ExchangeModel, index: int, params: IntermediaryParams):
        super().__init__(model)
        self.index = index
        self.params = params
        self.name = params.name
        self.kind = params.kind


_STATE_FIELDS = [f.name for f in fields(ConsumerState)]


#: Consumer variables computed by the rules from others: reading them is fine, writing them is refused.
DERIVED = {"trust": "it is computed from evidence_pos and evidence_neg every day; set those instead"}


class Consumer(mesa.Agent):
    """A view on row ``index`` of the consumer state arrays.

    Every state variable (``trust``, ``satisfaction``, ``firm``, ...) is a
    property that reads and writes the model's arrays; derived variables
    (:data:`DERIVED`) refuse writes. Views are not registered in
    ``model.agents`` (which holds firms and intermediaries): consumers are
    reached through ``model.consumers``, so Mesa tools see the same agent set
    whichever views exist. ``unique_id`` is ``index + 1``.
    """

    def __init__(self, model: ExchangeModel, index: int):
        # mesa.Agent.__init__ would register the view in model.agents: set its fields directly.
        self.model = model
        self.unique_id = index + 1
        self.pos = None
        self.index = index

    def as_dict(self) -> dict:
        """All state variables of this consumer."""
        return self.model.state.row(self.index)

    def neighbours(self) -> np.ndarray:
        """Indices of this consumer's ties in the social graph."""
        return self.model.graph.neighbours(self.index)

    def __repr__(self) -> str:
        return f"Consumer({self.index}, firm={self.firm}, trust={self.trust:.3f})"


def _make_property(name: str) -> property:
    def get(self):
        return getattr(self.model.state, name)[self.index].item()

    def set_(self, value):
        if name in DERIVED:
            raise AttributeError(f"consumer {self.index}: {name} cannot be set: {DERIVED[name]}")
        getattr(self.model.state, name)[self.index] = value

    return property(get, set_, doc=f"The consumer's ``{name}`` (see ConsumerState).")


for _name in _STATE_FIELDS:
    setattr(Consumer, _name, _make_property(_name))


class ConsumerCollection:
    """``model.consumers``: creates Consumer agents on first access and keeps them.

    Creating an agent draws no random numbers and changes no state, so runs
    give the same numbers whether or not agents were created.
    """

    def __init__(self, model: ExchangeModel):
        self._model = model
        self._agents: dict[int, Consumer] = {}

    def __len__(self) -> int:
        return self._model.n

    def __getitem__(self, index: int) -> Consumer:
        # operator.index: a float or a string is a TypeError, not silently truncated.
        i = given = operator.index(index)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"consumer {given} out of range 0..{len(self) - 1} "
                             f"(or -{len(self)}..-1 from the end)")
        if i not in self._agents:
            self._agents[i] = Consumer(self._model, i)
        return self._agents[i]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def materialize(self) -> list[Consumer]:
        """Create every Consumer agent (for small teaching models)."""
        return list(self)
