"""Privacy calculus: personalisation needs data; data asked beyond need, and misuse, erode trust.

Customers trade data for personalisation [1]; data asked beyond what the
service needs is felt as intrusion every day, and a misuse event (a leak, an
intrusive use) is a shock in proportion to the data held [2]; both are
negative evidence scaled by each consumer's privacy sensitivity, added in the
relationships pass (:func:`sim.rules.relationships.relationships`).

References:
    [1] Awad, N. F., & Krishnan, M. S. (2006). The personalization privacy
        paradox. MIS Quarterly 30(1), 13-28.
    [2] Aguirre, E., Mahr, D., Grewal, D., de Ruyter, K., & Wetzels, M. (2015).
        Unraveling the personalization paradox. Journal of Retailing 91(1), 34-49.
"""

from __future__ import annotations

__all__ = ["personalization_bonus", "privacy_evidence"]


def personalization_bonus(fp, privacy_on: bool, gain: float) -> float:
    """Quality added by personalisation: ``gain x personalization x data``.

    data = ``min(data_asked, 1)`` when the privacy calculus is on (what the
    firm holds), else ``data_needed``; gain = ``privacy.personalization_gain``.
    """
    return gain * fp.personalization * min(fp.data_asked, 1.0) if privacy_on \
        else gain * fp.personalization * fp.data_needed


def privacy_evidence(fp, pp, misuse: bool) -> float:
    """Negative evidence per unit of privacy sensitivity a firm's customers receive today.

    ``k = w_over max(asked - needed, 0) + [misuse] w_misuse asked``, w_over =
    ``privacy.overask_weight`` (evidence/day), w_misuse = ``privacy.misuse_weight``
    (evidence/event); asked and needed are shares of personal data.
    """
    k = pp.overask_weight * max(fp.data_asked - fp.data_needed, 0.0)
    if misuse:
        k += pp.misuse_weight * fp.data_asked
    return k
