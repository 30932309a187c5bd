"""The sidebar shared by every page: cohort source and global filters (kept in the URL)."""

from __future__ import annotations

import streamlit as st

from core.filters import FilterSpec
from core.safe_text import md
from core.schema import SUBTYPE_LABELS, SUBTYPE_VALUES
from ui.state import (
    SAMPLE_LABEL,
    filters_from_url,
    init_state,
    load_upload,
    use_sample,
    write_url,
)

AGE_LO, AGE_HI = 0, 100
PRESENTATION_CSS = """
<style>
html, body, [class*="css"], .stMarkdown, .stDataFrame, p, li, label { font-size: 1.35rem !important; }
h1 { font-size: 2.8rem !important; } h2 { font-size: 2.2rem !important; } h3 { font-size: 1.8rem !important; }
[data-testid="stMetricValue"] { font-size: 3rem !important; }
header, footer, [data-testid="stToolbar"] { visibility: hidden; }
</style>
"""


def _init_filter_widgets(options: list[str]) -> None:
    """On a session's first run, take the filters from the URL (a shared link)."""
    ss = st.session_state
    if ss.get("_filters_initialised"):
        return
    spec, error = filters_from_url()
    if error:
        ss["_url_error"] = error
    subtypes = list(spec.antibody_subtype or [])
    unknown = [s for s in subtypes if s not in options]
    if unknown:
        ss["_url_error"] = f"Subtype(s) {md(', '.join(unknown))} from the link are not in this cohort and were ignored."
    ss["flt_subtype"] = [s for s in subtypes if s in options]
    lo = AGE_LO if spec.age_min is None else max(AGE_LO, min(AGE_HI, int(spec.age_min)))
    hi = AGE_HI if spec.age_max is None else max(AGE_LO, min(AGE_HI, int(spec.age_max)))
    ss["flt_age"] = (lo, max(lo, hi))
    ss["flt_sex"] = [s for s in (spec.sex or []) if s in ("F", "M")]
    ss["flt_yes"] = [c for c, v in spec.features if v == (1.0,)]
    ss["flt_no"] = [c for c, v in spec.features if v == (0.0,)]
    ss["_filters_initialised"] = True


def _reset_filters() -> None:
    ss = st.session_state
    ss["flt_subtype"] = []
    ss["flt_age"] = (AGE_LO, AGE_HI)
    ss["flt_sex"] = []
    ss["flt_yes"] = []
    ss["flt_no"] = []


def render_sidebar() -> None:
    """Draw the sidebar and store the resulting :class:`FilterSpec` in session state."""
    init_state()
    ss = st.session_state
    ss["_shell_run"] = True
    sb = st.sidebar
    sb.markdown("### Cohort")
    source = sb.radio("Source", ["Sample cohort", "My file"], key="source_choice", horizontal=True, label_visibility="collapsed")
    if source == "My file":
        up = sb.file_uploader("Cohort file (CSV, TSV or Excel)", type=["csv", "tsv", "txt", "xlsx", "xlsm"], key="cohort_upload",
                              help="One row per patient. The file is read on this computer only and never modified.")
        if up is not None:
            uid = f"{up.file_id}:{up.name}"  # no hash of the whole file at every rerun
            if ss.get("upload_id") != uid:
                load_upload(up.getvalue(), up.name, uid)
    elif ss.get("cohort_source") != SAMPLE_LABEL:
        use_sample()
    if ss.get("upload_error"):
        bad_name, why = ss["upload_error"]
        sb.error(f"{md(bad_name)} could not be read: {md(why)} Still showing {md(ss.get('cohort_source', ''))}.")
    cohort = ss["cohort"]
    n = len(cohort.data)
    source = md(ss.get("cohort_source", ""))
    if cohort.blocking(()):
        sb.error(f"{source}: {len(cohort.blocking(()))} problem(s) block the analysis — see the Cohort page.")
    else:
        sb.caption(f"**{source}** — {n} patients")
        if cohort.errors:
            sb.warning(f"{len(cohort.errors)} error(s) in some columns: the views using them are stopped — see the Cohort page.")

    sb.markdown("### Filters")
    df = cohort.data
    options = [v for v in SUBTYPE_VALUES if "antibody_subtype" in df and (df["antibody_subtype"] == v).any()]
    _init_filter_widgets(options)
    if ss.get("_url_error"):
        sb.warning(ss.pop("_url_error"))
    ss["flt_subtype"] = [s for s in ss.get("flt_subtype", []) if s in options]
    sb.multiselect("Antibody subtype (empty = all)", options, key="flt_subtype", format_func=lambda v: SUBTYPE_LABELS.get(v, v))
    sb.slider("Age at diagnosis (years)", AGE_LO, AGE_HI, key="flt_age", help=f"Full range ({AGE_LO}–{AGE_HI}) = no age filter; {AGE_HI} means {AGE_HI} and over.")
    sb.multiselect("Sex (empty = all)", ["F", "M"], key="flt_sex", format_func={"F": "Female", "M": "Male"}.get)
    binary = [c for c in df.columns if cohort.dictionary.get(c).type == "binary" and df[c].notna().any()]
    ss["flt_yes"] = [c for c in ss.get("flt_yes", []) if c in binary]
    ss["flt_no"] = [c for c in ss.get("flt_no", []) if c in binary]
    with sb.expander("More filters (any yes/no feature)", expanded=bool(ss["flt_yes"] or ss["flt_no"])):
        st.multiselect("Must be yes", binary, key="flt_yes", format_func=cohort.dictionary.label)
        st.multiselect("Must be no", [c for c in binary if c not in ss["flt_yes"]], key="flt_no", format_func=cohort.dictionary.label)
    sb.button("Reset filters", on_click=_reset_filters, key="flt_reset")

    lo, hi = ss["flt_age"]
    features = tuple(sorted([(c, (1.0,)) for c in ss["flt_yes"]] + [(c, (0.0,)) for c in ss["flt_no"]]))
    spec = FilterSpec(
        antibody_subtype=tuple(ss["flt_subtype"]) or None,
        age_min=None if lo <= AGE_LO else float(lo),
        age_max=None if hi >= AGE_HI else float(hi),
        sex=tuple(ss["flt_sex"]) or None,
        features=features,
    )
    ss["filters"] = spec
    write_url(spec)
    if not spec.is_empty:
        sb.caption("The filters are in the page address: bookmark or share it to come back to this view.")

    sb.markdown("### Display")
    if sb.toggle("Presentation mode", key="presentation", help="Large fonts for a projector."):
        st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)
    sb.caption("Your data stays on this computer: nothing is sent anywhere, no usage statistics are collected.")
