"""In-silico campaign experiments: random treated group, untreated control, effect with its CI."""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["campaign_effect", "welch_ci"]


def welch_ci(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Difference of means a - b with a Welch t confidence interval: (effect, low, high)."""
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    diff = a.mean() - b.mean()
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = np.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1)) if se > 0 else 1.0
    half = stats.t.ppf(0.5 + level / 2, dof) * se
    return float(diff), float(diff - half), float(diff + half)


def campaign_effect(model) -> dict:
    """Effect of the campaign at the end of the run on trust, satisfaction and retention.

    Treated and control are drawn at random at the start (a randomised
    experiment), so the difference of means estimates the causal effect on
    retention; the trust and satisfaction effects are among consumers still with
    a firm, so they also reflect who stayed.
    """
    st = model.state
    tr, co = st.treated, ~st.treated
    active = st.firm >= 0
    out = {"treated": int(tr.sum()), "control": int(co.sum())}
    # Trust and satisfaction are about a firm: compared among consumers still with one.
    # Retention is compared over everyone assigned (intention to treat).
    for name, arr, mask in (("trust", st.trust, active), ("satisfaction", st.satisfaction, active),
                            ("retained", active.astype(float), np.ones_like(active))):
        eff, lo, hi = welch_ci(arr[tr & mask], arr[co & mask])
        out[name] = {"effect": eff, "ci_low": lo, "ci_high": hi}
    return out
