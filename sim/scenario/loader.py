"""TOML <-> Scenario, with validation that names the field, the expectation and the value.

Unknown keys are rejected. All problems found in a file are reported together,
one line each, as ``path: expected ..., got ...``.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
import typing
from functools import cache
from pathlib import Path
from typing import Any

from sim.scenario.schema import Scenario

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
]

MAX_TOML_BYTES = 1_000_000


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
    mixes = [("exchange", sc.exchange)] + [
        (f"exchange.schedule[{i}]", p) for i, p in enumerate(sc.exchange.schedule)]
    for where, mix in mixes:
        total = mix.restricted + mix.generalized + mix.complex
        if abs(total - 1.0) > 1e-6:
            problems.append((f"{where}", "restricted + generalized + complex = 1",
                             f"a sum of {total:g}"))
    ticks = [p.tick for p in sc.exchange.schedule]
    if ticks != sorted(set(ticks)):
        problems.append(("exchange.schedule[].tick", "strictly increasing ticks", _show(ticks)))
    needs_platform = sc.exchange.generalized > 0 or any(p.generalized > 0 for p in sc.exchange.schedule)
    if needs_platform and not any(m.kind == "platform" for m in sc.intermediaries):
        problems.append(("intermediaries", "at least one intermediary of kind 'platform' "
                         "when generalized exchange is used", "none"))
    if sc.network.kind == "edgelist" and not sc.network.edgelist_path:
        problems.append(("network.edgelist_path", "a file path when network.kind = 'edgelist'", "''"))


def scenario_from_dict(data: dict, source: str = "") -> Scenario:
    """Validate a plain dict (as parsed from TOML) into a Scenario.

    Raises:
        ScenarioError: listing every problem found.
    """
    problems: list[tuple[str, str, str]] = []
    sc = _build(Scenario, data, "", problems)
    if not problems:
        _cross_checks(sc, problems)
    if problems:
        raise ScenarioError(problems, source)
    return sc


def scenario_from_toml(text: str, source: str = "") -> Scenario:
    """Parse and validate TOML text. Never executes or unpickles anything."""
    size = len(text.encode("utf-8", "ignore"))
    if size > MAX_TOML_BYTES:
        raise ScenarioError([("(file)", f"at most {MAX_TOML_BYTES} bytes", f"{size} bytes")], source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([("(syntax)", "valid TOML", str(exc))], source) from None
    return scenario_from_dict(data, source)


def load_scenario(path: str | Path) -> Scenario:
    """Load a scenario file, or a preset by name (``exlab list`` shows them)."""
    from sim.scenario.presets import resolve

    p = resolve(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError([("(file)", "a readable scenario file or preset name",
                              f"{path!s} ({exc.strerror})")]) from None
    return scenario_from_toml(text, str(path))


def scenario_to_dict(sc: Any) -> Any:
    """Scenario -> plain dict of TOML-able values (the inverse of scenario_from_dict)."""
    if dataclasses.is_dataclass(sc):
        return {f.name: scenario_to_dict(getattr(sc, f.name)) for f in dataclasses.fields(sc)}
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
        return _Section({f.name: _mark_sections(getattr(sc, f.name)) for f in dataclasses.fields(sc)})
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
    """Read a parameter by its path (``exchange.complex``, ``firms[0].quality``)."""
    node, last = _walk(scenario_to_dict(sc), path)
    if not isinstance(node, dict) or last not in node:
        raise ScenarioError([(path, "a parameter path such as firms[0].quality", _show(path))])
    return node[last]


def with_overrides(sc: Scenario, overrides: dict[str, Any]) -> Scenario:
    """Return a validated copy of ``sc`` with parameters set by path.

    ``firms[*].quality`` sets the field in every firm. Setting one of the
    three exchange shares alone is allowed: the other two are rescaled so the
    mix still sums to one.
    """
    data = scenario_to_dict(sc)
    for path, value in overrides.items():
        targets = [path]
        if "[*]" in path:
            head = path.split("[*]")[0]
            n = len(get_path(sc, head))
            targets = [path.replace("[*]", f"[{i}]", 1) for i in range(n)]
        for target in targets:
            node, last = _walk(data, target)
            if not isinstance(node, dict) or last not in node:
                raise ScenarioError([(target, "a parameter path such as firms[0].quality",
                                      _show(target))])
            if isinstance(value, (int, float)) and isinstance(node[last], float):
                value = float(value)
            node[last] = value
            if target.startswith("exchange.") and last in ("restricted", "generalized", "complex"):
                _rebalance(node, last)
    return scenario_from_dict(data, "overrides")


def _rebalance(mix: dict, fixed: str) -> None:
    others = [k for k in ("restricted", "generalized", "complex") if k != fixed]
    v = mix[fixed]
    if not isinstance(v, (int, float)) or not 0 <= v <= 1:
        return
    rest = sum(mix[k] for k in others)
    for k in others:
        mix[k] = (1 - v) * (mix[k] / rest if rest > 0 else 0.5)

