"""Lever widgets built from the scenario schema's metadata.

Label, unit, bounds, choices and help text come from the field declared in
``sim.scenario.schema``. This module adds the grouping of levers by what a
manager decides, and, for the few levers whose field name reads badly on a
widget (the phone lines' staffing and hours), the title a manager reads.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from sim.scenario import iter_params

__all__ = [
    "LEVER_GROUPS",
    "LeverSpec",
    "fmt_setting",
    "lever_problem",
    "lever_spec",
    "render_lever",
    "schema_path",
]

#: Levers grouped by what a manager decides; paths use firm 0 and are re-indexed per firm.
LEVER_GROUPS: dict[str, tuple[str, ...]] = {
    "Exchange age mix": ("exchange.restricted", "exchange.generalized", "exchange.complex"),
    "Channel mix": ("firms[0].automation_share", "firms[0].advisors_per_10k"),
    "Phone lines": (
        "firms[0].phone_agents",
        "firms[0].staffing_beta",
        "channels.phone_open_h",
        "channels.phone_close_h",
        "channels.agent_cost_per_hour_eur",
    ),
    "Back office": ("firms[0].human_capacity_per_tick",),
    "Relational promise": (
        "firms[0].promise_quality",
        "firms[0].promise_response_h",
        "firms[0].message_fit",
    ),
    "Expectation management": ("firms[0].announced_response_h", "firms[0].appointments"),
    "Listening": ("firms[0].listening", "firms[0].answer_in_public"),
    "Data collection": ("firms[0].data_asked", "firms[0].personalization"),
}

_JS_MAX = 2**53 - 1
_INDEX = re.compile(r"\[\d+\]")
#: Labels of the run settings, where the field name alone reads badly ("Ticks (days)").
_LABELS = {"population.consumers": "Consumers", "run.ticks": "Days to simulate", "run.seed": "Seed"}
#: Whole titles of levers whose field name, unit and meaning do not make one (by schema path).
_TITLES = {
    "firms[].phone_agents": "Phone agents (people; 0 = staffed to the calls by the square-root rule)",
    "firms[].staffing_beta": "Square-root rule: quality of service β (more β, more agents)",
    "channels.phone_open_h": "Phone lines open at (hour of day)",
    "channels.phone_close_h": "Phone lines close at (hour of day; 24 with opening at 0: always open)",
    "channels.agent_cost_per_hour_eur": "Cost per agent-hour (EUR, busy or idle)",
    "firms[].human_capacity_per_tick": "Back-office capacity for relayed requests "
    "(answers/day per 1,000 customers; 0 = sized to demand)",
}
#: What the help of a lever adds to the schema's meaning (by schema path).
_HELP = {
    "firms[].phone_agents": "With 0, each day's agents are ceil(R + β √R), R the offered load: "
    "expected calls per open hour times the mean call time in hours (Halfin & Whitt 1981).",
    "firms[].staffing_beta": "Used when phone agents is 0. β = 0 staffs the offered load alone "
    "(callers often wait); each step up adds agents and shortens the waits.",
    "firms[].human_capacity_per_tick": "The back office answers requests relayed by call "
    "platforms (generalized exchange); calls are answered by the phone agents.",
}
#: Step of a number box by unit, where the default step does not suit.
_UNIT_STEPS = {"hour of day": 0.5}
#: Units written the way a widget label reads them ("" : the widget itself shows it).
_UNIT_WORDS = {"share": "", "[0,1]": "0 to 1", "quality [0,1]": "0 to 1"}
#: "0 means no promise", "(0 = no announcement)": what a value of zero stands for.
_ZERO = re.compile(r"\b0 (?:means|=) ([^).;]+)")


def schema_path(path: str) -> str:
    """``firms[2].quality`` -> ``firms[].quality`` (the form ``iter_params`` yields)."""
    return _INDEX.sub("[]", path)


@dataclass(frozen=True)
class LeverSpec:
    """What a widget needs to know about one parameter."""

    path: str
    label: str
    unit: str
    meaning: str
    source: str
    kind: str  #: "float", "int", "bool" or "choice"
    lo: float | None
    hi: float | None
    choices: tuple[str, ...] | None

    @property
    def zero_means(self) -> str | None:
        """What a value of 0 stands for, when the schema gives it a meaning of its own."""
        m = _ZERO.search(self.meaning)
        return m.group(1).strip() if m else None

    @property
    def help(self) -> str:
        """Tooltip: the meaning, then the unit and the source when known."""
        parts = [self.meaning, _HELP.get(schema_path(self.path), "")]
        parts = [p for p in parts if p]
        if self.unit:
            parts.append(f"Unit: {self.unit}.")
        if self.lo is not None and self.hi is not None:
            parts.append(f"Allowed: {self.lo:g} to {self.hi:g}.")
        if self.source:
            parts.append(f"Source: {self.source}.")
        return " ".join(parts)

    @property
    def title(self) -> str:
        """Label with its unit and what 0 means, as shown above the widget.

        ``Consumers``, ``Advisors (per 10,000 customers)``, ``Promise response
        time (hours; 0 = no promise)``: a unit that repeats the label is not
        written twice.
        """
        if schema_path(self.path) in _TITLES:
            return _TITLES[schema_path(self.path)]
        label = _LABELS.get(self.path, self.label)
        unit = _UNIT_WORDS.get(self.unit, self.unit)
        head = label.split()[0].lower()
        if unit and unit.split()[0].lower() == head:
            label = re.sub(r" per \w+$", "", label)
            unit = " ".join(unit.split()[1:])
        unit = unit.replace("1000", "1,000")
        parts = [p for p in (unit, f"0 = {self.zero_means}" if self.zero_means else "") if p]
        return f"{label} ({'; '.join(parts)})" if parts else label

    def problem(self, value: Any) -> str | None:
        """Why ``value`` cannot be used (outside the schema's bounds), or None."""
        if self.kind not in ("int", "float") or value is None:
            return None if value is not None else f"{self.title}: enter a value."
        lo, hi = self.lo, self.hi
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            unit = f" {self.unit}" if self.unit and self.unit not in _UNIT_WORDS else ""
            return (
                f"{self.title}: {_num(value)} is outside the allowed range, "
                f"{_num(lo)} to {_num(hi)}{unit}."
            )
        return None


def _num(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,g}"


@cache
def _fields() -> dict[str, dataclasses.Field]:
    return {p: f for p, f, _owner in iter_params()}


def _kind(f: dataclasses.Field) -> str:
    meta = f.metadata
    if meta.get("choices"):
        return "choice"
    tp = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    return {"bool": "bool", "int": "int", "float": "float"}.get(tp, "float")


def lever_spec(path: str) -> LeverSpec:
    """The schema's description of the parameter at ``path`` (``firms[0].automation_share``)."""
    f = _fields()[schema_path(path)]
    meta = f.metadata
    lo, hi = meta.get("bounds") or (None, None)
    label = re.sub(r"_(h|eur)$", "", f.name)
    if label.endswith("response"):
        label += " time"
    label = re.sub(r"_per_tick$", "", label)  # the unit says "per day"
    label = label.replace("_", " ")
    label = label[0].upper() + label[1:]
    if f.name.startswith("exchange") or path.startswith("exchange."):
        label = f"{label} exchange share"
    return LeverSpec(
        path=path,
        label=label,
        unit=meta.get("unit", ""),
        meaning=meta["meaning"],
        source=meta.get("source", ""),
        kind=_kind(f),
        lo=lo,
        hi=hi,
        choices=meta.get("choices"),
    )


def _step(spec: LeverSpec, value: float) -> float:
    if spec.unit in _UNIT_STEPS:
        return _UNIT_STEPS[spec.unit]
    span = (spec.hi or 0) - (spec.lo or 0)
    if span <= 1:
        return 0.01
    return 1.0 if spec.kind == "int" or abs(value) >= 10 or span > 100 else 0.1


def lever_problem(spec: LeverSpec, value: Any) -> str | None:
    """Why ``value`` cannot be used for ``spec`` (see :meth:`LeverSpec.problem`)."""
    return spec.problem(value)


def fmt_setting(value: Any) -> str:
    """A lever value in a sentence: ``0.95``, ``30``, ``on``, ``per_segment``."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render_lever(
    spec: LeverSpec, value: Any, key: str, container: Any = None, persist: bool = True
) -> Any:
    """Draw the widget for ``spec`` showing ``value``; return what the user set.

    Share-like bounds (span of at most 1) get a slider; wide ranges get a
    number box. Number boxes carry no bounds of their own, so a value typed
    outside the schema's range reaches the page, which names the problem
    (:func:`lever_problem`) and refuses to run, rather than the browser
    silently keeping the previous value. With ``persist`` the value survives a
    visit to another page.
    """
    import streamlit as st

    box = container or st
    keep = {"persist_state": "session"} if persist else {}
    if spec.kind == "bool":
        return box.toggle(spec.title, value=bool(value), key=key, help=spec.help, **keep)
    if spec.kind == "choice":
        opts = list(spec.choices or ())
        return box.radio(
            spec.title,
            opts,
            index=opts.index(value),
            key=key,
            help=spec.help,
            horizontal=True,
            **keep,
        )
    if spec.kind == "int":
        # Browsers hold integers exactly only up to 2**53 - 1.
        got = box.number_input(
            spec.title,
            min_value=-_JS_MAX,
            max_value=_JS_MAX,
            value=int(value),
            step=1,
            key=key,
            help=spec.help,
            **keep,
        )
        return None if got is None else int(got)
    span = (spec.hi or 0) - (spec.lo or 0)
    if spec.lo is not None and spec.hi is not None and span <= 1:
        return float(
            box.slider(
                spec.title,
                min_value=float(spec.lo),
                max_value=float(spec.hi),
                value=float(value),
                step=0.01,
                key=key,
                help=spec.help,
                **keep,
            )
        )
    got = box.number_input(
        spec.title,
        value=float(value),
        step=_step(spec, float(value)),
        key=key,
        help=spec.help,
        **keep,
    )
    return None if got is None else float(got)
