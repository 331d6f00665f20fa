"""A firm's KPI series: reading the CSV, its units, and the measurement model that maps them onto the model's outcomes.

**The file.** A CSV with one period column and one column per KPI. Lines
starting with ``#`` are comments (``# synthetic: ...``). Empty cells (or
``NA``) are missing values; a KPI needs at least :data:`MIN_POINTS` observed
periods.

- The **period column** is named ``day``, ``week`` or ``month`` and holds the
  period's number, 1, 2, ... counted from the start of the run (period p of
  length L days covers the model's days ``L (p - 1) + 1 .. L p``; a month is
  30 days). Periods increase strictly; gaps are allowed (missing periods).
  The run simulates ``L x (last period)`` days.
- A **KPI column** is headed ``outcome [unit]``: an outcome name of
  :data:`sim.metrics.OUTCOMES` and the unit the firm measures it in, e.g.
  ``churn_rate [1/year]``, ``satisfaction [0-1]``, ``"satisfaction [1-5]"``,
  ``contacts_human [contacts]``. The unit is required (a bare name is refused),
  so that a share is never read as a percentage. A header with a comma
  (``"satisfaction [0,1]"``) must be quoted, as CSV requires.

**Aggregation.** The model records one value per day; a period's value is the
outcome's registry rule (``Outcome.summary``) over the period's days:
``sum`` (counts: the period's total), ``mean`` (the mean of the daily values,
NaN days skipped) or ``last`` (the state on the period's last recorded day).

**Measurement model.** Every unit maps the firm's value ``x`` linearly onto
the model's outcome ``y = a x + b`` (:func:`unit_map`); simulated values are
shown in the firm's units by the inverse ``x = (y - b) / a``:

- outcomes on ``[0,1]`` (satisfaction, trust, ...) and shares: ``[0-1]`` or
  ``share`` (a = 1), ``%`` (a = 0.01), or a score range ``[lo-hi]`` such as a
  CSAT mean on ``[1-5]``, mapped linearly: ``y = (x - lo) / (hi - lo)``
  (an assumption: the score's mean is taken as a linear reading of the
  model's satisfaction; a CSAT of 4.2 on 1-5 is 0.8);
- rates per year (``churn_rate``): ``1/year`` (a = 1), ``%/year`` (0.01),
  ``1/month`` (365 / 30), ``%/month`` (0.01 x 365 / 30), ``1/week``
  (365 / 7), ``%/week`` (0.01 x 365 / 7): a monthly churn of 2% (leavers in
  the month over customers) is 0.02 x 365 / 30 = 0.243 per year, the model's
  annualised daily rate (exact for small rates);
- times: ``hours``/``h``, ``minutes``/``min``, ``days``, ``seconds``/``s``
  converted to the outcome's own unit;
- counts and money (units ``contacts``, ``calls``, ``consumers``, ``EUR``,
  ...: the registry unit of the outcome): the firm's totals, rescaled to the
  model's population: ``y = x x M / C`` with ``C`` the firm's customers
  (``customers`` in the calibration file) and ``M`` the model's customers at
  the start, ``population.consumers x (1 - population.prospect_share)``. A
  firm of 20,000 customers with 4,000 calls answered by people in a month
  matches 360 in a model of 2,000 consumers of whom 10% are prospects.

Problems (an unknown column, a wrong unit, a bad period, too few points) are
raised as one :class:`~sim.scenario.ScenarioError` line each.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.metrics import OUTCOMES, outcome
from sim.scenario import ScenarioError

__all__ = ["DAYS_PER_PERIOD", "MAX_CSV_BYTES", "MIN_POINTS", "Kpi", "Observed", "aggregate", "read_observed",
           "unit_map", "units_for"]

#: Length of each period kind, in days (one tick is one day; a month is 30 days).
DAYS_PER_PERIOD = {"day": 1, "week": 7, "month": 30}
#: Fewest observed (non-missing) periods a KPI column needs.
MIN_POINTS = 3
#: Largest CSV read.
MAX_CSV_BYTES = 10_000_000
#: Longest run the periods may ask for (the schema's bound on run.ticks).
MAX_DAYS = 36500

_NAMES = {o.name for o in OUTCOMES}
_HEADER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[\s*(.*?)\s*\])?\s*$")
_RANGE = re.compile(r"^(-?\d+(?:\.\d+)?)\s*[-,]\s*(-?\d+(?:\.\d+)?)$")
_TIME_IN_HOURS = {"hours": 1.0, "h": 1.0, "minutes": 1 / 60, "min": 1 / 60, "seconds": 1 / 3600, "s": 1 / 3600,
                  "days": 24.0}
_RATE_PER_YEAR = {"1/year": 1.0, "%/year": 0.01, "1/month": 365 / 30, "%/month": 0.01 * 365 / 30,
                  "1/week": 365 / 7, "%/week": 0.01 * 365 / 7}
#: Registry units that are counts or money: totals of the firm, rescaled by its customers.
_EXTENSIVE = {"consumers", "contacts", "meetings", "messages", "posts", "requests", "calls", "complaints",
              "purchases", "people", "EUR"}
#: Outcomes in those units that do not grow with the population (sizes of one cascade), left as they are.
_INTENSIVE = {"cascade_largest"}


def units_for(name: str) -> list[str]:
    """The units a column of outcome ``name`` may be given in (examples, for messages)."""
    unit = outcome(name).unit
    if unit in ("[0,1]", "share"):
        return ["0-1", "share", "%", "1-5 (any score range lo-hi)"]
    if unit == "1/year":
        return list(_RATE_PER_YEAR)
    if unit in ("hours", "minutes"):
        return list(_TIME_IN_HOURS)
    return [unit]


def unit_map(name: str, unit: str, *, customers: float | None = None,
             model_customers: float | None = None) -> tuple[float, float] | None:
    """``(a, b)`` such that the model's outcome is ``a x + b`` for the firm's value ``x`` in ``unit``.

    Returns None for a unit that does not fit the outcome. For counts and money
    (see the module docstring) ``customers`` and ``model_customers`` are needed;
    without them the map is ``(nan, 0)``, which the caller reports.
    """
    o = outcome(name)
    u = unit.strip()
    if o.unit in ("[0,1]", "share"):
        if u == "share":
            return 1.0, 0.0
        if u == "%":
            return 0.01, 0.0
        m = _RANGE.fullmatch(u)
        if m:
            lo, hi = float(m.group(1)), float(m.group(2))
            if hi > lo:
                return 1.0 / (hi - lo), -lo / (hi - lo)
        return None
    if o.unit == "1/year":
        a = _RATE_PER_YEAR.get(u)
        return None if a is None else (a, 0.0)
    if o.unit in ("hours", "minutes"):
        a = _TIME_IN_HOURS.get(u)
        if a is None:
            return None
        return (a, 0.0) if o.unit == "hours" else (a * 60.0, 0.0)
    if u != o.unit:
        return None
    if o.unit in _EXTENSIVE and name not in _INTENSIVE:
        if not customers or not model_customers:
            return math.nan, 0.0
        return model_customers / customers, 0.0
    return 1.0, 0.0


@dataclass(frozen=True)
class Kpi:
    """One KPI column: the outcome it measures, the firm's unit and the measurement map ``y = a x + b``."""

    outcome: str
    column: str
    unit: str
    a: float
    b: float

    def to_model(self, x: Any) -> Any:
        """Firm's values -> the model's outcome."""
        return self.a * np.asarray(x, dtype=float) + self.b

    def to_firm(self, y: Any) -> Any:
        """The model's outcome -> the firm's units."""
        return (np.asarray(y, dtype=float) - self.b) / self.a


@dataclass(frozen=True)
class Observed:
    """A firm's KPI series, validated.

    Attributes:
        period: ``day``, ``week`` or ``month``.
        days: Days per period.
        periods: The period numbers of the rows (1-based, increasing).
        kpis: The KPI columns, in file order.
        firm: The values as given (firm's units): index ``periods``, one column per outcome; NaN = missing.
        model: The same in the model's units (through each KPI's measurement map).
        source: Where the series came from (for messages).
    """

    period: str
    days: int
    periods: tuple[int, ...]
    kpis: tuple[Kpi, ...]
    firm: pd.DataFrame
    model: pd.DataFrame
    source: str = ""

    @property
    def ticks(self) -> int:
        """Days the run must simulate to cover the last period."""
        return self.days * max(self.periods)

    @property
    def outcomes(self) -> list[str]:
        """The outcome names, in column order."""
        return [k.outcome for k in self.kpis]

    def kpi(self, name: str) -> Kpi:
        """The KPI column of outcome ``name``."""
        return next(k for k in self.kpis if k.outcome == name)

    def truncated(self, last_period: int) -> Observed:
        """The series up to ``last_period`` (used to compare series lengths)."""
        keep = [p for p in self.periods if p <= last_period]
        return Observed(self.period, self.days, tuple(keep), self.kpis, self.firm.loc[keep], self.model.loc[keep],
                        self.source)


def aggregate(table: pd.DataFrame, outcomes: list[str], days: int, periods: Any = None) -> pd.DataFrame:
    """A run's per-day table reduced to periods of ``days`` days by each outcome's registry rule.

    Args:
        table: The run's table (a ``tick`` column, day 1 first).
        outcomes: Outcome names.
        days: Days per period.
        periods: Period numbers to keep (default: every complete period).

    Returns:
        Index: period number (1-based); one column per outcome. A period whose
        days recorded nothing is NaN (``sum`` included).
    """
    from sim.analysis import summarize_runs

    ticks = table["tick"].to_numpy()
    frame = table[list(outcomes)].assign(period=(ticks - 1) // days + 1)
    out = summarize_runs(frame, list(outcomes), ["period"])
    out.index = out.index.astype(int)
    if periods is None:
        periods = [p for p in out.index if p * days <= int(ticks.max())]
    return out.reindex(list(periods))


def read_observed(path_or_buffer: str | Path | io.IOBase, *, customers: float | None = None,
                  model_customers: float | None = None, outcomes: list[str] | None = None,
                  source: str | None = None) -> Observed:
    """Read and check a KPI CSV (see the module docstring for the format and the measurement model).

    Args:
        path_or_buffer: A file path, or an open text/binary buffer (an upload).
        customers: The firm's customers (needed for count and money columns).
        model_customers: The model's customers at the start (needed with ``customers``).
        outcomes: Use only these outcomes' columns (default: every KPI column).
        source: Name used in messages (default: the path).

    Raises:
        ScenarioError: every problem found, one ``path: expected ..., got ...`` line each.
    """
    src = source or (str(path_or_buffer) if isinstance(path_or_buffer, (str, Path)) else "observed data")
    raw = _read_bytes(path_or_buffer, src)
    try:
        df = pd.read_csv(io.BytesIO(raw), comment="#", skipinitialspace=True, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise ScenarioError([("(file)", "a CSV file with a period column and KPI columns",
                              " ".join(str(exc).split())[:120])], src) from None
    problems: list[tuple[str, str, str]] = []
    period_cols = [c for c in df.columns if str(c).strip().lower() in DAYS_PER_PERIOD]
    if len(period_cols) != 1:
        problems.append(("(header)", "one period column named day, week or month",
                         "none" if not period_cols else ", ".join(map(repr, period_cols))))
        raise ScenarioError(problems, src)
    pcol = period_cols[0]
    kind = str(pcol).strip().lower()
    periods = _periods(df[pcol], kind, problems)
    kpis, firm = [], {}
    seen: dict[str, str] = {}
    for col in df.columns:
        if col == pcol:
            continue
        where = f"column {col!r}"
        m = _HEADER.fullmatch(str(col))
        name = m.group(1) if m else None
        if name not in _NAMES:
            problems.append((where, "an outcome name of sim.metrics.OUTCOMES with its unit, such as "
                             f"churn_rate [1/year]{_near(str(name or col))}", repr(str(col))))
            continue
        if outcomes is not None and name not in outcomes:
            continue
        unit = m.group(2)
        if unit is None or not unit:
            problems.append((where, f"the unit in brackets after the name, such as {name} [{units_for(name)[0]}]",
                             "no unit"))
            continue
        if name in seen:
            problems.append((where, f"one column per outcome ({name} is also {seen[name]!r})", repr(str(col))))
            continue
        seen[name] = str(col)
        ab = unit_map(name, unit, customers=customers, model_customers=model_customers)
        if ab is None:
            problems.append((where, f"a unit of {name} (one of {', '.join(units_for(name))})", repr(unit)))
            continue
        if math.isnan(ab[0]):
            problems.append((where, f"the firm's customer count (customers = ... in the calibration file) to "
                             f"rescale {outcome(name).unit} to the model's population", "none"))
            continue
        values = _numbers(df[col], where, problems)
        n = int(np.count_nonzero(~np.isnan(values)))
        if n < MIN_POINTS:
            problems.append((where, f"at least {MIN_POINTS} observed periods", str(n)))
        kpis.append(Kpi(name, str(col), unit.strip(), float(ab[0]), float(ab[1])))
        firm[name] = values
    if outcomes is not None:
        for name in outcomes:
            if name not in seen:
                problems.append(("outcomes", f"a KPI column of the CSV ({', '.join(seen) or 'none found'})",
                                 repr(name)))
    if not problems and not kpis:
        problems.append(("(header)", "at least one KPI column such as churn_rate [1/year]", "none"))
    if problems:
        raise ScenarioError(problems, src)
    days = DAYS_PER_PERIOD[kind]
    if days * max(periods) > MAX_DAYS:
        raise ScenarioError([(pcol, f"periods covering at most {MAX_DAYS} days", f"{days * max(periods)} days")],
                            src)
    firm_df = pd.DataFrame(firm, index=pd.Index(periods, name="period"))
    model_df = pd.DataFrame({k.outcome: k.to_model(firm_df[k.outcome]) for k in kpis}, index=firm_df.index)
    return Observed(kind, days, tuple(periods), tuple(kpis), firm_df, model_df, src)


def _read_bytes(path_or_buffer: Any, src: str) -> bytes:
    if isinstance(path_or_buffer, (str, Path)):
        try:
            with open(path_or_buffer, "rb") as fh:
                raw = fh.read(MAX_CSV_BYTES + 1)
        except OSError as exc:
            raise ScenarioError([("(file)", "a readable CSV file", f"{src} ({exc.strerror or exc})")]) from None
    else:
        raw = path_or_buffer.read(MAX_CSV_BYTES + 1)
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
    if len(raw) > MAX_CSV_BYTES:
        raise ScenarioError([("(file)", f"at most {MAX_CSV_BYTES} bytes", "a larger file")], src)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError([("(file)", "UTF-8 text", f"byte 0x{raw[exc.start]:02x} at offset {exc.start}")],
                            src) from None
    return raw.removeprefix(b"\xef\xbb\xbf")


def _periods(col: pd.Series, kind: str, problems: list) -> list[int]:
    out = []
    for i, v in enumerate(col.tolist()):
        text = str(v).strip()
        if not re.fullmatch(r"\d+", text) or int(text) < 1:
            problems.append((f"{kind} (row {i + 1})", f"a {kind} number 1, 2, ... counted from the start",
                             repr(text)))
            return []
        out.append(int(text))
    if any(b <= a for a, b in zip(out, out[1:], strict=False)):
        problems.append((kind, f"strictly increasing {kind} numbers (one row per {kind})",
                         ", ".join(map(str, out[:8])) + (" ..." if len(out) > 8 else "")))
    if not out and not problems:
        problems.append((kind, f"at least {MIN_POINTS} rows", "none"))
    return out


def _numbers(col: pd.Series, where: str, problems: list) -> np.ndarray:
    values = np.full(len(col), np.nan)
    for i, v in enumerate(col.tolist()):
        text = str(v).strip()
        if text in ("", "NA", "NaN", "nan", "N/A", "-"):
            continue
        try:
            x = float(text)
        except ValueError:
            problems.append((f"{where} (row {i + 1})", "a number or an empty cell", repr(text)))
            continue
        if not math.isfinite(x):
            problems.append((f"{where} (row {i + 1})", "a finite number or an empty cell", repr(text)))
            continue
        values[i] = x
    return values


def _near(name: str) -> str:
    import difflib

    near = difflib.get_close_matches(name, sorted(_NAMES), n=3, cutoff=0.6)
    return f" (did you mean {', '.join(near)}?)" if near else ""
