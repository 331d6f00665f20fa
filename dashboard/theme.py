"""One palette for the whole dashboard, and sizes readable on a projector.

Colours follow Okabe & Ito (2008), a set that stays distinct for the common
colour-vision deficiencies and on washed-out projectors. Every chart and card
takes its colours from here, so a run slot or an exchange age has one colour
everywhere.
"""

from __future__ import annotations

import altair as alt

__all__ = [
    "AGE_COLORS",
    "BASELINE_COLOR",
    "FONT_SIZE",
    "KIND_COLORS",
    "SLOT_COLORS",
    "age_color",
    "apply_css",
    "register_altair_theme",
    "slot_color",
]

#: Colours of the (at most four) kept runs, by slot.
SLOT_COLORS: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
#: The preset unchanged, drawn behind the runs.
BASELINE_COLOR = "#4D4D4D"
#: Bagozzi's three exchange ages.
AGE_COLORS: dict[str, str] = {
    "restricted": "#0072B2",
    "generalized": "#E69F00",
    "complex": "#CC79A7",
}
#: Message kinds as named by ``sim.messages.MessageKind`` (lower case).
KIND_COLORS: dict[str, str] = {
    "offer": "#0072B2",
    "request": "#E69F00",
    "answer": "#009E73",
    "complaint": "#D55E00",
    "public_post": "#CC79A7",
    "public_answer": "#56B4E9",
    "recommendation": "#117733",
    "warning": "#B2182B",
    "amplified": "#6A3D9A",
}
#: Node colours in network drawings.
FIRM_COLOR = "#1A1A1A"
INTERMEDIARY_COLOR = "#E69F00"
TIE_COLOR = "#BDBDBD"

FONT_SIZE = 16
TITLE_SIZE = 20


def slot_color(slot: int) -> str:
    """Colour of run slot ``slot`` (0-3)."""
    return SLOT_COLORS[slot % len(SLOT_COLORS)]


def age_color(age: str) -> str:
    """Colour of an exchange age given by name."""
    return AGE_COLORS[age.lower()]


def _exlab_theme() -> dict:
    return {
        "config": {
            "font": "Source Sans Pro, Arial, sans-serif",
            "background": "#FFFFFF",
            "axis": {
                "labelFontSize": FONT_SIZE - 2,
                "titleFontSize": FONT_SIZE,
                "labelColor": "#1A1A1A",
                "titleColor": "#1A1A1A",
                "gridColor": "#DDDDDD",
                "domainColor": "#333333",
                "tickColor": "#333333",
            },
            "legend": {
                "labelFontSize": FONT_SIZE - 2,
                "titleFontSize": FONT_SIZE - 1,
                "labelLimit": 320,
                "symbolSize": 200,
            },
            "title": {"fontSize": TITLE_SIZE, "anchor": "start", "color": "#1A1A1A"},
            "header": {"labelFontSize": FONT_SIZE, "titleFontSize": FONT_SIZE},
            "text": {"fontSize": FONT_SIZE - 2},
            "line": {"strokeWidth": 3},
            "view": {"stroke": None},
        }
    }


def register_altair_theme() -> None:
    """Register and enable the projector theme for altair charts built without Streamlit."""
    alt.theme.register("exlab", enable=True)(_exlab_theme)


#: Larger text and stronger contrast than Streamlit's defaults, for projectors.
_CSS = f"""
<style>
.stMarkdown p, .stMarkdown li, [data-testid="stWidgetLabel"] p {{ font-size: {FONT_SIZE + 1}px; }}
[data-testid="stMetricValue"] {{ font-size: 2.1rem; color: #111111; }}
[data-testid="stMetricLabel"] p {{ font-size: 1.0rem; color: #222222; font-weight: 600; }}
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {{
    white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }}
[data-testid="stCaptionContainer"] {{ color: #333333; font-size: {FONT_SIZE - 1}px; }}
.exlab-swatch {{ display:inline-block; width:0.9em; height:0.9em; border-radius:2px;
                 margin-right:0.35em; vertical-align:-0.1em; }}
</style>
"""


def apply_css() -> None:
    """Inject the projector stylesheet (call once per script run)."""
    import streamlit as st

    st.html(_CSS)


def swatch(color: str, label: str) -> str:
    """HTML for a coloured square followed by ``label`` (for st.markdown with unsafe html)."""
    import html

    return f'<span class="exlab-swatch" style="background:{color}"></span>{html.escape(label)}'
