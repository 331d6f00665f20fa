"""The sources' claims, each tested as an effect between arms: the claims rows of the evidence report.

Every claim of the five source texts (seeds 000 to 004 beside the model brief)
is tested as an effect measured from runs, never written in. A claim's design
(:class:`Design`) is one preset run under two or three settings, the *arms*,
each given as scenario overrides; :func:`claim_designs` holds the one
definition of every design. Replication ``r`` runs every arm with the same
seed (common random numbers: the same population, social graph and random
draws wherever the arms do not change them), so each replication gives one
paired difference of a statistic between arms. The estimate is the mean of
the ``n`` paired differences and the interval its 95% t interval
(:func:`sim.analysis.t_interval`). Statistics are the outcome registry's
summaries of a run (:mod:`sim.metrics`: last value, mean or sum over the
days), or a difference of windows of days where the claim is about timing.

**Verdict rule** (:func:`verdict`). Each effect states the direction the
source claims:

* ``increase``: supported when the interval lies above zero;
* ``decrease``: supported when the interval lies below zero;
* ``no decrease`` (non-inferiority with a stated margin ``m``): supported when
  the interval's lower end lies above ``-m``; ``no increase`` likewise, upper
  end below ``m``;
* otherwise "not supported": the interval includes zero (no effect detected),
  lies on the other side (the model says the opposite), or does not exist.

A design may be run under several conditions (overrides applied to every
arm). An effect is then "supported" when it is supported under every condition,
"not supported" when under none, and "depends on <what the conditions vary>"
otherwise, a sign flip across conditions included (:func:`combine_verdicts`).

Sources of the claims:
    [000] Benavent, C. (2010). Gestion des contacts et gestion de la relation.
    [001] Delacroix, J. (2007). Cher client... (interviews for the book "Cher client", EBG).
    [002] Guizol, M.-A. (2015). Relation client : des promesses aux actes. Le Cercle Les Echos.
    [003] Benavent, C. Gestion de la relation : une morale de la maîtrise ?
    [004] Lekiby, C. Les âges de la relation client (after Bagozzi 1975).
    Rust, R. T., & Oliver, R. L. (2000). Should we delight the customer? JAMS 28(1), 86-94.
    Hennig-Thurau, T., et al. (2010). The impact of new media on customer relationships. JSR 13(3), 311-330.
    Awad, N. F., & Krishnan, M. S. (2006). The personalization privacy paradox. MIS Quarterly 30(1), 13-28.
"""

from __future__ import annotations

import functools
import math
import multiprocessing
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis import summarize_run, t_interval
from sim.metrics import outcome as registry_outcome
from sim.seeds import derive_seed

__all__ = ["DIRECTIONS", "ClaimResult", "Design", "Effect", "claim_designs", "claim_keys", "claim_rows",
           "combine_verdicts", "verdict"]

#: Root of every replication seed: replication r of design d runs with ``derive_seed(ROOT_SEED, d, r)``.
ROOT_SEED = 20_240_601
#: Confidence level of every interval.
LEVEL = 0.95
#: The directions a source can claim (see the module's verdict rule).
DIRECTIONS = ("increase", "decrease", "no decrease", "no increase")
#: Replications per arm in quick mode (tests), whatever ``reps`` asks.
QUICK_REPS = 3
#: Consumers of the 5-million bank in full mode, the size at which every claim's runs (10 replications per
#: arm, two processes) fit about 15 minutes on a 2-core machine. Measured: 12 minutes in all, of which the
#: bank's 30 runs about 10 (some 33 s of CPU each when two run at once: they share memory bandwidth);
#: at 1,000,000 consumers the bank alone would take some 20 minutes.
BANK_CONSUMERS = 500_000

Tables = Mapping[str, pd.DataFrame]


@dataclass
class ClaimResult:
    """One row of the claims table: a claim of a source, tested as an effect with its interval and verdict."""

    claim: str
    source: str
    hypothesis: str
    design: str
    outcome: str
    estimate: float
    ci_low: float
    ci_high: float
    n: int
    verdict: str
    explanation: str


@dataclass(frozen=True)
class Size:
    """Population and horizon of a design's runs: consumers (None: the preset's), days, warm-up days."""

    consumers: int | None
    ticks: int
    warmup_days: int | None = None

    def overrides(self) -> dict[str, Any]:
        """The scenario overrides that set this size."""
        ov: dict[str, Any] = {"run.ticks": self.ticks}
        if self.consumers is not None:
            ov["population.consumers"] = self.consumers
        if self.warmup_days is not None:
            ov["run.warmup_days"] = self.warmup_days
        return ov


@dataclass(frozen=True)
class Arm:
    """One setting of a design: a preset and the overrides applied to it."""

    preset: str
    overrides: Mapping[str, Any]
    label: str


@dataclass(frozen=True)
class Effect:
    """One tested effect of a claim: a row of the table (one per condition of its design).

    ``measure`` maps one replication's tables (by arm name) to the paired
    difference; ``agree`` and ``disagree`` say why the model does or does not
    reproduce the claim, from its rules.
    """

    hypothesis: str
    outcome: str
    direction: str
    measure: Callable[[Tables], float]
    agree: str
    disagree: str
    margin: float = 0.0

    def __post_init__(self):
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction: expected one of {DIRECTIONS}, got {self.direction!r}")


@dataclass(frozen=True)
class Design:
    """A claim's design: arms (scenario overrides), sizes, conditions and the effects read from its runs."""

    key: str
    claim_key: str
    claim: str
    source: str
    question: str
    arms: Mapping[str, Arm]
    full: Size
    quick: Size
    effects: tuple[Effect, ...]
    #: (label, overrides applied to every arm); one unnamed condition by default.
    conditions: tuple[tuple[str, Mapping[str, Any]], ...] = (("", {}),)
    #: What the conditions vary, for "depends on ...".
    varies: str = ""
    #: Paired differences reported beside each row: (label, measure).
    context: tuple[tuple[str, Callable[[Tables], float]], ...] = ()
    #: Outcome columns the measures read.
    columns: tuple[str, ...] = field(default=())
    #: Said in the design text of full-mode rows when the design runs a preset at another size.
    scale_note: str = ""
    #: Added to every row's explanation: what the design cannot say, from the rules.
    note: str = ""


# --- verdicts -------------------------------------------------------------------------------------------------


def verdict(ci_low: float, ci_high: float, direction: str, margin: float = 0.0) -> str:
    """The verdict on one interval of a paired difference, by the module's rule.

    Args:
        ci_low: Lower end of the 95% interval.
        ci_high: Upper end.
        direction: What the source claims: ``increase``, ``decrease``,
            ``no decrease`` or ``no increase``.
        margin: The non-inferiority margin (``no decrease``, ``no increase``), >= 0.

    Returns:
        "supported" or "not supported" (also when the interval is NaN).
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction: expected one of {DIRECTIONS}, got {direction!r}")
    if margin < 0:
        raise ValueError(f"margin: expected >= 0, got {margin}")
    if math.isnan(ci_low) or math.isnan(ci_high):
        return "not supported"
    ok = {"increase": ci_low > 0.0, "decrease": ci_high < 0.0,
          "no decrease": ci_low > -margin, "no increase": ci_high < margin}[direction]
    return "supported" if ok else "not supported"


def combine_verdicts(verdicts: Sequence[str], varies: str) -> str:
    """One verdict from an effect's verdicts under several conditions.

    Args:
        verdicts: "supported" / "not supported", one per condition.
        varies: What the conditions vary (named in "depends on ...").

    Returns:
        "supported" when supported under every condition, "not supported"
        under none, "depends on <varies>" otherwise.
    """
    if not verdicts:
        raise ValueError("verdicts: expected at least one")
    if all(v == "supported" for v in verdicts):
        return "supported"
    if not any(v == "supported" for v in verdicts):
        return "not supported"
    return f"depends on {varies}" if varies else "depends on the condition"


# --- statistics of one replication ----------------------------------------------------------------------------


def _summary(table: pd.DataFrame, name: str) -> float:
    return summarize_run(table, [name])[name]


def diff(name: str, a: str, b: str, scale: float = 1.0) -> Callable[[Tables], float]:
    """Arm ``a`` minus arm ``b`` of an outcome's registry summary over the run, times ``scale``."""
    def measure(t: Tables) -> float:
        return scale * (_summary(t[a], name) - _summary(t[b], name))
    return measure


def net_diff(a: str, b: str) -> Callable[[Tables], float]:
    """Arm ``a`` minus arm ``b`` of margin earned less cost over the run (EUR)."""
    def measure(t: Tables) -> float:
        return ((_summary(t[a], "revenue_eur") - _summary(t[a], "cost_eur"))
                - (_summary(t[b], "revenue_eur") - _summary(t[b], "cost_eur")))
    return measure


def window_gain(name: str, a: str, b: str, first: int, last: int) -> Callable[[Tables], float]:
    """Mean over days ``first``..``last`` (inclusive, 1-based) of arm ``a`` minus arm ``b`` of a daily outcome."""
    def measure(t: Tables) -> float:
        d = t[a][name].to_numpy(float) - t[b][name].to_numpy(float)
        return float(np.nanmean(d[first - 1:last]))
    return measure


def fade(name: str, a: str, b: str, early: tuple[int, int], late_days: int) -> Callable[[Tables], float]:
    """How much of an early gain is gone at the end.

    The gain is arm ``a`` minus arm ``b`` of a daily outcome; the statistic is
    its mean over the days ``early`` (inclusive, 1-based) minus its mean over
    the run's last ``late_days`` days. Positive: the gain faded.
    """
    def measure(t: Tables) -> float:
        d = t[a][name].to_numpy(float) - t[b][name].to_numpy(float)
        return float(np.nanmean(d[early[0] - 1:early[1]]) - np.nanmean(d[-late_days:]))
    return measure


# --- the designs ----------------------------------------------------------------------------------------------

#: Day of the quality step in the curse-of-satisfaction design (after the warm-up).
STEP_DAY = 60


def _levers(preset: str, paths: Sequence[str]) -> dict[str, Any]:
    """The values of some parameters in a preset (so an arm can borrow another preset's levers)."""
    from sim.scenario import get_path, load_scenario

    sc = load_scenario(preset)
    return {p: get_path(sc, p) for p in paths}


def _columns(*names: str) -> tuple[str, ...]:
    for n in names:
        registry_outcome(n)  # an unknown outcome fails here, at definition
    return tuple(dict.fromkeys(names))


@functools.cache
def claim_designs() -> tuple[Design, ...]:
    """The designs of every claim, in report order: the one definition of each claim's arms.

    Returns:
        The designs; several may test one claim (``claim_key``).
    """
    step = {"campaign.enabled": True, "campaign.treated_share": 1.0, "campaign.quality_boost": 0.1,
            "campaign.extra_advisor_visits_per_year": 0.0, "campaign.start_tick": STEP_DAY,
            "campaign.duration_ticks": 36500}
    human_levers = _levers("default_bank", ("firms[0].automation_share", "firms[0].advisors_per_10k"))
    relationship = {"campaign.enabled": True, "campaign.treated_share": 1.0, "campaign.start_tick": 0,
                    "campaign.duration_ticks": 36500, "campaign.extra_advisor_visits_per_year": 2.0,
                    "campaign.quality_boost": 0.0, "firms[0].advisors_per_10k": 20.0}
    curse_title = "Curse of satisfaction"
    curse_source = "seed 003 (\"la malédiction de la satisfaction\"); Rust & Oliver 2000"
    return (
        Design(
            key="quality_step", claim_key="curse_of_satisfaction", claim=curse_title, source=curse_source,
            question="Better service raises what customers expect, so its satisfaction gain fades.",
            arms={"step": Arm("default_bank", step, f"every contact of every customer gains 0.1 of quality "
                                                   f"from day {STEP_DAY} on (a campaign reaching everyone)"),
                  "flat": Arm("default_bank", {}, "the preset as is")},
            full=Size(None, STEP_DAY + 365), quick=Size(400, STEP_DAY + 60, 10),
            effects=(
                Effect("After a step up in quality, customers' predicted quality rises (step minus flat > 0).",
                     "expectation_inflation (last day)", "increase",
                     diff("expectation_inflation", "step", "flat"),
                     agree="Predicted quality follows experienced quality (Boulding et al. 1993), so the better "
                           "contacts raise what customers think possible.",
                     disagree="Predicted quality did not follow the better contacts: the expectation rules "
                              "(sim/rules/expectations.py) should make it adapt, so this points at the run "
                              "length or at the norms being fixed."),
                Effect("The satisfaction gained after the step fades: gain on days 31-90 after the step minus "
                     "gain over the last 60 days > 0.",
                     "satisfaction (daily gain, step minus flat)", "increase",
                     fade("satisfaction", "step", "flat", (STEP_DAY + 31, STEP_DAY + 90), 60),
                     agree="Satisfaction is disconfirmation against norms that catch up with the better service, "
                           "so the gain shrinks while quality stays higher: nothing in the rules says it fades.",
                     disagree="The satisfaction gain did not shrink: norms that catch up with experience should "
                              "eat it, so over this horizon the model does not reproduce the curse."),
            ),
            context=(("delivered quality gain after the step (daily mean)",
                      window_gain("delivered_quality", "step", "flat", STEP_DAY + 1, STEP_DAY + 365)),
                     ("satisfaction gain on days 31-90 after the step",
                      window_gain("satisfaction", "step", "flat", STEP_DAY + 31, STEP_DAY + 90)),
                     ("trust (last day)", diff("trust", "step", "flat"))),
            columns=_columns("expectation_inflation", "satisfaction", "delivered_quality", "trust"),
        ),
        Design(
            key="immediacy", claim_key="curse_of_satisfaction", claim=curse_title, source=curse_source,
            question="Faster answers raise the demand for immediacy (the curse applied to time).",
            arms={"fast": Arm("chasing_immediacy", {}, "the preset as is (people answer in half an hour)"),
                  "slower": Arm("chasing_immediacy", {"channels.human_response_h": 6.0},
                                "people answer in 6 hours (managing_expectations' channel), all else equal")},
            full=Size(None, 365), quick=Size(400, 60, 10),
            effects=(
                Effect("Faster answers make customers expect faster answers (expected response time: fast "
                     "minus slower < 0).",
                     "expected_response_h (last day)", "decrease", diff("expected_response_h", "fast", "slower"),
                     agree="The response time customers expect adapts toward the times they experience, so "
                           "speed becomes the norm (seed 003: \"the hope of an answer within the hour\").",
                     disagree="Expected response times did not follow the faster answers, against seed 003's "
                              "demand for immediacy."),
            ),
            context=(("response time, hours (mean over the run)", diff("response_time_h", "fast", "slower")),
                     ("trust (last day)", diff("trust", "fast", "slower"))),
            columns=_columns("expected_response_h", "response_time_h", "trust"),
        ),
        Design(
            key="automation", claim_key="automation", claim="Automation versus human attention",
            source="seed 001 (\"le client n'est pas en attente de plus d'automatisation mais de plus "
                   "d'attention humaine\"); seed 000",
            question="Automation lowers the cost of contacts but costs recognition and trust.",
            arms={"automated": Arm("automation_push", {}, "the preset as is (90% of requests automated, 3 "
                                                           "advisors per 10,000 customers)"),
                  "human": Arm("automation_push", human_levers,
                               "default_bank's levers: " + ", ".join(f"{k} = {v:g}" for k, v in
                                                                      human_levers.items()))},
            full=Size(None, 365), quick=Size(400, 60, 10),
            conditions=(("customers who need a person (preset: human_need and recognition_seeking 0.6)", {}),
                        ("customers who hardly need a person (human_need and recognition_seeking 0.1)",
                         {"segments[0].human_need": 0.1, "segments[0].recognition_seeking": 0.1})),
            varies="the customers' need for a person",
            effects=(
                Effect("Automation lowers the cost of contacts, staff and intermediaries (EUR over the year: "
                     "automated minus human < 0).",
                     "cost_eur (sum over the run)", "decrease", diff("cost_eur", "automated", "human"),
                     agree="Automated answers cost less per contact and the phone staff follows the calls "
                           "(square-root rule), and fewer advisors hold fewer paid meetings.",
                     disagree="Automation did not lower the cost: with these levers the cheaper answers do not "
                              "offset what else changes."),
                Effect("Automation lowers felt recognition (automated minus human < 0).",
                     "recognition (last day)", "decrease", diff("recognition", "automated", "human"),
                     agree="An automated answer carries little recognition (channels.automated_recognition) "
                           "against a person's or an advisor's; the effect's size comes from how many "
                           "contacts change channel.",
                     disagree="Recognition did not fall with automation."),
                Effect("Automation lowers trust (automated minus human < 0).",
                     "trust (last day)", "decrease", diff("trust", "automated", "human"),
                     agree="Recognition is evidence for trust for every customer, whatever their need of a "
                           "person (trust.recognition_weight), an automated answer falls short for those who "
                           "need one (channels.automation_shortfall), and fewer advisors hold fewer intense "
                           "contacts.",
                     disagree="Trust did not fall with automation: faster answers offset the lost recognition."),
            ),
            context=(("churn over the year, consumers", diff("churn", "automated", "human")),
                     ("response time, hours", diff("response_time_h", "automated", "human"))),
            columns=_columns("cost_eur", "recognition", "trust", "churn", "response_time_h"),
        ),
        Design(
            key="promise", claim_key="promise", claim="A relational promise kept on every channel",
            source="seed 002 (Nespresso's luxury on every channel; Free's fluid online promise, kept, elected "
                   "best customer service)",
            question="Customers judge the experience against the promise: a modest promise kept satisfies "
                     "as a luxury promise kept does, at a fraction of the cost.",
            arms={"online": Arm("online_first_fluid_promise", {}, "online_first_fluid_promise as is"),
                  "luxury": Arm("luxury_promise_every_channel", {}, "luxury_promise_every_channel as is "
                                                                    "(same population and seed)")},
            full=Size(None, 365), quick=Size(400, 60, 10),
            effects=(
                Effect("A fluid online promise, kept, satisfies no less than a luxury promise kept on every "
                     "channel (satisfaction: online minus luxury > -0.02).",
                     "satisfaction (last day)", "no decrease", diff("satisfaction", "online", "luxury"),
                     margin=0.02,
                     agree="Customers judge each contact against norms the promise sets, so a kept modest "
                           "promise satisfies as well as a kept luxury one.",
                     disagree="The model disagrees with seed 002's reading of Free: a kept promise protects "
                              "against the broken-promise penalty (trust.broken_promise_weight) and pulls "
                              "predicted quality toward it, but customers also judge against their own "
                              "desired and adequate levels (the same segments in both presets) and lose "
                              "quality on automated answers in proportion to their need of a person, so the "
                              "luxury firm's higher quality and personal answers satisfy more. The promise "
                              "moves expectations; it does not replace them."),
                Effect("Keeping a luxury promise on every channel costs more (EUR over the year: luxury minus "
                     "online > 0).",
                     "cost_eur (sum over the run)", "increase", diff("cost_eur", "luxury", "online"),
                     agree="The luxury promise needs people, advisors and fine mail on every channel; the cost "
                           "per contact is an input, the volume of contacts comes from the runs.",
                     disagree="The luxury promise did not cost more, against seed 002's point that the choice "
                              "of relationship model drives the investment."),
            ),
            context=(("trust (last day), online minus luxury", diff("trust", "online", "luxury")),
                     ("margin less cost over the year (EUR), luxury minus online", net_diff("luxury", "online"))),
            columns=_columns("satisfaction", "cost_eur", "trust", "revenue_eur"),
        ),
        Design(
            key="complex_age", claim_key="complex_age", claim="The complex age takes control from the firm",
            source="seed 004 (Bagozzi 1975: \"chaque acteur communique, chaque acteur peut menacer l'autre\"); "
                   "seed 001 (smart crowds); Hennig-Thurau et al. 2010",
            question="In many-to-many exchange customers hear more from each other than from the firm.",
            arms={"complex": Arm("complex_age", {}, "the preset as is (80% complex exchange, a blogger)"),
                  "restricted": Arm("complex_age", {"exchange.restricted": 1.0},
                                    "every interaction in restricted exchange, all else equal")},
            full=Size(None, 365), quick=Size(400, 60, 10),
            effects=(
                Effect("The firm's share of the messages customers receive is lower in the complex age "
                     "(complex minus restricted < 0).",
                     "control_share (last day)", "decrease", diff("control_share", "complex", "restricted"),
                     agree="In complex exchange public posts reach a consumer's ties and the blogger's audience "
                           "and are reshared, so peers' messages outnumber the firm's; the control share is "
                           "counted from the messages, not set.",
                     disagree="The firm kept its share of what customers hear in the complex age, against "
                              "seeds 001 and 004."),
            ),
            context=(("trust (last day)", diff("trust", "complex", "restricted")),
                     ("peer messages over the year", diff("wom_volume", "complex", "restricted"))),
            columns=_columns("control_share", "trust", "wom_volume"),
        ),
        Design(
            key="contacts_vs_relationship", claim_key="contacts_vs_relationship",
            claim="Impeccable contacts versus the relationship itself",
            source="seed 000 (\"la thèse des petits effets\" against trust and attachment as the target; the "
                   "bank of 5 million customers)",
            question="Is the relationship won by impeccable contacts at scale or by investing in the "
                     "relationship? Seed 000 poses both theses and ties attachment to recognition, which "
                     "needs personal attention.",
            arms={"base": Arm("bank_5m", {"campaign.enabled": False}, "bank_5m without its campaign"),
                  "contacts": Arm("bank_5m", {"campaign.enabled": False, "channels.quality_noise": 0.0},
                                  "impeccable contacts: every contact at its nominal quality "
                                  "(channels.quality_noise = 0)"),
                  "relationship": Arm("bank_5m", relationship,
                                      "relationship investment: twice the advisors (20 per 10,000 customers) "
                                      "and two extra advisor meetings a year offered to every customer")},
            full=Size(BANK_CONSUMERS, 365), quick=Size(1000, 60, 10),
            scale_note="bank_5m scaled down from 5,000,000 consumers to fit the time budget; contact rates "
                       "per customer, advisors per 10,000 customers (so relationships per advisor), the "
                       "social graph's mean degree and the blogger's audience share are the preset's, so the "
                       "mechanism compared (contacts' quality against relationship investment) is the same "
                       "at a smaller population",
            effects=(
                Effect("Impeccable contacts at scale raise trust: the 'small effects' thesis (contacts minus "
                     "base > 0).",
                     "trust (last day)", "increase", diff("trust", "contacts", "base"),
                     agree="Every contact is scored against the norms with losses weighing more than gains "
                           "(an assumption, Mittal et al. 1998), so removing bad draws removes negative "
                           "evidence: the many small contacts move trust.",
                     disagree="Reliable contacts did not raise trust."),
                Effect("Investing in the relationship raises trust (relationship minus base > 0).",
                     "trust (last day)", "increase", diff("trust", "relationship", "base"),
                     agree="Advisor meetings are intense contacts (trust.intense_weight) with recognition, "
                           "and more advisors hold the meetings customers want.",
                     disagree="More advisors and meetings did not raise trust."),
                Effect("Attachment comes from the relationship rather than from impeccable contacts "
                     "(relationship minus contacts > 0).",
                     "attachment (last day)", "increase", diff("attachment", "relationship", "contacts"),
                     agree="Attachment grows with recognition, which only personal contacts give in the model; "
                           "contacts' reliability raises trust, not recognition.",
                     disagree="The model does not side with seed 000's second thesis here: impeccable contacts "
                              "build at least as much attachment as the relationship investment, because "
                              "attachment also grows with trust and the reliable contacts raise trust for "
                              "every customer, many times a month."),
            ),
            context=(("trust (last day), relationship minus contacts", diff("trust", "relationship", "contacts")),
                     ("recognition (last day), relationship minus contacts",
                      diff("recognition", "relationship", "contacts")),
                     ("relational cost over the year (EUR), relationship minus contacts",
                      diff("relational_cost_eur", "relationship", "contacts"))),
            columns=_columns("trust", "attachment", "recognition", "relational_cost_eur"),
            note="Contacts' reliability costs nothing in the model (no parameter ties channels.quality_noise "
                 "to a cost), so the two levers cannot be compared per euro; the relational cost above is the "
                 "relationship investment's.",
        ),
        Design(
            key="privacy_paradox", claim_key="privacy_paradox", claim="The privacy paradox",
            source="seed 003 (\"les consommateurs souhaitent une personnalisation grandissante ... au prix d'une "
                   "perte d'intimité\"; they misjudge the future risk); Awad & Krishnan 2006",
            question="Customers welcome personalisation and say they care about their privacy, yet keep "
                     "using the firm that asks for too much.",
            arms={"intrusive": Arm("intrusive_data_collection", {}, "intrusive_data_collection as is"),
                  "modest": Arm("modest_data_collection", {}, "modest_data_collection as is (same population "
                                                               "and seed)")},
            full=Size(None, 365), quick=Size(400, 60, 10),
            conditions=(("with misuse events (the preset: about 2 a year)", {}),
                        ("without misuse events (data asked beyond need only)", {"firms[0].misuse_per_year": 0.0})),
            varies="whether the data is misused",
            effects=(
                Effect("Personalisation is welcomed: satisfaction is higher with the intrusive firm "
                     "(intrusive minus modest > 0).",
                     "satisfaction (last day)", "increase", diff("satisfaction", "intrusive", "modest"),
                     agree="Personalisation adds quality to every contact (privacy.personalization_gain), and "
                           "satisfaction scores contacts, not data.",
                     disagree="Personalisation did not raise satisfaction."),
                Effect("Customers care: trust is lower with the intrusive firm (intrusive minus modest < 0).",
                     "trust (last day)", "decrease", diff("trust", "intrusive", "modest"),
                     agree="Data asked beyond need is negative evidence every day, in proportion to each "
                           "customer's privacy sensitivity, and a misuse event is a burst of it.",
                     disagree="Trust did not fall with intrusive collection."),
                Effect("Yet they keep using it: the share of the market that stays a customer is no lower "
                     "(intrusive minus modest > -0.01).",
                     "customer_share (last day)", "no decrease", diff("customer_share", "intrusive", "modest"),
                     margin=0.01,
                     agree="Customers stay although they trust less: the gain in satisfaction offsets the loss "
                           "of trust in the churn hazard.",
                     disagree="The model disagrees with the paradox's second half: its customers act on their "
                              "distrust, because the churn hazard reads trust (and satisfaction), so the "
                              "intrusive firm loses customers. The model has no consumer decision to give or "
                              "withhold data (the firm sets data_asked), so \"keep sharing\" cannot be tested "
                              "with the existing parameters; only \"keep using\" is."),
            ),
            context=(("delivered quality (mean over the run)", diff("delivered_quality", "intrusive", "modest")),
                     ("churn over the year, consumers", diff("churn", "intrusive", "modest"))),
            columns=_columns("satisfaction", "trust", "customer_share", "delivered_quality", "churn"),
        ),
    )


def claim_keys() -> tuple[str, ...]:
    """The claims' keys, in report order (what ``claim_rows(only=...)`` selects)."""
    return tuple(dict.fromkeys(d.claim_key for d in claim_designs()))


# --- running ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    """One simulation: a scenario (TOML text, which identifies it), a seed and the columns to keep."""

    scenario: str
    seed: int
    columns: tuple[str, ...]
    consumers: int


def _run(task: _Run) -> tuple[pd.DataFrame, float, float]:
    """Simulate one run (in a worker process or here); return its kept columns, wall and CPU seconds."""
    from sim import simulate
    from sim.scenario import scenario_from_toml

    t0, c0 = time.perf_counter(), time.process_time()
    table = simulate(scenario_from_toml(task.scenario), seed=task.seed).table
    return (table[list(task.columns)].reset_index(drop=True), time.perf_counter() - t0,
            time.process_time() - c0)


def _plan(designs: Sequence[Design], reps: int, quick: bool) -> dict[tuple, _Run]:
    """Every run of the designs, keyed by (design, condition, arm, replication)."""
    from sim.scenario import load_scenario, to_toml, with_overrides

    plan = {}
    for d in designs:
        size = (d.quick if quick else d.full).overrides()
        for ci, (_, cond) in enumerate(d.conditions):
            for arm_name, arm in d.arms.items():
                sc = with_overrides(load_scenario(arm.preset), {**arm.overrides, **cond, **size})
                text = to_toml(sc)
                for r in range(reps):
                    plan[(d.key, ci, arm_name, r)] = _Run(text, derive_seed(ROOT_SEED, d.key, r), d.columns,
                                                          sc.population.consumers)
    return plan


def _use_threads(threads: str) -> None:
    """A worker's thread count for the parallel passes (set before its first run; numbers do not depend on it)."""
    os.environ["EXLAB_THREADS"] = threads


def _execute(plan: dict[tuple, _Run], workers: int, progress: Callable[[str], None] | None) -> dict[tuple, Any]:
    """Run every planned run once (identical runs are run once and shared) and return the tables by key."""
    unique: dict[_Run, list[tuple]] = {}
    for key, run in plan.items():
        unique.setdefault(run, []).append(key)
    total = len(unique)
    tables: dict[tuple, pd.DataFrame] = {}

    def done(run: _Run, table: pd.DataFrame, wall: float, cpu: float, k: int) -> None:
        for key in unique[run]:
            tables[key] = table
        if progress:
            d, _, arm, r = unique[run][0]
            progress(f"run {k}/{total}: {d} {arm} replication {r + 1} ({wall:.1f} s, CPU {cpu:.1f} s)")

    # The largest runs first, so that the workers finish together.
    order = sorted(unique, key=lambda u: -u.consumers)
    if workers <= 1:
        for k, run in enumerate(order, 1):
            done(run, *_run(run), k)
        return tables
    ctx = multiprocessing.get_context("spawn")
    threads = os.environ.get("EXLAB_THREADS") or "1"  # the workers share the cores: one thread each
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_use_threads,
                             initargs=(threads,)) as pool:
        futures = {pool.submit(_run, run): run for run in order}
        for k, fut in enumerate(as_completed(futures), 1):
            done(futures[fut], *fut.result(), k)
    return tables


# --- rows -------------------------------------------------------------------------------------------------------


def _fmt(x: float) -> str:
    if math.isnan(x):
        return "nan"
    a = abs(x)
    if a >= 1000:
        return f"{x:+,.0f}"
    if a >= 10:
        return f"{x:+.1f}"
    return f"{x:+.3g}" if a >= 1e-3 or a == 0 else f"{x:+.2e}"


def _interval(values: Sequence[float]) -> tuple[float, float, float, int]:
    mean, half, n = t_interval(values, LEVEL)
    return mean, mean - half, mean + half, n


def _reason(low: float, high: float, t: Effect) -> str:
    if math.isnan(low) or math.isnan(high):
        return "no interval (fewer than two replications)"
    if t.direction in ("no decrease", "no increase"):
        side = "lower" if t.direction == "no decrease" else "upper"
        return f"the interval's {side} end is beyond the margin of {t.margin:g}"
    if low <= 0.0 <= high:
        return "the interval includes zero: no effect detected"
    return "the interval lies on the other side of zero: the model says the opposite"


def _design_text(d: Design, quick: bool, reps: int, condition: str) -> str:
    from sim.scenario import load_scenario, with_overrides

    size = d.quick if quick else d.full
    arms = "; ".join(f"{name}: {a.label}" for name, a in d.arms.items())
    presets = list(dict.fromkeys(a.preset for a in d.arms.values()))
    sc = with_overrides(load_scenario(presets[0]), size.overrides())
    text = (f"{' and '.join(presets)} at {sc.population.consumers:,} consumers, {sc.run.ticks} days after a "
            f"{sc.run.warmup_days}-day warm-up. Arms: {arms}. Paired by seed (common random numbers) over "
            f"{reps} replications per arm.")
    if condition:
        text += f" Condition: {condition}."
    if d.scale_note and not quick:
        text += f" Scale: {d.scale_note}."
    if quick:
        text += " Quick mode: tiny sizes, for tests only."
    return text


def _rows(d: Design, tables: dict[tuple, pd.DataFrame], reps: int, quick: bool) -> list[ClaimResult]:
    per_condition = []  # [condition][effect] -> (mean, low, high, n, verdict, context text)
    for ci, _ in enumerate(d.conditions):
        reps_tables = [{arm: tables[(d.key, ci, arm, r)] for arm in d.arms} for r in range(reps)]
        ctx = "; ".join(f"{label} {_fmt(m)} [{_fmt(lo)}, {_fmt(hi)}]"
                        for label, f in d.context
                        for m, lo, hi, _ in [_interval([f(t) for t in reps_tables])])
        results = []
        for t in d.effects:
            m, lo, hi, n = _interval([t.measure(tt) for tt in reps_tables])
            results.append((m, lo, hi, n, verdict(lo, hi, t.direction, t.margin), ctx))
        per_condition.append(results)
    rows = []
    for ti, t in enumerate(d.effects):
        own = [per_condition[ci][ti][4] for ci in range(len(d.conditions))]
        final = combine_verdicts(own, d.varies)
        for ci, (label, _) in enumerate(d.conditions):
            m, lo, hi, n, v, ctx = per_condition[ci][ti]
            if final == "supported":
                text = f"The model agrees. {t.agree}"
                if len(d.conditions) > 1:
                    text += f" It holds under every condition tested ({d.varies})."
            elif final == "not supported":
                text = f"Not supported: {_reason(lo, hi, t)}. {t.disagree}"
            else:
                here = "supported" if v == "supported" else f"not supported ({_reason(lo, hi, t)})"
                text = (f"Under this condition the claim is {here}; under another it is not, so it "
                        f"{final}. {t.agree if v == 'supported' else t.disagree}")
            if ctx:
                text += f" Measured alongside (same pairs, 95% interval): {ctx}."
            if d.note:
                text += f" {d.note}"
            rows.append(ClaimResult(
                claim=d.claim, source=d.source, hypothesis=t.hypothesis,
                design=_design_text(d, quick, reps, label), outcome=t.outcome,
                estimate=m, ci_low=lo, ci_high=hi, n=n, verdict=final, explanation=text))
    return rows


def claim_rows(reps: int = 10, quick: bool = False, progress: Callable[[str], None] | None = None,
               only: Sequence[str] | None = None, workers: int | None = None) -> list[ClaimResult]:
    """Run every claim's design and return the claims table, one row per effect (and condition).

    Args:
        reps: Replications per arm (full mode); quick mode runs ``min(reps, QUICK_REPS)``.
        quick: Tiny populations and horizons, for tests: the structure, not the answers.
        progress: Called with a one-line message after every finished run.
        only: Claim keys to run (:func:`claim_keys`); default every claim.
        workers: Processes running replications (default: two in full mode, this process in quick
            mode). Results do not depend on it: each run's numbers depend only on its scenario and seed.

    Returns:
        The rows, in the order of :func:`claim_designs` and their effects.

    With two or more workers the runs are spawned processes: a script that
    calls this must do so under ``if __name__ == "__main__":``.
    """
    designs = claim_designs()
    if only is not None:
        unknown = sorted(set(only) - set(claim_keys()))
        if unknown:
            raise ValueError(f"only: unknown claims {unknown}; expected some of {list(claim_keys())}")
        designs = tuple(d for d in designs if d.claim_key in set(only))
    n = min(reps, QUICK_REPS) if quick else reps
    if n < 2:
        raise ValueError(f"reps: expected at least 2 (an interval needs two replications), got {reps}")
    if workers is None:
        workers = 1 if quick else 2
    tables = _execute(_plan(designs, n, quick), workers, progress)
    rows: list[ClaimResult] = []
    for d in designs:
        rows.extend(_rows(d, tables, n, quick))
    return rows
