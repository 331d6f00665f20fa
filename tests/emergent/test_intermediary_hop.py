"""An intermediary hop raises response time and lowers the satisfaction of time-sensitive consumers.

Claim (seed 004, the call platform in front of the advisor; Bagozzi's
generalized exchange): each hop adds delay and distortion. Two segments that
differ only in time sensitivity; all requests answered by people; the only
change is the route (direct vs through the platform).
"""

from tests.emergent.helpers import SEEDS, run, small, with_segments


def _scenario(age: str):
    sc = small(firms__0__automation_share=0.0, **{f"exchange__{age}": 1.0})
    return with_segments(sc, {"name": "hurried", "time_sensitivity": 0.9, "expected_response_h": 4.0,
                              "share": 0.5},
                         {"name": "patient", "time_sensitivity": 0.1, "expected_response_h": 72.0,
                          "share": 0.5})


def test_a_platform_hop_slows_answers_and_hurts_time_sensitive_consumers_most():
    for seed in SEEDS:
        direct, md = run(_scenario("restricted"), seed)
        relayed, mr = run(_scenario("generalized"), seed)
        assert relayed["response_time_h"].mean() > direct["response_time_h"].mean() + 2.0
        hurried_direct = md.state.satisfaction[md.state.segment == 0].mean()
        hurried_relayed = mr.state.satisfaction[mr.state.segment == 0].mean()
        patient_direct = md.state.satisfaction[md.state.segment == 1].mean()
        patient_relayed = mr.state.satisfaction[mr.state.segment == 1].mean()
        assert hurried_relayed < hurried_direct - 0.005
        assert (hurried_direct - hurried_relayed) > (patient_direct - patient_relayed)
