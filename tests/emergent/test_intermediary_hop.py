"""An intermediary hop raises response time and lowers the satisfaction of time-sensitive consumers.

Claim (seed 004, the call platform in front of the advisor; Bagozzi's
generalized exchange): each hop adds delay and distortion. Two segments that
differ only in time sensitivity; all requests answered by people; the only
change is the route (direct vs through the platform). A relayed request is
answered by the firm's back office, which takes ``channels.human_response_h``
itself; the platform's hops add their delay on top.

Knock-out: a platform hop that adds no delay (``intermediaries[0].delay_h =
0``): relayed answers are then late only by the back office's handling time,
and time-sensitive consumers lose no more than patient ones (the platform's
distortion still costs both segments alike).
"""

from tests.emergent.helpers import SEEDS, mean, run, small, with_segments


def _scenario(age: str, **switch):
    sc = small(2000, 150, firms__0__automation_share=0.0, **{f"exchange__{age}": 1.0}, **switch)
    return with_segments(sc, {"name": "hurried", "time_sensitivity": 0.9, "expected_response_h": 4.0,
                              "share": 0.5},
                         {"name": "patient", "time_sensitivity": 0.1, "expected_response_h": 72.0,
                          "share": 0.5})


def _hop(seed, **switch):
    """Hours the hop adds beyond the back office's handling, and the satisfaction each segment loses to it."""
    sc = _scenario("generalized", **switch)
    direct, md = run(_scenario("restricted", **switch), seed)
    relayed, mr = run(sc, seed)
    added_h = (relayed["response_time_h"].mean() - direct["response_time_h"].mean()
               - sc.channels.human_response_h)
    lost = [md.state.satisfaction[md.state.segment == g].mean() - mr.state.satisfaction[mr.state.segment == g].mean()
            for g in (0, 1)]
    return added_h, lost[0], lost[1]


def test_a_platform_hop_slows_answers_and_hurts_time_sensitive_consumers_most():
    """The hop's delay meets consumers' time sensitivity (knock-out below)."""
    for seed in SEEDS:
        added_h, hurried_lost, patient_lost = _hop(seed)
        assert added_h > 2.0
        assert hurried_lost > 0.005
        assert hurried_lost > patient_lost


def test_knock_out_a_hop_without_delay_hurts_time_sensitive_consumers_no_more():
    """Knock-out: the platform hop adds no delay (intermediaries[0].delay_h = 0)."""
    effects = [_hop(seed, intermediaries__0__delay_h=0.0) for seed in SEEDS]
    for added_h, _, _ in effects:
        assert abs(added_h) < 0.25
    # Hurried minus patient loss: about 0.008 with the delay, within noise (about 0.001) of zero without it.
    assert abs(mean([hurried - patient for _, hurried, patient in effects])) < 0.003, effects
