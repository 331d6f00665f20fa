"""The complex age takes control from the firm, and a service failure spreads further.

Claim (seed 004; Hennig-Thurau et al. 2010, "pinball"): in many-to-many
exchange customers hear more from each other than from the firm, and a
failure is talked about in public. The service is the same in both worlds;
only the age mix differs. Control share = firm messages / all messages
received; spread = consumers who receive warnings, and the trust lost by
consumers the failure never touched.

What makes the complex age many-to-many is that a public post (talk, or a
request made in public) is seen by the poster's ties (``wom.public_reach``),
then reshared. Knock-out: with public posts seen by no tie
(``wom.public_reach = 0``) the complex age no longer lowers the control share
nor spreads the failure further; private talk (restricted age) is unchanged.
Switching word-of-mouth off is not this knock-out: requests made in public
are still seen by the poster's ties.
"""

import numpy as np

from tests.emergent.helpers import SEEDS, run, small

NO_PUBLIC = {"wom__public_reach": 0.0}


def _world(age: str, failure: bool, consumers: int, ticks: int, share: float = 0.05, **switch):
    return small(consumers, ticks, exchange__restricted=1.0 if age == "restricted" else 0.0,
                 exchange__complex=1.0 if age == "complex" else 0.0,
                 failure__enabled=failure, failure__start_tick=100, failure__duration_ticks=14,
                 failure__affected_share=share, **switch)


def _control_shares(seed, **switch):
    """(restricted, complex) control share over the last 30 of 60 days."""
    restricted, _ = run(_world("restricted", False, 1000, 60, **switch), seed)
    complex_, _ = run(_world("complex", False, 1000, 60, **switch), seed)
    return restricted["control_share"].iloc[-1], complex_["control_share"].iloc[-1]


def _failure_spread(**switch):
    """Per age, over the seeds: extra consumers warned, and trust lost by consumers the failure missed."""
    extra_warned = {"restricted": [], "complex": []}
    untouched_trust_loss = {"restricted": [], "complex": []}
    for seed in SEEDS:
        for age in extra_warned:
            # Measured when the failure ends (day 114), 10% of customers hit.
            base, m0 = run(_world(age, False, 3000, 115, share=0.1, **switch), seed)
            hit, m1 = run(_world(age, True, 3000, 115, share=0.1, **switch), seed)
            extra_warned[age].append(float((hit["warned"] - base["warned"]).iloc[99:].sum()))
            untouched = ~m1.failure_hit
            untouched_trust_loss[age].append(
                float(m0.state.trust[untouched].mean() - m1.state.trust[untouched].mean()))
    return ({age: np.mean(v) for age, v in extra_warned.items()},
            {age: np.mean(v) for age, v in untouched_trust_loss.items()})


def test_complex_age_gives_the_firm_a_lower_control_share():
    """Public posts seen by the poster's ties outnumber the firm's messages (knock-out below)."""
    for seed in SEEDS:
        restricted, complex_ = _control_shares(seed)
        assert complex_ < restricted - 0.3, (restricted, complex_)


def test_knock_out_without_public_reach_the_complex_age_keeps_the_control_share():
    """Knock-out: public posts seen by no tie (wom.public_reach = 0)."""
    for seed in SEEDS:
        restricted, complex_ = _control_shares(seed, **NO_PUBLIC)
        assert complex_ > restricted - 0.05, (restricted, complex_)


def test_a_service_failure_spreads_further_in_the_complex_age():
    """Complaints seen by the poster's ties carry the failure beyond its victims (knock-out below)."""
    warned, loss = _failure_spread()
    assert warned["complex"] > 3 * max(warned["restricted"], 1.0), warned
    assert loss["complex"] > 2 * loss["restricted"], loss


def test_knock_out_without_public_reach_a_failure_spreads_no_further_in_the_complex_age():
    """Knock-out: public posts seen by no tie (wom.public_reach = 0)."""
    warned, loss = _failure_spread(**NO_PUBLIC)
    assert warned["complex"] <= warned["restricted"], warned
    # The trust of consumers the failure missed moves by noise only (about 0.0005 over three seeds).
    assert loss["complex"] < loss["restricted"] + 0.001, loss
