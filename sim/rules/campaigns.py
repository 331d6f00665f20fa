"""In-silico campaign experiments: random treated group, untreated control, effect with its CI."""

from __future__ import annotations

import numpy as np

from sim.analysis import welch_ci

__all__ = ["campaign_effect", "welch_ci"]


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
