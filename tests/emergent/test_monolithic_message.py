"""A monolithic message serves a heterogeneous public worse than a homogeneous one.

Claim (seed 004, the chamber of commerce treating all business creators as
one public; restricted exchange): one message built for the average customer.
Each consumer judges the offer by its fit to its own need; the population
outcome depends only on how needs are spread.
"""

from tests.emergent.helpers import SEEDS, run, small, with_segments


def _public(needs):
    return with_segments(small(), {"name": "a", "need": needs[0], "share": 0.5},
                         {"name": "b", "need": needs[1], "share": 0.5})


def test_one_message_for_all_serves_a_heterogeneous_public_worse():
    for seed in SEEDS:
        homogeneous, _ = run(_public((0.5, 0.5)), seed)
        heterogeneous, _ = run(_public((0.15, 0.85)), seed)
        assert heterogeneous["message_fit"].mean() < homogeneous["message_fit"].mean() - 0.2
        assert heterogeneous["purchases"].sum() < 0.7 * homogeneous["purchases"].sum()
        assert heterogeneous["trust"].iloc[-1] < homogeneous["trust"].iloc[-1]


def test_per_segment_messages_with_listening_recover_the_fit():
    sc = _public((0.15, 0.85))
    from sim.scenario import with_overrides

    tailored = with_overrides(sc, {"firms[0].message_fit": "per_segment", "firms[0].listening": True,
                                   "firms[0].listening_rate": 0.2})
    mono, _ = run(sc, 1)
    tail, _ = run(tailored, 1)
    assert tail["message_fit"].iloc[-60:].mean() > mono["message_fit"].iloc[-60:].mean() + 0.2
