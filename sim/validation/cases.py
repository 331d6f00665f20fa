"""Theory cases: the whole model, configured to a textbook case, against the textbook's formula.

Each case sets the model's parameters so that one of its mechanisms reduces
to a case with a known answer, runs the model through the public entry point
(:func:`sim.simulate`), measures one number and compares it with the formula.
It returns a :class:`TheoryResult`: the target (the formula), what was
measured, the tolerance and whether the measure lies within it. The
configuration functions (``*_scenario``) are the one definition of each
case: the tests in ``tests/emergent/`` import them, and the report
(``python -m sim.validation.report``) runs the cases.

Every case has a ``quick`` mode (fewer or smaller runs, for the tests) and a
full mode (for the report). Tolerances are computed from the runs (99%
confidence intervals over replications or batches), except for the Bass
curve, whose tolerance is stated (see :func:`bass_case`), and the two
ordering cases (network bounds, expectation step), which ask for the
measure to lie in a range: there the target is the middle of the range and
the tolerance its half-width.

Cases:
    - :func:`bass_case`: acquisition on a complete graph is the discrete Bass model [1].
    - :func:`network_bounds_case`: on the default network, adoption is slower
      than on the complete graph and faster than on a ring lattice [1, 2].
    - :func:`erlang_c_case`, :func:`erlang_a_abandonment_case`,
      :func:`erlang_a_wait_case`: the phone lines as M/M/n and M/M/n+M
      queues (:mod:`sim.validation.theory`).
    - :func:`cascade_size_below_case`, :func:`cascade_giant_share_case`,
      :func:`cascade_small_size_above_case`: public posts on an Erdos-Renyi
      graph with a fixed reshare probability are bond percolation
      (:mod:`sim.validation.percolation`).
    - :func:`expectation_step_case`: adaptive expectations close at least
      half of a step in quality within 90 days [3, 4].

References:
    [1] Bass, F. M. (1969). A new product growth model for consumer durables.
        Management Science 15(5), 215-227.
    [2] Goldenberg, J., Libai, B., & Muller, E. (2001). Talk of the network:
        A complex systems look at the underlying process of word-of-mouth.
        Marketing Letters 12(3), 211-223.
    [3] Boulding, W., Kalra, A., Staelin, R., & Zeithaml, V. A. (1993). A
        dynamic process model of service quality. JMR 30(1), 7-27.
    [4] Rust, R. T., & Oliver, R. L. (2000). Should we delight the customer?
        JAMS 28(1), 86-94.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import stats

from sim.scenario import Scenario, load_scenario, with_overrides
from sim.validation import percolation as perc
from sim.validation.theory import erlang_a, erlang_c

__all__ = [
    "BASS_CONSUMERS", "BASS_P", "BASS_Q", "BASS_TICKS", "BASS_TOLERANCE", "CASES", "CascadeSample",
    "ERLANG_AGENTS", "ERLANG_CALL_MIN", "ERLANG_C_PATIENCE_MIN", "ERLANG_LOAD", "ERLANG_PATIENCE_MIN",
    "PERCOLATION_ABOVE", "PERCOLATION_BELOW", "PERCOLATION_MEAN_DEGREE", "PercolationPlan",
    "TheoryResult", "bass_case", "bass_curve", "bass_discrete", "bass_scenario", "batch_ci",
    "cascade_giant_share_case", "cascade_sample", "cascade_size_below_case", "cascade_small_size_above_case",
    "erlang_a_abandonment_case", "erlang_a_wait_case", "erlang_c_case", "expectation_step_case",
    "expectation_step_scenario", "network_bounds_case", "percolation_check", "percolation_plan",
    "percolation_prediction", "percolation_replications", "percolation_scenario", "phone_scenario",
    "run_model", "theory_rows", "time_to_half",
]


@dataclass(frozen=True)
class TheoryResult:
    """One theory case: the model's measure against a textbook target.

    Attributes:
        case: Short name of the case.
        target: What the formula gives (for a range: its middle).
        measured: What the model gave.
        tolerance: Largest accepted ``|measured - target|`` (for a range: its half-width).
        passed: Whether ``|measured - target| <= tolerance``.
        source: The formula and its reference.
        note: The configuration, in words.
    """

    case: str
    target: float
    measured: float
    tolerance: float
    passed: bool
    source: str
    note: str


def _result(case: str, target: float, measured: float, tolerance: float, source: str, note: str,
            ok: bool = True) -> TheoryResult:
    """A result that passes when ``|measured - target| <= tolerance`` (all finite) and ``ok``."""
    finite = all(math.isfinite(x) for x in (target, measured, tolerance))
    passed = bool(ok and finite and abs(measured - target) <= tolerance)
    return TheoryResult(case, float(target), float(measured), float(tolerance), passed, source, note)


def run_model(sc: Scenario, seed: int):
    """Run ``sc`` with ``seed`` through :func:`sim.simulate`; returns (per-day table, model)."""
    from sim import simulate

    box: dict = {}
    res = simulate(sc, seed=seed, model_hook=lambda m: box.setdefault("model", m))
    return res.table, box["model"]


def _t_half(values: Sequence[float], level: float = 0.99) -> tuple[float, float]:
    """Mean of ``values`` and the half-width of its t confidence interval at ``level``."""
    v = np.asarray(values, dtype=np.float64)
    if v.size < 2:
        return float(v.mean()) if v.size else math.nan, math.nan
    half = stats.t.ppf(0.5 + level / 2.0, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size)
    return float(v.mean()), float(half)


def batch_ci(daily, batches: int = 5, level: float = 0.99) -> tuple[float, float]:
    """Batch means: the mean of a daily series and the half-width of its confidence interval.

    The series is cut into ``batches`` consecutive batches; their means are
    nearly independent when a batch is much longer than the series'
    correlation time, and the interval is the t interval of the batch means
    (``t(0.5 + level/2, batches - 1) sd / sqrt(batches)``) [Law & Kelton 2000,
    section 9.5.3].
    """
    means = [b.mean() for b in np.array_split(np.asarray(daily, dtype=np.float64), batches)]
    return _t_half(means, level)


# ============================================================ Bass diffusion
#: Bass coefficients of the theory cases (1/day): innovation p and imitation q.
BASS_P, BASS_Q = 0.003, 0.04
#: Days of the Bass case.
BASS_TICKS = 250
BASS_CONSUMERS = 2000
#: Largest accepted gap between the mean simulated curve and the discrete Bass curve (share of consumers).
BASS_TOLERANCE = 0.035


def bass_curve(t, p: float, q: float):
    """Bass (1969): ``F(t) = (1 - e^{-(p+q) t}) / (1 + (q/p) e^{-(p+q) t})``, the solution of ``F' = (p + q F)(1 - F)``.

    t in days, p and q in 1/day; F is the adopters' share.
    """
    e = np.exp(-(p + q) * np.asarray(t, dtype=np.float64))
    return (1 - e) / (1 + (q / p) * e)


def bass_discrete(ticks: int, p: float, q: float) -> np.ndarray:
    """The discrete Bass recursion ``F(t+1) = F(t) + (p + q F(t)) (1 - F(t))``, F(0) = 0, for t = 1..ticks.

    The form Bass (1969) estimated; it is the expected path of a model that
    steps in whole days.
    """
    f, out = 0.0, np.empty(ticks)
    for i in range(ticks):
        f = f + (p + q * f) * (1 - f)
        out[i] = f
    return out


def bass_scenario(ticks: int = BASS_TICKS, p: float = BASS_P, q: float = BASS_Q, *,
                  consumers: int = BASS_CONSUMERS, network: str = "complete", **network_overrides) -> Scenario:
    """Acquisition configured as the Bass model.

    One firm (the default scenario's), every consumer a prospect at the start,
    no churn, no warm-up, no other word-of-mouth, and the acquisition hazard
    reduced to ``p + q x (customer ties / ties)`` (no valence, no offer lift;
    sim/rules/acquisition.py). On the complete graph the customer share of a
    prospect's ties is the population's (less itself): the Bass model.

    Args:
        ticks: Days.
        p: Innovation (1/day).
        q: Imitation (1/day).
        consumers: Population.
        network: ``network.kind``.
        **network_overrides: Further ``network.*`` fields (e.g. ``rewire=0.0``).
    """
    ov = {"population.consumers": consumers, "run.ticks": ticks, "run.warmup_days": 0, "churn.enabled": False,
          "network.kind": network, "wom.enabled": False, "population.prospect_share": 1.0,
          "acquisition.innovation": p, "acquisition.imitation": q, "acquisition.valence_weight": 0.0,
          "acquisition.offer_lift": 0.0}
    ov.update({f"network.{k}": v for k, v in network_overrides.items()})
    return with_overrides(Scenario(), ov)


def _adoption(sc: Scenario, seeds: Sequence[int]) -> np.ndarray:
    """Customer share per day (rows: seeds)."""
    return np.array([run_model(sc, s)[0]["customer_share"].to_numpy() for s in seeds])


def bass_case(quick: bool = False) -> TheoryResult:
    """Acquisition on a complete graph follows the discrete Bass curve.

    Measure: the largest gap over the days between the mean customer share
    of the runs and ``bass_discrete``. Tolerance: 0.035 stated (the take-off's
    timing varies from run to run: four runs of 2,000 consumers stray up to
    about 0.03; more runs in the full mode only narrow the gap).
    """
    seeds = (1, 2, 3, 4) if quick else tuple(range(1, 11))
    curves = _adoption(bass_scenario(), seeds)
    gap = float(np.max(np.abs(curves.mean(axis=0) - bass_discrete(BASS_TICKS, BASS_P, BASS_Q))))
    return _result(
        "Bass curve, complete graph", 0.0, gap, BASS_TOLERANCE,
        "max over days of |F_model - F_Bass|, F(t+1) = F + (p + qF)(1 - F) (Bass 1969)",
        f"acquisition only: one firm, all {BASS_CONSUMERS:,} consumers prospects, p = {BASS_P}, q = {BASS_Q}/day, "
        f"no valence, offers, churn or other word-of-mouth; complete graph; mean of {len(seeds)} runs over "
        f"{BASS_TICKS} days")


# ============================================================ network bounds
#: Bass coefficients of the network-bounds case: a low innovation makes the network's shape matter.
BOUNDS_P, BOUNDS_Q = 0.0005, 0.05
BOUNDS_TICKS = 300


def time_to_half(share) -> float:
    """First day the share reaches 0.5, interpolated linearly between days (``nan`` if never)."""
    s = np.asarray(share, dtype=np.float64)
    above = np.flatnonzero(s >= 0.5)
    if not above.size:
        return math.nan
    i = int(above[0])
    if i == 0:
        return 1.0
    return float(i + 1 - (s[i] - 0.5) / (s[i] - s[i - 1]))


def network_bounds_case(quick: bool = False) -> TheoryResult:
    """Adoption on the default network lies between the ring lattice and the complete graph.

    With imitation through ties, a prospect's hazard depends on the adopters
    among its ties. On the complete graph every prospect sees the population's
    share (the Bass model, the fastest mixing); on a ring lattice of the same
    degree adopters cluster, so the prospects next to them see a share that
    is mostly spent on already converted ties and the curve is slower [1, 2].
    The default small world (a ring with a share of its ties rewired) should
    lie in between. Measure: the position of the default network's mean
    time to 50% adoption between the two bounds,
    ``(t_default - t_complete) / (t_ring - t_complete)``, which must lie on [0, 1].
    """
    seeds = (1, 2, 3) if quick else tuple(range(1, 7))
    default = Scenario().network
    nets = {"complete": bass_scenario(BOUNDS_TICKS, BOUNDS_P, BOUNDS_Q, network="complete"),
            "default": bass_scenario(BOUNDS_TICKS, BOUNDS_P, BOUNDS_Q, network=default.kind),
            "ring": bass_scenario(BOUNDS_TICKS, BOUNDS_P, BOUNDS_Q, network="watts_strogatz",
                                  mean_degree=default.mean_degree, rewire=0.0)}
    t50 = {k: float(np.mean([time_to_half(c) for c in _adoption(sc, seeds)])) for k, sc in nets.items()}
    span = t50["ring"] - t50["complete"]
    position = (t50["default"] - t50["complete"]) / span if span > 0 else math.nan
    return _result(
        "Network bounds: default between ring and complete", 0.5, position, 0.5,
        "position (t_default - t_complete) / (t_ring - t_complete) of the time to 50% adoption, on [0, 1] "
        "(Bass 1969 on the complete graph; clustered ties slow imitation, Goldenberg et al. 2001)",
        f"the Bass configuration with p = {BOUNDS_P}, q = {BOUNDS_Q}/day on {BASS_CONSUMERS:,} consumers; "
        f"default {default.kind} (mean degree {default.mean_degree:g}, rewire {default.rewire:g}) "
        f"against the same ring unrewired and the complete graph; times to 50% (days, mean of {len(seeds)} "
        f"runs): complete {t50['complete']:.1f}, default {t50['default']:.1f}, ring {t50['ring']:.1f}")


# ============================================================ Erlang C and A
#: The textbook call centre: agents, mean call time (minutes) and offered load (Erlangs).
ERLANG_AGENTS, ERLANG_CALL_MIN, ERLANG_LOAD = 10, 6.0, 8.5
ERLANG_CONSUMERS = 20_000
#: Patience of the Erlang A case (minutes); the Erlang C case waits "forever" (1e5 minutes, 69 days).
ERLANG_PATIENCE_MIN, ERLANG_C_PATIENCE_MIN = 3.0, 1e5


def phone_scenario(patience_min: float, ticks: int = 40, consumers: int = ERLANG_CONSUMERS) -> Scenario:
    """The phone lines as the textbook call centre (M/M/n, or M/M/n+M with exponential patience).

    Lines open 24 hours; requests arrive as a Poisson process (each
    consumer's requests are Poisson and spread uniformly over the day), all
    of them calls to a person (restricted exchange, no automation); a fixed
    number of agents (``ERLANG_AGENTS``), exponential call times of mean
    ``ERLANG_CALL_MIN``, first come first served, exponential patience of
    mean ``patience_min``, no retrials; no other contact; a stationary market
    (no churn, no acquisition, no warm-up). The request rate makes the
    offered load ``ERLANG_LOAD`` Erlangs: ``calls/day = R / (call_min / 60) x 24``.
    """
    calls_per_day = ERLANG_LOAD / (ERLANG_CALL_MIN / 60.0) * 24.0
    per_month = calls_per_day / consumers * 365.0 / 12.0
    return with_overrides(Scenario(), {
        "population.consumers": consumers, "run.ticks": ticks, "churn.enabled": False, "run.warmup_days": 0,
        "population.prospect_share": 0.0, "acquisition.enabled": False, "exchange.restricted": 1.0,
        "exchange.generalized": 0.0, "exchange.complex": 0.0, "firms[0].automation_share": 0.0,
        "firms[0].phone_agents": ERLANG_AGENTS, "channels.phone_open_h": 0.0, "channels.phone_close_h": 24.0,
        "channels.phone_service_min": ERLANG_CALL_MIN, "channels.phone_service_distribution": "exponential",
        "channels.retrial_share": 0.0, "segments[0].requests_per_month": per_month,
        "segments[0].phone_patience_min": patience_min, "segments[0].statements_per_month": 0.0,
        "segments[0].app_checks_per_month": 0.0, "segments[0].atm_uses_per_month": 0.0,
        "segments[0].advisor_visits_per_year": 0.0})


def _erlang_plan(quick: bool) -> tuple[int, int]:
    """(days, batches): 40 days in 5 batches of 8 (quick), 360 days in 12 batches of 30."""
    return (40, 5) if quick else (360, 12)


def _erlang_note(patience: str, days: int, batches: int) -> str:
    return (f"{ERLANG_AGENTS} agents, 24 h lines, exponential calls of {ERLANG_CALL_MIN:g} min, {patience}, "
            f"offered load {ERLANG_LOAD} Erlangs from {ERLANG_CONSUMERS:,} consumers' Poisson requests, "
            f"FCFS, no retrials, restricted exchange only; {days} days; tolerance: 99% batch-means interval "
            f"({batches} batches)")


def erlang_c_case(quick: bool = False) -> TheoryResult:
    """Share of calls that wait, infinite patience: Erlang C ``C(n, R)`` (:func:`sim.validation.theory.erlang_c`)."""
    days, batches = _erlang_plan(quick)
    table, _ = run_model(phone_scenario(ERLANG_C_PATIENCE_MIN, days), 1)
    waited, half = batch_ci(table["share_waited"], batches)
    return _result("Erlang C: share of calls that wait", erlang_c(ERLANG_AGENTS, ERLANG_LOAD), waited, half,
                   "C(n, R) = n B / (n - R (1 - B)), B Erlang B (Erlang 1917; Gross et al. 2008, 2.3)",
                   _erlang_note("no abandonment (patience 69 days)", days, batches))


def _erlang_a_run(quick: bool):
    days, batches = _erlang_plan(quick)
    table, _ = run_model(phone_scenario(ERLANG_PATIENCE_MIN, days), 1)
    theory = erlang_a(ERLANG_AGENTS, ERLANG_LOAD, 60.0 / ERLANG_CALL_MIN, 60.0 / ERLANG_PATIENCE_MIN)
    return table, theory, days, batches


_ERLANG_A_SOURCE = "M/M/n+M birth-death chain (Palm 1943; Garnett, Mandelbaum & Reiman 2002)"


def erlang_a_abandonment_case(quick: bool = False) -> TheoryResult:
    """Share of calls abandoned, exponential patience: Erlang A ``P(Ab)`` (:func:`sim.validation.theory.erlang_a`)."""
    table, theory, days, batches = _erlang_a_run(quick)
    abandon, half = batch_ci(table["calls_abandoned"] / table["calls_offered"], batches)
    return _result("Erlang A: share of calls abandoned", theory.p_abandon, abandon, half,
                   f"P(Ab) = theta E[W], {_ERLANG_A_SOURCE}",
                   _erlang_note(f"exponential patience of {ERLANG_PATIENCE_MIN:g} min", days, batches))


def erlang_a_wait_case(quick: bool = False) -> TheoryResult:
    """Share of calls that wait, exponential patience: Erlang A ``P(W > 0)``."""
    table, theory, days, batches = _erlang_a_run(quick)
    waited, half = batch_ci(table["share_waited"], batches)
    return _result("Erlang A: share of calls that wait", theory.p_wait, waited, half,
                   f"P(W > 0) = sum_(k >= n) pi_k, {_ERLANG_A_SOURCE}",
                   _erlang_note(f"exponential patience of {ERLANG_PATIENCE_MIN:g} min", days, batches))


# ============================================================ cascades as bond percolation
#: Mean degree of the Erdos-Renyi graph of the percolation cases.
PERCOLATION_MEAN_DEGREE = 5.0
#: T z of the two regimes: below the threshold T z = 1, and above it.
PERCOLATION_BELOW, PERCOLATION_ABOVE = 0.6, 2.0


def percolation_scenario(reshare_probability: float, *, consumers: int, ticks: int, posts_per_day: float,
                         mean_degree: float = PERCOLATION_MEAN_DEGREE) -> Scenario:
    """Public posts configured as bond percolation on an Erdos-Renyi graph.

    - Graph: ``network.kind = "erdos_renyi"`` (G(n, z / (n - 1))).
    - Transmissibility: a viewer reshares with probability
      ``wom.reshare_rate x 2 share_propensity`` (sim/phases.py); with
      ``population.trait_spread = 0`` every consumer's propensity is its
      segment's 0.5, so the probability is ``wom.reshare_rate`` for everyone,
      fixed for the run (it is set when the model is built). Every tie sees a
      post (``wom.public_reach = 1``), and no firm answers in public
      (``firms[*].answer_in_public = 0``, ``wom.answer_damping = 0``): no
      post is damped. So each tie of a sharer is open with probability T,
      independently: bond percolation (sim/rules/cascades.py).
    - Origins: every talk is public (complex exchange only), no request is
      made (no public requests), and the talk probability is the same for
      every customer: ``wom.base_rate`` with no extremity, negativity,
      recognition or reciprocity boost (sim/rules/word_of_mouth.py), so posts
      start at uniformly random customers; everyone is a customer (no
      prospects, no acquisition, no churn). ``posts_per_day`` sets the rate.
    - No blogger audiences (the default scenario's only intermediary is a
      call platform), no warm-up, and a daily bound of 10 million exposures,
      about 20 times the most the plans here need (10 posts a day going giant
      over 8,000 sharers of about 6 ties each); the cases check that no post
      was cut.
    """
    rate = posts_per_day / consumers
    return with_overrides(Scenario(), {
        "population.consumers": consumers, "run.ticks": ticks, "run.warmup_days": 0, "churn.enabled": False,
        "population.prospect_share": 0.0, "acquisition.enabled": False, "population.trait_spread": 0.0,
        "network.kind": "erdos_renyi", "network.mean_degree": mean_degree,
        "exchange.restricted": 0.0, "exchange.generalized": 0.0, "exchange.complex": 1.0,
        "wom.reshare_rate": reshare_probability, "wom.public_reach": 1.0, "wom.answer_damping": 0.0,
        "firms[*].answer_in_public": 0.0, "wom.base_rate": rate, "wom.extremity_boost": 0.0,
        "wom.negative_multiplier": 1.0, "wom.recognition_boost": 0.0, "wom.reciprocity_boost": 0.0,
        "wom.max_exposures_per_day": 10_000_000, "segments[*].requests_per_month": 0.0})


@dataclass(frozen=True)
class PercolationPlan:
    """The runs of one percolation regime: consumers, days, posts a day and seeds (one graph per seed)."""

    consumers: int
    ticks: int
    posts_per_day: float
    seeds: tuple[int, ...]


def percolation_plan(tz: float, quick: bool = False) -> PercolationPlan:
    """Runs for the regime ``T z``: giant cascades cost O(N) each, so above the threshold posts are few."""
    if tz < 1.0:
        return PercolationPlan(5000, 40, 100.0, tuple(range(1, 6))) if quick else \
            PercolationPlan(20_000, 60, 200.0, tuple(range(1, 9)))
    return PercolationPlan(3000, 60, 9.0, tuple(range(1, 6))) if quick else \
        PercolationPlan(10_000, 100, 10.0, tuple(range(1, 13)))


@dataclass(frozen=True)
class CascadeSample:
    """The public posts of one run, summarised for percolation.

    Attributes:
        posts: Public posts.
        giant: Posts whose cascade is giant (more than a tenth of the consumers).
        mean_size: Mean cascade size of all posts (sharers, author included).
        small_mean_size: Mean size of the other (small) cascades.
        mean_degree: The graph's realised mean degree.
        truncated: Posts cut by the daily exposure bound (must be 0).
    """

    posts: int
    giant: int
    mean_size: float
    small_mean_size: float
    mean_degree: float
    truncated: int


def cascade_sample(sc: Scenario, seed: int) -> CascadeSample:
    """Run ``sc`` and summarise its cascades (``model.cascades_table()``).

    A cascade is giant when it holds more than a tenth of the consumers: above
    the threshold the giant cluster holds S N of them (S > 0.5 here), while a
    finite cluster needing even 1% of them has a negligible chance. Raises
    ``ValueError`` when the scenario does not give every consumer the same
    reshare probability (then it is not bond percolation).
    """
    _, model = run_model(sc, seed)
    p = np.unique(model.p_reshare)
    if p.size != 1 or p[0] != sc.wom.reshare_rate:
        raise ValueError(f"reshare probability not fixed at {sc.wom.reshare_rate}: {p[:5]}")
    ct = model.cascades_table()
    size = ct["size"].to_numpy(dtype=np.float64)
    giant = size > model.n / 10
    small = size[~giant]
    return CascadeSample(posts=int(size.size), giant=int(giant.sum()),
                         mean_size=float(size.mean()) if size.size else math.nan,
                         small_mean_size=float(small.mean()) if small.size else math.nan,
                         mean_degree=float(model.graph.indices.size / model.n),
                         truncated=int(ct["truncated"].sum()))


@lru_cache(maxsize=8)
def percolation_replications(tz: float, quick: bool = False) -> tuple[CascadeSample, ...]:
    """One :class:`CascadeSample` per seed of :func:`percolation_plan` at ``T = tz / PERCOLATION_MEAN_DEGREE``.

    Cached: the giant-share and small-size cases share the runs above the threshold.
    """
    plan = percolation_plan(tz, quick)
    sc = percolation_scenario(tz / PERCOLATION_MEAN_DEGREE, consumers=plan.consumers, ticks=plan.ticks,
                              posts_per_day=plan.posts_per_day)
    return tuple(cascade_sample(sc, s) for s in plan.seeds)


def percolation_prediction(T: float, z: float) -> tuple[float, float, float]:
    """Bond percolation on an Erdos-Renyi graph, for a post whose author has at least one tie.

    Returns (mean cluster size, giant share S', mean small size), from
    :mod:`sim.validation.percolation` at transmissibility T and mean degree z
    (Newman 2002; Callaway et al. 2000), conditioned on the origin's degree
    being at least 1: the model posts nothing from a consumer without ties.
    With ``P0 = e^{-z}`` (Poisson degrees), isolated origins form clusters of
    size 1, so ``<s | k > 0> = (<s> - P0) / (1 - P0)`` below the threshold,
    ``S' = S / (1 - P0)`` and the small clusters' mean
    ``(<s>_small (1 - S) - P0) / (1 - S - P0)``. The mean cluster size is
    ``inf`` at and above the threshold T z >= 1.
    """
    p0 = math.exp(-z)
    s = perc.er_giant_fraction(T, z)
    small = perc.er_mean_small_cluster_size(T, z)
    mean = perc.er_mean_cluster_size(T, z)
    mean_k = (mean - p0) / (1.0 - p0) if math.isfinite(mean) else math.inf
    return mean_k, s / (1.0 - p0), (small * (1.0 - s) - p0) / (1.0 - s - p0)


def percolation_check(samples: Sequence[CascadeSample], T: float, measure: str,
                      level: float = 0.99) -> tuple[float, float, float]:
    """Compare one measure of the runs with bond percolation at transmissibility ``T``.

    ``measure`` is ``"mean_size"`` (all posts), ``"giant_share"`` or
    ``"small_mean_size"``. Each run is compared with the prediction at its own
    graph's mean degree; the tolerance is the t interval (``level``) of the
    per-run differences, so it holds the spread between graphs as well as
    between posts. Returns (mean target, mean measure, half-width).
    """
    target, measured = [], []
    for s in samples:
        mean_k, giant_k, small_k = percolation_prediction(T, s.mean_degree)
        if measure == "mean_size":
            target.append(mean_k)
            measured.append(s.mean_size)
        elif measure == "giant_share":
            target.append(giant_k)
            measured.append(s.giant / s.posts if s.posts else math.nan)
        elif measure == "small_mean_size":
            target.append(small_k)
            measured.append(s.small_mean_size)
        else:
            raise ValueError(f"unknown measure {measure!r}")
    _, half = _t_half(np.subtract(measured, target), level)
    return float(np.mean(target)), float(np.mean(measured)), half


def _percolation_case(tz: float, measure: str, quick: bool, case: str, source: str) -> TheoryResult:
    samples = percolation_replications(tz, quick)
    plan = percolation_plan(tz, quick)
    T = tz / PERCOLATION_MEAN_DEGREE
    target, measured, half = percolation_check(samples, T, measure)
    posts = sum(s.posts for s in samples)
    truncated = sum(s.truncated for s in samples)
    note = (f"public posts on an Erdos-Renyi graph of mean degree {PERCOLATION_MEAN_DEGREE:g} and "
            f"{plan.consumers:,} consumers, fixed reshare probability T = {T:g} (T z = {tz:g}), every tie sees, "
            f"no public answers, no bloggers, uniformly random authors; {posts:,} posts over {len(samples)} runs "
            f"of {plan.ticks} days (one graph each), {truncated} truncated; tolerance: 99% t interval over runs")
    return _result(case, target, measured, half, source, note, ok=truncated == 0)


_PERC_REF = "(Newman 2002; Callaway et al. 2000), author of degree >= 1"


def cascade_size_below_case(quick: bool = False) -> TheoryResult:
    """Below the threshold (T z = 0.6): mean cascade size ``1 / (1 - T z)``."""
    return _percolation_case(PERCOLATION_BELOW, "mean_size", quick, "Cascades below threshold: mean size",
                             f"<s> = 1 / (1 - T z) {_PERC_REF}")


def cascade_giant_share_case(quick: bool = False) -> TheoryResult:
    """Above the threshold (T z = 2): the share of posts that go giant is S, ``S = 1 - exp(-T z S)``."""
    return _percolation_case(PERCOLATION_ABOVE, "giant_share", quick, "Cascades above threshold: giant share",
                             f"S = 1 - exp(-T z S) {_PERC_REF}")


def cascade_small_size_above_case(quick: bool = False) -> TheoryResult:
    """Above the threshold (T z = 2): mean size of the small cascades ``1 / (1 - T z (1 - S))``."""
    return _percolation_case(PERCOLATION_ABOVE, "small_mean_size", quick,
                             "Cascades above threshold: mean small size",
                             f"<s>_small = 1 / (1 - T z (1 - S)) {_PERC_REF}")


# ============================================================ expectation step response
#: Day of the step, its size (quality on [0, 1]) and the window in which half the gap must close (days).
STEP_DAY, STEP_SIZE, STEP_WINDOW = 60, 0.1, 90


def expectation_step_scenario(consumers: int = 5000) -> Scenario:
    """The default bank, after its warm-up, with every customer's contacts 0.1 better from day 60 on.

    A campaign reaching everyone (``campaign.treated_share = 1``) that adds
    ``STEP_SIZE`` of quality to every contact and nothing else, for longer
    than the run: a step in the quality the firm delivers.
    """
    return with_overrides(load_scenario("default_bank"), {
        "population.consumers": consumers, "campaign.enabled": True, "campaign.treated_share": 1.0,
        "campaign.quality_boost": STEP_SIZE, "campaign.extra_advisor_visits_per_year": 0.0,
        "campaign.start_tick": STEP_DAY, "campaign.duration_ticks": 2000, "run.ticks": STEP_DAY + STEP_WINDOW + 1})


def _step_closed(table) -> float:
    """Share of the quality step closed by the predicted level ``STEP_WINDOW`` days after the step.

    ``(E(step + 90) - mean E over the 30 days before) / gap``, with gap the
    delivered quality over days step + 45 .. step + 75 less its mean over the
    30 days before.
    """
    before = slice(STEP_DAY - 30, STEP_DAY)
    gap = (table["delivered_quality"].iloc[STEP_DAY + 45:STEP_DAY + 75].mean()
           - table["delivered_quality"].iloc[before].mean())
    rise = table["expectation_quality"].iloc[STEP_DAY + STEP_WINDOW] - table["expectation_quality"].iloc[before].mean()
    return float(rise / gap)


def expectation_step_case(quick: bool = False) -> TheoryResult:
    """After a +0.1 step in quality, the predicted level closes at least half of the gap within 90 days.

    Adaptive expectations ``E <- E + a (P - E)`` on each day with contacts
    (sim/rules/expectations.py; Boulding et al. 1993; Helson 1964) close the
    gap geometrically; the model's claim (the curse of satisfaction, Rust &
    Oliver 2000) needs them to close at least half of it within 90 days, and
    they cannot close more than all of it. The range [0.5, 1] is the target.
    """
    consumers, seeds = (3000, (1,)) if quick else (5000, (1, 2, 3, 4, 5))
    sc = expectation_step_scenario(consumers)
    closed = [_step_closed(run_model(sc, s)[0]) for s in seeds]
    return _result(
        "Expectation step: gap closed in 90 days", 0.75, float(np.mean(closed)), 0.25,
        "share of the step closed by predicted quality, in [0.5, 1]: adaptive expectations E += a (P - E) "
        "(Helson 1964; Boulding et al. 1993), curse of satisfaction (Rust & Oliver 2000)",
        f"default_bank preset with {consumers:,} consumers after its warm-up; every customer's contacts "
        f"{STEP_SIZE:+g} of quality from day {STEP_DAY} (a campaign to all, nothing else); mean of "
        f"{len(seeds)} run(s); closed: {', '.join(f'{c:.2f}' for c in closed)}")


# ============================================================ all cases
#: The cases in report order.
CASES: tuple[Callable[[bool], TheoryResult], ...] = (
    bass_case, network_bounds_case, erlang_c_case, erlang_a_abandonment_case, erlang_a_wait_case,
    cascade_size_below_case, cascade_giant_share_case, cascade_small_size_above_case, expectation_step_case)


def theory_rows(quick: bool = False, progress: Callable[[str], None] | None = None) -> list[TheoryResult]:
    """Run every case of :data:`CASES` in order; ``progress`` gets one line per case before it runs."""
    rows = []
    for case in CASES:
        if progress:
            progress(f"theory: {case.__name__}")
        rows.append(case(quick))
    return rows
