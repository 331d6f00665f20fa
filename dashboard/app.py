"""ExchangeLab dashboard entrypoint: page configuration and navigation only.

Start it with ``make run`` (or ``streamlit run dashboard/app.py``).
"""

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `dashboard` and `sim` importable

from dashboard import theme  # noqa: E402

st.set_page_config(page_title="ExchangeLab", page_icon=":material/hub:", layout="wide")
theme.apply_css()

pages = [
    st.Page("views/scenario_lab.py", title="Scenario lab", icon=":material/tune:", default=True),
    st.Page("views/classroom.py", title="Classroom", icon=":material/school:"),
    st.Page("views/influence.py", title="Influence", icon=":material/share:"),
    st.Page("views/experiments.py", title="Experiments", icon=":material/science:"),
    st.Page("views/decisions.py", title="Decisions", icon=":material/insights:"),
]
st.navigation(pages).run()
