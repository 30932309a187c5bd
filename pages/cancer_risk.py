"""Cancer-risk view: SIR against population rates, time from diagnosis to cancer, cumulative
incidence with death as a competing risk. All statistics come from core.cancer_risk."""

from __future__ import annotations

import json
import math
from typing import Any

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
from core.i18n import _, fmt_ci_label, fmt_number, fmt_pct, language, n_, using
from core.rates import (
    BUNDLED_RATES_DESCRIPTION,
    RatesError,
    RateTable,
    load_bundled_rates,
    load_rates,
)
from core.safe_text import md
from core.schema import SUBTYPE_VALUES
from core.stats import CI_METHODS
from core.view import SIR_WINDOWS
from ui.cache import cached
from ui.lang import headers, sex_label, shown_as, subtype_label, translated
from ui.state import require_clean_columns, require_filtered_cohort
from ui.view_ui import Slide
from ui.widgets import (
    download_figure,
    download_table,
    is_shown,
    lazy_expander,
    methods_box,
    show_figure,
    show_guardrails,
    slide_table,
)

WINDOWS = SIR_WINDOWS  # label -> (years before, years after); in the address as r.before / r.after / r.open
BUNDLED = "France, CI5-XII (bundled)"  # widget values (msgids, shown translated)
UPLOAD = "Upload my own table"


def _num(x: float | None, digits: int = 1) -> str:
    return "—" if x is None or not math.isfinite(x) else fmt_number(x, digits)


@st.cache_resource(show_spinner=False)
def _bundled_rates() -> RateTable:
    """The bundled table, one shared read-only object: results are cached by their
    arguments (``ui.cache``), a table by identity, so it must be the same object on every
    rerun (``st.cache_data`` hands out a fresh copy each time, which recomputed the SIR on
    every filter change)."""
    return load_bundled_rates()


def _uploaded_rates(up: Any) -> RateTable:
    """An uploaded table, read once per file (the same object on every rerun, as above)."""
    ss = st.session_state
    kept = ss.get("_cr_rates_table")
    if kept is None or kept[0] != up.file_id:
        kept = (up.file_id, load_rates(up))
        ss["_cr_rates_table"] = kept
    return kept[1]


cohort = require_filtered_cohort()
df = cohort.data
dictionary = cohort.dictionary

st.title(_("Cancer risk"))
st.caption(_(
    "Standardized incidence ratio (SIR) of first cancers against age- and sex-specific population rates, time from DM "
    "diagnosis to cancer, and cumulative incidence after diagnosis, on the filtered cohort{filters}: {patients}.",
    filters=f" ({cohort.description})" if cohort.description else "", patients=n_("{n} patient", "{n} patients", len(df))))

# ---------------------------------------------------------------- options
c1, c2, c3, c4 = st.columns([1.3, 1.5, 1.1, 1.4])
rates_choice = c1.radio(_("Reference rates"), [BUNDLED, UPLOAD], key="cr_rates", format_func=shown_as(_, [BUNDLED, UPLOAD]))
rates = _bundled_rates()
if rates_choice == UPLOAD:
    up = c1.file_uploader(
        _("Rates (CSV / XLSX): sex, age band (or age_from / age_to), optional period, rate per 100,000 person-years"),
        type=["csv", "tsv", "txt", "xlsx"], key="cr_rates_file",
    )
    if up is None:
        st.info(_("Upload a rate table, or use the bundled France table."))
        st.stop()
    try:
        rates = _uploaded_rates(up)
    except RatesError as exc:
        st.error(_("The rate table cannot be used: {why}", why=md(exc)))
        st.stop()

preset = c2.selectbox(_("At-risk window around DM diagnosis"), list(WINDOWS), index=2,
                      key="cr_window", format_func=shown_as(_, WINDOWS))
window = WINDOWS[preset]
if window is None:
    wb = c2.number_input(_("Years before diagnosis"), min_value=0.0, max_value=50.0, value=3.0,
                         step=0.5, key="cr_wb")
    open_end = c2.checkbox(_("No end after diagnosis"), value=False, key="cr_open")
    wa = math.inf if open_end else c2.number_input(
        _("Years after diagnosis"), min_value=0.0, max_value=50.0, value=3.0, step=0.5,
        key="cr_wa")
    window = (float(wb), float(wa))
wb, wa = window

ci_method = c3.selectbox(_("Confidence interval"), list(CI_METHODS),
                         format_func=shown_as(lambda m: _(CI_METHOD_LABELS[m]), CI_METHODS), key="cr_ci")

# split options: key -> (label, labels Series or TIME_SINCE_DIAGNOSIS, order)
splits: dict[str, str] = {"none": _("No split")}
if "antibody_subtype" in df.columns and df["antibody_subtype"].notna().any():
    splits["subtype"] = _("Antibody subtype")
if "sex" in df.columns:
    splits["sex"] = _("Sex")
if "age_at_diagnosis" in df.columns:
    splits["age50"] = _("Age at diagnosis ≥ 50")
splits["tsd"] = _("Time since diagnosis (<1, 1–3, 3–5, ≥5 years)")
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
split_key = c4.selectbox(_("Split by"), list(splits), format_func=lambda k: shown_labels.get(k, k), key="cr_split")


def split_labels(key: str) -> tuple[pd.Series | str | None, list[str] | None, str | None]:
    """(by argument, order, column name) of a split choice."""
    if key == "none":
        return None, None, None
    if key == "tsd":
        return TIME_SINCE_DIAGNOSIS, None, None
    if key == "subtype":
        lab = df["antibody_subtype"].map(lambda v: subtype_label(v) if isinstance(v, str)
                                         else np.nan)
        present = set(lab.dropna())
        order = [subtype_label(v) for v in SUBTYPE_VALUES if subtype_label(v) in present]
        return lab.rename(_("antibody subtype")), order, None
    if key == "sex":
        lab = df["sex"].map({"F": sex_label("F"), "M": sex_label("M")})
        return lab.rename(_("sex")), [sex_label("F"), sex_label("M")], None
    if key == "age50":
        age = df["age_at_diagnosis"]
        over, under = _("≥ 50 years"), _("< 50 years")
        lab = pd.Series(np.where(age >= 50, over, under), index=df.index,
                        dtype=object).where(age.notna())
        return lab.rename(_("age at diagnosis ≥ 50")), [under, over], None
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
                       "death_date", "last_followup_date", by_col or ""], _("The cancer-risk analysis"))
try:
    res = cached(cohort, sir_analysis, df, rates, wb, wa, ci_method=ci_method, by=by,  # type: ignore[arg-type]
                       by_order=by_order)
except CancerRiskError as exc:
    st.error(md(exc))
    st.stop()

timing_window = wb if (math.isfinite(wa) and wa == wb and wb > 0) else 3.0
timing = cached(cohort, cancer_timing, df, window_years=timing_window)
# The tabs rerun the page when switched, so only the tab shown is drawn (a filter change
# redraws one section, not three); presentation mode builds every tab (slides).
tab_sir, tab_timing, tab_cif = st.tabs(
    [_("Standardized incidence ratio"), _("Time from DM diagnosis to cancer"),
     _("Cumulative incidence of cancer after diagnosis")], key="cr_tab", on_change="rerun")


if is_shown(tab_sir):
    with tab_sir:
        rates_text = translated(rates.description or BUNDLED_RATES_DESCRIPTION)  # the core's words, in French when its catalogue has them
        st.caption(_(
            "Window: {window}. Rates: {rates}. {n} patients analysed, {with_time} with person-time in the window.",
            window=window_description(wb, wa), rates=rates_text, n=res.n_patients, with_time=res.n_with_person_time))
        sir_ci = fmt_ci_label(res.conf_level)
        labels_sir = {"o": _("Observed (O)"), "py": _("Person-years"), "e": _("Expected (E)"), "sir": _("SIR ({ci})", ci=sir_ci),
                      "p": _("P (exact Poisson)"), "excess": _("Excess risk / 1,000 PY")}
        m = st.columns([0.9, 1, 0.9, 1.6, 0.9, 1.1])
        m[0].metric(labels_sir["o"], f"{res.observed}")
        m[1].metric(labels_sir["py"], _num(res.person_years, 1))
        m[2].metric(labels_sir["e"], _num(res.expected, 2))
        m[3].metric(labels_sir["sir"], sir_label(res, 1),
                    help=_("{method} confidence interval", method=_(CI_METHOD_LABELS[res.ci_method])))
        m[4].metric(labels_sir["p"], format_p(res.p_value))
        m[5].metric(labels_sir["excess"], _num(res.excess_per_1000py, 1))
        show_guardrails(list(res.guardrails))
        sir_footnote = _("SIR = O / E; {method} {ci}; P: exact Poisson test. Window: {window}. Rates: {rates}.",
                         method=_(CI_METHOD_LABELS[res.ci_method]), ci=sir_ci, window=window_description(wb, wa), rates=rates_text)
        slide_table(pd.DataFrame({"": [labels_sir[k] for k in ("o", "e", "py", "sir", "p", "excess")],
                                  _("value"): [f"{res.observed}", _num(res.expected, 2), _num(res.person_years, 1), sir_label(res, 1),
                                               format_p(res.p_value), _num(res.excess_per_1000py, 1)]}).set_index(""),
                    _("cancer risk (SIR)"), res.n_patients, sir_footnote)

        if res.subgroups:
            st.markdown(_("**SIR by {split}**", split=md(res.split)))
            fig_forest = cached(cohort, forest_figure, res)
            show_figure(fig_forest, "sir_forest", key="cr_forest",
                        slide=Slide(_("SIR by {split}", split=res.split), res.n_patients, sir_footnote))
            download_figure(fig_forest, "sir_forest", key="cr_dl_forest")
            sub = res.subgroup_table()
            show = pd.DataFrame({
                _("Group"): sub["group"],
                _("Patients"): sub["n_patients"],
                "O": sub["observed"],
                "E": sub["expected"].map(lambda x: _num(x, 2)),
                _("Person-years"): sub["person_years"].map(lambda x: _num(x, 1)),
                _("SIR (CI)"): [sir_label(h, 2) for h in res.subgroups],
                "P": sub["p_value"].map(format_p),
                _("Excess / 1,000 PY"): sub["excess_per_1000py"].map(lambda x: _num(x, 1)),
            })
            st.dataframe(show, hide_index=True)
            download_table(sub, "sir_subgroups", key="cr_dl_sub", title=_("SIR by subgroup"))

        with lazy_expander(_("How E was obtained: person-years × rate per sex and age band"), expanded=False, key="cr_how_e") as shown:
            if shown:
                st.caption(_(
                    "Each patient's person-time in the window is split across the age bands of the rate table as the patient "
                    "ages; E = Σ person-years × rate / 100,000. Cases are counted in the band of the age at cancer."))
                strata = res.strata.assign(person_years=res.strata["person_years"].map(lambda x: _num(x, 2)),
                                           rate=res.strata["rate"].map(lambda x: _num(x, 1)),
                                           expected=res.strata["expected"].map(lambda x: _num(x, 4)))
                strata = headers(strata.rename(columns={"person_years": "person-years", "rate": "rate / 100,000 PY"}))
                st.dataframe(strata, hide_index=True)
                download_table(res.strata, "sir_strata", key="cr_dl_strata", title=_("Expected counts by stratum"))
                if res.subgroup_strata is not None:
                    download_table(res.subgroup_strata, "sir_strata_by_group", key="cr_dl_strata_g",
                                   title=_("Expected counts by stratum and group"))
                download_table(res.patients, "sir_person_time_per_patient", key="cr_dl_pat",
                               title=_("Person-time per patient"))

# ---------------------------------------------------------------- timing
if is_shown(tab_timing):
    with tab_timing:
        if timing.n == 0:
            st.info(_("No patient with a dated cancer in the filtered cohort."))
        else:
            ci_txt = (_("{low} to {high} days", low=_num(timing.ci_low_days, 1), high=_num(timing.ci_high_days, 1))
                      if math.isfinite(timing.ci_low_days) else _("not estimable with so few cancers"))
            t1, t2, t3 = st.columns(3)
            t1.metric(_("Median (days)"), _num(timing.median_days, 1))
            t2.metric(_("{ci} of the median", ci=fmt_ci_label()), ci_txt)
            t3.metric(_("Within ±{years} years", years=fmt_number(timing_window, 0) if float(timing_window).is_integer()
                        else fmt_number(timing_window, 1)),
                      f"{timing.n_within}/{timing.n} ({fmt_pct(100 * timing.share_within, 0)})")
            st.caption(_("{cancers}, {n_before} before the DM diagnosis. CI: {method}.",
                         cancers=n_("{n} cancer", "{n} cancers", timing.n), n_before=timing.n_before, method=translated(timing.ci_method)))
            fig_t = cached(cohort, timing_figure, timing)
            show_figure(fig_t, "cancer_timing", key="cr_timing",
                        slide=Slide(_("time from DM diagnosis to cancer"), timing.n,
                                    _("{cancers}, {n_before} before the DM diagnosis; median {median} days (CI: {method}).",
                                      cancers=n_("{n} cancer", "{n} cancers", timing.n), n_before=timing.n_before,
                                      median=_num(timing.median_days, 1), method=translated(timing.ci_method))))
            download_figure(fig_t, "cancer_timing", key="cr_dl_timing")
            download_table(timing.table, "cancer_timing", key="cr_dl_timing_tab",
                           title=_("Time from diagnosis to cancer"))
        if len(timing.excluded):
            st.caption(n_("{n} patient with cancer lacks a date and is not shown: {ids}",
                          "{n} patients with cancer lack a date and are not shown: {ids}", len(timing.excluded),
                          ids=", ".join(timing.excluded["patient_id"].astype(str).tolist()[:20])))

# ---------------------------------------------------------------- cumulative incidence
if is_shown(tab_cif):
    with tab_cif:
        labels = by if isinstance(by, pd.Series) else None
        try:
            cif = cached(cohort, cumulative_incidence, df, labels=labels, unit="months", order=by_order)
        except CancerRiskError as exc:
            st.warning(md(exc))
            cif = None
        if cif is not None and not cif.curves.empty:
            st.caption(cif.note + (" " + _("Split by time since diagnosis is not applicable here: one curve.")
                                   if split_key == "tsd" else ""))
            fig_c = cached(cohort, cumulative_incidence_figure, cif, order=[g for g in (by_order or [])
                                                            if g in set(cif.curves["group"])] or None)
            show_figure(fig_c, "cancer_cumulative_incidence", key="cr_cif",
                        slide=Slide(_("cumulative incidence of cancer after diagnosis"), len(df), cif.note))
            download_figure(fig_c, "cancer_cumulative_incidence", key="cr_dl_cif")
            summ = cif.summary.copy()
            for c in ("cif_1y", "cif_3y", "cif_5y"):
                summ[c] = (100 * summ[c]).map(lambda x: _num(x, 1))
            st.dataframe(headers(summ.rename(columns={"cif_1y": _("1 year (%)"), "cif_3y": _("3 years (%)"),
                                                      "cif_5y": _("5 years (%)")})),
                         hide_index=True)
            download_table(cif.summary, "cancer_cumulative_incidence", key="cr_dl_cif_tab",
                           title=_("Cumulative incidence of cancer"))
        else:
            st.info(_("No patient at risk of a first cancer after diagnosis."))

# ---------------------------------------------------------------- excluded, downloads, methods
with lazy_expander(_("Patients excluded from the SIR ({n})", n=len(res.excluded)),
                 expanded=bool(len(res.excluded)), key="cr_excluded_box") as shown:
    if shown:
        if res.excluded.empty:
            st.write(_("None: every patient has the data the SIR needs."))
        else:
            st.dataframe(headers(res.excluded), hide_index=True)
            download_table(res.excluded, "sir_excluded", key="cr_dl_excl", title=_("Excluded patients"))

def _results_json(res=res, timing=timing, wb=wb, wa=wa, lang=language()) -> str:  # noqa: B008 - produced when clicked
    with using(lang):  # the page's language (the click is served outside this run)
        payload = res.payload()
        payload["window"] = {"before_years": wb, "after_years": None if math.isinf(wa) else wa}
        payload["timing"] = timing.payload()
        return json.dumps(payload, indent=2, allow_nan=False)


st.download_button(_("Download results (JSON)"), _results_json, file_name="sir_results.json", mime="application/json",
                   key="cr_dl_json")

methods_box(methods_text(res, rates.description, cohort.description, timing), key="cr",
            basename="cancer_risk_methods")
