"""Pure chart builders: DataFrame -> ``alt.Chart``. No Streamlit calls here.

Axis titles carry units from ``sim.metrics.OUTCOMES``; colours come from
:mod:`dashboard.theme`. Every builder returns a finished chart (projector
fonts configured), ready for ``st.altair_chart(chart, theme=None)``.
"""

from __future__ import annotations

import re

import altair as alt
import numpy as np
import pandas as pd

from dashboard import theme
from dashboard.formatting import OUTCOME_INFO

__all__ = [
    "cascade_size_chart",
    "ci_chart",
    "concentration_chart",
    "finish",
    "group_influence_chart",
    "message_count_chart",
    "multi_outcome_chart",
    "network_chart",
    "outcome_label",
    "outcome_title",
    "run_series_chart",
    "sensitivity_chart",
]

_OUT = OUTCOME_INFO
WIDTH = "container"
#: Names the column name does not say well.
_LABELS = {
    "wait_mean_min": "Wait on hold",
    "wait_p90_min": "Wait on hold, 90th percentile",
    "share_waited": "Calls that waited",
    "cascade_spread_share": "Posts reshared",
    "cascade_largest": "Largest cascade of the day",
}


def outcome_label(name: str) -> str:
    """Human name of an outcome: ``response_time_h`` -> ``Response time``."""
    if name in _LABELS:
        return _LABELS[name]
    text = re.sub(r"_(h|eur|min)$", "", name).replace("_", " ")
    text = text.replace("wom", "word-of-mouth")
    return text[:1].upper() + text[1:]


def outcome_title(name: str) -> str:
    """Axis title with the unit from the registry: ``Response time (hours)``."""
    o = _OUT.get(name)
    return f"{outcome_label(name)} ({o.unit})" if o and o.unit else outcome_label(name)


def axis_unit(name: str) -> str:
    """A short y-axis title for a chart already titled with the outcome: its unit."""
    o = _OUT.get(name)
    unit = o.unit if o else ""
    return {"[0,1]": "score on [0, 1]", "share": "share (0 to 1)", "": "value"}.get(unit, unit)


def _line_legend(title: str | None, columns: int = 3) -> alt.Legend:
    return alt.Legend(
        title=title,
        symbolType="stroke",
        symbolStrokeWidth=4,
        symbolSize=300,
        symbolOpacity=1,
        columns=columns,
    )


def finish(chart: alt.TopLevelMixin, height: int = 320) -> alt.TopLevelMixin:
    """Projector-readable fonts, white background, container width."""
    return (
        chart.properties(width=WIDTH, height=height)
        .configure(background="#FFFFFF", font="Source Sans Pro, Arial, sans-serif")
        .configure_axis(
            labelFontSize=theme.FONT_SIZE - 2,
            titleFontSize=theme.FONT_SIZE,
            labelColor="#1A1A1A",
            titleColor="#1A1A1A",
            gridColor="#DDDDDD",
            domainColor="#333333",
            tickColor="#333333",
        )
        .configure_legend(
            labelFontSize=theme.FONT_SIZE - 2,
            titleFontSize=theme.FONT_SIZE - 1,
            labelLimit=360,
            symbolSize=220,
            orient="bottom",
            columns=3,
        )
        .configure_title(fontSize=theme.TITLE_SIZE, anchor="start", color="#1A1A1A")
        .configure_view(stroke=None)
    )


def run_series_chart(
    band: pd.DataFrame,
    outcome: str,
    colors: dict[str, str],
    dashed: tuple[str, ...] = (),
    title: str | None = None,
    y_domain: tuple[float, float] | None = None,
    height: int = 320,
) -> alt.TopLevelMixin:
    """One outcome over time: a line per run (mean over replications) and its 95% band.

    Args:
        band: Output of :func:`dashboard.stats.bands` (columns run, outcome, tick, mean, lo, hi, n).
        outcome: Outcome to draw.
        colors: Run label -> colour (the run slots, the baseline in grey).
        dashed: Run labels drawn dashed (baselines).
        title: Chart title (default: the outcome's label).
        y_domain: A fixed y range (the outcome's natural one), so that a wobble of noise
            is not stretched over the whole height; default: fitted to the data.
        height: Chart height in pixels.
    """
    d = band[band["outcome"] == outcome].copy()
    d["style"] = np.where(d["run"].isin(dashed), "baseline", "run")
    domain = [r for r in colors if r in set(d["run"])]
    scale = alt.Scale(domain=domain, range=[colors[r] for r in domain])
    x = alt.X("tick:Q", title="Day", axis=alt.Axis(tickMinStep=1, format="d"))
    base = alt.Chart(d)
    area = base.mark_area(opacity=0.18).encode(
        x=x,
        y=alt.Y("lo:Q"),
        y2="hi:Q",
        color=alt.Color("run:N", scale=scale, legend=_line_legend(None)),
    )
    yscale = (
        alt.Scale(domain=list(y_domain), nice=False, clamp=True)
        if y_domain
        else alt.Scale(zero=False)
    )
    area = area.encode(y=alt.Y("lo:Q", scale=yscale))
    line = base.mark_line(strokeWidth=3).encode(
        x=x,
        y=alt.Y("mean:Q", title=axis_unit(outcome), scale=yscale),
        color=alt.Color("run:N", scale=scale, legend=_line_legend(None)),
        strokeDash=alt.StrokeDash(
            "style:N",
            legend=None,
            scale=alt.Scale(domain=["run", "baseline"], range=[[1, 0], [8, 5]]),
        ),
        tooltip=[
            alt.Tooltip("run:N", title="Run"),
            alt.Tooltip("tick:Q", title="Day"),
            alt.Tooltip("mean:Q", title=outcome_label(outcome), format=".3f"),
            alt.Tooltip("n:Q", title="Replications"),
        ],
    )
    return finish((area + line).properties(title=title or outcome_label(outcome)), height=height)


#: Expectation norms against what is delivered, in the order the legend shows them.
EXPECTATION_SERIES = (
    "expectation_desired",
    "expectation_quality",
    "expectation_adequate",
    "delivered_quality",
)
_EXPECT_COLORS = ("#CC79A7", "#0072B2", "#E69F00", "#1A1A1A")


def multi_outcome_chart(
    band: pd.DataFrame,
    outcomes: tuple[str, ...] = EXPECTATION_SERIES,
    title: str = "Expectations vs delivered quality",
    colors: tuple[str, ...] = _EXPECT_COLORS,
) -> alt.TopLevelMixin:
    """Several outcomes with the same unit, for one run: a line (and band) per outcome."""
    d = band[band["outcome"].isin(outcomes)].copy()
    d["series"] = d["outcome"].map(outcome_label)
    domain = [outcome_label(o) for o in outcomes]
    scale = alt.Scale(domain=domain, range=list(colors))
    color = alt.Color("series:N", scale=scale, sort=domain, legend=_line_legend(None, columns=2))
    units = {(_OUT[o].unit if o in _OUT else "") for o in outcomes}
    ytitle = f"Quality, {axis_unit(outcomes[0])}" if len(units) == 1 else "Value"
    base = alt.Chart(d)
    area = base.mark_area(opacity=0.15).encode(
        x="tick:Q",
        y="lo:Q",
        y2="hi:Q",
        color=alt.Color("series:N", scale=scale, sort=domain, legend=_line_legend(None, columns=2)),
    )
    line = base.mark_line(strokeWidth=3).encode(
        x=alt.X("tick:Q", title="Day"),
        y=alt.Y("mean:Q", title=ytitle, scale=alt.Scale(zero=False)),
        color=color,
        strokeDash=alt.condition(
            alt.datum.outcome == "delivered_quality", alt.value([1, 0]), alt.value([6, 3])
        ),
        tooltip=[
            alt.Tooltip("series:N", title="Series"),
            alt.Tooltip("tick:Q", title="Day"),
            alt.Tooltip("mean:Q", title="Mean", format=".3f"),
        ],
    )
    return finish((area + line).properties(title=title))


# ------------------------------------------------------------------ classroom
def _point(axis: dict) -> dict:
    """x, y encodings of a point on a drawn network (no axes)."""
    return {"x": alt.X("x:Q", **axis), "y": alt.Y("y:Q", **axis)}


def _segment(axis: dict) -> dict:
    """x, y, x2, y2 encodings of a line between two points of a drawn network."""
    return {**_point(axis), "x2": "x2:Q", "y2": "y2:Q"}


#: The drawn network's coordinate range on both axes (nodes fill [-1, 1]; actors sit at 1.3).
NETWORK_SPAN = (-1.45, 1.45)
#: Where along a message's line its arrowhead sits (0: sender, 1: receiver).
ARROW_AT = 0.78


#: How far a message's line is moved to its right, in the drawing's coordinates.
SIDE_OFFSET = 0.012


def side_by_side(messages: pd.DataFrame, offset: float = SIDE_OFFSET) -> pd.DataFrame:
    """Each message line moved a little to its right, so that messages in opposite
    directions between the same two nodes (a request and its answer) show as two lines."""
    if not len(messages):
        return messages
    m = messages.copy()
    dx, dy = m["x2"] - m["x"], m["y2"] - m["y"]
    length = np.hypot(dx, dy).replace(0, np.nan)
    nx_, ny_ = (dy / length).fillna(0) * offset, (-dx / length).fillna(0) * offset
    for a, b in (("x", nx_), ("x2", nx_), ("y", ny_), ("y2", ny_)):
        m[a] = m[a] + b
    return m


def arrowheads(messages: pd.DataFrame, at: float = ARROW_AT) -> pd.DataFrame:
    """One arrowhead per message segment: its place along the line, kind and count."""
    m = messages
    return pd.DataFrame(
        {
            "ax": m["x"] + at * (m["x2"] - m["x"]),
            "ay": m["y"] + at * (m["y2"] - m["y"]),
            "dx": m["x2"] - m["x"],
            "dy": m["y2"] - m["y"],
            "kind": m["kind"],
            "count": m["count"],
        }
    )


def network_chart(
    nodes: pd.DataFrame,
    ties: pd.DataFrame,
    messages: pd.DataFrame,
    title: str = "",
    height: int = 620,
    kinds_shown: list[str] | None = None,
) -> alt.TopLevelMixin:
    """A small network with the last tick's messages drawn over it, each with an arrowhead.

    Args:
        nodes: x, y, role ("consumer", "firm", "intermediary"), label, trust (consumers).
        ties: x, y, x2, y2 of social ties.
        messages: x, y, x2, y2, kind (MessageKind name, lower case), count.
        title: Chart title.
        height: Height in pixels (the width fills the page).
        kinds_shown: Message kinds listed in the legend (default: those drawn); colours
            stay those of :data:`dashboard.theme.KIND_COLORS` whatever is shown.

    Node colour is trust on a fixed [0, 1] scale, so a colour means the same
    trust on every day and in every age; viridis keeps middling trust (where a
    small population drifts) as vivid as the extremes, and stays readable with
    colour-vision deficiencies. A message and its reply on the same pair of
    nodes are drawn side by side (:func:`side_by_side`). Arrowheads are triangles turned to
    the line's direction on screen: the angle is computed by Vega from the
    drawn width and height, so it holds at any page width.
    """
    lo, hi = NETWORK_SPAN
    axis = dict(axis=None, scale=alt.Scale(domain=[lo, hi], nice=False))
    tie_layer = (
        alt.Chart(ties)
        .mark_rule(color=theme.TIE_COLOR, strokeWidth=0.8, opacity=0.7)
        .encode(**_segment(axis))
    )
    kinds = list(theme.KIND_COLORS)
    messages = side_by_side(messages)
    present = set(messages["kind"]) if len(messages) else set()
    shown = kinds_shown if kinds_shown is not None else [k for k in kinds if k in present]
    kind_color = alt.Color(
        "kind:N",
        title="Message kind",
        scale=alt.Scale(domain=kinds, range=list(theme.KIND_COLORS.values())),
        legend=None
        if not shown
        else alt.Legend(
            values=shown,
            orient="right",
            columns=1,
            symbolType="stroke",
            symbolStrokeWidth=6,
            symbolSize=500,
            labelFontSize=theme.FONT_SIZE + 2,
            titleFontSize=theme.FONT_SIZE + 2,
            labelExpr="replace(datum.label, '_', ' ')",
        ),
    )
    msg_layer = (
        alt.Chart(messages)
        .mark_rule(opacity=0.85)
        .encode(
            **_segment(axis),
            color=kind_color,
            strokeWidth=alt.StrokeWidth(
                "count:Q", title="Messages", scale=alt.Scale(range=[2, 6]), legend=None
            ),
            tooltip=[
                alt.Tooltip("kind:N", title="Kind"),
                alt.Tooltip("count:Q", title="Messages"),
                alt.Tooltip("route:N", title="Route"),
            ],
        )
    )
    span = hi - lo
    head_layer = (
        alt.Chart(arrowheads(messages) if len(messages) else pd.DataFrame(
            columns=["ax", "ay", "dx", "dy", "kind", "count"]))
        .transform_calculate(
            angle=f"atan2(datum.dx * width / {span}, datum.dy * height / {span}) * 180 / PI"
        )
        .mark_point(shape="triangle-up", filled=True, size=170, opacity=1, strokeWidth=0)
        .encode(
            x=alt.X("ax:Q", **axis),
            y=alt.Y("ay:Q", **axis),
            angle=alt.Angle("angle:Q", scale=None),
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(domain=kinds, range=list(theme.KIND_COLORS.values())),
                legend=None,
            ),
        )
    )
    consumers = nodes[nodes["role"] == "consumer"]
    cons_layer = (
        alt.Chart(consumers)
        .mark_circle(size=140, stroke="#333333", strokeWidth=0.6, opacity=1)
        .encode(
            **_point(axis),
            color=alt.Color(
                "trust:Q",
                title="Trust (0 to 1)",
                scale=alt.Scale(domain=[0, 1], scheme="viridis", clamp=True),
                legend=alt.Legend(
                    orient="right",
                    gradientLength=220,
                    gradientThickness=22,
                    labelFontSize=theme.FONT_SIZE + 2,
                    titleFontSize=theme.FONT_SIZE + 2,
                    values=[0, 0.25, 0.5, 0.75, 1],
                ),
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Consumer"),
                alt.Tooltip("segment:N", title="Segment"),
                alt.Tooltip("trust:Q", title="Trust", format=".2f"),
            ],
        )
    )
    actors = nodes[nodes["role"] != "consumer"]
    actor_layer = (
        alt.Chart(actors)
        .mark_point(filled=True, size=900, opacity=1, stroke="#FFFFFF", strokeWidth=2)
        .encode(
            **_point(axis),
            shape=alt.Shape(
                "role:N",
                title="Actor",
                scale=alt.Scale(domain=["firm", "intermediary"], range=["square", "diamond"]),
                legend=alt.Legend(
                    values=[r for r in ("firm", "intermediary") if r in set(actors["role"])],
                    orient="right",
                    columns=1,
                    labelFontSize=theme.FONT_SIZE + 2,
                    titleFontSize=theme.FONT_SIZE + 2,
                    symbolSize=400,
                ),
            ),
            color=alt.value(theme.FIRM_COLOR),
            tooltip=[alt.Tooltip("label:N", title="Actor"), alt.Tooltip("role:N", title="Role")],
        )
    )
    text = dict(fontSize=theme.FONT_SIZE + 2, fontWeight="bold", color="#111111")
    # Firms sit on the top row: their names above them. Intermediaries sit on the right
    # edge: their names end left of them, inside the drawing, clear of the legend.
    firm_labels = (
        alt.Chart(actors[actors["role"] == "firm"])
        .mark_text(dy=-28, **text)
        .encode(**_point(axis), text="label:N")
    )
    other_labels = (
        alt.Chart(actors[actors["role"] != "firm"])
        .mark_text(dx=-24, align="right", **text)
        .encode(**_point(axis), text="label:N")
    )
    chart = alt.layer(
        tie_layer, msg_layer, head_layer, cons_layer, actor_layer, firm_labels, other_labels
    ).resolve_scale(color="independent")
    return finish(chart.properties(title=title), height=height)


def message_count_chart(
    counts: pd.DataFrame, title: str = "Messages this day"
) -> alt.TopLevelMixin:
    """Bar per message kind (columns kind, count), coloured like the network drawing."""
    kinds = list(theme.KIND_COLORS)
    chart = (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            y=alt.Y("kind:N", title=None, sort=kinds),
            x=alt.X("count:Q", title="Messages (count)"),
            color=alt.Color(
                "kind:N",
                legend=None,
                scale=alt.Scale(domain=kinds, range=list(theme.KIND_COLORS.values())),
            ),
            tooltip=["kind:N", "count:Q"],
        )
    )
    return finish(chart.properties(title=title), height=260)


# ------------------------------------------------------------------ influence
#: Colours of positive and negative word-of-mouth: those of recommendations and warnings.
VALENCE_COLORS = {
    "positive": theme.KIND_COLORS["recommendation"],
    "negative": theme.KIND_COLORS["warning"],
}


def concentration_chart(
    curve: pd.DataFrame, color: str = theme.SLOT_COLORS[0], title: str = "Concentration of influence"
) -> alt.TopLevelMixin:
    """Share of all trust moved (``moved``) by each share of consumers (``consumers``), the most
    influential first, against the diagonal of an even spread."""
    pct = alt.Axis(format="%")
    even = pd.DataFrame({"consumers": [0.0, 1.0], "moved": [0.0, 1.0], "line": "even spread"})
    d = curve.assign(line="this run")
    scale = alt.Scale(domain=["this run", "even spread"], range=[color, theme.BASELINE_COLOR])
    x = alt.X("consumers:Q", title="Consumers, most influential first", axis=pct,
              scale=alt.Scale(domain=[0, 1], nice=False))
    y = alt.Y("moved:Q", title="Share of all trust moved", axis=pct,
              scale=alt.Scale(domain=[0, 1], nice=False))
    line = alt.Chart(d).mark_line(strokeWidth=3).encode(
        x=x,
        y=y,
        color=alt.Color("line:N", scale=scale, legend=_line_legend(None)),
        tooltip=[
            alt.Tooltip("consumers:Q", title="Top share of consumers", format=".1%"),
            alt.Tooltip("moved:Q", title="Moved of all trust moved", format=".1%"),
        ],
    )
    ref = alt.Chart(even).mark_line(strokeWidth=2, strokeDash=[8, 5]).encode(
        x=x, y=y, color=alt.Color("line:N", scale=scale, legend=_line_legend(None))
    )
    return finish((ref + line).properties(title=title), height=320)


def group_influence_chart(
    groups: pd.DataFrame, color: str = theme.SLOT_COLORS[0], title: str = "Who moves trust"
) -> alt.TopLevelMixin:
    """Trust moved in others per consumer, one bar per segment and role (columns of
    :func:`dashboard.influence_data.group_table`); each bar's label is the segment over the role,
    so that it stays short in a narrow column."""
    d = groups.assign(group=groups["Segment"] + " · " + groups["Role"]).rename(
        columns={
            "Trust moved per consumer": "per",
            "Share of all trust moved": "share",
            "Posts per 1,000 consumers": "posts",
            "Consumers": "consumers",
        }
    )
    chart = (
        alt.Chart(d)
        .mark_bar(color=color)
        .encode(
            y=alt.Y(
                "group:N",
                title=None,
                sort="-x",
                axis=alt.Axis(labelLimit=200, labelExpr="split(datum.label, ' · ')", labelPadding=6),
            ),
            x=alt.X("per:Q", title="Trust moved per consumer", axis=alt.Axis(tickCount=3, format="~g")),
            tooltip=[
                alt.Tooltip("Segment:N"),
                alt.Tooltip("Role:N"),
                alt.Tooltip("consumers:Q", title="Consumers", format=","),
                alt.Tooltip("per:Q", title="Trust moved per consumer", format=".3f"),
                alt.Tooltip("share:Q", title="Share of all trust moved", format=".1%"),
                alt.Tooltip("posts:Q", title="Public posts per 1,000 consumers", format=",.0f"),
            ],
        )
    )
    return finish(chart.properties(title=title), height=max(180, 56 * len(d)))


def cascade_size_chart(bins: pd.DataFrame, title: str = "Cascade sizes") -> alt.TopLevelMixin:
    """Posts per cascade size (sharers, the author included), in bins doubling in width, positive
    and negative posts side by side, on a log scale (columns of
    :func:`dashboard.influence_data.size_bins`)."""
    order = bins.drop_duplicates("bin").sort_values("lo")["bin"].tolist()
    scale = alt.Scale(domain=list(VALENCE_COLORS), range=list(VALENCE_COLORS.values()))
    top = int(bins["posts"].max()) if len(bins) else 1
    decades = [10**k for k in range(len(str(top)) + 1)]  # 1, 10, ... past the largest count
    # A log scale has no zero: bars rise from half a post, below the smallest count (one).
    chart = (
        alt.Chart(bins.assign(base=0.5))
        .mark_bar()
        .encode(
            x=alt.X("bin:N", title="Sharers (the author included)", sort=order,
                    axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("valence:N", sort=list(VALENCE_COLORS)),
            y=alt.Y(
                "posts:Q",
                title="Posts (log scale)",
                scale=alt.Scale(type="log", domain=[0.5, decades[-1]], nice=False),
                axis=alt.Axis(values=decades, format=",d", grid=True),
            ),
            y2="base:Q",
            color=alt.Color("valence:N", title="Post", scale=scale,
                            legend=alt.Legend(orient="bottom", symbolType="square")),
            tooltip=[
                alt.Tooltip("bin:N", title="Sharers"),
                alt.Tooltip("valence:N", title="Post"),
                alt.Tooltip("posts:Q", title="Posts", format=","),
            ],
        )
    )
    return finish(chart.properties(title=title), height=320)


# ------------------------------------------------------------------ experiments
def ci_chart(
    ci: pd.DataFrame,
    param: str,
    outcome: str,
    param_title: str,
    color: str = theme.SLOT_COLORS[0],
    categorical: bool | None = None,
) -> alt.TopLevelMixin:
    """Mean outcome per parameter value with its 95% t-interval (columns param, mean, lo, hi, n).

    The parameter column is renamed before charting: Vega-Lite reads a dotted
    name (``exchange.complex``, ``firms[*].quality``) as a path into nested
    fields and would find nothing. Text, true/false and (when asked) numeric
    levels are drawn as categories, one place per level.
    """
    d = ci.rename(columns={param: "level"}).copy()
    if categorical is None:
        categorical = not pd.api.types.is_numeric_dtype(d["level"]) or pd.api.types.is_bool_dtype(
            d["level"]
        )
    if categorical:
        d["level"] = d["level"].astype(str)
    kind = "N" if categorical else "Q"
    x = alt.X(
        f"level:{kind}",
        title=param_title,
        scale=alt.Undefined if categorical else alt.Scale(zero=False),
        axis=alt.Axis(labelAngle=0) if categorical else alt.Undefined,
        sort=None if categorical else alt.Undefined,
    )
    ytitle = outcome_title(outcome)
    base = alt.Chart(d)
    rule = base.mark_rule(color=color, strokeWidth=3).encode(
        x=x, y=alt.Y("lo:Q", title=ytitle), y2="hi:Q"
    )
    pts = base.mark_circle(size=160, color=color, opacity=1).encode(
        x=x,
        y=alt.Y("mean:Q", title=ytitle, scale=alt.Scale(zero=False)),
        tooltip=[
            alt.Tooltip(f"level:{kind}", title=param_title),
            alt.Tooltip("mean:Q", title="Mean", format=".4~g"),
            alt.Tooltip("lo:Q", title="95% CI low", format=".4~g"),
            alt.Tooltip("hi:Q", title="95% CI high", format=".4~g"),
            alt.Tooltip("n:Q", title="Runs"),
        ],
    )
    layers = [rule, pts]
    if not categorical:
        layers.insert(0, base.mark_line(color=color, opacity=0.5).encode(x=x, y="mean:Q"))
    return finish(
        alt.layer(*layers).properties(title=f"{outcome_label(outcome)} (mean, 95% CI)"),
        height=340,
    )


def sensitivity_chart(
    sens: pd.DataFrame,
    index_col: str,
    name_col: str,
    conf_col: str | None = None,
    title: str = "Sensitivity indices",
) -> alt.TopLevelMixin:
    """Bars of a sensitivity index per parameter, with its confidence half-width when given."""
    d = sens.copy()
    base = alt.Chart(d)
    bars = base.mark_bar(color=theme.SLOT_COLORS[0]).encode(
        y=alt.Y(f"{name_col}:N", title="Parameter", sort="-x"),
        x=alt.X(f"{index_col}:Q", title=index_col),
        tooltip=[f"{name_col}:N", alt.Tooltip(f"{index_col}:Q", format=".3f")],
    )
    layers = [bars]
    if conf_col:
        d["_lo"] = d[index_col] - d[conf_col]
        d["_hi"] = d[index_col] + d[conf_col]
        layers.append(
            alt.Chart(d)
            .mark_rule(color="#1A1A1A", strokeWidth=2)
            .encode(y=alt.Y(f"{name_col}:N", sort="-x"), x="_lo:Q", x2="_hi:Q")
        )
    return finish(alt.layer(*layers).properties(title=title), height=max(200, 30 * len(d)))


def influence_graph_chart(
    nodes: pd.DataFrame, edges: pd.DataFrame, title: str = "Heaviest realized influence"
) -> alt.TopLevelMixin:
    """Influence edges (x, y, x2, y2, weight, sign) over consumers (x, y, label, exerted)."""
    axis = dict(axis=None, scale=alt.Scale(domain=[-1.1, 1.1], nice=False))
    e = edges.assign(direction=np.where(edges["sign"] >= 0, "raised trust", "lowered trust"))
    lines = (
        alt.Chart(e)
        .mark_rule(opacity=0.85)
        .encode(
            **_segment(axis),
            color=alt.Color(
                "direction:N",
                title="Influence",
                scale=alt.Scale(
                    domain=["raised trust", "lowered trust"],
                    range=[theme.KIND_COLORS["recommendation"], theme.KIND_COLORS["warning"]],
                ),
            ),
            strokeWidth=alt.StrokeWidth(
                "weight:Q", title="Trust moved", scale=alt.Scale(range=[1.5, 6]), legend=None
            ),
            tooltip=[alt.Tooltip("weight:Q", title="Trust moved", format=".3f"), "direction:N"],
        )
    )
    pts = (
        alt.Chart(nodes)
        .mark_circle(stroke="#333333", strokeWidth=0.5, opacity=1, color=theme.SLOT_COLORS[0])
        .encode(
            **_point(axis),
            size=alt.Size(
                "exerted:Q", title="Trust moved in others", scale=alt.Scale(range=[20, 500])
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Consumer"),
                alt.Tooltip("exerted:Q", title="Trust moved in others", format=".3f"),
            ],
        )
    )
    return finish(alt.layer(lines, pts).properties(title=title), height=520)
