"""Myoscope — entry point: page config, navigation, the sidebar shared by every page.

Run with ``streamlit run app.py``. The sample cohort loads by default.

The whole view (filters and every page's settings) lives in the address:
``ui.view_ui.begin`` puts it into the widgets before the page runs, ``ui.view_ui.end``
writes it back after the page, even when the page stopped early (``st.stop``). In
presentation mode the page's figures and tables become slides (``ui.view_ui.render_deck``).
"""

from __future__ import annotations

import streamlit as st

from core.i18n import _
from ui import lang, view_ui
from ui.bundle import sidebar_bundle
from ui.errors import guarded
from ui.memory import start_janitor
from ui.shared import uploads_not_copied
from ui.sidebar import render_sidebar
from ui.state import run_page

st.set_page_config(page_title="Myoscope", page_icon="🔬", layout="wide", initial_sidebar_state="expanded")
start_janitor()  # once per server: memory returned to the system when sessions end
uploads_not_copied()  # an uploaded file is not copied on every rerun

lang.start()  # the language of this run (?lang=fr, the view's g.lang), before anything is drawn
PAGES = [
    st.Page("pages/cohort.py", title=_("Cohort"), default=True, url_path="cohort"),
    st.Page("pages/compare.py", title=_("Compare groups"), url_path="compare"),
    st.Page("pages/survival.py", title=_("Survival"), url_path="survival"),
    st.Page("pages/cancer_risk.py", title=_("Cancer risk"), url_path="cancer_risk"),
    st.Page("pages/patient.py", title=_("Patient course"), url_path="patient"),
]

nav = st.navigation(PAGES)
page = nav.url_path or "cohort"
with guarded(_("the view")):
    view_ui.begin(page)
with st.sidebar, guarded(_("the sidebar")):
    render_sidebar()
presenting = view_ui.presenting()
slot = st.container(key="slide_deck") if presenting else None
with st.container(key="page_body"), guarded(_("this page")):
    run_page(nav)
with guarded(_("the view")):
    view_ui.end(page)
    if slot is not None:
        view_ui.render_deck(slot)
with guarded(_("the meeting bundle")):  # after the page: the bundle of the view as shown
    sidebar_bundle(page)
