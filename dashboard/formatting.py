"""Numbers, changes and verdicts as a strategist reads them; escaping of user text.

Pure functions (no Streamlit): compact numbers with their unit, a change in
units and in percent, which direction of each outcome is good news and why,
whether a change is more than the noise between replications, each outcome's
natural bounds, and the escaping every user-given string goes through before
it is drawn.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis import t_interval, welch_ci
from sim.metrics import OUTCOMES, Outcome

__all__ = [
    "DERIVED",
    "KPIS",
    "OUTCOME_INFO",
    "PHONE_KPIS",
    "Change",
    "compact",
    "compare",
    "derived_values",
    "direction",
    "escape_md",
    "fmt_change",
    "fmt_value",
    "outcome_bounds",
    "safe_label",
    "summary_words",
]

#: Outcomes the dashboard computes from a run's table: ratios of the registry's daily totals.
DERIVED: tuple[Outcome, ...] = (
    Outcome(
        "abandonment",
        "share",
        "Share of the calls offered (retrials included) whose caller hung up before an agent "
        "took the call: calls abandoned over calls offered, over the whole run.",
        "ratio",
        False,
    ),
)
#: How each derived outcome is computed: (numerator, denominator), both summed over the days.
_RATIOS = {"abandonment": ("calls_abandoned", "calls_offered")}
#: Every outcome the dashboard shows, recorded or derived, by name.
OUTCOME_INFO: dict[str, Outcome] = {o.name: o for o in (*OUTCOMES, *DERIVED)}
_OUT = OUTCOME_INFO
#: The outcomes on the Scenario lab's KPI cards, in reading order.
KPIS = (
    "trust",
    "satisfaction",
    "churn",
    "cost_eur",
    "response_time_h",
    "control_share",
    "wom_valence",
    "expectation_inflation",
)
#: The phone lines (a queue of agents) as a manager of a call centre reads them.
PHONE_KPIS = (
    "service_level",
    "wait_mean_min",
    "abandonment",
    "occupancy",
    "phone_agents",
    "staff_cost_eur",
)

#: Units counted in whole things: never below zero.
COUNT_UNITS = {
    "consumers",
    "customers",
    "messages",
    "posts",
    "complaints",
    "contacts",
    "meetings",
    "requests",
    "purchases",
    "calls",
    "people",
}
#: Units that cannot be negative (durations, rates, costs).
NON_NEGATIVE_UNITS = COUNT_UNITS | {"hours", "minutes", "1/year"}
#: Money that is spent, never earned: cannot be negative.
NON_NEGATIVE_OUTCOMES = {"cost_eur", "cost_per_contact_eur", "relational_cost_eur"}
#: Outcomes on [0, 1] that measure a change, so can be negative.
SIGNED_OUTCOMES = {"expectation_inflation"}

#: Which direction is good news, for outcomes the registry leaves open, and why.
_DIRECTION_OVERRIDES: dict[str, tuple[bool, str]] = {
    "expectation_inflation": (
        False,
        "Lower is better: inflated expectations raise the bar every later contact is judged "
        "against, so the same service satisfies less and complaints follow.",
    ),
    "control_share": (
        True,
        "Higher is better for the firm: more of what customers hear comes from the firm itself "
        "rather than from peers and bloggers, so its own messages shape expectations and trust.",
    ),
}
#: Why the registry's direction is good news, for the outcomes on the KPI cards.
_REASONS: dict[str, str] = {
    "trust": "Higher is better: trusting customers stay, buy and forgive a slip.",
    "satisfaction": "Higher is better: satisfied customers stay and recommend the firm.",
    "churn": "Lower is better: every leaver is a relationship lost.",
    "cost_eur": "Lower is better: the same relationships at a lower cost.",
    "response_time_h": "Lower is better: customers wait less for an answer.",
    "wom_valence": "Higher is better: more of what peers say about the firm is positive.",
    "service_level": "Higher is better: more callers are answered within the target time.",
    "wait_mean_min": "Lower is better: callers spend less time on hold.",
    "abandonment": "Lower is better: fewer callers give up before they reach a person.",
    "staff_cost_eur": "Lower is better: the same calls answered for less (read it with the "
    "service level).",
}


def direction(name: str) -> tuple[bool | None, str]:
    """Whether higher is better for outcome ``name`` (None: neither), and why, in one sentence."""
    if name in _DIRECTION_OVERRIDES:
        return _DIRECTION_OVERRIDES[name]
    good = _OUT[name].higher_is_better if name in _OUT else None
    if name in _REASONS:
        return good, _REASONS[name]
    if good is None:
        return None, "Neither direction is good or bad in itself."
    return good, "Higher is better." if good else "Lower is better."


def outcome_bounds(name: str) -> tuple[float, float]:
    """The range an outcome can take: [0, 1] scores and shares, counts and costs from 0."""
    o = _OUT.get(name)
    unit = o.unit if o else ""
    if name in SIGNED_OUTCOMES:
        return -1.0, 1.0
    if unit in ("[0,1]", "share"):
        return 0.0, 1.0
    if unit in NON_NEGATIVE_UNITS or name in NON_NEGATIVE_OUTCOMES:
        return 0.0, math.inf
    return -math.inf, math.inf


# ------------------------------------------------------------------ numbers
#: (divisor, suffix, smallest value written with it): thousands only from 10,000 on.
_SCALES = ((1e9, "bn", 1e9), (1e6, "M", 1e6), (1e3, "k", 1e4))


def _sig3(v: float) -> str:
    """Three significant digits, fixed notation (``2.78``, ``27.8``, ``278``)."""
    if v == 0:
        return "0"
    r = float(f"{v:.3g}")
    digits = max(0, 2 - int(math.floor(math.log10(abs(r)))))
    return f"{r:.{digits}f}"


def compact(x: float) -> str:
    """A number in at most about six characters: ``2.78 M``, ``27.4 k``, ``9,999``, ``3.25``."""
    if x is None or not math.isfinite(x):
        return "n/a"
    a = abs(x)
    for scale, suffix, start in _SCALES:
        if a >= start * 0.99995:
            return f"{_sig3(x / scale)} {suffix}"
    if a >= 100 or float(x).is_integer():
        return f"{x:,.0f}"
    return _sig3(x) if a >= 1 else f"{x:.3f}"


def _unit(name: str) -> str:
    o = _OUT.get(name)
    return o.unit if o else ""


def fmt_value(name: str, value: float) -> str:
    """A value as a card shows it: scores with three decimals, shares in %, money compact."""
    if value is None or not math.isfinite(value):
        return "n/a"
    unit = _unit(name)
    if unit == "[0,1]":
        return f"{value:+.3f}" if name in SIGNED_OUTCOMES else f"{value:.3f}"
    if unit == "share":
        return f"{100 * value:.1f}%"
    if unit == "EUR":
        return f"{compact(value)} EUR"
    if unit == "hours":
        return f"{value:,.1f} h" if abs(value) < 1e4 else f"{compact(value)} h"
    if unit == "minutes":
        return f"{value:,.2f} min" if abs(value) < 10 else f"{compact(value)} min"
    return compact(value)


def _fmt_abs_change(name: str, delta: float) -> str:
    unit = _unit(name)
    if unit == "[0,1]":
        return f"{abs(delta):.3f}"
    if unit == "share":
        return f"{100 * abs(delta):.1f} pp"
    if unit == "EUR":
        return f"{compact(abs(delta))} EUR"
    if unit == "hours":
        return f"{abs(delta):,.1f} h"
    if unit == "minutes":
        return f"{abs(delta):,.2f} min"
    return compact(abs(delta))


def fmt_change(name: str, new: float, old: float) -> str:
    """The change from ``old`` to ``new`` in units and in percent: ``+126 (+17%)``.

    Shares change in percentage points (``+2.1 pp``) and carry no percent;
    ``"no change"`` when the change rounds to zero in the card's unit.
    """
    if new is None or old is None or not (math.isfinite(new) and math.isfinite(old)):
        return "n/a"
    delta = new - old
    text = _fmt_abs_change(name, delta)
    if re.fullmatch(r"[0.,]+", text.split(" ")[0]):
        return "no change"
    sign = "+" if delta > 0 else "-"
    out = f"{sign}{text}"
    if _unit(name) != "share" and name not in SIGNED_OUTCOMES and old != 0:
        pct = 100 * delta / abs(old)
        out += f" ({pct:+.1f}%)" if abs(pct) < 9.95 else f" ({pct:+.0f}%)"
    return out


# ------------------------------------------------------------------ verdicts
@dataclass(frozen=True)
class Change:
    """A change of one outcome from a reference run to another, judged against the noise.

    ``verdict`` is one of "better", "worse", "changed" (no good direction),
    "within noise" (the 95% interval of the difference contains zero),
    "no change", or "n/a".
    """

    outcome: str
    new: float
    old: float
    diff: float
    lo: float  #: 95% interval of the difference (NaN with a single replication)
    hi: float
    n: int
    paired: bool
    verdict: str
    text: str  #: ``fmt_change`` of new against old

    @property
    def color(self) -> str:
        """The metric colour: green good news, red bad news, grey otherwise."""
        return {"better": "green", "worse": "red"}.get(self.verdict, "gray")

    @property
    def noise_known(self) -> bool:
        """Whether there were enough replications to tell the change from the noise."""
        return math.isfinite(self.lo) and math.isfinite(self.hi)


def compare(name: str, new: np.ndarray, old: np.ndarray) -> Change:
    """Judge replications ``new`` against ``old`` (a run against its baseline, or B against A).

    When both hold the same number of replications they are taken as paired
    (the Scenario lab runs both with the same seeds): the interval is the t
    interval of the per-seed differences. Otherwise it is Welch's interval.
    With a single replication on either side the noise is unknown: the
    verdict then follows the sign alone.
    """
    a = np.asarray(new, dtype=float)
    b = np.asarray(old, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if not a.size or not b.size:
        return Change(name, math.nan, math.nan, math.nan, math.nan, math.nan, 0, False, "n/a", "n/a")
    mean_new, mean_old = float(a.mean()), float(b.mean())
    paired = a.size == b.size
    if paired:
        diff, half, n = t_interval(a - b)
        lo, hi = diff - half, diff + half
    else:
        n = min(a.size, b.size)
        if a.size >= 2 and b.size >= 2:
            diff, lo, hi = welch_ci(a, b)
        else:
            diff, lo, hi = mean_new - mean_old, math.nan, math.nan
    text = fmt_change(name, mean_new, mean_old)
    good, _ = direction(name)
    if text == "no change":
        verdict = "no change"
    elif math.isfinite(lo) and math.isfinite(hi) and lo <= 0 <= hi:
        verdict = "within noise"
    elif good is None:
        verdict = "changed"
    else:
        verdict = "better" if (diff > 0) == good else "worse"
    return Change(name, mean_new, mean_old, diff, lo, hi, n, paired, verdict, text)


def summary_words(summary: str) -> str:
    """How an outcome is summarised over a run, in words."""
    return {"last": "at the end", "mean": "mean per day", "sum": "total", "ratio": "over the run"}.get(
        summary, summary
    )


def derived_values(table: pd.DataFrame) -> dict[str, float]:
    """Each derived outcome of one run's table (NaN where its denominator is zero or missing)."""
    out = {}
    for name, (num, den) in _RATIOS.items():
        if num not in table or den not in table:
            out[name] = math.nan
            continue
        total = float(np.nansum(table[den].to_numpy(dtype=float)))
        out[name] = float(np.nansum(table[num].to_numpy(dtype=float))) / total if total > 0 else math.nan
    return out


# ------------------------------------------------------------------ user text
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#|<>~&$:])")
_MD_LINE_START = re.compile(r"^(\s*)([-+]|\d+\.)(?=\s)")


def escape_md(text: object) -> str:
    """User text made inert for ``st.markdown`` and labels.

    Every markdown, HTML and LaTeX special character is backslash-escaped, so
    tags, links, images and emphasis are shown as the characters typed; the
    text is kept on one line, and a leading ``-``, ``+`` or ``1.`` cannot start a list.
    """
    one_line = " ".join(str(text).split())
    out = _MD_SPECIAL.sub(r"\\\1", one_line)
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), out)


_UNSAFE_LABEL = re.compile(r"[^\w .,()+\-]")


def safe_label(text: object, limit: int = 60) -> str:
    """A display label from user text: characters other than letters, digits, spaces and
    ``. , ( ) + - _`` become ``_`` and the length is bounded, so the label is plain text
    wherever it is drawn and usable in a file name."""
    s = _UNSAFE_LABEL.sub("_", str(text)).strip()
    return (s[: limit - 1] + "…") if len(s) > limit else (s or "unnamed")
