"""Decision files: the levers a firm controls, the uncertainties it does not, objectives and constraints.

A decision file is TOML, validated by the scenario loader's machinery (the
same ``param``/``section``/``table_list`` declarations and ``build_table`` as
experiment files, :mod:`sim.experiments.spec`): unknown keys are rejected and
every problem is reported as ``path: expected ..., got ...`` through
:class:`~sim.scenario.ScenarioError`. Parameter paths are checked against the
scenario schema, and their bounds must lie inside the schema's bounds.

Example::

    base = "default_bank"       # preset name, or a scenario file relative to this file
    consumers = 2000            # optional override of population.consumers
    ticks = 20                  # optional override of run.ticks (days)
    replications = 3            # runs per trial, averaged; replication r uses the same seed in every trial
    trials = 40                 # trials of the search
    seed = 1                    # root seed of the runs and of the sampler

    [[levers]]                  # things the firm controls
    path = "firms[0].phone_agents"
    low = 5
    high = 20
    type = "int"                # "int" or "float"

    [[uncertainties]]           # things it does not: drawn per replication, the same draws in every trial
    path = "segments[0].requests_per_month"
    low = 0.5
    high = 1.5

    [[objectives]]              # the sum of the outcomes, each reduced over the run
    outcomes = ["staff_cost_eur", "waiting_cost_eur"]
    direction = "minimize"      # "minimize" or "maximize"
    reduce = "run"              # "run": registry rule (sim.analysis); "mean": mean per day; "last": last day

    [[constraints]]             # a budget on cost outcomes: sum of outcomes (reduced) <= max
    outcomes = ["staff_cost_eur"]
    reduce = "mean"
    max = 12000.0

An objective's value for one run is ``sum_k reduce(outcome_k)``; a trial's
value is its mean over the replications.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.experiments.spec import _schema_field
from sim.metrics import OUTCOMES
from sim.scenario import Scenario, ScenarioError, load_scenario, with_overrides
from sim.scenario.loader import build_table, parse_toml, read_toml_file, show_value
from sim.scenario.schema import param, table_list

__all__ = ["COST_OUTCOMES", "Decision", "DecisionFile", "load_decision"]

OUTCOME_NAMES = tuple(o.name for o in OUTCOMES)
#: The model's cost outcomes (EUR); constraints are budgets on these only.
COST_OUTCOMES = tuple(o.name for o in OUTCOMES if o.unit == "EUR" and "cost" in o.name)
REDUCTIONS = ("run", "mean", "last")


@dataclass(frozen=True)
class LeverTable:
    """A ``[[levers]]`` or ``[[uncertainties]]`` table: a parameter path and its range."""

    path: str | None = param(None, meaning="Scenario parameter path such as firms[0].phone_agents (required).")
    low: float | None = param(None, meaning="Lowest value (inside the schema's bounds; required).")
    high: float | None = param(None, meaning="Highest value (inside the schema's bounds; required).")
    type: str = param("float", choices=("int", "float"), meaning="Integer or real values.")


@dataclass(frozen=True)
class ObjectiveTable:
    """An ``[[objectives]]`` table: the sum of outcomes, each reduced over a run."""

    outcomes: list[str] = param([], meaning="Outcome names of sim.metrics.OUTCOMES, summed (required).")
    direction: str = param("minimize", choices=("minimize", "maximize"), meaning="Minimize or maximize.")
    reduce: str = param("run", choices=REDUCTIONS,
                        meaning='"run": the registry rule over the run; "mean": mean per day; "last": last day.')


@dataclass(frozen=True)
class ConstraintTable:
    """A ``[[constraints]]`` table: a budget, sum of cost outcomes (reduced) <= max."""

    outcomes: list[str] = param([], meaning="Cost outcome names (EUR), summed (required).")
    reduce: str = param("run", choices=REDUCTIONS, meaning="As for objectives.")
    max: float | None = param(None, unit="EUR", meaning="Budget (required).")


@dataclass(frozen=True)
class DecisionFile:
    """A decision file as written."""

    name: str | None = param(None, meaning="Name (default: the file's stem).")
    base: str | None = param(None, meaning="Preset name or scenario file path (required).")
    consumers: int | None = param(None, unit="consumers", bounds=(1, None), meaning="Population override.")
    ticks: int | None = param(None, unit="days", bounds=(1, None), meaning="Days per run override.")
    replications: int = param(3, unit="runs", bounds=(1, 1000), meaning="Runs per trial, averaged.")
    trials: int = param(30, unit="trials", bounds=(1, 100_000), meaning="Trials of the search.")
    seed: int = param(1, bounds=(0, 2**32 - 1), meaning="Root seed of the runs and the sampler.")
    levers: list = table_list(LeverTable, "The levers the firm controls.")
    uncertainties: list = table_list(LeverTable, "The parameters it does not control.")
    objectives: list = table_list(ObjectiveTable, "The objectives.")
    constraints: list = table_list(ConstraintTable, "Budgets on cost outcomes.")


@dataclass(frozen=True)
class Decision:
    """A validated decision file (``base`` has consumers and ticks applied)."""

    name: str
    source: str
    text: str
    base: Scenario
    levers: tuple[LeverTable, ...]
    uncertainties: tuple[LeverTable, ...]
    objectives: tuple[ObjectiveTable, ...]
    constraints: tuple[ConstraintTable, ...]
    replications: int
    trials: int
    seed: int

    @property
    def sha256(self) -> str:
        """SHA-256 of the file's text (a changed file is refused on resume)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def load_decision(path: str | Path) -> Decision:
    """Read and validate a decision file; raises :class:`ScenarioError` listing every problem."""
    p = Path(path)
    text = read_toml_file(p, "decision file")
    return decision_from_toml(text, str(path), base_dir=p.parent, default_name=p.stem)


def decision_from_toml(text: str, source: str = "", *, base_dir: str | Path = ".",
                       default_name: str = "decision") -> Decision:
    """Parse and validate decision TOML text."""
    data = parse_toml(text, source)
    problems: list[tuple[str, str, str]] = []
    f = build_table(DecisionFile, data, "", problems)
    base = _base(f, Path(base_dir), problems) if not problems else None
    seen: dict[str, str] = {}
    for kind in ("levers", "uncertainties"):
        for i, t in enumerate(getattr(f, kind)):
            _check_range(t, f"{kind}[{i}]", problems)
            if t.path is None:
                continue
            if t.path in seen:
                problems.append((f"{kind}[{i}].path", "a parameter that is a lever or an uncertainty, once",
                                 f"{show_value(t.path)} (also in {seen[t.path]})"))
            seen.setdefault(t.path, f"{kind}[{i}]")
    if not f.levers:
        problems.append(("levers", "at least one [[levers]] table", "none"))
    if not f.objectives:
        problems.append(("objectives", "at least one [[objectives]] table", "none"))
    for kind, allowed, what in (("objectives", OUTCOME_NAMES, "an outcome name"),
                                ("constraints", COST_OUTCOMES, "a cost outcome (" + ", ".join(COST_OUTCOMES) + ")")):
        for i, t in enumerate(getattr(f, kind)):
            if not t.outcomes:
                problems.append((f"{kind}[{i}].outcomes", "a list of outcome names", "none"))
            for j, name in enumerate(t.outcomes):
                if name not in allowed:
                    problems.append((f"{kind}[{i}].outcomes[{j}]", what, show_value(name)))
            if kind == "constraints" and t.max is None:
                problems.append((f"constraints[{i}].max", "a budget in EUR", "none"))
    if problems:
        raise ScenarioError(problems, source)
    return Decision(name=f.name or default_name, source=source, text=text, base=base,
                    levers=tuple(f.levers), uncertainties=tuple(f.uncertainties),
                    objectives=tuple(f.objectives), constraints=tuple(f.constraints),
                    replications=f.replications, trials=f.trials, seed=f.seed)


def _check_range(t: LeverTable, where: str, problems: list) -> None:
    for key in ("path", "low", "high"):
        if getattr(t, key) is None:
            problems.append((f"{where}.{key}", "a value", "none"))
    if t.path is None:
        return
    field = _schema_field(t.path)
    if field is None or field.type not in (int, float):
        problems.append((f"{where}.path", "a numeric scenario parameter path such as firms[0].phone_agents",
                         show_value(t.path)))
        return
    if t.low is None or t.high is None:
        return
    if t.low >= t.high:
        problems.append((f"{where}.high", f"a value above low ({t.low:g})", show_value(t.high)))
    if t.type == "int" and (t.low != int(t.low) or t.high != int(t.high)):
        problems.append((f"{where}.low", "integer bounds for type int", f"[{t.low}, {t.high}]"))
    if field.type is int and t.type != "int":
        problems.append((f"{where}.type", f'"int" ({t.path} is an integer)', show_value(t.type)))
    lo, hi = field.meta.get("bounds") or (None, None)
    for key, v in (("low", t.low), ("high", t.high)):
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            problems.append((f"{where}.{key}", f"a value within the schema's bounds [{lo}, {hi}]", show_value(v)))


def _base(f: DecisionFile, base_dir: Path, problems: list) -> Scenario | None:
    if not f.base:
        problems.append(("base", "a preset name or scenario file path", "none"))
        return None
    candidate = base_dir / f.base
    target = candidate if (candidate.exists() or f.base.endswith(".toml")) else f.base
    try:
        sc = load_scenario(target)
        over: dict[str, Any] = {}
        if f.consumers is not None:
            over["population.consumers"] = f.consumers
        if f.ticks is not None:
            over["run.ticks"] = f.ticks
        return with_overrides(sc, over) if over else sc
    except ScenarioError as exc:
        problems.extend((f"base ({f.base}): {p}", e, g) for p, e, g in exc.problems)
        return None
