"""The Decisions page's scenario discovery, without Streamlit: discovery files resized for a run
in the browser, finished discovery folders, PRIM boxes and the change's robustness in plain
words, and their charts.

A discovery (:mod:`sim.decisions.discover`) samples levers and uncertainties, runs every point
with and without a change on the same seeds, and describes with PRIM boxes where the change's
effect crosses a threshold.
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from dashboard import charts, theme
from dashboard.decisions_data import lever_name, two_lines
from dashboard.widgets import fmt_setting

__all__ = [
    "EXAMPLE",
    "box_sentence",
    "change_words",
    "discovery_text",
    "list_discovery_folders",
    "robustness_table",
    "samples_chart",
    "to_toml_text",
    "trajectory_chart",
]

REPO = Path(__file__).resolve().parents[1]
#: The example discovery file the page offers.
EXAMPLE = REPO / "experiments" / "decisions" / "automation_discovery.toml"
#: Files a finished discovery folder holds (``exlab discover`` writes them).
FOLDER_FILES = ("summary.json", "samples.csv", "boxes.csv", "trajectory.csv", "robustness.csv")
#: Files offered for download, when present.
DOWNLOADS = ("boxes.md", "samples.csv", "boxes.csv", "robustness.csv", "trajectory.csv")
CASE_COLOR = theme.SLOT_COLORS[1]
OTHER_COLOR = "#9E9E9E"


# ------------------------------------------------------------------ discovery files
_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: str) -> str:
    return k if _BARE.match(k) else json.dumps(k)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} as a TOML value")


def to_toml_text(data: dict, header: str = "") -> str:
    """A discovery (or decision) file's table as TOML: top-level values, then tables, then arrays of tables.

    Enough for the files' shape (values, lists of values, one level of tables and arrays of
    tables); raises TypeError on anything deeper.
    """
    out = [f"# {line}" for line in header.splitlines()] if header else []
    tables, arrays = {}, {}
    for k, v in data.items():
        if isinstance(v, dict):
            tables[k] = v
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            arrays[k] = v
        else:
            out.append(f"{_key(k)} = {_value(v)}")
    for k, rows in arrays.items():
        for row in rows:
            out += ["", f"[[{_key(k)}]]"] + [f"{_key(a)} = {_value(b)}" for a, b in row.items()]
    for k, table in tables.items():
        out += ["", f"[{_key(k)}]"] + [f"{_key(a)} = {_value(b)}" for a, b in table.items()]
    return "\n".join(out) + "\n"


def discovery_text(text: str, **overrides: Any) -> str:
    """A discovery file's text with top-level values replaced (``samples``, ``consumers``, ...).

    Raises ValueError (``tomllib.TOMLDecodeError``) when the text is not TOML.
    """
    data = tomllib.loads(text)
    for k, v in overrides.items():
        if v is not None:
            data[k] = v
    return to_toml_text(data, "Written by the ExchangeLab dashboard (Decisions, Discover).")


def list_discovery_folders(root: Path, limit: int = 200) -> list[str]:
    """Folders under ``root`` holding a finished discovery (``summary.json`` and ``boxes.csv``)."""
    root = root.resolve()
    if not root.is_dir():
        return []
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        if "summary.json" in filenames and "boxes.csv" in filenames:
            rel = Path(dirpath).relative_to(root).as_posix()
            found.append("." if rel == "." else rel)
        if len(found) >= limit:
            break
    return found


def folder_files(folder: Path, limit: int = 5_000_000) -> dict[str, bytes]:
    """The downloadable files of a discovery folder (those present and under ``limit`` bytes)."""
    out = {}
    for name in DOWNLOADS:
        p = folder / name
        try:
            if p.is_file() and p.stat().st_size <= limit:
                out[name] = p.read_bytes()
        except OSError:
            continue
    return out


# ------------------------------------------------------------------ words
def change_words(change: dict) -> str:
    """``Automation share set to 0.8``: the change studied, in words."""
    parts = [f"{lever_name(p).lower() if p.startswith('firms[') else p} set to {fmt_setting(v)}"
             for p, v in change.items()]
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def pct(v: float) -> str:
    """``38%`` (``n/a`` when not a number)."""
    return "n/a" if v is None or not math.isfinite(float(v)) else f"{100 * float(v):.0f}%"


def box_sentence(box, base_rate: float) -> str:
    """What a box's coverage, density and mass mean, in one sentence."""
    return (
        f"Inside it the outcome happens at {pct(box.density)} of the points (density; "
        f"{pct(base_rate)} over all points). It holds {pct(box.coverage)} of all the points where the "
        f"outcome happens (coverage) and {pct(box.mass)} of all points (mass)."
    )


def limits_table(box, dimensions: pd.DataFrame) -> pd.DataFrame:
    """A box's limits as a table: the parameter in words, from, to, quasi-p."""
    labels = {}
    if len(dimensions) and "dimension" in dimensions and "label" in dimensions:
        labels = dict(zip(dimensions["dimension"], dimensions["label"], strict=False))
    rows = []
    for r in box.limits.itertuples(index=False):
        rows.append({
            "Parameter": str(labels.get(r.dimension, r.dimension)),
            "Path": str(r.dimension),
            "From": "" if pd.isna(r.low) else f"{float(r.low):.4g}",
            "To": "" if pd.isna(r.high) else f"{float(r.high):.4g}",
            "Quasi-p": "" if pd.isna(getattr(r, "qp", np.nan)) else f"{float(r.qp):.2g}",
        })
    return pd.DataFrame(rows, columns=["Parameter", "Path", "From", "To", "Quasi-p"])


_OPTIONS = {"without": "Without the change", "with": "With the change"}


def robustness_table(robust: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Each option's outcome across the points (5th, 50th, 95th percentiles) and its regret."""
    title = charts.outcome_label(outcome) if outcome else "Outcome"
    rows = []
    for r in robust.to_dict("records"):
        if not r.get("n"):
            continue
        rows.append({
            "Option": _OPTIONS.get(str(r["option"]), str(r["option"])),
            f"{title}: 5th percentile": f"{r['p5']:.4g}",
            "Median": f"{r['p50']:.4g}",
            "95th percentile": f"{r['p95']:.4g}",
            "Regret: median": f"{r['regret_p50']:.3g}",
            "Regret: 95th percentile": f"{r['regret_p95']:.3g}",
            "Regret: worst": f"{r['regret_max']:.3g}",
            "Better option at": pct(r["best_share"]),
        })
    return pd.DataFrame(rows)


def robustness_words(robust: pd.DataFrame, outcome: str, higher_is_better: bool | None) -> str:
    """One sentence: how often the change is the better option, and what it costs where it is not."""
    by = {str(r["option"]): r for r in robust.to_dict("records") if r.get("n")}
    if "with" not in by:
        return ""
    w = by["with"]
    name = charts.outcome_label(outcome).lower() if outcome else "the outcome"
    better = "" if higher_is_better is None else f" ({'higher' if higher_is_better else 'lower'} {name} is better)"
    return (
        f"With the change, {name} is as good or better at {pct(w['best_share'])} of the points{better}. "
        f"Regret is the loss against the better option at the same point: with the change its median is "
        f"{w['regret_p50']:.3g} and its worst {w['regret_max']:.3g}."
    )


# ------------------------------------------------------------------ charts
def _box_color(k: int) -> str:
    return theme.slot_color(int(k) - 1)


def trajectory_chart(trajectory: pd.DataFrame, height: int = 340) -> alt.TopLevelMixin:
    """PRIM's peeling trajectory: density against coverage at every step, the chosen step marked."""
    t = trajectory.copy()
    t["Box"] = "Box " + t["box"].astype(int).astype(str)
    t["chosen"] = t["chosen"].astype(str).str.lower().isin(("true", "1"))
    boxes = list(dict.fromkeys(t["Box"]))
    scale = alt.Scale(domain=boxes, range=[_box_color(int(b.split()[1])) for b in boxes])
    # Room above and right of 100% for the chosen step's diamond and its label; the vertical title on
    # two lines, shorter than the drawing (a longer one pushes the chart's title out of view).
    pct_axis = alt.Axis(format="%", values=[0, 0.2, 0.4, 0.6, 0.8, 1.0])
    x = alt.X("coverage:Q", title="Coverage: share of the cases inside the box", axis=pct_axis,
              scale=alt.Scale(domain=[0, 1.1], nice=False))
    y = alt.Y("density:Q", title=["Density: share of", "cases in the box"], axis=pct_axis,
              scale=alt.Scale(domain=[0, 1.12], nice=False))
    tip = [alt.Tooltip("Box:N"), alt.Tooltip("step:Q", title="Step"),
           alt.Tooltip("coverage:Q", title="Coverage", format=".0%"),
           alt.Tooltip("density:Q", title="Density", format=".0%"),
           alt.Tooltip("mass:Q", title="Mass (share of all points)", format=".0%"),
           alt.Tooltip("res_dim:Q", title="Parameters restricted")]
    base = alt.Chart(t)
    line = base.mark_line(strokeWidth=2, opacity=0.6).encode(
        x=x, y=y, order="step:Q", color=alt.Color("Box:N", scale=scale, legend=alt.Legend(title=None,
                                                                                           orient="bottom")))
    pts = base.mark_circle(size=60, opacity=0.9).encode(x=x, y=y, color=alt.Color("Box:N", scale=scale),
                                                         tooltip=tip)
    chosen = alt.Chart(t[t["chosen"]])
    star = chosen.mark_point(shape="diamond", size=420, filled=True, stroke="#1A1A1A", strokeWidth=1.5,
                             opacity=1).encode(x=x, y=y, color=alt.Color("Box:N", scale=scale), tooltip=tip)
    label = chosen.mark_text(dx=14, dy=-12, align="left", fontWeight="bold", color="#1A1A1A").encode(
        x=x, y=y, text=alt.Text("Box:N"))
    title = alt.TitleParams("Peeling trajectory", subtitle="Each step peels off points; the diamond is the "
                            "step chosen for the box.", subtitleFontSize=theme.FONT_SIZE - 1,
                            subtitleColor="#333333")
    return charts.finish(alt.layer(line, pts, star, label).properties(title=title), height=height)


def samples_chart(samples: pd.DataFrame, x_dim: str, y_dim: str, boxes: list, labels: dict[str, str],
                  height: int = 380) -> alt.TopLevelMixin:
    """The sample points on two parameters, the cases of interest in colour, the boxes drawn over them."""
    d = pd.DataFrame({
        "x": samples[x_dim].astype(float),
        "y": samples[y_dim].astype(float),
        "case": np.where(samples["flag"].astype(str).str.lower().isin(("true", "1")),
                         "the outcome happens", "it does not"),
        "point": samples["point"].astype(int) if "point" in samples else range(len(samples)),
        "effect": samples["effect"].astype(float) if "effect" in samples else np.nan,
    })
    xs = alt.Scale(domain=[float(d["x"].min()), float(d["x"].max())], nice=False, padding=12)
    ys = alt.Scale(domain=[float(d["y"].min()), float(d["y"].max())], nice=False, padding=12)
    x = alt.X("x:Q", title=labels.get(x_dim, x_dim), scale=xs, axis=alt.Axis(titleLimit=520))
    y = alt.Y("y:Q", title=two_lines(labels.get(y_dim, y_dim)), scale=ys, axis=alt.Axis(titleLimit=300))
    color = alt.Color("case:N", title=None, legend=alt.Legend(orient="bottom"),
                      scale=alt.Scale(domain=["the outcome happens", "it does not"], range=[CASE_COLOR, OTHER_COLOR]))
    pts = alt.Chart(d).mark_circle(size=110, opacity=0.9, stroke="#FFFFFF", strokeWidth=0.8).encode(
        x=x, y=y, color=color,
        tooltip=[alt.Tooltip("point:Q", title="Point"), alt.Tooltip("x:Q", title=labels.get(x_dim, x_dim),
                                                                     format=".3~g"),
                 alt.Tooltip("y:Q", title=labels.get(y_dim, y_dim), format=".3~g"),
                 alt.Tooltip("effect:Q", title="Effect of the change", format=".3~g"), "case:N"])
    layers = [pts]
    rects = []
    for b in boxes:
        lim = {r.dimension: (r.low, r.high) for r in b.limits.itertuples(index=False)}
        if x_dim not in lim and y_dim not in lim:
            continue
        x0, x1 = lim.get(x_dim, (np.nan, np.nan))
        y0, y1 = lim.get(y_dim, (np.nan, np.nan))
        rects.append({"x0": float(d["x"].min()) if pd.isna(x0) else float(x0),
                      "x1": float(d["x"].max()) if pd.isna(x1) else float(x1),
                      "y0": float(d["y"].min()) if pd.isna(y0) else float(y0),
                      "y1": float(d["y"].max()) if pd.isna(y1) else float(y1),
                      "Box": f"Box {b.number}", "color": _box_color(b.number)})
    if rects:
        r = pd.DataFrame(rects)
        layers.insert(0, alt.Chart(r).mark_rect(fillOpacity=0.07, strokeWidth=2.5, strokeDash=[7, 4]).encode(
            x=alt.X("x0:Q", scale=xs), x2="x1:Q", y=alt.Y("y0:Q", scale=ys), y2="y1:Q",
            fill=alt.Fill("color:N", scale=None), stroke=alt.Stroke("color:N", scale=None),
            tooltip=[alt.Tooltip("Box:N")]))
        layers.append(alt.Chart(r).mark_text(align="left", baseline="top", dx=4, dy=4, fontWeight="bold").encode(
            x=alt.X("x0:Q", scale=xs), y=alt.Y("y1:Q", scale=ys), text="Box:N",
            color=alt.Color("color:N", scale=None)))
    title = alt.TitleParams("The points sampled", subtitle="Dashed: the boxes on these two parameters.",
                            subtitleFontSize=theme.FONT_SIZE - 1, subtitleColor="#333333")
    return charts.finish(alt.layer(*layers).properties(title=title), height=height)


def _outcome_words(outcome: str) -> str:
    """``Trust (0 to 1)``: an outcome and its unit, as an axis title."""
    if not outcome:
        return "Outcome"
    unit = charts.axis_unit(outcome)
    return f"{charts.outcome_label(outcome)} ({unit})" if unit and unit != "value" else charts.outcome_label(outcome)


def robustness_chart(robust: pd.DataFrame, outcome: str, height: int = 170) -> alt.TopLevelMixin:
    """Each option's outcome across the points: 5th to 95th percentile, the median marked."""
    d = robust[robust["n"] > 0].copy() if "n" in robust else robust.copy()
    d["Option"] = d["option"].map(lambda o: _OPTIONS.get(str(o), str(o)))
    order = [_OPTIONS["without"], _OPTIONS["with"]]
    scale = alt.Scale(domain=order, range=[theme.BASELINE_COLOR, theme.SLOT_COLORS[0]])
    y = alt.Y("Option:N", title=None, sort=order, axis=alt.Axis(labelLimit=220))
    x = alt.X("p5:Q", title=_outcome_words(outcome), scale=alt.Scale(zero=False))
    bar = alt.Chart(d).mark_rule(strokeWidth=10, opacity=0.45).encode(
        y=y, x=x, x2="p95:Q", color=alt.Color("Option:N", scale=scale, legend=None))
    med = alt.Chart(d).mark_tick(thickness=4, size=30).encode(
        y=y, x="p50:Q", color=alt.Color("Option:N", scale=scale, legend=None),
        tooltip=[alt.Tooltip("Option:N"), alt.Tooltip("p5:Q", title="5th percentile", format=".4g"),
                 alt.Tooltip("p50:Q", title="Median", format=".4g"),
                 alt.Tooltip("p95:Q", title="95th percentile", format=".4g")])
    title = alt.TitleParams("Across the points: 5th to 95th percentile, median marked",
                            fontSize=theme.FONT_SIZE)
    return charts.finish(alt.layer(bar, med).properties(title=title), height=height)
