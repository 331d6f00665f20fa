"""Each mechanism can be switched off by a parameter, and the outcome it drives changes when it is.

Every case runs the same scenario and seed twice, with the mechanism on and
off, and checks the outcome the mechanism drives moves in the expected
direction by more than noise (same seed, so the runs share their random
streams up to the point the mechanism acts).
"""

import math

import pytest

from tests.emergent.helpers import run, small

BASE = {"ticks": 150, "consumers": 2000}

# name, overrides common to both runs, overrides that switch the mechanism ON, overrides OFF,
# outcome, how to read it ("last" or "mean" or "sum"), expected sign of (on - off), minimum |difference|
CASES = [
    ("impeccable routine contacts raise expectations (small effects)",
     {"firms__0__quality": 0.9, "channels__quality_noise": 0.02}, {}, {"trust__routine_weight": 0.0},
     "expectation_quality", "last", +1, 0.05),
    ("advisor meetings build recognition (relationship investment)", {},
     {}, {"firms__0__advisors_per_10k": 0.0}, "recognition", "last", +1, 0.05),
    ("expectations adapt (inflation)", {"firms__0__quality_trend_per_year": 0.2}, {},
     {"expectations__enabled": False}, "expectation_inflation", "last", +1, 0.02),
    ("announced response time anchors expectations", {},
     {"firms__0__announced_response_h": 72.0}, {}, "expected_response_h", "last", +1, 5.0),
    ("appointments relieve waiting (relayed requests answered late from a backlog)",
     {"firms__0__human_capacity_per_tick": 4.0, "firms__0__automation_share": 0.0, "exchange__restricted": 0.0,
      "exchange__generalized": 1.0, "exchange__complex": 0.0},
     {"firms__0__appointments": True}, {}, "satisfaction", "mean", +1, 0.002),
    ("automation lowers recognition", {}, {"firms__0__automation_share": 0.9},
     {"firms__0__automation_share": 0.0}, "recognition", "last", -1, 0.02),
    ("a broken promise costs trust", {}, {"firms__0__promise_quality": 0.95}, {},
     "trust", "last", -1, 0.05),
    ("privacy: data beyond need erodes trust", {"firms__0__data_asked": 0.9,
                                                "firms__0__data_needed": 0.2,
                                                "firms__0__misuse_per_year": 4.0},
     {}, {"privacy__enabled": False}, "trust", "last", -1, 0.02),
    ("word-of-mouth takes control from the firm", {"exchange__complex": 0.5}, {},
     {"wom__enabled": False}, "control_share", "last", -1, 0.1),
    ("recognition seeking drives sharing", {}, {"wom__recognition_boost": 3.0},
     {"wom__recognition_boost": 0.0}, "wom_volume", "sum", +1, 100),
    ("reciprocity drives sharing", {}, {"wom__reciprocity_boost": 3.0},
     {"wom__reciprocity_boost": 0.0}, "wom_volume", "sum", +1, 100),
    ("public posts reach further than private talk", {"exchange__complex": 0.5},
     {"wom__public_reach": 1.0}, {"wom__public_reach": 0.0}, "wom_volume", "sum", +1, 1000),
    ("churn", {"churn__enabled": True, "churn__max_rate_per_year": 5.0}, {},
     {"churn__enabled": False}, "customers", "last", -1, 10),
    ("acquisition of prospects", {"population__prospect_share": 0.5}, {"acquisition__imitation": 0.2},
     {"acquisition__enabled": False}, "customer_share", "last", +1, 0.2),
    ("complaints resolved by a person rebuild trust", {"firms__0__automation_share": 0.8},
     {"firms__0__complaint_resolution": 0.8}, {}, "trust", "last", +1, 0.005),
    ("service failure", {"failure__start_tick": 50, "failure__affected_share": 0.3},
     {"failure__enabled": True}, {}, "satisfaction", "mean", -1, 0.003),
]


def _read(table, column, how):
    col = table[column]
    return {"last": col.iloc[-1], "mean": col.mean(), "sum": col.sum()}[how]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_switching_a_mechanism_off_changes_the_outcome_it_drives(case):
    """Each case is its own knock-out: the mechanism it names, switched off by its OFF overrides."""
    name, common, on, off, outcome, how, sign, min_diff = case
    ticks = BASE["ticks"]
    cons = BASE["consumers"]
    v_on = _read(run(small(cons, ticks, **{**common, **on}), 1)[0], outcome, how)
    v_off = _read(run(small(cons, ticks, **{**common, **off}), 1)[0], outcome, how)
    assert not math.isnan(v_on) and not math.isnan(v_off)
    assert sign * (v_on - v_off) > min_diff, f"{name}: on={v_on:.4g} off={v_off:.4g}"


def test_listening_moves_each_segments_message_to_its_need():
    """Knock-out in the test: without listening (no feedback heard) the per-segment messages learn nothing.

    Two segments far apart in need: the firm starts with one message for their average need;
    listening learns each segment's need from feedback, so the per-segment messages fit better.
    """
    from tests.emergent.helpers import with_segments

    fits = {}
    for listening in (True, False):
        sc = with_segments(small(2000, 150, firms__0__message_fit="per_segment", firms__0__listening_rate=0.2,
                                 firms__0__listening=listening),
                           {"name": "cautious", "share": 0.5, "need": 0.2},
                           {"name": "ambitious", "share": 0.5, "need": 0.8})
        fits[listening] = run(sc, 1)[0]["message_fit"].dropna()
    assert abs(fits[False].iloc[-1] - fits[False].iloc[0]) < 0.05, fits  # without feedback nothing is learnt
    assert fits[True].iloc[-1] > fits[False].iloc[-1] + 0.2, fits


def test_a_leaked_line_sends_requests_where_the_firm_did_not_design_them():
    """Knock-out in the test: no leakage, no request off its line (two segments, each with its own line)."""
    from sim.scenario import scenario_from_dict, scenario_to_dict

    d = scenario_to_dict(small(2000, 60, exchange__generalized=1.0))
    seg = d["segments"][0]
    d["segments"] = [dict(seg, name="premium", share=0.3), dict(seg, name="mass", share=0.7)]
    plat = d["intermediaries"][0]
    d["intermediaries"] = [dict(plat, name="premium line", segments=["premium"], delay_h=1.0),
                           dict(plat, name="local number", segments=["mass"], delay_h=8.0)]
    values = {}
    for leak in (0.0, 0.3):
        d["exchange"]["leakage"] = leak
        values[leak] = run(scenario_from_dict(d), 1)[0]["leaked_share"].mean()
    assert values[0.0] == 0.0
    assert abs(values[0.3] - 0.3) < 0.05
