"""Scenario schema, loading, validation and presets."""

from sim.scenario.loader import (
    ScenarioError,
    flatten,
    get_path,
    load_scenario,
    scenario_from_dict,
    scenario_from_toml,
    scenario_to_dict,
    to_toml,
    with_overrides,
)
from sim.scenario.presets import list_presets, presets_dir
from sim.scenario.schema import Scenario, iter_params

__all__ = [
    "Scenario",
    "ScenarioError",
    "flatten",
    "get_path",
    "iter_params",
    "list_presets",
    "load_scenario",
    "presets_dir",
    "scenario_from_dict",
    "scenario_from_toml",
    "scenario_to_dict",
    "to_toml",
    "with_overrides",
]
