"""ExchangeModel: the Mesa model that wires state, graph, agents and rules together.

``step()`` reads like the ODD schedule (docs/ODD.md, "Process overview"):

1. firms act (quality, listening, broadcast offers);
2. routine contacts (statements, app checks, cash machines);
3. requests are routed under the day's age mix and queues are served;
4. advisor meetings (intense contacts, capacity-limited);
5. privacy (data asked beyond need, misuse events);
6. experience: satisfaction and expectations from today's contacts;
7. word-of-mouth on the social graph (private talk, public posts, audiences);
8. relationships: trust, recognition, attachment from today's evidence;
9. churn and switching;
10. Bass adoption submodel (when switched on);
11. outcomes recorded.

Consumer state lives in :class:`~sim.state.ConsumerState` arrays; every phase
is vectorized over consumers. Consumer agents are views created on demand by
``model.consumers[i]``; creating them draws no random numbers, so results do
not depend on whether they exist.
"""

from __future__ import annotations

from collections import deque

import mesa
import numpy as np

from sim.agents import ConsumerCollection, Firm, Intermediary
from sim.ages import AgeMix, ExchangeAge
from sim.messages import BROADCAST, Addresses, Channel, Ledger, MessageBatch, MessageKind
from sim.metrics import OutcomeRecorder
from sim.network import InfluenceTracker, build_social_graph
from sim.routing import Router, Served
from sim.rules.kernels import BOOK_COLUMNS, SUMMED, Kernels, use_compiled
from sim.rules.sampling import bernoulli_candidates, poisson_events, poisson_events_by_range, thinned
from sim.scenario.loader import with_overrides
from sim.scenario.schema import Scenario
from sim.seeds import RngTree
from sim.state import ConsumerState

__all__ = ["ExchangeModel"]

DAYS_PER_MONTH = 365.0 / 12.0
PEER_HELP = 0.1        # help felt per peer message received (reciprocity driver, decays below)
HELP_DECAY = 0.9       # daily persistence of felt help
APPOINTMENT_RELIEF = 0.7  # share of the lateness penalty removed when a person answers at a booked time
REPUTATION_MEMORY = 0.05


def _expand_csr(indptr: np.ndarray, indices: np.ndarray, nodes: np.ndarray):
    """All (node, neighbour) pairs for ``nodes``: vectorized CSR row expansion."""
    starts = indptr[nodes]
    counts = indptr[nodes + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    src = np.repeat(nodes, counts)
    offs = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return src, indices[np.repeat(starts, counts) + offs].astype(np.int64)


class ExchangeModel(mesa.Model):
    """A customer-relationship exchange network under Bagozzi's three ages.

    Args:
        scenario: The scenario (defaults to ``Scenario()``).
        rng: Root seed; defaults to ``scenario.run.seed``.
        record_messages: Keep every message of the last tick in
            ``last_messages`` (for teaching and tests; costly at scale).
        kernels: ``"auto"`` (default: compiled per-consumer passes from
            20,000 consumers), ``"numpy"`` or ``"compiled"``; both give
            identical results (sim/rules/kernels.py).
        **overrides: Parameters by path with ``__`` for dots, e.g.
            ``exchange__complex=0.5`` (lets ``mesa.batch_run`` vary them).
    """

    def __init__(self, scenario: Scenario | None = None, rng: int | None = None, *,
                 record_messages: bool = False, kernels: str | None = None, **overrides):
        sc = scenario or Scenario()
        if overrides:
            sc = with_overrides(sc, {k.replace("__", "."): v for k, v in overrides.items()})
        seed = sc.run.seed if rng is None else int(rng)
        super().__init__(rng=seed)
        self.params = sc
        self.seed = seed
        self.seeds = RngTree(seed)
        self.record_messages = record_messages
        self.tick = 0
        self.running = True

        n = sc.population.consumers
        self.n = n
        self.state = ConsumerState.initial(sc, self.seeds("population"))
        self.graph = build_social_graph(sc.network, n, self.state.segment,
                                        self.seeds.int_seed("graph"))
        self.degree = self.graph.degree
        self.age_mix = AgeMix(sc.exchange)
        self.addr = Addresses(n, len(sc.firms), len(sc.intermediaries))
        self.ledger = Ledger()
        self.influence = InfluenceTracker(n, sc.influence.max_edges)
        self.kernels = Kernels(use_compiled(n, kernels))
        self.book = np.zeros((n, BOOK_COLUMNS), np.float32)  # the day's contacts per consumer (sim/rules/kernels.py)
        self._touched = np.zeros(n, np.uint8)  # rows of the book written today
        self._gain = np.zeros(n, np.float32)  # recognition gained today
        self._sums = np.zeros(len(SUMMED))     # today's sums over active consumers (relationships pass)
        self._privacy_k = np.zeros(len(sc.firms))  # today's privacy evidence per unit of sensitivity, per firm
        self._posts = (np.empty(0, np.int64), np.empty(0))  # today's public requests, read with today's talk
        self.recorder = OutcomeRecorder(sc.run.ticks)
        self.last_messages = MessageBatch.concat([])
        self.message_counts = np.zeros((len(MessageKind), 3), np.int64)

        self.firms = [Firm(self, i, fp) for i, fp in enumerate(sc.firms)]
        self.intermediaries = [Intermediary(self, k, ip) for k, ip in enumerate(sc.intermediaries)]
        self.consumers = ConsumerCollection(self)
        self._init_segments()
        self._init_channels()
        self._init_campaign()
        self._e0 = float(self.state.predicted_quality.mean())
        self._talkers = np.empty(self.n, np.int32)
        self._window = deque(maxlen=30)

    # ================================================================ set-up
    def _init_segments(self) -> None:
        sc, st = self.params, self.state
        seg = st.segment
        rate = lambda attr, per: (np.array([getattr(s, attr) for s in sc.segments]) / per)[seg]  # noqa: E731
        self.rate_advisor = rate("advisor_visits_per_year", 365.0).astype(np.float32)
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
        self.seg_need = np.array([s.need for s in sc.segments])

    def _init_channels(self) -> None:
        sc = self.params
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

    # ================================================================ helpers
    @property
    def active(self) -> np.ndarray:
        """Boolean mask of consumers still with a firm."""
        return self.state.firm >= 0

    def firm_quality_table(self) -> np.ndarray:
        """Delivered quality, shape (firms, segments), including personalisation."""
        return np.array([f.quality_by_segment() for f in self.firms])

    def _experience_contacts(self, idx, perceived, weight, penalty=0.0, recog=0.0):
        """Score contacts of consumers ``idx`` and write them in the day book; return satisfaction.

        Satisfaction follows sim/rules/experience.py (disconfirmation, zone of
        tolerance, lateness ``penalty``); evidence is graded around 0.5; a
        promise is the standard of coherence (seed 002): falling short of it is
        negative evidence, keeping it a little positive evidence.
        """
        st, sc = self.state, self.params
        s = np.empty(idx.size)
        if not idx.size:
            return s
        p = sc.satisfaction
        self.kernels.score(self.book, self._touched, idx, np.asarray(perceived, np.float64), float(weight),
                           np.atleast_1d(np.asarray(penalty, np.float64)),
                           np.atleast_1d(np.asarray(recog, np.float64)),
                           st.predicted_quality, st.adequate_quality, st.firm, st.segment, self.promise_table,
                           p.performance_weight, p.gain_weight, p.loss_weight, p.below_adequate_weight,
                           sc.trust.negative_weight, sc.trust.promise_weight, s)
        return s

    def _quality_noise(self, rng, k):
        return rng.normal(0.0, self.params.channels.quality_noise, k)

    # ================================================================ the schedule
    def step(self) -> None:
        """One day: the eleven phases in ODD order (see module docstring)."""
        t = self.tick
        now_h = 24.0 * t
        mix = self.age_mix.at(t)
        self._mix = mix
        self._act = self.state.firm >= 0  # kept current by churn for the rest of the day
        self._msgs: list[MessageBatch] = []
        self._day = {"firm_msgs": 0.0, "peer_msgs": 0.0, "cost": 0.0, "revenue": 0.0,
                     "purchases": 0, "fit": np.nan, "wom_pos": 0, "wom_total": 0,
                     "public_posts": 0, "public_complaints": 0, "complaints": 0, "warned": 0,
                     "relational_cost": 0.0, "resolved": 0}
        self._phase_firms(t, mix)
        self._phase_routine_contacts()
        self._phase_requests(t, now_h, mix)
        self._phase_advisors(t)
        self._phase_privacy()
        self._phase_experience()
        self._phase_word_of_mouth(mix)
        self._phase_relationships()
        self._phase_churn()
        self._phase_adoption()
        self.tick += 1
        if self.record_messages:
            self.last_messages = MessageBatch.concat(self._msgs)
        self._record()
        if self.tick >= self.params.run.ticks:
            self.running = False

    # ---------------------------------------------------------------- 1. firms
    def _phase_firms(self, t: int, mix: np.ndarray) -> None:
        st = self.state
        # Customers per firm and segment (segments are contiguous ranges of consumers).
        nf = len(self.firms)
        by_seg = np.zeros((nf, len(self.seg_names)), np.int64)
        for s_, (lo, hi) in enumerate(zip(self.seg_bounds[:-1], self.seg_bounds[1:], strict=True)):
            act = self._act[lo:hi]
            by_seg[:, s_] = ([np.count_nonzero(act)] if nf == 1 else
                             np.bincount(st.firm[lo:hi][act], minlength=nf))
        self.customers_by_firm_segment = by_seg
        counts = by_seg.sum(axis=1)
        self.customers_by_firm = counts
        for f in self.firms:
            f.customers = int(counts[f.index])
            f.update_quality(t)
        self.quality_table = self.firm_quality_table()
        self.promise_table = np.array([f.promise_by_segment() for f in self.firms])
        listening = [f for f in self.firms if f.params.listening]
        if listening:
            self._phase_listening(listening)
        for f in self.firms:
            every = f.params.broadcast_every_ticks
            if every and t % every == 0:
                self._broadcast(f, mix)
            managing = f.params.announced_response_h > 0 or f.params.appointments
            em_cost = f.params.expectation_management_cost_eur / DAYS_PER_MONTH * f.customers * managing
            self._day["cost"] += em_cost
            self._day["relational_cost"] += em_cost
            self._day["revenue"] += f.params.margin_per_customer_day_eur * f.customers
        # Expectation management: an announced response time anchors expectations (seed 003);
        # explicit promises shape what customers think possible (Zeithaml et al. 1993).
        e = self.params.expectations
        announced = np.array([f.params.announced_response_h for f in self.firms], np.float64)
        promise_h = np.array([f.params.promise_response_h for f in self.firms], np.float64)
        if e.enabled and (announced.any() or promise_h.any() or self.promise_table.any()):
            self.kernels.anchor(st.firm, st.segment, st.expected_response_h, st.predicted_quality, announced,
                                self.promise_table, promise_h, e.announcement_weight, e.promise_weight)

    def _phase_listening(self, firms) -> None:
        """Listening firms learn each segment's mean need from feedback and adapt their offer."""
        st = self.state
        rng = self.seeds("listening")
        heard = bernoulli_candidates(rng, self.n, 0.01)  # one customer in a hundred gives feedback
        for f in firms:
            m = heard[st.firm[heard] == f.index]
            if not m.size:
                continue
            sums = np.bincount(st.segment[m], weights=st.need[m], minlength=len(self.seg_names))
            cnt = np.bincount(st.segment[m], minlength=len(self.seg_names))
            seen = cnt > 0
            r = f.params.listening_rate
            f.content[seen] += r * (sums[seen] / cnt[seen] - f.content[seen])
            # Listening also reads what segments expect and moves quality toward the adequate level.
            exp = np.bincount(st.segment[m], weights=st.adequate_quality[m], minlength=len(self.seg_names))
            want = np.where(seen, exp / np.maximum(cnt, 1), f.offer_quality)
            f.offer_quality += r * 0.5 * np.maximum(want - f.offer_quality, 0)

    def _broadcast(self, f: Firm, mix: np.ndarray) -> None:
        """The firm's offer to its whole public; the fit of the message to each receiver's need.

        Restricted exchange: one message for all (the firm's content for its
        average customer). ``message_fit = per_segment`` gives each segment its
        own message through the channel built for it; under generalized
        exchange a share ``leakage`` of consumers receives another segment's.
        """
        st, sc = self.state, self.params
        rng = self.seeds("broadcast")
        keys = rng.integers(0, 2**63, size=3).astype(np.uint64)  # leak, other line, purchase
        if f.params.message_fit == "per_segment":
            content = np.asarray(f.content, np.float64)
            leak_p = sc.exchange.leakage * mix[ExchangeAge.GENERALIZED] if len(self.seg_names) > 1 else 0.0
        else:
            content = np.full(len(self.seg_names), f.monolithic_content())
            leak_p = 0.0
        # Per member: fit = clip(1 - 2 |content - need|, 0, 1); a purchase with probability 0.2 fit trust;
        # the fit is evidence about the firm, graded as a routine contact.
        members, fit_sum, buys = self.kernels.broadcast(
            st.firm, st.segment, st.need, st.trust, st.evidence_pos, st.evidence_neg, st.from_firm, f.index,
            content, float(leak_p), keys, sc.trust.routine_weight, sc.trust.negative_weight)
        if not members:
            return
        self._day["purchases"] += buys
        self._day["revenue"] += 30.0 * f.params.margin_per_customer_day_eur * buys
        self._day["fit"] = fit_sum / members
        self._day["cost"] += sc.channels.cost_statement_eur * 0.2 * members
        self._day["firm_msgs"] += members
        age = int(np.argmax(mix))
        self.ledger.add("sent", age, members)
        self.ledger.add("delivered", age, members)
        self.message_counts[MessageKind.OFFER, age] += members
        if self.record_messages:
            self._msgs.append(MessageBatch.make([self.addr.firm(f.index)], [BROADCAST],
                                                MessageKind.OFFER, Channel.MAIL, age,
                                                [f.monolithic_content()], [24.0 * self.tick]))

    # ---------------------------------------------------------------- 2. routine contacts
    def _phase_routine_contacts(self) -> None:
        """Statements, app checks and cash machine uses: many cheap, automated contacts."""
        st, sc = self.state, self.params
        rng = self.seeds("contacts")
        active = self._act
        q = self.quality_table
        c, fp = sc.campaign, sc.failure
        boost = c.quality_boost if c.enabled and self._campaign_on() else 0.0
        drop = fp.quality_drop if fp.enabled and fp.start_tick <= self.tick < fp.start_tick + fp.duration_ticks \
            else 0.0
        self.contacts_statement = 0
        self.contacts_self = 0
        for name, rate, cost in (("statement", self.seg_rate_statement, sc.channels.cost_statement_eur),
                                 ("self", self.seg_rate_self, sc.channels.cost_self_service_eur)):
            idx = poisson_events_by_range(rng, self.seg_bounds, rate, eligible=active)
            if not idx.size:
                continue
            # Perceived quality: the firm's for the segment, noise, campaign boost, service failure.
            noise = rng.standard_normal(idx.size, dtype=np.float32)
            perceived = np.empty(idx.size)
            self.kernels.routine(idx, q, st.firm, st.segment, noise, sc.channels.quality_noise,
                                 st.treated, boost, self.failure_hit, drop, perceived)
            self._experience_contacts(idx, perceived, sc.trust.routine_weight)
            self._day["cost"] += cost * idx.size
            if name == "statement":
                self.contacts_statement = idx.size
                st.from_firm[idx] += 1  # a statement is a message from the firm
                self._day["firm_msgs"] += idx.size
            else:
                self.contacts_self = idx.size

    def _campaign_boost(self, idx) -> np.ndarray | float:
        """Quality added to (or, during a service failure, taken from) these consumers' contacts."""
        c, fp = self.params.campaign, self.params.failure
        boost: np.ndarray | float = 0.0
        if c.enabled and c.quality_boost and self._campaign_on():
            boost = np.where(self.state.treated[idx], c.quality_boost, 0.0)
        if fp.enabled and fp.start_tick <= self.tick < fp.start_tick + fp.duration_ticks:
            boost = boost - np.where(self.failure_hit[idx], fp.quality_drop, 0.0)
        return boost

    def _campaign_on(self) -> bool:
        c = self.params.campaign
        return c.enabled and c.start_tick <= self.tick < c.start_tick + c.duration_ticks

    # ---------------------------------------------------------------- 3. requests
    def _phase_requests(self, t: int, now_h: float, mix: np.ndarray) -> None:
        """New requests are routed by age; queues are served; answers are experienced."""
        st, sc = self.state, self.params
        rng = self.seeds("requests")
        ch = sc.channels
        idx = poisson_events_by_range(rng, self.seg_bounds, self.seg_rate_request, eligible=self._act)
        k = idx.size
        sent_h = now_h + rng.random(k) * 24.0
        age = np.searchsorted(np.cumsum(mix)[:2], rng.random(k), side="right").astype(np.int8)
        firm = st.firm[idx].astype(np.int64)
        served = Served()
        for a in range(3):
            self.ledger.add("sent", a, int((age == a).sum()))
        self.message_counts[MessageKind.REQUEST] += np.bincount(age, minlength=3)[:3]
        auto_share = np.array([f.params.automation_share for f in self.firms])
        rec = self.record_messages

        m = age == ExchangeAge.RESTRICTED
        human = rng.random(int(m.sum())) >= auto_share[firm[m]]
        self.router.route_restricted(served, idx[m], firm[m], human, sent_h[m], rec,
                                     ch.automated_response_h)
        m = age == ExchangeAge.GENERALIZED
        if m.any() and self.platform_ids:
            self.router.route_generalized(served, idx[m], firm[m], st.segment[idx[m]], sent_h[m],
                                          sc.exchange.leakage, rng, self.platform_delay, rec)
        m = age == ExchangeAge.COMPLEX
        if m.any():
            public_share = np.array([f.params.answer_in_public for f in self.firms])
            human = rng.random(int(m.sum())) >= auto_share[firm[m]]
            self.router.route_complex(served, idx[m], firm[m], human, sent_h[m], public_share, rng,
                                      ch.automated_response_h + 1.0, ch.automated_response_h, rec)
            self._public_posts(idx[m], rng)
            self.contacts_social = int(m.sum())
        else:
            self.contacts_social = 0

        customers = np.maximum(self.customers_by_firm, 1)
        cap_platform = np.floor(self.platform_cap_per_1000 * self.n / 1000.0)
        cap_firm = np.array([f.human_capacity(customers[f.index], mix) for f in self.firms])
        self.router.serve(served, now_h, st.firm, st.patience_h, cap_platform, self.platform_loss,
                          self.platform_distortion, self.platform_delay, cap_firm,
                          ch.human_response_h, rng, rec)
        self.ledger.delivered += served.delivered_by_age
        self.ledger.dropped += served.dropped_by_age
        self.ledger.queued = self.router.queued_by_age()
        self._served = served
        self._msgs.extend(served.messages)
        self._score_answers(served, rng)

    def _public_posts(self, posters: np.ndarray, rng) -> None:
        """A public request is seen by the poster's ties (a complaint when dissatisfied), with today's talk."""
        st = self.state
        valence = np.where(st.satisfaction[posters] >= 0.5, 1.0, -1.0)
        self._posts = (posters, valence)

    def _score_answers(self, served: Served, rng) -> None:
        st, sc = self.state, self.params
        ch = sc.channels
        self.contacts_auto = self.contacts_human = self.contacts_platform = 0
        self._resp_times = np.empty(0)
        if not served.answered:
            self._waits = np.concatenate(served.waits_h) if served.waits_h else np.empty(0)
            return
        a = {f: np.concatenate([getattr(x, f) for x in served.answered])
             for f in ("consumer", "firm", "age", "human", "response_h", "distortion", "public")}
        # Answers in consumer order (stable): the reads and writes below walk the state arrays forward.
        c = a["consumer"]
        order = np.argsort(c, kind="stable")
        order = order[st.firm[c[order]] >= 0]
        a = {k: v[order] for k, v in a.items()}
        c = a["consumer"]
        human = a["human"]
        self.contacts_auto = int((~human).sum())
        self.contacts_human = int(human.sum())
        self.contacts_platform = served.relayed
        self._leaked = served.leaked
        self._day["cost"] += ch.cost_automated_eur * self.contacts_auto
        self._day["cost"] += ch.cost_human_eur * self.contacts_human
        self._day["relational_cost"] += ch.cost_human_eur * self.contacts_human
        self._day["cost"] += float((self.platform_cost.mean() if self.platform_ids else 0.0)
                                   * served.relayed)
        # The answer's quality: the channel's, pulled toward the firm's service, minus relay distortion;
        # an automated answer falls short for consumers who need a person (seed 001). Lateness against
        # the expected response time costs satisfaction, less at a booked appointment (seed 003).
        k = c.size
        perceived, penalty, recog, late = np.empty(k), np.empty(k), np.empty(k), np.empty(k, bool)
        c_, fp = sc.campaign, sc.failure
        boost = c_.quality_boost if c_.enabled and self._campaign_on() else 0.0
        drop = fp.quality_drop if fp.enabled and fp.start_tick <= self.tick < fp.start_tick + fp.duration_ticks \
            else 0.0
        self.kernels.answer(c, human, a["response_h"], a["distortion"], self._quality_noise(rng, k),
                            self.quality_table, st.firm, st.segment, st.human_need, st.treated, boost,
                            self.failure_hit, drop, st.expected_response_h, st.time_sensitivity,
                            np.array([f.params.appointments for f in self.firms]),
                            np.array([f.params.promise_response_h for f in self.firms], np.float64),
                            ch.human_quality, ch.automated_quality, sc.satisfaction.time_scale_h,
                            APPOINTMENT_RELIEF, ch.human_recognition, ch.automated_recognition,
                            perceived, penalty, recog, late)
        s = self._experience_contacts(c, perceived, sc.trust.request_weight, penalty, recog)
        if late.any():  # later than a promised response time
            self.kernels.add_neg(self.book, self._touched, c[late],
                                 sc.trust.promise_weight * sc.trust.request_weight)
        complaint = s < 0.3
        self._day["complaints"] += int(complaint.sum())
        self._resolve_complaints(c[complaint], rng)
        # Per consumer answered today: felt help, one message from the firm, and the expected response
        # time moved toward the mean experienced one (demand for immediacy grows when answers come fast).
        self.kernels.answered(c, a["response_h"], st.help_received, st.from_firm, st.expected_response_h,
                              sc.expectations.response_rate if sc.expectations.enabled else 0.0)
        self._day["firm_msgs"] += c.size
        self._resp_times = a["response_h"]
        # Waiting over all answered requests: automated answers do not wait.
        waits = np.concatenate(served.waits_h) if served.waits_h else np.empty(0)
        self._waits = np.concatenate([waits, np.zeros(self.contacts_auto)])
        # Public answers: the firm answers a public post where the poster's ties can see it.
        pub = a["public"]
        if pub.any():
            src, dst = _expand_csr(self.graph.indptr, self.graph.indices, c[pub])
            st.from_firm[dst] += 1
            self._day["firm_msgs"] += dst.size + int(pub.sum())
            same = st.firm[dst] == st.firm[src]
            np.add.at(st.evidence_pos, dst[same], np.float32(sc.trust.public_weight))
            self.message_counts[MessageKind.PUBLIC_ANSWER, ExchangeAge.COMPLEX] += dst.size
            self.ledger.add("sent", ExchangeAge.COMPLEX, dst.size)
            self.ledger.add("delivered", ExchangeAge.COMPLEX, dst.size)

    def _resolve_complaints(self, complainers: np.ndarray, rng) -> None:
        """A person follows up a share of complaints: conflict resolution is a rare, intense contact.

        Good relationships ease conflict resolution (seed 000); a firm that
        treats complaints as information and admits its errors (seed 001)
        turns a failure into recognition.
        """
        if not complainers.size:
            return
        st, sc = self.state, self.params
        share = np.array([f.params.complaint_resolution for f in self.firms])[st.firm[complainers]]
        done = complainers[rng.random(complainers.size) < share]
        if not done.size:
            return
        ch = sc.channels
        perceived = np.clip(ch.human_quality + self._quality_noise(rng, done.size), 0, 1)
        self._experience_contacts(done, perceived, 0.5 * sc.trust.intense_weight,
                                  recog=ch.human_recognition)
        self._day["cost"] += ch.cost_human_eur * 2 * done.size
        self._day["relational_cost"] += ch.cost_human_eur * 2 * done.size
        self._day["resolved"] += done.size

    # ---------------------------------------------------------------- 4. advisors
    def _phase_advisors(self, t: int) -> None:
        """Advisor meetings: rare intense contacts, limited by advisors' capacity (seed 000)."""
        st, sc = self.state, self.params
        rng = self.seeds("advisors")
        rate = self.rate_advisor
        if self._campaign_on() and sc.campaign.extra_advisor_visits_per_year > 0:
            rate = rate + np.where(st.treated, sc.campaign.extra_advisor_visits_per_year / 365.0,
                                   0.0).astype(np.float32)
        want = poisson_events(rng, rate, eligible=self._act)
        self.contacts_advisor = 0
        self.unserved_meetings = 0
        if not want.size:
            return
        rng.shuffle(want)
        firm = st.firm[want]
        held = np.zeros(want.size, bool)
        for f in self.firms:
            m = np.flatnonzero(firm == f.index)
            cap = int(f.meeting_capacity())
            held[m[:cap]] = True
        self.unserved_meetings = int((~held).sum())
        idx = want[held]
        self.contacts_advisor = idx.size
        if not idx.size:
            return
        ch = sc.channels
        perceived = np.clip(0.5 * ch.human_quality + 0.5 * self.quality_table[st.firm[idx], st.segment[idx]]
                            + 0.1 + self._quality_noise(rng, idx.size) + self._campaign_boost(idx), 0, 1)
        self._experience_contacts(idx, perceived, sc.trust.intense_weight,
                                  recog=ch.advisor_recognition)
        self._day["cost"] += ch.cost_advisor_eur * idx.size
        self._day["relational_cost"] += ch.cost_advisor_eur * idx.size
        st.from_firm[idx] += 1
        self._day["firm_msgs"] += idx.size

    # ---------------------------------------------------------------- 5. privacy
    def _phase_privacy(self) -> None:
        """Data asked beyond need erodes trust daily; rare misuse events hit every customer.

        A customer of firm f receives negative evidence k_f * privacy_sensitivity,
        k_f = w_over * max(asked - needed, 0) + w_misuse * asked on a misuse day;
        it joins the day's other evidence in the relationships pass.
        """
        sc = self.params
        if not sc.privacy.enabled:
            return
        rng = self.seeds("privacy")
        for f in self.firms:
            over = max(f.params.data_asked - f.params.data_needed, 0.0)
            misuse = rng.random() < f.params.misuse_per_year / 365.0
            k = sc.privacy.overask_weight * over
            if misuse:
                f.misuse_events += 1
                k += sc.privacy.misuse_weight * f.params.data_asked
            self._privacy_k[f.index] = k

    # ---------------------------------------------------------------- 6. experience
    def _phase_experience(self) -> None:
        """Close the day book: evidence, recognition, satisfaction and expectations from today's contacts.

        Per consumer with contacts today, P and S are the contact-weighted means of
        perceived quality and satisfaction; satisfaction moves toward S and the
        three norms toward P (sim/rules/experience.py); a day with at least one
        contact is one step of adaptation.
        """
        st, sc = self.state, self.params
        e = sc.expectations
        total, hits = self.kernels.close_day(
            self.book, self._touched, self._gain, st.evidence_pos, st.evidence_neg, st.satisfaction, st.last_quality,
            st.predicted_quality, st.adequate_quality, st.desired_quality, sc.satisfaction.memory,
            bool(e.enabled), e.predicted_rate, e.adequate_up_rate, e.adequate_down_rate, e.desired_rate)
        self._delivered_quality = total / hits if hits else np.nan

    # ---------------------------------------------------------------- 7. word of mouth
    def _phase_word_of_mouth(self, mix: np.ndarray) -> None:
        """Consumers talk about their firm; under complex exchange the talk is public.

        Talk is U-shaped in satisfaction, rises with recognition seeking and with
        help received (reciprocity); public posts reach all ties and audiences
        amplify them.
        """
        st, sc = self.state, self.params
        rng = self.seeds("wom")
        posters, post_valence = self._posts
        self._posts = (np.empty(0, np.int64), np.empty(0))
        if not sc.wom.enabled:
            if posters.size:
                self._deliver_peer(posters, post_valence, np.ones(posters.size, bool), rng)
            return
        w = sc.wom
        # p = b (1 + e 4 (S - 0.5)^2) [m if S < 0.5] (1 + r_R seeking) (1 + r_H help) 2 propensity, capped at 1
        key = np.uint64(rng.integers(0, 2**63))
        k = self.kernels.talk(key, st.satisfaction, st.recognition_seeking, st.help_received, st.share_propensity,
                              st.firm, w.base_rate, w.extremity_boost, w.negative_multiplier, w.recognition_boost,
                              w.reciprocity_boost, self._talkers)
        talkers = self._talkers[:k].astype(np.int64)
        valence = np.where(st.satisfaction[talkers] >= 0.5, 1.0, -1.0)
        public = rng.random(talkers.size) < mix[ExchangeAge.COMPLEX]
        if posters.size:  # public requests of the day (phase 3) are read with today's talk
            talkers = np.concatenate([posters, talkers])
            valence = np.concatenate([post_valence, valence])
            public = np.concatenate([np.ones(posters.size, bool), public])
        if talkers.size:
            self._deliver_peer(talkers, valence, public, rng)

    def _deliver_peer(self, senders, valence, public, rng) -> None:
        """Deliver peer messages: private ones to one random tie, public ones to a share of all ties."""
        st, sc = self.state, self.params
        g = self.graph
        deg = self.degree[senders]
        has = deg > 0
        priv = senders[~public & has]
        pv = valence[~public & has]
        j = g.indptr[priv] + (rng.random(priv.size) * self.degree[priv]).astype(np.int64)
        p_src, p_dst, p_val = priv, g.indices[j].astype(np.int64), pv
        pub = senders[public & has]
        s2, d2 = _expand_csr(g.indptr, g.indices, pub)
        v2 = np.repeat(valence[public & has], self.degree[pub])
        if sc.wom.public_reach < 1.0 and s2.size:
            keep = rng.random(s2.size) < sc.wom.public_reach
            s2, d2, v2 = s2[keep], d2[keep], v2[keep]
        n_posts = int(pub.size)
        self._day["public_posts"] += n_posts
        self._day["public_complaints"] += int((valence[public & has] < 0).sum())
        src = np.concatenate([p_src, s2])
        dst = np.concatenate([p_dst, d2])
        val = np.concatenate([p_val, v2])
        is_pub = np.concatenate([np.zeros(p_src.size, bool), np.ones(s2.size, bool)])
        # Audiences (bloggers) amplify public complaints to their whole audience (seed 004).
        for k in self.bloggers:
            m = self.params.intermediaries[k]
            comp = pub[(valence[public & has] < 0)]
            if not comp.size or m.amplification <= 0:
                continue
            picked = comp[rng.random(comp.size) < m.amplification]
            if not picked.size:
                continue
            aud = self.audience[k]
            for f in np.unique(st.firm[picked]):
                if f < 0:
                    continue
                cnt = int((st.firm[picked] == f).sum())
                same = aud[st.firm[aud] == f]
                st.evidence_neg[same] += np.float32(sc.trust.public_weight * cnt)
                self.firms[f].reputation_hits += cnt * aud.size
            st.from_peers[aud] += picked.size
            self._day["peer_msgs"] += aud.size * picked.size
            self.message_counts[MessageKind.AMPLIFIED, ExchangeAge.COMPLEX] += aud.size * picked.size
            self.ledger.add("sent", ExchangeAge.COMPLEX, aud.size * picked.size)
            self.ledger.add("delivered", ExchangeAge.COMPLEX, aud.size * picked.size)
            if self.record_messages:
                self._msgs.append(MessageBatch.make(
                    np.full(picked.size, self.addr.intermediary(k)), np.full(picked.size, BROADCAST),
                    MessageKind.AMPLIFIED, Channel.SOCIAL, ExchangeAge.COMPLEX, -1.0,
                    24.0 * self.tick))
        if not src.size:
            return
        # Effect on receivers, from the state before today's talk: evidence about their own firm
        # (a peer's report about another firm is heard but is no evidence), expectations pulled toward
        # what peers experienced, felt help, and the influence edge weighted by the trust change
        # dT = (s+1)/(r+s+2)^2 w for a recommendation, -(r+1)/(r+s+2)^2 w for a warning. Talk is already
        # asymmetric in volume (negative_multiplier), so a warning weighs what a recommendation weighs.
        e = sc.expectations
        d_trust = np.empty(src.size)
        same = np.empty(src.size, bool)
        self._day["warned"] += self.kernels.peer(
            src, dst, val, is_pub, st.firm, st.evidence_pos, st.evidence_neg, st.last_quality,
            st.predicted_quality, st.desired_quality, st.from_peers, st.help_received, self.book, self._touched,
            self._talkers, sc.trust.public_weight, sc.trust.wom_weight,
            e.peer_weight if e.enabled else 0.0, PEER_HELP, d_trust, same)
        self.influence.add(src[same], dst[same], d_trust[same])
        self._day["peer_msgs"] += dst.size
        self._day["wom_total"] += dst.size
        self._day["wom_pos"] += int((val > 0).sum())
        n_pub = int(np.count_nonzero(is_pub))
        if n_pub:
            # Public talk about a firm feeds its reputation (counted per public message).
            fs, vs = st.firm[src[is_pub]], val[is_pub]
            nf = len(self.firms)
            tally = np.bincount((fs[fs >= 0] * 2 + (vs[fs >= 0] > 0)), minlength=2 * nf).reshape(nf, 2)
            for f in self.firms:
                f.reputation_hits += int(tally[f.index, 0])
                f.reputation_praise += int(tally[f.index, 1])
        private_age = int(np.argmax(self._mix[:2]))
        n_priv = dst.size - n_pub
        n_rec = int(np.count_nonzero((val > 0) & ~is_pub))
        self.message_counts[MessageKind.PUBLIC_POST, ExchangeAge.COMPLEX] += n_pub
        self.message_counts[MessageKind.RECOMMENDATION, private_age] += n_rec
        self.message_counts[MessageKind.WARNING, private_age] += n_priv - n_rec
        for a, n_a in ((ExchangeAge.COMPLEX, n_pub), (private_age, n_priv)):
            self.ledger.add("sent", a, n_a)
            self.ledger.add("delivered", a, n_a)
        if self.record_messages:
            ages = np.where(is_pub, ExchangeAge.COMPLEX, private_age)
            kinds = np.where(is_pub, MessageKind.PUBLIC_POST,
                             np.where(val > 0, MessageKind.RECOMMENDATION, MessageKind.WARNING))
            self._msgs.append(MessageBatch.make(
                src, dst, kinds, np.where(is_pub, Channel.SOCIAL, Channel.PEER), ages, val,
                24.0 * self.tick))

    # ---------------------------------------------------------------- 8. relationships
    def _phase_relationships(self) -> None:
        """Evidence is forgotten, recognition decays and accumulates, trust and attachment follow.

        R <- min((1 - delta) R + 0.2 gain, 1)
        r += w_R * gain * recognition_seeking                (recognition as evidence, seed 001)
        s += k_f * privacy_sensitivity                       (today's privacy evidence, phase 5)
        r, s <- lambda r, lambda s                           (forgetting)
        T = (r + 1) / (r + s + 2)                           (Josang & Ismail 2002)
        attachment += a * (T * (0.5 + 0.5 R) - attachment)   (Morgan & Hunt 1994)
        help <- HELP_DECAY * help                            (felt help fades)
        """
        st, tp = self.state, self.params.trust
        self.kernels.relationships(
            self._gain, st.recognition, st.evidence_pos, st.evidence_neg, st.trust, st.attachment,
            st.help_received, st.firm, st.recognition_seeking, st.privacy_sensitivity, self._privacy_k,
            tp.recognition_decay, tp.recognition_weight, tp.forgetting, tp.attachment_rate, HELP_DECAY,
            st.satisfaction, st.predicted_quality, st.adequate_quality, st.desired_quality, st.expected_response_h,
            self._sums)
        self._privacy_k[:] = 0.0

    # ---------------------------------------------------------------- 9. churn
    def _phase_churn(self) -> None:
        """Leave with a convex hazard in loyalty (Jones & Sasser 1995), damped by attachment.

        h = h_max/365 * 1 / (1 + exp(k (L - L0))) * (1 - lock * attachment),
        L = (satisfaction + trust) / 2. With several firms a leaver switches to
        another firm chosen with probability proportional to its reputation;
        with one firm it leaves the market.
        """
        st, sc = self.state, self.params
        self.churned = 0
        if not sc.churn.enabled:
            return
        rng = self.seeds("churn")
        c = sc.churn
        # h is at most max_rate / 365: computed for the candidates drawn at that bound alone.
        bound = c.max_rate_per_year / 365.0
        cand = bernoulli_candidates(rng, self.n, bound)
        cand = cand[self._act[cand]]
        loyalty = 0.5 * (st.satisfaction[cand].astype(np.float64) + st.trust[cand])
        h = (bound / (1.0 + np.exp(c.steepness * (loyalty - c.threshold)))
             * (1.0 - c.attachment_lock * st.attachment[cand]))
        leavers = thinned(rng, cand, h, bound)
        self.churned = int(leavers.size)
        if not leavers.size:
            return
        self._sums -= self._summed(leavers)  # the day's sums leave with them (switchers come back below)
        if len(self.firms) == 1:
            st.firm[leavers] = -1
            self._act[leavers] = False
            return
        rep = np.array([f.reputation for f in self.firms]) + 1e-3
        old = st.firm[leavers].astype(np.int64)
        pick = rng.random(leavers.size)
        new = np.empty_like(old)
        for f in range(len(self.firms)):
            m = old == f
            w = rep.copy()
            w[f] = 0
            cw = np.cumsum(w / w.sum())
            new[m] = np.minimum(np.searchsorted(cw, pick[m], side="right"), len(self.firms) - 1)
        st.firm[leavers] = new.astype(np.int16)
        st.evidence_pos[leavers] = sc.trust.initial_positive
        st.evidence_neg[leavers] = sc.trust.initial_negative
        st.trust[leavers] = (st.evidence_pos[leavers] + 1) / (st.evidence_pos[leavers] + st.evidence_neg[leavers] + 2)
        st.attachment[leavers] = 0.0
        st.recognition[leavers] = 0.0
        st.satisfaction[leavers] = 0.5
        self._sums += self._summed(leavers)

    def _summed(self, idx: np.ndarray) -> np.ndarray:
        """Contribution of consumers ``idx`` to the day's sums (see ``SUMMED``)."""
        st = self.state
        t = st.trust[idx].astype(np.float64)
        cols = [t, t * t] + [getattr(st, k)[idx].astype(np.float64) for k in SUMMED[2:]]
        return np.array([c.sum() for c in cols])

    # ---------------------------------------------------------------- 10. adoption
    def _phase_adoption(self) -> None:
        """Bass (1969) on the graph: a non-adopter adopts with probability p + q * (adopted ties / ties)."""
        w = self.params.wom
        if w.adoption_p <= 0 and w.adoption_q <= 0:
            return
        st = self.state
        ties = self._adopted_ties()
        rng = self.seeds("adoption")
        bound = min(w.adoption_p + w.adoption_q, 1.0)
        cand = bernoulli_candidates(rng, self.n, bound)
        cand = cand[~st.adopted[cand]]
        p = np.minimum(w.adoption_p + w.adoption_q * ties[cand] / np.maximum(self.degree[cand], 1), 1.0)
        st.adopted[thinned(rng, cand, p, bound)] = True

    def _adopted_ties(self) -> np.ndarray:
        """Adopted ties of every consumer, kept up to date from the consumers whose state changed.

        Equal to summing ``adopted`` over every row of the graph, but costs the
        ties of the few consumers who changed since the last call instead of a
        pass over all ties every day.
        """
        st, g = self.state, self.graph
        if getattr(self, "_adopt_seen", None) is None:
            self._adopt_seen = np.zeros(self.n, bool)
            self._adopt_ties = np.zeros(self.n, np.float64)
        changed = np.flatnonzero(st.adopted != self._adopt_seen)
        if changed.size:
            _, nbr = _expand_csr(g.indptr, g.indices, changed)
            sign = np.where(st.adopted[changed], 1.0, -1.0)
            np.add.at(self._adopt_ties, nbr, np.repeat(sign, self.degree[changed]))
            self._adopt_seen[changed] = st.adopted[changed]
        return self._adopt_ties

    # ---------------------------------------------------------------- 11. outcomes
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

    def _record(self) -> None:
        st = self.state
        act = self._act
        n_act = int(np.count_nonzero(act))
        d = self._day
        for f in self.firms:
            f.update_reputation()
        self._window.append((d["firm_msgs"], d["peer_msgs"]))
        fm = sum(x for x, _ in self._window)
        pm = sum(y for _, y in self._window)
        # Means over active consumers from the sums the relationships pass formed (corrected for churn).
        sums = dict(zip(SUMMED, self._sums.tolist(), strict=True))

        def mean(name):
            return sums[name] / n_act if n_act else float("nan")

        contacts = (self.contacts_statement + self.contacts_self + self.contacts_auto
                    + self.contacts_human + self.contacts_advisor + self.contacts_social)
        row = {
            "customers": n_act,
            "trust": mean("trust"),
            "trust_sd": (float(np.sqrt(max(mean("trust_sq") - mean("trust") ** 2, 0.0)))
                         if n_act else float("nan")),
            "attachment": mean("attachment"),
            "recognition": mean("recognition"),
            "satisfaction": mean("satisfaction"),
            "delivered_quality": self._delivered_quality,
            "expectation_quality": mean("predicted_quality"),
            "expectation_adequate": mean("adequate_quality"),
            "expectation_desired": mean("desired_quality"),
            "expectation_inflation": mean("predicted_quality") - self._e0,
            "expected_response_h": mean("expected_response_h"),
            "response_time_h": float(self._resp_times.mean()) if self._resp_times.size else float("nan"),
            "waiting_h": float(self._waits.mean()) if self._waits.size else float("nan"),
            "wom_volume": d["wom_total"],
            "wom_valence": d["wom_pos"] / d["wom_total"] if d["wom_total"] else float("nan"),
            "public_posts": d["public_posts"],
            "warned": d["warned"],
            "public_complaints": d["public_complaints"],
            "complaints": d["complaints"],
            "complaints_resolved": d["resolved"],
            "control_share": fm / (fm + pm) if fm + pm else float("nan"),
            "contacts_statement": self.contacts_statement,
            "contacts_self_service": self.contacts_self,
            "contacts_automated": self.contacts_auto,
            "contacts_human": self.contacts_human,
            "contacts_platform": self.contacts_platform,
            "contacts_social": self.contacts_social,
            "contacts_advisor": self.contacts_advisor,
            "unserved_meetings": self.unserved_meetings,
            "relationships_per_advisor": n_act / max(sum(f.advisors() for f in self.firms), 1e-9),
            "abandoned": int(self._served.dropped_by_age.sum()),
            "queued": int(self.ledger.queued.sum()),
            "leaked_share": self._served.leaked / self._served.relayed if self._served.relayed else float("nan"),
            "message_fit": d["fit"],
            "purchases": d["purchases"],
            "churn": self.churned,
            "churn_rate": self.churned / max(n_act + self.churned, 1) * 365.0,
            "cost_eur": d["cost"],
            "cost_per_contact_eur": d["cost"] / contacts if contacts else float("nan"),
            "revenue_eur": d["revenue"],
            "relational_cost_eur": d["relational_cost"],
            "reputation": float(np.mean([f.reputation for f in self.firms])),
            "adoption": np.count_nonzero(st.adopted) / self.n,
        }
        if self.params.campaign.enabled:
            tr = self._treated_idx[act[self._treated_idx]]
            t_tr = float(st.trust[tr].sum(dtype=np.float64))
            n_co = n_act - tr.size
            row["trust_treated"] = t_tr / tr.size if tr.size else float("nan")
            row["trust_control"] = (sums["trust"] - t_tr) / n_co if n_co else float("nan")
        self.recorder.record(row)
