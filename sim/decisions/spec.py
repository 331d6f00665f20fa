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

**Discovery files** (``exlab discover``, :mod:`sim.decisions.discover`) share
``base``, ``consumers``, ``ticks``, ``replications``, ``seed``,
``[[levers]]`` and ``[[uncertainties]]`` (each may add ``label``, the words
used for it in box descriptions) and add the sample size, the change whose
effect is studied, the outcome of interest and PRIM's settings::

    samples = 40                # Latin hypercube points over the levers and uncertainties
    [change]                    # the plan: parameter overrides applied on top of each point
    "firms[0].automation_share" = 0.8
    [outcome]                   # the outcome of interest: effect = with change - without (paired)
    name = "churn"
    reduce = "run"              # "run", "mean" or "last", as for objectives
    effect = "relative"         # "relative": (with - without) / |without|; "absolute": with - without
    side = ">"                  # ">" or "<": the outcome happens where effect > threshold (or <)
    threshold = 0.10
    # better = "lower"          # for regret; default: the registry's direction of the outcome
    [prim]                      # optional
    boxes = 2                   # at most this many boxes (the first always)
    min_coverage = 0.5          # a box's chosen step keeps at least this share of the cases
    max_qp = 0.1                # restrictions with a larger quasi-p value are dropped
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sim.experiments.spec import _schema_field
from sim.metrics import OUTCOMES, outcome
from sim.scenario import Scenario, ScenarioError, load_scenario, with_overrides
from sim.scenario.loader import build_table, check_value, parse_toml, read_toml_file, show_value
from sim.scenario.schema import param, section, table_list

__all__ = [
    "COST_OUTCOMES",
    "Decision",
    "DecisionFile",
    "DiscoveryFile",
    "DiscoverySpec",
    "discovery_from_toml",
    "load_decision",
    "load_discovery",
]

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
    type: str = param("float", choices=("int", "float", "bool"),
                      meaning="Integer, real or on/off values (bool: low 0 and high 1, which may be left out).")


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
    f = _with_default_range(build_table(DecisionFile, data, "", problems))
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


def _with_default_range(f):
    """The file with each on/off parameter's range 0 (off) to 1 (on) where it was left out."""
    def fill(t: LeverTable) -> LeverTable:
        if t.type != "bool":
            return t
        return replace(t, low=0.0 if t.low is None else t.low, high=1.0 if t.high is None else t.high)

    return replace(f, levers=[fill(t) for t in f.levers], uncertainties=[fill(t) for t in f.uncertainties])


def _check_range(t: LeverTable, where: str, problems: list) -> None:
    for key in ("path", "low", "high"):
        if getattr(t, key) is None:
            problems.append((f"{where}.{key}", "a value", "none"))
    if t.path is None:
        return
    field = _schema_field(t.path)
    if field is not None and (field.type is bool or t.type == "bool"):
        if field.type is not bool:
            problems.append((f"{where}.type", f'"int" or "float" ({t.path} is a number)', show_value(t.type)))
        elif t.type != "bool":
            problems.append((f"{where}.type", f'"bool" ({t.path} is on or off)', show_value(t.type)))
        elif (t.low, t.high) != (0, 1):
            problems.append((f"{where}.low", "0 and 1 (off and on) for type bool, or no bounds",
                             f"[{t.low}, {t.high}]"))
        return
    if field is None or field.type not in (int, float):
        problems.append((f"{where}.path", "a numeric or on/off scenario parameter path such as "
                         "firms[0].phone_agents", show_value(t.path)))
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


# %% Discovery files -------------------------------------------------------------------------------

EFFECTS = ("relative", "absolute")
SIDES = (">", "<")


@dataclass(frozen=True)
class RangeTable(LeverTable):
    """A ``[[levers]]`` or ``[[uncertainties]]`` table of a discovery file: a range and its words."""

    label: str | None = param(None, meaning="Words for this parameter in box descriptions (default: its path).")


@dataclass(frozen=True)
class OutcomeOfInterest:
    """The ``[outcome]`` table: which paired effect of the change counts as the outcome happening."""

    name: str | None = param(None, meaning="Outcome name of sim.metrics.OUTCOMES (required).")
    reduce: str = param("run", choices=REDUCTIONS,
                        meaning='"run": the registry rule over the run; "mean": mean per day; "last": last day.')
    effect: str = param("relative", choices=EFFECTS,
                        meaning='"relative": (with - without) / |without|; "absolute": with - without.')
    side: str = param(">", choices=SIDES, meaning="The outcome happens where effect > threshold (or <).")
    threshold: float | None = param(None, meaning="Threshold of the effect (a fraction when relative: 0.1 is "
                                    "10%; required).")
    better: str | None = param(None, choices=("higher", "lower"),
                               meaning="Which values are better, for regret (default: the registry's).")


@dataclass(frozen=True)
class PrimTable:
    """The ``[prim]`` table: PRIM's settings (Friedman and Fisher 1999) and how a box is chosen."""

    boxes: int = param(2, bounds=(1, 10), meaning="At most this many boxes; the first is always kept.")
    peel_alpha: float = param(0.05, unit="share", bounds=(0.01, 0.5),
                              meaning="Share of the box's points peeled off at each step.")
    paste_alpha: float = param(0.05, unit="share", bounds=(0.01, 0.5),
                               meaning="Share of points pasted back at each step.")
    mass_min: float = param(0.05, unit="share", bounds=(0.0, 0.5),
                            meaning="Smallest share of all points a box may hold.")
    min_coverage: float = param(0.5, unit="share", bounds=(0.0, 1.0),
                                meaning="The chosen step of a box's trajectory keeps at least this share of "
                                        "the cases of interest it starts from.")
    min_density: float = param(0.5, unit="share", bounds=(0.0, 1.0),
                               meaning="A box after the first is kept only with at least this density.")
    min_cases: int = param(5, unit="points", bounds=(1, None),
                           meaning="A box after the first is kept only with at least this many cases of interest.")
    max_qp: float = param(0.1, bounds=(0.0, 1.0),
                          meaning="Restrictions whose quasi-p value at the chosen step exceeds this are "
                                  "dropped, keeping at least one (1: keep all).")


@dataclass(frozen=True)
class DiscoveryFile:
    """A discovery file as written."""

    name: str | None = param(None, meaning="Name (default: the file's stem).")
    base: str | None = param(None, meaning="Preset name or scenario file path (required).")
    consumers: int | None = param(None, unit="consumers", bounds=(1, None), meaning="Population override.")
    ticks: int | None = param(None, unit="days", bounds=(1, None), meaning="Days per run override.")
    replications: int = param(2, unit="runs", bounds=(1, 1000),
                              meaning="Runs per point and arm, averaged; the two arms share their seeds.")
    samples: int = param(50, unit="points", bounds=(2, 100_000), meaning="Latin hypercube points.")
    seed: int = param(1, bounds=(0, 2**32 - 1), meaning="Root seed of the sample and the runs.")
    levers: list = table_list(RangeTable, "The levers the firm controls.")
    uncertainties: list = table_list(RangeTable, "The parameters it does not control.")
    change: dict[str, Any] = param({}, meaning="The change studied: parameter path = value (required).")
    outcome: OutcomeOfInterest = section(OutcomeOfInterest, "The outcome of interest.")
    prim: PrimTable = section(PrimTable, "PRIM's settings.")


@dataclass(frozen=True)
class DiscoverySpec:
    """A validated discovery file (``base`` has consumers and ticks applied)."""

    name: str
    source: str
    text: str
    base: Scenario
    levers: tuple[RangeTable, ...]
    uncertainties: tuple[RangeTable, ...]
    change: dict[str, Any]
    outcome: OutcomeOfInterest
    prim: PrimTable
    replications: int
    samples: int
    seed: int

    @property
    def sha256(self) -> str:
        """SHA-256 of the file's text (a changed file is refused on resume)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def dimensions(self) -> tuple[RangeTable, ...]:
        """The sampled parameters: the levers, then the uncertainties."""
        return self.levers + self.uncertainties

    @property
    def higher_is_better(self) -> bool:
        """Direction of the outcome for regret: the file's ``better``, else the registry's."""
        if self.outcome.better is not None:
            return self.outcome.better == "higher"
        return bool(outcome(self.outcome.name).higher_is_better)


def load_discovery(path: str | Path) -> DiscoverySpec:
    """Read and validate a discovery file; raises :class:`ScenarioError` listing every problem."""
    p = Path(path)
    text = read_toml_file(p, "discovery file")
    return discovery_from_toml(text, str(path), base_dir=p.parent, default_name=p.stem)


def discovery_from_toml(text: str, source: str = "", *, base_dir: str | Path = ".",
                        default_name: str = "discovery") -> DiscoverySpec:
    """Parse and validate discovery TOML text."""
    data = parse_toml(text, source)
    problems: list[tuple[str, str, str]] = []
    f = _with_default_range(build_table(DiscoveryFile, data, "", problems))
    base = _base(f, Path(base_dir), problems) if not problems else None
    seen: dict[str, str] = {}
    for kind in ("levers", "uncertainties"):
        for i, t in enumerate(getattr(f, kind)):
            n = len(problems)
            _check_range(t, f"{kind}[{i}]", problems)
            if t.path is None:
                continue
            clash = next((r for r in seen if _same_parameter(t.path, r)), None)
            if clash is not None:
                problems.append((f"{kind}[{i}].path", "a parameter that is a lever or an uncertainty, once",
                                 f"{show_value(t.path)} (also in {seen[clash]})"))
            seen.setdefault(t.path, f"{kind}[{i}]")
            if base is not None and len(problems) == n:
                low = int(t.low) if t.type == "int" else bool(t.low) if t.type == "bool" else t.low
                _check_applies(base, {t.path: low}, f"{kind}[{i}].path", problems)
    if not f.levers and not f.uncertainties:
        problems.append(("levers", "at least one [[levers]] or [[uncertainties]] table", "none"))
    change = _change(f.change, seen, problems)
    if base is not None and change:
        _check_applies(base, change, "change", problems)
    o = f.outcome
    if o.name is None:
        problems.append(("outcome.name", "an outcome name of sim.metrics.OUTCOMES", "none"))
    elif o.name not in OUTCOME_NAMES:
        problems.append(("outcome.name", "an outcome name of sim.metrics.OUTCOMES", show_value(o.name)))
    elif o.better is None and outcome(o.name).higher_is_better is None:
        problems.append(("outcome.better", f'"higher" or "lower" ({o.name} has no direction in the registry)',
                         "none"))
    if o.threshold is None:
        problems.append(("outcome.threshold", "a number", "none"))
    if problems:
        raise ScenarioError(problems, source)
    return DiscoverySpec(name=f.name or default_name, source=source, text=text, base=base,
                         levers=tuple(f.levers), uncertainties=tuple(f.uncertainties), change=change,
                         outcome=o, prim=f.prim, replications=f.replications, samples=f.samples, seed=f.seed)


def _change(given: dict[str, Any], ranges: dict[str, str], problems: list) -> dict[str, Any]:
    if not given:
        problems.append(("change", 'a table of parameter overrides, e.g. "firms[0].automation_share" = 0.8',
                         "none"))
        return {}
    out = {}
    for path, value in given.items():
        where = f"change.{path}"
        field = _schema_field(path)
        if field is None:
            problems.append((where, "a scenario parameter path such as firms[0].automation_share",
                             "an unknown parameter"))
            continue
        clash = next((r for r in ranges if _same_parameter(path, r)), None)
        if clash is not None:
            problems.append((where, "a parameter that is not a lever or an uncertainty",
                             f"{show_value(path)} (also in {ranges[clash]})"))
            continue
        n = len(problems)
        checked = check_value(field.type, value, field.meta, where, problems)
        if len(problems) == n:
            out[path] = checked
    return out


def _same_parameter(a: str, b: str) -> bool:
    """Whether two paths can name the same parameter (``firms[*].x`` and ``firms[0].x`` do)."""
    pa, pb = a.split("."), b.split(".")
    if len(pa) != len(pb):
        return False
    for x, y in zip(pa, pb, strict=True):
        if x != y and not (x.split("[")[0] == y.split("[")[0] and ("[*]" in x or "[*]" in y)):
            return False
    return True


def _check_applies(base: Scenario, overrides: dict[str, Any], where: str, problems: list) -> None:
    """Report overrides that the base scenario refuses (an index it lacks, shares that do not add up)."""
    try:
        with_overrides(base, overrides)
    except ScenarioError as exc:
        problems.extend((f"{where}: {p}", e, g) for p, e, g in exc.problems)
