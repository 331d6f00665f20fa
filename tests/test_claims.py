"""The sources' claims table (sim/validation/claims.py): structure, intervals and the verdict rule.

The claims run in quick mode (tiny populations, three replications): these
tests check how rows are built and judged, not what the model answers.
"""

import math
from dataclasses import fields

import pytest

from sim.validation.claims import (
    DIRECTIONS,
    ClaimResult,
    claim_designs,
    claim_keys,
    claim_rows,
    combine_verdicts,
    verdict,
)

# One claim without conditions, one with two conditions (and an arm shared by both).
SELECTED = ("complex_age", "privacy_paradox")


@pytest.fixture(scope="module")
def rows():
    return claim_rows(quick=True, only=SELECTED)


def _selected_designs():
    return [d for d in claim_designs() if d.claim_key in SELECTED]


def test_rows_have_the_fields_of_the_report_and_only_the_selected_claims(rows):
    designs = _selected_designs()
    assert len(rows) == sum(len(d.effects) * len(d.conditions) for d in designs)
    assert {r.claim for r in rows} == {d.claim for d in designs}
    for r in rows:
        assert isinstance(r, ClaimResult)
        for f in fields(ClaimResult):
            value = getattr(r, f.name)
            if f.name in ("estimate", "ci_low", "ci_high"):
                assert isinstance(value, float) and math.isfinite(value), (f.name, r)
            elif f.name == "n":
                assert value == 3
            else:
                assert isinstance(value, str) and value.strip(), (f.name, r)
        assert r.verdict in ("supported", "not supported") or r.verdict.startswith("depends on ")


def test_every_interval_contains_its_estimate(rows):
    for r in rows:
        assert r.ci_low <= r.estimate <= r.ci_high, r
        assert r.ci_low < r.ci_high, r


def test_each_row_is_judged_by_the_stated_rule(rows):
    """Recompute every verdict from the rows' own intervals and the designs' directions and margins."""
    it = iter(rows)
    for d in _selected_designs():
        for t in d.effects:
            group = [next(it) for _ in d.conditions]
            assert {r.hypothesis for r in group} == {t.hypothesis}
            own = [verdict(r.ci_low, r.ci_high, t.direction, t.margin) for r in group]
            expected = combine_verdicts(own, d.varies)
            assert all(r.verdict == expected for r in group), (t.hypothesis, own, [r.verdict for r in group])
            if expected != "supported":
                assert all("not supported" in r.explanation.lower() or "depends" in r.explanation
                           for r in group)
    assert next(it, None) is None


def test_design_text_names_the_conditions_and_the_quick_sizes(rows):
    for d in _selected_designs():
        mine = [r for r in rows if r.claim == d.claim]
        for label, _ in d.conditions:
            if label:
                assert any(label in r.design for r in mine)
        assert all("Quick mode" in r.design for r in mine)


@pytest.mark.parametrize(("low", "high", "direction", "margin", "expected"), [
    (0.1, 0.3, "increase", 0.0, "supported"),
    (-0.1, 0.3, "increase", 0.0, "not supported"),
    (-0.3, -0.1, "increase", 0.0, "not supported"),
    (0.0, 0.2, "increase", 0.0, "not supported"),
    (-0.3, -0.1, "decrease", 0.0, "supported"),
    (-0.3, 0.1, "decrease", 0.0, "not supported"),
    (0.1, 0.3, "decrease", 0.0, "not supported"),
    (-0.005, 0.02, "no decrease", 0.01, "supported"),
    (-0.02, 0.02, "no decrease", 0.01, "not supported"),
    (-0.3, -0.2, "no decrease", 0.01, "not supported"),
    (-0.02, 0.005, "no increase", 0.01, "supported"),
    (-0.02, 0.03, "no increase", 0.01, "not supported"),
    (float("nan"), float("nan"), "increase", 0.0, "not supported"),
])
def test_verdict_on_hand_made_intervals(low, high, direction, margin, expected):
    assert verdict(low, high, direction, margin) == expected


def test_verdict_refuses_an_unknown_direction_or_a_negative_margin():
    with pytest.raises(ValueError):
        verdict(0.1, 0.2, "up")
    with pytest.raises(ValueError):
        verdict(0.1, 0.2, "no decrease", -0.1)
    assert set(DIRECTIONS) == {"increase", "decrease", "no decrease", "no increase"}


def test_verdicts_across_conditions():
    assert combine_verdicts(["supported", "supported"], "segment") == "supported"
    assert combine_verdicts(["not supported", "not supported"], "segment") == "not supported"
    # A sign flip: the claimed direction holds under one condition, the opposite under the other.
    flip = [verdict(0.1, 0.2, "increase"), verdict(-0.2, -0.1, "increase")]
    assert combine_verdicts(flip, "segment") == "depends on segment"
    assert combine_verdicts(["not supported", "supported"], "misuse") == "depends on misuse"
    with pytest.raises(ValueError):
        combine_verdicts([], "segment")


def test_every_source_claim_has_a_design_with_two_arms_and_a_test():
    assert claim_keys() == ("curse_of_satisfaction", "automation", "promise", "complex_age",
                            "contacts_vs_relationship", "privacy_paradox")
    for d in claim_designs():
        assert len(d.arms) >= 2 and d.effects
        assert len(d.conditions) == 1 or d.varies


def test_an_unknown_claim_is_refused():
    with pytest.raises(ValueError, match="unknown claims"):
        claim_rows(quick=True, only=["no_such_claim"])


def test_two_worker_processes_give_the_same_rows_as_one(rows):
    """Each run's numbers depend only on its scenario and seed, not on where it runs."""
    parallel = claim_rows(quick=True, only=["complex_age"], workers=2)
    serial = [r for r in rows if r.claim == parallel[0].claim]
    assert [(r.estimate, r.ci_low, r.ci_high, r.verdict) for r in parallel] == \
        [(r.estimate, r.ci_low, r.ci_high, r.verdict) for r in serial]
