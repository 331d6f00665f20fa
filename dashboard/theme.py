"""One palette for the whole dashboard, and sizes readable on a projector.

Colours follow Okabe & Ito (2008) for runs and ages, and Paul Tol's "muted"
scheme (nine colours) for message kinds: both stay distinct for the common
colour-vision deficiencies and on washed-out projectors. Every chart and card
takes its colours from here, so a run slot, an exchange age or a message kind
has one colour everywhere.
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
#: Message kinds as named by ``sim.messages.MessageKind`` (lower case): one colour each,
#: from Tol's colour-blind-safe "muted" scheme.
KIND_COLORS: dict[str, str] = {
    "offer": "#332288",  # indigo
    "request": "#999933",  # olive
    "answer": "#117733",  # green
    "complaint": "#CC6677",  # rose
    "public_post": "#AA4499",  # purple
    "public_answer": "#88CCEE",  # cyan
    "recommendation": "#44AA99",  # teal
    "warning": "#882255",  # wine
    "amplified": "#DDCC77",  # sand
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


#: Larger text and stronger contrast than Streamlit's defaults, for projectors; less padding
#: around the page so that 1024-pixel screens keep their width for content; KPI cards that
#: wrap onto a new row rather than cut their values; the Scenario lab's run bar.
_CSS = f"""
<style>
[data-testid="stMainBlockContainer"] {{ padding: 3rem 1.6rem 6rem 1.6rem; max-width: 1500px; }}
.stMarkdown p, .stMarkdown li, [data-testid="stWidgetLabel"] p {{ font-size: {FONT_SIZE + 1}px; }}
[data-testid="stMetricValue"] {{ font-size: 1.75rem; color: #111111; }}
[data-testid="stMetricValue"] {{ overflow: visible; }}
div:has(> [data-testid="stMetricDelta"]) {{ flex-wrap: wrap; row-gap: 0.15rem; }}
[data-testid="stMetricDeltaDescription"], [data-testid="stMetricDeltaDescription"] * {{
    white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }}
[data-testid="stMetricLabel"] p {{ font-size: 1.0rem; color: #222222; font-weight: 600; }}
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {{
    white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }}
[data-testid="stCaptionContainer"] {{ color: #333333; font-size: {FONT_SIZE - 1}px; }}
.stButton button p, .stDownloadButton button p {{ white-space: nowrap; }}
[data-testid="stSelectboxVirtualDropdown"] {{ min-width: min(860px, 78vw) !important; }}
.st-key-kpi_grid [data-testid="stHorizontalBlock"],
[class*="st-key-kpis_"] [data-testid="stHorizontalBlock"] {{ flex-wrap: wrap; row-gap: 0.8rem; }}
.st-key-kpi_grid [data-testid="stColumn"],
[class*="st-key-kpis_"] [data-testid="stColumn"] {{
    flex: 1 1 215px !important; min-width: 215px !important; }}
.st-key-cls_bar [data-testid="stMarkdownContainer"] p {{ font-size: {FONT_SIZE + 4}px; line-height: 1.35; }}
@media (max-width: 1200px) {{
  h1 {{ font-size: 2.1rem !important; }}
  .st-key-cls_bar [data-testid="stMarkdownContainer"] p {{ font-size: {FONT_SIZE + 2}px; }}
}}
.st-key-lab_results {{ scroll-margin-top: 4.5rem; }}
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
