"""Calibration files: which scenario, which parameters with which priors, against which KPI series, on what budget.

A calibration file is TOML, validated by the scenario loader's machinery (the
``param``/``section``/``table_list`` declarations and ``build_table``, as for
experiment and decision files): unknown keys are rejected and every problem
is reported as ``path: expected ..., got ...`` through
:class:`~sim.scenario.ScenarioError`. Parameter paths are checked against the
scenario schema; a prior's bounds must lie inside the schema's bounds.

Example::

    name = "bank"
    base = "default_bank"           # preset name, or a scenario file relative to this file
    consumers = 2000                # model population (optional override of population.consumers)
    observed = "bank_kpis.csv"      # the KPI series, relative to this file (sim.calibration.observed)
    customers = 20000               # the firm's customers: rescales count and money columns to the model
    outcomes = []                   # KPI columns to fit (empty: every KPI column of the CSV)
    summary = "levels"              # "levels": each KPI's mean over the periods; "series": every period
    replications = 1                # runs per evaluation, their KPI series averaged
    band_draws = 40                 # posterior draws simulated for the predictive bands
    seed = 1

    [[parameters]]                  # estimated; prior uniform on [low, high]
    path = "churn.max_rate_per_year"
    low = 0.1                       # optional: the schema's bounds by default
    high = 2.0

    [budget]
    generations = 8                 # ABC-SMC populations at most (generation 0 samples the prior)
    population_size = 100           # accepted particles per generation
    max_simulations = 5000          # stop after the generation that reaches this many simulations
    min_epsilon = 0.0               # stop once the tolerance is at or below this
    min_acceptance_rate = 0.05      # stop (abandon the generation, serial) when acceptance falls below
    quantile = 0.5                  # next tolerance: this weighted quantile of the accepted distances

The run length is set by the data: ``run.ticks`` = days per period x the last
period of the CSV. The calibrated parameters must be real numbers
(``float`` in the schema); a prior's width must be positive.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sim.calibration.observed import Observed, read_observed
from sim.experiments.spec import _schema_field
from sim.metrics import OUTCOMES
from sim.scenario import Scenario, ScenarioError, load_scenario, with_overrides
from sim.scenario.loader import build_table, parse_toml, read_toml_file, show_value
from sim.scenario.schema import param, section, table_list

__all__ = ["Budget", "Calibration", "CalibrationFile", "Parameter", "calibration_from_toml", "load_calibration",
           "model_customers"]

SUMMARIES = ("levels", "series")


@dataclass(frozen=True)
class Parameter:
    """A ``[[parameters]]`` table: a scenario parameter and its uniform prior ``[low, high]``."""

    path: str | None = param(None, meaning="Scenario parameter path such as churn.max_rate_per_year (required).")
    low: float | None = param(None, meaning="Lowest value of the prior (default: the schema's lower bound).")
    high: float | None = param(None, meaning="Highest value of the prior (default: the schema's upper bound).")


@dataclass(frozen=True)
class Budget:
    """The ``[budget]`` table: when the ABC-SMC stops."""

    generations: int = param(8, unit="generations", bounds=(1, 100),
                             meaning="Populations at most; generation 0 samples the prior.")
    population_size: int = param(100, unit="particles", bounds=(10, 100_000),
                                 meaning="Accepted particles per generation.")
    max_simulations: int = param(5000, unit="simulations", bounds=(1, 10_000_000),
                                 meaning="Stop after the generation that reaches this many simulations.")
    min_epsilon: float = param(0.0, bounds=(0.0, None), meaning="Stop once the tolerance is at or below this.")
    min_acceptance_rate: float = param(0.05, unit="share", bounds=(0.0, 1.0),
                                       meaning="Stop when a generation accepts fewer (serial: abandon it).")
    quantile: float = param(0.5, unit="share", bounds=(0.05, 0.95),
                            meaning="The next tolerance is this weighted quantile of the accepted distances.")


@dataclass(frozen=True)
class CalibrationFile:
    """A calibration file as written."""

    name: str | None = param(None, meaning="Name (default: the file's stem).")
    description: str = param("", meaning="What is calibrated and on which data (free text).")
    base: str | None = param(None, meaning="Preset name or scenario file path (required).")
    consumers: int | None = param(None, unit="consumers", bounds=(10, 50_000_000),
                                  meaning="Model population (override of population.consumers).")
    observed: str | None = param(None, meaning="KPI CSV, relative to the calibration file (required).")
    customers: float | None = param(None, unit="customers", bounds=(1.0, None),
                                    meaning="The firm's customers: rescales count and money KPIs to the model.")
    outcomes: list[str] = param([], meaning="KPI columns to fit, by outcome name (empty: all of the CSV's).")
    summary: str = param("levels", choices=SUMMARIES,
                         meaning='"levels": each KPI\'s mean over the observed periods; "series": every period.')
    replications: int = param(1, unit="runs", bounds=(1, 100), meaning="Runs per evaluation, averaged.")
    band_draws: int = param(40, unit="draws", bounds=(2, 10_000),
                            meaning="Posterior draws simulated for the posterior-predictive bands.")
    seed: int = param(1, bounds=(0, 2**32 - 1), meaning="Root seed of the runs and of the sampler.")
    parameters: list = table_list(Parameter, "The parameters to estimate.")
    budget: Budget = section(Budget, "When the ABC-SMC stops.")


@dataclass(frozen=True)
class Calibration:
    """A validated calibration file (``base`` has consumers and ticks applied).

    Attributes:
        parameters: The estimated parameters, each with its prior bounds filled in.
        observed: The KPI series (model units in ``observed.model``).
        customers: The firm's customers (None when no KPI needs rescaling).
        model_customers: The model's customers at the start (see :func:`model_customers`).
    """

    name: str
    source: str
    text: str
    base: Scenario
    parameters: tuple[Parameter, ...]
    observed: Observed
    summary: str
    replications: int
    band_draws: int
    seed: int
    budget: Budget
    customers: float | None
    model_customers: float
    description: str = ""
    observed_sha256: str = ""

    @property
    def sha256(self) -> str:
        """SHA-256 of the file's text and the observed data (a changed one is refused on resume)."""
        return hashlib.sha256((self.text + "\0" + self.observed_sha256).encode("utf-8")).hexdigest()

    @property
    def names(self) -> list[str]:
        """The parameter paths, in file order."""
        return [str(p.path) for p in self.parameters]

    def with_observed(self, observed: Observed) -> Calibration:
        """The same calibration against other series (e.g. shorter), the run length following them."""
        base = with_overrides(self.base, {"run.ticks": observed.ticks})
        return replace(self, observed=observed, base=base,
                       observed_sha256=hashlib.sha256(observed.firm.to_csv().encode()).hexdigest())


def model_customers(sc: Scenario) -> float:
    """The model's customers at the start: ``population.consumers x (1 - population.prospect_share)``."""
    return sc.population.consumers * (1.0 - sc.population.prospect_share)


def load_calibration(path: str | Path) -> Calibration:
    """Read and validate a calibration file; raises :class:`ScenarioError` listing every problem."""
    p = Path(path)
    text = read_toml_file(p, "calibration file")
    return calibration_from_toml(text, str(path), base_dir=p.parent, default_name=p.stem)


def calibration_from_toml(text: str, source: str = "", *, base_dir: str | Path = ".",
                          default_name: str = "calibration", observed_csv: Any = None) -> Calibration:
    """Parse and validate calibration TOML text.

    Args:
        text: The TOML text.
        source: Its name in messages.
        base_dir: Folder that relative paths (``base``, ``observed``) start from.
        default_name: Name when the file gives none.
        observed_csv: The KPI CSV as bytes or an open buffer (an upload), used
            instead of the file's ``observed`` path (which may then be left out).
    """
    data = parse_toml(text, source)
    problems: list[tuple[str, str, str]] = []
    f = build_table(CalibrationFile, data, "", problems)
    if problems:
        raise ScenarioError(problems, source)
    base_dir = Path(base_dir)
    base = _base(f, base_dir, problems)
    params = _parameters(f, base, problems)
    names = {o.name for o in OUTCOMES}
    for i, name in enumerate(f.outcomes):
        if name not in names:
            problems.append((f"outcomes[{i}]", "an outcome name of sim.metrics.OUTCOMES", show_value(name)))
    observed, digest = None, ""
    if f.observed is None and observed_csv is None:
        problems.append(("observed", "the KPI CSV file, relative to the calibration file", "none"))
    elif base is not None and not problems:
        m = model_customers(base)
        try:
            if observed_csv is not None:
                raw = observed_csv if isinstance(observed_csv, bytes) else observed_csv.read()
                raw = raw.encode("utf-8") if isinstance(raw, str) else raw
                src = "uploaded CSV"
            else:
                path = base_dir / f.observed
                src = f.observed
                raw = _read_csv_bytes(path, src)
            import io

            observed = read_observed(io.BytesIO(raw), customers=f.customers, model_customers=m,
                                     outcomes=list(f.outcomes) or None, source=src)
            digest = hashlib.sha256(raw).hexdigest()
        except ScenarioError as exc:
            problems.extend((f"observed ({exc.source}): {p}" if exc.source else f"observed: {p}", e, g)
                            for p, e, g in exc.problems)
    if problems:
        raise ScenarioError(problems, source)
    assert base is not None and observed is not None
    base = with_overrides(base, {"run.ticks": observed.ticks})
    return Calibration(name=f.name or default_name, source=source, text=text, base=base, parameters=tuple(params),
                       observed=observed, summary=f.summary, replications=f.replications, band_draws=f.band_draws,
                       seed=f.seed, budget=f.budget, customers=f.customers, model_customers=model_customers(base),
                       description=f.description, observed_sha256=digest)


def _read_csv_bytes(path: Path, shown: str) -> bytes:
    from sim.calibration.observed import MAX_CSV_BYTES

    try:
        with open(path, "rb") as fh:
            return fh.read(MAX_CSV_BYTES + 1)
    except OSError as exc:
        raise ScenarioError([("(file)", "a readable CSV file", f"{shown} ({exc.strerror or exc})")]) from None


def _base(f: CalibrationFile, base_dir: Path, problems: list) -> Scenario | None:
    if not f.base:
        problems.append(("base", "a preset name or scenario file path", "none"))
        return None
    candidate = base_dir / f.base
    target = candidate if (candidate.exists() or f.base.endswith(".toml")) else f.base
    try:
        sc = load_scenario(target)
        return with_overrides(sc, {"population.consumers": f.consumers}) if f.consumers is not None else sc
    except ScenarioError as exc:
        problems.extend((f"base ({f.base}): {p}", e, g) for p, e, g in exc.problems)
        return None


def _parameters(f: CalibrationFile, base: Scenario | None, problems: list) -> list[Parameter]:
    out: list[Parameter] = []
    seen: dict[str, int] = {}
    if not f.parameters:
        problems.append(("parameters", "at least one [[parameters]] table", "none"))
    for i, t in enumerate(f.parameters):
        where = f"parameters[{i}]"
        if t.path is None:
            problems.append((f"{where}.path", "a scenario parameter path such as churn.max_rate_per_year", "none"))
            continue
        field = _schema_field(t.path)
        if field is None or field.type is not float:
            what = "a real-valued scenario parameter path such as churn.max_rate_per_year"
            got = show_value(t.path) + (" (an integer parameter)" if field is not None and field.type is int else "")
            problems.append((f"{where}.path", what, got))
            continue
        if t.path in seen:
            problems.append((f"{where}.path", "a parameter estimated once", f"{show_value(t.path)} "
                             f"(also parameters[{seen[t.path]}])"))
            continue
        seen[t.path] = i
        lo_s, hi_s = field.meta.get("bounds") or (None, None)
        low = t.low if t.low is not None else lo_s
        high = t.high if t.high is not None else hi_s
        bad = False
        for key, v, given in (("low", low, t.low), ("high", high, t.high)):
            if v is None:
                problems.append((f"{where}.{key}", f"a value ({t.path} has no {'lower' if key == 'low' else 'upper'} "
                                 "bound in the schema)", "none"))
                bad = True
            elif given is not None and ((lo_s is not None and v < lo_s) or (hi_s is not None and v > hi_s)):
                problems.append((f"{where}.{key}", f"a value within the schema's bounds [{lo_s}, {hi_s}]",
                                 show_value(v)))
                bad = True
        if bad:
            continue
        if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
            problems.append((f"{where}.high", f"a value above low ({low:g})", show_value(high)))
            continue
        if base is not None:
            for v in (low, high):
                try:
                    with_overrides(base, {t.path: float(v)})
                except ScenarioError as exc:
                    p, e, g = exc.problems[0]
                    problems.append((f"{where} ({t.path} = {v:g})", f"a valid base scenario ({p}: expected {e})", g))
                    break
        out.append(Parameter(t.path, float(low), float(high)))
    return out
