"""Replacing human channels with automated ones: cheaper and faster, but less recognition and trust.

Claim (seed 001; Accenture 2016, PwC 2018): automation is cheap and fast, but
customers want human attention and recognition. Waiting comes out of the
phone queue (sim/rules/callcentre.py); recognition from the recognition value
of each contact; trust from the evidence of each answer, which for an
automated one is worse for consumers who need a person
(``channels.automation_shortfall``) and carries less recognition. Cost comes
from paid agent-hours, so automation saves money only when the firm staffs
fewer agents for fewer calls.

Knock-outs: enough agents that no caller waits (waits); an automated answer
worth a human one to the consumer, in quality and recognition (recognition
and trust); a staff that does not follow the calls (cost).
"""

from sim import Scenario
from tests.emergent.helpers import SEEDS, run, small

_CH = Scenario().channels
#: An automated answer worth a human one: same quality, no shortfall for those who need a person, same recognition.
EQUAL_ANSWER = {"channels__automated_quality": _CH.human_quality, "channels__automation_shortfall": 0.0,
                "channels__automated_recognition": _CH.human_recognition}


def _pair(seed, consumers=3000, ticks=200, **switch):
    """(mostly human, mostly automated) tables with the same phone staff: one agent unless switched."""
    over = {"firms__0__phone_agents": 1, **switch}
    human, _ = run(small(consumers, ticks, firms__0__automation_share=0.1, **over), seed)
    auto, _ = run(small(consumers, ticks, firms__0__automation_share=0.9, **over), seed)
    return human, auto


def test_with_the_same_staff_automation_shortens_waits():
    """Fewer calls queue on the same agents (knock-out below)."""
    for seed in SEEDS:
        human, auto = _pair(seed)
        assert auto["waiting_h"].mean() < 0.5 * human["waiting_h"].mean()
        assert auto["response_time_h"].mean() < human["response_time_h"].mean()


def test_knock_out_with_enough_agents_automation_does_not_shorten_waits():
    """Knock-out: the phone queue (50 agents: no caller waits for one)."""
    for seed in SEEDS:
        human, auto = _pair(seed, firms__0__phone_agents=50)
        assert abs(auto["waiting_h"].mean() - human["waiting_h"].mean()) < 0.0005
        # A call lasts as long as an automated answer on average: about 0.008 h apart with one agent.
        assert abs(auto["response_time_h"].mean() - human["response_time_h"].mean()) < 0.003


def test_automation_costs_recognition_and_trust():
    """Automated answers carry less recognition and fall short for those who need a person (knock-out below)."""
    for seed in SEEDS:
        human, auto = _pair(seed, 2000, 150)
        assert auto["recognition"].iloc[-1] < 0.8 * human["recognition"].iloc[-1]
        assert auto["trust"].iloc[-1] < human["trust"].iloc[-1] - 0.01


def test_knock_out_automated_answers_worth_human_ones_cost_neither_recognition_nor_trust():
    """Knock-out: an automated answer worth a human one (quality, no shortfall, recognition)."""
    for seed in SEEDS:
        human, auto = _pair(seed, 2000, 150, **EQUAL_ANSWER)
        assert auto["recognition"].iloc[-1] > 0.95 * human["recognition"].iloc[-1]
        assert auto["trust"].iloc[-1] > human["trust"].iloc[-1] - 0.005


def test_part_of_automations_trust_cost_runs_through_recognition():
    """Partial knock-out: recognition carries no evidence (trust.recognition_weight = 0); the trust gap shrinks."""
    gaps = {}
    for weight in (0.5, 0.0):
        human, auto = _pair(1, 2000, 150, trust__recognition_weight=weight)
        gaps[weight] = human["trust"].iloc[-1] - auto["trust"].iloc[-1]
    assert gaps[0.0] < gaps[0.5]


def _cost(**switch):
    """(mostly human, mostly automated) tables, agents staffed by the square-root rule unless switched."""
    human, _ = run(small(20_000, 60, firms__0__automation_share=0.1, **switch), 1)
    auto, _ = run(small(20_000, 60, firms__0__automation_share=0.9, **switch), 1)
    return human, auto


def test_automation_lowers_cost_when_staff_follows_demand():
    """Agents staffed to the calls by the square-root rule: fewer calls need fewer paid agent-hours."""
    human, auto = _cost()
    assert auto["phone_agents"].iloc[-1] < human["phone_agents"].iloc[-1]
    assert auto["cost_per_contact_eur"].mean() < 0.95 * human["cost_per_contact_eur"].mean()


def test_knock_out_with_a_fixed_staff_automation_saves_nothing():
    """Knock-out: staff that does not follow the calls (4 agents, the square-root staff of the human world)."""
    human, auto = _cost(firms__0__phone_agents=4)
    assert auto["cost_per_contact_eur"].mean() > 0.99 * human["cost_per_contact_eur"].mean()
