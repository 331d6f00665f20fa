"""Routing of requests under each exchange age (Bagozzi 1975).

Each function takes the requests sent this tick under one age, pushes them
through the hops that age allows, and returns what was answered (with the
response time and the quality that reached the consumer), what was dropped,
and, when asked, the hop-by-hop messages.

- restricted: consumer -> firm -> consumer. No intermediary ever appears. A
  request for a person is a phone call: it waits on the line in the firm's
  pool of agents (sim/rules/callcentre.py), a synchronous queue with working
  hours, impatience and retrials.
- generalized: consumer -> platform (tele-advisor) -> firm -> consumer; every
  hop has a capacity, a delay and a loss; the platform passes on a distorted
  request; consumers can leak onto a line not meant for their segment. The
  firm answers relayed requests from its back office, a backlog served with a
  daily capacity (hours, not minutes).
- complex: the consumer posts in public (its ties see it) and the firm's
  social team answers; a share of answers is given in public.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.ages import ExchangeAge
from sim.messages import Addresses, Channel, MessageBatch, MessageKind
from sim.rules import callcentre as cc
from sim.rules.queues import RequestQueue

__all__ = ["Answered", "Router", "Served"]


@dataclass
class Answered:
    """Requests answered this tick (one row each)."""

    consumer: np.ndarray
    firm: np.ndarray
    age: np.ndarray
    human: np.ndarray         #: bool: answered by a person
    response_h: np.ndarray    #: hours from sending to answer
    distortion: np.ndarray    #: quality lost on the way (relays)
    public: np.ndarray        #: bool: answered in public


@dataclass
class Served:
    """Bookkeeping of one tick of routing."""

    answered: list = field(default_factory=list)
    dropped_by_age: np.ndarray = field(default_factory=lambda: np.zeros(3, np.int64))
    delivered_by_age: np.ndarray = field(default_factory=lambda: np.zeros(3, np.int64))
    waits_h: list = field(default_factory=list)
    messages: list = field(default_factory=list)
    platform_messages: np.ndarray | None = None
    leaked: int = 0
    relayed: int = 0
    retried_by_age: np.ndarray = field(default_factory=lambda: np.zeros(3, np.int64))
    phone: list = field(default_factory=list)  #: one sim.rules.callcentre.DayResult per firm


def _drop(served: Served, ages: np.ndarray) -> None:
    served.dropped_by_age += np.bincount(ages, minlength=3)[:3]


class Router:
    """Holds the firms' human queues and the platforms' queues between ticks."""

    def __init__(self, addresses: Addresses, n_firms: int, n_platforms: int,
                 platform_ids: list[int], line_of_segment: np.ndarray):
        self.addr = addresses
        self.firm_queues = [RequestQueue() for _ in range(n_firms)]     # back offices (relayed requests)
        self.phone_pools = [cc.StaffPool() for _ in range(n_firms)]   # phone lines (direct requests)
        self._calls: list[list] = [[] for _ in range(n_firms)]         # today's calls per firm
        self.platform_queues = [RequestQueue() for _ in range(n_platforms)]
        self.platform_ids = platform_ids          # intermediary index of each platform
        self.line_of_segment = line_of_segment    # platform slot designed for each segment

    def queued_by_age(self) -> np.ndarray:
        """Requests still waiting anywhere, per age."""
        out = np.zeros(3, np.int64)
        for q in self.firm_queues + self.platform_queues:
            out += q.count_by_age()
        return out

    # ----------------------------------------------------------------- entry points
    def route_restricted(self, served: Served, consumer, firm, human, sent_h, record: bool,
                         auto_response_h: float) -> None:
        """Consumer -> firm directly. Automated requests are answered at once; human ones queue."""
        self._route_direct(served, consumer, firm, human, sent_h, record, auto_response_h,
                           int(ExchangeAge.RESTRICTED), None)

    def _route_direct(self, served: Served, consumer, firm, human, sent_h, record: bool,
                      auto_response_h: float, age: int, channel) -> None:
        if record and consumer.size:
            ch = np.where(human, Channel.PHONE, Channel.AUTOMATED) if channel is None else channel
            served.messages.append(MessageBatch.make(
                consumer, self.addr.firm(firm), MessageKind.REQUEST, ch, age, 0.0, sent_h))
        self._answer_automated(served, consumer[~human], firm[~human], age, sent_h[~human],
                               auto_response_h, record)
        for f, calls in enumerate(self._calls):
            m = human & (firm == f)
            if m.any():
                calls.append((consumer[m], sent_h[m], np.full(int(m.sum()), age, np.int64)))

    def route_generalized(self, served: Served, consumer, firm, segment, sent_h, leak: float,
                          rng: np.random.Generator, delays_h: np.ndarray, record: bool) -> None:
        """Consumer -> platform line of its segment (or a leaked line) -> firm -> consumer."""
        age = int(ExchangeAge.GENERALIZED)
        n_lines = len(self.platform_queues)
        line = self.line_of_segment[segment]
        if n_lines > 1 and leak > 0:
            leaked = rng.random(consumer.size) < leak
            other = (line + rng.integers(1, n_lines, consumer.size)) % n_lines
            line = np.where(leaked, other, line)
            served.leaked += int(leaked.sum())
        served.relayed += int(consumer.size)
        arrive = sent_h + delays_h[line]
        if record and consumer.size:
            served.messages.append(MessageBatch.make(
                consumer, self.addr.intermediary(np.asarray(self.platform_ids)[line]),
                MessageKind.REQUEST, Channel.PLATFORM, age, 0.0, sent_h, arrive))
        for k, q in enumerate(self.platform_queues):
            m = line == k
            if m.any():
                q.push(consumer[m], sent_h[m], arrive[m], np.full(m.sum(), age, np.int8),
                       np.zeros(m.sum(), np.float32))

    def route_complex(self, served: Served, consumer, firm, human, sent_h, public_share: np.ndarray,
                      rng: np.random.Generator, social_response_h: float, auto_response_h: float,
                      record: bool) -> None:
        """A request made in public (on social media, seen by the poster's ties).

        The firm's listening team answers a share ``public_share[firm]`` of them
        in public, in person, within ``social_response_h``; the rest reach the
        firm's ordinary channels (automated or human queue) like a direct request.
        """
        age = int(ExchangeAge.COMPLEX)
        public = rng.random(consumer.size) < public_share[firm]
        if record and public.any():
            served.messages.append(MessageBatch.make(
                consumer[public], self.addr.firm(firm[public]), MessageKind.REQUEST, Channel.SOCIAL,
                age, 0.0, sent_h[public]))
        n = int(public.sum())
        if n:
            c, f, t = consumer[public], firm[public], sent_h[public]
            served.answered.append(Answered(c, f.astype(np.int16), np.full(n, age, np.int8),
                                            np.ones(n, bool), np.full(n, social_response_h),
                                            np.zeros(n, np.float32), np.ones(n, bool)))
            served.delivered_by_age[age] += n
            if record:
                served.messages.append(MessageBatch.make(
                    self.addr.firm(f), c, MessageKind.PUBLIC_ANSWER, Channel.SOCIAL, age, 0.0,
                    t + social_response_h, t + social_response_h))
        rest = ~public
        self._route_direct(served, consumer[rest], firm[rest], human[rest], sent_h[rest], record,
                           auto_response_h, age, Channel.SOCIAL)

    # ----------------------------------------------------------------- serving
    def phone(self, served: Served, day: int, agents: np.ndarray, phone_patience_h: np.ndarray,
              firm_of: np.ndarray, ch, rng: np.random.Generator, record: bool) -> None:
        """Today's calls of each firm go through its pool of agents (sim/rules/callcentre.py).

        A call's time is today's request time mapped into the opening hours
        (people call when the lines are open); retrials due today join them.
        Answered calls are answers by a person (response time = end of the
        call - the call's arrival); a caller who hangs up, or is told to call
        back at closing, calls again with probability ``channels.retrial_share``.
        A call's id is ``consumer * 3 + age``.
        """
        open_h, close_h = ch.phone_open_h, max(ch.phone_close_h, ch.phone_open_h + 0.01)
        d0 = 24.0 * day
        for f, pool in enumerate(self.phone_pools):
            parts = self._calls[f]
            self._calls[f] = []
            if parts:
                c = np.concatenate([p[0] for p in parts])
                t = np.concatenate([p[1] for p in parts])
                a = np.concatenate([p[2] for p in parts])
            else:
                c, t, a = np.empty(0, np.int64), np.empty(0), np.empty(0, np.int64)
            t = d0 + open_h + (t - d0) / 24.0 * (close_h - open_h)
            retry_id, retry_h = pool.retrials_due(day)
            # A retrial that fell due after yesterday's calls were served comes at today's opening.
            retry_h = np.maximum(retry_h, d0 + open_h)
            arrive, ids, is_retry = cc.merge_arrivals(t, c * 3 + a, retry_h, retry_id)
            ages = (ids % 3).astype(np.int8)
            served.retried_by_age += np.bincount(ages[is_retry], minlength=3)[:3]
            consumer = ids // 3
            patience = cc.exponential_patience(rng, phone_patience_h[consumer])
            service = (cc.exponential_service(rng, ids.size, ch.phone_service_min / 60.0)
                       if ch.phone_service_distribution == "exponential"
                       else cc.lognormal_service(rng, ids.size, ch.phone_service_min / 60.0, ch.phone_service_cv))
            res = pool.day(day, arrive, patience, service, ids, int(agents[f]), open_h, close_h,
                           ch.service_level_s / 3600.0, is_retry)
            served.phone.append(res)
            pool.schedule_retrials(rng, res, ch.retrial_share, ch.retrial_delay_h)
            gone = np.concatenate([res.abandoned_id, res.callback_id]) % 3
            _drop(served, gone.astype(np.int8))
            rid = res.answered_id
            cons = rid // 3
            still = firm_of[cons] == f
            _drop(served, (rid[~still] % 3).astype(np.int8))
            rid, cons = rid[still], cons[still]
            ages = (rid % 3).astype(np.int8)
            end = res.answered_end_h[still]
            arrived = res.answered_start_h[still] - res.answered_wait_h[still]
            served.delivered_by_age += np.bincount(ages, minlength=3)[:3]
            served.waits_h.append(res.answered_wait_h[still])
            served.answered.append(Answered(cons, np.full(cons.size, f, np.int16), ages, np.ones(cons.size, bool),
                                            end - arrived, np.zeros(cons.size, np.float32),
                                            np.zeros(cons.size, bool)))
            if record and cons.size:
                served.messages.append(MessageBatch.make(
                    np.full(cons.size, self.addr.firm(f)), cons, MessageKind.ANSWER, Channel.PHONE,
                    ages, 0.0, end, end))

    def serve(self, served: Served, now_h: float, firm_of: np.ndarray, patience_h: np.ndarray,
              platform_capacity: np.ndarray, platform_loss: np.ndarray,
              platform_distortion: np.ndarray, platform_delay_h: np.ndarray,
              firm_capacity: np.ndarray, human_response_h: float, rng: np.random.Generator,
              record: bool) -> None:
        """Serve all queues for one tick: platforms first, then the firms' human answerers.

        A request served by a platform is lost with the platform's loss rate or
        passed on, distorted, to the consumer's firm, arriving after the
        platform's delay; it can be answered the same day if the firm has
        capacity. Requests that waited longer than their sender's patience are
        abandoned (dropped).
        """
        day_end = now_h + 24.0
        for k, q in enumerate(self.platform_queues):
            gone = q.abandon(now_h, patience_h)
            _drop(served, gone["age"])
            got = q.serve(int(platform_capacity[k]), day_end)
            if not got["consumer"].size:
                continue
            start = np.maximum(got["arrive_h"], now_h)
            lost = rng.random(got["consumer"].size) < platform_loss[k]
            _drop(served, got["age"][lost])
            keep = ~lost
            c = got["consumer"][keep]
            handoff = start[keep] + platform_delay_h[k]
            served.waits_h.append(start[keep] - got["arrive_h"][keep])
            f = firm_of[c]
            alive = f >= 0
            _drop(served, got["age"][keep][~alive])
            c, handoff, f = c[alive], handoff[alive], f[alive]
            sent = got["sent_at_h"][keep][alive]
            dist = got["distortion"][keep][alive] + platform_distortion[k]
            if record and c.size:
                served.messages.append(MessageBatch.make(
                    np.full(c.size, self.addr.intermediary(self.platform_ids[k])),
                    self.addr.firm(f),
                    MessageKind.REQUEST, Channel.PLATFORM, ExchangeAge.GENERALIZED, 0.0,
                    start[keep][alive], handoff))
            for fi, fq in enumerate(self.firm_queues):
                m = f == fi
                if m.any():
                    fq.push(c[m], sent[m], handoff[m], got["age"][keep][alive][m], dist[m])
        for fi, q in enumerate(self.firm_queues):
            gone = q.abandon(now_h, patience_h)
            _drop(served, gone["age"])
            got = q.serve(int(firm_capacity[fi]), day_end)
            c = got["consumer"]
            if not c.size:
                continue
            still = firm_of[c] == fi
            _drop(served, got["age"][~still])
            c = c[still]
            start = np.maximum(got["arrive_h"][still], now_h)
            served.waits_h.append(start - got["arrive_h"][still])
            done = start + human_response_h
            ages = got["age"][still]
            served.delivered_by_age += np.bincount(ages, minlength=3)[:3]
            served.answered.append(Answered(
                c, np.full(c.size, fi, np.int16), ages, np.ones(c.size, bool),
                done - got["sent_at_h"][still], got["distortion"][still],
                np.zeros(c.size, bool)))
            if record:
                served.messages.append(MessageBatch.make(
                    np.full(c.size, self.addr.firm(fi)), c, MessageKind.ANSWER, Channel.PHONE,
                    ages, 0.0, done, done))

    def _answer_automated(self, served: Served, consumer, firm, age, sent_h, response_h, record):
        n = consumer.size
        if not n:
            return
        served.delivered_by_age[age] += n
        served.answered.append(Answered(consumer, firm.astype(np.int16), np.full(n, age, np.int8),
                                        np.zeros(n, bool), np.full(n, response_h),
                                        np.zeros(n, np.float32), np.zeros(n, bool)))
        if record:
            served.messages.append(MessageBatch.make(
                self.addr.firm(firm), consumer, MessageKind.ANSWER, Channel.AUTOMATED, age, 0.0,
                sent_h + response_h, sent_h + response_h))
