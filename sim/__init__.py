"""ExchangeLab: agent-based simulation of customer-relationship exchange networks.

The public API:

- :class:`ExchangeModel`: the Mesa model;
- :class:`Scenario`, :func:`load_scenario`, :class:`ScenarioError`: scenarios;
- :func:`simulate` and :class:`Results`: the one entry point for every front end;
- :class:`ExchangeAge`: Bagozzi's (1975) restricted, generalized and complex exchange;
- ``__version__``: the package version.
"""

__version__ = "0.1.0"

from typing import TYPE_CHECKING

from sim.scenario import Scenario, ScenarioError, load_scenario

if TYPE_CHECKING:
    from sim.ages import ExchangeAge
    from sim.model import ExchangeModel
    from sim.run import Results, simulate

# The model (and Mesa behind it) is imported on first use, so that `exlab list`,
# `exlab validate` and `--help` answer without paying Mesa's import time.
_LAZY = {"ExchangeAge": "sim.ages", "ExchangeModel": "sim.model", "Results": "sim.run",
         "simulate": "sim.run"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)

__all__ = [
    "ExchangeAge",
    "ExchangeModel",
    "Results",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load_scenario",
    "simulate",
]
