"""The human channel as a queue: a pool of people answering phone and chat requests first come, first served.

Time is continuous, in hours since the start of the run; day ``d`` covers
``[24 d, 24 d + 24)``, and a server's state (when it is next free) carries
from one day to the next. Requests are synchronous: a caller waits on the line
until a person takes the call or until their patience runs out.

The queue discipline
    First come, first served with homogeneous servers. A request's offered wait
    (the time until a server would take it) depends only on earlier requests,
    so with each request's patience known on arrival the queue is simulated
    request by request without events [8]: the request arriving at ``t`` is
    taken by the earliest-free server, ``wait = max(0, f_min - t)``; if
    ``wait > patience`` it abandons at ``t + patience`` and occupies nobody,
    otherwise that server is busy until ``t + wait + service``. The ``c``
    free times are kept in a binary min-heap [9], ``O(log c)`` per request.
    With Poisson arrivals, exponential service and exponential patience this
    is exactly the M/M/c+M (Erlang A) queue [2, 3] (M/M/c, Erlang C [1], with
    infinite patience); it holds for any service and patience distribution
    (G/G/c+G, FCFS).

Working hours (choices of this module)
    Servers work ``[open_h, close_h)`` of each day (hours of the day,
    ``0 <= open_h < close_h <= 24``; shifts do not cross midnight).

    - A request arriving outside working hours is told to call back at once
      (outcome :data:`CALLBACK_CLOSED`); it is not *offered* to the queue.
    - A server's shift ends at closing, but a call in progress is finished:
      the server is then free at the end of that call (overtime, reported as
      ``spill_h``) and next works at the next opening.
    - A request whose service would start at or after closing, and whose
      patience would outlast the closing time, is told to call back at
      closing (outcome :data:`CALLBACK_CLOSING`), waited ``close - t``. One
      whose patience runs out before closing abandons as usual.
    - ``open_h = 0, close_h = 24`` means always open: there is no closing,
      waits and calls run across midnight, and nothing is told to call back
      (except, with no server on duty, requests of infinite patience, told
      at the end of the day).
    - Call-backs are told to retry from the next opening (same hours
      tomorrow when the request came after today's closing).

Service level
    ``SL = answered within T / (offered - abandoned within T)`` [7]: offered
    requests are those that arrived in working hours; a request that abandons
    within T (``waited <= T``) is left out of numerator and denominator (it
    hung up before the target could be met); requests told to call back at
    closing stay in the denominator (the firm, not the caller, ended them).
    "Within T" is ``wait <= T``. NaN when the denominator is 0.

Draws
    Every draw comes from a ``numpy.random.Generator`` passed in (a
    sequential stream, as the model's other event phases use), one vector call
    per quantity per day: the number of values drawn depends only on the number
    of requests, never on parameter values, so streams stay aligned across
    scenarios that differ only in means. Service times are exponential or
    lognormal (call-centre service times are close to lognormal [6]); patience
    is exponential with the consumer's mean patience; arrivals in a window are
    a Poisson count placed as sorted uniform order statistics [10].

Retrials
    A request that abandoned, or was told to call back, tries again with
    probability ``retrial_share`` after an exponential delay of mean
    ``retrial_delay_h`` [11], counted from the abandonment or from the next
    opening. A :class:`StaffPool` keeps the retrials pending between days
    (:meth:`StaffPool.schedule_retrials`, :meth:`StaffPool.retrials_due`); they
    come back as arrivals flagged ``retrial`` and are counted apart from first
    attempts.

Staffing and costs
    Square-root staffing ``c = ceil(R + beta sqrt(R))`` with offered load
    ``R = lambda x E[S]`` in Erlangs [5]; staff cost = servers x working hours x
    cost per agent-hour; waiting cost = waiting hours x cost per waiting hour.

References:
    [1] Erlang, A. K. (1917). Solution of some problems in the theory of
        probabilities of significance in automatic telephone exchanges. Post
        Office Electrical Engineers' Journal 10, 189-197.
    [2] Palm, C. (1943). Intensitatsschwankungen im Fernsprechverkehr.
        Ericsson Technics 44, 1-189.
    [3] Garnett, O., Mandelbaum, A., & Reiman, M. (2002). Designing a call
        center with impatient customers. Manufacturing & Service Operations
        Management 4(3), 208-227.
    [4] Mandelbaum, A., & Zeltyn, S. (2007). Service engineering in action:
        the Palm/Erlang-A queue, with applications to call centers. In
        Advances in Services Innovations, Springer, 17-45.
    [5] Halfin, S., & Whitt, W. (1981). Heavy-traffic limits for queues with
        many exponential servers. Operations Research 29(3), 567-588.
    [6] Brown, L., Gans, N., Mandelbaum, A., Sakov, A., Shen, H., Zeltyn, S.,
        & Zhao, L. (2005). Statistical analysis of a telephone call center: a
        queueing-science perspective. Journal of the American Statistical
        Association 100(469), 36-50.
    [7] Gans, N., Koole, G., & Mandelbaum, A. (2003). Telephone call centers:
        tutorial, review, and research prospects. Manufacturing & Service
        Operations Management 5(2), 79-141.
    [8] Kiefer, J., & Wolfowitz, J. (1955). On the theory of queues with many
        servers. Transactions of the American Mathematical Society 78(1), 1-18.
    [9] Williams, J. W. J. (1964). Algorithm 232: Heapsort. Communications of
        the ACM 7(6), 347-348.
    [10] Ross, S. M. (1996). Stochastic Processes, 2nd ed. Wiley, Theorem
        2.3.1 (arrival times given the count are uniform order statistics).
    [11] Aguir, S., Karaesmen, F., Aksin, O. Z., & Chauvet, F. (2004). The
        impact of retrials on call center performance. OR Spectrum 26(3),
        353-376.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.rules.jit import kernel, rule

__all__ = ["ABANDONED", "ANSWERED", "CALLBACK_CLOSED", "CALLBACK_CLOSING", "DayResult", "StaffPool",
           "arrival_times", "draw_retrials", "exponential_patience", "exponential_service", "lognormal_mu",
           "lognormal_service", "lognormal_sigma", "merge_arrivals", "offered_load", "poisson_arrivals",
           "serve_fcfs", "service_level", "square_root_staffing", "staff_cost", "waiting_cost"]

#: Outcome codes of a request (``DayResult.outcome``).
ANSWERED = 0
ABANDONED = 1
CALLBACK_CLOSED = 2
CALLBACK_CLOSING = 3

HOURS_PER_DAY = 24.0


# ------------------------------------------------------------------ equations
@rule
def lognormal_sigma(cv):
    """Log-scale sd of a lognormal of coefficient of variation ``cv``: ``sigma = sqrt(ln(1 + cv^2))``.

    From ``cv^2 = exp(sigma^2) - 1`` for ``X = exp(N(mu, sigma^2))``.
    """
    return math.sqrt(math.log1p(cv * cv))


@rule
def lognormal_mu(mean, cv):
    """Log-scale mean of a lognormal of mean ``mean`` and cv ``cv``: ``mu = ln(mean) - sigma^2 / 2``.

    From ``E[X] = exp(mu + sigma^2 / 2)`` with ``sigma`` of :func:`lognormal_sigma`.
    """
    s = lognormal_sigma(cv)
    return math.log(mean) - 0.5 * s * s


@rule
def offered_load(rate_per_h, mean_service_h):
    """Offered load in Erlangs: ``R = lambda E[S]`` (requests per hour x hours per request) [5]."""
    return rate_per_h * mean_service_h


@rule
def square_root_staffing(offered_load_erlangs, beta):
    """Servers by the square-root rule: ``c = ceil(R + beta sqrt(R))`` [5].

    ``beta`` is the quality-of-service parameter (Halfin-Whitt regime: as R
    grows with beta > 0 fixed, the probability of waiting tends to a limit
    in (0, 1) set by beta). ``R = 0`` gives 0 servers; the result is never
    negative (a negative beta cannot staff below zero).
    """
    return max(math.ceil(offered_load_erlangs + beta * math.sqrt(offered_load_erlangs)), 0)


@rule
def staff_cost(servers, working_h, cost_per_agent_h):
    """Cost of the people on duty for a day: ``servers x working hours x cost per agent-hour``.

    Overtime (a call in progress finished after closing) is not costed here.
    """
    return servers * working_h * cost_per_agent_h


@rule
def waiting_cost(waiting_h, cost_per_waiting_h):
    """Cost of the callers' time on hold: ``waiting hours x cost per waiting hour``."""
    return waiting_h * cost_per_waiting_h


@rule
def service_level(answered_within, offered, abandoned_within):
    """Share answered within the target: ``answered within T / (offered - abandoned within T)`` [7].

    NaN when every offered request abandoned within T (or none was offered).
    """
    d = offered - abandoned_within
    if d <= 0:
        return math.nan
    return answered_within / d


# ------------------------------------------------------------------ the queue
@kernel
def _sift_down(heap, i, n):
    """Restore the min-heap property below position ``i`` of ``heap[:n]`` [9]."""
    x = heap[i]
    while True:
        child = 2 * i + 1
        if child >= n:
            break
        right = child + 1
        if right < n and heap[right] < heap[child]:
            child = right
        if heap[child] < x:
            heap[i] = heap[child]
            i = child
        else:
            break
    heap[i] = x


@kernel
def serve_fcfs(arrive_h, patience_h, service_h, heap, open_abs, close_abs, cutoff_abs,
               outcome, waited_h, start_h, end_h):
    """One day's requests through ``c`` FCFS servers whose free times are ``heap`` (hours, in place).

    For request j arriving at ``t = arrive_h[j]`` (sorted): outside
    ``[open_abs, close_abs)`` it is told to call back (:data:`CALLBACK_CLOSED`,
    waited 0). Otherwise with ``f`` the earliest free time (``inf`` with no
    server) and ``b = max(t, f)``: if ``b >= cutoff_abs`` and
    ``t + patience >= cutoff_abs`` it is told at ``close_abs`` to call back
    (:data:`CALLBACK_CLOSING`, waited ``close_abs - t``); else if
    ``b - t > patience`` it abandons (:data:`ABANDONED`, waited = patience);
    else it is answered (:data:`ANSWERED`, waited ``b - t``, start ``b``,
    end ``b + service``) and the server's free time becomes the end [8].
    ``cutoff_abs`` is ``close_abs`` with working hours and ``inf`` when always
    open. ``start_h``/``end_h`` are NaN for requests not answered.

    Args:
        arrive_h: Arrival times, hours since the start of the run, sorted.
        patience_h: Patience per request (hours; ``inf`` never abandons).
        service_h: Service time per request (hours).
        heap: Free times of the servers on duty, each at least ``open_abs``;
            heapified here and updated in place.
        open_abs: Today's opening, hours since the start of the run.
        close_abs: Today's closing (end of day when always open).
        cutoff_abs: Latest start of a service: ``close_abs``, or ``inf``.
        outcome: Out, int8 outcome code per request.
        waited_h: Out, time on hold per request (hours).
        start_h: Out, start of service (NaN if not answered).
        end_h: Out, end of service (NaN if not answered).

    Returns:
        ``(busy_h, spill_h)``: server-hours of today's calls inside
        ``[open_abs, close_abs)``, and after ``close_abs``.
    """
    n = heap.shape[0]
    for i in range(n // 2 - 1, -1, -1):
        _sift_down(heap, i, n)
    busy = 0.0
    spill = 0.0
    for j in range(arrive_h.shape[0]):
        t = arrive_h[j]
        start_h[j] = np.nan
        end_h[j] = np.nan
        if t < open_abs or t >= close_abs:
            outcome[j] = CALLBACK_CLOSED
            waited_h[j] = 0.0
            continue
        f = heap[0] if n > 0 else np.inf
        b = max(t, f)
        p = patience_h[j]
        if b >= cutoff_abs and t + p >= cutoff_abs:
            outcome[j] = CALLBACK_CLOSING
            waited_h[j] = close_abs - t
        elif b - t > p:
            outcome[j] = ABANDONED
            waited_h[j] = p
        else:
            e = b + service_h[j]
            outcome[j] = ANSWERED
            waited_h[j] = b - t
            start_h[j] = b
            end_h[j] = e
            heap[0] = e
            _sift_down(heap, 0, n)
            busy += max(min(e, close_abs) - b, 0.0)
            if e > close_abs:
                spill += e - max(b, close_abs)
    return busy, spill


@dataclass(frozen=True)
class DayResult:
    """What happened to one day's requests, and the day's counts.

    Per request, aligned with the input (``outcome`` codes, ``waited_h``
    time on hold, ``start_h``/``end_h`` NaN unless answered), then by outcome:

    - answered: ``answered_id``, ``answered_wait_h``, ``answered_start_h``,
      ``answered_end_h``;
    - abandoned: ``abandoned_id``, ``abandoned_h`` (when they hung up),
      ``abandoned_waited_h``;
    - told to call back: ``callback_id``, ``callback_h`` (when told),
      ``callback_waited_h``, ``callback_closed`` (True: arrived outside working
      hours; False: still waiting at closing), ``callback_reopen_h`` (the next
      opening, from which a retrial delay runs).

    Counts (requests): ``arrivals`` (all, first attempts and retrials),
    ``retrial_arrivals``; ``offered`` (arrived in working hours) =
    ``answered + abandoned + callbacks_closing``; ``callbacks_closed``;
    ``retrial_answered``; ``waited`` (offered requests that found every server
    busy, offered wait > 0: answered after a wait, all abandoned and all told
    at closing); ``answered_within``/``abandoned_within`` (wait or time to
    hang up ``<= service_level_h``).

    Rates and times: ``share_waited = waited / offered``; ``mean_wait_h`` and
    ``p90_wait_h`` over answered requests (linear-interpolated percentile);
    ``mean_wait_offered_h`` over all offered (each one's time on hold, the
    Erlang A ``E[W]``); ``total_wait_h`` (all time on hold);
    ``service_level`` (:func:`service_level`); ``busy_h`` (server-hours busy
    inside today's working hours, including calls carried over from the day
    before), ``available_h = servers x working hours``,
    ``occupancy = busy_h / available_h`` on [0, 1]; ``spill_h`` (server-hours
    of today's calls after closing: overtime, or carried into tomorrow when
    always open). Ratios are NaN when their denominator is 0.
    """

    day: int
    servers: int
    open_h: float
    close_h: float
    service_level_h: float
    outcome: np.ndarray
    waited_h: np.ndarray
    start_h: np.ndarray
    end_h: np.ndarray
    answered_id: np.ndarray
    answered_wait_h: np.ndarray
    answered_start_h: np.ndarray
    answered_end_h: np.ndarray
    abandoned_id: np.ndarray
    abandoned_h: np.ndarray
    abandoned_waited_h: np.ndarray
    callback_id: np.ndarray
    callback_h: np.ndarray
    callback_waited_h: np.ndarray
    callback_closed: np.ndarray
    callback_reopen_h: np.ndarray
    arrivals: int
    retrial_arrivals: int
    offered: int
    answered: int
    abandoned: int
    callbacks_closed: int
    callbacks_closing: int
    retrial_answered: int
    waited: int
    answered_within: int
    abandoned_within: int
    share_waited: float
    mean_wait_h: float
    p90_wait_h: float
    mean_wait_offered_h: float
    total_wait_h: float
    service_level: float
    busy_h: float
    available_h: float
    occupancy: float
    spill_h: float

    @property
    def working_h(self) -> float:
        """Hours the servers work today: ``close_h - open_h``."""
        return self.close_h - self.open_h

    def staff_cost(self, cost_per_agent_h: float) -> float:
        """Cost of today's servers: :func:`staff_cost` with today's servers and working hours."""
        return float(staff_cost(float(self.servers), self.working_h, float(cost_per_agent_h)))

    def waiting_cost(self, cost_per_waiting_h: float) -> float:
        """Cost of today's time on hold: :func:`waiting_cost` of ``total_wait_h``."""
        return float(waiting_cost(self.total_wait_h, float(cost_per_waiting_h)))


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den > 0 else math.nan


class StaffPool:
    """People answering synchronous requests, with the state carried between days.

    Attributes:
        free_h: When each person is next free (hours since the start of the
            run), one entry per person who has ever been on duty; ``-inf``
            for a person who never worked. The pool records free times, not
            which person took which call (servers are exchangeable).
        pending_id: Ids of retrials not yet due.
        pending_due_h: When each pending retrial comes back (hours).
    """

    def __init__(self, servers: int = 0):
        """A pool of ``servers`` people, all free."""
        self.free_h = np.full(int(servers), -np.inf)
        self.pending_id = np.empty(0, dtype=np.int64)
        self.pending_due_h = np.empty(0, dtype=np.float64)

    def day(self, day: int, arrive_h, patience_h, service_h, ids, servers: int, open_h: float, close_h: float,
            service_level_h: float, retrial=None) -> DayResult:
        """Serve one day's requests with ``servers`` people working ``[open_h, close_h)``.

        The people on duty are the ``servers`` who are free earliest; the pool
        grows when more are asked for than it has. Their free times are raised
        to the opening, the requests go through :func:`serve_fcfs`, and the
        free times are stored back for the next day.

        Args:
            day: Day index d; requests must arrive in ``[24 d, 24 d + 24)``.
            arrive_h: Arrival times (hours since the start of the run), sorted.
            patience_h: Patience per request (hours, ``>= 0``, ``inf`` allowed).
            service_h: Service time per request (hours, ``>= 0``).
            ids: Request ids (int64), returned with each outcome.
            servers: People on duty (``>= 0``).
            open_h: Opening, hour of the day in [0, 24).
            close_h: Closing, hour of the day in (open_h, 24]; 0-24 is always open.
            service_level_h: The target T of the service level (hours).
            retrial: Optional bool per request, True for a retrial.

        Returns:
            The day's :class:`DayResult`.

        Raises:
            ValueError: On unsorted arrivals, arrivals outside the day,
                mismatched lengths, or invalid hours, servers or times.
        """
        t = np.ascontiguousarray(arrive_h, dtype=np.float64)
        p = np.ascontiguousarray(patience_h, dtype=np.float64)
        s = np.ascontiguousarray(service_h, dtype=np.float64)
        rid = np.ascontiguousarray(ids, dtype=np.int64)
        k = t.shape[0]
        rt = np.zeros(k, dtype=bool) if retrial is None else np.ascontiguousarray(retrial, dtype=bool)
        if not (p.shape[0] == s.shape[0] == rid.shape[0] == rt.shape[0] == k):
            raise ValueError("arrive_h, patience_h, service_h, ids and retrial must have the same length")
        if not 0.0 <= open_h < close_h <= HOURS_PER_DAY:
            raise ValueError(f"working hours must satisfy 0 <= open_h < close_h <= 24, got [{open_h}, {close_h})")
        if servers < 0:
            raise ValueError("servers must be >= 0")
        d0 = HOURS_PER_DAY * day
        if k and (t[0] < d0 or t[-1] >= d0 + HOURS_PER_DAY or np.any(np.diff(t) < 0)):
            raise ValueError(f"arrivals must be sorted and within day {day}: [{d0}, {d0 + HOURS_PER_DAY})")
        if k and (np.any(s < 0) or np.any(np.isnan(s)) or np.any(p < 0) or np.any(np.isnan(p))):
            raise ValueError("service and patience times must be >= 0")
        always_open = open_h == 0.0 and close_h == HOURS_PER_DAY
        open_abs, close_abs = d0 + open_h, d0 + close_h
        cutoff_abs = math.inf if always_open else close_abs
        working_h = close_h - open_h

        servers = int(servers)
        if servers > self.free_h.shape[0]:
            self.free_h = np.concatenate([self.free_h, np.full(servers - self.free_h.shape[0], -np.inf)])
        duty = np.argsort(self.free_h, kind="stable")[:servers]
        carried = float(np.clip(self.free_h[duty] - open_abs, 0.0, working_h).sum())
        heap = np.maximum(self.free_h[duty], open_abs)

        outcome = np.empty(k, dtype=np.int8)
        waited = np.empty(k, dtype=np.float64)
        start = np.empty(k, dtype=np.float64)
        end = np.empty(k, dtype=np.float64)
        busy, spill = serve_fcfs(t, p, s, heap, open_abs, close_abs, cutoff_abs, outcome, waited, start, end)
        self.free_h[duty] = heap
        busy += carried

        ans = outcome == ANSWERED
        aba = outcome == ABANDONED
        cb = (outcome == CALLBACK_CLOSED) | (outcome == CALLBACK_CLOSING)
        closed = outcome == CALLBACK_CLOSED
        n_ans, n_aba = int(ans.sum()), int(aba.sum())
        n_closed, n_closing = int(closed.sum()), int((outcome == CALLBACK_CLOSING).sum())
        offered = n_ans + n_aba + n_closing
        w_ans = waited[ans]
        w_off = waited[~closed]
        cb_at = np.where(closed[cb], t[cb], close_abs)
        reopen = np.where(cb_at < open_abs, open_abs, open_abs + HOURS_PER_DAY)
        answered_within = int((w_ans <= service_level_h).sum())
        abandoned_within = int((waited[aba] <= service_level_h).sum())
        available = servers * working_h
        return DayResult(
            day=int(day), servers=servers, open_h=float(open_h), close_h=float(close_h),
            service_level_h=float(service_level_h),
            outcome=outcome, waited_h=waited, start_h=start, end_h=end,
            answered_id=rid[ans], answered_wait_h=w_ans, answered_start_h=start[ans], answered_end_h=end[ans],
            abandoned_id=rid[aba], abandoned_h=t[aba] + waited[aba], abandoned_waited_h=waited[aba],
            callback_id=rid[cb], callback_h=cb_at, callback_waited_h=waited[cb], callback_closed=closed[cb],
            callback_reopen_h=reopen,
            arrivals=k, retrial_arrivals=int(rt.sum()), offered=offered, answered=n_ans, abandoned=n_aba,
            callbacks_closed=n_closed, callbacks_closing=n_closing, retrial_answered=int((ans & rt).sum()),
            waited=int((w_ans > 0).sum()) + n_aba + n_closing,
            answered_within=answered_within, abandoned_within=abandoned_within,
            share_waited=_ratio(int((w_ans > 0).sum()) + n_aba + n_closing, offered),
            mean_wait_h=float(w_ans.mean()) if n_ans else math.nan,
            p90_wait_h=float(np.percentile(w_ans, 90.0)) if n_ans else math.nan,
            mean_wait_offered_h=float(w_off.mean()) if offered else math.nan,
            total_wait_h=float(w_off.sum()),
            service_level=float(service_level(float(answered_within), float(offered), float(abandoned_within))),
            busy_h=float(busy), available_h=float(available), occupancy=_ratio(busy, available), spill_h=float(spill),
        )

    def schedule_retrials(self, rng: np.random.Generator, result: DayResult, retrial_share: float,
                          retrial_delay_h: float) -> int:
        """Add the day's retrials (:func:`draw_retrials`) to the pending ones; returns how many."""
        rid, due = draw_retrials(rng, result, retrial_share, retrial_delay_h)
        self.add_retrials(rid, due)
        return int(rid.shape[0])

    def add_retrials(self, ids, due_h) -> None:
        """Keep retrials ``ids`` coming back at ``due_h`` (hours since the start of the run)."""
        self.pending_id = np.concatenate([self.pending_id, np.asarray(ids, dtype=np.int64)])
        self.pending_due_h = np.concatenate([self.pending_due_h, np.asarray(due_h, dtype=np.float64)])

    def retrials_due(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Remove and return the retrials due before the end of day ``day``: ``(ids, due_h)``, sorted by time.

        Call once per day, in order: a retrial due on a day already passed would
        be returned with a time before that day, which :meth:`day` refuses.
        """
        due = self.pending_due_h < HOURS_PER_DAY * (day + 1)
        order = np.argsort(self.pending_due_h[due], kind="stable")
        rid, at = self.pending_id[due][order], self.pending_due_h[due][order]
        self.pending_id, self.pending_due_h = self.pending_id[~due], self.pending_due_h[~due]
        return rid, at


# ------------------------------------------------------------------ draws
def exponential_service(rng: np.random.Generator, n: int, mean_h: float) -> np.ndarray:
    """``n`` exponential service times of mean ``mean_h`` hours (M/M/c service)."""
    return rng.standard_exponential(int(n)) * float(mean_h)


def lognormal_service(rng: np.random.Generator, n: int, mean_h: float, cv: float) -> np.ndarray:
    """``n`` lognormal service times of mean ``mean_h`` hours and coefficient of variation ``cv`` [6].

    ``exp(mu + sigma Z)`` with ``sigma`` from :func:`lognormal_sigma` and
    ``mu`` from :func:`lognormal_mu`; ``cv = 0`` gives ``mean_h`` exactly.
    """
    sigma = float(lognormal_sigma(float(cv)))
    mu = float(lognormal_mu(float(mean_h), float(cv)))
    return np.exp(mu + sigma * rng.standard_normal(int(n)))


def exponential_patience(rng: np.random.Generator, mean_patience_h) -> np.ndarray:
    """Patience per request, exponential with each request's (its consumer's) mean patience in hours.

    ``mean_patience_h`` is per request (the model gathers the consumer's mean
    for each request, so the cost is per request). An infinite mean gives an
    infinite patience (the Erlang C caller). One draw per request whatever the
    means.
    """
    m = np.asarray(mean_patience_h, dtype=np.float64)
    e = rng.standard_exponential(m.shape[0])
    out = np.full(m.shape[0], np.inf)
    fin = np.isfinite(m)
    out[fin] = e[fin] * m[fin]
    return out


def arrival_times(rng: np.random.Generator, count: int, day: int, from_h: float, to_h: float) -> np.ndarray:
    """``count`` sorted arrival times spread uniformly over hours ``[from_h, to_h)`` of day ``day`` [10].

    Normalised cumulative sums of ``count + 1`` standard exponential spacings
    are the order statistics of ``count`` uniforms on (0, 1) (no sort).
    Hours since the start of the run.
    """
    k = int(count)
    if k <= 0:
        return np.empty(0, dtype=np.float64)
    c = np.cumsum(rng.standard_exponential(k + 1))
    return HOURS_PER_DAY * day + from_h + (to_h - from_h) * (c[:k] / c[k])


def poisson_arrivals(rng: np.random.Generator, rate_per_h: float, day: int, from_h: float,
                     to_h: float) -> np.ndarray:
    """Poisson arrivals of ``rate_per_h`` per hour over hours ``[from_h, to_h)`` of day ``day``, sorted.

    A Poisson count of mean ``rate x (to_h - from_h)`` placed by :func:`arrival_times` [10].
    """
    return arrival_times(rng, int(rng.poisson(rate_per_h * (to_h - from_h))), day, from_h, to_h)


def draw_retrials(rng: np.random.Generator, result: DayResult, retrial_share: float,
                  retrial_delay_h: float) -> tuple[np.ndarray, np.ndarray]:
    """Which of the day's abandoned and called-back requests retry, and when [11].

    Each retries with probability ``retrial_share``, after an exponential delay
    of mean ``retrial_delay_h`` hours counted from when it hung up (abandoned)
    or from the next opening (told to call back). Returns ``(ids, due_h)``
    (abandoned first, then call-backs), hours since the start of the run.
    """
    rid = np.concatenate([result.abandoned_id, result.callback_id])
    base = np.concatenate([result.abandoned_h, result.callback_reopen_h])
    u = rng.random(rid.shape[0])
    delay = rng.standard_exponential(rid.shape[0]) * float(retrial_delay_h)
    keep = u < retrial_share
    return rid[keep], base[keep] + delay[keep]


def merge_arrivals(first_h, first_id, retry_h, retry_id) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First attempts and retrials of a day as one sorted stream: ``(arrive_h, ids, retrial flag)``.

    Stable: at equal times first attempts come before retrials.
    """
    t = np.concatenate([np.asarray(first_h, dtype=np.float64), np.asarray(retry_h, dtype=np.float64)])
    rid = np.concatenate([np.asarray(first_id, dtype=np.int64), np.asarray(retry_id, dtype=np.int64)])
    flag = np.concatenate([np.zeros(len(first_h), dtype=bool), np.ones(len(retry_h), dtype=bool)])
    order = np.argsort(t, kind="stable")
    return t[order], rid[order], flag[order]
