"""Session state of the app: the loaded cohort, its events, the global filters.

Streamlit-only glue; every computation is a call into :mod:`core`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from core.cleaning import without_error_rows
from core.events import EventsError, EventsTable, load_events
from core.filters import FilterError, FilterSpec, apply_filters
from core.i18n import _, language, n_
from core.io import (
    SAMPLE_DIR,
    Cohort,
    CohortFileError,
    build_cohort,
    load_sample_cohort,
    read_table,
    sample_dictionary,
)
from core.safe_text import md
from core.schema import DataDictionary
from core.validate import Problem
from core.view import file_sha256
from ui.memory import page_running
from ui.shared import shared_cohort

T = TypeVar("T")
SAMPLE_LABEL = "Sample cohort (synthetic, Monseau 2020)"


class PageStopped(BaseException):
    """A page called ``st.stop()``: its run ends, the app's run goes on (URL, slides)."""


_IN_PAGE = threading.local()  # Streamlit runs each session's script in its own thread
_ORIGINAL_STOP = getattr(st.stop, "_myoscope_original", st.stop)


def _stop() -> None:
    """``st.stop`` inside a page ends the page only (see :func:`run_page`)."""
    if getattr(_IN_PAGE, "active", False):
        raise PageStopped
    _ORIGINAL_STOP()


_stop._myoscope_original = _ORIGINAL_STOP  # type: ignore[attr-defined]
st.stop = _stop  # type: ignore[assignment]


#: Session key of the number of the current run (counted from 1; ``ui.widgets.kept_upload``).
RUN_NUMBER = "_run_number"


def run_page(nav: Any) -> None:
    """Run the current page; its ``st.stop()`` ends the page, not the app's run, so the
    view is still written to the address and the slides still drawn after it."""
    st.session_state[RUN_NUMBER] = st.session_state.get(RUN_NUMBER, 0) + 1
    _IN_PAGE.active = True
    try:
        with page_running():  # the memory janitor trims between runs (ui.memory)
            nav.run()
    except PageStopped:
        pass
    finally:
        _IN_PAGE.active = False


@dataclass(frozen=True)
class FilteredCohort:
    """What every analysis page works on.

    Attributes
    ----------
    data : pandas.DataFrame
        The filtered cohort.
    dictionary : DataDictionary
    filters : FilterSpec
    description : str
        Human text of the active filters.
    n_total : int
        Patients before filtering.
    events : EventsTable or None
        The long-format events table, when one is loaded.
    source : str
        Name of the cohort source.
    """

    data: pd.DataFrame
    dictionary: DataDictionary
    filters: FilterSpec
    description: str
    n_total: int
    events: EventsTable | None
    source: str


@st.cache_resource(show_spinner=False)
def _sample() -> Cohort:
    return load_sample_cohort()


@st.cache_resource(show_spinner=False)
def _sample_events() -> EventsTable:
    return load_events(SAMPLE_DIR / "events.csv")


def init_state() -> None:
    """Load the sample cohort on the first run of a session."""
    if "cohort" not in st.session_state:
        use_sample()


def use_sample() -> None:
    """Switch back to the bundled sample cohort."""
    ss = st.session_state
    ss["cohort"] = _sample()
    ss["cohort_source"] = SAMPLE_LABEL
    ss["events"] = _sample_events()
    ss["events_source"] = "sample events"
    ss["raw"] = None
    ss["mapping"] = None
    ss["types"] = {}
    ss["upload_id"] = None
    ss.pop("upload_error", None)
    ss.pop("cohort_full", None)


#: Files larger than this show a progress bar while they are read.
PROGRESS_BYTES = 5_000_000
#: Filtered cohorts kept per session (the last few filters: going back and forth between
#: two what-ifs costs no new filtering and no new copy of the cohort).
FILTERED_KEPT = 3


def _reading_progress(filename: str, size: int) -> Callable[[float], None] | None:
    """A progress bar for a large upload. Each update is also where Streamlit stops work
    that is no longer wanted: a new upload or a closed tab raises its stop/rerun request
    there, and the read is abandoned (the previous cohort stays loaded)."""
    if size < PROGRESS_BYTES:
        return None
    bar = st.progress(0.0, text=_("Reading {name}…", name=md(filename)))

    def update(fraction: float) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=_("Reading {name}…", name=md(filename)))

    return update


def load_upload(data: bytes, filename: str, upload_id: str, sheet: str | int | None = None) -> None:
    """Read an uploaded cohort file; problems (not exceptions) land in the cohort.

    The sample dictionary is used for labels and groups when the file's columns match it
    (the column mapping recognises its names and French labels).
    """
    ss = st.session_state
    same = ss.get("upload_id") == upload_id
    mapping = ss.get("mapping") if same else None
    types = dict(ss.get("types") or {}) if same else {}
    sha = file_sha256(data)  # once per upload, never per rerun
    key = (sha, filename, sheet, _frozen(mapping), _frozen(types))

    def build() -> Cohort:
        raw = read_table(data, filename, sheet, progress=_reading_progress(filename, len(data)))
        return _light(build_cohort(raw, mapping, sample_dictionary(), types=types))

    try:  # the same file read the same way in another live session: its cohort, not a copy
        cohort = shared_cohort(key, build)
    except CohortFileError as exc:  # the file cannot be read: keep the previous cohort usable
        ss["upload_error"] = (filename, str(exc))
        ss["upload_id"] = upload_id
        return
    ss.pop("upload_error", None)
    ss.pop("cohort_full", None)
    ss["types"] = types
    ss["raw"] = cohort.raw
    ss["cohort"] = cohort
    ss["mapping"] = dict(cohort.mapping)
    ss["upload_sheet"] = sheet
    ss["_cohort_sha"] = (upload_id, sha)
    ss["cohort_source"] = filename
    ss["upload_id"] = upload_id
    ss["upload_bytes"] = data
    ss["events"] = None
    ss["events_source"] = ""


def set_aside_error_rows(on: bool) -> None:
    """Analyse without the rows that have errors (``on``), or put them back.

    The full cohort is kept aside in the session so the choice can be undone; a new
    file, mapping or the sample cohort clears it (:func:`core.cleaning.without_error_rows`).
    """
    ss = st.session_state
    if on and ss.get("cohort_full") is None:
        ss["cohort_full"] = ss["cohort"]
        ss["cohort"] = without_error_rows(ss["cohort"])
    elif not on and ss.get("cohort_full") is not None:
        ss["cohort"] = ss.pop("cohort_full")


def apply_mapping(mapping: dict[str, str], types: dict[str, str] | None = None) -> None:
    """Rebuild the uploaded cohort with a corrected column mapping and chosen types
    (canonical name -> type, overriding the guesses)."""
    ss = st.session_state
    if ss.get("raw") is None or not ss.get("upload_bytes"):
        return
    raw = read_table(ss["upload_bytes"], ss.get("cohort_source", ""), ss.get("upload_sheet"))  # re-read: no raw copy is kept
    ss["mapping"] = dict(mapping)
    if types is not None:
        ss["types"] = dict(types)
    ss.pop("cohort_full", None)
    _keep_typed(build_cohort(raw, mapping, sample_dictionary(), types=ss.get("types") or {}))


def _light(cohort: Cohort) -> Cohort:
    """The typed cohort without the raw text cells (the largest object of an upload),
    dropped once typed; the file's bytes stay in the session, to re-read it when the
    mapping changes. The header and reading notes are kept for the Cohort page."""
    light = replace(cohort.raw, data=pd.DataFrame(columns=list(cohort.raw.data.columns)))  # no view on the cells
    return replace(cohort, raw=light)


def _keep_typed(cohort: Cohort) -> None:
    """Keep the typed cohort only (:func:`_light`)."""
    ss = st.session_state
    ss["cohort"] = _light(cohort)
    ss["raw"] = ss["cohort"].raw


def _frozen(value: Any) -> Any:
    """A mapping or types dict as a hashable key part (``None`` stays ``None``)."""
    return None if value is None else tuple(sorted((str(k), str(v)) for k, v in dict(value).items()))


def load_events_upload(data: bytes, filename: str) -> str | None:
    """Read an uploaded events table; returns an error message or None."""
    ss = st.session_state
    cohort: Cohort = ss["cohort"]
    ids = cohort.data["patient_id"].astype(str).tolist() if "patient_id" in cohort.data else None
    try:
        import io as _io

        buf = _io.BytesIO(data)
        buf.name = filename  # type: ignore[attr-defined]
        ss["events"] = load_events(buf, known_patient_ids=ids)
    except EventsError as exc:
        return str(exc)
    ss["events_source"] = filename
    return None


def cohort_fact(name: str, fn: Callable[[Cohort], T]) -> T:
    """``fn(cohort)`` for the loaded cohort, computed once per cohort object.

    For what the sidebar and the pages derive from the whole cohort on every rerun (the
    subtypes present, the yes/no columns with a value, the patient ids...): computed when
    a cohort is loaded (or changed), a look-up afterwards.
    """
    ss = st.session_state
    cohort = ss.get("cohort")
    memo = ss.get("_cohort_facts")
    if memo is None or memo[0] is not cohort:
        memo = (cohort, {})
        ss["_cohort_facts"] = memo
    facts: dict[str, Any] = memo[1]
    if name not in facts:
        facts[name] = fn(cohort)
    return facts[name]  # type: ignore[no-any-return]


def current_filters() -> FilterSpec:
    """The filter spec held in session state (set by the sidebar)."""
    spec = st.session_state.get("filters")
    return spec if isinstance(spec, FilterSpec) else FilterSpec()


def filtered_cohort() -> FilteredCohort | None:
    """The filtered cohort, or ``None`` when no valid cohort is loaded."""
    ss = st.session_state
    cohort: Cohort | None = ss.get("cohort")
    if cohort is None or cohort.blocking(()) or cohort.data.empty:  # whole-file errors only
        return None
    from ui.lang import localized

    spec = current_filters()
    key = (spec, language(), ss.get("cohort_source", ""), id(ss.get("events")))
    memo: OrderedDict[tuple, tuple[Cohort, FilteredCohort]] = ss.setdefault("_filtered_memo", OrderedDict())
    hit = memo.get(key)
    if hit is not None and hit[0] is cohort and hit[1].events is ss.get("events"):
        memo.move_to_end(key)
        ss["_n_filtered"] = len(hit[1].data)
        return hit[1]
    try:
        res = apply_filters(cohort.data, spec, localized(cohort.dictionary))
    except FilterError as exc:
        st.warning(_("{error} The filter is ignored.", error=md(exc)))
        res = apply_filters(cohort.data, FilterSpec(), localized(cohort.dictionary))
        spec, key = FilterSpec(), None
    ss["_n_filtered"] = len(res.data)
    fc = FilteredCohort(res.data, localized(cohort.dictionary), spec, res.description(), res.n_before, ss.get("events"),
                        ss.get("cohort_source", ""))
    if key is not None:
        memo[key] = (cohort, fc)
        while len(memo) > FILTERED_KEPT:
            memo.popitem(last=False)
    return fc


def ensure_app_shell() -> None:
    """Re-run through ``app.py`` when a page was started without it.

    On the very first request a fresh server receives, Streamlit guesses that an app
    with a ``pages/`` folder is a legacy multipage app and, for a deep link such as
    ``/survival?subtype=Mi2``, runs the page file alone: no sidebar, no cohort. The
    guess is corrected as soon as ``app.py`` calls ``st.navigation``; this re-runs the
    request through ``app.py`` so a bookmarked view opens correctly.
    """
    if "cohort" in st.session_state and st.session_state.get("_shell_run"):
        return
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def column_errors(columns: Iterable[str]) -> list[Problem]:
    """Errors in the values of ``columns`` (canonical names) of the loaded cohort."""
    cohort: Cohort | None = st.session_state.get("cohort")
    if cohort is None:
        return []
    wanted = {c for c in columns if c}
    return [p for p in cohort.errors if p.field is not None and p.field in wanted]


def require_clean_columns(columns: Iterable[str], view: str) -> None:
    """Stop the view when a column it uses has errors (other views keep working)."""
    errs = column_errors(columns)
    if not errs:
        return
    by_col: dict[str, list[int]] = {}
    for p in errs:
        by_col.setdefault(str(p.column), []).append(int(p.row) if p.row is not None else 0)
    parts = [n_("{column} ({n} error, first row {row})", "{column} ({n} errors, first row {row})", len(rows),
                column=md(c), row=min(r for r in rows) or "-") for c, rows in by_col.items()]
    st.error(_("{view} uses column(s) with errors: {columns}. Fix them in your file or in the Cohort "
               "page's mapping (other views are not affected).", view=view, columns=", ".join(parts)))
    st.stop()


def usable_columns(columns: Iterable[str]) -> tuple[list[str], list[str]]:
    """``columns`` split into those without errors and those with errors (left out, named)."""
    bad = {p.field for p in column_errors(columns)}
    cols = list(columns)
    return [c for c in cols if c not in bad], [c for c in cols if c in bad]


def require_filtered_cohort() -> FilteredCohort:
    """The filtered cohort; stops the page with guidance when there is none."""
    ensure_app_shell()
    fc = filtered_cohort()
    if fc is None:
        st.info(_("No valid cohort is loaded: open the **Cohort** page to fix the problems in your file, or switch back "
                  "to the sample cohort in the sidebar."))
        st.stop()
    assert fc is not None
    if fc.data.empty:
        st.warning(_("No patient matches the filters ({filters}). Widen them in the sidebar.", filters=md(fc.description)))
        st.stop()
    return fc
