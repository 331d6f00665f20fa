"""Bass adoption on the social graph: innovation plus imitation of adopted ties.

A non-adopter adopts today with probability ``min(p + q x adopted ties / ties, 1)``
[1], the network form of the Bass model; on a complete graph it follows the
discrete Bass equation (tests/emergent compare it with the closed form).

References:
    [1] Bass, F. M. (1969). A new product growth model for consumer durables.
        Management Science 15(5), 215-227.
"""

from __future__ import annotations

import numpy as np

__all__ = ["adoption_bound", "adoption_probability"]


def adoption_bound(wom) -> float:
    """The largest daily adoption probability, ``min(p + q, 1)``."""
    return min(wom.adoption_p + wom.adoption_q, 1.0)


def adoption_probability(adopted_ties, ties, wom):
    """``min(p + q x adopted_ties / max(ties, 1), 1)``: p = ``wom.adoption_p``, q = ``wom.adoption_q`` (1/day)."""
    return np.minimum(wom.adoption_p + wom.adoption_q * adopted_ties / np.maximum(ties, 1), 1.0)
