"""The one-click meeting bundle in the app: privacy options, build with progress, download.

Streamlit ignores ``st.*`` calls made inside a deferred download's data callable, so the
stages cannot be shown from there. :func:`bundle_button` therefore builds the zip when
"Prepare" is clicked, showing each stage in ``st.status`` with a progress bar, keeps it in
the session for this exact view, cohort and options, and offers it with a download button
whose data is handed over only when clicked (deferred).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import streamlit as st

from core.i18n import _
from core.io import Cohort
from core.privacy import DEFAULT_THRESHOLD
from core.report import BundleOptions, ReportError, build_bundle
from core.safe_text import md
from core.view import ViewState

_STORE = "_bundle_zip"


def cohort_identity() -> tuple[str, str]:
    """(file name, SHA-256) of the loaded cohort (:func:`ui.view_ui.cohort_sha`, cached)."""
    from ui.view_ui import cohort_sha

    ss = st.session_state
    name = str(ss.get("cohort_source", "")) if ss.get("upload_id") else "cohort.csv"
    return name, cohort_sha()


def sidebar_bundle(page: str = "") -> None:
    """The bundle of the view on screen, in the sidebar: the session's cohort, its view
    (:func:`ui.view_ui.current_view`) and its events table. One call for ``ui/sidebar.py``."""
    from ui.view_ui import current_view

    cohort = st.session_state.get("cohort")
    if cohort is None or cohort.blocking(()) or cohort.data.empty:
        return
    st.sidebar.markdown("### " + _("Meeting bundle"))
    bundle_button(cohort, current_view(page), st.session_state.get("events"))


def bundle_button(cohort: Cohort, view: ViewState, events: Any = None, key: str = "bundle", where: Any = None) -> None:
    """Privacy options, a "Prepare meeting bundle" button and, once built, its download.

    Parameters
    ----------
    cohort : core.io.Cohort
        The loaded (unfiltered) cohort; the view's filters are applied by the bundle.
    view : core.view.ViewState
        The current view (filters and page settings).
    events : core.events.EventsTable, optional
        For the patient course slide (``p.id``).
    key : str
        Widget key prefix.
    where : streamlit container, optional
        Default ``st.sidebar``.
    """
    box = where if where is not None else st.sidebar
    suppress = box.toggle(_("Suppress counts below {n}", n=DEFAULT_THRESHOLD), key=f"{key}_suppress",
                          help=_("Counts 1–{last} become <{n} and their percentages are blanked, in every file "
                                 "(registries' rule).", last=DEFAULT_THRESHOLD - 1, n=DEFAULT_THRESHOLD))
    ids = box.toggle(_("Include patient identifiers"), key=f"{key}_ids",
                     help=_("Off: no patient id in any file; the patient course uses a pseudonym (Patient A)."))
    options = BundleOptions(DEFAULT_THRESHOLD if suppress else None, ids)
    name, sha = cohort_identity()
    signature = hashlib.sha256(json.dumps([view.to_json(name, sha), suppress, ids], default=str).encode()).hexdigest()
    stored = st.session_state.get(_STORE)
    fresh = stored is not None and stored[0] == signature
    if not fresh and box.button(_("Prepare meeting bundle"), key=f"{key}_build",
                                help=_("Deck, HTML, Word, Excel, figures and view.json in one zip.")):
        stored = _build(box, cohort, view, name, sha, options, events, signature)
    if stored is not None and stored[0] == signature:
        data = stored[1]
        box.download_button(_("⬇ Meeting bundle (.zip)"), data=lambda: data, file_name="myoscope_bundle.zip",
                            mime="application/zip", key=f"{key}_download", on_click="ignore")


def _build(box: Any, cohort: Cohort, view: ViewState, name: str, sha: str, options: BundleOptions, events: Any,
           signature: str) -> tuple[str, bytes] | None:
    """Build the zip with each stage shown; ``None`` (and a message) when it cannot be built."""
    with box.status(_("Building the meeting bundle…"), expanded=True) as status:
        bar = st.progress(0.0)

        def progress(stage: str, fraction: float) -> None:
            status.update(label=stage)
            bar.progress(min(max(fraction, 0.0), 1.0), text=stage)

        try:
            data = build_bundle(cohort, view, name, sha, options, progress, events=events)
        except ReportError as exc:
            status.update(label=_("The bundle could not be built"), state="error")
            st.error(md(exc))
            return None
        status.update(label=_("Meeting bundle ready"), state="complete", expanded=False)
    st.session_state[_STORE] = (signature, data)
    return signature, data


__all__ = ["bundle_button", "cohort_identity", "sidebar_bundle"]
