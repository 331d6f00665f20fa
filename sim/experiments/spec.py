"""Experiment files: a base scenario, the parameters to vary, a design, replications, outcomes.

An experiment file is TOML, validated like a scenario file: every problem is
reported at once as ``path: expected ..., got ...`` through
:class:`~sim.scenario.ScenarioError`, and unknown keys are rejected. A varied
parameter must be a leaf of the scenario schema and its values must lie within
the bounds (or choices) declared there, so experiment bounds are never typed
twice.

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
import tomllib
import typing
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

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

__all__ = [
    "DESIGNS",
    "DesignSpec",
    "Experiment",
    "Factor",
    "OutcomeSpec",
    "experiment_from_toml",
    "load_experiment",
]

DESIGNS = ("full_factorial", "latin_hypercube", "sobol", "morris")
KEEP = ("summary", "series")
MAX_RUNS = 1_000_000
MAX_TOML_BYTES = 1_000_000

_TOP_KEYS = ("name", "description", "base", "design", "parameters", "outcomes")
_BASE_KEYS = ("scenario", "ticks", "set")
_DESIGN_KEYS = (
    "kind",
    "samples",
    "replications",
    "seed",
    "levels",
    "second_order",
    "common_random_numbers",
)
_PARAM_KEYS = ("path", "values", "range", "steps")
_OUTCOME_KEYS = ("names", "keep", "at_ticks")
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
    """How points are chosen and how often each is replicated.

    Attributes:
        kind: One of :data:`DESIGNS`.
        samples: Latin hypercube: points; Sobol: base sample N (points = N(D+2),
            or N(2D+2) with second order); Morris: trajectories (points = N(D+1)).
        replications: Runs per point, each with its own derived seed.
        seed: Root seed of the sampler and of every replication seed.
        levels: Morris grid levels (even).
        second_order: Sobol: also estimate second-order indices.
        common_random_numbers: Give replication r the same seed at every point.
    """

    kind: str = "full_factorial"
    samples: int | None = None
    replications: int = 1
    seed: int = 1
    levels: int = 4
    second_order: bool = False
    common_random_numbers: bool = False


@dataclass(frozen=True)
class OutcomeSpec:
    """Which outcomes a run keeps and in what shape.

    Attributes:
        names: Outcome names from :data:`sim.metrics.OUTCOMES`.
        keep: ``"series"`` (one row per tick) or ``"summary"`` (one row per chosen tick,
            each outcome summarised over ticks 1..t by its registry rule: last, mean or sum).
        at_ticks: Ticks at which summaries are taken (summary only; empty means the last tick).
    """

    names: tuple[str, ...]
    keep: str = "summary"
    at_ticks: tuple[int, ...] = ()


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
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(
            [("(file)", "a readable experiment file", f"{path!s} ({exc.strerror})")]
        ) from None
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
    if len(text.encode("utf-8", "ignore")) > MAX_TOML_BYTES:
        raise ScenarioError(
            [("(file)", f"at most {MAX_TOML_BYTES} bytes", "a larger file")], source
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([("(syntax)", "valid TOML", str(exc))], source) from None

    problems: list[tuple[str, str, str]] = []
    _unknown(data, _TOP_KEYS, "", problems)
    name = _string(data, "name", default_name, "", problems)
    description = _string(data, "description", "", "", problems)

    base_tbl = _table(data, "base", problems, required=True)
    _unknown(base_tbl, _BASE_KEYS, "base", problems)
    design = _design(_table(data, "design", problems), problems)
    out_tbl = _table(data, "outcomes", problems)
    _unknown(out_tbl, _OUTCOME_KEYS, "outcomes", problems)

    base_ref = base_tbl.get("scenario")
    base = None
    if not isinstance(base_ref, str) or not base_ref:
        problems.append(("base.scenario", "a preset name or scenario file path", _show(base_ref)))
    else:
        base = _load_base(base_ref, Path(base_dir), base_tbl, problems)

    raw_params = data.get("parameters", [])
    if not isinstance(raw_params, list) or not all(isinstance(x, dict) for x in raw_params):
        problems.append(("parameters", "an array of tables ([[parameters]])", _show(raw_params)))
        raw_params = []
    factors = tuple(
        f
        for i, t in enumerate(raw_params)
        if (f := _factor(t, i, design, base, problems)) is not None
    )
    seen: set[str] = set()
    for i, f in enumerate(factors):
        if f.path in seen:
            problems.append(
                (f"parameters[{i}].path", "a parameter not varied twice", _show(f.path))
            )
        seen.add(f.path)
    if design.kind != "full_factorial" and not factors:
        problems.append(
            ("parameters", f"at least one [[parameters]] table for design {design.kind!r}", "none")
        )
    if design.kind == "sobol" and design.second_order and len(factors) < 2:
        problems.append(
            ("design.second_order", "false when fewer than two parameters vary", "true")
        )

    outcomes = _outcomes(out_tbl, base, factors, problems)
    if not problems:
        n = _count_runs(design, factors)
        if n > MAX_RUNS:
            problems.append(("design", f"at most {MAX_RUNS:,} runs", f"{n:,} runs"))
    if problems:
        raise ScenarioError(problems, source)
    return Experiment(
        name=name,
        description=description,
        source=source,
        text=text,
        base_ref=base_ref,
        base=base,
        design=design,
        factors=factors,
        outcomes=outcomes,
    )


# %% Sections -------------------------------------------------------------------


def _load_base(ref: str, base_dir: Path, tbl: dict, problems: list) -> Scenario | None:
    candidate = base_dir / ref
    target = candidate if (candidate.exists() or ref.endswith(".toml")) else ref
    try:
        sc = load_scenario(target)
    except ScenarioError as exc:
        for path, exp, given in exc.problems:
            problems.append((f"base.scenario ({ref}): {path}", exp, given))
        return None
    overrides: dict[str, Any] = {}
    ticks = tbl.get("ticks")
    if ticks is not None:
        if isinstance(ticks, bool) or not isinstance(ticks, int) or not 1 <= ticks <= 36500:
            problems.append(("base.ticks", "an integer between 1 and 36500", _show(ticks)))
        else:
            overrides["run.ticks"] = ticks
    fixed = tbl.get("set", {})
    if not isinstance(fixed, dict):
        problems.append(("base.set", "a table of parameter path = value", _show(fixed)))
        fixed = {}
    for path, value in fixed.items():
        meta = _schema_field(path)
        if meta is None:
            problems.append(
                (
                    f"base.set.{path}",
                    "a scenario parameter path such as exchange.complex or firms[*].quality",
                    "an unknown parameter",
                )
            )
            continue
        n_before = len(problems)
        _check_value(value, meta, f"base.set.{path}", problems)
        if len(problems) == n_before:
            overrides[path] = value
    if not overrides:
        return sc
    try:
        return with_overrides(sc, overrides)
    except ScenarioError as exc:
        for path, exp, given in exc.problems:
            problems.append((f"base.set: {path}", exp, given))
        return None


def _design(tbl: dict, problems: list) -> DesignSpec:
    _unknown(tbl, _DESIGN_KEYS, "design", problems)
    kind = tbl.get("kind", "full_factorial")
    if kind not in DESIGNS:
        problems.append(
            ("design.kind", "one of " + ", ".join(repr(d) for d in DESIGNS), _show(kind))
        )
        kind = "full_factorial"
    reps = _int(tbl, "replications", 1, (1, 100_000), "design", problems)
    seed = _int(tbl, "seed", 1, (0, 2**63 - 1), "design", problems)
    levels = _int(tbl, "levels", 4, (2, 1000), "design", problems)
    if levels % 2:
        problems.append(("design.levels", "an even integer (Morris grid levels)", _show(levels)))
    samples = tbl.get("samples")
    if kind == "full_factorial":
        if samples is not None:
            problems.append(
                (
                    "design.samples",
                    "no samples for a full factorial design (levels come from the parameters)",
                    _show(samples),
                )
            )
        samples = None
    else:
        samples = _int(tbl, "samples", None, (1, MAX_RUNS), "design", problems, required=True)
        if kind == "sobol" and samples and samples & (samples - 1):
            problems.append(("design.samples", "a power of two for a Sobol design", _show(samples)))
    for key, allowed in (("levels", "morris"), ("second_order", "sobol")):
        if key in tbl and kind != allowed:
            problems.append(
                (f"design.{key}", f"no {key} unless design.kind = {allowed!r}", _show(tbl[key]))
            )
    second = _bool(tbl, "second_order", False, "design", problems)
    crn = _bool(tbl, "common_random_numbers", False, "design", problems)
    return DesignSpec(
        kind=kind,
        samples=samples,
        replications=reps or 1,
        seed=seed if seed is not None else 1,
        levels=levels or 4,
        second_order=second,
        common_random_numbers=crn,
    )


def _factor(
    tbl: dict, i: int, design: DesignSpec, base: Scenario | None, problems: list
) -> Factor | None:
    where = f"parameters[{i}]"
    _unknown(tbl, _PARAM_KEYS, where, problems)
    path = tbl.get("path")
    if not isinstance(path, str):
        problems.append((f"{where}.path", "a scenario parameter path", _show(path)))
        return None
    meta = _schema_field(path)
    if meta is None:
        problems.append(
            (
                f"{where}.path",
                "a scenario parameter path such as exchange.complex or "
                "firms[*].quality" + _suggest(path),
                _show(path),
            )
        )
        return None
    if path in ("run.seed",):
        problems.append(
            (
                f"{where}.path",
                "a parameter other than run.seed (replication seeds derive from design.seed)",
                _show(path),
            )
        )
        return None
    kind = meta["kind"]
    if kind not in ("float", "int", "bool", "str"):
        problems.append(
            (
                f"{where}.path",
                "a number, integer, true/false or text parameter",
                f"{path} (a {kind})",
            )
        )
        return None
    if base is not None and not _exists(base, path):
        problems.append(
            (f"{where}.path", "a table index that exists in the base scenario", _show(path))
        )
        return None
    has_values, has_range = "values" in tbl, "range" in tbl
    if has_values == has_range:
        problems.append(
            (
                where,
                "exactly one of values = [...] or range = [low, high]",
                "both" if has_values else "neither",
            )
        )
        return None
    steps = tbl.get("steps")
    if steps is not None and (not has_range or design.kind != "full_factorial"):
        problems.append(
            (
                f"{where}.steps",
                "steps only with range = [...] in a full factorial design",
                _show(steps),
            )
        )
    if has_values:
        values = tbl["values"]
        if not isinstance(values, list) or not values:
            problems.append((f"{where}.values", "a non-empty list", _show(values)))
            return None
        n_before = len(problems)
        checked = [
            _check_value(v, meta, f"{where}.values[{j}]", problems) for j, v in enumerate(values)
        ]
        if len(problems) > n_before:
            return None
        if len(set(map(repr, checked))) != len(checked):
            problems.append((f"{where}.values", "distinct values", _show(values)))
            return None
        return Factor(path=path, kind=kind, values=tuple(checked))
    rng = tbl["range"]
    if kind not in ("float", "int"):
        problems.append((f"{where}.range", f"values = [...] for a {kind} parameter", _show(rng)))
        return None
    if not (isinstance(rng, list) and len(rng) == 2):
        problems.append((f"{where}.range", "[low, high]", _show(rng)))
        return None
    n_before = len(problems)
    lo = _check_value(rng[0], meta, f"{where}.range[0]", problems)
    hi = _check_value(rng[1], meta, f"{where}.range[1]", problems)
    if len(problems) > n_before:
        return None
    if not lo < hi:
        problems.append((f"{where}.range", "low < high", _show(rng)))
        return None
    if design.kind == "full_factorial":
        if steps is None:
            problems.append(
                (
                    f"{where}.steps",
                    "an integer >= 2 (levels over the range) in a full factorial design",
                    "none",
                )
            )
            return None
        if isinstance(steps, bool) or not isinstance(steps, int) or not 2 <= steps <= 10_000:
            problems.append((f"{where}.steps", "an integer between 2 and 10000", _show(steps)))
            return None
    return Factor(path=path, kind=kind, range=(lo, hi), steps=steps)


def _outcomes(
    tbl: dict, base: Scenario | None, factors: tuple[Factor, ...], problems: list
) -> OutcomeSpec:
    known = [o.name for o in OUTCOMES]
    names = tbl.get("names", known)
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        problems.append(("outcomes.names", "a non-empty list of outcome names", _show(names)))
        names = known
    for j, n in enumerate(names):
        if n not in known:
            problems.append(
                (
                    f"outcomes.names[{j}]",
                    "an outcome of sim.metrics.OUTCOMES (" + ", ".join(known) + ")",
                    _show(n),
                )
            )
    if len(set(names)) != len(names):
        problems.append(("outcomes.names", "distinct names", _show(names)))
    keep = tbl.get("keep", "summary")
    if keep not in KEEP:
        problems.append(
            ("outcomes.keep", "one of " + ", ".join(repr(k) for k in KEEP), _show(keep))
        )
    at = tbl.get("at_ticks", [])
    if at and keep == "series":
        problems.append(
            (
                "outcomes.at_ticks",
                "no at_ticks when keep = 'series' (every tick is kept)",
                _show(at),
            )
        )
    ticks_vary = any(f.path == "run.ticks" for f in factors)
    max_tick = base.run.ticks if base is not None else 36500
    if not isinstance(at, list) or not all(
        isinstance(t, int) and not isinstance(t, bool) for t in at
    ):
        problems.append(("outcomes.at_ticks", "a list of ticks (integers)", _show(at)))
        at = []
    elif at != sorted(set(at)) or (at and (at[0] < 1 or (not ticks_vary and at[-1] > max_tick))):
        problems.append(
            ("outcomes.at_ticks", f"increasing ticks between 1 and {max_tick}", _show(at))
        )
    return OutcomeSpec(names=tuple(names), keep=keep, at_ticks=tuple(at))


# %% Helpers --------------------------------------------------------------------


def _tidy(v: float) -> float:
    """Round away binary noise (0.30000000000000004 -> 0.3) so levels read as written."""
    return float(f"{v:.12g}")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _unknown(tbl: dict, allowed: tuple[str, ...], where: str, problems: list) -> None:
    for key in tbl:
        if key not in allowed:
            problems.append(
                (
                    f"{where}.{key}" if where else key,
                    f"a known key in {where or 'the file'} ({', '.join(allowed)})",
                    "an unknown key",
                )
            )


def _table(data: dict, key: str, problems: list, required: bool = False) -> dict:
    if key not in data:
        if required:
            problems.append((key, f"a [{key}] table", "none"))
        return {}
    if not isinstance(data[key], dict):
        problems.append((key, f"a [{key}] table", _show(data[key])))
        return {}
    return data[key]


def _string(tbl: dict, key: str, default: str, where: str, problems: list) -> str:
    v = tbl.get(key, default)
    if not isinstance(v, str):
        problems.append((f"{where}.{key}" if where else key, "a string", _show(v)))
        return default
    return v


def _int(
    tbl: dict,
    key: str,
    default: int | None,
    bounds: tuple[int, int],
    where: str,
    problems: list,
    required: bool = False,
) -> int | None:
    if key not in tbl:
        if required:
            problems.append(
                (f"{where}.{key}", f"an integer between {bounds[0]} and {bounds[1]}", "none")
            )
        return default
    v = tbl[key]
    if isinstance(v, bool) or not isinstance(v, int) or not bounds[0] <= v <= bounds[1]:
        problems.append(
            (f"{where}.{key}", f"an integer between {bounds[0]} and {bounds[1]}", _show(v))
        )
        return default
    return v


def _bool(tbl: dict, key: str, default: bool, where: str, problems: list) -> bool:
    v = tbl.get(key, default)
    if not isinstance(v, bool):
        problems.append((f"{where}.{key}", "true or false", _show(v)))
        return default
    return v


def _generic(path: str) -> str | None:
    """``firms[0].quality`` / ``firms[*].quality`` -> ``firms[].quality``; None if malformed."""
    parts = path.split(".")
    out = []
    for part in parts:
        m = _SEGMENT.fullmatch(part)
        if not m:
            return None
        out.append(m.group(1) + ("[]" if m.group(2) is not None else ""))
    return ".".join(out)


@cache
def _schema_index() -> dict[str, dict]:
    index = {}
    for path, f, owner in iter_params():
        tp = typing.get_type_hints(owner)[f.name]
        kind = {float: "float", int: "int", bool: "bool", str: "str"}.get(tp, tp.__name__)
        index[path] = {
            "kind": kind,
            "bounds": f.metadata.get("bounds"),
            "choices": f.metadata.get("choices"),
        }
    return index


def _schema_field(path: str) -> dict | None:
    generic = _generic(path)
    return _schema_index().get(generic) if generic else None


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


def _check_value(value: Any, meta: dict, where: str, problems: list) -> Any:
    """Check one value against the schema field's type, bounds and choices."""
    kind = meta["kind"]
    if kind == "bool":
        if not isinstance(value, bool):
            problems.append((where, "true or false", _show(value)))
        return value
    if kind == "str":
        choices = meta.get("choices")
        if not isinstance(value, str):
            problems.append((where, "a string", _show(value)))
        elif choices and value not in choices:
            problems.append((where, "one of " + ", ".join(repr(c) for c in choices), _show(value)))
        return value
    integer = kind == "int"
    label = "an integer" if integer else "a number"
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    lo, hi = meta.get("bounds") or (None, None)
    expected = label
    if lo is not None and hi is not None:
        expected = f"{label} between {lo:g} and {hi:g}"
    elif lo is not None:
        expected = f"{label} >= {lo:g}"
    elif hi is not None:
        expected = f"{label} <= {hi:g}"
    if isinstance(value, bool) or not ok or (not integer and not math.isfinite(value)):
        problems.append((where, expected, _show(value)))
        return value
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        problems.append((where, expected, _show(value)))
        return value
    return int(value) if integer else float(value)


def _count_runs(design: DesignSpec, factors: tuple[Factor, ...]) -> int:
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
