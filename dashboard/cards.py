"""KPI cards: an outcome of a kept run against its baseline, coloured by whether it is good news.

Used by the Scenario lab (the run's KPIs, its phone lines) and the Influence page
(posts, reshares, control share). Each card shows the mean over replications,
the change against the baseline (the preset unchanged, same seeds) in units and
in percent, and whether that change is more than the noise between replications.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from dashboard import stats
from dashboard.formatting import OUTCOME_INFO, compare, direction, fmt_value, summary_words
from dashboard.lab import VERDICT_WORDS, kpi_label, replication_values

__all__ = ["kpi_grid"]


def _card(
    box, name: str, summaries: list[pd.DataFrame], baseline: list[pd.DataFrame], now: pd.DataFrame
) -> None:
    o = OUTCOME_INFO[name]
    ch = compare(name, replication_values(summaries, name), replication_values(baseline, name))
    half = now.loc[name, "ci95"] if name in now.index else math.nan
    band = f"±{fmt_value(name, half).lstrip('+')}" if math.isfinite(half) else ""
    _, why = direction(name)
    words = VERDICT_WORDS.get(ch.verdict, "")
    if ch.verdict in ("better", "worse") and not ch.noise_known:
        words += ", noise unknown"
    help_text = (
        f"{o.meaning} Unit: {o.unit}. Shown: {summary_words(o.summary)} of the run. "
        f"{why} Baseline (preset unchanged, same seeds): {fmt_value(name, ch.old)}."
    )
    if band:
        help_text += f" 95% band over {len(summaries)} replications: {band}."
    if ch.noise_known:
        help_text += (
            f" 95% interval of the change: {fmt_value(name, ch.lo)} to {fmt_value(name, ch.hi)}."
        )
    judged = ch.verdict not in ("no change", "n/a")
    box.metric(
        kpi_label(name),
        fmt_value(name, ch.new),
        delta=ch.text if ch.text != "n/a" else None,
        delta_color=ch.color,
        delta_arrow="auto" if judged else "off",
        delta_description=" · ".join(
            p for p in (words if judged else "", f"band {band}" if band else "") if p
        )
        or None,
        help=help_text,
        border=True,
    )


def kpi_grid(
    key: str,
    names: Sequence[str],
    summaries: list[pd.DataFrame],
    baseline: list[pd.DataFrame],
    columns: int = 4,
) -> list[str]:
    """Cards for ``names`` in a grid that wraps onto new rows rather than cut a value.

    ``key`` names the container (``kpi_grid`` or ``kpis_...``: the stylesheet lets
    those wrap). Outcomes this run never recorded are left out; returns those drawn.
    """
    now = stats.kpi_table(summaries).set_index("outcome")
    shown = [n for n in names if n in now.index]
    with st.container(key=key):
        grid = st.columns(columns)
        for i, name in enumerate(shown):
            _card(grid[i % columns], name, summaries, baseline, now)
    return shown
