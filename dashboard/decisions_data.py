"""The Decisions page's data, without Streamlit: the levers offered to a search, decision files
written from the page's choices, Pareto fronts read from a search, a results folder or an
uploaded CSV, and the chart of a front.

A front is what ``exlab optimize`` writes (:mod:`sim.decisions.optimize`): ``pareto.csv``
with one row per point (``point``, ``trial``, one column per lever path, for each
objective its mean and ``_ci_low``/``_ci_high``, and ``scenario``, the point's file
``front_NN.toml``), and ``decision.json`` with the decision file's text.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import altair as alt
import pandas as pd

from dashboard import charts, theme
from dashboard.formatting import OUTCOME_INFO, compact, fmt_value, summary_words
from dashboard.widgets import fmt_setting, lever_spec, schema_path
from sim import Scenario, ScenarioError, load_scenario
from sim.scenario import iter_params, scenario_from_toml, to_toml, with_overrides
from sim.scenario.loader import MAX_TOML_BYTES

__all__ = [
    "LEVER_CHOICES",
    "Front",
    "FrontError",
    "LeverChoice",
    "Objective",
    "decision_toml",
    "front_chart",
    "front_from_folder",
    "front_from_csv",
    "front_table",
    "list_front_folders",
    "objective_label",
    "point_label",
    "point_overrides",
    "point_scenario",
]

#: Largest pareto.csv read (bytes) and most points kept.
MAX_CSV_BYTES = 1_000_000
MAX_POINTS = 2_000


# ------------------------------------------------------------------ levers offered
@dataclass(frozen=True)
class LeverChoice:
    """A lever the page offers to a search: its path (firm 0), short name and ranges."""

    path: str
    name: str
    group: str  #: the management decision it belongs to (the Scenario lab's groups)
    low: float  #: default range searched
    high: float
    lo: float  #: the slider's ends (inside the schema's bounds)
    hi: float
    step: float
    kind: str  #: "int", "float" or "bool" (on or off: searched both ways, no range)

    def at_firm(self, firm: int) -> str:
        """The path for firm ``firm`` (``firms[1].phone_agents``)."""
        return self.path.replace("firms[0]", f"firms[{firm}]")

    @property
    def unit(self) -> str:
        """The schema's unit of the lever."""
        return lever_spec(self.path).unit

    @property
    def meaning(self) -> str:
        """The schema's meaning of the lever."""
        return lever_spec(self.path).meaning


#: The firm's levers a search may move, in the order offered.
LEVER_CHOICES: tuple[LeverChoice, ...] = (
    LeverChoice("firms[0].phone_agents", "Phone agents", "Phone lines", 1, 12, 0, 60, 1, "int"),
    LeverChoice("firms[0].automation_share", "Automation share", "Channel mix", 0.1, 0.9, 0.0, 1.0, 0.01,
                "float"),
    LeverChoice("firms[0].advisors_per_10k", "Advisors per 10,000 customers", "Channel mix", 2, 20, 0, 100,
                0.5, "float"),
    LeverChoice("firms[0].listening", "Listening (learns what segments expect)", "Listening", 0, 1, 0, 1, 1,
                "bool"),
    LeverChoice("firms[0].complaint_resolution", "Complaints followed up", "Listening", 0.0, 1.0, 0.0, 1.0,
                0.01, "float"),
    LeverChoice("firms[0].answer_in_public", "Public complaints answered in public", "Listening", 0.0, 1.0,
                0.0, 1.0, 0.01, "float"),
    LeverChoice("firms[0].announced_response_h", "Announced response time", "Expectation management", 0, 72,
                0, 336, 1, "float"),
    LeverChoice("firms[0].appointments", "Answers at booked appointments", "Expectation management", 0, 1, 0,
                1, 1, "bool"),
    LeverChoice("firms[0].promise_response_h", "Promised response time", "Relational promise", 0, 72, 0,
                336, 1, "float"),
    LeverChoice("firms[0].data_asked", "Personal data asked", "Data collection", 0.1, 0.9, 0.0, 1.0, 0.01,
                "float"),
    LeverChoice("firms[0].personalization", "Personalisation", "Data collection", 0.0, 0.9, 0.0, 1.0, 0.01,
                "float"),
)
_BY_PATH = {c.path: c for c in LEVER_CHOICES}
_FIRM = re.compile(r"^firms\[(\d+)\]\.")


def lever_name(path: str) -> str:
    """Short words for a lever path: ``Phone agents``; ``Phone agents (firm 2)`` beyond the first."""
    m = _FIRM.match(path)
    firm0 = _FIRM.sub("firms[0].", path)
    if firm0 in _BY_PATH:
        name = _BY_PATH[firm0].name
    else:
        try:
            name = lever_spec(path).label
        except KeyError:
            name = path
    return f"{name} (firm {int(m.group(1)) + 1})" if m and int(m.group(1)) > 0 else name


def lever_unit(path: str) -> str:
    """The unit of a lever, as a table header writes it (empty for shares and scores)."""
    try:
        unit = lever_spec(path).unit
    except KeyError:
        return ""
    return "" if unit in ("share", "[0,1]", "quality [0,1]") else unit


# ------------------------------------------------------------------ objectives
REDUCE_WORDS = {"run": "over the run", "mean": "mean per day", "last": "on the last day"}


@dataclass(frozen=True)
class Objective:
    """An objective of a search: the sum of outcomes, each reduced over a run."""

    outcomes: tuple[str, ...]
    direction: str  #: "minimize" or "maximize"
    reduce: str = "run"  #: "run", "mean", "last", or "" when not known (an uploaded CSV)

    @property
    def name(self) -> str:
        """The column name ``exlab optimize`` gives it: outcomes joined by ``+``."""
        return "+".join(self.outcomes)

    @property
    def higher_is_better(self) -> bool:
        """Whether higher values are better."""
        return self.direction == "maximize"


def _unit(outcomes: tuple[str, ...]) -> str:
    units = {OUTCOME_INFO[o].unit for o in outcomes if o in OUTCOME_INFO}
    return units.pop() if len(units) == 1 and all(o in OUTCOME_INFO for o in outcomes) else ""


def _how(obj: Objective) -> str:
    if obj.reduce == "run":
        rules = {OUTCOME_INFO[o].summary for o in obj.outcomes if o in OUTCOME_INFO}
        return summary_words(rules.pop()) if len(rules) == 1 else REDUCE_WORDS["run"]
    return REDUCE_WORDS.get(obj.reduce, "")


def objective_label(obj: Objective) -> str:
    """``Staff cost + waiting cost (EUR, mean per day)``, ``Trust (score on [0, 1], at the end)``."""
    names = [charts.outcome_label(o) for o in obj.outcomes]
    text = " + ".join([names[0]] + [n[:1].lower() + n[1:] for n in names[1:]])
    unit = _unit(obj.outcomes)
    unit_words = {"[0,1]": "0 to 1", "share": "share"}.get(unit, unit)
    parts = [p for p in (unit_words, _how(obj)) if p]
    return f"{text} ({', '.join(parts)})" if parts else text


def objective_short(obj: Objective) -> str:
    """``Staff cost + waiting cost``: the label without unit and reduction."""
    names = [charts.outcome_label(o) for o in obj.outcomes]
    return " + ".join([names[0]] + [n[:1].lower() + n[1:] for n in names[1:]])


def fmt_objective(obj: Objective, value: float) -> str:
    """A value of an objective as the cards write its outcomes (``12.3 k EUR``, ``0.612``)."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if _unit(obj.outcomes):
        return fmt_value(obj.outcomes[0], value)
    return compact(value)


def default_direction(outcomes: list[str] | tuple[str, ...]) -> str:
    """``maximize`` when the registry says higher is better for every outcome, else ``minimize``."""
    good = {OUTCOME_INFO[o].higher_is_better for o in outcomes if o in OUTCOME_INFO}
    return "maximize" if good == {True} else "minimize"


# ------------------------------------------------------------------ decision files
def _s(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(str(text), ensure_ascii=False)


def _num(v: float, kind: str) -> str:
    return str(int(round(v))) if kind == "int" else repr(float(v))


def decision_toml(
    *,
    name: str,
    base: str,
    consumers: int,
    ticks: int,
    replications: int,
    trials: int,
    seed: int,
    levers: list[tuple[str, float, float, str]],
    objectives: list[Objective],
    budget: tuple[tuple[str, ...], str, float] | None = None,
    comment: str = "",
) -> str:
    """The decision file (``exlab optimize``) of the page's choices.

    ``levers`` holds (path, low, high, kind); ``budget`` is (cost outcomes, reduce, max EUR).
    """
    out = [f"# {line}" for line in comment.splitlines()] if comment else []
    out += [
        f"name = {_s(name)}",
        f"base = {_s(base)}",
        f"consumers = {int(consumers)}",
        f"ticks = {int(ticks)}",
        f"replications = {int(replications)}",
        f"trials = {int(trials)}",
        f"seed = {int(seed)}",
    ]
    for path, low, high, kind in levers:
        out += ["", "[[levers]]", f"path = {_s(path)}"]
        if kind != "bool":  # on/off levers are searched both ways
            out += [f"low = {_num(low, kind)}", f"high = {_num(high, kind)}"]
        out.append(f"type = {_s(kind)}")
    for o in objectives:
        out += ["", "[[objectives]]", "outcomes = [" + ", ".join(_s(x) for x in o.outcomes) + "]",
                f"direction = {_s(o.direction)}", f"reduce = {_s(o.reduce or 'run')}"]
    if budget is not None:
        outs, reduce, cap = budget
        out += ["", "[[constraints]]", "outcomes = [" + ", ".join(_s(x) for x in outs) + "]",
                f"reduce = {_s(reduce)}", f"max = {float(cap)!r}"]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ fronts
class FrontError(ValueError):
    """A Pareto front cannot be read; the message is one sentence saying why."""


@dataclass
class Front:
    """A Pareto front as the page shows it."""

    name: str
    table: pd.DataFrame  #: the rows of pareto.csv
    objectives: tuple[Objective, ...]
    levers: tuple[str, ...]
    scenarios: dict[int, str] = field(default_factory=dict)  #: point -> scenario TOML text
    base_toml: str = ""  #: the search's base scenario, for points without a scenario file
    preset: str = ""  #: the preset the search started from, when it was one
    decision_text: str = ""
    source: str = ""  #: where the front comes from, in words
    trials_done: int | None = None
    trials: pd.DataFrame | None = None  #: every finished trial: its levers and objectives (search seeds)
    trials_wanted: int | None = None
    elapsed_s: float | None = None
    time_limit_s: float | None = None

    @property
    def points(self) -> list[int]:
        """The points' numbers, in the table's order."""
        return [int(p) for p in self.table["point"]] if len(self.table) else []

    @property
    def csv(self) -> str:
        """The front as ``pareto.csv``."""
        return self.table.to_csv(index=False)

    def row(self, point: int) -> pd.Series:
        """The row of point ``point``."""
        return self.table[self.table["point"] == point].iloc[0]


_PARAMS: dict[str, type] | None = None


def _param_types() -> dict[str, type]:
    global _PARAMS
    if _PARAMS is None:
        types = {}
        for p, f, _owner in iter_params():
            tp = f.type if isinstance(f.type, type) else {"int": int, "float": float, "bool": bool}.get(str(f.type))
            if tp in (int, float, bool):
                types[p] = tp
        _PARAMS = types
    return _PARAMS


def _objectives_from_text(text: str) -> dict[str, Objective]:
    """Objectives of a decision file's text, by column name (empty when it cannot be read)."""
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, TypeError, ValueError, RecursionError):
        return {}
    out = {}
    for t in data.get("objectives", []) if isinstance(data.get("objectives"), list) else []:
        if not isinstance(t, dict) or not isinstance(t.get("outcomes"), list):
            continue
        o = Objective(tuple(str(x) for x in t["outcomes"]), str(t.get("direction", "minimize")),
                      str(t.get("reduce", "run")))
        out[o.name] = o
    return out


def parse_front(df: pd.DataFrame, what: str, known: dict[str, Objective] | None = None) -> tuple:
    """Objectives and levers of a pareto.csv table; raises :class:`FrontError` naming the problem."""
    cols = [str(c) for c in df.columns]
    names = [c for c in cols if f"{c}_ci_low" in cols and f"{c}_ci_high" in cols]
    if not names:
        raise FrontError(
            f"{what} has no objective columns: a Pareto front written by exlab optimize has, for each "
            "objective, a column NAME with NAME_ci_low and NAME_ci_high."
        )
    taken = {"point", "trial", "scenario"} | set(names)
    taken |= {f"{n}_ci_low" for n in names} | {f"{n}_ci_high" for n in names}
    levers = [c for c in cols if c not in taken]
    types = _param_types()
    for c in levers:
        if schema_path(c) not in types:
            raise FrontError(f"{what}: column '{c[:60]}' is neither an objective nor a numeric or on/off "
                             "scenario parameter such as firms[0].phone_agents.")
    if not levers:
        raise FrontError(f"{what} has no lever columns (scenario parameter paths such as "
                         "firms[0].phone_agents).")
    for c in levers:
        if types[schema_path(c)] is bool:
            if not (pd.api.types.is_bool_dtype(df[c]) or df[c].isin([0, 1]).all()):
                raise FrontError(f"{what}: column '{c[:60]}' holds values that are not on/off (True or False).")
        elif not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]):
            raise FrontError(f"{what}: column '{c[:60]}' holds values that are not numbers.")
    for c in [*names, *(f"{n}_ci_low" for n in names), *(f"{n}_ci_high" for n in names)]:
        if not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]):
            raise FrontError(f"{what}: column '{c[:60]}' holds values that are not numbers.")
    objectives = []
    for n in names:
        if known and n in known:
            objectives.append(known[n])
            continue
        outs = tuple(n.split("+"))
        objectives.append(Objective(outs, default_direction(outs), ""))
    return tuple(objectives), tuple(levers)


def _with_points(df: pd.DataFrame, what: str) -> pd.DataFrame:
    df = df.head(MAX_POINTS).reset_index(drop=True)
    if "point" not in df.columns:
        df.insert(0, "point", range(len(df)))
    pts = pd.to_numeric(df["point"], errors="coerce")
    if pts.isna().any() or pts.duplicated().any() or (pts != pts.round()).any():
        raise FrontError(f"{what}: the column 'point' must number the points 0, 1, 2, ... once each.")
    df["point"] = pts.astype(int)
    return df


def _read_csv(data: bytes, what: str) -> pd.DataFrame | None:
    """The table of a pareto.csv's bytes; None for an empty front (no feasible trial)."""
    if len(data) > MAX_CSV_BYTES:
        raise FrontError(f"{what} is {len(data) / 1000:,.0f} kB; a Pareto front is read up to "
                         f"{MAX_CSV_BYTES // 1000:,} kB.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FrontError(f"{what} is not a text file (it is not UTF-8 encoded CSV).") from None
    if not text.strip():
        return None
    try:
        return pd.read_csv(io.StringIO(text))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise FrontError(f"{what} could not be read as CSV ({type(exc).__name__}).") from None


def front_from_csv(file_name: str, data: bytes, base: str = "") -> Front:
    """An uploaded ``pareto.csv``: its objectives (directions from the registry) and levers.

    The points carry no scenario of their own: they are opened as ``base`` (a preset name)
    with their levers set.
    """
    what = file_name or "The file"
    df = _read_csv(data, what)
    if df is None:
        raise FrontError(f"{what} is empty: no point to show.")
    objectives, levers = parse_front(df, what)
    df = _with_points(df, what)
    return Front(name=Path(file_name).stem or "front", table=df, objectives=objectives, levers=levers,
                 preset=base, source=f"uploaded file {file_name}")


def _small_text(path: Path, limit: int) -> str | None:
    try:
        if not path.is_file() or path.stat().st_size > limit:
            return None
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


_SCENARIO_FILE = re.compile(r"^front_\d{2,6}\.toml$")


def front_from_folder(folder: Path, shown: str = "") -> Front:
    """The front an ``exlab optimize`` folder holds: pareto.csv, its decision and point files."""
    what = f"{shown or folder.name}/pareto.csv"
    csv = folder / "pareto.csv"
    if not csv.is_file():
        raise FrontError(f"{shown or folder.name} holds no pareto.csv (the front exlab optimize writes).")
    if csv.stat().st_size > MAX_CSV_BYTES:
        raise FrontError(f"{what} is over {MAX_CSV_BYTES // 1000:,} kB; it was not read.")
    meta_text = _small_text(folder / "decision.json", 2_000_000)
    decision_text = ""
    if meta_text:
        try:
            meta = json.loads(meta_text)
            decision_text = str(meta.get("text", "")) if isinstance(meta, dict) else ""
        except ValueError:
            decision_text = ""
    known = _objectives_from_text(decision_text)
    df = _read_csv(csv.read_bytes(), what)
    name = folder.name
    preset = _preset_of(decision_text)
    if df is None:
        return Front(name=name, table=pd.DataFrame(columns=["point"]), objectives=tuple(known.values()),
                     levers=(), preset=preset, decision_text=decision_text, source=f"folder {shown}")
    objectives, levers = parse_front(df, what, known)
    df = _with_points(df, what)
    scenarios = {}
    if "scenario" in df.columns:
        for p, f in zip(df["point"], df["scenario"].astype(str), strict=True):
            if _SCENARIO_FILE.match(f):
                text = _small_text(folder / f, MAX_TOML_BYTES)
                if text:
                    scenarios[int(p)] = text
    return Front(name=name, table=df, objectives=objectives, levers=levers, scenarios=scenarios,
                 preset=preset, decision_text=decision_text, source=f"folder {shown or folder.name}",
                 trials=study_trials(folder, objectives))


def study_trials(folder: Path, objectives: tuple[Objective, ...]) -> pd.DataFrame | None:
    """The search's finished trials from its ``study.db`` (optuna): one row per trial, its lever values
    and objective values (means over the search's seeds); None without a readable study."""
    db = folder / "study.db"
    if not db.is_file() or not objectives:
        return None
    try:
        import optuna
        from optuna.trial import TrialState

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        storage = f"sqlite:///{db}"
        names = optuna.get_all_study_names(storage)
        if len(names) != 1:
            return None
        study = optuna.load_study(study_name=names[0], storage=storage)
        rows = []
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
            if t.values is None or len(t.values) != len(objectives):
                return None
            rows.append({"trial": t.number, **t.params, **{o.name: v for o, v in zip(objectives, t.values,
                                                                                      strict=True)}})
    except Exception:  # noqa: BLE001 (a study that cannot be read only leaves the trials out)
        return None
    return pd.DataFrame(rows) if rows else None


def _preset_of(decision_text: str) -> str:
    """The decision's base when it is a preset's name (not a file)."""
    try:
        base = tomllib.loads(decision_text).get("base", "") if decision_text else ""
    except (tomllib.TOMLDecodeError, RecursionError):
        return ""
    if not isinstance(base, str) or base.endswith(".toml") or "/" in base:
        return ""
    from sim.scenario import list_presets

    return base if base in {p.name for p in list_presets()} else ""


def list_front_folders(root: Path, limit: int = 200) -> list[str]:
    """Folders under ``root`` holding a ``pareto.csv``, relative to it."""
    root = root.resolve()
    if not root.is_dir():
        return []
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        if "pareto.csv" in filenames:
            rel = Path(dirpath).relative_to(root).as_posix()
            found.append("." if rel == "." else rel)
        if len(found) >= limit:
            break
    return found


# ------------------------------------------------------------------ points
def point_overrides(front: Front, point: int) -> dict:
    """The lever values of a point, typed as the schema declares them."""
    row = front.row(point)
    types = _param_types()
    out = {}
    for path in front.levers:
        v = float(row[path])
        kind = types.get(schema_path(path))
        out[path] = bool(v) if kind is bool else int(round(v)) if kind is int else v
    return out


def point_label(front: Front, point: int) -> str:
    """``Point 2 · Phone agents 7 · Staff cost + waiting cost 12.3 k EUR · Trust 0.612``."""
    row = front.row(point)
    levers = [f"{lever_name(p)} {fmt_setting(v)}" for p, v in point_overrides(front, point).items()]
    objs = [f"{objective_short(o)} {fmt_objective(o, float(row[o.name]))}" for o in front.objectives]
    return " · ".join([f"Point {point}", *levers, *objs])


def point_scenario(front: Front, point: int, label: str, preset_size: bool = False) -> Scenario:
    """The scenario of a point, named ``label``.

    Its own file when the search wrote one (the search's size), else the search's base
    scenario or its preset with the point's levers set; with ``preset_size`` the preset at its
    own size (consumers and days) with the point's levers.
    """
    over = point_overrides(front, point)
    if preset_size and front.preset:
        sc = with_overrides(load_scenario(front.preset), over)
    elif point in front.scenarios:
        sc = scenario_from_toml(front.scenarios[point], f"point {point}")
    elif front.base_toml:
        sc = with_overrides(scenario_from_toml(front.base_toml, "base"), over)
    elif front.preset:
        sc = with_overrides(load_scenario(front.preset), over)
    else:
        raise ScenarioError([("base", "a preset to apply the point's levers to", "none")])
    return with_overrides(sc, {"name": label})


def point_toml(front: Front, point: int, label: str, preset_size: bool = False) -> str:
    """The point's scenario as a file ``exlab run`` takes, its levers in the header."""
    sc = point_scenario(front, point, label, preset_size)
    levers = "; ".join(f"{lever_name(p)} = {fmt_setting(v)}" for p, v in point_overrides(front, point).items())
    row = front.row(point)
    objs = "; ".join(f"{objective_label(o)}: {fmt_objective(o, float(row[o.name]))}" for o in front.objectives)
    header = f"ExchangeLab Decisions: Pareto point {point} of {front.name}\nLevers: {levers}\nFront: {objs}"
    return to_toml(sc, header)


# ------------------------------------------------------------------ table and chart
def _ci_text(obj: Objective, row: pd.Series) -> str:
    """``420 to 450 EUR``: the 95% interval, the unit written once."""
    lo = fmt_objective(obj, float(row[f"{obj.name}_ci_low"]))
    hi = fmt_objective(obj, float(row[f"{obj.name}_ci_high"]))
    for unit in (" EUR", " h", " min"):
        if lo.endswith(unit) and hi.endswith(unit):
            return f"{lo[: -len(unit)]} to {hi}"
    return f"{lo} to {hi}"


def front_table(front: Front) -> pd.DataFrame:
    """The front as the page's table: point, levers (with units), each objective with its 95% interval."""
    rows = []
    for p in front.points:
        row = front.row(p)
        out: dict[str, object] = {"Point": str(p)}
        for path, v in point_overrides(front, p).items():
            unit = lever_unit(path)
            out[f"{lever_name(path)}{f' ({unit})' if unit else ''}"] = fmt_setting(v)
        for o in front.objectives:
            out[objective_label(o)] = f"{fmt_objective(o, float(row[o.name]))} ({_ci_text(o, row)})"
        rows.append(out)
    return pd.DataFrame(rows)


def _better_words(obj: Objective) -> str:
    return f"{'higher' if obj.higher_is_better else 'lower'} {objective_short(obj).lower()} is better"


def front_chart(
    front: Front,
    x_obj: Objective | None,
    y_obj: Objective,
    selected: int | None = None,
    lever: str | None = None,
    height: int = 380,
) -> alt.TopLevelMixin:
    """The front: the points with their 95% intervals, the selected one highlighted.

    Two objectives: one against the other, the points joined in order along the x axis
    (the trade-off). One objective (``x_obj`` None): its value against ``lever``.
    Points carry their number; a click selects one (selection parameter ``pick``).
    """
    t = front.table
    d = pd.DataFrame({"point": t["point"].astype(int)})
    d["y"], d["y_lo"], d["y_hi"] = (t[y_obj.name], t[f"{y_obj.name}_ci_low"], t[f"{y_obj.name}_ci_high"])
    if x_obj is not None:
        d["x"], d["x_lo"], d["x_hi"] = (t[x_obj.name], t[f"{x_obj.name}_ci_low"], t[f"{x_obj.name}_ci_high"])
        x_title = objective_label(x_obj)
        subtitle = f"Better: {_better_words(x_obj)}; {_better_words(y_obj)}."
    else:
        lever = lever or front.levers[0]
        d["x"] = t[lever].astype(float)
        d["x_lo"] = d["x_hi"] = d["x"]
        unit = lever_unit(lever)
        x_title = f"{lever_name(lever)}{f' ({unit})' if unit else ''}"
        subtitle = f"Better: {_better_words(y_obj)}."
    d["label"] = [point_label(front, p) for p in d["point"]]
    d["state"] = ["selected" if p == selected else "point" for p in d["point"]]
    d["num"] = d["point"].astype(str)
    d = d.sort_values("x")
    color = alt.Color(
        "state:N",
        scale=alt.Scale(domain=["point", "selected"], range=[theme.SLOT_COLORS[0], theme.SLOT_COLORS[1]]),
        legend=None,
    )
    whole = x_obj is None and _param_types().get(schema_path(lever)) in (int, bool)
    xs = alt.Scale(zero=False, nice=True, padding=24)
    tried = front.trials
    if tried is not None and not (y_obj.name in tried and (x_obj.name in tried if x_obj is not None
                                                           else lever in tried)):
        tried = None
    all_x = d["x"] if tried is None else pd.concat(
        [d["x"], tried[x_obj.name if x_obj is not None else lever].astype(float)])
    if all_x.nunique() == 1:  # one setting: a range around it, not a scale of zero width
        v = float(d["x"].iloc[0])
        pad = 1.0 if whole else max(abs(v) * 0.1, 0.05)
        xs = alt.Scale(domain=[v - pad, v + pad], nice=False, padding=24)
    ys = alt.Scale(zero=False, nice=True, padding=24)
    x_format = "~s" if _big(d["x"]) else ("d" if whole else alt.Undefined)
    x = alt.X("x:Q", title=x_title, scale=xs,
              axis=alt.Axis(format=x_format, titleLimit=600, tickMinStep=1 if whole else alt.Undefined))
    y = alt.Y("y:Q", title=two_lines(objective_label(y_obj)), scale=ys,
              axis=alt.Axis(format="~s" if _big(d["y"]) else alt.Undefined, titleLimit=360))
    base = alt.Chart(d)
    layers = []
    if tried is not None:
        t_d = pd.DataFrame({"x": tried[x_obj.name if x_obj is not None else lever].astype(float),
                            "y": tried[y_obj.name].astype(float), "trial": tried["trial"].astype(int)})
        layers.append(alt.Chart(t_d).mark_circle(size=50, color=TRIAL_COLOR, opacity=0.8).encode(
            x=x, y=y, tooltip=[alt.Tooltip("trial:Q", title="Trial (search seeds)"),
                               alt.Tooltip("x:Q", title=x_title, format=".4~g"),
                               alt.Tooltip("y:Q", title=objective_short(y_obj), format=".4~g")]))
        subtitle += " Grey: every trial of the search."
    layers += [
        base.mark_line(color=theme.SLOT_COLORS[0], opacity=0.35, strokeWidth=2).encode(x=x, y=y, order="x:Q"),
        base.mark_rule(strokeWidth=2.5).encode(x=x, y=alt.Y("y_lo:Q"), y2="y_hi:Q", color=color),
    ]
    if x_obj is not None:
        layers.append(base.mark_rule(strokeWidth=2.5).encode(x=alt.X("x_lo:Q"), x2="x_hi:Q", y=y, color=color))
    pick = alt.selection_point(name="pick", fields=["point"], on="click")
    points = base.mark_circle(opacity=1, stroke="#FFFFFF", strokeWidth=1.5).encode(
        x=x,
        y=y,
        color=color,
        size=alt.condition(alt.datum.state == "selected", alt.value(420), alt.value(200)),
        tooltip=[alt.Tooltip("label:N", title="Point")],
    ).add_params(pick)
    labels = base.mark_text(dx=9, dy=-11, align="left", fontWeight="bold", color="#1A1A1A").encode(
        x=x, y=y, text="num:N"
    )
    layers += [points, labels]
    against = objective_short(x_obj) if x_obj is not None else lever_name(lever)
    title = alt.TitleParams(
        f"{objective_short(y_obj)} against {against[:1].lower() + against[1:]}",
        subtitle=subtitle,
        subtitleFontSize=theme.FONT_SIZE - 1,
        subtitleColor="#333333",
    )
    return charts.finish(alt.layer(*layers).properties(title=title), height=height)


def two_lines(text: str, width: int = 30) -> str | list[str]:
    """A long vertical axis title on two lines (cut at the space nearest the middle): a title longer
    than the drawing is high pushes the chart's own title out of view."""
    if len(text) <= width:
        return text
    spaces = [i for i, c in enumerate(text) if c == " "]
    if not spaces:
        return text
    cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    return [text[:cut], text[cut + 1:]]


#: The trials of a search drawn behind its front.
TRIAL_COLOR = "#B8B8B8"


def _big(values: pd.Series) -> bool:
    v = values.abs()
    return bool(len(v)) and float(v.max()) >= 10_000
