"""Cohort page: what was loaded, column mapping, validation report, summary, preview."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, TypeVar

import streamlit as st

from core.charts.cohort import (
    age_histogram,
    feature_frequencies,
    group_bars,
    numeric_columns,
    numeric_histogram,
)
from core.cleaning import can_set_aside, error_rows, set_aside_table
from core.export import plotly_config
from core.filters import FilterError, FilterSpec, filter_from_selection, range_chart
from core.i18n import _, fmt_pct, n_
from core.io import (
    FEATURE_TYPES,
    NOT_IMPORTED,
    CohortFileError,
    cleaned_csv,
    load_mapping,
    mapping_from_table,
    mapping_table,
    sample_dictionary,
    save_mapping,
)
from core.safe_text import md
from core.schema import CORE_COLUMNS
from core.suggest import near_misses
from core.summary import cohort_summary, subtype_table
from core.validate import problems_frame
from ui import view_ui
from ui.cache import cached
from ui.lang import headers, localized, shown_as, translated
from ui.sidebar import source_label
from ui.state import (
    SAMPLE_LABEL,
    apply_mapping,
    ensure_app_shell,
    filtered_cohort,
    load_events_upload,
    load_upload,
    set_aside_error_rows,
)
from ui.widgets import download_table, is_shown, lazy_expander, plotly_spec

#: Names of the events table that are the app's own (translated when shown).
EVENT_SOURCES = ("none loaded", "sample events", "interferon scores added in this session")
#: Session key: a counter in the charts' keys, raised after each selection (clears it).
CHART_GENERATION = "_cohort_chart_generation"
#: The charts' mode-bar: save the chart, reset a zoom (the charts redraw on every filter change).
GRID_BUTTONS = ("toImage", "resetScale2d")
T = TypeVar("T")



def on_chart_select(chart: str, key: str) -> None:
    """Callback of a chart's click or brush: the selection becomes the sidebar's filter
    (through :data:`ui.view_ui.PENDING_FILTERS`, read by the sidebar on the rerun, which
    also writes the address); the charts get new keys, so the selection is cleared and
    never applied twice."""
    ss = st.session_state
    state = ss.get(key)
    selection = state.get("selection") if isinstance(state, Mapping) else None
    spec = ss.get("filters") if isinstance(ss.get("filters"), FilterSpec) else FilterSpec()
    ss[CHART_GENERATION] = int(ss.get(CHART_GENERATION, 0)) + 1
    try:
        new = filter_from_selection(spec, chart, selection)
    except FilterError:
        return
    if new != spec:
        ss[view_ui.PENDING_FILTERS] = new


def _chart(fig: object, chart: str, name: str, modes: tuple[str, ...]) -> None:
    """One chart of the grid: a click (or a brush) filters."""
    key = f"cohort_chart_{name}_{st.session_state.get(CHART_GENERATION, 0)}"
    st.plotly_chart(plotly_spec(fig), config=plotly_config(f"myoscope_{name}", buttons=GRID_BUTTONS), key=key, theme=None, width="stretch",
                    on_select=partial(on_chart_select, chart, key), selection_mode=modes)


def _built(fn: Callable[..., T], *args: Any) -> T:
    """A figure or summary of the filtered cohort, built once per cohort and filter."""
    return cached(fc, fn, *args) if fc is not None else fn(*args)


def charts() -> None:
    """The charts grid: subtypes, sex, cancer; age and a numeric column."""
    dictionary = localized(fc.dictionary if fc is not None else cohort.dictionary)
    st.caption(_("Click a bar, or drag across a histogram, to filter the cohort: the filter shows in the sidebar "
                 "and in the address, and applies on every page."))
    _chart(_built(group_bars, df, dictionary), "groups", "groups", ("points",))  # subtypes, sex, cancer
    c4, c5 = st.columns(2)
    with c4:
        if "age_at_diagnosis" in df:
            _chart(_built(age_histogram, df), "age", "age", ("points", "box"))
    with c5:
        numeric = _built(numeric_columns, df, dictionary)
        if numeric:
            if ss.get("cohort_hist_column") not in numeric:
                ss["cohort_hist_column"] = "ck_max_ul" if "ck_max_ul" in numeric else numeric[0]
            column = st.selectbox(_("Numeric column"), numeric, key="cohort_hist_column", format_func=dictionary.label)
            _chart(_built(numeric_histogram, df, column, dictionary), range_chart(column), "range", ("points", "box"))


def feature_chart() -> None:
    """% yes of the yes/no features; a click on a bar keeps the patients with that feature."""
    dictionary = localized(fc.dictionary if fc is not None else cohort.dictionary)
    st.caption(_("Click a bar to keep the patients with that feature."))
    _chart(_built(feature_frequencies, df, dictionary), "features", "features", ("points",))


def tables() -> None:
    """Patients per antibody subtype; each column with its type and missing values."""
    c1, c2 = st.columns([1, 2])
    with c1:
        st.markdown("**" + _("Antibody subtypes") + "**")
        st.dataframe(headers(subtype_table(summ)), hide_index=True, width="stretch",
                     column_config={"%": st.column_config.NumberColumn(format="%.1f")})
    with c2:
        st.markdown("**" + _("Columns and their missing values") + "**")
        feats = headers(summ.features.rename(columns={"pct_missing": "% missing"}), "group", "type")
        st.dataframe(feats, hide_index=True, width="stretch", height=300,
                     column_config={translated("% missing"): st.column_config.NumberColumn(format="%.1f")})


ensure_app_shell()
ss = st.session_state
cohort = ss["cohort"]
st.title(_("Cohort"))
st.caption(_(
    "Load your cohort with **My file** in the sidebar (CSV, TSV or Excel, one row per patient). "
    "It is read on this computer only; your file is never modified."
))

if ss.get("upload_error"):
    bad_name, why = ss["upload_error"]
    st.error(_("**{file}** could not be read: {why} The cohort below is still the one loaded before.", file=md(bad_name), why=md(why)))

raw = cohort.raw
src = ss.get("cohort_source", "")
if raw is not None and raw.filename:
    bits = [f"**{md(src)}**", _("format {format}", format=raw.format)]
    if raw.encoding:
        bits.append(_("encoding {encoding}", encoding=raw.encoding))
    if raw.delimiter:
        delimiters = {"\t": _("tab"), ",": _("comma"), ";": _("semicolon"), "|": _("pipe")}
        bits.append(_("delimiter {delimiter}", delimiter=delimiters.get(raw.delimiter, raw.delimiter)))
    if raw.decimal == ",":
        bits.append(_("decimal comma"))
    if raw.sheet:
        bits.append(_("sheet {sheet}", sheet=repr(raw.sheet)))
    st.markdown(" · ".join(bits))
    for note in raw.notes:
        st.info(md(note))
    if len(raw.sheets) > 1 and ss.get("upload_bytes"):
        sheet = st.selectbox(_("Sheet"), raw.sheets, index=raw.sheets.index(raw.sheet), key="cohort_sheet")
        if sheet != raw.sheet:
            load_upload(ss["upload_bytes"], src, str(ss["upload_id"]) + sheet, sheet)
            st.rerun()
elif src and src != SAMPLE_LABEL:
    st.markdown(f"**{md(source_label(src))}**")

# ------------------------------------------------------------------ problems
errors, warnings = cohort.errors, cohort.warnings
global_errors = cohort.blocking(())
if global_errors:
    st.error(_("{errors} must be fixed before analysis (and {warnings}). Fix them in your file and upload it again, "
               "or correct the column mapping below.",
               errors=n_("{n} problem", "{n} problems", len(errors)), warnings=n_("{n} warning", "{n} warnings", len(warnings))))
elif errors:
    cols = sorted({str(p.column) for p in errors})
    st.warning(_("{errors} in the values of {columns}: the views that use these columns are stopped until they are "
                 "fixed; every other view works ({warnings}).",
                 errors=n_("{n} error", "{n} errors", len(errors)), columns=", ".join(md(c) for c in cols),
                 warnings=n_("{n} warning", "{n} warnings", len(warnings))))
elif warnings:
    st.warning(n_("The cohort is usable; {n} warning to review.", "The cohort is usable; {n} warnings to review.", len(warnings)))
else:
    st.success(_("No problem found."))
if cohort.problems:
    with lazy_expander(_("Validation report ({errors}, {warnings})", errors=n_("{n} error", "{n} errors", len(errors)),
                       warnings=n_("{n} warning", "{n} warnings", len(warnings))), expanded=bool(errors), key="cohort_problems_box") as shown:
        if shown:
            pf = problems_frame(cohort.problems)
            st.dataframe(headers(pf, "severity"), hide_index=True, width="stretch", key="problems_table")
            download_table(pf, "myoscope_problems", key="dl_problems", title=_("Validation report"))

# ------------------------------------------------------------------ keep going without the bad rows
full = ss.get("cohort_full")
if full is not None:
    st.info(n_("{n} row with errors is set aside from every analysis (listed below).",
               "{n} rows with errors are set aside from every analysis (listed below).", len(error_rows(full))))
    download_table(set_aside_table(full), "myoscope_rows_set_aside", key="dl_aside", title=_("Rows set aside"))
    if st.button(_("Put these rows back"), key="aside_off"):
        set_aside_error_rows(False)
        st.rerun()
elif errors and can_set_aside(cohort):
    n_bad = len(error_rows(cohort))
    if st.button(n_("Analyse without the {n} row with errors", "Analyse without the {n} rows with errors", n_bad), key="aside_on",
                 help=_("The rows are set aside (counted and listed, downloadable); your file is not changed.")):
        set_aside_error_rows(True)
        st.rerun()

# ------------------------------------------------------------------ mapping
if ss.get("raw") is not None:
    hints = near_misses(dict(ss.get("mapping") or cohort.mapping), sample_dictionary())
    if hints:
        st.info(_("Some columns look like Myoscope columns: {hints} Use the suggestions, or correct the mapping below.",
                  hints="; ".join(f"**{md(c)}** → `{h[0][0]}`?" for c, h in hints.items())))
        if st.button(_("Use these suggestions"), key="apply_hints"):
            apply_mapping({**dict(ss.get("mapping") or cohort.mapping), **{c: h[0][0] for c, h in hints.items()}})
            st.rerun()
if ss.get("raw") is not None:
    with st.expander(_("Column mapping"), expanded=bool(errors)):
        st.caption(_("Each of your columns, the Myoscope column it feeds and how its values are read. Correct any "
                     "wrong guess, then apply. Columns not matched keep their own name and are analysed as features. "
                     "Types: binary (yes/no), continuous or ordinal (numbers), categorical (a few levels), date, text "
                     "(not analysed); the type of Myoscope's own columns is fixed."))
        mapping = dict(ss.get("mapping") or cohort.mapping)
        targets = sorted(set(CORE_COLUMNS) - {"antibody_subtype"}) + sorted({v for v in mapping.values() if v and v not in CORE_COLUMNS})
        table = mapping_table(mapping, cohort.dictionary, ss.get("types") or {})
        edited = st.data_editor(
            table, hide_index=True, width="stretch", key="mapping_editor", disabled=["Your column"],
            column_config={  # the names and values stay the core's; shown in the language
                "Your column": st.column_config.TextColumn(_("Your column")),
                "Myoscope column": st.column_config.SelectboxColumn(
                    _("Myoscope column"), options=[NOT_IMPORTED] + targets, required=True,
                    format_func=shown_as(lambda v: _(v) if v == NOT_IMPORTED else v, [NOT_IMPORTED] + targets)),
                "Type": st.column_config.SelectboxColumn(_("Type"), options=list(FEATURE_TYPES), required=True,
                                                         format_func=shown_as(_, FEATURE_TYPES)),
            },
        )
        c1, c2, c3 = st.columns(3)
        if c1.button(_("Apply mapping"), key="apply_mapping", type="primary"):
            new_map, new_types = mapping_from_table(edited, cohort.dictionary, ss.get("types") or {})
            apply_mapping(new_map, new_types)
            st.rerun()
        c2.download_button(_("⬇ Save mapping"), data=save_mapping(mapping, ss.get("types") or {}), file_name="myoscope_mapping.json",
                           mime="application/json", key="save_mapping")
        up = c3.file_uploader(_("Load a mapping"), type=["json"], key="mapping_upload", label_visibility="collapsed")
        if up is not None and ss.get("_mapping_loaded") != up.file_id:
            try:
                loaded, loaded_types = load_mapping(up.getvalue())
            except CohortFileError as exc:
                st.error(md(exc))
            else:
                ss["_mapping_loaded"] = up.file_id
                apply_mapping({**mapping, **{k: v for k, v in loaded.items() if k in mapping}}, loaded_types)
                st.rerun()

if cohort.coercions:
    with lazy_expander(_("What was converted (nothing is changed silently)"), key="cohort_converted_box") as shown:
        if shown:
            st.dataframe(headers(cohort.coercions_frame()), hide_index=True, width="stretch")

if cohort.data.empty:
    st.stop()

# ------------------------------------------------------------------ summary
fc = filtered_cohort()
df = fc.data if fc is not None else cohort.data
st.subheader(_("Summary"))
if fc is not None and not fc.filters.is_empty:
    st.caption(_("Filtered cohort: {filters}.", filters=md(fc.description)))
summ = _built(cohort_summary, df, fc.dictionary if fc is not None else cohort.dictionary)
m1, m2, m3, m4 = st.columns([1, 1.2, 1.8, 1.2])
m1.metric(_("Patients"), summ.n_patients)
n_women = summ.sex.get("F", 0)
m2.metric(_("Women"), _("{n} ({pct})", n=n_women, pct=fmt_pct(100 * n_women / max(1, summ.n_patients))))
m3.metric(_("Age at diagnosis, median (IQR)"), summ.age_text())
m4.metric(_("With a DM-specific antibody"), sum(v for k, v in summ.subtypes.items() if k not in ("seronegative", "untested")))

# The tabs rerun the page when switched, so a filter change draws only the tab shown (the
# charts, or the tables, not both); a tab's figures and tables are built when it is opened.
if view_ui.presenting():  # slides: the figures' own pages; here the tables
    tab_charts = tab_features = None
    tab_tables, tab_preview = st.tabs([_("Tables"), _("Preview")], key="cohort_tab_presenting", on_change="rerun")
else:
    tab_charts, tab_features, tab_tables, tab_preview = st.tabs(
        [_("Charts"), _("Feature frequencies"), _("Tables"), _("Preview")], key="cohort_tab", on_change="rerun")


if is_shown(tab_charts, every=False):
    with tab_charts:
        charts()
if is_shown(tab_features, every=False):
    with tab_features:
        feature_chart()
if is_shown(tab_tables, every=False):
    with tab_tables:
        tables()
if is_shown(tab_preview, every=False):
    with tab_preview:
        st.dataframe(df.head(200), width="stretch", height=300)
st.download_button(_("⬇ Cleaned cohort (CSV)"), data=lambda: cleaned_csv(cohort), file_name="myoscope_cohort_cleaned.csv", mime="text/csv", key="dl_clean", on_click="ignore")

with lazy_expander(_("Events table (treatments, labs, scores) for the patient view"), key="cohort_events_box") as shown:
    if shown:
        st.caption(_("Long format: `patient_id`, `date`, `kind` (`treatment_start`, `treatment_stop`, `lab`, `score`, `event`), "
                     "`name`, `value`, `unit`, `detail`."))
        src_ev = ss.get("events_source") or "none loaded"
        st.write(_("Current events table: **{source}**", source=_(src_ev) if src_ev in EVENT_SOURCES else md(src_ev)))
        ev_up = st.file_uploader(_("Upload an events table"), type=["csv", "tsv", "txt", "xlsx"], key="events_upload")
        if ev_up is not None and ss.get("_events_loaded") != ev_up.file_id:
            err = load_events_upload(ev_up.getvalue(), ev_up.name)
            if err:
                st.error(err)
            else:
                ss["_events_loaded"] = ev_up.file_id
                st.success(_("Loaded {file}.", file=md(ev_up.name)))
