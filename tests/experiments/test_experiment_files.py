"""Experiment files are validated like scenarios: path, expectation, value; no unknown keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.experiments.spec import experiment_from_toml, load_experiment
from sim.scenario import ScenarioError

from .helpers import FACTORIAL, TINY_BASE, write_experiment

REPO = Path(__file__).resolve().parents[2]


def _problems(text: str) -> list[tuple[str, str, str]]:
    with pytest.raises(ScenarioError) as info:
        experiment_from_toml(TINY_BASE.format(ticks=20) + text, "exp.toml")
    return info.value.problems


def _paths(text: str) -> list[str]:
    return [p for p, _, _ in _problems(text)]


def test_a_valid_file_gives_factors_with_schema_kinds_and_levels(tmp_path):
    exp = load_experiment(write_experiment(tmp_path, FACTORIAL))
    assert exp.name == "tiny"
    assert exp.base.population.consumers == 300 and exp.ticks == 20
    assert [(f.path, f.kind) for f in exp.factors] == [
        ("exchange.complex", "float"),
        ("firms[*].quality", "float"),
    ]
    assert exp.factors[1].levels() == [0.5, 0.9]
    assert exp.outcomes.keep == "series"
    assert len(exp.sha256) == 64


@pytest.mark.parametrize(
    "path", sorted((REPO / "experiments").glob("*.toml")), ids=lambda p: p.name
)
def test_every_shipped_example_experiment_validates(path):
    load_experiment(path)


def test_unknown_keys_are_rejected_at_every_level():
    paths = _paths("""
        colour = "red"
        [design]
        kind = "full_factorial"
        replicates = 3
        [[parameters]]
        path = "exchange.complex"
        values = [0.1]
        step = 2
        [outcomes]
        keep = "series"
        every = 2
        """)
    assert set(paths) == {
        "base.colour",
        "design.replicates",
        "parameters[0].step",
        "outcomes.every",
    }


def test_a_parameter_path_missing_from_the_schema_is_named_with_a_suggestion():
    problems = _problems("""
        [[parameters]]
        path = "exchange.complexx"
        values = [0.1]
        """)
    assert problems[0][0] == "parameters[0].path"
    assert "exchange.complex" in problems[0][1]  # "did you mean exchange.complex?"


def test_values_outside_the_schema_bounds_are_refused_with_the_bounds():
    problems = _problems("""
        [[parameters]]
        path = "exchange.complex"
        values = [0.2, 1.5]
        [[parameters]]
        path = "population.consumers"
        range = [5, 100]
        """)
    by_path = {p: (e, g) for p, e, g in problems}
    assert by_path["parameters[0].values[1]"] == ("a number between 0 and 1", "1.5")
    assert by_path["parameters[1].range[0]"][1] == "5"
    assert "integer" in by_path["parameters[1].range[0]"][0]


def test_choices_and_types_come_from_the_schema():
    paths = _paths("""
        [[parameters]]
        path = "network.kind"
        values = ["watts_strogatz", "small_world"]
        [[parameters]]
        path = "churn.enabled"
        range = [0, 1]
        [[parameters]]
        path = "firms[*].segment_quality"
        values = [0.5]
        """)
    assert paths == ["parameters[0].values[1]", "parameters[1].range", "parameters[2].path"]


def test_an_index_beyond_the_base_scenario_and_the_run_seed_are_refused():
    paths = _paths("""
        [[parameters]]
        path = "firms[7].quality"
        values = [0.5]
        [[parameters]]
        path = "run.seed"
        values = [1, 2]
        """)
    assert paths == ["parameters[0].path", "parameters[1].path"]


def test_design_rules():
    assert _paths("""
        [design]
        kind = "sobol"
        samples = 10
        [[parameters]]
        path = "exchange.complex"
        range = [0.0, 0.5]
        """) == ["design.samples"]  # a power of two
    assert _paths("""
        [design]
        kind = "latin_hypercube"
        [[parameters]]
        path = "exchange.complex"
        range = [0.0, 0.5]
        """) == ["design.samples"]  # required
    assert _paths("""
        [design]
        kind = "anova"
        """) == ["design.kind"]
    assert _paths("""
        [[parameters]]
        path = "exchange.complex"
        range = [0.0, 0.5]
        """) == ["parameters[0].steps"]  # a factorial over a range needs levels
    assert _paths("""
        [design]
        kind = "morris"
        samples = 4
        levels = 3
        [[parameters]]
        path = "exchange.complex"
        range = [0.0, 0.5]
        """) == ["design.levels"]  # even


def test_outcomes_must_be_in_the_registry_and_ticks_within_the_run():
    paths = _paths("""
        [outcomes]
        names = ["trust", "happiness"]
        at_ticks = [10, 30]
        """)
    assert paths == ["outcomes.names[1]", "outcomes.at_ticks"]


def test_the_error_text_names_file_path_expectation_and_value():
    with pytest.raises(ScenarioError) as info:
        experiment_from_toml(
            TINY_BASE.format(ticks=20)
            + """
[[parameters]]
path = "exchange.complex"
values = [2.0]
""",
            "my_exp.toml",
        )
    assert str(info.value) == (
        "my_exp.toml: parameters[0].values[0]: expected a number between 0 and 1, got 2.0"
    )


def test_a_bad_base_scenario_and_bad_fixed_overrides_are_reported():
    with pytest.raises(ScenarioError) as info:
        experiment_from_toml('[base]\nscenario = "no_such_preset"\n', "e.toml")
    assert info.value.problems[0][0].startswith("base.scenario")
    with pytest.raises(ScenarioError) as info:
        experiment_from_toml(
            '[base]\nscenario = "default_bank"\nset = { "churn.threshold" = 3 }\n', "e.toml"
        )
    assert info.value.problems[0][0] == "base.set.churn.threshold"


def test_declaration_and_cross_check_problems_are_reported_together():
    problems = _problems("""
        [design]
        replications = 0
        [[parameters]]
        path = "exchange.complex"
        values = [0.2, 1.5]
        [outcomes]
        names = "trust"
        """)
    assert problems == [
        ("design.replications", "an integer between 1 and 100000", "0"),
        ("outcomes.names", "a list [...]", "'trust'"),
        ("parameters[0].values[1]", "a number between 0 and 1", "1.5"),
    ]

