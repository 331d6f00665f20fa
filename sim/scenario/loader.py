"""TOML <-> Scenario, with validation that names the field, the expectation and the value.

Unknown keys are rejected. All problems found in a file are reported together,
one line each, as ``path: expected ..., got ...``.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any

from sim.scenario.schema import AGE_SHARES, ExchangeParams, Scenario

__all__ = [
    "ScenarioError",
    "flatten",
    "load_scenario",
    "scenario_from_dict",
    "scenario_from_toml",
    "scenario_to_dict",
    "to_toml",
    "with_overrides",
    "get_path",
    "build_table",
    "check_value",
    "parse_toml",
    "read_toml_file",
    "show_value",
]

MAX_TOML_BYTES = 1_000_000
MAX_TOML_NESTING = 16
BOM = "\ufeff"


class ScenarioError(ValueError):
    """A scenario (or experiment) file does not fit the schema.

    Attributes:
        problems: One ``(path, expected, given)`` triple per problem.
    """

    def __init__(self, problems: list[tuple[str, str, str]], source: str = ""):
        self.problems = problems
        self.source = source
        head = f"{source}: " if source else ""
        lines = [f"{head}{path}: expected {exp}, got {given}" for path, exp, given in problems]
        super().__init__("\n".join(lines))


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _bound(x: float) -> str:
    # Integer bounds are shown in full: 2**63 - 1 as "9.22337e+18" would not tell the limit.
    return str(x) if isinstance(x, int) else f"{x:g}"


def _describe_bounds(meta: dict, kind: str) -> str:
    lo, hi = meta.get("bounds") or (None, None)
    if lo is not None and hi is not None:
        return f"{kind} between {_bound(lo)} and {_bound(hi)}"
    if lo is not None:
        return f"{kind} >= {_bound(lo)}"
    if hi is not None:
        return f"{kind} <= {_bound(hi)}"
    return kind


def _check_number(value: Any, meta: dict, integer: bool, path: str, problems: list) -> Any:
    kind = "an integer" if integer else "a number"
    ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok_type or (not integer and not math.isfinite(value)):
        problems.append((path, _describe_bounds(meta, kind), _show(value)))
        return None
    lo, hi = meta.get("bounds") or (None, None)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        problems.append((path, _describe_bounds(meta, kind), _show(value)))
        return None
    return int(value) if integer else float(value)


def _check_value(tp: Any, value: Any, meta: dict, path: str, problems: list) -> Any:
    """Check one TOML value against a field's type and metadata (bounds, choices).

    Besides the scalar types, ``dict`` (name = number) and ``list`` (strings),
    the generic types ``X | None``, ``list[X]``, ``tuple[X, ...]`` and
    ``dict[str, X]`` check every item as ``X``, and ``Any`` accepts the value
    as it is. Returns the checked value (None for a bad number or container).
    """
    if tp is Any:
        return value
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        (inner,) = (a for a in args if a is not type(None))  # None is a default, never written
        return _check_value(inner, value, meta, path, problems)
    if origin in (list, tuple, dict):
        table = origin is dict
        if not isinstance(value, dict if table else list):
            problems.append((path, "a table { key = value }" if table else "a list [...]", _show(value)))
            return None
        n = len(problems)
        if table:
            checked = {k: _check_value(args[1], v, meta, f"{path}.{k}", problems) for k, v in value.items()}
        else:
            checked = origin(_check_value(args[0], v, meta, f"{path}[{i}]", problems)
                             for i, v in enumerate(value))
        return checked if len(problems) == n else None
    if tp is bool:
        if not isinstance(value, bool):
            problems.append((path, "true or false", _show(value)))
        return value
    if tp is int:
        return _check_number(value, meta, True, path, problems)
    if tp is float:
        return _check_number(value, meta, False, path, problems)
    if tp is str:
        if not isinstance(value, str):
            problems.append((path, "a string", _show(value)))
            return value
        choices = meta.get("choices")
        if choices and value not in choices:
            problems.append((path, "one of " + ", ".join(repr(c) for c in choices), _show(value)))
        return value
    if tp is dict:
        if not isinstance(value, dict):
            problems.append((path, "a table of name = number", _show(value)))
            return {}
        out = {}
        for key, v in value.items():
            out[key] = _check_number(v, meta, False, f"{path}.{key}", problems)
        return out
    if tp is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append((path, "a list of strings", _show(value)))
            return []
        return list(value)
    raise TypeError(f"unsupported schema type {tp!r} at {path}")  # a schema bug, not user input


def _build(cls: type, data: Any, path: str, problems: list) -> Any:
    """Build a dataclass instance from a TOML table, collecting problems."""
    where = path or "the file"
    if not isinstance(data, dict):
        problems.append((path or "(top level)", "a table", _show(data)))
        return cls()
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        if key not in fields:
            near = ", ".join(sorted(fields))
            problems.append((f"{path}.{key}" if path else key, f"a known key in {where} ({near})",
                             "an unknown key"))
    kwargs = {}
    hints = _hints(cls)
    for name, f in fields.items():
        if name not in data:
            continue
        sub = f"{path}.{name}" if path else name
        value = data[name]
        if f.metadata.get("section"):
            kwargs[name] = _build(hints[name], value, sub, problems)
        elif "table_list" in f.metadata:
            item_cls = f.metadata["table_list"]
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                problems.append((sub, f"an array of tables ([[{sub}]])", _show(value)))
                continue
            kwargs[name] = [_build(item_cls, v, f"{sub}[{i}]", problems) for i, v in enumerate(value)]
        else:
            checked = _check_value(hints[name], value, f.metadata, sub, problems)
            if checked is not None:
                kwargs[name] = checked
    return cls(**kwargs)


#: The generic validation, for other TOML files whose structure is declared with the
#: schema's ``param``/``section``/``table_list`` helpers (experiment files):
#: ``build_table(cls, data, path, problems)`` builds ``cls`` from a table (unknown keys
#: rejected, a bad value leaves the field's default); ``check_value`` checks one value.
build_table = _build
check_value = _check_value
show_value = _show


def _cross_checks(sc: Scenario, problems: list) -> None:
    """Constraints between fields that a single field's bounds cannot express."""
    for label, items in (("segments", sc.segments), ("firms", sc.firms),
                         ("intermediaries", sc.intermediaries)):
        names = [x.name for x in items]
        for i, n in enumerate(names):
            if names.index(n) != i:
                problems.append((f"{label}[{i}].name", "a name not used by another entry", _show(n)))
    if not sc.segments:
        problems.append(("segments", "at least one [[segments]] table", "none"))
    if not sc.firms:
        problems.append(("firms", "at least one [[firms]] table", "none"))
    if sc.segments and sum(s.share for s in sc.segments) <= 0:
        problems.append(("segments[].share", "shares with a positive sum", "all zero"))
    if sc.firms and sum(f.market_share for f in sc.firms) <= 0:
        problems.append(("firms[].market_share", "shares with a positive sum", "all zero"))
    seg_names = {s.name for s in sc.segments}
    for i, s in enumerate(sc.segments):
        if s.adequate_quality > s.desired_quality:
            problems.append((f"segments[{i}].adequate_quality",
                             f"a value <= desired_quality ({s.desired_quality:g})",
                             _show(s.adequate_quality)))
    for i, f in enumerate(sc.firms):
        for table in ("segment_quality", "segment_promise"):
            for key in getattr(f, table):
                if key not in seg_names:
                    problems.append((f"firms[{i}].{table}.{key}",
                                     "a segment name (" + ", ".join(sorted(seg_names)) + ")",
                                     _show(key)))
    for i, m in enumerate(sc.intermediaries):
        for key in m.segments:
            if key not in seg_names:
                problems.append((f"intermediaries[{i}].segments",
                                 "segment names (" + ", ".join(sorted(seg_names)) + ")", _show(key)))
    # With a schedule, the shares in [exchange] read its last point, checked there.
    mixes = [("exchange", sc.exchange)] if not sc.exchange.schedule else []
    mixes += [(f"exchange.schedule[{i}]", p) for i, p in enumerate(sc.exchange.schedule)]
    for where, mix in mixes:
        total = mix.restricted + mix.generalized + mix.complex
        if abs(total - 1.0) > 1e-6:
            problems.append((f"{where}", "restricted + generalized + complex = 1",
                             f"a sum of {total:g}"))
    ch = sc.channels
    if ch.phone_close_h <= ch.phone_open_h:
        problems.append(("channels.phone_close_h", f"an hour after channels.phone_open_h ({ch.phone_open_h:g})",
                         _show(ch.phone_close_h)))
    ticks = [p.tick for p in sc.exchange.schedule]
    if ticks != sorted(set(ticks)):
        problems.append(("exchange.schedule[].tick", "strictly increasing ticks", _show(ticks)))
    needs_platform = sc.exchange.generalized > 0 or any(p.generalized > 0 for p in sc.exchange.schedule)
    if needs_platform and not any(m.kind == "platform" for m in sc.intermediaries):
        problems.append(("intermediaries", "at least one intermediary of kind 'platform' "
                         "when generalized exchange is used", "none"))
    if sc.network.kind == "edgelist" and not sc.network.edgelist_path:
        problems.append(("network.edgelist_path", "a file path when network.kind = 'edgelist'", "''"))


def _one_mix_declaration(data: Any, problems: list) -> Any:
    """The age mix is declared once: the three shares (a constant mix) or a schedule.

    A table giving both is reported; its shares are set aside so that the rest
    of the file is still checked.
    """
    ex = data.get("exchange") if isinstance(data, dict) else None
    if not isinstance(ex, dict) or not isinstance(ex.get("schedule"), list) or not ex["schedule"]:
        return data
    given = [k for k in AGE_SHARES if k in ex]
    if not given:
        return data
    n = len(ex["schedule"])
    problems.append(("exchange", "either the three shares (a constant mix) or [[exchange.schedule]] "
                     "points, not both", f"{', '.join(given)} and {n} schedule point{'s' * (n > 1)}"))
    return {**data, "exchange": {k: v for k, v in ex.items() if k not in AGE_SHARES}}


def scenario_from_dict(data: dict, source: str = "") -> Scenario:
    """Validate a plain dict (as parsed from TOML) into a Scenario.

    Raises:
        ScenarioError: listing every problem found.
    """
    problems: list[tuple[str, str, str]] = []
    data = _one_mix_declaration(data, problems)
    sc = _build(Scenario, data, "", problems)
    if not problems:
        _cross_checks(sc, problems)
    if problems:
        raise ScenarioError(problems, source)
    return sc


def _depth(data: Any) -> int:
    """How deeply tables and arrays nest in parsed TOML (a plain value is 0), without recursion."""
    deepest, stack = 0, [(data, 0)]
    while stack:
        node, d = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                deepest = max(deepest, d + 1)
                stack.append((child, d + 1))
    return deepest


def parse_toml(text: str, source: str = "") -> dict:
    """Parse TOML text of at most ``MAX_TOML_BYTES`` bytes. Never executes or unpickles anything.

    A leading UTF-8 byte-order mark is accepted. Tables and arrays may nest
    ``MAX_TOML_NESTING`` levels deep (scenario and experiment files need four).

    Raises:
        ScenarioError: for a larger text, invalid TOML or nesting too deep.
    """
    size = len(text.encode("utf-8", "ignore"))
    if size > MAX_TOML_BYTES:
        raise ScenarioError([("(file)", f"at most {MAX_TOML_BYTES} bytes", f"{size} bytes")], source)
    text = text.removeprefix(BOM)
    too_deep = ScenarioError([("(file)", f"tables and arrays nested at most {MAX_TOML_NESTING} deep",
                               "deeper nesting")], source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([("(syntax)", "valid TOML", str(exc))], source) from None
    except RecursionError:
        raise too_deep from None
    if _depth(data) > MAX_TOML_NESTING:
        raise too_deep
    return data


def read_toml_file(path: str | Path, what: str = "scenario file", shown: str | Path | None = None) -> str:
    """The text of a TOML file, read safely: at most ``MAX_TOML_BYTES`` bytes, UTF-8 only.

    Reads at most one byte more than the limit, so a huge file (or a device
    such as ``/dev/zero``) is refused without being read. A leading UTF-8
    byte-order mark is dropped. ``shown`` names the file in messages (default: ``path``).

    Raises:
        ScenarioError: an unreadable, too large or non-UTF-8 file, as one line naming it.
    """
    shown = str(path if shown is None else shown)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_TOML_BYTES + 1)
    except OSError as exc:
        raise ScenarioError([("(file)", f"a readable {what}",
                              f"{shown} ({exc.strerror or type(exc).__name__})")]) from None
    if len(raw) > MAX_TOML_BYTES:
        raise ScenarioError([("(file)", f"at most {MAX_TOML_BYTES} bytes", f"more than {MAX_TOML_BYTES} bytes")],
                            shown)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ScenarioError([("(file)", "UTF-8 text (save the file as UTF-8)", "UTF-16 text")], shown)
    try:
        return raw.decode("utf-8").removeprefix(BOM)
    except UnicodeDecodeError as exc:
        raise ScenarioError([("(file)", "UTF-8 text",
                              f"byte 0x{raw[exc.start]:02x} at offset {exc.start} (a binary file?)")],
                            shown) from None


def scenario_from_toml(text: str, source: str = "") -> Scenario:
    """Parse and validate TOML text. Never executes or unpickles anything.

    Raises:
        ScenarioError: listing every problem found; an empty text (or one of
            comments only) is refused rather than read as the default scenario.
    """
    data = parse_toml(text, source)
    if not data:
        raise ScenarioError([("(file)", "at least one table or key (an empty file is not the default "
                              "scenario)", "an empty scenario file")], source)
    return scenario_from_dict(data, source)


def load_scenario(path: str | Path) -> Scenario:
    """Load a scenario file, or a preset by name (``exlab list`` shows them)."""
    from sim.scenario.presets import resolve

    text = read_toml_file(resolve(path), "scenario file or preset name", shown=path)
    return scenario_from_toml(text, str(path))


def _declared_fields(obj: Any) -> list[dataclasses.Field]:
    """A dataclass's fields as written out.

    With a schedule, the age mix is the schedule alone (the three shares then
    only read its last point).
    """
    fields = dataclasses.fields(obj)
    if isinstance(obj, ExchangeParams) and obj.schedule:
        return [f for f in fields if f.name not in AGE_SHARES]
    return list(fields)


def scenario_to_dict(sc: Any) -> Any:
    """Scenario -> plain dict of TOML-able values (the inverse of scenario_from_dict).

    The age mix comes out as declared: the three shares, or the schedule alone.
    """
    if dataclasses.is_dataclass(sc):
        return {f.name: scenario_to_dict(getattr(sc, f.name)) for f in _declared_fields(sc)}
    if isinstance(sc, list):
        return [scenario_to_dict(x) for x in sc]
    if isinstance(sc, dict):
        return {k: scenario_to_dict(v) for k, v in sc.items()}
    return sc


_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: str) -> str:
    return k if _BARE.match(k) else '"' + k.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _val(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_val(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_val(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def _emit(table: dict, prefix: str, out: list[str]) -> None:
    for k, v in table.items():
        if not _is_section(v) and not _is_table_list(v):
            out.append(f"{_key(k)} = {_val(v)}")
    for k, v in table.items():
        name = f"{prefix}{_key(k)}"
        if _is_section(v):
            out.append(f"\n[{name}]")
            _emit(v, name + ".", out)
        elif _is_table_list(v):
            for item in v:
                out.append(f"\n[[{name}]]")
                _emit(item, name + ".", out)


def _is_section(v: Any) -> bool:
    # Sections are dicts produced from dataclasses; free dicts (segment_quality) are inline.
    return isinstance(v, dict) and getattr(v, "_section", False)


def _is_table_list(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and _is_section(v[0])


class _Section(dict):
    _section = True


def _mark_sections(sc: Any) -> Any:
    if dataclasses.is_dataclass(sc):
        return _Section({f.name: _mark_sections(getattr(sc, f.name)) for f in _declared_fields(sc)})
    if isinstance(sc, list):
        return [_mark_sections(x) for x in sc]
    return sc


def to_toml(sc: Scenario, header: str = "") -> str:
    """Write a scenario as TOML; loading the text back gives an equal Scenario."""
    out: list[str] = []
    if header:
        out.extend("# " + line if line else "#" for line in header.splitlines())
    _emit(_mark_sections(sc), "", out)
    return "\n".join(out).lstrip("\n") + "\n"


_PATH = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?")


def _walk(data: dict, path: str) -> tuple[Any, str]:
    parts = path.split(".")
    node: Any = data
    for part in parts[:-1]:
        m = _PATH.fullmatch(part)
        if not m or not isinstance(node, dict) or m.group(1) not in node:
            raise ScenarioError([(path, "a parameter path such as firms[0].quality", _show(path))])
        node = node[m.group(1)]
        if m.group(2) is not None:
            idx = int(m.group(2))
            if not isinstance(node, list) or idx >= len(node):
                raise ScenarioError([(path, "an index of an existing table", _show(path))])
            node = node[idx]
    return node, parts[-1]


def flatten(sc: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Every leaf parameter as ``(path, value)``, in schema order (``firms[0].quality``)."""
    out: list[tuple[str, Any]] = []
    for f in dataclasses.fields(sc):
        v = getattr(sc, f.name)
        path = f"{prefix}{f.name}"
        if f.metadata.get("section"):
            out.extend(flatten(v, path + "."))
        elif "table_list" in f.metadata:
            for i, item in enumerate(v):
                out.extend(flatten(item, f"{path}[{i}]."))
        else:
            out.append((path, v))
    return out


def get_path(sc: Scenario, path: str) -> Any:
    """Read a parameter by its path (``exchange.complex``, ``firms[0].quality``).

    With a schedule, ``exchange.complex`` and the other two shares read its last point.
    """
    data = scenario_to_dict(sc)
    if isinstance(sc, Scenario) and sc.exchange.schedule:
        data["exchange"].update({k: getattr(sc.exchange, k) for k in AGE_SHARES})
    node, last = _walk(data, path)
    if not isinstance(node, dict) or last not in node:
        raise ScenarioError([(path, "a parameter path such as firms[0].quality", _show(path))])
    return node[last]


def with_overrides(sc: Scenario, overrides: dict[str, Any]) -> Scenario:
    """Return a validated copy of ``sc`` with parameters set by path.

    ``firms[*].quality`` sets the field in every firm; a path naming one table
    (``firms[0].quality``) wins over ``[*]`` whatever their order. The result
    never depends on the order of ``overrides``.

    The exchange-age mix is declared once: the three shares (a constant mix)
    or ``exchange.schedule``. The shares given in one call are applied together:

    * all three: they must sum to one;
    * two: the third is what is left (the two may not sum to more than one);
    * one: it is fixed, and the other two share the rest in the proportions
      they have in the current mix (evenly when both are zero). On a scenario
      with a schedule, the current mix is the one the schedule ends on.

    Setting ``exchange.restricted``, ``exchange.generalized`` or
    ``exchange.complex`` on a scenario with a schedule replaces the schedule by
    that constant mix; setting ``exchange.schedule`` replaces a constant mix.
    The same rules hold for the shares of one schedule point
    (``exchange.schedule[1].complex``), which keep the schedule.

    Raises:
        ScenarioError: an unknown path, shares that do not sum to one, the
            shares and the schedule set together, or an invalid result.
    """
    assigned: dict[str, tuple[Any, bool]] = {}  # target -> (value, named without [*])
    for path in sorted(overrides):
        value = overrides[path]
        targets = [path]
        if "[*]" in path:
            head = path.split("[*]")[0]
            n = len(get_path(sc, head))
            targets = [path.replace("[*]", f"[{i}]", 1) for i in range(n)]
        for target in targets:
            if target not in assigned or not assigned[target][1]:
                assigned[target] = (value, target == path)
    mixes: dict[str, dict[str, Any]] = {}  # "exchange" or "exchange.schedule[i]" -> given shares
    data = scenario_to_dict(sc)
    for target, (value, _) in sorted(assigned.items()):
        head, _, last = target.rpartition(".")
        if last in AGE_SHARES and (head == "exchange" or _SCHEDULE_POINT.fullmatch(head)):
            mixes.setdefault(head, {})[last] = value
            continue
        node, last = _walk(data, target)
        if not isinstance(node, dict) or last not in node:
            raise ScenarioError([(target, "a parameter path such as firms[0].quality",
                                  _show(target))])
        if isinstance(value, (int, float)) and isinstance(node[last], float):
            value = float(value)
        node[last] = value
        if target == "exchange.schedule":
            _set_schedule(sc, data, value)
    schedule_set = sorted(t for t in assigned if t.startswith("exchange.schedule"))
    if "exchange" in mixes and schedule_set:
        shares = ", ".join(f"exchange.{k}" for k in mixes["exchange"])
        raise ScenarioError([("exchange", "either shares (a constant mix) or the schedule, not both",
                              f"{shares} and {', '.join(schedule_set)}")], "overrides")
    for head, given in mixes.items():
        _set_mix(sc, data, head, given)
    return scenario_from_dict(data, "overrides")


_SCHEDULE_POINT = re.compile(r"exchange\.schedule\[\d+\]")


def _set_schedule(sc: Scenario, data: dict, value: Any) -> None:
    """``exchange.schedule`` set as a whole: a schedule replaces the constant mix."""
    if isinstance(value, list) and value:
        for k in AGE_SHARES:
            data["exchange"].pop(k, None)
    elif sc.exchange.schedule:
        raise ScenarioError([("exchange.schedule", "schedule points (for a constant mix, set "
                              "exchange.restricted, exchange.generalized and exchange.complex)",
                              _show(value))], "overrides")


def _set_mix(sc: Scenario, data: dict, head: str, given: dict[str, Any]) -> None:
    """Write the mix at ``head`` from the shares given in one call (see :func:`with_overrides`)."""
    node, _ = _walk(data, f"{head}.restricted")
    if head == "exchange":
        current = sc.exchange.points()[-1]
        current = {k: getattr(current, k) for k in AGE_SHARES}
    else:
        current = {k: get_path(sc, f"{head}.{k}") for k in AGE_SHARES}
    mix = dict(current)
    ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1
             for v in given.values())
    if not ok:  # written as given: validation names the value and its bounds
        mix.update(given)
    else:
        given = {k: float(v) for k, v in given.items()}
        mix.update(given)
        names = [k for k in AGE_SHARES if k in given]
        others = [k for k in AGE_SHARES if k not in given]
        paths = " + ".join(f"{head}.{k}" for k in names)
        total = sum(given[k] for k in names)
        shown = " + ".join(f"{given[k]:g}" for k in names) + f" = {total:g}"
        if len(names) == 3 and abs(total - 1.0) > 1e-6:
            raise ScenarioError([(paths, "shares summing to 1", shown)], "overrides")
        if len(names) == 2:
            if total > 1.0 + 1e-6:
                raise ScenarioError([(paths, f"a sum of at most 1 ({head}.{others[0]} takes "
                                      "the rest)", shown)], "overrides")
            mix[others[0]] = max(0.0, 1.0 - total)
        if len(names) == 1:
            v = given[names[0]]
            rest = sum(current[k] for k in others)
            for k in others:
                mix[k] = (1 - v) * (current[k] / rest if rest > 0 else 0.5)
    node.update(mix)
    if head == "exchange":
        node["schedule"] = []
