"""Satisfaction from experience against expectations, and expectation adaptation.

Satisfaction of one contact (expectation-disconfirmation with asymmetric
weights and a zone of tolerance):

    d = P - E
    s = clip(0.5 + w_p (P - 0.5) + w_+ max(d, 0) - w_- max(-d, 0) - w_a max(A - P, 0), 0, 1)

where P is perceived quality, E the predicted level, A the adequate
(entitled) level. Lateness adds ``- tau * max(t - T, 0) / h`` for answers.

References:
    Oliver, R. L. (1980). A cognitive model of the antecedents and consequences
    of satisfaction decisions. JMR 17(4), 460-469.
    Anderson, E. W., & Sullivan, M. W. (1993). Marketing Science 12(2), 125-143.
    Zeithaml, V. A., Berry, L. L., & Parasuraman, A. (1993). JAMS 21(1), 1-12.
"""

from __future__ import annotations

import numpy as np

from sim.scenario.schema import ExpectationParams, SatisfactionParams

__all__ = ["adapt_expectations", "contact_satisfaction", "lateness_penalty", "evidence_from_satisfaction"]


def contact_satisfaction(perceived: np.ndarray, predicted: np.ndarray, adequate: np.ndarray,
                         p: SatisfactionParams) -> np.ndarray:
    """Satisfaction of contacts on [0, 1] (see module docstring)."""
    d = perceived - predicted
    s = (0.5 + p.performance_weight * (perceived - 0.5)
         + p.gain_weight * np.maximum(d, 0) - p.loss_weight * np.maximum(-d, 0)
         - p.below_adequate_weight * np.maximum(adequate - perceived, 0))
    return np.clip(s, 0.0, 1.0)


def lateness_penalty(response_h: np.ndarray, expected_h: np.ndarray, sensitivity: np.ndarray,
                     scale_h: float, relief: np.ndarray | float = 0.0) -> np.ndarray:
    """Satisfaction lost to lateness: sensitivity * max(t - T, 0) / scale, reduced by ``relief``.

    ``relief`` (0..1) is the share of the penalty removed when the answer comes
    at a booked appointment: the consumer knew when, so waiting carries less
    uncertainty (seed 003).
    """
    late = np.maximum(response_h - expected_h, 0.0) / scale_h
    return sensitivity * np.minimum(late, 1.0) * (1.0 - relief)


def evidence_from_satisfaction(s: np.ndarray, weight: np.ndarray | float,
                               negative_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """Graded beta evidence: satisfaction above 0.5 is positive, below is negative.

    pos = w * 2 max(s - 0.5, 0); neg = w * k_neg * 2 max(0.5 - s, 0). A neutral
    contact carries no evidence; a bad one weighs ``negative_weight`` times a
    good one (Slovic 1993).
    """
    pos = weight * 2.0 * np.maximum(s - 0.5, 0.0)
    neg = weight * negative_weight * 2.0 * np.maximum(0.5 - s, 0.0)
    return pos, neg


def adapt_expectations(predicted: np.ndarray, adequate: np.ndarray, desired: np.ndarray,
                       experienced: np.ndarray, weight: np.ndarray, p: ExpectationParams) -> None:
    """Move the three norms toward today's experience, in place.

    E += a_E w (P - E) (adaptive "will" expectation, Boulding et al. 1993);
    A ratchets: up at a_A+ when P > A, down at a_A- when P < A (Rust & Oliver 2000);
    D rises at a_D when P > D (dreams follow the best seen) and never falls;
    then A <= D is kept. ``weight`` (0..1) is how much a consumer experienced today.
    """
    if not p.enabled:
        return
    gap = experienced - predicted
    predicted += p.predicted_rate * weight * gap
    up = experienced > adequate
    gap_a = experienced - adequate
    adequate += weight * np.where(up, p.adequate_up_rate, p.adequate_down_rate) * gap_a
    desired += p.desired_rate * weight * np.maximum(experienced - desired, 0.0)
    np.minimum(adequate, desired, out=adequate)
