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
        self.reputation = 0.5
        self.reputation_hits = 0
        self.reputation_praise = 0
        self.misuse_events = 0

    def update_quality(self, tick: int) -> None:
        """Delivered quality drifts with the firm's yearly trend (service improvement)."""
        drift = self.params.quality_trend_per_year / 365.0
        if drift:
            self.offer_quality = np.clip(self.offer_quality + drift, 0.0, 1.0)

    def quality_by_segment(self) -> np.ndarray:
        """Quality delivered to each segment, with the personalisation that data allows."""
        p = self.params
        bonus = 0.1 * p.personalization * min(p.data_asked, 1.0) if self.model.params.privacy.enabled \
            else 0.1 * p.personalization * p.data_needed
        return np.clip(self.offer_quality + bonus, 0.0, 1.0)

    def promise_by_segment(self) -> np.ndarray:
        """Quality promised to each segment (0 = no promise)."""
        p = self.params
        return np.array([p.segment_promise.get(s.name, p.promise_quality)
                         for s in self.model.params.segments], dtype=np.float64)

    def monolithic_content(self) -> float:
        """The one message sent to the whole public: built for the average customer."""
        return float(np.average(self.content, weights=[s.share for s in self.model.params.segments]))

    def human_capacity(self, customers: int, mix: np.ndarray) -> float:
        """Human answers per day; sized to ``staffing_ratio`` x expected demand when the scenario gives 0."""
        cap = self.params.human_capacity_per_tick
        if cap > 0:
            return np.floor(cap * customers / 1000.0)
        m = self.model
        demand = float(m.customers_by_firm_segment[self.index] @ m.seg_rate_request) if customers else 0.0
        # Restricted and non-public complex requests follow the automation share; relayed
        # (generalized) requests all reach a person.
        direct = mix[0] + mix[2] * (1 - self.params.answer_in_public)
        human_share = direct * (1 - self.params.automation_share) + mix[1]
        return np.ceil(self.params.staffing_ratio * demand * human_share)

    def advisors(self) -> float:
        """Number of advisors employed."""
        return self.params.advisors_per_10k * self.customers / 10_000.0

    def meeting_capacity(self) -> float:
        """Advisor meetings the firm can hold today."""
        return np.floor(self.advisors() * self.params.advisor_meetings_per_day)

    def update_reputation(self) -> None:
        """Public reputation: a moving average of the valence of public talk about the firm."""
        total = self.reputation_hits + self.reputation_praise
        if total:
            target = self.reputation_praise / total
            self.reputation += 0.05 * (target - self.reputation)
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


class Consumer(mesa.Agent):
    """A view on row ``index`` of the consumer state arrays.

    Every state variable (``trust``, ``satisfaction``, ``firm``, ...) is a
    property that reads and writes the model's arrays.
    """

    def __init__(self, model: ExchangeModel, index: int):
        super().__init__(model)
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
