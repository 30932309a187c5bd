"""Cancer-risk view: SIR against population rates, time from diagnosis to cancer, cumulative
incidence with death as a competing risk. All statistics come from core.cancer_risk."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import streamlit as st

from core.cancer_risk import (
    CI_METHOD_LABELS,
    TIME_SINCE_DIAGNOSIS,
    CancerRiskError,
    methods_text,
    sir_analysis,
    window_description,
)
from core.cancer_timing import cancer_timing, cumulative_incidence
from core.charts.cancer_risk import (
    cumulative_incidence_figure,
    forest_figure,
    sir_label,
    timing_figure,
)
from core.formatting import format_p
from core.groups import binary_labels
from core.rates import (
    BUNDLED_RATES_DESCRIPTION,
    RatesError,
    load_bundled_rates,
    load_rates,
)
from core.safe_text import md
from core.schema import SUBTYPE_LABELS, SUBTYPE_VALUES
from core.stats import CI_METHODS
from core.view import SIR_WINDOWS
from ui.cache import cached
from ui.state import require_clean_columns, require_filtered_cohort
from ui.view_ui import Slide
from ui.widgets import (
    download_figure,
    download_table,
    methods_box,
    show_figure,
    show_guardrails,
    slide_table,
)

WINDOWS = SIR_WINDOWS  # label -> (years before, years after); in the address as r.before / r.after / r.open
BUNDLED = "France, CI5-XII (bundled)"
UPLOAD = "Upload my own table"


def _num(x: float | None, digits: int = 1) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{x:,.{digits}f}"


@st.cache_data(show_spinner=False)
def _bundled_rates():
    return load_bundled_rates()


cohort = require_filtered_cohort()
df = cohort.data
dictionary = cohort.dictionary

st.title("Cancer risk")
st.caption(
    "Standardized incidence ratio (SIR) of first cancers against age- and sex-specific "
    "population rates, time from DM diagnosis to cancer, and cumulative incidence after "
    "diagnosis, on the filtered cohort"
    + (f" ({cohort.description})" if cohort.description else "")
    + f": {len(df)} patients."
)

# ---------------------------------------------------------------- options
c1, c2, c3, c4 = st.columns([1.3, 1.5, 1.1, 1.4])
rates_choice = c1.radio("Reference rates", [BUNDLED, UPLOAD], key="cr_rates")
rates = _bundled_rates()
if rates_choice == UPLOAD:
    up = c1.file_uploader(
        "Rates (CSV / XLSX): sex, age band (or age_from / age_to), optional period, "
        "rate per 100,000 person-years",
        type=["csv", "tsv", "txt", "xlsx"], key="cr_rates_file",
    )
    if up is None:
        st.info("Upload a rate table, or use the bundled France table.")
        st.stop()
    try:
        rates = load_rates(up)
    except RatesError as exc:
        st.error(f"The rate table cannot be used: {md(exc)}")
        st.stop()

preset = c2.selectbox("At-risk window around DM diagnosis", list(WINDOWS), index=2,
                      key="cr_window")
window = WINDOWS[preset]
if window is None:
    wb = c2.number_input("Years before diagnosis", min_value=0.0, max_value=50.0, value=3.0,
                         step=0.5, key="cr_wb")
    open_end = c2.checkbox("No end after diagnosis", value=False, key="cr_open")
    wa = math.inf if open_end else c2.number_input(
        "Years after diagnosis", min_value=0.0, max_value=50.0, value=3.0, step=0.5,
        key="cr_wa")
    window = (float(wb), float(wa))
wb, wa = window

ci_method = c3.selectbox("Confidence interval", list(CI_METHODS),
                         format_func=lambda m: CI_METHOD_LABELS[m], key="cr_ci")

# split options: key -> (label, labels Series or TIME_SINCE_DIAGNOSIS, order)
splits: dict[str, str] = {"none": "No split"}
if "antibody_subtype" in df.columns and df["antibody_subtype"].notna().any():
    splits["subtype"] = "Antibody subtype"
if "sex" in df.columns:
    splits["sex"] = "Sex"
if "age_at_diagnosis" in df.columns:
    splits["age50"] = "Age at diagnosis ≥ 50"
splits["tsd"] = "Time since diagnosis (<1, 1–3, 3–5, ≥5 years)"
skip = {"patient_id", "sex", "antibody_subtype", "cancer", "death", "cancer_site"}


def _col_type(col: str) -> str:
    """binary / categorical / other, from the dictionary or (undescribed columns) values."""
    if col in dictionary:
        return dictionary.get(col).type
    s = df[col]
    if pd.api.types.is_numeric_dtype(s):
        return "binary" if set(s.dropna().unique()) <= {0.0, 1.0} else "other"
    return "categorical" if s.dtype == object else "other"


col_types = {c: _col_type(c) for c in df.columns if c not in skip}
for col, ctype in col_types.items():
    if ctype not in ("binary", "categorical"):
        continue
    if df[col].notna().any() and 1 < df[col].nunique() <= 20 and col not in splits:
        splits[col] = dictionary.label(col)
shown_labels: dict[str, str] = {}
for k, lab in splits.items():  # two columns with the same label: the column name tells them apart
    shown_labels[k] = lab if list(splits.values()).count(lab) == 1 else f"{lab} ({k})"
split_key = c4.selectbox("Split by", list(splits), format_func=lambda k: shown_labels.get(k, k), key="cr_split")


def split_labels(key: str) -> tuple[pd.Series | str | None, list[str] | None, str | None]:
    """(by argument, order, column name) of a split choice."""
    if key == "none":
        return None, None, None
    if key == "tsd":
        return TIME_SINCE_DIAGNOSIS, None, None
    if key == "subtype":
        lab = df["antibody_subtype"].map(lambda v: SUBTYPE_LABELS.get(v, v) if isinstance(v, str)
                                         else np.nan)
        present = set(lab.dropna())
        order = [SUBTYPE_LABELS[v] for v in SUBTYPE_VALUES if SUBTYPE_LABELS[v] in present]
        return lab.rename("antibody subtype"), order, None
    if key == "sex":
        lab = df["sex"].map({"F": "Female", "M": "Male"})
        return lab.rename("sex"), ["Female", "Male"], None
    if key == "age50":
        age = df["age_at_diagnosis"]
        lab = pd.Series(np.where(age >= 50, "≥ 50 years", "< 50 years"), index=df.index,
                        dtype=object).where(age.notna())
        return lab.rename("age at diagnosis ≥ 50"), ["< 50 years", "≥ 50 years"], None
    col = key
    info = dictionary.get(col)
    if col_types.get(col) == "binary":
        yes, no = binary_labels(col, dictionary)
        lab = df[col].map({1.0: yes, 0.0: no})
        return lab.rename(info.label), [yes, no], col
    lab = df[col].astype(object).where(df[col].notna())
    return lab.rename(info.label), None, col


by, by_order, by_col = split_labels(split_key)

# ---------------------------------------------------------------- SIR
require_clean_columns(["sex", "age_at_diagnosis", "birth_date", "diagnosis_date", "cancer", "cancer_date",
                       "death_date", "last_followup_date", by_col or ""], "The cancer-risk analysis")
try:
    res = cached(cohort, sir_analysis, df, rates, wb, wa, ci_method=ci_method, by=by,  # type: ignore[arg-type]
                       by_order=by_order)
except CancerRiskError as exc:
    st.error(md(exc))
    st.stop()

st.subheader("Standardized incidence ratio")
st.caption(
    f"Window: {window_description(wb, wa)}. Rates: "
    f"{rates.description or BUNDLED_RATES_DESCRIPTION}. "
    f"{res.n_patients} patients analysed, {res.n_with_person_time} with person-time in the "
    "window."
)
m = st.columns([0.9, 1, 0.9, 1.6, 0.9, 1.1])
m[0].metric("Observed (O)", f"{res.observed}")
m[1].metric("Person-years", _num(res.person_years, 1))
m[2].metric("Expected (E)", _num(res.expected, 2))
m[3].metric(f"SIR ({100 * res.conf_level:g}% CI)", sir_label(res, 1),
            help=f"{CI_METHOD_LABELS[res.ci_method]} confidence interval")
m[4].metric("P (exact Poisson)", format_p(res.p_value))
m[5].metric("Excess risk / 1,000 PY", _num(res.excess_per_1000py, 1))
show_guardrails(list(res.guardrails))
sir_footnote = (f"SIR = O / E; {CI_METHOD_LABELS[res.ci_method]} {100 * res.conf_level:g}% CI; P: exact Poisson test. "
                f"Window: {window_description(wb, wa)}. Rates: {rates.description or BUNDLED_RATES_DESCRIPTION}.")
slide_table(pd.DataFrame({"": ["Observed (O)", "Expected (E)", "Person-years", f"SIR ({100 * res.conf_level:g}% CI)",
                               "P (exact Poisson)", "Excess risk / 1,000 PY"],
                          "value": [f"{res.observed}", _num(res.expected, 2), _num(res.person_years, 1), sir_label(res, 1),
                                    format_p(res.p_value), _num(res.excess_per_1000py, 1)]}).set_index(""),
            "cancer risk (SIR)", res.n_patients, sir_footnote)

if res.subgroups:
    st.markdown(f"**SIR by {md(res.split)}**")
    fig_forest = forest_figure(res)
    show_figure(fig_forest, "sir_forest", key="cr_forest",
                slide=Slide(f"SIR by {res.split}", res.n_patients, sir_footnote))
    download_figure(fig_forest, "sir_forest", key="cr_dl_forest")
    sub = res.subgroup_table()
    show = pd.DataFrame({
        "Group": sub["group"],
        "Patients": sub["n_patients"],
        "O": sub["observed"],
        "E": sub["expected"].map(lambda x: _num(x, 2)),
        "Person-years": sub["person_years"].map(lambda x: _num(x, 1)),
        "SIR (CI)": [sir_label(h, 2) for h in res.subgroups],
        "P": sub["p_value"].map(format_p),
        "Excess / 1,000 PY": sub["excess_per_1000py"].map(lambda x: _num(x, 1)),
    })
    st.dataframe(show, hide_index=True)
    download_table(sub, "sir_subgroups", key="cr_dl_sub", title="SIR by subgroup")

with st.expander("How E was obtained: person-years × rate per sex and age band", expanded=False):
    st.caption(
        "Each patient's person-time in the window is split across the age bands of the "
        "rate table as the patient ages; E = Σ person-years × rate / 100,000. Cases are "
        "counted in the band of the age at cancer."
    )
    strata = res.strata.rename(columns={"person_years": "person-years",
                                        "rate": "rate / 100,000 PY"})
    st.dataframe(strata.style.format({"person-years": "{:.2f}", "rate / 100,000 PY": "{:.1f}",
                                      "expected": "{:.4f}"}),
                 hide_index=True)
    download_table(res.strata, "sir_strata", key="cr_dl_strata", title="Expected counts by stratum")
    if res.subgroup_strata is not None:
        download_table(res.subgroup_strata, "sir_strata_by_group", key="cr_dl_strata_g",
                       title="Expected counts by stratum and group")
    download_table(res.patients, "sir_person_time_per_patient", key="cr_dl_pat",
                   title="Person-time per patient")

# ---------------------------------------------------------------- timing
st.subheader("Time from DM diagnosis to cancer")
timing_window = wb if (math.isfinite(wa) and wa == wb and wb > 0) else 3.0
timing = cached(cohort, cancer_timing, df, window_years=timing_window)
if timing.n == 0:
    st.info("No patient with a dated cancer in the filtered cohort.")
else:
    ci_txt = (f"{_num(timing.ci_low_days, 1)} to {_num(timing.ci_high_days, 1)} days"
              if math.isfinite(timing.ci_low_days) else "not estimable with so few cancers")
    t1, t2, t3 = st.columns(3)
    t1.metric("Median (days)", _num(timing.median_days, 1))
    t2.metric("95% CI of the median", ci_txt)
    t3.metric(f"Within ±{timing_window:g} years",
              f"{timing.n_within}/{timing.n} ({100 * timing.share_within:.0f}%)")
    st.caption(
        f"{timing.n} cancers, {timing.n_before} before the DM diagnosis. CI: "
        f"{timing.ci_method}."
    )
    fig_t = timing_figure(timing)
    show_figure(fig_t, "cancer_timing", key="cr_timing",
                slide=Slide("time from DM diagnosis to cancer", timing.n,
                            f"{timing.n} cancers, {timing.n_before} before the DM diagnosis; median "
                            f"{_num(timing.median_days, 1)} days (CI: {timing.ci_method})."))
    download_figure(fig_t, "cancer_timing", key="cr_dl_timing")
    download_table(timing.table, "cancer_timing", key="cr_dl_timing_tab",
                   title="Time from diagnosis to cancer")
if len(timing.excluded):
    st.caption(f"{len(timing.excluded)} patients with cancer lack a date and are not shown: "
               + ", ".join(timing.excluded["patient_id"].astype(str).tolist()[:20]))

# ---------------------------------------------------------------- cumulative incidence
st.subheader("Cumulative incidence of cancer after diagnosis")
labels = by if isinstance(by, pd.Series) else None
try:
    cif = cached(cohort, cumulative_incidence, df, labels=labels, unit="months", order=by_order)
except CancerRiskError as exc:
    st.warning(md(exc))
    cif = None
if cif is not None and not cif.curves.empty:
    st.caption(cif.note + (" Split by time since diagnosis is not applicable here: one curve."
                           if split_key == "tsd" else ""))
    fig_c = cumulative_incidence_figure(cif, order=[g for g in (by_order or [])
                                                    if g in set(cif.curves["group"])] or None)
    show_figure(fig_c, "cancer_cumulative_incidence", key="cr_cif",
                slide=Slide("cumulative incidence of cancer after diagnosis", len(df), cif.note))
    download_figure(fig_c, "cancer_cumulative_incidence", key="cr_dl_cif")
    summ = cif.summary.copy()
    for c in ("cif_1y", "cif_3y", "cif_5y"):
        summ[c] = (100 * summ[c]).map(lambda x: _num(x, 1))
    st.dataframe(summ.rename(columns={"cif_1y": "1 year (%)", "cif_3y": "3 years (%)",
                                      "cif_5y": "5 years (%)"}),
                 hide_index=True)
    download_table(cif.summary, "cancer_cumulative_incidence", key="cr_dl_cif_tab",
                   title="Cumulative incidence of cancer")
else:
    st.info("No patient at risk of a first cancer after diagnosis.")

# ---------------------------------------------------------------- excluded, downloads, methods
with st.expander(f"Patients excluded from the SIR ({len(res.excluded)})",
                 expanded=bool(len(res.excluded))):
    if res.excluded.empty:
        st.write("None: every patient has the data the SIR needs.")
    else:
        st.dataframe(res.excluded, hide_index=True)
        download_table(res.excluded, "sir_excluded", key="cr_dl_excl", title="Excluded patients")

payload = res.payload()
payload["window"] = {"before_years": wb, "after_years": None if math.isinf(wa) else wa}
payload["timing"] = timing.payload()
st.download_button("Download results (JSON)", json.dumps(payload, indent=2, allow_nan=False),
                   file_name="sir_results.json", mime="application/json", key="cr_dl_json")

methods_box(methods_text(res, rates.description, cohort.description, timing), key="cr",
            basename="cancer_risk_methods")
