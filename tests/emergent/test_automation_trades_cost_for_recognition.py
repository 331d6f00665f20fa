"""Replacing human channels with automated ones: cheaper and faster, but less recognition and trust.

Claim (seed 001; Accenture 2016, PwC 2018): automation is cheap and fast, but
customers want human attention and recognition. The firm keeps the same human
staff; only the share of requests routed to voice servers and chatbots grows.
Cost per contact, waiting and recognition all come out of the channel rules
(cost per answer, capacity-limited human queue, recognition per contact).
"""

from tests.emergent.helpers import SEEDS, run, small


def test_automation_lowers_cost_and_waiting_and_recognition_driven_trust():
    for seed in SEEDS:
        human, _ = run(small(firms__0__automation_share=0.1, firms__0__human_capacity_per_tick=12), seed)
        auto, _ = run(small(firms__0__automation_share=0.9, firms__0__human_capacity_per_tick=12), seed)
        assert auto["cost_per_contact_eur"].mean() < 0.95 * human["cost_per_contact_eur"].mean()
        assert auto["waiting_h"].mean() < 0.5 * human["waiting_h"].mean()
        assert auto["response_time_h"].mean() < human["response_time_h"].mean()
        assert auto["recognition"].iloc[-1] < 0.8 * human["recognition"].iloc[-1]
        assert auto["trust"].iloc[-1] < human["trust"].iloc[-1] - 0.01


def test_automation_effect_on_trust_runs_through_recognition():
    """With recognition switched off as evidence, automation's trust penalty shrinks."""
    gaps = {}
    for weight in (0.5, 0.0):
        h, _ = run(small(firms__0__automation_share=0.1, firms__0__human_capacity_per_tick=12,
                         trust__recognition_weight=weight), 1)
        a, _ = run(small(firms__0__automation_share=0.9, firms__0__human_capacity_per_tick=12,
                         trust__recognition_weight=weight), 1)
        gaps[weight] = h["trust"].iloc[-1] - a["trust"].iloc[-1]
    assert gaps[0.0] < gaps[0.5]
