"""Patient view: one patient's course, the patient in their cohort, interferon score calculator."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
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
from core.schema import SUBTYPE_LABELS
from core.summary import patient_labels
from core.view import THRESHOLD_CHOICES
from ui.state import require_filtered_cohort
from ui.view_ui import Slide
from ui.widgets import download_figure, download_table, show_figure, show_guardrails

EXAMPLE_QPCR = Path(__file__).resolve().parents[1] / "sample_data" / "qpcr_example.csv"
#: Session key of the interferon scores added from the calculator (events-table rows).
EVENTS_KEY = "events"  # the session's EventsTable (ui.state)
ADDED_COUNT_KEY = "patient_added_score_count"
ADDED_MSG_KEY = "patient_added_score_message"
# 2.3 / 2.466 / custom; the timeline's choice is in the address as p.thr (core.view)


def _threshold_picker(key: str) -> float:
    """Radio 2.3 / 2.466 / custom; returns the chosen threshold."""
    choice = st.radio("Positivity threshold (score > threshold)", list(THRESHOLD_CHOICES),
                      key=f"{key}_choice", horizontal=True)
    value = THRESHOLD_CHOICES[choice]
    if value is None:
        value = st.number_input("Custom threshold", min_value=0.01, value=DEFAULT_THRESHOLD,
                                step=0.1, key=f"{key}_custom")
    return float(value)


def _subtype_label(x: object) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "unknown subtype"
    return SUBTYPE_LABELS.get(str(x), str(x))


def _fmt_date(x: object) -> str:
    return "—" if x is None or pd.isna(x) else pd.Timestamp(x).date().isoformat()


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
        st.session_state["events_source"] = "interferon scores added in this session"
    n = len(updated.data) - before
    st.session_state[ADDED_COUNT_KEY] = st.session_state.get(ADDED_COUNT_KEY, 0) + n
    return n


cohort = require_filtered_cohort()
df = cohort.data
dictionary = cohort.dictionary

st.title("Patient course")
st.caption(
    "One patient's treatments, labs, scores and events over time, next to the cohort they "
    "belong to; and a type I interferon score calculator (6-gene RT-qPCR, Rice et al. 2013)."
    + (f" Filtered cohort: {cohort.description}." if cohort.description else "")
)

if st.session_state.get(ADDED_MSG_KEY):
    st.success(st.session_state.pop(ADDED_MSG_KEY))

tab_course, tab_ifn = st.tabs(["Patient course", "Interferon score calculator"])

# ======================================================================================
# Patient course
# ======================================================================================
events_table: EventsTable | None = cohort.events

with tab_course:
    if df.empty:
        st.warning("No patient left after the filters; widen them in the sidebar.")
        st.stop()
    ids = [str(p) for p in df["patient_id"]]
    n_events = (
        events_table.data["patient_id"].value_counts() if events_table is not None else pd.Series(
            dtype=int)
    )
    default_id = ids[int(pd.Series(ids).map(n_events).fillna(0).to_numpy().argmax())] if len(n_events) else ids[0]  # most events, first in order
    rows_by_id = df.set_index(df["patient_id"].astype(str))

    option_labels = patient_labels(df, n_events)
    patient_id = st.selectbox(
        f"Patient (type to search; {len(ids)} patients in the filtered cohort)", ids,
        index=ids.index(default_id), format_func=lambda p, _l=option_labels: _l.get(p, p), key="patient_id",
    )
    row = rows_by_id.loc[patient_id]
    subtype = row.get("antibody_subtype")

    # ---------------------------------------------------------------- the patient's row
    st.subheader(f"{md(patient_id)}: {_subtype_label(subtype)}")
    facts = {
        "Sex": row.get("sex") if isinstance(row.get("sex"), str) else "—",
        "Age at diagnosis": (f"{row.get('age_at_diagnosis'):.1f} y"
                             if not pd.isna(row.get("age_at_diagnosis", float("nan"))) else "—"),
        "Diagnosis": _fmt_date(row.get("diagnosis_date")),
        "Cancer": ("yes" if row.get("cancer") == 1 else "no" if row.get("cancer") == 0 else "—")
        + (f" ({row.get('cancer_site')}, {_fmt_date(row.get('cancer_date'))})"
           if row.get("cancer") == 1 and isinstance(row.get("cancer_site"), str) else ""),
        "Death": ("yes, " + _fmt_date(row.get("death_date")) if row.get("death") == 1
                  else "no" if row.get("death") == 0 else "—"),
        "Last follow-up": _fmt_date(row.get("last_followup_date")),
    }
    st.markdown(" · ".join(f"**{k}:** {md(v)}" for k, v in facts.items()))
    feats = []
    for info in dictionary.features(("binary", "continuous", "ordinal", "categorical")):
        if info.name not in row.index:
            continue
        v = row[info.name]
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            continue
        if info.type == "binary":
            text = "yes" if v == 1 else "no"
        elif info.type in ("continuous", "ordinal"):
            text = f"{v:g} {info.unit}".strip()
        else:
            text = str(v)
        feats.append({"group": info.group, "feature": info.label, "value": text})
    with st.expander(f"Clinical features of {md(patient_id)} ({len(feats)} recorded)",
                     expanded=False):
        if feats:
            present = [f["feature"] for f in feats if f["value"] == "yes"]
            if present:
                st.markdown("**Present:** " + ", ".join(md(p) for p in present))
            st.dataframe(pd.DataFrame(feats), hide_index=True, width="stretch")
        else:
            st.caption("No clinical feature recorded for this patient.")

    # ---------------------------------------------------------------- timeline
    st.markdown("#### Course")
    threshold_tl = _threshold_picker("timeline_threshold")
    patient_events, from_cohort = with_cohort_events(events_table, row)
    if patient_events.empty:
        st.info("No events for this patient. Load an events table (patient_id, date, kind, "
                "name, value, unit, detail) on the cohort page to see their course.")
    else:
        course = patient_course(patient_events, patient_id, row.get("diagnosis_date"))
        if from_cohort:
            st.caption("From the cohort table (not in the events table): "
                       + ", ".join(md(x) for x in from_cohort) + ".")
        for note in course.notes:
            st.info(md(note))
        fig = patient_timeline_figure(course, threshold=threshold_tl,
                                      title=f"{patient_id} — {_subtype_label(subtype)}")
        show_figure(fig, "patient_timeline", key="patient_timeline",
                    slide=Slide(f"course of {patient_id}", None,
                                f"Treatments, labs, scores and events by months since diagnosis; interferon score: "
                                f"6-gene RT-qPCR (Rice et al. 2013), positive > {threshold_tl:g}."))
        download_figure(fig, f"patient_{patient_id}_timeline", key="dl_timeline")

        seq = course.treatment_sequence()
        if seq:
            st.markdown("**Treatment sequence:** " + " → ".join(seq))
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
                    lambda v: f"positive (> {threshold_tl:g})" if v > threshold_tl
                    else f"negative (≤ {threshold_tl:g})")
                st.markdown("**Scores**")
                st.dataframe(sc[["name", "date", "month", "value", "result", "detail"]],
                             hide_index=True, width="stretch", key="scores_table")
        with col_b:
            if not course.events.empty:
                ev = course.events.assign(date=course.events["date"].dt.date,
                                          month=course.events["month"].round(1))
                st.markdown("**Events**")
                st.dataframe(ev[["name", "date", "month", "detail"]], hide_index=True,
                             width="stretch", key="events_table")
        n_lab = sum(len(g) for g in course.labs.values())
        with st.expander(f"Treatments ({len(course.treatments)} periods or administrations) "
                         f"and labs ({n_lab} values)"):
            if not course.treatments.empty:
                tr = course.treatments.assign(
                    start=course.treatments["start"].dt.date,
                    stop=course.treatments["stop"].dt.date,
                    months=course.treatments["start_month"].round(1).astype(str) + "–"
                    + course.treatments["stop_month"].round(1).astype(str),
                )
                st.markdown("**Treatments** (a new start of a running treatment is a dose "
                            "change; same-day start and stop = one administration)")
                st.dataframe(tr[["name", "start", "stop", "months", "dose", "open_ended"]],
                             hide_index=True, width="stretch", key="treatments_table")
            if course.labs:
                labs = pd.concat([g.assign(lab=name) for name, g in course.labs.items()],
                                 ignore_index=True)
                labs = labs.assign(date=labs["date"].dt.date, month=labs["month"].round(1))
                st.markdown("**Labs**")
                st.dataframe(labs[["lab", "date", "month", "value", "unit", "detail"]],
                             hide_index=True, width="stretch", key="labs_table")
        course_table = patient_events.sort_values("date", kind="stable").assign(
            month=lambda d: ((d["date"] - course.diagnosis_date).dt.days / DAYS_PER_MONTH)
            if not pd.isna(course.diagnosis_date) else float("nan"))
        st.caption(f"Download {md(patient_id)}'s events (with months since diagnosis):")
        download_table(course_table, f"patient_{patient_id}_events", key="dl_course",
                       title=f"Events of patient {patient_id}")

    # ---------------------------------------------------------------- cohort context
    st.markdown("#### In the cohort")
    sub_col = "antibody_subtype"
    if sub_col not in df.columns or pd.isna(subtype):
        st.caption("No antibody subtype: the patient cannot be placed in a subtype group.")
    else:
        same = df[sub_col] == subtype
        group_label = _subtype_label(subtype)
        other_label = f"other subtypes than {group_label}"
        labels = pd.Series(group_label, index=df.index).where(same, other_label)
        counts = df[sub_col].value_counts()
        st.markdown(
            f"{md(patient_id)} is one of **{int(same.sum())}** {group_label} patients in the "
            f"filtered cohort of {len(df)} ("
            + ", ".join(f"{_subtype_label(k)} {v}" for k, v in counts.items()) + ")."
        )
        if "cancer" in df.columns:
            c_same = df.loc[same, "cancer"].dropna()
            c_other = df.loc[~same, "cancer"].dropna()
            st.markdown(
                f"Cancer (crude): {group_label} {format_n_of_N(int(c_same.sum()), len(c_same))}"
                f"; {other_label} {format_n_of_N(int(c_other.sum()), len(c_other))}."
            )
        ctx_surv, ctx_sir = st.columns(2)
        with ctx_surv:
            st.markdown("**Overall survival of the patient's group** (survival view)")
            try:
                from core.charts.survival import km_figure
                from core.survival import analyze_survival, survival_data

                sd = survival_data(df)
                lab = labels.loc[sd.index]
                res = analyze_survival(sd.time, sd.event, lab.to_numpy(),
                                       [group_label, other_label], cox=False, pairwise=False,
                                       unit="months")
                kmf = km_figure(res, unit_label="months", show_risk_table=False, title="",
                                font_size=12, width=640)
                pos = [i for i, p in enumerate(df.loc[sd.index, "patient_id"].astype(str))
                       if p == patient_id]
                if pos:
                    t_pat = float(sd.time[pos[0]])
                    kmf.add_vline(x=t_pat, line={"dash": "dot", "color": VERMILLION},
                                  annotation_text=f"{patient_id}: "
                                  + ("died" if sd.event[pos[0]] else "censored")
                                  + f" at {t_pat:.1f} mo")
                show_figure(kmf, "context_km", key="context_km")
                gt = res.group_table()
                show = gt[["group", "n", "events"]].assign(
                    **{"median (months)": gt["median"].map(
                        lambda m: "not reached" if pd.isna(m) else f"{m:.1f}")})
                st.dataframe(show, hide_index=True, width="stretch", key="context_survival")
                if res.logrank is not None:
                    st.caption(f"Overall survival from diagnosis; log-rank P = "
                               f"{format_p(res.logrank.p_value)}.")
                show_guardrails(list(res.guardrails))
                if len(sd.excluded):
                    st.caption(f"{len(sd.excluded)} patient(s) without follow-up data left out.")
            except ImportError:
                st.caption("The survival view is not available in this build.")
            except ValueError as exc:
                st.caption(f"Survival not computable on this cohort: {md(exc)}")
        with ctx_sir:
            st.markdown("**Cancer risk of the patient's group** (cancer-risk view)")
            try:
                from core.cancer_risk import sir_analysis
                from core.rates import load_bundled_rates

                sir = sir_analysis(df, load_bundled_rates(), by=labels,
                                   by_order=[group_label, other_label])
                sub = sir.subgroup_table()
                st.dataframe(
                    pd.DataFrame({
                        "group": sub["group"], "patients": sub["n_patients"],
                        "observed": sub["observed"], "expected": sub["expected"].round(2),
                        "SIR (95% CI)": [
                            f"{format_ratio(r.sir, 1)} ({format_ci(r.ci_low, r.ci_high, 1)})"
                            for r in sub.itertuples()],
                        "P": sub["p_value"].map(format_p),
                    }),
                    hide_index=True, width="stretch", key="context_sir")
                mine = sub[sub["group"].astype(str) == group_label]
                if len(mine):
                    m = mine.iloc[0]
                    st.markdown(
                        f"{group_label}: SIR **{format_ratio(m['sir'], 1)}** "
                        f"({format_ci(m['ci_low'], m['ci_high'], 1)}), "
                        f"O = {int(m['observed'])}, E = {m['expected']:.2f}, "
                        f"P = {format_p(m['p_value'])} (bundled France rates, cancers within "
                        "3 years of diagnosis, exact Poisson CI)."
                    )
                    show_guardrails(list(getattr(sir, "guardrails", ())))
            except ImportError:
                st.caption("The cancer-risk view is not available in this build.")
            except ValueError as exc:
                st.caption(f"SIR not computable on this cohort: {md(exc)}")

# ======================================================================================
# Interferon score calculator
# ======================================================================================
with tab_ifn:
    st.markdown(
        "Upload RT-qPCR Ct values (one row per well: `sample_id`, `sample_type` = `patient` "
        "or `healthy_control`, `gene`, `ct`; optional `patient_id`, `date`) or precomputed "
        "fold changes (`sample_id`, `gene`, `fold_change`)."
    )
    source = st.radio(
        "Data", ["Example plate (sample_data/qpcr_example.csv)", "Upload qPCR Ct values",
                 "Upload precomputed fold changes"], key="ifn_source",
    )
    raw: pd.DataFrame | None = None
    if source.startswith("Example"):
        raw = read_qpcr(EXAMPLE_QPCR)
        st.caption("Synthetic plate: 9 healthy controls and 4 patient samples in duplicate "
                   "wells; MDA5-M0 and MDA5-M9 reproduce the Jalles et al. scores (19, 0.9).")
    else:
        up = st.file_uploader("CSV, TSV or XLSX", type=["csv", "tsv", "txt", "xlsx"],
                              key="ifn_upload")
        if up is not None:
            try:
                raw = read_qpcr(up)
            except InterferonError as exc:
                st.error(md(exc))
    c1, c2 = st.columns(2)
    with c1:
        threshold = _threshold_picker("ifn_threshold")
    precomputed = source.startswith("Upload precomputed")
    with c2:
        ref_text = st.text_input("Reference genes (comma-separated)", "HPRT1, 18S",
                                 key="ifn_refs", disabled=precomputed)
        undet = st.radio(
            "'Undetermined' Ct of a target gene",
            ["stop with an error", "count as not detected at Ct = max cycles"],
            key="ifn_undetermined", disabled=precomputed,
        )
        max_ct = st.number_input("Max cycles", 20.0, 60.0, 40.0, 1.0, key="ifn_max_ct",
                                 disabled=precomputed or undet.startswith("stop"))
    result: InterferonResult | None = None
    if raw is not None:
        try:
            if precomputed:
                result = fold_change_scores(raw, threshold=threshold)
            else:
                refs = [g.strip() for g in ref_text.replace(";", ",").split(",") if g.strip()]
                result = interferon_scores(
                    raw, reference_genes=refs, threshold=threshold,
                    undetermined="error" if undet.startswith("stop") else "max_ct",
                    max_ct=max_ct,
                )
        except InterferonError as exc:
            st.error(f"Cannot compute the scores: {md(exc)}")

    if result is not None:
        for note in result.notes:
            st.info(md(note))
        n_pos = int(result.scores.loc[result.scores["sample_type"] == "patient",
                                      "positive"].sum())
        n_pat = int((result.scores["sample_type"] == "patient").sum())
        st.markdown(f"**{n_pos}/{n_pat}** patient sample(s) positive (score > {threshold:g})"
                    + (f"; {result.n_controls} healthy controls." if result.n_controls else "."))
        table = result.wide()
        st.dataframe(table, hide_index=True, width="stretch", key="ifn_scores_table",
                     column_config={"score": st.column_config.NumberColumn(format="%.3g")})
        download_table(table, "interferon_scores", key="dl_ifn_scores",
                       title="Interferon scores")
        st.download_button("Download JSON", json.dumps(result.payload(), indent=2),
                           file_name="interferon_scores.json", mime="application/json",
                           key="dl_ifn_json")
        if result.method == "qpcr":
            with st.expander("Per-gene computation (ΔCt, ΔΔCt, RQ) and replicate wells"):
                st.dataframe(result.fold_changes, hide_index=True, width="stretch")
                st.dataframe(result.wells, hide_index=True, width="stretch")
                download_table(result.fold_changes, "interferon_fold_changes",
                               key="dl_ifn_fc", title="Interferon fold changes")
        samples = list(result.scores["sample_id"])
        default = [s for s, t in zip(result.scores["sample_id"], result.scores["sample_type"],
                                     strict=True) if t == "patient"] or samples[:1]
        chosen = st.multiselect("Samples in the per-gene chart", samples, default=default,
                                key="ifn_chart_samples")
        if chosen:
            fcfig = fold_change_figure(result, chosen)
            show_figure(fcfig, "ifn_fc_chart", key="ifn_fc_chart")
            download_figure(fcfig, "interferon_fold_changes", key="dl_ifn_fc_fig")
        sfig = score_figure(result)
        show_figure(sfig, "ifn_score_chart", key="ifn_score_chart")
        download_figure(sfig, "interferon_scores", key="dl_ifn_score_fig")
        st.caption(methods_text(result))

        # ------------------------------------------------------------ add to the timeline
        st.markdown("#### Add scores to a patient's timeline")
        patient_samples = [s for s, t in zip(result.scores["sample_id"],
                                             result.scores["sample_type"], strict=True)
                           if t == "patient"]
        ready = scores_for_events(result.scores, threshold=threshold)
        if len(ready) and st.button(f"Add the {len(ready)} score(s) that have a patient_id and date",
                                    key="ifn_add_all"):
            n_new = _store_scores(ready)
            st.session_state[ADDED_MSG_KEY] = (
                f"{n_new} score(s) added to the events table of this session"
                + (f" ({len(ready) - n_new} already there)." if n_new < len(ready) else "."))
            st.rerun()
        if patient_samples:
            a1, a2, a3 = st.columns(3)
            sample = a1.selectbox("Sample", patient_samples, key="ifn_add_sample")
            pid_default = st.session_state.get("patient_id", ids[0] if ids else None)
            target = a2.selectbox("Patient", ids, index=ids.index(pid_default)
                                  if pid_default in ids else 0, key="ifn_add_patient")
            diag = rows_by_id.loc[target].get("diagnosis_date") if target in rows_by_id.index \
                else None
            when = a3.date_input("Sampling date",
                                 value=pd.Timestamp(diag).date() if diag is not None
                                 and not pd.isna(diag) else None,
                                 key="ifn_add_date")
            if st.button("Add this score to the timeline", key="ifn_add_one"):
                if when is None:
                    st.warning("Choose the sampling date first.")
                else:
                    one = scores_for_events(result.scores, patient_ids={sample: target},
                                            dates={sample: when}, threshold=threshold)
                    one = one[one["detail"].str.startswith(f"sample {sample};")]
                    n_new = _store_scores(one)
                    st.session_state[ADDED_MSG_KEY] = (
                        ("" if n_new else "Already on the timeline. ") +
                        f"Interferon score of sample {sample} added to {target} on {when}: "
                        "select that patient in the 'Patient course' tab to see it.")
                    st.rerun()
        n_added = st.session_state.get(ADDED_COUNT_KEY, 0)
        if n_added:
            st.caption(f"{n_added} score(s) added in this session (kept until the session "
                       "ends; download the patient's events from the course tab to keep them).")
