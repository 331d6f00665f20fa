"""Replacing human channels with automated ones: cheaper and faster, but less recognition and trust.

Claim (seed 001; Accenture 2016, PwC 2018): automation is cheap and fast, but
customers want human attention and recognition. Waiting, recognition and trust
come out of the channel rules (the phone queue of sim/rules/callcentre.py,
recognition per contact); cost comes from paid agent-hours, so automation
saves money only when the firm staffs fewer agents for fewer calls.
"""

from tests.emergent.helpers import SEEDS, run, small


def test_with_the_same_staff_automation_shortens_waits_but_costs_recognition_and_trust():
    for seed in SEEDS:
        human, _ = run(small(firms__0__automation_share=0.1, firms__0__phone_agents=1), seed)
        auto, _ = run(small(firms__0__automation_share=0.9, firms__0__phone_agents=1), seed)
        assert auto["waiting_h"].mean() < 0.5 * human["waiting_h"].mean()
        assert auto["response_time_h"].mean() < human["response_time_h"].mean()
        assert auto["recognition"].iloc[-1] < 0.8 * human["recognition"].iloc[-1]
        assert auto["trust"].iloc[-1] < human["trust"].iloc[-1] - 0.01


def test_automation_lowers_cost_when_staff_follows_demand():
    """Agents staffed to the calls by the square-root rule: fewer calls need fewer paid agent-hours."""
    human, _ = run(small(20_000, 60, firms__0__automation_share=0.1), 1)
    auto, _ = run(small(20_000, 60, firms__0__automation_share=0.9), 1)
    assert auto["phone_agents"].iloc[-1] < human["phone_agents"].iloc[-1]
    assert auto["cost_per_contact_eur"].mean() < 0.95 * human["cost_per_contact_eur"].mean()


def test_automation_effect_on_trust_runs_through_recognition():
    """With recognition switched off as evidence, automation's trust penalty shrinks."""
    gaps = {}
    for weight in (0.5, 0.0):
        h, _ = run(small(firms__0__automation_share=0.1, firms__0__phone_agents=1,
                         trust__recognition_weight=weight), 1)
        a, _ = run(small(firms__0__automation_share=0.9, firms__0__phone_agents=1,
                         trust__recognition_weight=weight), 1)
        gaps[weight] = h["trust"].iloc[-1] - a["trust"].iloc[-1]
    assert gaps[0.0] < gaps[0.5]
