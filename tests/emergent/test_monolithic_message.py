"""A monolithic message serves a heterogeneous public worse than a homogeneous one.

Claim (seed 004, the chamber of commerce treating all business creators as
one public; restricted exchange): one message built for the average customer.
Each consumer judges the offer by its fit to its own need; the population
outcome depends only on how needs are spread.

Knock-out: the firm sends one message per segment and learns each segment's
need by listening (``firms[0].message_fit = "per_segment"``, ``listening``):
the same heterogeneous public is then served as well as a homogeneous one.
"""

from tests.emergent.helpers import SEEDS, run, small, with_segments

TAILORED = {"firms__0__message_fit": "per_segment", "firms__0__listening": True, "firms__0__listening_rate": 0.2}


def _public(needs, **switch):
    return with_segments(small(2000, 100, **switch), {"name": "a", "need": needs[0], "share": 0.5},
                         {"name": "b", "need": needs[1], "share": 0.5})


def _worlds(seed, **switch):
    homogeneous, _ = run(_public((0.5, 0.5), **switch), seed)
    heterogeneous, _ = run(_public((0.15, 0.85), **switch), seed)
    return homogeneous, heterogeneous


def test_one_message_for_all_serves_a_heterogeneous_public_worse():
    """One message for the average customer misses both extremes (knock-out below)."""
    for seed in SEEDS:
        homogeneous, heterogeneous = _worlds(seed)
        assert heterogeneous["message_fit"].mean() < homogeneous["message_fit"].mean() - 0.2
        assert heterogeneous["purchases"].sum() < 0.7 * homogeneous["purchases"].sum()
        assert heterogeneous["trust"].iloc[-1] < homogeneous["trust"].iloc[-1]


def test_knock_out_messages_per_segment_serve_a_heterogeneous_public_as_well():
    """Knock-out: one message per segment, learned by listening, instead of one message for all."""
    for seed in SEEDS:
        homogeneous, heterogeneous = _worlds(seed, **TAILORED)
        assert abs(heterogeneous["message_fit"].mean() - homogeneous["message_fit"].mean()) < 0.02
        assert heterogeneous["purchases"].sum() > 0.9 * homogeneous["purchases"].sum()
        assert abs(heterogeneous["trust"].iloc[-1] - homogeneous["trust"].iloc[-1]) < 0.002
