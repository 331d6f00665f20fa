"""ExchangeModel: the Mesa model that wires state, graph and agents together and runs the day.

``step()`` creates the day's :class:`~sim.day.Day`, runs the phases of
:data:`sim.phases.PHASES` in order (docs/ODD.md, "Process overview", is
generated from that list) and records the outcome row. The model holds no
equation: each lives in its mechanism's module under ``sim/rules/``.

Mesa's contract (Mesa 3.5):

- ``model.agents`` holds the firms and the intermediaries. Consumers number up
  to millions and live in numpy arrays (:class:`~sim.state.ConsumerState`);
  ``model.consumers`` is a view collection that gives a :class:`~sim.agents.Consumer`
  agent per row on demand (``model.consumers[42].trust``). Consumer views are
  not registered in ``model.agents`` so that Mesa tools see the same agent set
  whichever views a user happened to create.
- One clock: Mesa's ``model.steps`` counts the days simulated (``model.tick``
  is the same number, read-only).
- ``model.scenario`` is an :class:`ExchangeScenario` (Mesa's ``Scenario``
  type) whose ``params`` is the run's :class:`~sim.scenario.schema.Scenario`;
  ``model.params`` is the same object.
"""

from __future__ import annotations

from collections import deque
from types import SimpleNamespace

import mesa
import numpy as np
from mesa.experimental.scenarios import Scenario as MesaScenario

from sim.agents import ConsumerCollection, Firm, Intermediary
from sim.ages import AgeMix
from sim.day import Day
from sim.messages import Addresses, Ledger, MessageBatch, MessageKind
from sim.metrics import OutcomeRecorder, outcome_row
from sim.network import InfluenceTracker, build_social_graph
from sim.phases import DAYS_PER_MONTH, PHASES
from sim.routing import Router
from sim.rules.cascades import CascadeWork
from sim.rules.daybook import DayBook
from sim.rules.jit import set_threads
from sim.rules.params import group
from sim.scenario.loader import with_overrides
from sim.scenario.schema import Scenario
from sim.seeds import RngTree
from sim.state import ConsumerState
from sim.warmup import AVERAGED, accumulate, settle, settle_norms, warmup_scenario

__all__ = ["ExchangeModel", "ExchangeScenario"]



def _groups(sc: Scenario) -> SimpleNamespace:
    """The parameter groups the compiled passes take (sim/rules/params.py)."""
    return SimpleNamespace(sat=group(sc.satisfaction), exp=group(sc.expectations), trust=group(sc.trust),
                           ch=group(sc.channels), wom=group(sc.wom), churn=group(sc.churn), offers=group(sc.offers))


class ExchangeScenario(MesaScenario):
    """Mesa's scenario object for a run: the seed (``rng``) and the scenario (``params``)."""


class ExchangeModel(mesa.Model):
    """A customer-relationship exchange network under Bagozzi's three ages.

    Args:
        scenario: The scenario (defaults to ``Scenario()``).
        rng: Root seed; defaults to ``scenario.run.seed``.
        record_messages: Keep every message of the last tick in
            ``last_messages`` (for teaching and tests; costly at scale).
        **overrides: Parameters by path with ``__`` for dots, e.g.
            ``exchange__complex=0.5`` (lets ``mesa.batch_run`` vary them).
    """

    def __init__(self, scenario: Scenario | None = None, rng: int | None = None, *,
                 record_messages: bool = False, **overrides):
        sc = scenario or Scenario()
        if overrides:
            sc = with_overrides(sc, {k.replace("__", "."): v for k, v in overrides.items()})
        seed = sc.run.seed if rng is None else int(rng)
        super().__init__(rng=seed, scenario=ExchangeScenario(rng=seed, params=sc))
        self.params = sc
        self.seed = seed
        self.seeds = RngTree(seed)
        self.record_messages = record_messages
        self.running = True

        n = sc.population.consumers
        self.n = n
        self.threads = set_threads(n)
        self.state = ConsumerState.initial(sc, self.seeds("population"))
        self.S = self.state.arrays()
        self.graph = build_social_graph(sc.network, n, self.state.segment, self.seeds.int_seed("graph"))
        self.degree = self.graph.degree
        self.age_mix = AgeMix(sc.exchange)
        self.addr = Addresses(n, len(sc.firms), len(sc.intermediaries))
        self.ledger = Ledger()
        self.influence = InfluenceTracker(n, sc.influence.max_edges)
        self.groups = _groups(sc)
        self.book = DayBook(n)                     # the day's contacts per consumer (sim/rules/daybook.py)
        self.gain = np.zeros(n, np.float32)        # recognition gained today, from experience to relationships
        self.talkers = np.empty(n, np.int32)       # today's talkers (word of mouth)
        self.cascade_work = CascadeWork.allocate(n, sc.wom.max_exposures_per_day)
        self.p_reshare = np.minimum(sc.wom.reshare_rate * 2.0 * self.state.share_propensity.astype(np.float64), 1.0)
        self.cascade_log: list = []
        self.recorder = OutcomeRecorder(sc.run.ticks)
        self.last_messages = MessageBatch.concat([])
        self.message_counts = np.zeros((len(MessageKind), 3), np.int64)
        self.last_day: Day | None = None

        self.firms = [Firm(self, i, fp) for i, fp in enumerate(sc.firms)]
        self.intermediaries = [Intermediary(self, k, ip) for k, ip in enumerate(sc.intermediaries)]
        self.consumers = ConsumerCollection(self)
        self._init_segments()
        self._init_channels()
        self._init_campaign()
        self._window = deque(maxlen=sc.influence.control_window_days)
        self._warmup_recorder = OutcomeRecorder(sc.run.warmup_days)
        self._warm_up()

    # ================================================================ set-up
    def _init_segments(self) -> None:
        sc, st = self.params, self.state
        seg = st.segment
        self.rate_advisor = (np.array([s.advisor_visits_per_year for s in sc.segments]) / 365.0)[seg].astype(
            np.float32)
        # Segments occupy contiguous ranges of consumers: rates per range draw events without thinning.
        if np.any(seg[1:] < seg[:-1]):
            raise ValueError("consumer state: segments must occupy contiguous, ordered index ranges")
        self.seg_bounds = np.searchsorted(seg, np.arange(len(sc.segments) + 1))
        per = {name: np.array([getattr(s, name) for s in sc.segments]) for name in
               ("statements_per_month", "app_checks_per_month", "atm_uses_per_month", "requests_per_month")}
        self.seg_rate_statement = per["statements_per_month"] / DAYS_PER_MONTH
        self.seg_rate_self = (per["app_checks_per_month"] / DAYS_PER_MONTH
                              + per["atm_uses_per_month"] / DAYS_PER_MONTH)
        self.seg_rate_request = per["requests_per_month"] / DAYS_PER_MONTH
        self.seg_names = [s.name for s in sc.segments]

    def _init_channels(self) -> None:
        sc = self.params
        # Each consumer's mean patience on the phone, in hours (its segment's).
        self.phone_patience_h = (np.array([s.phone_patience_min for s in sc.segments], np.float32) / 60)[
            self.state.segment]
        platforms = [k for k, m in enumerate(sc.intermediaries) if m.kind == "platform"]
        self.platform_ids = platforms
        line = np.zeros(len(sc.segments), np.int64)
        for s, name in enumerate(self.seg_names):
            for slot, k in enumerate(platforms):
                served = sc.intermediaries[k].segments
                if not served or name in served:
                    line[s] = slot
                    break
        self.router = Router(self.addr, len(sc.firms), len(platforms), platforms, line)
        pm = [sc.intermediaries[k] for k in platforms]
        self.platform_delay = np.array([m.delay_h for m in pm])
        self.platform_loss = np.array([m.loss for m in pm])
        self.platform_distortion = np.array([m.distortion for m in pm], dtype=np.float32)
        self.platform_cost = np.array([m.cost_per_message_eur for m in pm])
        self.platform_cap_per_1000 = np.array([m.capacity_per_1000 for m in pm])
        self.bloggers = [k for k, m in enumerate(sc.intermediaries) if m.kind == "blogger"]
        aud_rng = self.seeds("audiences")
        self.audience = {k: np.sort(aud_rng.choice(self.n, int(sc.intermediaries[k].audience_share * self.n),
                                                   replace=False))
                         for k in self.bloggers}

    def _init_campaign(self) -> None:
        c = self.params.campaign
        if c.enabled:
            self.state.treated[:] = self.seeds("campaign").random(self.n) < c.treated_share
        self._treated_idx = np.flatnonzero(self.state.treated)
        fp = self.params.failure
        self.failure_hit = (self.seeds("failure").random(self.n) < fp.affected_share) if fp.enabled \
            else np.zeros(self.n, bool)

    # ================================================================ clock and helpers
    @property
    def tick(self) -> int:
        """Days simulated so far: Mesa's ``steps`` (read-only)."""
        return self.steps

    @property
    def active(self) -> np.ndarray:
        """Boolean mask of consumers still with a firm."""
        return self.state.firm >= 0

    # ================================================================ the schedule
    def _run_day(self, t: int, recorder: OutcomeRecorder) -> Day:
        day = Day(tick=t, now_h=24.0 * t, mix=self.age_mix.at(max(t, 0)), active=self.state.firm >= 0)
        for phase in PHASES:
            phase.run(self, day)
        self._record(day, recorder)
        return day

    def _warm_up(self) -> None:
        """Days -warmup_days..-1 with every rate sped up (sim/warmup.py); then day 0's baselines are taken."""
        sc = self.params
        w = sc.run.warmup_days
        if w > 0:
            # Stage 1 (days -w..-w/2): every rate sped up; its second half's averages settle the norms.
            # Stage 2 (days -w/2..-1): norms at normal speed; its averages settle the relationships.
            stages = ((-w, -(w // 2), warmup_scenario(sc), settle_norms),
                      (-(w // 2), 0, warmup_scenario(sc, norms=False), None))
            try:
                for start, end, fast, _ in stages:
                    self.params, self.groups = fast, _groups(fast)
                    quarter = start + (end - start) // 2
                    firm_before = self.state.firm.copy()
                    sums = np.zeros((self.n, len(AVERAGED)), np.float32)
                    counts = np.zeros(self.n, np.int32)
                    for t in range(start, end):
                        self._run_day(t, self._warmup_recorder)
                        if t >= quarter:
                            accumulate(self.S, firm_before, sums, counts)
                    if end < 0:
                        settle_norms(self.S, sums, counts, self.groups.exp)
            finally:
                self.params, self.groups = sc, _groups(sc)
            settle(self.S, sums, counts, sc.trust.forgetting / max(fast.trust.forgetting, 1e-9), self.groups.trust)
            del sums, counts, firm_before
            # What happened before day 1 is not part of the run's record; requests still waiting
            # count as sent before it, so the ledger stays balanced.
            waiting = self.router.queued_by_age()
            self.ledger = Ledger(sent=waiting.copy(), queued=waiting.copy())
            self.influence = InfluenceTracker(self.n, sc.influence.max_edges)
            self.message_counts[:] = 0
            self.cascade_log.clear()
            self._window.clear()
            for f in self.firms:
                f.misuse_events = 0
        self.state.predicted_start[:] = self.state.predicted_quality

    def warmup_table(self):
        """The warm-up's outcome rows (ticks -warmup_days..-1), with sped-up rates: for inspection only."""
        df = self._warmup_recorder.frame()
        df["tick"] -= self.params.run.warmup_days + 1
        return df

    def cascades_table(self):
        """One row per public post of the run, with its cascade (sim/rules/cascades.py).

        Columns: day, author, valence, size (sharers, author included), depth
        (longest chain of reshares), reach (distinct viewers), truncated (cut
        by the daily bound ``wom.max_exposures_per_day``).
        """
        import pandas as pd

        cols = ("tick", "author", "valence", "size", "depth", "reach", "truncated")
        if not self.cascade_log:
            return pd.DataFrame({c: [] for c in cols})
        parts = [pd.DataFrame(dict(zip(cols, (np.full(p.size, t + 1), p, v, s, d, r, tr_), strict=True)))
                 for t, p, v, s, d, r, tr_ in self.cascade_log]
        return pd.concat(parts, ignore_index=True)

    def step(self) -> None:
        """One day: the phases of ``sim.phases.PHASES`` in order, then the outcome row."""
        day = self._run_day(self.steps - 1, self.recorder)  # Mesa counts this step already
        if self.record_messages:
            self.last_messages = MessageBatch.concat(day.messages)
        self.last_day = day
        if self.steps >= self.params.run.ticks:
            self.running = False

    # ================================================================ outcomes
    def firm_table(self):
        """Per-firm end-of-run table: customers, trust, satisfaction, reputation, misuse events."""
        import pandas as pd

        st = self.state
        rows = []
        for f in self.firms:
            m = st.firm == f.index
            rows.append({"firm": f.name, "customers": int(m.sum()),
                         "trust": float(st.trust[m].mean()) if m.any() else float("nan"),
                         "satisfaction": float(st.satisfaction[m].mean()) if m.any() else float("nan"),
                         "reputation": f.reputation, "misuse_events": f.misuse_events})
        return pd.DataFrame(rows)

    def _record(self, d: Day, recorder: OutcomeRecorder) -> None:
        """Firms update their reputation; the day's outcome row is written (sim.metrics.outcome_row)."""
        for f in self.firms:
            f.update_reputation()
        self._window.append((d.firm_msgs, d.peer_msgs))
        recorder.record(outcome_row(self, d))
