"""Patient view: one patient's course, the patient in their cohort, interferon score calculator."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.charts.patient import (
    fold_change_figure,
    patient_timeline_figure,
    score_figure,
)
from core.constants import DAYS_PER_MONTH, VERMILLION
from core.events import (
    EventsTable,
    add_scores,
    patient_course,
    scores_for_events,
    with_cohort_events,
)
from core.formatting import format_ci, format_n_of_N, format_p, format_ratio
from core.i18n import _, fmt_ci_label, fmt_date, fmt_number, language, n_
from core.interferon import (
    DEFAULT_THRESHOLD,
    InterferonError,
    InterferonResult,
    fold_change_scores,
    interferon_scores,
    methods_text,
    read_qpcr,
)
from core.safe_text import md
from core.schema import DataDictionary
from core.summary import PICKER_LIMIT, patient_labels, patient_options
from core.view import THRESHOLD_CHOICES
from ui.cache import cached
from ui.lang import headers, sex_label, shown_as, subtype_label
from ui.state import FilteredCohort, require_filtered_cohort
from ui.view_ui import Slide
from ui.widgets import (
    download_figure,
    download_table,
    is_shown,
    keep_values,
    kept_upload,
    lazy_expander,
    show_figure,
    show_guardrails,
)

EXAMPLE_QPCR = Path(__file__).resolve().parents[1] / "sample_data" / "qpcr_example.csv"
#: Session key of the interferon scores added from the calculator (events-table rows).
EVENTS_KEY = "events"  # the session's EventsTable (ui.state)
ADDED_COUNT_KEY = "patient_added_score_count"
ADDED_MSG_KEY = "patient_added_score_message"
#: The calculator's settings, kept while its tab is closed (or another page is open).
IFN_SETTINGS = ("ifn_source", "ifn_threshold_choice", "ifn_threshold_custom", "ifn_refs", "ifn_undetermined",
                "ifn_max_ct")
UNDETERMINED = ["stop with an error", "count as not detected at Ct = max cycles"]  # values (msgids)
# 2.3 / 2.466 / custom; the timeline's choice is in the address as p.thr (core.view)


def _threshold_picker(key: str) -> float:
    """Radio 2.3 / 2.466 / custom; returns the chosen threshold."""
    choice = st.radio(_("Positivity threshold (score > threshold)"), list(THRESHOLD_CHOICES),
                      key=f"{key}_choice", horizontal=True, format_func=shown_as(_threshold_name, THRESHOLD_CHOICES))
    value = THRESHOLD_CHOICES[choice]
    if value is None:
        value = st.number_input(_("Custom threshold"), min_value=0.01, value=DEFAULT_THRESHOLD,
                                step=0.1, key=f"{key}_custom")
    return float(value)


def _threshold_name(choice: str) -> str:
    """A threshold choice (core.view.THRESHOLD_CHOICES key, the widget's value) in words of the language."""
    value = THRESHOLD_CHOICES.get(choice)
    if value is None:
        return _("custom")
    number = fmt_number(value, 3).rstrip("0").rstrip(",.")
    if "Rice" in choice:
        return _("{value} (Rice et al. 2013: mean + 2 SD of controls)", value=number)
    return _("{value} (laboratory of Jalles et al. 2020)", value=number)


def _g(x: float) -> str:
    """A number as short as it can be (``:g``), with the language's decimal mark."""
    text = f"{x:g}"
    return fmt_number(x, len(text.split(".")[1])) if "." in text and "e" not in text else text


def _subtype_label(x: object) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return _("unknown subtype")
    return subtype_label(x)


def _fmt_date(x: object) -> str:
    return "—" if x is None or pd.isna(x) else fmt_date(pd.Timestamp(x))


def _store_scores(new: pd.DataFrame) -> int:
    """Append score rows to the session's events table (``st.session_state["events"]``).

    Returns the number of rows actually added (rows already present are not duplicated).
    """
    current = st.session_state.get(EVENTS_KEY)
    before = len(current.data) if isinstance(current, EventsTable) else 0
    updated = add_scores(current, new)
    if not isinstance(updated, EventsTable):
        updated = EventsTable(data=updated)
    st.session_state[EVENTS_KEY] = updated
    if not st.session_state.get("events_source"):
        st.session_state["events_source"] = "interferon scores added in this session"  # a msgid (pages/cohort.py)
    n = len(updated.data) - before
    st.session_state[ADDED_COUNT_KEY] = st.session_state.get(ADDED_COUNT_KEY, 0) + n
    return n


def _row(df: pd.DataFrame, patient_id: str) -> pd.Series | None:
    """The cohort row of one patient (ids are unique), ``None`` when absent."""
    hit = np.flatnonzero(df["patient_id"].astype(str).to_numpy() == patient_id)
    return df.iloc[int(hit[0])] if hit.size else None


@st.cache_resource(show_spinner=False)
def _bundled_rates():  # one rate table object per server, so the SIR below is cached (ui.cache)
    from core.rates import load_bundled_rates

    return load_bundled_rates()


def _subtype_split(df: pd.DataFrame, subtype: str, group_label: str, other_label: str) -> pd.Series:
    """The patient's subtype vs every other patient, as group labels."""
    return pd.Series(group_label, index=df.index).where(df["antibody_subtype"] == subtype, other_label)


def _group_survival(df: pd.DataFrame, subtype: str, group_label: str, other_label: str) -> tuple:
    """(survival data, Kaplan-Meier and log-rank) of the patient's subtype vs the others;
    cached by the filtered cohort and the subtype (ui.cache), not by 100,000 labels."""
    from core.survival import analyze_survival, survival_data

    sd = survival_data(df)
    lab = _subtype_split(df, subtype, group_label, other_label).loc[sd.index]
    return sd, analyze_survival(sd.time, sd.event, lab.to_numpy(), [group_label, other_label], cox=False,
                                pairwise=False, unit="months")


def _group_sir(df: pd.DataFrame, subtype: str, group_label: str, other_label: str) -> object:
    """SIR of the patient's subtype vs the others (bundled France rates)."""
    from core.cancer_risk import sir_analysis

    return sir_analysis(df, _bundled_rates(), by=_subtype_split(df, subtype, group_label, other_label),
                        by_order=[group_label, other_label])


@st.cache_resource(show_spinner=False)
def _example_qpcr() -> pd.DataFrame:
    """The bundled example plate, read once per server (shared: never modified)."""
    return read_qpcr(EXAMPLE_QPCR)


def _context_km(res: object, patient_id: str, mark: tuple[float, bool] | None) -> go.Figure:
    """Kaplan-Meier of the patient's group and the others, the patient's time marked
    (``mark``: time in months, died); built once per result and patient (ui.cache)."""
    from core.charts.survival import km_figure

    kmf = km_figure(res, unit_label=_("months"), show_risk_table=False, title="", font_size=12, width=480)  # half the page
    if mark is not None:
        t_pat, died = mark
        at = fmt_number(t_pat, 1)
        kmf.add_vline(x=t_pat, line={"dash": "dot", "color": VERMILLION},
                      annotation_text=_("{patient}: died at {time} mo", patient=patient_id, time=at) if died else
                      _("{patient}: censored at {time} mo", patient=patient_id, time=at))
    return kmf


def _pick_patient(cohort: FilteredCohort, ids: list[str]) -> str:
    """The patient picker (a search box first when the list would be too long); the
    patient with the most events by default."""
    events_table = cohort.events
    n_events = events_table.data["patient_id"].value_counts() if events_table is not None else pd.Series(dtype=int)
    default_id = ids[int(pd.Series(ids).map(n_events).fillna(0).to_numpy().argmax())] if len(n_events) else ids[0]  # most events, first in order
    option_labels = cached(cohort, patient_labels, cohort.data, n_events)
    query = ""
    if len(ids) > PICKER_LIMIT:  # 100,000 options cost seconds per rerun: search, then pick
        query = st.text_input(_("Search a patient id"), key="patient_search",
                              help=_("The list shows {limit} patients at most; type part of an id to find another.",
                                     limit=PICKER_LIMIT))
    current = st.session_state.get("patient_id")
    shown = patient_options(ids, n_events, keep=tuple(p for p in (current, default_id) if p), query=query)
    return str(st.selectbox(
        n_("Patient (type to search; {n} patient in the filtered cohort)",
           "Patient (type to search; {n} patients in the filtered cohort)", len(ids)), shown,
        index=shown.index(current) if current in shown else shown.index(default_id) if default_id in shown else 0,
        format_func=lambda p, _l=option_labels: _l.get(p, p), key="patient_id",
    ))


def _patient_header(row: pd.Series, patient_id: str) -> None:
    """The patient's id, subtype and key facts (sex, age, dates, cancer, death)."""
    subtype = row.get("antibody_subtype")
    st.subheader(f"{md(patient_id)}: {_subtype_label(subtype)}")
    yes, no = _("yes"), _("no")
    cancer_text = yes if row.get("cancer") == 1 else no if row.get("cancer") == 0 else "—"
    if row.get("cancer") == 1 and isinstance(row.get("cancer_site"), str):
        cancer_text = _("yes ({site}, {date})", site=row.get("cancer_site"), date=_fmt_date(row.get("cancer_date")))
    facts = {
        _("Sex"): sex_label(row.get("sex")) if isinstance(row.get("sex"), str) else "—",
        _("Age at diagnosis"): (_("{age} y", age=fmt_number(row.get("age_at_diagnosis"), 1))
                                if not pd.isna(row.get("age_at_diagnosis", float("nan"))) else "—"),
        _("Diagnosis"): _fmt_date(row.get("diagnosis_date")),
        _("Cancer"): cancer_text,
        _("Death"): (_("yes, {date}", date=_fmt_date(row.get("death_date"))) if row.get("death") == 1
                     else no if row.get("death") == 0 else "—"),
        _("Last follow-up"): _fmt_date(row.get("last_followup_date")),
    }
    st.markdown(" · ".join(_("**{name}:** {value}", name=k, value=md(v)) for k, v in facts.items()))


def _patient_features(row: pd.Series, patient_id: str, dictionary: DataDictionary) -> None:
    """The patient's recorded clinical features, in a panel drawn when opened."""
    yes, no = _("yes"), _("no")
    feats = []
    for info in dictionary.features(("binary", "continuous", "ordinal", "categorical")):
        if info.name not in row.index:
            continue
        v = row[info.name]
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            continue
        if info.type == "binary":
            text = yes if v == 1 else no
        elif info.type in ("continuous", "ordinal"):
            text = f"{_g(v)} {_(info.unit) if info.unit else ''}".strip()
        else:
            text = str(v)
        feats.append({_("group"): _(info.group), _("feature"): info.label, _("value"): text})
    with lazy_expander(_("Clinical features of {patient} ({n} recorded)", patient=md(patient_id), n=len(feats)),
                     expanded=False, key="patient_features_box") as shown:
        if shown:
            if feats:
                present = [f[_("feature")] for f in feats if f[_("value")] == yes]
                if present:
                    st.markdown(_("**Present:** {features}", features=", ".join(md(p) for p in present)))
                st.dataframe(pd.DataFrame(feats), hide_index=True, width="stretch")
            else:
                st.caption(_("No clinical feature recorded for this patient."))


def _patient_course(cohort: FilteredCohort, row: pd.Series, patient_id: str) -> None:
    """The course tab: timeline figure, scores and events, treatments and labs, download."""
    events_table: EventsTable | None = cohort.events
    subtype = row.get("antibody_subtype")
    st.markdown("#### " + _("Course"))
    threshold_tl = _threshold_picker("timeline_threshold")
    patient_events, from_cohort = cached(cohort, with_cohort_events, events_table, row)
    if patient_events.empty:
        st.info(_("No events for this patient. Load an events table (patient_id, date, kind, name, value, unit, detail) "
                  "on the cohort page to see their course."))
    else:
        course = cached(cohort, patient_course, patient_events, patient_id, row.get("diagnosis_date"))
        if from_cohort:
            st.caption(_("From the cohort table (not in the events table): {items}.",
                         items=", ".join(md(x) for x in from_cohort)))
        for note in course.notes:
            st.info(md(note))
        fig = cached(cohort, patient_timeline_figure, course, threshold=threshold_tl,
                     title=f"{patient_id} — {_subtype_label(subtype)}")
        show_figure(fig, "patient_timeline", key="patient_timeline",
                    slide=Slide(_("course of {patient}", patient=patient_id), None,
                                _("Treatments, labs, scores and events by months since diagnosis; interferon score: "
                                  "6-gene RT-qPCR (Rice et al. 2013), positive > {threshold}.", threshold=_g(threshold_tl))))
        download_figure(fig, f"patient_{patient_id}_timeline", key="dl_timeline")

        seq = course.treatment_sequence()
        if seq:
            st.markdown(_("**Treatment sequence:** {sequence}", sequence=" → ".join(seq)))
        col_a, col_b = st.columns(2)
        with col_a:
            if not course.scores.empty:
                sc = course.scores.assign(
                    date=course.scores["date"].dt.date,
                    month=course.scores["month"].round(1),
                )
                ifn = sc["name"].str.casefold() == "interferon_score"
                sc["result"] = ""
                sc.loc[ifn, "result"] = sc.loc[ifn, "value"].map(
                    lambda v: _("positive (> {threshold})", threshold=_g(threshold_tl)) if v > threshold_tl
                    else _("negative (≤ {threshold})", threshold=_g(threshold_tl)))
                st.markdown("**" + _("Scores") + "**")
                st.dataframe(headers(sc[["name", "date", "month", "value", "result", "detail"]]),
                             hide_index=True, width="stretch", key="scores_table")
        with col_b:
            if not course.events.empty:
                ev = course.events.assign(date=course.events["date"].dt.date,
                                          month=course.events["month"].round(1))
                st.markdown("**" + _("Events") + "**")
                st.dataframe(headers(ev[["name", "date", "month", "detail"]]), hide_index=True,
                             width="stretch", key="events_table")
        n_lab = sum(len(g) for g in course.labs.values())
        with lazy_expander(_("Treatments ({n} periods or administrations) and labs ({labs} values)",
                           n=len(course.treatments), labs=n_lab), key="patient_treatments_box") as shown:
            if shown:
                if not course.treatments.empty:
                    tr = course.treatments.assign(
                        start=course.treatments["start"].dt.date,
                        stop=course.treatments["stop"].dt.date,
                        months=course.treatments["start_month"].round(1).astype(str) + "–"
                        + course.treatments["stop_month"].round(1).astype(str),
                    )
                    st.markdown(_("**Treatments** (a new start of a running treatment is a dose change; same-day start and "
                                  "stop = one administration)"))
                    st.dataframe(headers(tr[["name", "start", "stop", "months", "dose", "open_ended"]]),
                                 hide_index=True, width="stretch", key="treatments_table")
                if course.labs:
                    labs = pd.concat([g.assign(lab=name) for name, g in course.labs.items()],
                                     ignore_index=True)
                    labs = labs.assign(date=labs["date"].dt.date, month=labs["month"].round(1))
                    st.markdown("**" + _("Labs") + "**")
                    st.dataframe(headers(labs[["lab", "date", "month", "value", "unit", "detail"]]),
                                 hide_index=True, width="stretch", key="labs_table")
        course_table = patient_events.sort_values("date", kind="stable").assign(
            month=lambda d: ((d["date"] - course.diagnosis_date).dt.days / DAYS_PER_MONTH)
            if not pd.isna(course.diagnosis_date) else float("nan"))
        st.caption(_("Download {patient}'s events (with months since diagnosis):", patient=md(patient_id)))
        download_table(course_table, f"patient_{patient_id}_events", key="dl_course",
                       title=_("Events of patient {patient}", patient=patient_id))


def _patient_in_cohort(cohort: FilteredCohort, row: pd.Series, patient_id: str) -> None:
    """The cohort tab: the patient's subtype group in the filtered cohort (size, crude
    cancer, Kaplan-Meier and log-rank against the other subtypes, SIR)."""
    df = cohort.data
    subtype = row.get("antibody_subtype")
    sub_col = "antibody_subtype"
    if sub_col not in df.columns or pd.isna(subtype):
        st.caption(_("No antibody subtype: the patient cannot be placed in a subtype group."))
    else:
        same = df[sub_col] == subtype
        group_label = _subtype_label(subtype)
        other_label = _("other subtypes than {subtype}", subtype=group_label)
        counts = df[sub_col].value_counts()
        st.markdown(_(
            "{patient} is one of **{n}** {subtype} patients in the filtered cohort of {total} ({counts}).",
            patient=md(patient_id), n=int(same.sum()), subtype=group_label, total=len(df),
            counts=", ".join(f"{_subtype_label(k)} {v}" for k, v in counts.items())))
        if "cancer" in df.columns:
            c_same = df.loc[same, "cancer"].dropna()
            c_other = df.loc[~same, "cancer"].dropna()
            st.markdown(_(
                "Cancer (crude): {group} {n_group}; {other} {n_other}.", group=group_label,
                n_group=format_n_of_N(int(c_same.sum()), len(c_same)), other=other_label,
                n_other=format_n_of_N(int(c_other.sum()), len(c_other))))
        ctx_surv, ctx_sir = st.columns(2)
        with ctx_surv:
            _group_survival_panel(cohort, subtype, group_label, other_label, patient_id)
        with ctx_sir:
            _group_sir_panel(cohort, subtype, group_label, other_label)


def _group_survival_panel(cohort: FilteredCohort, subtype: str, group_label: str, other_label: str,
                          patient_id: str) -> None:
    """Kaplan-Meier of the patient's subtype vs the others, the patient's time marked."""
    df = cohort.data
    st.markdown(_("**Overall survival of the patient's group** (survival view)"))
    try:
        sd, res = cached(cohort, _group_survival, df, subtype, group_label, other_label)
        pos = np.flatnonzero(df.loc[sd.index, "patient_id"].astype(str).to_numpy() == patient_id)
        mark = (float(sd.time[pos[0]]), bool(sd.event[pos[0]])) if pos.size else None
        kmf = cached(cohort, _context_km, res, patient_id, mark)
        show_figure(kmf, "context_km", key="context_km")
        gt = res.group_table()
        show = headers(gt[["group", "n", "events"]].assign(
            **{"median (months)": gt["median"].map(
                lambda m: _("not reached") if pd.isna(m) else fmt_number(m, 1))}))
        st.table(show.set_index(show.columns[0]))  # two rows: a plain table draws fastest
        if res.logrank is not None:
            st.caption(_("Overall survival from diagnosis; log-rank P = {p}.", p=format_p(res.logrank.p_value)))
        show_guardrails(list(res.guardrails))
        if len(sd.excluded):
            st.caption(n_("{n} patient without follow-up data left out.",
                          "{n} patients without follow-up data left out.", len(sd.excluded)))
    except ImportError:
        st.caption(_("The survival view is not available in this build."))
    except ValueError as exc:
        st.caption(_("Survival not computable on this cohort: {why}", why=md(exc)))


def _group_sir_panel(cohort: FilteredCohort, subtype: str, group_label: str, other_label: str) -> None:
    """SIR of the patient's subtype vs the others (bundled France rates)."""
    df = cohort.data
    st.markdown(_("**Cancer risk of the patient's group** (cancer-risk view)"))
    try:
        sir = cached(cohort, _group_sir, df, subtype, group_label, other_label)
        sub = sir.subgroup_table()
        st.table(  # two rows: a plain table draws fastest
            pd.DataFrame({
                _("group"): sub["group"], _("patients"): sub["n_patients"],
                _("observed"): sub["observed"], _("expected"): sub["expected"].map(lambda x: fmt_number(x, 2)),
                _("SIR ({ci})", ci=fmt_ci_label()): [
                    f"{format_ratio(r.sir, 1)} ({format_ci(r.ci_low, r.ci_high, 1)})"
                    for r in sub.itertuples()],
                "P": sub["p_value"].map(format_p),
            }).set_index(_("group")))
        mine = sub[sub["group"].astype(str) == group_label]
        if len(mine):
            m = mine.iloc[0]
            st.markdown(_(
                "{group}: SIR **{sir}** ({ci}), O = {o}, E = {e}, P = {p} (bundled France rates, cancers within "
                "3 years of diagnosis, exact Poisson CI).", group=group_label, sir=format_ratio(m["sir"], 1),
                ci=format_ci(m["ci_low"], m["ci_high"], 1), o=int(m["observed"]), e=fmt_number(m["expected"], 2),
                p=format_p(m["p_value"])))
            show_guardrails(list(getattr(sir, "guardrails", ())))
    except ImportError:
        st.caption(_("The cancer-risk view is not available in this build."))
    except ValueError as exc:
        st.caption(_("SIR not computable on this cohort: {why}", why=md(exc)))



cohort = require_filtered_cohort()
df = cohort.data

st.title(_("Patient course"))
st.caption(_("One patient's treatments, labs, scores and events over time, next to the cohort they belong to; and a type I "
             "interferon score calculator (6-gene RT-qPCR, Rice et al. 2013).")
           + (" " + _("Filtered cohort: {filters}.", filters=cohort.description) if cohort.description else ""))

if st.session_state.get(ADDED_MSG_KEY):
    st.success(st.session_state.pop(ADDED_MSG_KEY))

# The tabs rerun the page when switched, so only the tab shown is computed and drawn (a
# filter change redraws the course without the cohort's Kaplan-Meier, and not the
# calculator's tables and charts); presentation mode builds them all (slides). The
# patient picker sits above the course and cohort tabs, drawn when one of them is shown.
# The calculator's settings and uploaded plate are kept while it is closed
# (ui.widgets.keep_values).
picker = st.container()
tab_course, tab_cohort, tab_ifn = st.tabs([_("Patient course"), _("In the cohort"), _("Interferon score calculator")],
                                          key="patient_tab", on_change="rerun")

keep_values(IFN_SETTINGS, restore=is_shown(tab_ifn))
keep_values(("patient_id",), restore=False)  # the calculator's default patient while the picker is not drawn
ids = [str(p) for p in df["patient_id"]]

# ======================================================================================
# The patient: course, and place in the cohort
# ======================================================================================
if is_shown(tab_course) or is_shown(tab_cohort):
    with picker:
        if df.empty:
            st.warning(_("No patient left after the filters; widen them in the sidebar."))
        else:
            patient_id = _pick_patient(cohort, ids)
            row = _row(df, patient_id)
            _patient_header(row, patient_id)
    if not df.empty:
        if is_shown(tab_course):
            with tab_course:
                _patient_features(row, patient_id, cohort.dictionary)
                _patient_course(cohort, row, patient_id)
        if is_shown(tab_cohort):
            with tab_cohort:
                _patient_in_cohort(cohort, row, patient_id)

# ======================================================================================
# Interferon score calculator
# ======================================================================================
if is_shown(tab_ifn):
    with tab_ifn:
        st.markdown(_(
            "Upload RT-qPCR Ct values (one row per well: `sample_id`, `sample_type` = `patient` or `healthy_control`, "
            "`gene`, `ct`; optional `patient_id`, `date`) or precomputed fold changes (`sample_id`, `gene`, `fold_change`)."
        ))
        sources = ["Example plate (sample_data/qpcr_example.csv)", "Upload qPCR Ct values", "Upload precomputed fold changes"]
        source = st.radio(_("Data"), sources, key="ifn_source", format_func=shown_as(_, sources))
        raw: pd.DataFrame | None = None
        if source.startswith("Example"):
            raw = _example_qpcr()
            st.caption(_("Synthetic plate: 9 healthy controls and 4 patient samples in duplicate wells; MDA5-M0 and MDA5-M9 "
                         "reproduce the Jalles et al. scores ({a}, {b}).", a=19, b=fmt_number(0.9, 1)))
        else:
            plate = kept_upload(st.file_uploader(_("CSV, TSV or XLSX"), type=["csv", "tsv", "txt", "xlsx"],
                                                 key="ifn_upload"), "ifn_upload")
            if plate is not None:
                try:
                    raw = read_qpcr(plate[1])
                except InterferonError as exc:
                    st.error(md(exc))
        c1, c2 = st.columns(2)
        with c1:
            threshold = _threshold_picker("ifn_threshold")
        precomputed = source.startswith("Upload precomputed")
        with c2:
            ref_text = st.text_input(_("Reference genes (comma-separated)"), "HPRT1, 18S",
                                     key="ifn_refs", disabled=precomputed)
            undet = st.radio(
                _("'Undetermined' Ct of a target gene"),
                UNDETERMINED, key="ifn_undetermined", disabled=precomputed, format_func=shown_as(_, UNDETERMINED),
            )
            max_ct = st.number_input(_("Max cycles"), 20.0, 60.0, 40.0, 1.0, key="ifn_max_ct",
                                     disabled=precomputed or undet.startswith("stop"))
        result: InterferonResult | None = None
        if raw is not None:
            try:
                if precomputed:
                    result = cached(cohort, fold_change_scores, raw, threshold=threshold)
                else:
                    refs = [g.strip() for g in ref_text.replace(";", ",").split(",") if g.strip()]
                    result = cached(
                        cohort, interferon_scores, raw, reference_genes=refs, threshold=threshold,
                        undetermined="error" if undet.startswith("stop") else "max_ct",
                        max_ct=max_ct,
                    )
            except InterferonError as exc:
                st.error(_("Cannot compute the scores: {why}", why=md(exc)))

        if result is not None:
            for note in result.notes:
                st.info(md(note))
            n_pos = int(result.scores.loc[result.scores["sample_type"] == "patient",
                                          "positive"].sum())
            n_pat = int((result.scores["sample_type"] == "patient").sum())
            positive = n_("**{n_pos}/{n}** patient sample positive (score > {threshold})",
                          "**{n_pos}/{n}** patient samples positive (score > {threshold})", n_pat, n_pos=n_pos, threshold=_g(threshold))
            st.markdown(_("{positive}; {controls}.", positive=positive,
                          controls=n_("{n} healthy control", "{n} healthy controls", result.n_controls))
                        if result.n_controls else _("{positive}.", positive=positive))
            table = result.wide()
            st.dataframe(headers(table), hide_index=True, width="stretch", key="ifn_scores_table",
                         column_config={"score": st.column_config.NumberColumn(format="%.3g")})
            download_table(table, "interferon_scores", key="dl_ifn_scores",
                           title=_("Interferon scores"))
            st.download_button(_("Download JSON"), json.dumps(result.payload(), indent=2),
                               file_name="interferon_scores.json", mime="application/json",
                               key="dl_ifn_json")
            if result.method == "qpcr":
                with lazy_expander(_("Per-gene computation (ΔCt, ΔΔCt, RQ) and replicate wells"), key="ifn_per_gene_box") as shown:
                    if shown:
                        st.dataframe(headers(result.fold_changes), hide_index=True, width="stretch")
                        st.dataframe(headers(result.wells), hide_index=True, width="stretch")
                        download_table(result.fold_changes, "interferon_fold_changes",
                                       key="dl_ifn_fc", title=_("Interferon fold changes"))
            samples = list(result.scores["sample_id"])
            default = [s for s, t in zip(result.scores["sample_id"], result.scores["sample_type"],
                                         strict=True) if t == "patient"] or samples[:1]
            chosen = st.multiselect(_("Samples in the per-gene chart"), samples, default=default,
                                    key="ifn_chart_samples", placeholder=_("Choose options"))
            if chosen:
                fcfig = cached(cohort, fold_change_figure, result, chosen)
                show_figure(fcfig, "ifn_fc_chart", key="ifn_fc_chart")
                download_figure(fcfig, "interferon_fold_changes", key="dl_ifn_fc_fig")
            sfig = cached(cohort, score_figure, result)
            show_figure(sfig, "ifn_score_chart", key="ifn_score_chart")
            download_figure(sfig, "interferon_scores", key="dl_ifn_score_fig")
            st.caption(methods_text(result))

            # ------------------------------------------------------------ add to the timeline
            st.markdown("#### " + _("Add scores to a patient's timeline"))
            patient_samples = [s for s, t in zip(result.scores["sample_id"],
                                                 result.scores["sample_type"], strict=True)
                               if t == "patient"]
            ready = scores_for_events(result.scores, threshold=threshold)
            if len(ready) and st.button(n_("Add the {n} score that has a patient_id and date",
                                           "Add the {n} scores that have a patient_id and date", len(ready)),
                                        key="ifn_add_all"):
                n_new = _store_scores(ready)
                added = n_("{n} score added to the events table of this session",
                           "{n} scores added to the events table of this session", n_new)
                st.session_state[ADDED_MSG_KEY] = (
                    _("{added} ({n} already there).", added=added, n=len(ready) - n_new) if n_new < len(ready)
                    else _("{added}.", added=added))
                st.rerun()
            if patient_samples:
                a1, a2, a3 = st.columns(3)
                sample = a1.selectbox(_("Sample"), patient_samples, key="ifn_add_sample")
                pid_default = st.session_state.get("patient_id", st.session_state.get("_kept.patient_id", ids[0] if ids else None))
                targets = patient_options(ids, keep=(pid_default,) if pid_default else ())
                target = a2.selectbox(_("Patient"), targets, index=targets.index(pid_default)
                                      if pid_default in targets else 0, key="ifn_add_patient")
                target_row = _row(df, target) if target is not None else None
                diag = target_row.get("diagnosis_date") if target_row is not None else None
                when = a3.date_input(_("Sampling date"), format="DD/MM/YYYY" if language() == "fr" else "YYYY/MM/DD",
                                     value=pd.Timestamp(diag).date() if diag is not None
                                     and not pd.isna(diag) else None,
                                     key="ifn_add_date")
                if st.button(_("Add this score to the timeline"), key="ifn_add_one"):
                    if when is None:
                        st.warning(_("Choose the sampling date first."))
                    else:
                        one = scores_for_events(result.scores, patient_ids={sample: target},
                                                dates={sample: when}, threshold=threshold)
                        one = one[one["detail"].str.startswith(f"sample {sample};")]
                        n_new = _store_scores(one)
                        added = _("Interferon score of sample {sample} added to {patient} on {date}: select that patient in "
                                  "the 'Patient course' tab to see it.", sample=sample, patient=target,
                                  date=fmt_date(pd.Timestamp(when)))
                        st.session_state[ADDED_MSG_KEY] = added if n_new else _("Already on the timeline. {added}", added=added)
                        st.rerun()
            n_added = st.session_state.get(ADDED_COUNT_KEY, 0)
            if n_added:
                st.caption(n_("{n} score added in this session (kept until the session ends; download the patient's events "
                              "from the course tab to keep them).",
                              "{n} scores added in this session (kept until the session ends; download the patient's events "
                              "from the course tab to keep them).", n_added))
