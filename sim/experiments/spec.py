"""Experiment files: a base scenario, the parameters to vary, a design, replications, outcomes.

An experiment file is TOML, validated by the scenario loader's machinery: its
structure is declared below with the scenario schema's ``param``, ``section``
and ``table_list`` helpers (:class:`ExperimentFile` and its tables), so every
problem is reported at once as ``path: expected ..., got ...`` through
:class:`~sim.scenario.ScenarioError`, and unknown keys are rejected. The
cross-checks that follow are the experiment's own: a varied parameter must be
a leaf of the scenario schema and its values must lie within the bounds (or
choices) declared there, so experiment bounds are never typed twice; and each
design has its rules (a Sobol base sample is a power of two, for one).

Example::

    name = "complex_share_vs_quality"

    [base]
    scenario = "default_bank"          # preset name, or a path relative to this file
    ticks = 90                         # optional; default run.ticks of the scenario
    set = { "population.consumers" = 2000 }   # optional fixed overrides

    [design]
    kind = "full_factorial"            # full_factorial | latin_hypercube | sobol | morris
    replications = 3
    seed = 7

    [[parameters]]
    path = "exchange.complex"
    values = [0.1, 0.3, 0.5]

    [[parameters]]
    path = "firms[*].quality"
    range = [0.5, 0.9]
    steps = 3                          # full factorial over a range: evenly spaced levels

    [outcomes]
    names = ["trust", "churn"]         # default: every outcome of sim.metrics.OUTCOMES
    keep = "summary"                   # "summary" (at chosen ticks) or "series" (every tick)
    at_ticks = [30, 90]                # summary only; default: the last tick
"""

from __future__ import annotations

import hashlib
import math
import re
import typing
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from sim.metrics import OUTCOMES
from sim.scenario import (
    Scenario,
    ScenarioError,
    get_path,
    iter_params,
    load_scenario,
    to_toml,
    with_overrides,
)
from sim.scenario.loader import build_table, check_value, parse_toml, read_toml_file, show_value
from sim.scenario.schema import RunParams, param, section, table_list

__all__ = [
    "DESIGNS",
    "DesignSpec",
    "Experiment",
    "ExperimentFile",
    "Factor",
    "OutcomeSpec",
    "experiment_from_toml",
    "load_experiment",
]

DESIGNS = ("full_factorial", "latin_hypercube", "sobol", "morris")
KEEP = ("summary", "series")
MAX_RUNS = 1_000_000
OUTCOME_NAMES = tuple(o.name for o in OUTCOMES)
_RUN_TICKS = next(f for f in fields(RunParams) if f.name == "ticks")
_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+|\*)\])?")


# %% Declarations ---------------------------------------------------------------


@dataclass(frozen=True)
class Factor:
    """A varied scenario parameter.

    Attributes:
        path: The parameter path as written (``exchange.complex``, ``firms[*].quality``);
            also the column name in the results.
        kind: ``"float"``, ``"int"``, ``"bool"`` or ``"str"``, from the schema's type.
        values: Explicit levels, or None when a range is given.
        range: Inclusive ``(low, high)`` for numeric parameters, or None.
        steps: Number of evenly spaced levels over ``range`` (full factorial only).
    """

    path: str
    kind: str
    values: tuple | None = None
    range: tuple[float, float] | None = None
    steps: int | None = None

    def levels(self) -> list:
        """The levels a full factorial design crosses."""
        if self.values is not None:
            return list(self.values)
        lo, hi = self.range
        n = self.steps
        raw = [lo + (hi - lo) * i / (n - 1) for i in range(n)]
        if self.kind == "int":
            return sorted({int(round(v)) for v in raw})
        return [_tidy(v) for v in raw]

    def from_unit(self, u: float) -> Any:
        """Map a sampler coordinate ``u`` in [0, 1] to a value of this parameter.

        A continuous range maps linearly; an integer range and a list of values
        are cut into equal-width bins (``u = 1`` falls in the last bin).
        """
        if self.values is not None:
            n = len(self.values)
            return self.values[min(int(math.floor(u * n)), n - 1)]
        lo, hi = self.range
        if self.kind == "int":
            width = int(hi) - int(lo) + 1
            return int(lo) + min(int(math.floor(u * width)), width - 1)
        return _tidy(lo + (hi - lo) * u)


@dataclass(frozen=True)
class DesignSpec:
    """How points are chosen and how often each is replicated (``[design]``)."""

    kind: str = param("full_factorial", choices=DESIGNS, meaning="How the points are chosen.")
    samples: int | None = param(
        None, unit="points", bounds=(1, MAX_RUNS),
        meaning="Latin hypercube: points; Sobol: base sample N, a power of two (points = N(D+2), "
        "or N(2D+2) with second order); Morris: trajectories (points = N(D+1)). "
        "None for a full factorial.")
    replications: int = param(1, unit="runs", bounds=(1, 100_000),
                              meaning="Runs per point, each with its own derived seed.")
    seed: int = param(1, bounds=(0, 2**63 - 1),
                      meaning="Root seed of the sampler and of every replication seed.")
    levels: int = param(4, unit="levels", bounds=(2, 1000), meaning="Morris grid levels (even).")
    second_order: bool = param(False, meaning="Sobol: also estimate second-order indices.")
    common_random_numbers: bool = param(False, meaning="Give replication r the same seed at every point.")


@dataclass(frozen=True)
class OutcomeSpec:
    """Which outcomes a run keeps and in what shape (``[outcomes]``)."""

    names: tuple[str, ...] = param(OUTCOME_NAMES, choices=OUTCOME_NAMES,
                                   meaning="Outcome names from sim.metrics.OUTCOMES (default: all).")
    keep: str = param("summary", choices=KEEP,
                      meaning='"series": one row per tick; "summary": one row per chosen tick t, each '
                      "outcome summarised over ticks 1..t by its registry rule (last, mean or sum).")
    at_ticks: tuple[int, ...] = param((), unit="ticks", bounds=(1, None),
                                      meaning="Ticks at which summaries are taken, increasing "
                                      "(summary only; default: the last tick).")


@dataclass(frozen=True)
class BaseTable:
    """The ``[base]`` table: the scenario every run starts from."""

    scenario: str | None = param(None, meaning="Preset name, or a scenario file path relative to "
                                 "the experiment file (required).")
    ticks: int | None = param(None, unit=_RUN_TICKS.metadata["unit"], bounds=_RUN_TICKS.metadata["bounds"],
                              meaning="Days per run (default: the scenario's run.ticks).")
    set: dict[str, Any] = param({}, meaning="Fixed overrides, parameter path = value, checked "
                                "against the scenario schema.")


@dataclass(frozen=True)
class ParameterTable:
    """A ``[[parameters]]`` table as written (checked into a :class:`Factor`)."""

    path: str | None = param(None, meaning="Scenario parameter path: exchange.complex, firms[0].quality, "
                             "or firms[*].quality for every firm (required).")
    values: list[Any] | None = param(None, meaning="Explicit levels inside the parameter's bounds or "
                                     "choices (numbers, integers, true/false or text).")
    range: list[Any] | None = param(None, meaning="Inclusive [low, high] inside a numeric parameter's "
                                    "bounds; sampled designs draw from it.")
    steps: int | None = param(None, unit="levels", bounds=(2, 10_000),
                              meaning="Full factorial over a range: this many evenly spaced levels.")


@dataclass(frozen=True)
class ExperimentFile:
    """An experiment file as written, each key checked against its declaration."""

    name: str | None = param(None, meaning="Experiment name (default: the file's stem).")
    description: str = param("", meaning="Free text.")
    base: BaseTable = section(BaseTable, "The base scenario.")
    design: DesignSpec = section(DesignSpec, "How points are chosen and replicated.")
    parameters: list = table_list(ParameterTable, "The varied parameters, in order.")
    outcomes: OutcomeSpec = section(OutcomeSpec, "The outcomes kept.")


@dataclass(frozen=True)
class Experiment:
    """A validated experiment file.

    Attributes:
        name: Experiment name (default: the file's stem).
        description: Free text.
        source: Where the text came from (file path or a label).
        text: The experiment file's text, as hashed and stored in the manifest.
        base_ref: The base scenario as written (preset name or path).
        base: The base scenario, with ``base.ticks`` and ``base.set`` applied.
        design: The design.
        factors: The varied parameters, in file order.
        outcomes: The outcomes kept.
    """

    name: str
    description: str
    source: str
    text: str
    base_ref: str
    base: Scenario
    design: DesignSpec
    factors: tuple[Factor, ...]
    outcomes: OutcomeSpec

    @property
    def sha256(self) -> str:
        """SHA-256 of the experiment file's text."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def base_toml(self) -> str:
        """The resolved base scenario as TOML."""
        return to_toml(self.base)

    @property
    def base_sha256(self) -> str:
        """SHA-256 of the resolved base scenario's TOML (catches an edited base file)."""
        return hashlib.sha256(self.base_toml.encode("utf-8")).hexdigest()

    @property
    def ticks(self) -> int:
        """Ticks per run (of the base scenario)."""
        return self.base.run.ticks


# %% Loading --------------------------------------------------------------------


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file.

    Raises:
        ScenarioError: listing every problem, each with its field path.
    """
    p = Path(path)
    text = read_toml_file(p, "experiment file")
    return experiment_from_toml(text, str(path), base_dir=p.parent, default_name=p.stem)


def experiment_from_toml(
    text: str, source: str = "", *, base_dir: str | Path = ".", default_name: str = "experiment"
) -> Experiment:
    """Parse and validate experiment TOML text.

    Args:
        text: The TOML text.
        source: Label used in error messages and the manifest (usually the path).
        base_dir: Folder against which a relative ``base.scenario`` path is resolved.
        default_name: Name used when the file gives none.

    Raises:
        ScenarioError: listing every problem found.
    """
    data = parse_toml(text, source)
    problems: list[tuple[str, str, str]] = []
    file = build_table(ExperimentFile, data, "", problems)
    base, factors = _cross_checks(file, data, Path(base_dir), problems)
    if problems:
        raise ScenarioError(problems, source)
    return Experiment(
        name=default_name if file.name is None else file.name,
        description=file.description,
        source=source,
        text=text,
        base_ref=file.base.scenario,
        base=base,
        design=file.design,
        factors=factors,
        outcomes=file.outcomes,
    )


# %% Cross-checks ---------------------------------------------------------------


def _cross_checks(
    file: ExperimentFile, data: dict, base_dir: Path, problems: list
) -> tuple[Scenario | None, tuple[Factor, ...]]:
    """What the declarations cannot say: paths and values against the scenario, design rules.

    A key already reported by the declarations is not checked again.
    """
    reported = {re.sub(r"\[\d+\]$", "", p) for p, _, _ in problems}  # outcomes.names[1] -> outcomes.names
    base = None
    if "base" not in data:
        problems.append(("base", "a [base] table", "none"))
    elif "base" not in reported and "base.scenario" not in reported:
        base = _load_base(file.base, base_dir, problems)
    factors = [
        (i, f) for i, t in enumerate(file.parameters)
        if (f := _factor(t, f"parameters[{i}]", file.design, base, reported, problems)) is not None
    ]
    seen: set[str] = set()
    for i, f in factors:
        if f.path in seen:
            problems.append((f"parameters[{i}].path", "a parameter not varied twice", show_value(f.path)))
        seen.add(f.path)
    design = data.get("design") if isinstance(data.get("design"), dict) else {}
    _design_rules(file.design, design, len(file.parameters), reported, problems)
    _outcome_rules(file.outcomes, base, [f for _, f in factors], reported, problems)
    if not problems:
        n = _count_runs(file.design, [f for _, f in factors])
        if n > MAX_RUNS:
            problems.append(("design", f"at most {MAX_RUNS:,} runs", f"{n:,} runs"))
    return base, tuple(f for _, f in factors)


def _load_base(t: BaseTable, base_dir: Path, problems: list) -> Scenario | None:
    if not t.scenario:
        problems.append(("base.scenario", "a preset name or scenario file path",
                         "none" if t.scenario is None else show_value(t.scenario)))
        return None
    candidate = base_dir / t.scenario
    target = candidate if (candidate.exists() or t.scenario.endswith(".toml")) else t.scenario
    try:
        sc = load_scenario(target)
    except ScenarioError as exc:
        problems.extend((f"base.scenario ({t.scenario}): {p}", e, g) for p, e, g in exc.problems)
        return None
    overrides: dict[str, Any] = {} if t.ticks is None else {"run.ticks": t.ticks}
    for path, value in t.set.items():
        field, n = _schema_field(path), len(problems)
        if field is None:
            problems.append((f"base.set.{path}", "a scenario parameter path such as exchange.complex or "
                             "firms[*].quality", "an unknown parameter"))
            continue
        checked = check_value(field.type, value, field.meta, f"base.set.{path}", problems)
        if len(problems) == n:
            overrides[path] = checked
    if not overrides:
        return sc
    try:
        return with_overrides(sc, overrides)
    except ScenarioError as exc:
        problems.extend((f"base.set: {p}", e, g) for p, e, g in exc.problems)
        return None


def _factor(
    t: ParameterTable, where: str, design: DesignSpec, base: Scenario | None, reported: set, problems: list
) -> Factor | None:
    if any(f"{where}.{key}" in reported for key in ("path", "values", "range", "steps")):
        return None
    field = _schema_field(t.path) if t.path is not None else None
    if field is None:
        example = "a scenario parameter path such as exchange.complex or firms[*].quality"
        problems.append((f"{where}.path", example + _suggest(t.path or ""),
                         "none" if t.path is None else show_value(t.path)))
        return None
    refusal = (
        "a parameter other than run.seed (replication seeds derive from design.seed)"
        if t.path == "run.seed"
        else "a number, integer, true/false or text parameter"
        if field.kind not in ("float", "int", "bool", "str")
        else "a table index that exists in the base scenario"
        if base is not None and not _exists(base, t.path)
        else None
    )
    if refusal:
        problems.append((f"{where}.path", refusal, show_value(t.path)))
        return None
    if (t.values is None) == (t.range is None):
        problems.append((where, "exactly one of values = [...] or range = [low, high]",
                         "neither" if t.values is None else "both"))
        return None
    factorial = design.kind == "full_factorial"
    if t.steps is not None and (t.range is None or not factorial):
        problems.append((f"{where}.steps", "steps only with range = [...] in a full factorial design",
                         show_value(t.steps)))
    if t.values is not None:
        if not t.values:
            problems.append((f"{where}.values", "a non-empty list", "[]"))
            return None
        ok, values = _check_against_schema(t.path, t.values, f"{where}.values", problems)
        if ok and len(set(map(repr, values))) != len(values):
            problems.append((f"{where}.values", "distinct values", show_value(t.values)))
            return None
        return Factor(path=t.path, kind=field.kind, values=tuple(values)) if ok else None
    if field.kind not in ("float", "int"):
        problems.append((f"{where}.range", f"values = [...] for a {field.kind} parameter", show_value(t.range)))
        return None
    if len(t.range) != 2:
        problems.append((f"{where}.range", "[low, high]", show_value(t.range)))
        return None
    ok, (lo, hi) = _check_against_schema(t.path, t.range, f"{where}.range", problems)
    if ok and not lo < hi:
        problems.append((f"{where}.range", "low < high", show_value(t.range)))
        return None
    if ok and factorial and t.steps is None:
        problems.append((f"{where}.steps", "an integer >= 2 (levels over the range) in a full factorial "
                         "design", "none"))
        return None
    return Factor(path=t.path, kind=field.kind, range=(lo, hi), steps=t.steps) if ok else None


def _design_rules(d: DesignSpec, given: dict, n_params: int, reported: set, problems: list) -> None:
    if "design.kind" in reported:
        return
    if "design.levels" not in reported and d.levels % 2:
        problems.append(("design.levels", "an even integer (Morris grid levels)", show_value(d.levels)))
    if "design.samples" not in reported:
        if d.kind == "full_factorial" and d.samples is not None:
            problems.append(("design.samples", "no samples for a full factorial design (levels come from "
                             "the parameters)", show_value(d.samples)))
        elif d.kind != "full_factorial" and d.samples is None:
            problems.append(("design.samples", f"an integer between 1 and {MAX_RUNS} for a {d.kind} design",
                             "none"))
        elif d.kind == "sobol" and d.samples & (d.samples - 1):
            problems.append(("design.samples", "a power of two for a Sobol design", show_value(d.samples)))
    for key, allowed in (("levels", "morris"), ("second_order", "sobol")):
        if key in given and d.kind != allowed:
            problems.append((f"design.{key}", f"no {key} unless design.kind = {allowed!r}",
                             show_value(given[key])))
    if d.kind != "full_factorial" and not n_params and "parameters" not in reported:
        problems.append(("parameters", f"at least one [[parameters]] table for design {d.kind!r}", "none"))
    if d.kind == "sobol" and d.second_order and n_params < 2:
        problems.append(("design.second_order", "false when fewer than two parameters vary", "true"))


def _outcome_rules(o: OutcomeSpec, base: Scenario | None, factors: list[Factor], reported: set,
                   problems: list) -> None:
    if "outcomes.names" not in reported:
        if not o.names:
            problems.append(("outcomes.names", "a non-empty list of outcome names", "[]"))
        elif len(set(o.names)) != len(o.names):
            problems.append(("outcomes.names", "distinct names", show_value(list(o.names))))
    at = list(o.at_ticks)
    if "outcomes.at_ticks" in reported or not at:
        return
    if o.keep == "series":
        problems.append(("outcomes.at_ticks", "no at_ticks when keep = 'series' (every tick is kept)",
                         show_value(at)))
        return
    ticks_vary = any(f.path == "run.ticks" for f in factors)
    max_tick = base.run.ticks if base is not None and not ticks_vary else None
    if at != sorted(set(at)) or (max_tick is not None and at[-1] > max_tick):
        within = f" between 1 and {max_tick}" if max_tick is not None else ""
        problems.append(("outcomes.at_ticks", f"increasing ticks{within}", show_value(at)))


# %% Helpers --------------------------------------------------------------------


def _tidy(v: float) -> float:
    """Round away binary noise (0.30000000000000004 -> 0.3) so levels read as written."""
    return float(f"{v:.12g}")


class _Field(NamedTuple):
    kind: str  # "float", "int", "bool", "str", or the container's type name
    type: Any
    meta: Any


def _generic(path: str) -> str | None:
    """``firms[0].quality`` / ``firms[*].quality`` -> ``firms[].quality``; None if malformed."""
    out = []
    for part in path.split("."):
        m = _SEGMENT.fullmatch(part)
        if not m:
            return None
        out.append(m.group(1) + ("[]" if m.group(2) is not None else ""))
    return ".".join(out)


@cache
def _schema_index() -> dict[str, _Field]:
    index = {}
    for path, f, owner in iter_params():
        tp = typing.get_type_hints(owner)[f.name]
        kind = {float: "float", int: "int", bool: "bool", str: "str"}.get(tp, tp.__name__)
        index[path] = _Field(kind, tp, f.metadata)
    return index


def _schema_field(path: str) -> _Field | None:
    generic = _generic(path)
    return _schema_index().get(generic) if generic else None


def _check_against_schema(path: str, values: list, where: str, problems: list) -> tuple[bool, list]:
    """Check values of the scenario parameter ``path`` (its type, bounds, choices): (all good, checked)."""
    field, n = _schema_field(path), len(problems)
    checked = [check_value(field.type, v, field.meta, f"{where}[{j}]", problems) for j, v in enumerate(values)]
    return len(problems) == n, checked


def _suggest(path: str) -> str:
    import difflib

    generic = _generic(path) or path
    near = difflib.get_close_matches(generic, list(_schema_index()), n=3, cutoff=0.6)
    return f" (did you mean {', '.join(near)}?)" if near else ""


def _exists(sc: Scenario, path: str) -> bool:
    """Whether every table index in ``path`` exists in ``sc`` (``[*]`` needs a non-empty list)."""
    concrete = path
    if "[*]" in path:
        head = path.split("[*]")[0]
        try:
            if not get_path(sc, head):
                return False
        except ScenarioError:
            return False
        concrete = path.replace("[*]", "[0]")
    try:
        get_path(sc, concrete)
    except ScenarioError:
        return False
    return True


def _count_runs(design: DesignSpec, factors: list[Factor]) -> int:
    d = len(factors)
    if design.kind == "full_factorial":
        points = math.prod(len(f.levels()) for f in factors) if factors else 1
    elif design.kind == "latin_hypercube":
        points = design.samples
    elif design.kind == "sobol":
        points = design.samples * (2 * d + 2 if design.second_order else d + 2)
    else:
        points = design.samples * (d + 1)
    return points * design.replications
