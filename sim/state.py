"""Consumer state: a struct of numpy arrays, one value per consumer (shape ``(N,)``).

Dtypes are chosen for memory at millions of consumers: quantities on [0, 1]
and hours are ``float32`` (about 7 significant digits, far finer than any
behavioural rule here); evidence counts are ``float32`` as well since they
stay below ~1e4 with daily forgetting. Firm and segment indices are small
integers. Every update is written in place so no consumer-sized array is
allocated per tick beyond the rules' temporaries.

Per variable (bytes per consumer):

- ``firm``: int16 (2), up to 32,767 firms, -1 for a prospect;
- ``segment``: int8 (1), up to 127 segments;
- ``need``, the three quality norms and ``predicted_start``, ``satisfaction``, ``trust``,
  ``recognition``, ``attachment``, ``last_quality``, ``help_received`` and the
  five traits: float32 (4 each), values on [0, 1] where float32 resolves 6e-8;
- ``expected_response_h``, ``patience_h``: float32 (4), hours up to 1e4 with
  a resolution below a second;
- ``evidence_pos``, ``evidence_neg``: float32 (4); with forgetting 0.99 a
  day evidence stays below ~100 times the daily weight, far from float32's
  limits; a day's contacts are summed in the float32 day book
  (sim/rules/daybook.py) and added once, in float64, then rounded;
- ``from_firm``, ``from_peers``: float32 (4); exact counts up to 2**24
  (16.7M messages per consumer, never reached in a run);
- ``treated``: bool (1).

Together 92 bytes per consumer (:data:`BYTES_PER_CONSUMER`); sim/memory.py
adds the model's rates, reusable buffers and temporaries to predict a run.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, fields

import numpy as np

from sim.rules.trust import initial_trust
from sim.scenario.schema import Scenario

__all__ = ["BYTES_PER_CONSUMER", "ConsumerState", "StateArrays"]

F32 = np.float32


@dataclass
class ConsumerState:
    """All consumer state variables.

    Attributes (unit):
        firm: index of the consumer's firm, -1 for a prospect (a consumer of no firm in the
            model, who can become a customer: sim/rules/acquisition.py).
        segment: index of its segment (segments occupy contiguous index ranges).
        need: taste position on [0, 1] a message can fit.
        predicted_quality, adequate_quality, desired_quality: the three norms
            (possible, entitled, dreamed), quality on [0, 1].
        predicted_start: predicted quality at day 0 (after the warm-up): the
            baseline of expectation inflation.
        expected_response_h: response time expected (hours).
        satisfaction: smoothed satisfaction on [0, 1].
        evidence_pos, evidence_neg: beta-reputation evidence about the firm.
        trust: sim.rules.trust.beta_trust of the evidence, on (0, 1).
        recognition: felt recognition on [0, 1].
        attachment: commitment on [0, 1].
        last_quality: recent perceived quality, what the consumer tells peers.
        help_received: recent help (answers, peers' talk), drives reciprocity.
        from_firm, from_peers: messages received from firms / from peers (cumulative).
        time_sensitivity, patience_h, privacy_sensitivity, share_propensity,
        recognition_seeking, human_need: individual traits.
        treated: campaign treatment group.
    """

    firm: np.ndarray
    segment: np.ndarray
    need: np.ndarray
    predicted_quality: np.ndarray
    predicted_start: np.ndarray
    adequate_quality: np.ndarray
    desired_quality: np.ndarray
    expected_response_h: np.ndarray
    satisfaction: np.ndarray
    evidence_pos: np.ndarray
    evidence_neg: np.ndarray
    trust: np.ndarray
    recognition: np.ndarray
    attachment: np.ndarray
    last_quality: np.ndarray
    help_received: np.ndarray
    from_firm: np.ndarray
    from_peers: np.ndarray
    time_sensitivity: np.ndarray
    patience_h: np.ndarray
    privacy_sensitivity: np.ndarray
    share_propensity: np.ndarray
    recognition_seeking: np.ndarray
    human_need: np.ndarray
    treated: np.ndarray

    @property
    def n(self) -> int:
        """Number of consumers."""
        return int(self.firm.shape[0])

    @classmethod
    def initial(cls, sc: Scenario, rng: np.random.Generator) -> ConsumerState:
        """Draw the initial population from the scenario's segments and firms."""
        n = sc.population.consumers
        shares = np.array([s.share for s in sc.segments], dtype=float)
        counts = np.floor(shares / shares.sum() * n).astype(np.int64)
        counts[np.argmax(shares)] += n - counts.sum()
        segment = np.repeat(np.arange(len(sc.segments), dtype=np.int8), counts)

        fshares = np.array([f.market_share for f in sc.firms], dtype=float)
        firm = rng.choice(len(sc.firms), size=n, p=fshares / fshares.sum()).astype(np.int16)

        def seg(attr: str) -> np.ndarray:
            return np.array([getattr(s, attr) for s in sc.segments], dtype=F32)[segment]

        def trait(attr: str) -> np.ndarray:
            x = seg(attr) + rng.normal(0, sc.population.trait_spread, n).astype(F32)
            return np.clip(x, 0, 1, out=x)

        need = np.clip(seg("need") + rng.normal(0, 1, n).astype(F32) * seg("need_spread"), 0, 1)
        pos = np.full(n, sc.trust.initial_positive, F32)
        neg = np.full(n, sc.trust.initial_negative, F32)
        patience = seg("patience_h") * rng.exponential(1.0, n).astype(F32)
        if sc.population.prospect_share > 0:  # the outside option: prospects are consumers of no firm
            firm[rng.random(n) < sc.population.prospect_share] = -1
        st = cls(
            firm=firm,
            segment=segment,
            need=need.astype(F32),
            predicted_quality=seg("predicted_quality"),
            predicted_start=seg("predicted_quality"),
            adequate_quality=seg("adequate_quality"),
            desired_quality=seg("desired_quality"),
            expected_response_h=seg("expected_response_h"),
            satisfaction=np.full(n, sc.satisfaction.initial, F32),
            evidence_pos=pos,
            evidence_neg=neg,
            trust=np.empty(n, F32),  # from the evidence, by the trust rule (below)
            recognition=np.zeros(n, F32),
            attachment=np.full(n, sc.trust.initial_attachment, F32),
            last_quality=seg("predicted_quality"),
            help_received=np.zeros(n, F32),
            from_firm=np.zeros(n, F32),
            from_peers=np.zeros(n, F32),
            time_sensitivity=trait("time_sensitivity"),
            patience_h=patience.astype(F32),
            privacy_sensitivity=trait("privacy_sensitivity"),
            share_propensity=trait("share_propensity"),
            recognition_seeking=trait("recognition_seeking"),
            human_need=trait("human_need"),
            treated=np.zeros(n, dtype=bool),
        )
        initial_trust(np.arange(n), st.arrays())
        return st

    def arrays(self) -> StateArrays:
        """The same arrays (not copies) as a named tuple, the form compiled passes take."""
        return StateArrays(*(getattr(self, n) for n in StateArrays._fields))

    def row(self, i: int) -> dict:
        """All variables of consumer ``i`` as plain Python values."""
        return {f.name: getattr(self, f.name)[i].item() for f in fields(self)}

    def check_bounds(self) -> list[str]:
        """Names of variables outside their documented range (empty when all hold)."""
        bad = []
        for name in ("need", "predicted_quality", "adequate_quality", "desired_quality",
                     "satisfaction", "trust", "recognition", "attachment", "last_quality",
                     "help_received"):
            a = getattr(self, name)
            if a.size and (np.nanmin(a) < 0 or np.nanmax(a) > 1 or np.isnan(a).any()):
                bad.append(name)
        for name in ("evidence_pos", "evidence_neg", "expected_response_h", "from_firm", "from_peers"):
            a = getattr(self, name)
            if a.size and (np.nanmin(a) < 0 or np.isnan(a).any()):
                bad.append(name)
        if np.any(self.adequate_quality > self.desired_quality + 1e-6):
            bad.append("adequate_quality > desired_quality")
        return bad


#: The state arrays as a named tuple (``ConsumerState.arrays()``): compiled passes read ``S.trust[i]``.
StateArrays = namedtuple("StateArrays", [f.name for f in fields(ConsumerState)])

#: Bytes of consumer state per consumer (arrays above), used by the memory estimate.
BYTES_PER_CONSUMER = 22 * 4 + 2 + 1 + 1
