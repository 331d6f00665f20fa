"""The scenario schema: the single source of truth for every parameter.

Every field carries its default, unit, bounds and a one-line meaning in its
metadata (see :func:`param`). The loader, ``exlab describe``, the dashboard's
widgets, the ODD parameter table and experiment bounds all read it from here.

Time: one tick is one day. Quality, trust and satisfaction live on [0, 1].
Response times are in hours.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AcquisitionParams",
    "AGE_SHARES",
    "ChannelParams",
    "ChurnParams",
    "CampaignParams",
    "ExchangeParams",
    "ExchangeSchedulePoint",
    "ExpectationParams",
    "FailureParams",
    "FirmParams",
    "InfluenceParams",
    "IntermediaryParams",
    "ListeningParams",
    "NetworkParams",
    "OfferParams",
    "PopulationParams",
    "PrivacyParams",
    "RunParams",
    "SatisfactionParams",
    "Scenario",
    "SegmentParams",
    "TrustParams",
    "WomParams",
    "param",
    "iter_params",
]


def param(
    default: Any,
    *,
    unit: str = "",
    meaning: str,
    bounds: tuple[float | None, float | None] | None = None,
    choices: tuple[str, ...] | None = None,
    source: str = "",
) -> Any:
    """Declare a scenario field with its metadata.

    Args:
        default: Default value (lists and dicts are copied per instance).
        unit: Unit of the value ("" for dimensionless, "share" for [0, 1]).
        meaning: One line saying what the parameter does.
        bounds: Inclusive (low, high); None on a side means unbounded.
        choices: Allowed strings, for enumerated fields.
        source: Where the default or the rule comes from.
    """
    meta = {"unit": unit, "meaning": meaning, "bounds": bounds, "choices": choices,
            "source": source}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda d=default: type(d)(d), metadata=meta)
    return field(default=default, metadata=meta)


def section(cls: type, meaning: str) -> Any:
    """Declare a nested section (a sub-table in TOML)."""
    return field(default_factory=cls, metadata={"meaning": meaning, "section": True})


def table_list(cls: type, meaning: str, default: list | None = None) -> Any:
    """Declare an array of tables (``[[name]]`` in TOML)."""
    items = default or []
    return field(default_factory=lambda: [dataclasses.replace(x) for x in items],
                 metadata={"meaning": meaning, "table_list": cls})


SHARE = (0.0, 1.0)


@dataclass(frozen=True, slots=True)
class RunParams:
    """How long to run and with which seed."""

    ticks: int = param(365, unit="days", bounds=(1, 36500),
                       meaning="Number of ticks to simulate (one tick is one day).")
    seed: int = param(1, unit="", bounds=(0, 2**63 - 1),
                      meaning="Root seed of the run's random-number tree.")
    warmup_days: int = param(40, unit="days", bounds=(0, 3650),
                             meaning="Days simulated before day 1, with every rate sped up by warmup_speed and "
                                     "nothing scheduled, so that day 1 starts from the rules' steady state "
                                     "(0 = start from the scenario's initial values).")
    warmup_speed: float = param(30.0, unit="x", bounds=(1.0, 1000.0),
                                meaning="How many days of adaptation one warm-up day stands for (every rate and "
                                        "hazard is multiplied by it, capped at warmup_rate_cap).")
    warmup_rate_cap: float = param(0.5, unit="1/step", bounds=(0.01, 1.0),
                                   meaning="Largest adaptation rate a sped-up warm-up day may use.")


@dataclass(frozen=True, slots=True)
class PopulationParams:
    """Size of the consumer population and memory guard."""

    consumers: int = param(20_000, unit="consumers", bounds=(10, 50_000_000),
                           meaning="Number of consumers in the market: the firms' customers and the prospects "
                                   "(consumers of no firm in the model, for instance customers of outside "
                                   "competitors), who can become customers.")
    prospect_share: float = param(0.1, unit="share", bounds=SHARE,
                                  meaning="Share of consumers who are prospects at the start (the outside option).")
    memory_limit_gib: float = param(16.0, unit="GiB", bounds=(0.1, 1024.0),
                                    meaning="A run whose predicted peak memory exceeds this is refused.")
    trait_spread: float = param(0.15, unit="share sd", bounds=(0.0, 1.0),
                                meaning="Standard deviation of individual traits (time and privacy sensitivity, "
                                        "propensity to share, recognition seeking, need of a person) around "
                                        "their segment's mean, before clipping to [0, 1].")


@dataclass(frozen=True, slots=True)
class SegmentParams:
    """A consumer segment: a share of the population with its own needs and habits."""

    name: str = param("everyone", meaning="Segment name (unique).")
    share: float = param(1.0, unit="share", bounds=(0.0, 1.0),
                         meaning="Share of consumers in this segment (shares are normalised).")
    desired_quality: float = param(0.8, unit="quality [0,1]", bounds=SHARE,
                                   meaning="What the segment dreams of (desired service level).",
                                   source="Zeithaml, Berry & Parasuraman 1993")
    adequate_quality: float = param(0.5, unit="quality [0,1]", bounds=SHARE,
                                    meaning="What the segment feels entitled to (adequate level).",
                                    source="Zeithaml, Berry & Parasuraman 1993")
    predicted_quality: float = param(0.6, unit="quality [0,1]", bounds=SHARE,
                                     meaning="What the segment thinks is possible (predicted level).",
                                     source="Zeithaml, Berry & Parasuraman 1993")
    need: float = param(0.5, unit="position [0,1]", bounds=SHARE,
                        meaning="What the segment wants from the offer (a taste position a message can fit).")
    need_spread: float = param(0.1, unit="position sd", bounds=(0.0, 1.0),
                               meaning="Within-segment spread of the need.")
    expected_response_h: float = param(24.0, unit="hours", bounds=(0.01, 2000.0),
                                       meaning="Response time the segment expects at the start.")
    time_sensitivity: float = param(0.5, unit="share", bounds=SHARE,
                                    meaning="Weight of response time in a request's satisfaction.")
    patience_h: float = param(72.0, unit="hours", bounds=(0.1, 10000.0),
                              meaning="Mean time a consumer's request waits in a backlog (platform, back "
                                      "office) before it is given up.",
                              source="Erlang A (Palm 1943; Brown et al. 2005)")
    phone_patience_min: float = param(4.0, unit="minutes", bounds=(0.01, 100000.0),
                                      meaning="Mean time a caller holds the line before hanging up (patience, "
                                              "exponential per call).",
                                      source="Brown et al. 2005; Mandelbaum & Zeltyn 2007")
    privacy_sensitivity: float = param(0.5, unit="share", bounds=SHARE,
                                       meaning="Mean sensitivity to data asked beyond need.",
                                       source="Awad & Krishnan 2006")
    share_propensity: float = param(0.5, unit="share", bounds=SHARE,
                                    meaning="Mean propensity to pass on word-of-mouth.",
                                    source="Hennig-Thurau et al. 2004")
    recognition_seeking: float = param(0.5, unit="share", bounds=SHARE,
                                       meaning="Mean desire for recognition and esteem.",
                                       source="Toubia & Stephen 2013")
    human_need: float = param(0.5, unit="share", bounds=SHARE,
                              meaning="How much an automated answer falls short of a human one.",
                              source="Accenture 2016; PwC 2018")
    statements_per_month: float = param(1.0, unit="contacts/month", bounds=(0.0, 100.0),
                                        meaning="Account statements received (firm to consumer).",
                                        source="seed 000")
    app_checks_per_month: float = param(3.25, unit="contacts/month", bounds=(0.0, 300.0),
                                        meaning="Self-service app or web checks.",
                                        source="seed 000 (half of customers, 5-8 a month)")
    atm_uses_per_month: float = param(4.3, unit="contacts/month", bounds=(0.0, 300.0),
                                      meaning="Cash machine uses.", source="seed 000 (weekly)")
    requests_per_month: float = param(0.5, unit="requests/month", bounds=(0.0, 100.0),
                                      meaning="Questions or problems that need an answer from the firm.")
    advisor_visits_per_year: float = param(2.5, unit="meetings/year", bounds=(0.0, 100.0),
                                           meaning="Advisor meetings wanted (intense contacts).",
                                           source="seed 000 (2-3 a year)")


@dataclass(frozen=True, slots=True)
class ChannelParams:
    """Properties of the contact channels (shared by all firms unless a firm overrides)."""

    automated_quality: float = param(0.7, unit="quality [0,1]", bounds=SHARE,
                                     meaning="Quality of an automated answer (voice server, chatbot).")
    human_quality: float = param(0.8, unit="quality [0,1]", bounds=SHARE,
                                 meaning="Quality of a human answer (call, advisor).")
    automated_response_h: float = param(0.1, unit="hours", bounds=(0.0, 1000.0),
                                        meaning="Response time of an automated answer.")
    human_response_h: float = param(2.0, unit="hours", bounds=(0.0, 1000.0),
                                    meaning="Handling time of a back-office answer (a relayed request, a backlog).")
    phone_open_h: float = param(8.0, unit="hour of day", bounds=(0.0, 23.99),
                                meaning="The phone lines open (synchronous channel: callers wait on the line).")
    phone_close_h: float = param(20.0, unit="hour of day", bounds=(0.01, 24.0),
                                 meaning="The phone lines close (0 to 24: always open).")
    phone_service_min: float = param(6.0, unit="minutes", bounds=(0.01, 600.0), source="Brown et al. 2005",
                                     meaning="Mean time a person spends on one call.")
    phone_service_distribution: str = param("lognormal", choices=("lognormal", "exponential"),
                                            source="Brown et al. 2005",
                                            meaning="Distribution of call times (exponential: the Erlang case).")
    phone_service_cv: float = param(1.0, unit="", bounds=(0.0, 10.0), source="Brown et al. 2005 (lognormal)",
                                    meaning="Coefficient of variation of lognormal call times (0: all equal).")
    retrial_share: float = param(0.5, unit="share", bounds=SHARE,
                                 source="Aguir et al. 2004 (assumption on the size)",
                                 meaning="Share of callers who hung up, or were told to call back, who call again.")
    retrial_delay_h: float = param(2.0, unit="hours", bounds=(0.0, 1000.0),
                                   meaning="Mean delay before a caller calls again (exponential).")
    service_level_s: float = param(20.0, unit="seconds", bounds=(0.0, 3600.0),
                                   meaning="Answer-time target of the service level (share answered within it).")
    agent_cost_per_hour_eur: float = param(35.0, unit="EUR/agent-hour", bounds=(0.0, 10000.0),
                                           meaning="Cost of one person on the phone for one hour (paid whether "
                                                   "calls come or not).")
    waiting_cost_per_hour_eur: float = param(10.0, unit="EUR/waiting hour", bounds=(0.0, 10000.0),
                                             meaning="Value the firm puts on one hour its callers spend on hold "
                                                     "(for decisions; not a cash cost).")
    automated_recognition: float = param(0.05, unit="share", bounds=SHARE,
                                         meaning="Recognition value of an automated contact.",
                                         source="seed 001")
    human_recognition: float = param(0.6, unit="share", bounds=SHARE,
                                     meaning="Recognition value of a human contact.",
                                     source="seed 001")
    advisor_recognition: float = param(1.0, unit="share", bounds=SHARE,
                                       meaning="Recognition value of an advisor meeting.",
                                       source="seed 000")
    quality_noise: float = param(0.1, unit="quality sd", bounds=(0.0, 1.0),
                                 meaning="Standard deviation of a contact's perceived quality.")
    cost_statement_eur: float = param(0.5, unit="EUR/contact", bounds=(0.0, 1000.0),
                                      meaning="Cost of one statement.")
    cost_self_service_eur: float = param(0.02, unit="EUR/contact", bounds=(0.0, 1000.0),
                                         meaning="Cost of one app check or cash machine use.")
    cost_automated_eur: float = param(0.3, unit="EUR/contact", bounds=(0.0, 1000.0),
                                      meaning="Cost of one automated answer.")
    cost_human_eur: float = param(6.0, unit="EUR/contact", bounds=(0.0, 1000.0),
                                  meaning="Cost of one human answer (a call handled by a person).")
    cost_advisor_eur: float = param(60.0, unit="EUR/meeting", bounds=(0.0, 10000.0),
                                    meaning="Cost of one advisor meeting.")
    answer_service_share: float = param(0.5, unit="share", bounds=SHARE, source="assumption",
                                        meaning="Weight of the firm's delivered quality in an answer's quality "
                                                "(the rest is the channel's own quality).")
    automation_shortfall: float = param(0.3, unit="quality per unit of human need", bounds=SHARE,
                                        source="seed 001 (assumption on the size)",
                                        meaning="Quality an automated answer loses for a consumer who fully "
                                                "needs a person.")
    appointment_relief: float = param(0.7, unit="share", bounds=SHARE, source="seed 003 (assumption on the size)",
                                      meaning="Share of the lateness penalty removed when a person answers at a "
                                              "booked appointment.")
    public_answer_extra_h: float = param(1.0, unit="hours", bounds=(0.0, 1000.0), source="assumption",
                                         meaning="Extra time an automated public answer takes over a private one.")
    advisor_service_share: float = param(0.5, unit="share", bounds=SHARE, source="assumption",
                                         meaning="Weight of the firm's delivered quality in an advisor meeting "
                                                 "(the rest is the human channel's quality).")
    advisor_quality_bonus: float = param(0.1, unit="quality", bounds=SHARE, source="seed 000 (assumption on the size)",
                                         meaning="Quality a face-to-face meeting adds over an answer.")
    followup_evidence_share: float = param(0.5, unit="share", bounds=(0.0, 10.0), source="seed 000; seed 001",
                                           meaning="Evidence of a complaint follow-up, as a share of an advisor "
                                                   "meeting's (trust.intense_weight).")
    followup_cost_answers: float = param(2.0, unit="human answers", bounds=(0.0, 100.0), source="assumption",
                                         meaning="Cost of a complaint follow-up, in human answers "
                                                 "(channels.cost_human_eur each).")


@dataclass(frozen=True, slots=True)
class FirmParams:
    """A firm: its promise, its service, its channels and its stance."""

    name: str = param("Firm", meaning="Firm name (unique).")
    market_share: float = param(1.0, unit="share", bounds=SHARE,
                                meaning="Initial share of consumers (shares are normalised).")
    quality: float = param(0.7, unit="quality [0,1]", bounds=SHARE,
                           meaning="Quality of the core service delivered at the start.")
    quality_trend_per_year: float = param(0.0, unit="quality/year", bounds=(-1.0, 1.0),
                                          meaning="Yearly change of delivered quality (service improvement).")
    segment_quality: dict = param({}, unit="quality [0,1]", bounds=SHARE,
                                  meaning="Per-segment delivered quality overriding `quality` "
                                          "(differentiated service).",
                                  source="seed 002")
    promise_quality: float = param(0.0, unit="quality [0,1]", bounds=SHARE,
                                   meaning="Quality the firm promises (0 means no promise).",
                                   source="seed 002")
    segment_promise: dict = param({}, unit="quality [0,1]", bounds=SHARE,
                                  meaning="Per-segment promised quality overriding `promise_quality`.",
                                  source="seed 002")
    promise_response_h: float = param(0.0, unit="hours", bounds=(0.0, 2000.0),
                                      meaning="Response time the firm promises (0 means no promise).",
                                      source="seed 002")
    message_fit: str = param("monolithic", choices=("monolithic", "per_segment"),
                             meaning="One message for the whole public, or one per segment.",
                             source="seed 004")
    automation_share: float = param(0.3, unit="share", bounds=SHARE,
                                    meaning="Share of requests answered by automated channels.",
                                    source="seed 001")
    human_capacity_per_tick: float = param(0.0, unit="answers/day per 1000 customers",
                                           bounds=(0.0, 10000.0),
                                           meaning="Back-office capacity for relayed requests (a backlog); 0 means "
                                                   "sized to demand.")
    staffing_ratio: float = param(1.1, unit="capacity/demand", bounds=(0.1, 10.0),
                                  meaning="When back-office capacity is 0: sized to this multiple of expected demand.")
    phone_agents: int = param(0, unit="people", bounds=(0, 1_000_000),
                              meaning="People answering the phone while the lines are open (0: staffed by the "
                                      "square-root rule with staffing_beta).")
    staffing_beta: float = param(0.5, unit="", bounds=(-3.0, 10.0), source="Halfin & Whitt 1981",
                                 meaning="Quality of service of square-root staffing: agents = ceil(R + beta "
                                         "sqrt(R)), R the offered load in Erlangs.")
    advisors_per_10k: float = param(10.0, unit="advisors per 10,000 customers", bounds=(0.0, 10000.0),
                                    meaning="Advisors employed (each has a portfolio of relationships).",
                                    source="seed 000")
    advisor_meetings_per_day: float = param(6.0, unit="meetings/day/advisor", bounds=(0.0, 100.0),
                                            meaning="Meetings one advisor can hold per day.")
    listening: bool = param(False, meaning="Learns what segments expect and adapts its offer.",
                            source="seed 001")
    listening_rate: float = param(0.02, unit="1/day", bounds=SHARE,
                                  meaning="Speed at which a listening firm adapts its offer.")
    complaint_resolution: float = param(0.0, unit="share", bounds=SHARE, source="seed 001; seed 000",
                                        meaning="Share of complaints a person follows up and resolves "
                                                "(an intense contact).")
    answer_in_public: float = param(0.0, unit="share", bounds=SHARE,
                                    meaning="Share of public complaints the firm answers in public.",
                                    source="seed 004")
    broadcast_every_ticks: int = param(30, unit="days", bounds=(0, 3650),
                                       meaning="Days between offers broadcast to the whole public (0 = never).")
    announced_response_h: float = param(0.0, unit="hours", bounds=(0.0, 2000.0),
                                        meaning="Response time announced to customers (0 = no announcement).",
                                        source="seed 003 (managing expectations)")
    appointments: bool = param(False, meaning="Human answers are given at booked appointments (less uncertainty).",
                               source="seed 003")
    expectation_management_cost_eur: float = param(0.2, unit="EUR/customer/month", bounds=(0.0, 100.0),
                                                   meaning="Cost of announcements, rituals and appointments.")
    data_asked: float = param(0.3, unit="share", bounds=SHARE,
                              meaning="Amount of personal data the firm asks for.", source="seed 003")
    data_needed: float = param(0.3, unit="share", bounds=SHARE,
                               meaning="Amount of personal data the service really needs.",
                               source="seed 003")
    personalization: float = param(0.3, unit="share", bounds=SHARE,
                                   meaning="Personalisation built on the data (quality bonus up to data held).",
                                   source="Aguirre et al. 2015")
    misuse_per_year: float = param(0.0, unit="events/year", bounds=(0.0, 50.0),
                                   meaning="Rate of data misuse events (leaks, intrusive use).")
    margin_per_customer_day_eur: float = param(0.5, unit="EUR/customer/day", bounds=(0.0, 1000.0),
                                               meaning="Margin earned per active customer per day.")


@dataclass(frozen=True, slots=True)
class IntermediaryParams:
    """An intermediary: a call platform (a hop in generalized exchange) or an audience (complex exchange)."""

    name: str = param("Platform", meaning="Intermediary name (unique).")
    kind: str = param("platform", choices=("platform", "blogger"),
                      meaning="platform: relays requests between consumers and the firm; "
                              "blogger: amplifies public posts.")
    segments: list = param([], meaning="Segments this line is meant for (empty = all).", source="seed 004")
    capacity_per_1000: float = param(20.0, unit="messages/day per 1000 customers",
                                     bounds=(0.0, 100000.0), meaning="Messages relayed per day.")
    delay_h: float = param(4.0, unit="hours", bounds=(0.0, 1000.0),
                           meaning="Delay of each hop through a platform (consumer to platform, platform to firm).")
    loss: float = param(0.05, unit="share", bounds=SHARE, meaning="Share of relayed messages lost.")
    distortion: float = param(0.1, unit="quality", bounds=SHARE,
                              meaning="Quality lost when a message is passed on (information loss).")
    cost_per_message_eur: float = param(2.0, unit="EUR/message", bounds=(0.0, 1000.0),
                                        meaning="Cost paid by the firm per relayed message.")
    audience_share: float = param(0.0, unit="share of consumers", bounds=SHARE,
                                  meaning="Audience of a blogger, as a share of all consumers.")
    amplification: float = param(0.0, unit="share", bounds=SHARE,
                                 meaning="Probability that a blogger picks up a public post.")


@dataclass(frozen=True, slots=True)
class ExchangeSchedulePoint:
    """The age mix at a given tick; the mix is interpolated linearly between points."""

    tick: int = param(0, unit="day", bounds=(0, 36500), meaning="Tick at which this mix holds.")
    restricted: float = param(1.0, unit="share", bounds=SHARE, meaning="Share in restricted exchange.")
    generalized: float = param(0.0, unit="share", bounds=SHARE, meaning="Share in generalized exchange.")
    complex: float = param(0.0, unit="share", bounds=SHARE, meaning="Share in complex exchange.")


#: The three shares of an age mix, in the order (restricted, generalized, complex).
AGE_SHARES = ("restricted", "generalized", "complex")


@dataclass(frozen=True, slots=True)
class ExchangeParams:
    """Shares of interactions under each of Bagozzi's (1975) exchange ages.

    The age mix is declared once, as a schedule (see :meth:`points`): either
    the three shares, which are the shorthand for a constant mix (one point at
    tick 0), or ``schedule``, never both. With a schedule, the three share
    fields are no declaration: they read the schedule's last point (the mix it
    ends on), and other values given with a schedule are refused.
    """

    restricted: float = param(1.0, unit="share", bounds=SHARE, source="Bagozzi 1975",
                              meaning="Share of interactions in restricted exchange (firm <-> consumer).")
    generalized: float = param(0.0, unit="share", bounds=SHARE, source="Bagozzi 1975",
                               meaning="Share in generalized exchange (chains through intermediaries).")
    complex: float = param(0.0, unit="share", bounds=SHARE, source="Bagozzi 1975",
                           meaning="Share in complex exchange (many-to-many, public).")
    leakage: float = param(0.0, unit="share", bounds=SHARE, source="seed 004 (the leaked number)",
                           meaning="Share of generalized requests using a line not meant for the consumer's segment.")
    schedule: list = table_list(ExchangeSchedulePoint,
                                "Age mix over time, instead of the three shares (which then read its last point).")

    def __post_init__(self) -> None:
        if not self.schedule:
            return
        last = self.schedule[-1]
        end = (last.restricted, last.generalized, last.complex)
        given = (self.restricted, self.generalized, self.complex)
        if given != end and given != (1.0, 0.0, 0.0):  # the defaults: no share was given
            raise ValueError("exchange: the three shares and a schedule both declare the age mix; "
                             "give one of them")
        for name, value in zip(AGE_SHARES, end, strict=True):
            object.__setattr__(self, name, value)

    def points(self) -> tuple[ExchangeSchedulePoint, ...]:
        """The age mix as schedule points; a constant mix is one point at tick 0."""
        if self.schedule:
            return tuple(self.schedule)
        return (ExchangeSchedulePoint(tick=0, restricted=self.restricted,
                                      generalized=self.generalized, complex=self.complex),)


@dataclass(frozen=True, slots=True)
class NetworkParams:
    """The consumers' social graph."""

    kind: str = param("watts_strogatz",
                      choices=("watts_strogatz", "barabasi_albert", "erdos_renyi", "sbm",
                               "complete", "edgelist"),
                      meaning="Graph generator.")
    mean_degree: float = param(10.0, unit="ties", bounds=(1.0, 1000.0), meaning="Mean number of ties.")
    rewire: float = param(0.1, unit="share", bounds=SHARE,
                          meaning="Watts-Strogatz rewiring probability (weak ties).")
    homophily: float = param(0.8, unit="share", bounds=SHARE,
                             meaning="SBM: share of a consumer's ties inside its segment.")
    edgelist_path: str = param("", meaning="Edge list file (two integer columns) when kind = edgelist.")


@dataclass(frozen=True, slots=True)
class SatisfactionParams:
    """Expectation-disconfirmation satisfaction with a zone of tolerance."""

    performance_weight: float = param(0.3, unit="", bounds=(0.0, 5.0), source="Anderson & Sullivan 1993",
                                      meaning="Weight of perceived quality itself.")
    gain_weight: float = param(1.0, unit="", bounds=(0.0, 10.0), source="Oliver 1980",
                               meaning="Weight of positive disconfirmation (better than predicted).")
    loss_weight: float = param(2.0, unit="", bounds=(0.0, 10.0), source="Mittal et al. 1998; Tversky & Kahneman 1992",
                               meaning="Weight of negative disconfirmation (losses loom larger).")
    below_adequate_weight: float = param(1.0, unit="", bounds=(0.0, 10.0), source="Zeithaml et al. 1993",
                                         meaning="Extra penalty below the adequate level (zone of tolerance).")
    time_scale_h: float = param(24.0, unit="hours", bounds=(0.1, 1000.0),
                                meaning="Lateness (hours beyond expected) that costs one unit of satisfaction.")
    memory: float = param(0.1, unit="1/contact-day", bounds=SHARE,
                          meaning="Weight of a day's experience in the satisfaction state.")
    initial: float = param(0.5, unit="[0,1]", bounds=SHARE,
                           meaning="Satisfaction at the start and when a relationship begins with a new firm.")
    complaint_below: float = param(0.3, unit="[0,1]", bounds=SHARE, source="assumption",
                                   meaning="An answer whose satisfaction falls below this is a complaint.")


@dataclass(frozen=True, slots=True)
class ExpectationParams:
    """Norms (entitled, dreamed, possible) and their adaptation."""

    enabled: bool = param(True, meaning="Expectations adapt to experience and to peers (off: fixed norms).")
    predicted_rate: float = param(0.05, unit="1/contact-day", bounds=SHARE, source="Boulding et al. 1993; Helson 1964",
                                  meaning="Adaptation of the predicted level toward experience.")
    adequate_up_rate: float = param(0.05, unit="1/contact-day", bounds=SHARE, source="Rust & Oliver 2000 (ratchet)",
                                    meaning="Rise of the entitled level when experience exceeds it.")
    adequate_down_rate: float = param(0.005, unit="1/contact-day", bounds=SHARE,
                                      meaning="Fall of the entitled level when experience is below it.")
    experience_memory: float = param(0.1, unit="1/contact-day", bounds=SHARE, source="assumption",
                                     meaning="Weight of a day's perceived quality in smoothed experience: what a "
                                             "consumer reports to peers, and what the entitled and dreamed levels "
                                             "follow.")
    adequate_margin: float = param(0.05, unit="quality", bounds=SHARE,
                                   source="Zeithaml et al. 1993 (assumption on the size)",
                                   meaning="The entitled level follows smoothed experience minus this margin: "
                                           "what one accepts lies below what one usually gets.")
    desired_rate: float = param(0.01, unit="1/contact-day", bounds=SHARE,
                                meaning="Rise of the dreamed level when experience exceeds it.")
    response_rate: float = param(0.05, unit="1/answer", bounds=SHARE,
                                 meaning="Adaptation of expected response time toward experienced times.")
    peer_weight: float = param(0.05, unit="1/message", bounds=SHARE, source="seed 003",
                               meaning="Pull of a peer's reported quality on predicted and dreamed levels.")
    promised_quality_pull: float = param(0.01, unit="1/day", bounds=SHARE,
                                         source="Zeithaml et al. 1993 (explicit promises)",
                                         meaning="Pull of the firm's promised quality on predicted quality.")
    announcement_weight: float = param(0.1, unit="1/day", bounds=SHARE, source="seed 003",
                                       meaning="Pull of an announced response time on expected response time.")
    promised_response_share: float = param(0.5, unit="share", bounds=SHARE, source="assumption",
                                           meaning="Pull of a promised response time, as a share of an "
                                                   "announcement's (announcement_weight).")
    peer_desired_share: float = param(0.5, unit="share", bounds=SHARE, source="assumption",
                                      meaning="Pull of a peer's reported quality on the dreamed level, as a share "
                                              "of its pull on the predicted level (peer_weight).")


@dataclass(frozen=True, slots=True)
class TrustParams:
    """Trust as an evidence count with forgetting (Josang & Ismail 2002)."""

    forgetting: float = param(0.99, unit="per day", bounds=(0.5, 1.0), source="Josang & Ismail 2002",
                              meaning="Share of past evidence kept each day.")
    negative_weight: float = param(2.0, unit="", bounds=(1.0, 10.0), source="Slovic 1993",
                                   meaning="Weight of negative evidence relative to positive.")
    routine_weight: float = param(0.05, unit="evidence/contact", bounds=(0.0, 10.0), source="seed 000",
                                  meaning="Evidence carried by one routine contact (small effects).")
    request_weight: float = param(0.5, unit="evidence/answer", bounds=(0.0, 10.0),
                                  meaning="Evidence carried by one answered request.")
    intense_weight: float = param(2.0, unit="evidence/meeting", bounds=(0.0, 10.0), source="seed 000",
                                  meaning="Evidence carried by one advisor meeting.")
    recognition_weight: float = param(0.5, unit="evidence", bounds=(0.0, 10.0), source="seed 001",
                                      meaning="Positive evidence per unit of recognition received "
                                              "(scaled by recognition seeking).")
    broken_promise_weight: float = param(3.0, unit="evidence/quality gap", bounds=(0.0, 50.0), source="seed 002",
                                         meaning="Negative evidence per unit of broken promise on a contact "
                                                 "(times the contact's weight).")
    kept_promise_share: float = param(0.1, unit="share", bounds=SHARE, source="seed 002 (assumption on the size)",
                                      meaning="Positive evidence of a kept promise, as a share of half the "
                                              "broken-promise weight.")
    wom_weight: float = param(0.1, unit="evidence/message", bounds=(0.0, 10.0), source="seed 001",
                              meaning="Evidence carried by a peer's recommendation or warning.")
    public_weight: float = param(0.05, unit="evidence/message", bounds=(0.0, 10.0), source="seed 004",
                                 meaning="Evidence carried by a public post seen about one's firm.")
    initial_positive: float = param(3.0, unit="evidence", bounds=(0.0, 1000.0),
                                    meaning="Positive evidence at the start.")
    initial_negative: float = param(1.0, unit="evidence", bounds=(0.0, 1000.0),
                                    meaning="Negative evidence at the start.")
    initial_attachment: float = param(0.2, unit="[0,1]", bounds=SHARE,
                                      meaning="Attachment at the start (a relationship with a new firm starts at 0).")
    recognition_gain: float = param(0.2, unit="recognition per unit received", bounds=SHARE, source="assumption",
                                    meaning="Felt recognition added per unit of recognition value received in a day.")
    attachment_recognition_share: float = param(0.5, unit="share", bounds=SHARE, source="Morgan & Hunt 1994",
                                                meaning="Share of attachment's target that depends on recognition "
                                                        "(target = trust x (1 - share + share x recognition)).")
    recognition_decay: float = param(0.01, unit="1/day", bounds=SHARE,
                                     meaning="Daily decay of felt recognition.")
    attachment_rate: float = param(0.005, unit="1/day", bounds=SHARE, source="Morgan & Hunt 1994",
                                   meaning="Speed at which attachment follows trust and recognition.")


@dataclass(frozen=True, slots=True)
class WomParams:
    """Peer word-of-mouth on the social graph."""

    enabled: bool = param(True, meaning="Consumers pass recommendations and warnings to peers.")
    base_rate: float = param(0.005, unit="1/day", bounds=SHARE, source="Anderson 1998",
                             meaning="Daily probability to talk about one's firm at neutral satisfaction.")
    extremity_boost: float = param(4.0, unit="", bounds=(0.0, 100.0), source="Anderson 1998",
                                   meaning="Increase of talk with |satisfaction - 0.5| squared (U shape).")
    negative_multiplier: float = param(2.0, unit="", bounds=(1.0, 10.0), source="Goldenberg et al. 2007",
                                       meaning="Dissatisfied consumers talk this many times more.")
    recognition_boost: float = param(1.0, unit="", bounds=(0.0, 10.0), source="Toubia & Stephen 2013",
                                     meaning="Increase of talk per unit of recognition seeking.")
    reciprocity_boost: float = param(1.0, unit="", bounds=(0.0, 10.0), source="Gouldner 1960",
                                     meaning="Increase of talk per unit of help recently received.")
    public_reach: float = param(1.0, unit="share of ties", bounds=SHARE, source="seed 004",
                                meaning="Share of ties that see a public post (private talk reaches one tie).")
    reshare_rate: float = param(0.03, unit="share", bounds=SHARE, source="seed 001; seed 004 (assumption on the size)",
                                meaning="Probability that a consumer of neutral propensity who sees a public post "
                                        "reshares it to its own ties (x 2 share_propensity).")
    answer_damping: float = param(0.5, unit="share", bounds=SHARE, source="seed 004 (assumption on the size)",
                                  meaning="Share of resharing a public answer from the firm takes away from the "
                                          "post it answers.")
    max_exposures_per_day: int = param(2_000_000, unit="exposures", bounds=(1000, 1_000_000_000),
                                       meaning="Bound on the exposures of public posts processed per day; "
                                               "cascades beyond it are cut and counted as truncated.")
    help_per_answer: float = param(0.2, unit="help/day", bounds=SHARE, source="Gouldner 1960 (assumption on the size)",
                                   meaning="Felt help added on a day the firm answers a consumer's request.")
    help_per_peer_message: float = param(0.1, unit="help/message", bounds=SHARE, source="Gouldner 1960",
                                         meaning="Felt help added per peer message received.")
    help_persistence: float = param(0.9, unit="per day", bounds=SHARE, source="assumption",
                                    meaning="Share of felt help kept each day.")
    initial_reputation: float = param(0.5, unit="[0,1]", bounds=SHARE,
                                      meaning="Every firm's public reputation at the start (share of praise in "
                                              "public talk).")
    reputation_rate: float = param(0.05, unit="1/day", bounds=SHARE, source="assumption",
                                   meaning="Speed at which a firm's public reputation follows the valence of "
                                           "the day's public talk about it.")


@dataclass(frozen=True, slots=True)
class PrivacyParams:
    """Privacy calculus: personalisation needs data; data beyond need and misuse erode trust."""

    enabled: bool = param(True, meaning="Data asked beyond need and misuse events affect trust.")
    overask_weight: float = param(0.02, unit="evidence/day", bounds=(0.0, 10.0), source="Awad & Krishnan 2006",
                                  meaning="Daily negative evidence per unit of data asked beyond need x sensitivity.")
    misuse_weight: float = param(5.0, unit="evidence/event", bounds=(0.0, 100.0), source="Aguirre et al. 2015",
                                 meaning="Negative evidence from one misuse event x sensitivity.")
    personalization_gain: float = param(0.1, unit="quality", bounds=SHARE, source="Aguirre et al. 2015",
                                        meaning="Quality added by full personalisation with all the data it needs.")


@dataclass(frozen=True, slots=True)
class AcquisitionParams:
    """Prospects become customers: reputation, offers and word-of-mouth (Bass 1969 as a special case)."""

    enabled: bool = param(True, meaning="Prospects can become customers.")
    innovation: float = param(0.001, unit="1/day", bounds=SHARE, source="Bass 1969 (p)",
                              meaning="Daily hazard of becoming a customer of a firm of neutral reputation, "
                                      "from the firm's own reach (advertising, branches, offers).")
    imitation: float = param(0.002, unit="1/day", bounds=(0.0, 5.0), source="Bass 1969 (q)",
                             meaning="Daily hazard per share of one's ties who are customers of the firm "
                                     "(word-of-mouth).")
    valence_weight: float = param(1.0, unit="share", bounds=SHARE, source="Goldenberg et al. 2007",
                                  meaning="How much reputation and the satisfaction of customer ties raise or "
                                          "lower acquisition (0: Bass, valence plays no part; 1: a fully "
                                          "dissatisfied tie deters as much as a delighted one attracts).")
    offer_lift: float = param(1.0, unit="share", bounds=(0.0, 100.0), source="assumption",
                              meaning="Increase of a firm's own-reach hazard on the days it broadcasts an offer.")


@dataclass(frozen=True, slots=True)
class ChurnParams:
    """Churn and switching between firms (convex in satisfaction, Jones & Sasser 1995)."""

    enabled: bool = param(True, meaning="Consumers can leave their firm.")
    max_rate_per_year: float = param(0.6, unit="1/year", bounds=(0.0, 52.0),
                                     meaning="Churn hazard of a fully dissatisfied, distrustful consumer.")
    threshold: float = param(0.35, unit="share", bounds=SHARE, source="Jones & Sasser 1995",
                             meaning="Loyalty score (satisfaction and trust) at which the hazard is half its max.")
    steepness: float = param(12.0, unit="", bounds=(0.1, 100.0),
                             meaning="Steepness of the logistic churn link.")
    attachment_lock: float = param(0.7, unit="share", bounds=SHARE, source="Morgan & Hunt 1994",
                                   meaning="How much attachment (commitment) lowers the hazard.")


@dataclass(frozen=True, slots=True)
class CampaignParams:
    """An in-silico campaign on a random treated group, with an untreated control group."""

    enabled: bool = param(False, meaning="Run a campaign experiment.", source="seed 001")
    start_tick: int = param(90, unit="day", bounds=(0, 36500), meaning="Day the campaign starts.")
    duration_ticks: int = param(90, unit="days", bounds=(1, 36500), meaning="Days the campaign lasts.")
    treated_share: float = param(0.5, unit="share", bounds=(0.0, 1.0),
                                 meaning="Share of consumers randomly assigned to treatment.")
    extra_advisor_visits_per_year: float = param(2.0, unit="meetings/year", bounds=(0.0, 100.0),
                                                 meaning="Extra advisor meetings offered to treated consumers.")
    quality_boost: float = param(0.0, unit="quality", bounds=(0.0, 1.0),
                                 meaning="Quality added to treated consumers' contacts.")


@dataclass(frozen=True, slots=True)
class FailureParams:
    """A service failure: for a while, a random share of customers gets much worse service."""

    enabled: bool = param(False, meaning="Inject a service failure.")
    start_tick: int = param(100, unit="day", bounds=(0, 36500), meaning="Day the failure starts.")
    duration_ticks: int = param(14, unit="days", bounds=(1, 36500), meaning="Days the failure lasts.")
    affected_share: float = param(0.05, unit="share", bounds=SHARE,
                                  meaning="Share of consumers hit by the failure (drawn at random).")
    quality_drop: float = param(0.5, unit="quality", bounds=SHARE,
                                meaning="Quality lost in every contact of an affected consumer.")


@dataclass(frozen=True, slots=True)
class OfferParams:
    """Offers the firms broadcast to their whole public."""

    purchase_rate: float = param(0.2, unit="share", bounds=SHARE, source="assumption",
                                 meaning="Probability of accepting a perfectly fitting offer at full trust "
                                         "(scaled by fit x trust).")
    margin_days: float = param(30.0, unit="days", bounds=(0.0, 3650.0), source="assumption",
                               meaning="Margin of one accepted offer, in days of a customer's margin.")
    cost_statement_share: float = param(0.2, unit="share", bounds=(0.0, 100.0), source="assumption",
                                        meaning="Cost of one offer sent, as a share of a statement's cost.")


@dataclass(frozen=True, slots=True)
class ListeningParams:
    """How listening firms hear their customers."""

    feedback_share: float = param(0.01, unit="share/day", bounds=SHARE, source="seed 001 (assumption on the size)",
                                  meaning="Share of all consumers whose feedback a listening firm hears each day.")
    quality_pull_share: float = param(0.5, unit="share", bounds=SHARE, source="assumption",
                                      meaning="Pull of heard expectations on the offer's quality, as a share of "
                                              "the firm's listening rate (quality only rises).")


@dataclass(frozen=True, slots=True)
class InfluenceParams:
    """Bounds on the realized-influence graph."""

    max_edges: int = param(200_000, unit="edges", bounds=(100, 50_000_000),
                           meaning="Heaviest influence edges kept (exact below this size).")
    control_window_days: int = param(30, unit="days", bounds=(1, 3650),
                                     meaning="Days of received messages over which the firms' control share "
                                             "is measured.")


@dataclass(frozen=True, slots=True)
class Scenario:
    """A complete scenario: every parameter of a run."""

    name: str = param("default", meaning="Scenario name.")
    description: str = param("", meaning="What question the scenario answers.")
    run: RunParams = section(RunParams, "Run length and seed.")
    population: PopulationParams = section(PopulationParams, "Population size.")
    segments: list = table_list(SegmentParams, "Consumer segments.", [SegmentParams()])
    firms: list = table_list(FirmParams, "Competing firms.", [FirmParams()])
    intermediaries: list = table_list(IntermediaryParams, "Intermediaries.", [IntermediaryParams()])
    exchange: ExchangeParams = section(ExchangeParams, "Exchange age mix.")
    network: NetworkParams = section(NetworkParams, "Social graph.")
    channels: ChannelParams = section(ChannelParams, "Contact channels.")
    satisfaction: SatisfactionParams = section(SatisfactionParams, "Satisfaction rule.")
    expectations: ExpectationParams = section(ExpectationParams, "Expectation rules.")
    trust: TrustParams = section(TrustParams, "Trust rule.")
    wom: WomParams = section(WomParams, "Word-of-mouth.")
    privacy: PrivacyParams = section(PrivacyParams, "Privacy calculus.")
    acquisition: AcquisitionParams = section(AcquisitionParams, "Acquisition of prospects.")
    churn: ChurnParams = section(ChurnParams, "Churn and switching.")
    campaign: CampaignParams = section(CampaignParams, "Campaign experiment.")
    failure: FailureParams = section(FailureParams, "Service failure.")
    offers: OfferParams = section(OfferParams, "Broadcast offers.")
    listening: ListeningParams = section(ListeningParams, "Listening firms.")
    influence: InfluenceParams = section(InfluenceParams, "Influence tracking.")


def iter_params(cls: type = Scenario, prefix: str = ""):
    """Yield ``(path, field, owner_class)`` for every leaf parameter of a schema class.

    Arrays of tables are described once with ``[]`` in the path
    (``firms[].quality``).
    """
    for f in dataclasses.fields(cls):
        path = f"{prefix}{f.name}"
        if f.metadata.get("section"):
            yield from iter_params(f.type if isinstance(f.type, type) else _resolve(cls, f), path + ".")
        elif "table_list" in f.metadata:
            yield from iter_params(f.metadata["table_list"], path + "[].")
        else:
            yield path, f, cls


def _resolve(cls: type, f: dataclasses.Field) -> type:
    import typing

    return typing.get_type_hints(cls)[f.name]
