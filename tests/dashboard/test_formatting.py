"""Numbers, changes and verdicts as the KPI cards show them; escaping of user text."""

import math
import re

import numpy as np
import pandas as pd
import pytest

from dashboard.formatting import (
    KPIS,
    PHONE_KPIS,
    compact,
    compare,
    derived_values,
    direction,
    escape_md,
    fmt_change,
    fmt_value,
    outcome_bounds,
    safe_label,
)
from sim.metrics import OUTCOMES

_UNITS = {"k": 1e3, "M": 1e6, "bn": 1e9}


def _parse(text: str) -> float:
    num, _, suffix = text.partition(" ")
    return float(num.replace(",", "")) * _UNITS.get(suffix, 1.0)


@pytest.mark.parametrize("x", [0.5, 3.25, 99.5, 739, 2775, 9999.6, 27451, 2_775_123, 999_960,
                               123_456_789, 1.2e9, -12_345, -0.25])
def test_compact_numbers_are_short_and_close_to_the_value(x):
    text = compact(x)
    assert len(text) <= 7, text
    assert _parse(text) == pytest.approx(x, rel=0.006, abs=0.0006)


def test_money_reads_in_millions_and_shares_in_percent():
    assert fmt_value("cost_eur", 2_775_123) == "2.78 M EUR"
    assert fmt_value("control_share", 0.4123).endswith("%")
    assert fmt_value("trust", float("nan")) == "n/a"


def test_a_change_is_given_in_units_and_in_percent():
    text = fmt_change("churn", 865, 739)
    assert text.startswith("+126") and "(+17%)" in text
    assert fmt_change("cost_eur", 2.9e6, 2.775e6).startswith("+125 k EUR")
    assert fmt_change("control_share", 0.43, 0.41) == "+2.0 pp"  # shares: percentage points
    assert fmt_change("trust", 0.65, 0.65) == "no change"
    assert fmt_change("trust", 0.60, 0.65).startswith("-0.050")


def test_every_kpi_says_which_direction_is_good_and_why():
    for name in KPIS:
        good, why = direction(name)
        assert good is not None, name
        assert ("Higher is better" in why) == good and ("Lower is better" in why) == (not good)
    good, why = direction("expectation_inflation")
    assert good is False and "expectations" in why
    for name in ("service_level", "wait_mean_min", "abandonment", "staff_cost_eur"):
        good, why = direction(name)
        assert ("Higher is better" in why) == good and ("Lower is better" in why) == (not good)
    for name in ("occupancy", "phone_agents"):  # neither good nor bad in itself
        assert direction(name)[0] is None


def test_the_queue_reads_in_minutes_people_and_a_share_of_calls():
    assert set(PHONE_KPIS) >= {"service_level", "wait_mean_min", "abandonment", "occupancy"}
    assert fmt_value("wait_mean_min", 0.551) == "0.55 min"
    assert fmt_change("wait_mean_min", 0.2, 0.5).startswith("-0.30 min")
    assert outcome_bounds("wait_mean_min") == (0, math.inf)
    assert outcome_bounds("phone_agents") == (0, math.inf)
    day = pd.DataFrame({"calls_offered": [100.0, 300.0, 0.0], "calls_abandoned": [10.0, 60.0, 0.0]})
    assert derived_values(day)["abandonment"] == pytest.approx(70 / 400)  # not the mean of 10% and 20%
    assert math.isnan(derived_values(day.iloc[2:])["abandonment"])  # no call: no share


def test_a_change_inside_the_noise_is_marked_as_such():
    base = np.array([0.60, 0.62, 0.64, 0.61, 0.63])
    noisy = base + np.array([0.03, -0.02, 0.01, -0.03, 0.02])  # paired differences straddle 0
    ch = compare("trust", noisy, base)
    assert ch.paired and ch.noise_known and ch.lo <= 0 <= ch.hi
    assert ch.verdict == "within noise" and ch.color == "gray"
    up = compare("trust", base + 0.05, base)  # the same gain under every seed
    assert up.verdict == "better" and up.color == "green"
    cost = compare("cost_eur", np.array([110.0, 121.0, 131.0]), np.array([100.0, 110.0, 120.0]))
    assert cost.verdict == "worse" and cost.color == "red"  # a higher cost is bad news
    one = compare("trust", np.array([0.7]), np.array([0.6]))
    assert not one.noise_known and one.verdict == "better"


def test_intervals_are_bounded_by_what_an_outcome_can_be():
    units = {o.name: o.unit for o in OUTCOMES}
    for name, unit in units.items():
        lo, hi = outcome_bounds(name)
        if unit in ("consumers", "messages", "posts", "requests", "hours"):
            assert lo == 0 and hi == math.inf, name
        if unit in ("share",):
            assert (lo, hi) == (0, 1), name
    assert outcome_bounds("expectation_inflation")[0] < 0  # a fall of expectations is possible


@pytest.mark.parametrize("payload", [
    "<img src=x onerror=alert(1)>",
    "**bold** and [a link](http://example.com)",
    "![image](http://example.com/x.png)",
    ":material/home: $x^2$ `code`",
])
def test_user_text_is_made_inert_for_markdown(payload):
    out = escape_md(payload)
    # Every markup character is backslash-escaped, so markdown shows it as typed.
    assert not re.search(r"(?<!\\)[<>\[\]*`$:]", out), out
    assert out.replace("\\", "") == payload


def test_labels_from_user_text_are_plain_and_bounded():
    label = safe_label("<script>alert('x')</script> My bank & co" + "x" * 100)
    assert not set("<>'&/") & set(label)
    assert len(label) <= 60
