"""Myoscope — entry point: page config, navigation, the sidebar shared by every page.

Run with ``streamlit run app.py``. The sample cohort loads by default.
"""

from __future__ import annotations

import streamlit as st

from ui.errors import guarded
from ui.sidebar import render_sidebar

st.set_page_config(page_title="Myoscope", page_icon="🔬", layout="wide", initial_sidebar_state="expanded")

PAGES = [
    st.Page("pages/cohort.py", title="Cohort", default=True, url_path="cohort"),
    st.Page("pages/compare.py", title="Compare groups", url_path="compare"),
    st.Page("pages/survival.py", title="Survival", url_path="survival"),
    st.Page("pages/cancer_risk.py", title="Cancer risk", url_path="cancer_risk"),
    st.Page("pages/patient.py", title="Patient course", url_path="patient"),
]

nav = st.navigation(PAGES)
with st.sidebar, guarded("the sidebar"):
    render_sidebar()
with guarded("this page"):
    nav.run()
