"""Every way a scenario file can be wrong is reported with its field path,
what was expected and what was given (``path: expected X, got Y``), and
several problems come together rather than one per attempt.

Expected texts come from the schema's declared bounds and choices
(``sim/scenario/schema.py``), not from the loader's output.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sim.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    scenario_from_toml,
    to_toml,
    with_overrides,
)
from sim.scenario.loader import MAX_TOML_BYTES

SOURCE = "test.toml"


def _error(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        scenario_from_toml(text, SOURCE)
    return info.value


def _only_problem(text: str) -> tuple[str, str, str]:
    err = _error(text)
    assert len(err.problems) == 1, err.problems
    return err.problems[0]


def _assert_reported(err: ScenarioError, path: str, expected: str, given: str) -> None:
    """One problem names ``path``, its expectation contains ``expected`` and its value ``given``,
    and the message has the line ``source: path: expected ..., got ...``."""
    hits = [p for p in err.problems if p[0] == path]
    assert hits, f"no problem reported at {path}: {err.problems}"
    _, exp, got = hits[0]
    assert expected in exp, (expected, exp)
    assert given in got, (given, got)
    line = f"{SOURCE}: {path}: expected {exp}, got {got}"
    assert line in str(err).splitlines()


# ---------------------------------------------------------------- unknown keys
def test_unknown_top_level_key_is_rejected_and_known_keys_listed():
    err = _error('nmae = "typo"\n')
    _assert_reported(err, "nmae", "a known key in the file", "an unknown key")
    assert "name" in err.problems[0][1] and "exchange" in err.problems[0][1]


def test_unknown_key_in_a_section_is_rejected_with_its_section_path():
    err = _error("[run]\ntciks = 5\n")
    _assert_reported(err, "run.tciks", "a known key in run (seed, ticks, warmup_days, warmup_rate_cap, "
                                       "warmup_speed)", "an unknown key")


def test_unknown_key_in_an_array_table_names_the_entry():
    err = _error('[[firms]]\nname = "A"\n\n[[firms]]\nname = "B"\nqualty = 0.5\n')
    _assert_reported(err, "firms[1].qualty", "a known key in firms[1]", "an unknown key")


def test_unknown_key_in_a_nested_array_table_names_the_entry():
    err = _error("[[exchange.schedule]]\ntick = 0\nrestricted = 1.0\ngeneralised = 0.0\n")
    _assert_reported(err, "exchange.schedule[0].generalised", "a known key", "an unknown key")


# ---------------------------------------------------------------- wrong types
def test_string_for_an_integer_is_rejected_with_its_bounds():
    err = _error('[run]\nticks = "ten"\n')
    _assert_reported(err, "run.ticks", "an integer between 1 and 36500", "'ten'")


def test_fractional_number_for_an_integer_is_rejected():
    err = _error("[run]\nticks = 10.5\n")
    _assert_reported(err, "run.ticks", "an integer", "10.5")


def test_boolean_for_an_integer_is_rejected():
    err = _error("[run]\nticks = true\n")
    _assert_reported(err, "run.ticks", "an integer", "True")


def test_string_for_a_float_is_rejected_with_its_bounds():
    err = _error('[[firms]]\nname = "A"\nquality = "high"\n')
    _assert_reported(err, "firms[0].quality", "a number between 0 and 1", "'high'")


@pytest.mark.parametrize("literal,shown", [("nan", "nan"), ("inf", "inf")])
def test_non_finite_float_is_rejected(literal, shown):
    err = _error(f"[exchange]\nleakage = {literal}\n")
    _assert_reported(err, "exchange.leakage", "a number between 0 and 1", shown)


def test_integer_for_a_float_is_accepted_as_a_float():
    sc = scenario_from_toml("[population]\nmemory_limit_gib = 2\n")
    assert sc.population.memory_limit_gib == 2.0
    assert isinstance(sc.population.memory_limit_gib, float)


def test_non_boolean_for_a_switch_is_rejected():
    err = _error('[wom]\nenabled = "yes"\n')
    _assert_reported(err, "wom.enabled", "true or false", "'yes'")


def test_number_for_a_boolean_is_rejected():
    err = _error("[churn]\nenabled = 1\n")
    _assert_reported(err, "churn.enabled", "true or false", "1")


def test_number_for_a_string_is_rejected():
    err = _error("name = 7\n")
    _assert_reported(err, "name", "a string", "7")


def test_string_for_a_list_of_names_is_rejected():
    err = _error('[[intermediaries]]\nname = "P"\nsegments = "everyone"\n')
    _assert_reported(err, "intermediaries[0].segments", "a list of strings", "'everyone'")


def test_list_of_numbers_for_a_list_of_names_is_rejected():
    err = _error('[[intermediaries]]\nname = "P"\nsegments = [1, 2]\n')
    _assert_reported(err, "intermediaries[0].segments", "a list of strings", "[1, 2]")


def test_number_for_a_table_of_names_is_rejected():
    err = _error('[[firms]]\nname = "A"\nsegment_quality = 0.5\n')
    _assert_reported(err, "firms[0].segment_quality", "a table of name = number", "0.5")


def test_value_in_a_table_of_names_is_checked_against_the_fields_bounds():
    err = _error('[[firms]]\nname = "A"\nsegment_quality = { everyone = 1.5 }\n')
    _assert_reported(err, "firms[0].segment_quality.everyone", "a number between 0 and 1", "1.5")


def test_value_for_a_section_is_rejected():
    err = _error("run = 5\n")
    _assert_reported(err, "run", "a table", "5")


def test_single_table_for_an_array_of_tables_is_rejected():
    err = _error('[firms]\nname = "A"\n')
    _assert_reported(err, "firms", "an array of tables ([[firms]])", "{'name': 'A'}")


# ---------------------------------------------------------------- bounds and choices
def test_value_below_the_lower_bound_is_rejected():
    err = _error("[population]\nconsumers = 5\n")
    _assert_reported(err, "population.consumers", "an integer between 10 and 50000000", "5")


def test_bounds_of_a_large_integer_are_shown_in_full():
    err = _error("[run]\nseed = -1\n")
    _assert_reported(err, "run.seed", f"an integer between 0 and {2**63 - 1}", "-1")


def test_value_above_the_upper_bound_is_rejected():
    err = _error("[[segments]]\nname = \"s\"\ndesired_quality = 1.2\n")
    _assert_reported(err, "segments[0].desired_quality", "a number between 0 and 1", "1.2")


def test_negative_share_is_rejected():
    err = _error("[exchange]\nleakage = -0.1\n")
    _assert_reported(err, "exchange.leakage", "a number between 0 and 1", "-0.1")


def test_value_not_among_the_choices_is_rejected_and_choices_listed():
    err = _error('[network]\nkind = "small_world"\n')
    _assert_reported(err, "network.kind", "one of 'watts_strogatz', 'barabasi_albert'",
                     "'small_world'")


def test_intermediary_kind_not_among_the_choices_is_rejected():
    err = _error('[[intermediaries]]\nname = "X"\nkind = "broker"\n')
    _assert_reported(err, "intermediaries[0].kind", "one of 'platform', 'blogger'", "'broker'")


# ---------------------------------------------------------------- cross checks
@pytest.mark.parametrize("table", ["segments", "firms", "intermediaries"])
def test_duplicate_names_are_rejected(table):
    kind = '\nkind = "blogger"' if table == "intermediaries" else ""
    err = _error(f'[[{table}]]\nname = "same"{kind}\n\n[[{table}]]\nname = "same"{kind}\n')
    _assert_reported(err, f"{table}[1].name", "a name not used by another entry", "'same'")


def test_adequate_above_desired_is_rejected():
    err = _error('[[segments]]\nname = "s"\ndesired_quality = 0.6\nadequate_quality = 0.7\n')
    _assert_reported(err, "segments[0].adequate_quality", "a value <= desired_quality (0.6)", "0.7")


def test_unknown_segment_in_a_firms_segment_quality_is_rejected():
    err = _error('[[segments]]\nname = "young"\n\n[[firms]]\nname = "A"\n'
                 'segment_quality = { old = 0.5 }\n')
    _assert_reported(err, "firms[0].segment_quality.old", "a segment name (young)", "'old'")


def test_unknown_segment_served_by_an_intermediary_is_rejected():
    err = _error('[[segments]]\nname = "young"\n\n[[intermediaries]]\nname = "P"\n'
                 'segments = ["young", "old"]\n')
    _assert_reported(err, "intermediaries[0].segments", "segment names (young)", "'old'")


def test_exchange_shares_not_summing_to_one_are_rejected():
    err = _error("[exchange]\nrestricted = 0.5\ngeneralized = 0.2\ncomplex = 0.1\n")
    _assert_reported(err, "exchange", "restricted + generalized + complex = 1", "a sum of 0.8")


def test_schedule_point_shares_not_summing_to_one_are_rejected():
    err = _error("[[exchange.schedule]]\ntick = 0\nrestricted = 0.5\ncomplex = 0.6\n")
    _assert_reported(err, "exchange.schedule[0]", "restricted + generalized + complex = 1",
                     "a sum of 1.1")


def test_schedule_ticks_not_increasing_are_rejected():
    err = _error("[[exchange.schedule]]\ntick = 100\n\n[[exchange.schedule]]\ntick = 50\n")
    _assert_reported(err, "exchange.schedule[].tick", "strictly increasing ticks", "[100, 50]")


def test_repeated_schedule_tick_is_rejected():
    err = _error("[[exchange.schedule]]\ntick = 10\n\n[[exchange.schedule]]\ntick = 10\n")
    _assert_reported(err, "exchange.schedule[].tick", "strictly increasing ticks", "[10, 10]")


def test_generalized_exchange_without_a_platform_is_rejected():
    err = _error('[[intermediaries]]\nname = "Blog"\nkind = "blogger"\n\n'
                 "[exchange]\nrestricted = 0.5\ngeneralized = 0.5\n")
    _assert_reported(err, "intermediaries", "at least one intermediary of kind 'platform'", "none")


def test_generalized_exchange_in_the_schedule_only_still_needs_a_platform():
    err = _error("intermediaries = []\n\n[[exchange.schedule]]\ntick = 0\n\n"
                 "[[exchange.schedule]]\ntick = 30\nrestricted = 0.0\ngeneralized = 1.0\n")
    _assert_reported(err, "intermediaries", "at least one intermediary of kind 'platform'", "none")


def test_edgelist_graph_without_a_path_is_rejected():
    err = _error('[network]\nkind = "edgelist"\n')
    _assert_reported(err, "network.edgelist_path", "a file path", "''")


def test_no_segments_and_no_firms_are_rejected():
    err = _error("segments = []\nfirms = []\n")
    _assert_reported(err, "segments", "at least one [[segments]] table", "none")
    _assert_reported(err, "firms", "at least one [[firms]] table", "none")


def test_all_zero_shares_are_rejected():
    err = _error('[[segments]]\nname = "s"\nshare = 0.0\n')
    _assert_reported(err, "segments[].share", "shares with a positive sum", "all zero")


# ---------------------------------------------------------------- the file itself
def test_toml_syntax_error_is_reported_with_its_line():
    err = _error('name = "a"\n[run\nticks = 5\n')
    path, expected, given = err.problems[0]
    assert (path, expected) == ("(syntax)", "valid TOML")
    assert "line 2" in given
    assert str(err).startswith(f"{SOURCE}: (syntax): expected valid TOML, got ")


def test_file_larger_than_the_limit_is_refused_before_parsing():
    text = "# padding\n" * (MAX_TOML_BYTES // 10 + 1)
    err = _error(text)
    _assert_reported(err, "(file)", f"at most {MAX_TOML_BYTES} bytes", f"{len(text)} bytes")
    assert len(err.problems) == 1


def test_missing_file_is_reported_with_its_name(tmp_path: Path):
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(missing)
    path, expected, given = info.value.problems[0]
    assert path == "(file)"
    assert "a readable scenario file or preset name" in expected
    assert str(missing) in given and "No such file" in given


def test_unknown_preset_name_is_reported_with_the_name_given():
    with pytest.raises(ScenarioError) as info:
        load_scenario("no_such_preset_anywhere")
    assert "no_such_preset_anywhere" in info.value.problems[0][2]


def test_load_scenario_reads_a_file_and_names_it_in_errors(tmp_path: Path):
    good = tmp_path / "good.toml"
    good.write_text('name = "good"\n[population]\nconsumers = 100\n')
    assert load_scenario(good).population.consumers == 100
    bad = tmp_path / "bad.toml"
    bad.write_text("[population]\nconsumers = 1\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(bad)
    assert str(info.value).startswith(f"{bad}: population.consumers: expected")


# ---------------------------------------------------------------- several at once
def test_several_problems_in_one_file_are_reported_together():
    text = ('nmae = "x"\n'
            '[run]\nticks = 0\n'
            '[network]\nkind = "ring"\n'
            '[[firms]]\nname = "A"\nquality = "good"\n')
    err = _error(text)
    paths = [p for p, _, _ in err.problems]
    assert set(paths) == {"nmae", "run.ticks", "network.kind", "firms[0].quality"}
    assert len(str(err).splitlines()) == 4
    assert all(line.startswith(f"{SOURCE}: ") for line in str(err).splitlines())


def test_several_cross_check_problems_are_reported_together():
    text = ('[[segments]]\nname = "s"\ndesired_quality = 0.5\nadequate_quality = 0.6\n\n'
            '[[firms]]\nname = "A"\nsegment_quality = { t = 0.5 }\n\n'
            "[exchange]\nrestricted = 0.3\n")
    err = _error(text)
    paths = {p for p, _, _ in err.problems}
    assert {"segments[0].adequate_quality", "firms[0].segment_quality.t", "exchange"} <= paths


# ---------------------------------------------------------------- writing back
def test_default_scenario_round_trips_through_toml():
    sc = Scenario()
    assert scenario_from_toml(to_toml(sc)) == sc


def test_scenario_with_tables_schedules_and_quoted_names_round_trips():
    text = ('name = "with \\"quotes\\" and \\\\ slash"\n'
            '[[segments]]\nname = "young adults"\nshare = 0.3\n\n'
            '[[segments]]\nname = "old"\nshare = 0.7\n\n'
            '[[firms]]\nname = "A"\nsegment_quality = { "young adults" = 0.9, old = 0.4 }\n\n'
            '[[intermediaries]]\nname = "P"\nsegments = ["old"]\n\n'
            "[[exchange.schedule]]\ntick = 0\n\n"
            "[[exchange.schedule]]\ntick = 100\n"
            "restricted = 0.2\ngeneralized = 0.5\ncomplex = 0.3\n")
    sc = scenario_from_toml(text)
    back = scenario_from_toml(to_toml(sc, header="A header\n\nwith a blank line"))
    assert back == sc
    assert back.firms[0].segment_quality == {"young adults": 0.9, "old": 0.4}


def test_with_overrides_validates_the_new_value():
    with pytest.raises(ScenarioError) as info:
        with_overrides(Scenario(), {"firms[0].quality": 2.0})
    assert info.value.problems[0][0] == "firms[0].quality"


def test_with_overrides_rescales_the_other_exchange_shares():
    sc = with_overrides(Scenario(), {"exchange.complex": 0.25})
    ex = sc.exchange
    assert math.isclose(ex.restricted + ex.generalized + ex.complex, 1.0)
    assert ex.complex == 0.25


def test_with_overrides_rejects_an_unknown_path():
    with pytest.raises(ScenarioError) as info:
        with_overrides(Scenario(), {"firms[0].qualty": 0.5})
    assert info.value.problems[0][0] == "firms[0].qualty"


def test_phone_lines_must_close_after_they_open():
    err = _error("[channels]\nphone_open_h = 20.0\nphone_close_h = 8.0\n")
    _assert_reported(err, "channels.phone_close_h", "an hour after channels.phone_open_h (20)", "8")
