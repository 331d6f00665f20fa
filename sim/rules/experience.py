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

__all__ = ["adapt_expectations", "contact_satisfaction", "lateness_penalty", "evidence_from_satisfaction"]


def contact_satisfaction(perceived: np.ndarray, predicted: np.ndarray, adequate: np.ndarray, performance_w: float,
                         gain_w: float, loss_w: float, below_adequate_w: float) -> np.ndarray:
    """Satisfaction of contacts on [0, 1] (see module docstring), in float64."""
    d = perceived - predicted
    s = (0.5 + performance_w * (perceived - 0.5) + gain_w * np.maximum(d, 0.0) - loss_w * np.maximum(-d, 0.0)
         - below_adequate_w * np.maximum(adequate - perceived, 0.0))
    return np.minimum(np.maximum(s, 0.0), 1.0)


def lateness_penalty(response_h: np.ndarray, expected_h: np.ndarray, sensitivity: np.ndarray,
                     scale_h: float, relief: np.ndarray | float = 0.0) -> np.ndarray:
    """Satisfaction lost to lateness: sensitivity * max(t - T, 0) / scale, reduced by ``relief``.

    ``relief`` (0..1) is the share of the penalty removed when the answer comes
    at a booked appointment: the consumer knew when, so waiting carries less
    uncertainty (seed 003).
    """
    late = np.maximum(response_h - expected_h, 0.0) / scale_h
    return sensitivity * np.minimum(late, 1.0) * (1.0 - relief)


def evidence_from_satisfaction(s: np.ndarray, weight: float,
                               negative_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """Graded beta evidence: satisfaction above 0.5 is positive, below is negative.

    pos = w * 2 max(s - 0.5, 0); neg = w * k_neg * 2 max(0.5 - s, 0). A neutral
    contact carries no evidence; a bad one weighs ``negative_weight`` times a
    good one (Slovic 1993).
    """
    pos = weight * 2.0 * np.maximum(s - 0.5, 0.0)
    neg = weight * negative_weight * 2.0 * np.maximum(0.5 - s, 0.0)
    return pos, neg


def adapt_expectations(predicted: np.ndarray, adequate: np.ndarray, desired: np.ndarray, experienced: np.ndarray,
                       predicted_rate: float, up_rate: float, down_rate: float,
                       desired_rate: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three norms moved one step toward today's experience P (float64; new arrays).

    E += a_E (P - E) (adaptive "will" expectation, Boulding et al. 1993);
    A ratchets: up at a_A+ when P > A, down at a_A- otherwise (Rust & Oliver 2000);
    D rises at a_D when P > D (dreams follow the best seen) and never falls;
    then A <= D is kept.
    """
    e = predicted + predicted_rate * (experienced - predicted)
    a = adequate + np.where(experienced > adequate, up_rate, down_rate) * (experienced - adequate)
    d = desired + desired_rate * np.maximum(experienced - desired, 0.0)
    return e, np.minimum(a, d), d
