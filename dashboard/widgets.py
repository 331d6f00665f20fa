"""Lever widgets built from the scenario schema's metadata.

Label, unit, bounds, choices and help text come from the field declared in
``sim.scenario.schema``; nothing here retypes them. The grouping of levers by
what a manager decides is the only knowledge this module adds.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from sim.scenario import iter_params

__all__ = ["LEVER_GROUPS", "LeverSpec", "lever_spec", "render_lever", "schema_path"]

#: Levers grouped by what a manager decides; paths use firm 0 and are re-indexed per firm.
LEVER_GROUPS: dict[str, tuple[str, ...]] = {
    "Exchange age mix": ("exchange.restricted", "exchange.generalized", "exchange.complex"),
    "Channel mix and capacity": (
        "firms[0].automation_share",
        "firms[0].human_capacity_per_tick",
        "firms[0].advisors_per_10k",
    ),
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
    def help(self) -> str:
        """Tooltip: the meaning, then the unit and the source when known."""
        parts = [self.meaning]
        if self.unit:
            parts.append(f"Unit: {self.unit}.")
        if self.lo is not None and self.hi is not None:
            parts.append(f"Allowed: {self.lo:g} to {self.hi:g}.")
        if self.source:
            parts.append(f"Source: {self.source}.")
        return " ".join(parts)

    @property
    def title(self) -> str:
        """Label with its unit, as shown above the widget."""
        unit = self.unit if self.unit and self.unit != "share" else ""
        return f"{self.label} ({unit})" if unit else self.label


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
    span = (spec.hi or 0) - (spec.lo or 0)
    if span <= 1:
        return 0.01
    return 1.0 if spec.kind == "int" or abs(value) >= 10 or span > 100 else 0.1


def render_lever(spec: LeverSpec, value: Any, key: str, container: Any = None) -> Any:
    """Draw the widget for ``spec`` showing ``value``; return what the user set.

    Share-like bounds (span of at most 1) get a slider; wide ranges get a
    number box bounded by the schema, since a slider over 0..10,000 cannot be
    set precisely.
    """
    import streamlit as st

    box = container or st
    if spec.kind == "bool":
        return box.toggle(spec.title, value=bool(value), key=key, help=spec.help)
    if spec.kind == "choice":
        opts = list(spec.choices or ())
        return box.radio(
            spec.title, opts, index=opts.index(value), key=key, help=spec.help, horizontal=True
        )
    if spec.kind == "int":
        # Browsers hold integers exactly only up to 2**53 - 1.
        return int(
            box.number_input(
                spec.title,
                min_value=max(int(spec.lo), -_JS_MAX) if spec.lo is not None else None,
                max_value=min(int(spec.hi), _JS_MAX) if spec.hi is not None else None,
                value=int(value),
                step=1,
                key=key,
                help=spec.help,
            )
        )
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
            )
        )
    return float(
        box.number_input(
            spec.title,
            min_value=float(spec.lo) if spec.lo is not None else None,
            max_value=float(spec.hi) if spec.hi is not None else None,
            value=float(value),
            step=_step(spec, float(value)),
            key=key,
            help=spec.help,
        )
    )
