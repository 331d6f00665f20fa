"""The complex age takes control from the firm, and a service failure spreads further.

Claim (seed 004; Hennig-Thurau et al. 2010, "pinball"): in many-to-many
exchange customers hear more from each other than from the firm, and a
failure is talked about in public. The service is the same in both worlds;
only the age mix differs. Control share = firm messages / all messages
received; spread = consumers who receive warnings, and the trust lost by
consumers the failure never touched.
"""

import numpy as np

from tests.emergent.helpers import SEEDS, run, small


def _world(age: str, failure: bool, ticks: int = 150, share: float = 0.05):
    return small(ticks=ticks, exchange__restricted=1.0 if age == "restricted" else 0.0,
                 exchange__complex=1.0 if age == "complex" else 0.0,
                 failure__enabled=failure, failure__start_tick=100, failure__duration_ticks=14,
                 failure__affected_share=share)


def test_complex_age_gives_the_firm_a_lower_control_share():
    for seed in SEEDS:
        restricted, _ = run(_world("restricted", False), seed)
        complex_, _ = run(_world("complex", False), seed)
        assert complex_["control_share"].iloc[-1] < restricted["control_share"].iloc[-1] - 0.3


def test_a_service_failure_spreads_further_in_the_complex_age():
    extra_warned = {"restricted": [], "complex": []}
    untouched_trust_loss = {"restricted": [], "complex": []}
    for seed in SEEDS:
        for age in extra_warned:
            # Measured when the failure ends (day 114), 10% of customers hit.
            base, m0 = run(_world(age, False, ticks=115, share=0.1), seed)
            hit, m1 = run(_world(age, True, ticks=115, share=0.1), seed)
            extra_warned[age].append(float((hit["warned"] - base["warned"]).iloc[99:].sum()))
            untouched = ~m1.failure_hit
            untouched_trust_loss[age].append(
                float(m0.state.trust[untouched].mean() - m1.state.trust[untouched].mean()))
    assert np.mean(extra_warned["complex"]) > 3 * max(np.mean(extra_warned["restricted"]), 1.0)
    assert np.mean(untouched_trust_loss["complex"]) > 2 * np.mean(untouched_trust_loss["restricted"])
