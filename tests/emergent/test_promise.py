"""Breaking a promise costs more trust than never making it.

Claim (seed 002, relational promise and coherence): customers judge the
experience against the promise. The firm delivers the same quality (0.7) in
both worlds; in one it promised 0.9. The promise raises what customers expect
(Zeithaml et al. 1993) and every contact below it is evidence of a broken
promise.
"""

from tests.emergent.helpers import SEEDS, run, small


def test_breaking_a_promise_costs_more_trust_than_never_making_it():
    for seed in SEEDS:
        silent, _ = run(small(), seed)
        broken, _ = run(small(firms__0__promise_quality=0.9), seed)
        assert broken["trust"].iloc[-1] < silent["trust"].iloc[-1] - 0.05
        assert broken["satisfaction"].iloc[-1] < silent["satisfaction"].iloc[-1]
