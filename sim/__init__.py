"""ExchangeLab: agent-based simulation of customer-relationship exchange networks.

The public API:

- :class:`ExchangeModel`: the Mesa model;
- :class:`Scenario`, :func:`load_scenario`, :class:`ScenarioError`: scenarios;
- :func:`simulate` and :class:`Results`: the one entry point for every front end;
- :class:`ExchangeAge`: Bagozzi's (1975) restricted, generalized and complex exchange;
- ``__version__``: the package version.
"""

__version__ = "0.1.0"

from sim.ages import ExchangeAge
from sim.model import ExchangeModel
from sim.run import Results, simulate
from sim.scenario import Scenario, ScenarioError, load_scenario

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
