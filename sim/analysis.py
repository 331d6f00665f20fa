"""Shared analysis of run outputs: each outcome's summary over a run, and t intervals.

One definition of each, used by :meth:`sim.run.Results.summary`, the
experiment runs and reports (:mod:`sim.experiments`) and the dashboard.

**Summary over a run.** Each outcome is reduced over its ticks by its registry
rule (:data:`sim.metrics.OUTCOMES`), skipping ticks where it is missing (NaN):

- ``last``: the last recorded value;
- ``mean``: the mean of the recorded values;
- ``sum``: the total of the recorded values.

A series with no recorded value (every tick NaN, or no tick at all) summarises
to NaN under every rule: a total of nothing recorded is unknown, not zero.

**t interval.** For a sample y_1..y_n (missing values dropped first)::

    mean = sum(y) / n,   half-width = t(1 - (1 - level) / 2, n - 1) * sd / sqrt(n)

with ``sd`` the sample standard deviation (ddof = 1). With fewer than two
values there is no interval: the half-width is NaN (and with none, so is the
mean). **Welch interval** of a difference of two means a - b (unequal variances,
Welch-Satterthwaite degrees of freedom): :func:`welch_ci`, used for campaign
effects (:mod:`sim.rules.campaigns`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.metrics import outcome

__all__ = ["summarize_run", "summarize_runs", "t_half_width", "t_interval", "t_intervals", "welch_ci"]

#: How each registry rule reduces a grouped column; pandas' ``last`` and ``mean``
#: skip NaN and give NaN for an all-NaN group, and ``min_count=1`` makes ``sum`` do the same.
_RULES: dict[str, Callable[[Any], pd.Series]] = {
    "last": lambda g: g.last(),
    "mean": lambda g: g.mean(),
    "sum": lambda g: g.sum(min_count=1),
}


def _reduce(table: pd.DataFrame, names: Sequence[str], keys: Any) -> pd.DataFrame:
    g = table.groupby(keys, sort=False, dropna=False)
    return pd.DataFrame({name: _RULES[outcome(name).summary](g[name]) for name in names})


def summarize_runs(table: pd.DataFrame, names: Sequence[str], by: Sequence[str]) -> pd.DataFrame:
    """Each outcome summarised over its ticks by its registry rule, one row per run.

    Args:
        table: Per-tick rows of one or more runs; a ``tick`` column, if any,
            orders them (otherwise row order is tick order).
        names: Outcome columns (registry names).
        by: Columns that identify a run.

    Returns:
        One row per run, indexed by ``by`` (in order of first appearance), one
        column per outcome; NaN where an outcome was never recorded in that run.
    """
    if "tick" in table.columns:
        table = table.sort_values("tick", kind="stable")
    return _reduce(table, names, list(by))


def summarize_run(table: pd.DataFrame, names: Sequence[str]) -> dict[str, float]:
    """One run's per-tick table reduced to one value per outcome (see :func:`summarize_runs`).

    Args:
        table: The run's rows, in tick order.
        names: Outcome columns (registry names).

    Returns:
        Outcome name -> summary; NaN for an outcome never recorded (or no rows).
    """
    row = _reduce(table, names, np.zeros(len(table), dtype=np.int64))
    return {name: float(row[name].iloc[0]) if len(row) else float("nan") for name in names}


def t_half_width(sd: Any, n: Any, level: float = 0.95) -> np.ndarray:
    """Half-width ``t(q, n - 1) * sd / sqrt(n)`` of the t interval, elementwise.

    Args:
        sd: Sample standard deviation(s) (ddof = 1).
        n: Sample size(s).
        level: Confidence level; ``q = 1 - (1 - level) / 2``.

    Returns:
        The half-width(s); NaN where ``n < 2`` (no interval).
    """
    from scipy import stats

    sd = np.asarray(sd, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    ok = n >= 2
    safe_n = np.where(ok, n, 2.0)
    half = stats.t.ppf(0.5 + level / 2, safe_n - 1) * sd / np.sqrt(safe_n)
    return np.where(ok, half, np.nan)


def t_interval(values: Any, level: float = 0.95) -> tuple[float, float, int]:
    """Mean, t-interval half-width and size of a sample, NaN values dropped.

    Args:
        values: The sample (array-like of numbers).
        level: Confidence level.

    Returns:
        ``(mean, half_width, n)``; the half-width is NaN when ``n < 2`` and the
        mean is NaN when ``n == 0``.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[~np.isnan(v)]
    n = int(v.size)
    mean = float(v.mean()) if n else float("nan")
    sd = float(v.std(ddof=1)) if n > 1 else float("nan")
    return mean, float(t_half_width(sd, n, level)), n


def t_intervals(groups: Any, level: float = 0.95) -> pd.DataFrame:
    """Per group of a grouped column: ``n``, ``mean``, ``sd`` and t-interval ``half``.

    Args:
        groups: A grouped Series (``df.groupby(keys)[column]``); NaN values are skipped.
        level: Confidence level.

    Returns:
        One row per group, indexed by the group keys; ``half`` is NaN where ``n < 2``.
    """
    tab = groups.agg(n="count", mean="mean", sd="std")
    tab["half"] = t_half_width(tab["sd"], tab["n"], level)
    return tab


def welch_ci(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Difference of means a - b with a Welch t confidence interval: (effect, low, high).

    With fewer than two values in either group there is no interval: all three are NaN.
    """
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    if a.size < 2 or b.size < 2:
        return float("nan"), float("nan"), float("nan")
    diff = a.mean() - b.mean()
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = np.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1)) if se > 0 else 1.0
    from scipy import stats

    half = stats.t.ppf(0.5 + level / 2, dof) * se
    return float(diff), float(diff - half), float(diff + half)
