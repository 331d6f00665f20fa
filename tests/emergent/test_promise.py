"""Breaking a promise costs trust, through two channels that can be told apart.

Claim (seed 002, relational promise and coherence): customers judge the
experience against the promise. The firm delivers the same quality (0.7) in
both worlds; in one it promised 0.9.

The model has two channels: (a) an assumption, written into the trust rule:
every contact below a promise is negative evidence (``trust.broken_promise_weight``);
(b) an emergent effect: the promise pulls what customers predict upward
(``expectations.promised_quality_pull``, Zeithaml et al. 1993), so the same
contacts disconfirm more, satisfy less and give worse evidence. The test
switches (a) off and checks that (b) alone still costs trust; the knock-out
switches (b) off too and checks the promise then costs nothing.
"""

from tests.emergent.helpers import SEEDS, run, small

NO_EVIDENCE = {"trust__broken_promise_weight": 0.0, "trust__kept_promise_share": 0.0}


def test_a_broken_promise_costs_trust_through_expectations_alone():
    for seed in SEEDS:
        silent, _ = run(small(**NO_EVIDENCE), seed)
        broken, _ = run(small(firms__0__promise_quality=0.9, **NO_EVIDENCE), seed)
        assert broken["expectation_quality"].iloc[-1] > silent["expectation_quality"].iloc[-1] + 0.02
        assert broken["satisfaction"].iloc[-30:].mean() < silent["satisfaction"].iloc[-30:].mean() - 0.005
        assert broken["trust"].iloc[-1] < silent["trust"].iloc[-1] - 0.005


def test_without_both_channels_a_promise_costs_nothing():
    off = {**NO_EVIDENCE, "expectations__promised_quality_pull": 0.0}
    for seed in SEEDS:
        silent, _ = run(small(**off), seed)
        broken, _ = run(small(firms__0__promise_quality=0.9, **off), seed)
        assert abs(broken["trust"].iloc[-1] - silent["trust"].iloc[-1]) < 0.003


def test_with_the_evidence_channel_the_cost_is_larger():
    silent, _ = run(small(), 1)
    broken, _ = run(small(firms__0__promise_quality=0.9), 1)
    only_expectations, _ = run(small(firms__0__promise_quality=0.9, **NO_EVIDENCE), 1)
    assert broken["trust"].iloc[-1] < only_expectations["trust"].iloc[-1] < silent["trust"].iloc[-1]
