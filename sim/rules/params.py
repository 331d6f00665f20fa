"""Typed parameter groups for the compiled rules, built from the scenario schema.

A rule takes its parameters as one group, e.g. ``tr.negative_weight`` from the
``trust`` section, never as a long list of positional numbers: a swapped pair
of arguments cannot pass unnoticed. Each group is a ``NamedTuple`` (which numba
compiles to a struct) generated from a schema section: its fields are the
section's numeric and boolean parameters, with the same names, so adding a
parameter to the schema adds it to the group.
"""

from __future__ import annotations

import dataclasses
from collections import namedtuple
from typing import Any

__all__ = ["group"]

_TYPES: dict[type, type] = {}


def _numeric(f: dataclasses.Field, value: Any) -> bool:
    return isinstance(value, (bool, int, float)) and not f.metadata.get("section")


def group(section: Any):
    """The numeric and boolean parameters of a schema section as a named tuple.

    Floats stay floats, integers become floats (rules compute in float64) and
    booleans stay booleans, so a group compiles to one type per section.
    """
    cls = type(section)
    names = [f.name for f in dataclasses.fields(cls) if _numeric(f, getattr(section, f.name))]
    typ = _TYPES.get(cls)
    if typ is None:
        typ = namedtuple(cls.__name__.removesuffix("Params") + "Group", names, module=__name__)
        globals()[typ.__name__] = typ
        _TYPES[cls] = typ
    return typ(*(v if isinstance(v := getattr(section, n), bool) else float(v) for n in typ._fields))


def _declare_all() -> None:
    """Create every section's group type at import, so cached compiled passes can name them."""
    from sim.scenario import schema

    for name in schema.__all__:
        cls = getattr(schema, name)
        if isinstance(cls, type) and dataclasses.is_dataclass(cls) and name.endswith("Params"):
            group(cls())


_declare_all()
