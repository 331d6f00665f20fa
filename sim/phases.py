"""The day's schedule: an ordered list of phases, each a function of the model and the day.

``ExchangeModel.step()`` runs :data:`PHASES` in order; the ODD's "Process
overview and scheduling" section is generated from this list
(``docs/gen_params.py``) and a test keeps the two equal. Phases orchestrate:
they draw events, route requests and count messages; every equation they
apply lives in the module of its mechanism under ``sim/rules/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.ages import ExchangeAge
from sim.messages import BROADCAST, Channel, MessageBatch, MessageKind
from sim.routing import Served
from sim.rules import acquisition as aq
from sim.rules import cascades as cs
from sim.rules import churn as cr
from sim.rules import contacts as ct
from sim.rules import expectations as ex
from sim.rules import experience as xp
from sim.rules import firms as fr
from sim.rules import privacy as pv
from sim.rules import relationships as rl
from sim.rules import requests as rq
from sim.rules import trust as tr
from sim.rules import word_of_mouth as wm
from sim.rules.sampling import bernoulli_candidates, poisson_events, poisson_events_by_range, thinned, thinned_mask

if TYPE_CHECKING:
    from sim.day import Day
    from sim.model import ExchangeModel

__all__ = ["PHASES", "Phase", "expand_csr"]

DAYS_PER_MONTH = 365.0 / 12.0


@dataclass(frozen=True)
class Phase:
    """One step of the day: its name, what it does (one line, for the ODD) and its function."""

    name: str
    summary: str
    run: object


def expand_csr(indptr: np.ndarray, indices: np.ndarray, nodes: np.ndarray):
    """All (node, neighbour) pairs for ``nodes``: vectorized CSR row expansion."""
    starts = indptr[nodes]
    counts = indptr[nodes + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    src = np.repeat(nodes, counts)
    offs = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return src, indices[np.repeat(starts, counts) + offs].astype(np.int64)


def _campaign_on(m: ExchangeModel, t: int) -> bool:
    c = m.params.campaign
    return c.enabled and c.start_tick <= t < c.start_tick + c.duration_ticks


def _failure_on(m: ExchangeModel, t: int) -> bool:
    fp = m.params.failure
    return fp.enabled and fp.start_tick <= t < fp.start_tick + fp.duration_ticks


def _shift_args(m: ExchangeModel, t: int) -> tuple[float, float]:
    """(boost, drop) in force today: the campaign's quality boost and the failure's quality drop."""
    c, fp = m.params.campaign, m.params.failure
    return (c.quality_boost if _campaign_on(m, t) else 0.0), (fp.quality_drop if _failure_on(m, t) else 0.0)


def _count(m: ExchangeModel, kind: MessageKind, age: int, n: int, sent: bool = True) -> None:
    m.message_counts[kind, age] += n
    if sent:
        m.ledger.add("sent", age, n)
        m.ledger.add("delivered", age, n)


# ---------------------------------------------------------------------- 1. firms
def firms(m: ExchangeModel, day: Day) -> None:
    """Firms count their customers, deliver quality, listen, broadcast offers and anchor expectations."""
    st, sc, g = m.state, m.params, m.groups
    nf = len(m.firms)
    by_seg = np.zeros((nf, len(m.seg_names)), np.int64)
    for s_, (lo, hi) in enumerate(zip(m.seg_bounds[:-1], m.seg_bounds[1:], strict=True)):
        act = day.active[lo:hi]
        by_seg[:, s_] = ([np.count_nonzero(act)] if nf == 1 else np.bincount(st.firm[lo:hi][act], minlength=nf))
    day.customers_by_firm_segment = by_seg
    day.customers_by_firm = counts = by_seg.sum(axis=1)
    for f in m.firms:
        f.customers = int(counts[f.index])
        f.offer_quality = fr.drifted_quality(f.offer_quality, f.params.quality_trend_per_year)
    day.quality = np.array([f.quality_by_segment() for f in m.firms])
    day.promise = np.array([f.promise_by_segment() for f in m.firms])
    listening = [f for f in m.firms if f.params.listening]
    if listening:
        _listen(m, listening)
    for f in m.firms:
        every = f.params.broadcast_every_ticks
        if every and day.tick % every == 0:
            _broadcast(m, day, f)
        managing = f.params.announced_response_h > 0 or f.params.appointments
        em_cost = f.params.expectation_management_cost_eur / DAYS_PER_MONTH * f.customers * managing
        day.cost += em_cost
        day.relational_cost += em_cost
        day.revenue += f.params.margin_per_customer_day_eur * f.customers
    announced = np.array([f.params.announced_response_h for f in m.firms], np.float64)
    promise_h = np.array([f.params.promise_response_h for f in m.firms], np.float64)
    if sc.expectations.enabled and (announced.any() or promise_h.any() or day.promise.any()):
        ex.anchor(m.S, announced, day.promise, promise_h, g.exp)


def _listen(m: ExchangeModel, firms) -> None:
    st, lp = m.state, m.params.listening
    heard = bernoulli_candidates(m.seeds("listening"), m.n, lp.feedback_share)
    n_seg = len(m.seg_names)
    for f in firms:
        h = heard[st.firm[heard] == f.index]
        if not h.size:
            continue
        seg = st.segment[h]
        fr.listen(f.content, f.offer_quality, np.bincount(seg, weights=st.need[h], minlength=n_seg),
                  np.bincount(seg, weights=st.adequate_quality[h], minlength=n_seg),
                  np.bincount(seg, minlength=n_seg), f.params.listening_rate, lp.quality_pull_share)


def _broadcast(m: ExchangeModel, day: Day, f) -> None:
    """The firm's offer to its whole public (restricted exchange: one message for all, seed 004)."""
    sc = m.params
    rng = m.seeds("broadcast")
    keys = rng.integers(0, 2**63, size=3).astype(np.uint64)  # leak, other line, purchase
    if f.params.message_fit == "per_segment":
        content = np.asarray(f.content, np.float64)
        leak_p = sc.exchange.leakage * day.mix[ExchangeAge.GENERALIZED] if len(m.seg_names) > 1 else 0.0
    else:
        content = np.full(len(m.seg_names), f.monolithic_content())
        leak_p = 0.0
    members, fit_sum, buys = fr.broadcast(m.S, f.index, content, float(leak_p), keys, m.groups.trust,
                                          m.groups.offers)
    if not members:
        return
    day.purchases += buys
    day.revenue += sc.offers.margin_days * f.params.margin_per_customer_day_eur * buys
    day.message_fit = fit_sum / members
    day.cost += sc.channels.cost_statement_eur * sc.offers.cost_statement_share * members
    day.firm_msgs += members
    age = int(np.argmax(day.mix))
    _count(m, MessageKind.OFFER, age, members)
    if m.record_messages:
        day.messages.append(MessageBatch.make([m.addr.firm(f.index)], [BROADCAST], MessageKind.OFFER, Channel.MAIL,
                                              age, [f.monolithic_content()], [day.now_h]))


# ---------------------------------------------------------------------- 2. routine contacts
def routine_contacts(m: ExchangeModel, day: Day) -> None:
    """Statements, app checks and cash machine uses: many cheap automated contacts, scored into the day book."""
    st, sc = m.state, m.params
    rng = m.seeds("contacts")
    boost, drop = _shift_args(m, day.tick)
    for name, rate, cost in (("statement", m.seg_rate_statement, sc.channels.cost_statement_eur),
                             ("self", m.seg_rate_self, sc.channels.cost_self_service_eur)):
        idx = poisson_events_by_range(rng, m.seg_bounds, rate, eligible=day.active)
        if not idx.size:
            continue
        noise = rng.standard_normal(idx.size, dtype=np.float32)
        perceived = np.empty(idx.size)
        ct.score_routine(idx, day.quality, m.S, noise, sc.channels.quality_noise, m.failure_hit, boost, drop,
                         perceived)
        _score(m, day, idx, perceived, sc.trust.routine_weight)
        day.cost += cost * idx.size
        if name == "statement":
            day.contacts_statement = idx.size
            st.from_firm[idx] += 1  # a statement is a message from the firm
            day.firm_msgs += idx.size
        else:
            day.contacts_self = idx.size


def _score(m: ExchangeModel, day: Day, idx, perceived, weight, penalty=0.0, recog=0.0) -> np.ndarray:
    """Score contacts into the day book (sim.rules.experience.score_contacts); returns their satisfaction."""
    s = np.empty(idx.size)
    if not idx.size:
        return s
    book = m.book.open("contacts")
    xp.score_contacts(book.values, book.touched, idx, np.asarray(perceived, np.float64), float(weight),
                      np.atleast_1d(np.asarray(penalty, np.float64)), np.atleast_1d(np.asarray(recog, np.float64)),
                      m.S, day.promise, m.groups.sat, m.groups.trust, s)
    return s


def _noise(m: ExchangeModel, rng, k: int) -> np.ndarray:
    return rng.normal(0.0, m.params.channels.quality_noise, k)


# ---------------------------------------------------------------------- 3. requests
def requests(m: ExchangeModel, day: Day) -> None:
    """New requests are routed by age, queues are served, answers are experienced."""
    st, sc = m.state, m.params
    rng = m.seeds("requests")
    ch = sc.channels
    mix = day.mix
    idx = poisson_events_by_range(rng, m.seg_bounds, m.seg_rate_request, eligible=day.active)
    k = idx.size
    sent_h = day.now_h + rng.random(k) * 24.0
    age = np.searchsorted(np.cumsum(mix)[:2], rng.random(k), side="right").astype(np.int8)
    firm = st.firm[idx].astype(np.int64)
    served = Served()
    for a in range(3):
        m.ledger.add("sent", a, int((age == a).sum()))
    m.message_counts[MessageKind.REQUEST] += np.bincount(age, minlength=3)[:3]
    auto_share = np.array([f.params.automation_share for f in m.firms])
    rec = m.record_messages

    sel = age == ExchangeAge.RESTRICTED
    human = rng.random(int(sel.sum())) >= auto_share[firm[sel]]
    m.router.route_restricted(served, idx[sel], firm[sel], human, sent_h[sel], rec, ch.automated_response_h)
    sel = age == ExchangeAge.GENERALIZED
    if sel.any() and m.platform_ids:
        m.router.route_generalized(served, idx[sel], firm[sel], st.segment[idx[sel]], sent_h[sel],
                                   sc.exchange.leakage, rng, m.platform_delay, rec)
    sel = age == ExchangeAge.COMPLEX
    if sel.any():
        public_share = np.array([f.params.answer_in_public for f in m.firms])
        human = rng.random(int(sel.sum())) >= auto_share[firm[sel]]
        m.router.route_complex(served, idx[sel], firm[sel], human, sent_h[sel], public_share, rng,
                               ch.automated_response_h + ch.public_answer_extra_h, ch.automated_response_h, rec)
        posters = idx[sel]
        # A public request is seen by the poster's ties with today's talk (a complaint when dissatisfied).
        day.posters = posters
        day.post_valence = np.where(st.satisfaction[posters] >= 0.5, 1.0, -1.0)
        day.contacts_social = int(sel.sum())

    cap_platform = np.floor(m.platform_cap_per_1000 * day.customers_by_firm.sum() / 1000.0)
    demand = [float(day.customers_by_firm_segment[f.index] @ m.seg_rate_request) for f in m.firms]
    cap_firm = np.array([fr.human_capacity(f.params, int(day.customers_by_firm[f.index]), demand[f.index], mix)
                         for f in m.firms])
    agents = np.array([fr.phone_agents(f.params, fr.phone_demand_per_day(f.params, demand[f.index], mix), ch)
                       for f in m.firms])
    m.router.phone(served, day.tick, agents, m.phone_patience_h, st.firm, ch, rng, rec)
    for res in served.phone:
        staff = res.staff_cost(ch.agent_cost_per_hour_eur)
        day.cost += staff
        day.relational_cost += staff
        day.staff_cost += staff
        day.waiting_cost += res.waiting_cost(ch.waiting_cost_per_hour_eur)
    m.router.serve(served, day.now_h, st.firm, st.patience_h, cap_platform, m.platform_loss, m.platform_distortion,
                   m.platform_delay, cap_firm, ch.human_response_h, rng, rec)
    m.ledger.sent += served.retried_by_age  # a call made again is a new attempt
    m.ledger.delivered += served.delivered_by_age
    m.ledger.dropped += served.dropped_by_age
    m.ledger.queued = m.router.queued_by_age()
    day.served = served
    day.messages.extend(served.messages)
    _answers(m, day, served, rng)


def _answers(m: ExchangeModel, day: Day, served: Served, rng) -> None:
    st, sc = m.state, m.params
    ch = sc.channels
    if not served.answered:
        day.waits_h = np.concatenate(served.waits_h) if served.waits_h else np.empty(0)
        return
    a = {f: np.concatenate([getattr(x, f) for x in served.answered])
         for f in ("consumer", "firm", "age", "human", "response_h", "distortion", "public")}
    # Answers in consumer order (stable): the passes below walk the state arrays forward.
    c = a["consumer"]
    order = np.argsort(c, kind="stable")
    order = order[st.firm[c[order]] >= 0]
    a = {k: v[order] for k, v in a.items()}
    c = a["consumer"]
    human = a["human"]
    day.contacts_automated = int((~human).sum())
    day.contacts_human = int(human.sum())
    day.contacts_platform = served.relayed
    back_office = int(np.count_nonzero(human & (a["age"] == ExchangeAge.GENERALIZED)))  # calls cost agent-hours
    day.cost += ch.cost_automated_eur * day.contacts_automated
    day.cost += ch.cost_human_eur * back_office
    day.relational_cost += ch.cost_human_eur * back_office
    day.cost += float((m.platform_cost.mean() if m.platform_ids else 0.0) * served.relayed)
    k = c.size
    perceived, penalty, recog, late = np.empty(k), np.empty(k), np.empty(k), np.empty(k, bool)
    boost, drop = _shift_args(m, day.tick)
    rq.score_answers(c, human, a["response_h"], a["distortion"], _noise(m, rng, k), day.quality, m.S,
                     m.failure_hit, boost, drop, np.array([f.params.appointments for f in m.firms]),
                     np.array([f.params.promise_response_h for f in m.firms], np.float64), m.groups.ch,
                     m.groups.sat, perceived, penalty, recog, late)
    s = _score(m, day, c, perceived, sc.trust.request_weight, penalty, recog)
    if late.any():  # later than a promised response time
        tr.add_broken_response_promise(m.book.values, m.book.touched, c[late],
                                       sc.trust.broken_promise_weight * sc.trust.request_weight)
    complaint = s < sc.satisfaction.complaint_below
    day.complaints += int(complaint.sum())
    _follow_up(m, day, c[complaint], rng)
    rq.answered(c, a["response_h"], m.S, sc.wom.help_per_answer,
                sc.expectations.response_rate if sc.expectations.enabled else 0.0)
    day.firm_msgs += c.size
    day.response_h = a["response_h"]
    waits = np.concatenate(served.waits_h) if served.waits_h else np.empty(0)
    day.waits_h = np.concatenate([waits, np.zeros(day.contacts_automated)])  # automated answers do not wait
    pub = a["public"]
    if pub.any():  # the firm answers a public post where the poster's ties can see it
        src, dst = expand_csr(m.graph.indptr, m.graph.indices, c[pub])
        st.from_firm[dst] += 1
        day.firm_msgs += dst.size + int(pub.sum())
        same = st.firm[dst] == st.firm[src]
        np.add.at(st.evidence_pos, dst[same], np.float32(sc.trust.public_weight))
        _count(m, MessageKind.PUBLIC_ANSWER, ExchangeAge.COMPLEX, dst.size)
        day.answered_in_public = np.unique(c[pub])


def _follow_up(m: ExchangeModel, day: Day, complainers: np.ndarray, rng) -> None:
    """A person follows up a share of complaints: an intense contact (seed 000; seed 001)."""
    if not complainers.size:
        return
    st, ch = m.state, m.params.channels
    share = np.array([f.params.complaint_resolution for f in m.firms])[st.firm[complainers]]
    done = complainers[rng.random(complainers.size) < share]
    if not done.size:
        return
    perceived = np.clip(ch.human_quality + _noise(m, rng, done.size), 0, 1)
    _score(m, day, done, perceived, ch.followup_evidence_share * m.params.trust.intense_weight,
           recog=ch.human_recognition)
    cost = ch.cost_human_eur * ch.followup_cost_answers * done.size
    day.cost += cost
    day.relational_cost += cost
    day.resolved += done.size


# ---------------------------------------------------------------------- 4. advisors
def advisors(m: ExchangeModel, day: Day) -> None:
    """Advisor meetings: rare intense contacts, limited by the advisors' capacity (seed 000)."""
    st, sc = m.state, m.params
    rng = m.seeds("advisors")
    rate = m.rate_advisor
    if _campaign_on(m, day.tick) and sc.campaign.extra_advisor_visits_per_year > 0:
        rate = rate + np.where(st.treated, sc.campaign.extra_advisor_visits_per_year / 365.0, 0.0).astype(np.float32)
    want = poisson_events(rng, rate, eligible=day.active)
    if not want.size:
        return
    rng.shuffle(want)
    firm = st.firm[want]
    held = np.zeros(want.size, bool)
    for f in m.firms:
        mine = np.flatnonzero(firm == f.index)
        held[mine[:int(fr.meeting_capacity(f.params, f.customers))]] = True
    day.unserved_meetings = int((~held).sum())
    idx = want[held]
    day.contacts_advisor = idx.size
    if not idx.size:
        return
    ch = sc.channels
    boost, drop = _shift_args(m, day.tick)
    perceived = np.empty(idx.size)
    ct.score_advisors(idx, day.quality, m.S, _noise(m, rng, idx.size), m.failure_hit,
                      boost, drop, m.groups.ch, perceived)
    _score(m, day, idx, perceived, sc.trust.intense_weight, recog=ch.advisor_recognition)
    day.cost += ch.cost_advisor_eur * idx.size
    day.relational_cost += ch.cost_advisor_eur * idx.size
    st.from_firm[idx] += 1
    day.firm_msgs += idx.size


# ---------------------------------------------------------------------- 5. privacy
def privacy(m: ExchangeModel, day: Day) -> None:
    """Data asked beyond need and rare misuse events: each firm's privacy evidence of the day."""
    sc = m.params
    day.privacy_k = np.zeros(len(m.firms))
    if not sc.privacy.enabled:
        return
    rng = m.seeds("privacy")
    for f in m.firms:
        misuse = rng.random() < f.params.misuse_per_year / 365.0
        if misuse:
            f.misuse_events += 1
        day.privacy_k[f.index] = pv.privacy_evidence(f.params, sc.privacy, misuse)


# ---------------------------------------------------------------------- 6. experience
def experience(m: ExchangeModel, day: Day) -> None:
    """The day book is closed: evidence, recognition gained, satisfaction and expectations."""
    e = m.params.expectations
    book = m.book
    total, hits = xp.close_day(book.values, book.touched, m.gain, m.S, m.groups.sat, m.groups.exp, bool(e.enabled))
    book.closed()
    day.delivered_quality = total / hits if hits else np.nan


# ---------------------------------------------------------------------- 7. word of mouth
def word_of_mouth(m: ExchangeModel, day: Day) -> None:
    """Consumers talk about their firm to one tie, or in public to all their ties; audiences amplify."""
    st, sc = m.state, m.params
    rng = m.seeds("wom")
    posters, post_valence = day.posters, day.post_valence
    if not sc.wom.enabled:
        if posters.size:
            _deliver(m, day, posters, post_valence, np.ones(posters.size, bool), rng)
        return
    key = np.uint64(rng.integers(0, 2**63))
    k = wm.talk(key, m.S, m.groups.wom, m.talkers)
    talkers = m.talkers[:k].astype(np.int64)
    valence = np.where(st.satisfaction[talkers] >= 0.5, 1.0, -1.0)
    public = rng.random(talkers.size) < day.mix[ExchangeAge.COMPLEX]
    if posters.size:
        talkers = np.concatenate([posters, talkers])
        valence = np.concatenate([post_valence, valence])
        public = np.concatenate([np.ones(posters.size, bool), public])
    if talkers.size:
        _deliver(m, day, talkers, valence, public, rng)


def _deliver(m: ExchangeModel, day: Day, senders, valence, public, rng) -> None:
    """Private messages go to one random tie, public ones to a share of all ties; bloggers amplify."""
    st, sc = m.state, m.params
    g = m.graph
    has = m.degree[senders] > 0
    priv = senders[~public & has]
    pv_ = valence[~public & has]
    j = g.indptr[priv] + (rng.random(priv.size) * m.degree[priv]).astype(np.int64)
    p_src, p_dst, p_val = priv, g.indices[j].astype(np.int64), pv_
    pub = senders[public & has]
    pub_val = valence[public & has]
    s2, d2, v2 = _cascade(m, day, pub, pub_val, rng)
    day.public_posts += int(pub.size)
    day.public_complaints += int((pub_val < 0).sum())
    src = np.concatenate([p_src, s2])
    dst = np.concatenate([p_dst, d2])
    val = np.concatenate([p_val, v2])
    is_pub = np.concatenate([np.zeros(p_src.size, bool), np.ones(s2.size, bool)])
    _amplify(m, day, pub[pub_val < 0], rng)
    if not src.size:
        return
    e = sc.expectations
    d_trust = np.empty(src.size)
    same = np.empty(src.size, bool)
    book = m.book.open("peer")
    day.warned += wm.deliver(src, dst, val, is_pub, m.S, book.values, book.touched, book.hits, m.groups.trust,
                             m.groups.wom, e.peer_weight if e.enabled else 0.0, e.peer_desired_share, d_trust, same)
    m.influence.add(src[same], dst[same], d_trust[same])
    day.peer_msgs += dst.size
    day.wom_total += dst.size
    day.wom_positive += int((val > 0).sum())
    n_pub = int(np.count_nonzero(is_pub))
    if n_pub:  # public talk about a firm feeds its reputation
        fs, vs = st.firm[src[is_pub]], val[is_pub]
        nf = len(m.firms)
        tally = np.bincount((fs[fs >= 0] * 2 + (vs[fs >= 0] > 0)), minlength=2 * nf).reshape(nf, 2)
        for f in m.firms:
            f.reputation_hits += int(tally[f.index, 0])
            f.reputation_praise += int(tally[f.index, 1])
    private_age = int(np.argmax(day.mix[:2]))
    n_priv = dst.size - n_pub
    n_rec = int(np.count_nonzero((val > 0) & ~is_pub))
    _count(m, MessageKind.PUBLIC_POST, ExchangeAge.COMPLEX, n_pub, sent=False)
    m.message_counts[MessageKind.RECOMMENDATION, private_age] += n_rec
    m.message_counts[MessageKind.WARNING, private_age] += n_priv - n_rec
    for a, n_a in ((ExchangeAge.COMPLEX, n_pub), (private_age, n_priv)):
        m.ledger.add("sent", a, n_a)
        m.ledger.add("delivered", a, n_a)
    if m.record_messages:
        ages = np.where(is_pub, ExchangeAge.COMPLEX, private_age)
        kinds = np.where(is_pub, MessageKind.PUBLIC_POST,
                         np.where(val > 0, MessageKind.RECOMMENDATION, MessageKind.WARNING))
        day.messages.append(MessageBatch.make(src, dst, kinds, np.where(is_pub, Channel.SOCIAL, Channel.PEER), ages,
                                              val, day.now_h))


def _cascade(m: ExchangeModel, day: Day, posters: np.ndarray, valence: np.ndarray, rng):
    """Public posts spread as independent cascades (sim/rules/cascades.py); returns (sharer, viewer, valence).

    A viewer reshares with probability ``wom.reshare_rate x 2 share_propensity``,
    times ``1 - wom.answer_damping`` when the firm answered the post in public.
    """
    wom = m.params.wom
    if not posters.size:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    key = np.uint64(rng.integers(0, 2**63))
    damping = np.where(np.isin(posters, day.answered_in_public), 1.0 - wom.answer_damping, 1.0)
    c = cs.spread_posts(m.cascade_work, m.graph.indptr, m.graph.indices, key, posters, np.arange(posters.size),
                        wom.public_reach, m.p_reshare, damping)
    day.cascades = cs.summarise(c.size, c.depth, c.truncated)
    day.reshares += int(c.size.sum() - posters.size)
    m.cascade_log.append((day.tick, posters, valence, c.size, c.depth, c.reach, c.truncated))
    return c.sharer.astype(np.int64), c.viewer.astype(np.int64), valence[c.post]


def _amplify(m: ExchangeModel, day: Day, complaints: np.ndarray, rng) -> None:
    """Bloggers pick up public complaints and pass them to their whole audience (seed 004)."""
    st, sc = m.state, m.params
    for k in m.bloggers:
        b = sc.intermediaries[k]
        if not complaints.size or b.amplification <= 0:
            continue
        picked = complaints[rng.random(complaints.size) < b.amplification]
        if not picked.size:
            continue
        aud = m.audience[k]
        for f in np.unique(st.firm[picked]):
            if f < 0:
                continue
            cnt = int((st.firm[picked] == f).sum())
            mine = aud[st.firm[aud] == f]
            st.evidence_neg[mine] += np.float32(sc.trust.public_weight * cnt)
            m.firms[f].reputation_hits += cnt * aud.size
        st.from_peers[aud] += picked.size
        n = aud.size * picked.size
        day.peer_msgs += n
        _count(m, MessageKind.AMPLIFIED, ExchangeAge.COMPLEX, n)
        if m.record_messages:
            day.messages.append(MessageBatch.make(
                np.full(picked.size, m.addr.intermediary(k)), np.full(picked.size, BROADCAST),
                MessageKind.AMPLIFIED, Channel.SOCIAL, ExchangeAge.COMPLEX, -1.0, day.now_h))


# ---------------------------------------------------------------------- 8. relationships
def relationships(m: ExchangeModel, day: Day) -> None:
    """Evidence is forgotten, recognition and trust and attachment follow, felt help fades."""
    day.sums = np.zeros(len(rl.SUMMED))
    rl.relationships(m.gain, day.privacy_k, m.S, m.groups.trust, m.groups.wom, day.sums)


# ---------------------------------------------------------------------- 9. churn
def churn(m: ExchangeModel, day: Day) -> None:
    """Customers leave with a convex hazard in loyalty: they switch firms, or with one firm become prospects."""
    st, sc = m.state, m.params
    if not sc.churn.enabled:
        return
    rng = m.seeds("churn")
    bound = cr.daily_bound(sc.churn)
    cand = bernoulli_candidates(rng, m.n, bound)
    cand = cand[day.active[cand]]
    h = np.empty(cand.size)
    cr.hazards(cand, m.S, bound, m.groups.churn, h)
    leavers = thinned(rng, cand, h, bound)
    day.churned = int(leavers.size)
    if not leavers.size:
        return
    rl.adjust_sums(leavers, m.S, -1.0, day.sums)  # the day's sums leave with them (switchers come back below)
    if len(m.firms) == 1:
        st.firm[leavers] = -1
        day.active[leavers] = False
        return
    old = st.firm[leavers].astype(np.int64)
    new = cr.switch_targets(old, np.array([f.reputation for f in m.firms]), rng.random(leavers.size))
    st.firm[leavers] = new.astype(np.int16)
    cr.start_relationship(leavers, m.S, m.groups.trust, sc.satisfaction.initial)
    rl.adjust_sums(leavers, m.S, 1.0, day.sums)


# ---------------------------------------------------------------------- 10. acquisition
def acquisition(m: ExchangeModel, day: Day) -> None:
    """Prospects become customers through the firms' reach, reputation and word-of-mouth."""
    st, sc = m.state, m.params
    acq = sc.acquisition
    if not acq.enabled or (acq.innovation <= 0 and acq.imitation <= 0):
        return
    rng = m.seeds("acquisition")
    rep = np.array([f.reputation for f in m.firms])
    offer = np.array([float(bool(f.params.broadcast_every_ticks) and day.tick % f.params.broadcast_every_ticks == 0)
                      for f in m.firms])
    own = aq.own_reach_hazard(acq, rep, offer)
    bound = aq.acquisition_bound(acq, own)
    cand = bernoulli_candidates(rng, m.n, bound)
    cand = cand[st.firm[cand] < 0]
    if not cand.size:
        return
    h = np.repeat(own[None, :], cand.size, axis=0)
    aq.word_of_mouth_hazards(cand, m.graph.indptr, m.graph.indices, m.S, acq.imitation, acq.valence_weight, h)
    total = np.minimum(h.sum(axis=1), 1.0)
    keep = thinned_mask(rng, total, bound)
    won, h, total = cand[keep], h[keep], total[keep]
    if not won.size:
        return
    pick = rng.random(won.size) * h.sum(axis=1)
    firm = np.minimum((np.cumsum(h, axis=1) <= pick[:, None]).sum(axis=1), len(m.firms) - 1)
    st.firm[won] = firm.astype(np.int16)
    cr.start_relationship(won, m.S, m.groups.trust, sc.satisfaction.initial)
    day.active[won] = True
    day.acquired = int(won.size)
    rl.adjust_sums(won, m.S, 1.0, day.sums)


#: The day, in order. Outcomes are recorded after the last phase.
PHASES: tuple[Phase, ...] = (
    Phase("firms", "firms count customers, deliver quality, listen, broadcast offers, anchor expectations", firms),
    Phase("routine contacts", "statements, app checks and cash machine uses are scored", routine_contacts),
    Phase("requests", "requests are routed under the day's age mix, queues served, answers scored", requests),
    Phase("advisors", "advisor meetings, limited by capacity, are scored", advisors),
    Phase("privacy", "each firm's privacy evidence of the day (data beyond need, misuse events)", privacy),
    Phase("experience", "the day book is closed: evidence, satisfaction, expectations", experience),
    Phase("word of mouth", "private talk, public posts and amplification reach peers", word_of_mouth),
    Phase("relationships", "forgetting, recognition, trust, attachment, felt help", relationships),
    Phase("churn", "customers leave or switch firms", churn),
    Phase("acquisition", "prospects become customers (reach, reputation, word-of-mouth)", acquisition),
)
