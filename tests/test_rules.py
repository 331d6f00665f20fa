"""Each rule of sim/rules against values worked by hand from its published form.

The rules are called as the compiled passes call them (scalar arguments and a
parameter group built from the schema). Each expected value is computed here
from the formula in the source the rule cites, not taken from the code.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sim.rules import (
    acquisition,
    churn,
    contacts,
    expectations,
    experience,
    firms,
    privacy,
    relationships,
    trust,
    word_of_mouth,
)
from sim.rules import requests as rq
from sim.rules.jit import u01
from sim.rules.params import group
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[1]
SC = Scenario()
SAT, EXP, TR = group(SC.satisfaction), group(SC.expectations), group(SC.trust)
CH, WOM, CHURN = group(SC.channels), group(SC.wom), group(SC.churn)


# -------------------------------------------------------------- trust (Josang & Ismail 2002)
def test_beta_trust_is_the_mean_of_the_beta_belief():
    # E[Beta(r + 1, s + 1)] = (r + 1) / (r + s + 2): 3 positive, 1 negative -> 4/6.
    assert trust.beta_trust(3.0, 1.0) == pytest.approx(4 / 6)
    assert trust.beta_trust(0.0, 0.0) == pytest.approx(0.5)


def test_message_trust_change_is_the_derivative_of_beta_trust():
    # dT/dr = (s + 1) / (r + s + 2)^2 = 2 / 36 at r = 3, s = 1; times w = 0.1.
    assert trust.message_trust_change(3.0, 1.0, True, 0.1) == pytest.approx(2 / 36 * 0.1)
    # dT/ds = -(r + 1) / (r + s + 2)^2 = -4 / 36.
    assert trust.message_trust_change(3.0, 1.0, False, 0.1) == pytest.approx(-4 / 36 * 0.1)
    # and it predicts a small finite change
    h = 1e-4
    assert trust.message_trust_change(3.0, 1.0, True, h) == pytest.approx(
        trust.beta_trust(3.0 + h, 1.0) - trust.beta_trust(3.0, 1.0), rel=1e-3)


def test_graded_evidence_around_neutral_satisfaction():
    # w 2 max(s - 0.5, 0): s = 0.75, w = 2 -> 1.0; negative side weighs negative_weight = 2 (Slovic 1993).
    assert trust.graded_positive(0.75, 2.0) == pytest.approx(1.0)
    assert trust.graded_negative(0.25, 2.0, TR) == pytest.approx(2.0 * 2.0 * 2.0 * 0.25)
    assert trust.graded_positive(0.5, 2.0) == 0.0 and trust.graded_negative(0.5, 2.0, TR) == 0.0


def test_promise_evidence_broken_and_kept():
    # broken: w_b w max(promised - P, 0) = 3 * 0.5 * 0.2
    assert trust.broken_promise(0.9, 0.7, 0.5, TR) == pytest.approx(0.3)
    assert trust.broken_promise(0.7, 0.9, 0.5, TR) == 0.0
    # kept: 0.5 w_b w k = 0.5 * 3 * 0.5 * 0.1
    assert trust.kept_promise(0.7, 0.8, 0.5, TR) == pytest.approx(0.075)
    assert trust.kept_promise(0.9, 0.8, 0.5, TR) == 0.0


# -------------------------------------------------------------- experience (Oliver 1980; Zeithaml et al. 1993)
def test_contact_satisfaction_disconfirmation_and_zone_of_tolerance():
    # 0.5 + 0.3 (0.7 - 0.5) + 1.0 (0.7 - 0.6) = 0.66 (better than predicted, above adequate)
    assert experience.contact_satisfaction(0.7, 0.6, 0.5, SAT) == pytest.approx(0.66)
    # 0.5 + 0.3 (0.55 - 0.5) - 2.0 (0.6 - 0.55) = 0.415 (worse than predicted, losses weigh 2)
    assert experience.contact_satisfaction(0.55, 0.6, 0.5, SAT) == pytest.approx(0.415)
    # below adequate: 0.5 - 0.03 - 2 * 0.2 - 1 * 0.1 < 0 -> clipped to 0
    assert experience.contact_satisfaction(0.4, 0.6, 0.5, SAT) == 0.0


def test_lateness_penalty():
    # sensitivity min(max(t - T, 0) / h, 1) (1 - relief): 6 h late on a 24 h scale, sensitivity 0.5
    assert experience.lateness_penalty(30.0, 24.0, 0.5, 24.0, 0.0) == pytest.approx(0.125)
    assert experience.lateness_penalty(30.0, 24.0, 0.5, 24.0, 0.7) == pytest.approx(0.125 * 0.3)
    assert experience.lateness_penalty(500.0, 24.0, 0.5, 24.0, 0.0) == pytest.approx(0.5)
    assert experience.lateness_penalty(10.0, 24.0, 0.5, 24.0, 0.0) == 0.0


# -------------------------------------------------------------- expectations (Boulding et al. 1993; Rust & Oliver 2000)
def test_norms_adapt_with_a_ratchet_on_smoothed_experience_and_dreams_that_never_fall():
    # E follows the day's experience P = 0.7; A follows X - margin = 0.72 - 0.05 (up at 0.05); D stays above X.
    e, a, d = expectations.adapt_norms(0.6, 0.5, 0.8, 0.7, 0.72, EXP)
    assert (e, a, d) == pytest.approx((0.6 + 0.05 * 0.1, 0.5 + 0.05 * (0.67 - 0.5), 0.8))
    # X - margin below A: A falls at the slower rate 0.005 (the ratchet)
    e, a, d = expectations.adapt_norms(0.6, 0.7, 0.8, 0.3, 0.55, EXP)
    assert (e, a, d) == pytest.approx((0.6 - 0.05 * 0.3, 0.7 - 0.005 * 0.2, 0.8))
    # a single bad or good day moves E but not A when smoothed experience has not moved
    _, a_good, _ = expectations.adapt_norms(0.6, 0.67, 0.8, 1.0, 0.72, EXP)
    _, a_bad, _ = expectations.adapt_norms(0.6, 0.67, 0.8, 0.0, 0.72, EXP)
    assert a_good == a_bad
    _, _, d = expectations.adapt_norms(0.6, 0.5, 0.8, 0.9, 0.9, EXP)
    assert d == pytest.approx(0.8 + 0.01 * 0.1)
    # the entitled level never exceeds the dreamed level (A would reach 0.95 at rate 1, D only 0.802)
    _, a, d = expectations.adapt_norms(0.6, 0.8, 0.8, 1.0, 1.0, replace_group(EXP, adequate_up_rate=1.0))
    assert a == d == pytest.approx(0.802)


def replace_group(g, **kw):
    return g._replace(**kw)


def test_pulled_toward_an_announcement():
    assert expectations.pulled(24.0, 4.0, 0.1) == pytest.approx(22.0)


# -------------------------------------------------------------- relationships (Morgan & Hunt 1994)
def test_recognition_and_attachment_steps():
    # (1 - 0.01) 0.5 + 0.2 * 1.0
    assert relationships.recognition_step(0.5, 1.0, TR) == pytest.approx(0.695)
    assert relationships.recognition_step(0.95, 1.0, TR) == 1.0
    # 0.2 + 0.005 (0.6 (0.5 + 0.5 * 0.5) - 0.2)
    assert relationships.attachment_step(0.2, 0.6, 0.5, TR) == pytest.approx(0.2 + 0.005 * 0.25)


# -------------------------------------------------------------- word of mouth (Anderson 1998)
def test_talk_probability_is_u_shaped_and_stronger_when_dissatisfied():
    neutral = word_of_mouth.talk_probability(0.5, 0.0, 0.0, 0.5, WOM)
    assert neutral == pytest.approx(0.005)  # base rate at neutral satisfaction and propensity
    # S = 0: (1 + 4 * 4 * 0.25) = 5 times, and dissatisfied talk x 2
    assert word_of_mouth.talk_probability(0.0, 0.0, 0.0, 0.5, WOM) == pytest.approx(0.05)
    assert word_of_mouth.talk_probability(1.0, 0.0, 0.0, 0.5, WOM) == pytest.approx(0.025)
    assert word_of_mouth.talk_probability(0.0, 1.0, 1.0, 1.0, WOM._replace(base_rate=1.0)) == 1.0


# -------------------------------------------------------------- contacts and answers
def test_answer_quality_human_and_automated():
    # 0.5 * 0.8 + 0.5 * 0.7 = 0.75 from a person
    assert contacts.answer_quality(True, 0.7, 0.0, 1.0, 0.0, 0.0, CH) == pytest.approx(0.75)
    # a machine: 0.5 * 0.7 + 0.5 * 0.7 - 0.3 * 1.0 (full need of a person) - 0.1 distortion
    assert contacts.answer_quality(False, 0.7, 0.1, 1.0, 0.0, 0.0, CH) == pytest.approx(0.3)


def test_advisor_and_routine_quality():
    assert contacts.advisor_quality(0.7, 0.0, 0.0, CH) == pytest.approx(0.5 * 0.8 + 0.5 * 0.7 + 0.1)
    assert contacts.routine_quality(0.95, 0.1, 0.0) == 1.0
    assert contacts.quality_shift(True, True, 0.2, 0.5) == pytest.approx(-0.3)
    assert contacts.quality_shift(False, False, 0.2, 0.5) == 0.0


def test_requests_complaints_and_promised_times():
    assert rq.is_complaint(0.29, SAT) and not rq.is_complaint(0.3, SAT)
    assert rq.late_against_promise(5.0, 4.0) and not rq.late_against_promise(5.0, 0.0)


# -------------------------------------------------------------- firms
def test_message_fit_and_purchase():
    assert firms.message_fit(0.5, 0.5) == 1.0
    assert firms.message_fit(0.5, 0.75) == pytest.approx(0.5)
    assert firms.message_fit(0.0, 1.0) == 0.0
    assert firms.purchase_probability(0.5, 0.8, group(SC.offers)) == pytest.approx(0.5 * 0.8 * 0.2)


def test_staffing_and_meetings():
    fp = SC.firms[0]
    assert firms.human_capacity(replace(fp, human_capacity_per_tick=5.0), 2000, 0.0, [1, 0, 0]) == 10
    # the back office serves relayed requests, sized to demand: ceil(1.1 * 100 * 0.5) with half relayed
    assert firms.human_capacity(fp, 2000, 100.0, [0.5, 0.5, 0.0]) == math.ceil(1.1 * 100 * 0.5)
    # calls: 100 requests a day, all restricted, 30% automated -> 70 calls over 12 open hours of
    # 6-minute calls = 0.5833 Erlangs; square-root staffing ceil(R + 0.5 sqrt(R)) = ceil(0.965) = 1
    assert firms.phone_demand_per_day(fp, 100.0, [1.0, 0.0, 0.0]) == pytest.approx(70.0)
    assert firms.phone_agents(fp, 70.0, SC.channels) == 1
    assert firms.phone_agents(fp, 7000.0, SC.channels) == math.ceil(58.333 + 0.5 * math.sqrt(58.333))
    assert firms.phone_agents(replace(fp, phone_agents=3), 7000.0, SC.channels) == 3
    # floor(10 advisors per 10k * 20k customers * 6 meetings) = 120
    assert firms.meeting_capacity(fp, 20_000) == 120


def test_reputation_follows_public_valence():
    assert firms.reputation_step(0.5, 3, 1, 0.05) == pytest.approx(0.5 + 0.05 * (0.75 - 0.5))
    assert firms.reputation_step(0.5, 0, 0, 0.05) == 0.5


# -------------------------------------------------------------- privacy (Awad & Krishnan 2006)
def test_privacy_evidence_and_personalization():
    fp = replace(SC.firms[0], data_asked=0.8, data_needed=0.3, personalization=0.5)
    assert privacy.privacy_evidence(fp, SC.privacy, False) == pytest.approx(0.02 * 0.5)
    assert privacy.privacy_evidence(fp, SC.privacy, True) == pytest.approx(0.02 * 0.5 + 5.0 * 0.8)
    assert privacy.personalization_bonus(fp, True, 0.1) == pytest.approx(0.1 * 0.5 * 0.8)
    assert privacy.personalization_bonus(fp, False, 0.1) == pytest.approx(0.1 * 0.5 * 0.3)


# -------------------------------------------------------------- churn (Jones & Sasser 1995) and acquisition (Bass 1969)
def test_churn_hazard_is_half_its_bound_at_the_threshold():
    bound = churn.daily_bound(SC.churn)
    assert bound == pytest.approx(0.6 / 365)
    assert churn.churn_hazard(0.35, 0.35, 0.0, bound, CHURN) == pytest.approx(bound / 2)
    # attachment 1 keeps (1 - 0.7) of the hazard
    assert churn.churn_hazard(0.35, 0.35, 1.0, bound, CHURN) == pytest.approx(bound / 2 * 0.3)
    assert churn.churn_hazard(1.0, 1.0, 0.0, bound, CHURN) < bound * 1e-3


def test_switchers_choose_another_firm_by_reputation():
    old = np.array([0, 0, 1])
    new = churn.switch_targets(old, np.array([0.9, 0.1, 0.5]), np.array([0.1, 0.9, 0.5]))
    assert (new != old).all()
    # from firm 0 the weights are (0, 0.101, 0.501): a draw of 0.1 picks firm 1, 0.9 firm 2
    assert new.tolist() == [1, 2, 0]


def test_acquisition_hazards_reduce_to_bass_without_valence():
    acq = replace(SC.acquisition, innovation=0.01, imitation=0.3, valence_weight=0.0, offer_lift=0.0)
    # p (1 + g (2 rep - 1)) (1 + L offer) = p whatever the reputation when g = 0
    assert acquisition.own_reach_hazard(acq, np.array([0.9]), np.array([1.0]))[0] == pytest.approx(0.01)
    assert acquisition.tie_weight(0.1, 0.0) == 1.0
    # with valence: a delighted tie counts 1 + g, a desperate one 1 - g; reputation 1 doubles the reach
    assert acquisition.tie_weight(1.0, 0.5) == pytest.approx(1.5)
    assert acquisition.tie_weight(0.0, 1.0) == 0.0
    assert acquisition.own_reach_hazard(replace(acq, valence_weight=1.0), np.array([1.0]),
                                        np.array([0.0]))[0] == pytest.approx(0.02)
    assert acquisition.acquisition_bound(acq, np.array([0.01, 0.02])) == pytest.approx(0.33)


# -------------------------------------------------------------- the counter-based draws
def test_counter_based_uniforms_are_uniform_and_keyed():
    key = np.uint64(12345)
    u = np.array([u01(key, i) for i in range(20_000)])
    assert ((u >= 0) & (u < 1)).all()
    assert abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.005
    assert u01(np.uint64(1), 7) != u01(np.uint64(2), 7)


# -------------------------------------------------------------- groups come from the schema
def test_parameter_groups_carry_every_numeric_schema_field_by_name():
    fields = set(TR._fields)
    assert {"negative_weight", "broken_promise_weight", "forgetting"} <= fields
    assert group(replace(SC.trust, negative_weight=4.0)).negative_weight == 4.0


@pytest.mark.slow
def test_pure_python_debug_mode_gives_the_compiled_numbers():
    """NUMBA_DISABLE_JIT=1 runs every rule and pass as plain Python: same results, for debugging."""
    code = ("import sys; from sim import load_scenario, simulate; from sim.scenario import with_overrides as w; "
            "r = simulate(w(load_scenario('campaign_advisor_meetings'), {'population.consumers': 300}), ticks=15); "
            "sys.stdout.write(r.table.drop(columns='scenario').to_csv())")
    outs = []
    for jit in ("0", "1"):
        env = dict(os.environ, NUMBA_DISABLE_JIT=jit)
        outs.append(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                   cwd=ROOT, check=True, timeout=600).stdout)
    assert outs[0] == outs[1] and len(outs[0]) > 1000


@pytest.mark.slow
def test_results_do_not_depend_on_the_number_of_threads():
    """The parallel passes cut the consumers in fixed chunks: one or two threads give the same numbers."""
    code = ("import sys; from sim import load_scenario, simulate; from sim.scenario import with_overrides as w; "
            "r = simulate(w(load_scenario('bank_5m'), {'population.consumers': 150000, 'run.warmup_days': 4}), "
            "ticks=5); sys.stdout.write(r.table.drop(columns='scenario').to_csv())")
    outs = [subprocess.run([sys.executable, "-c", code], env=dict(os.environ, EXLAB_THREADS=k), capture_output=True,
                           text=True, cwd=ROOT, check=True, timeout=600).stdout for k in ("1", "2")]
    assert outs[0] == outs[1] and len(outs[0]) > 500


def test_a_bad_thread_count_is_refused_in_one_line(monkeypatch):
    from sim.rules.jit import set_threads

    monkeypatch.setenv("EXLAB_THREADS", "two")
    with pytest.raises(ValueError, match="EXLAB_THREADS: expected a whole number >= 1, got 'two'"):
        set_threads()
