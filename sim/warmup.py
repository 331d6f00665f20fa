"""The warm-up: days simulated before day 1 so that a run starts from the rules' steady state.

A scenario gives initial values (evidence counts, norms, satisfaction, the
split between customers and prospects) that the rules would not sustain: left
alone, a market in which nothing changes would drift for years while its state
relaxes toward what the rules imply, and a reader would take the drift for an
effect of the scenario. The warm-up runs ``run.warmup_days`` days before day 1
with every rate sped up by ``run.warmup_speed`` (k):

- adaptation rates (norms, satisfaction, smoothed experience, attachment,
  reputation, expected response time, peer pull) are sped up by group: rates
  that pull the same variable share one factor, ``min(k, cap / the group's
  largest rate)`` with cap = ``run.warmup_rate_cap``, so the balance between
  them, and the variable's fixed point, is kept;
- evidence decays k times faster and each event carries k times its weight:
  forgetting ``lambda`` becomes ``1 - k (1 - lambda)`` and every evidence weight
  is multiplied by k, so the stationary evidence count ``flow / (1 - lambda)``
  is unchanged;
- misuse events (a source of evidence) are k times as frequent; churn and
  acquisition keep their normal hazards: speeding them up would make the
  market's relationships k times younger than the norms have time to adapt
  to (the split between customers and prospects moves over years, and its
  defaults are close to its steady state);
- nothing scheduled happens: no campaign, failure, quality trend or listening;
  the age mix is the one of day 1.

One warm-up day thus stands for about k days of the rules' dynamics. Linear
relaxations keep their fixed points exactly, but a sped-up process forgets
within days, so its state at any moment is noisy. Each consumer's
relationship state is therefore set, at the end of the warm-up, to its time
average over the second half of the warm-up (over the time spent with its
current firm): an estimate of the rules' stationary mean for that consumer
(:func:`settle`). The warm-up's own outcome rows are kept in
``model.warmup_table()``; day 1 of the outcome table is the first day after it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sim.rules.jit import kernel
from sim.rules.trust import beta_trust
from sim.scenario.schema import Scenario

__all__ = ["AVERAGED", "accumulate", "settle", "settle_norms", "warmup_scenario"]

#: Adaptation rates, in groups of rates that compete for the same state variable: a group is sped up by
#: one factor, ``min(k, cap / its largest rate)``, so the balance between its rates (and the state's
#: fixed point) is kept. The groups marked ``norm`` keep their normal speed in the second stage.
RATE_GROUPS = (
    (True, (("expectations", "predicted_rate"), ("expectations", "promised_quality_pull"),
            ("expectations", "peer_weight"))),
    (True, (("expectations", "response_rate"), ("expectations", "announcement_weight"))),
    (True, (("expectations", "adequate_up_rate"), ("expectations", "adequate_down_rate"))),
    (True, (("expectations", "desired_rate"),)),
    (True, (("expectations", "experience_memory"),)),
    (False, (("satisfaction", "memory"),)),
    (False, (("trust", "attachment_rate"),)),
    (False, (("wom", "reputation_rate"),)),
)
#: Evidence weights and gains: multiplied by k, uncapped (the stationary count is unchanged).
WEIGHTS = {
    "trust": ("routine_weight", "request_weight", "intense_weight", "recognition_weight", "wom_weight",
              "public_weight"),
    "privacy": ("overask_weight",),
}


def warmup_scenario(sc: Scenario, norms: bool = True) -> Scenario:
    """A warm-up stage's scenario: rates sped up by ``run.warmup_speed``, nothing scheduled.

    With ``norms=False`` the expectation norms and smoothed experience keep
    their normal rates (the second stage, see :func:`settle_norms`).
    """
    k, cap = sc.run.warmup_speed, sc.run.warmup_rate_cap
    changes: dict[str, dict] = {}
    for is_norm, members in RATE_GROUPS:
        if is_norm and not norms:
            continue
        fastest = max(getattr(getattr(sc, sec), name) for sec, name in members)
        factor = min(k, cap / fastest) if fastest > 0 else k
        for sec, name in members:
            changes.setdefault(sec, {})[name] = max(factor, 1.0) * getattr(getattr(sc, sec), name)
    for section, names in WEIGHTS.items():
        part = changes.setdefault(section, {})
        for name in names:
            part[name] = k * getattr(getattr(sc, section), name)
    changes["trust"]["forgetting"] = max(1.0 - k * (1.0 - sc.trust.forgetting), 0.0)
    new = {section: replace(getattr(sc, section), **values) for section, values in changes.items()}
    firms = [replace(f, quality_trend_per_year=0.0, listening=False, misuse_per_year=k * f.misuse_per_year)
             for f in sc.firms]
    return replace(sc, **new, firms=firms, campaign=replace(sc.campaign, enabled=False),
                   failure=replace(sc.failure, enabled=False))


#: State variables averaged over the second half of the warm-up (see :func:`accumulate`).
AVERAGED = ("evidence_pos", "evidence_neg", "trust", "recognition", "satisfaction", "predicted_quality",
            "adequate_quality", "desired_quality", "last_quality", "expected_response_h", "recognition at start")


@kernel
def accumulate(S, firm_before, sums, counts):
    """Add each consumer's state to its running sums; a consumer whose firm changed today starts afresh.

    ``sums`` is (N, len(AVERAGED)) float32, ``counts`` (N,) int32. Only the
    time a consumer spends with its current firm (or as a prospect) counts.
    """
    for i in range(S.firm.shape[0]):
        if S.firm[i] != firm_before[i]:
            counts[i] = 0
            for c in range(sums.shape[1]):
                sums[i, c] = 0.0
            firm_before[i] = S.firm[i]
        if counts[i] == 0:
            sums[i, 10] = S.recognition[i]
        counts[i] += 1
        sums[i, 0] += S.evidence_pos[i]
        sums[i, 1] += S.evidence_neg[i]
        sums[i, 2] += S.trust[i]
        sums[i, 3] += S.recognition[i]
        sums[i, 4] += S.satisfaction[i]
        sums[i, 5] += S.predicted_quality[i]
        sums[i, 6] += S.adequate_quality[i]
        sums[i, 7] += S.desired_quality[i]
        sums[i, 8] += S.last_quality[i]
        sums[i, 9] += S.expected_response_h[i]


@kernel
def settle_norms(S, sums, counts, exp):
    """End of the first stage: norms, smoothed experience and satisfaction set to their stage averages.

    With every rate sped up the norms track experience closely, so their
    average over the stage estimates the mean experienced quality; the second
    stage then runs them at normal speed from there (a sped-up predicted level
    would follow each contact and bias satisfaction upward). The entitled level
    starts at smoothed experience minus ``expectations.adequate_margin``,
    where its ratchet leads.
    """
    for i in range(S.firm.shape[0]):
        n = counts[i]
        if n == 0:
            continue
        w = 1.0 / n
        d = np.float64(sums[i, 7]) * w
        x = np.float64(sums[i, 8]) * w
        S.predicted_quality[i] = np.float32(np.float64(sums[i, 5]) * w)
        S.desired_quality[i] = np.float32(d)
        S.adequate_quality[i] = np.float32(min(max(x - exp.adequate_margin, 0.0), d))
        S.last_quality[i] = np.float32(x)
        S.expected_response_h[i] = np.float32(np.float64(sums[i, 9]) * w)


@kernel
def settle(S, sums, counts, evidence_scale, trp):
    """Set each consumer's state to the rules' stationary mean, estimated over the warm-up's second half.

    A sped-up warm-up forgets within days, so its last state is noisy; the
    time average over the second half estimates each consumer's stationary
    mean. Evidence counts are multiplied by ``evidence_scale = lambda /
    lambda_w`` (the mean count after forgetting is ``lambda f / (1 - lambda)``
    at normal speed and ``lambda_w k f / (1 - lambda_w)`` sped up, with
    ``1 - lambda_w = k (1 - lambda)``). Recognition runs at normal speed in
    the warm-up (its cap at 1 makes a sped-up version biased): the mean daily
    gain G is read off its path (``R_t = (1 - delta) R_t-1 + g G_t``) and R is
    set to its fixed point ``min(g mean(G) / delta, 1)``. Attachment is set to
    its fixed point ``mean(T) (1 - k + k R)`` (sim.rules.relationships.attachment_step).
    """
    for i in range(S.firm.shape[0]):
        n = counts[i]
        if n == 0:
            continue
        w = 1.0 / n
        S.evidence_pos[i] = np.float32(evidence_scale * np.float64(sums[i, 0]) * w)
        S.evidence_neg[i] = np.float32(evidence_scale * np.float64(sums[i, 1]) * w)
        r_end = np.float64(S.recognition[i])
        r = r_end
        if trp.recognition_decay > 0:
            r_start = np.float64(sums[i, 10])
            mean_before = (np.float64(sums[i, 3]) - r_end + r_start) * w  # mean of R_t-1 over the window
            r = min(max((r_end - r_start) * w / trp.recognition_decay + mean_before, 0.0), 1.0)
        S.recognition[i] = np.float32(r)
        k = trp.attachment_recognition_share
        S.attachment[i] = np.float32(np.float64(sums[i, 2]) * w * ((1.0 - k) + k * r))
        S.satisfaction[i] = np.float32(np.float64(sums[i, 4]) * w)
        S.trust[i] = np.float32(beta_trust(np.float64(S.evidence_pos[i]), np.float64(S.evidence_neg[i])))
