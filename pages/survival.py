"""Survival view: Kaplan-Meier curves, log-rank, Cox hazard ratios for any grouping."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from core.charts.survival import km_figure, logrank_label
from core.formatting import format_ci, format_p, format_ratio
from core.safe_text import md
from core.survival import (
    CONF_TYPE_LABELS,
    DEFAULT_LANDMARKS,
    SurvivalInputError,
    analyze_survival,
    default_tick_times,
    endpoint_options,
    methods_text,
    survival_data,
)
from core.view import split_title
from ui.cache import cached
from ui.state import require_clean_columns, require_filtered_cohort
from ui.view_ui import Slide, page_default, presenting
from ui.widgets import (
    download_figure,
    download_table,
    group_picker,
    methods_box,
    show_figure,
    show_guardrails,
    slide_table,
)

UNITS = ("months", "years", "days")


def _num(x: float, digits: int = 1) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{x:.{digits}f}"


def _event_name(label: str) -> str:
    """'Date of DM diagnosis' -> 'DM diagnosis'; 'Birth date' -> 'birth date'."""
    for prefix in ("Date of ", "Date "):
        if label.startswith(prefix):
            return label[len(prefix):]
    return label[0].lower() + label[1:] if len(label) > 1 and label[1].islower() else label


def _parse_times(text: str, what: str) -> list[float] | None:
    try:
        vals = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        st.warning(f"{what}: type numbers separated by commas (e.g. 12, 36, 60).")
        return None
    return [v for v in vals if v >= 0]


cohort = require_filtered_cohort()
df = cohort.data
dictionary = cohort.dictionary

st.title("Survival")
st.caption(
    "Kaplan-Meier curves with log-rank test and Cox hazard ratios on the filtered cohort"
    + (f" ({cohort.description})" if cohort.description else "")
    + "."
)

date_cols = [c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c])]
endpoints = endpoint_options(df)
if not date_cols or not endpoints:
    st.error(
        "Survival needs a time origin (e.g. diagnosis_date), an event column with its date "
        "(e.g. death / death_date) and a censoring date (last_followup_date)."
    )
    st.stop()

c1, c2, c3, c4 = st.columns([1.2, 1.4, 1.2, 0.9])
origin = c1.selectbox(
    "Time origin",
    date_cols,
    index=date_cols.index("diagnosis_date") if "diagnosis_date" in date_cols else 0,
    format_func=dictionary.label,
    key="surv_origin",
)
endpoint_dates = dict(endpoints)
event_col = c2.selectbox(
    "Endpoint (event vs censored)",
    list(endpoint_dates),
    format_func=lambda c: f"{dictionary.label(c)} ({dictionary.label(endpoint_dates[c])})",
    key="surv_endpoint",
)
endpoint = (event_col, endpoint_dates[event_col])
censor_choices = [c for c in date_cols if c not in (origin, endpoint[1])] or date_cols
censor_col = c3.selectbox(
    "Censoring date (no event)",
    censor_choices,
    index=censor_choices.index("last_followup_date") if "last_followup_date" in censor_choices else 0,
    format_func=dictionary.label,
    key="surv_censor",
)
def _unit_changed() -> None:
    """Landmarks and risk-table times are in the unit: a new unit starts from its defaults."""
    st.session_state["surv_landmarks"] = ""
    st.session_state["surv_ticks"] = ""


unit = c4.radio("Time unit", UNITS, key="surv_unit", on_change=_unit_changed)

grouping = group_picker(df, dictionary, key="surv_group", multi=True)
if grouping.empty_groups():  # never a test with an empty group
    st.warning(
        f"Group {grouping.empty_groups()[0]!r} has no patient in the filtered cohort ({grouping.description}): "
        "no curve or test is computed. Choose another split or widen the filters in the sidebar."
    )
    st.stop()

options_box = st.expander("Display and statistics options", expanded=False)
with options_box:
    o1, o2, o3 = st.columns(3)
    show_ci = o1.toggle("Confidence bands", value=True, key="surv_show_ci")
    conf_type = o1.selectbox(
        "Confidence interval",
        ["log", "log-log", "plain"],
        format_func=lambda c: CONF_TYPE_LABELS[c],
        key="surv_conf_type",
        help="95% pointwise CI from Greenwood's variance. 'log' is R survfit's default.",
    )
    show_censors = o2.toggle("Censor marks", value=True, key="surv_censors")
    show_median = o2.toggle("Median lines", value=True, key="surv_median")
    show_cum = o2.toggle("Cumulative events in risk table", value=False, key="surv_cum")
    default_lm = ", ".join(f"{v:g}" for v in DEFAULT_LANDMARKS[unit])
    lm_text = o3.text_input(f"Landmarks ({unit}; empty = {default_lm})", key="surv_landmarks", placeholder=default_lm)
    tick_text = o3.text_input(f"Risk-table times ({unit}, empty = automatic)", key="surv_ticks")
    adjust = o3.toggle("Adjust Cox model for age and sex", value=False, key="surv_adjust")

require_clean_columns([origin, endpoint[0], endpoint[1], censor_col, grouping.spec.column]
                      + (["age_at_diagnosis", "sex"] if adjust else []), "The survival analysis")
try:
    sd = survival_data(df, origin=origin, event=endpoint[0], event_date=endpoint[1],
                       censor_date=censor_col, unit=unit)  # type: ignore[arg-type]
except SurvivalInputError as exc:
    st.error(md(exc))
    st.stop()

labels = sd.align(grouping.labels)
present = [g for g in grouping.order if (labels == g).any()]
if not present:
    st.warning("No patient of the chosen groups has usable survival data.")
    st.stop()
missing = [g for g in grouping.order if g not in present]
if missing:
    st.warning(
        f"Group {missing[0]!r} has no patient with usable survival data ({sd.n} patients have the dates "
        f"needed; {len(sd.excluded)} excluded): no curve or test is computed. "
        "Check the dates of that group, or choose another split or endpoint."
    )
    st.stop()

reference = present[0]
if len(present) >= 2:
    ref_default = len(present) - 1 if len(present) == 2 else 0
    page_default("surv_reference", present[ref_default])  # the address holds another choice only
    if st.session_state.get("surv_reference") not in present:
        st.session_state.pop("surv_reference", None)  # a group of another split
    reference = options_box.selectbox(
        "Reference group for hazard ratios",
        present,
        index=ref_default,
        key="surv_reference",
        help="Hazard ratios compare each other group with this one.",
    )

landmarks = _parse_times(lm_text, "Landmarks") or list(DEFAULT_LANDMARKS[unit])
ticks = _parse_times(tick_text, "Risk-table times") if tick_text.strip() else None

covariates = None
if adjust:
    cols = [c for c in ("age_at_diagnosis", "sex") if c in df.columns]
    if cols:
        covariates = pd.DataFrame({c: sd.align(df[c]) for c in cols})
        if "age_at_diagnosis" in covariates:
            covariates["age_at_diagnosis"] = pd.to_numeric(covariates["age_at_diagnosis"], errors="coerce")
    else:
        st.info("No age_at_diagnosis or sex column: the Cox model is not adjusted.")

result = cached(cohort, analyze_survival,
    sd.time, sd.event, labels, grouping.order, conf_type=conf_type, landmarks=landmarks,
    covariates=covariates, reference=reference, unit=unit,
)
if ticks is None:
    ticks = default_tick_times(max((float(g.curve.time[-1]) for g in result.groups), default=0.0), unit)

event_label = dictionary.label(endpoint[0])
slides = presenting()  # large type for the back of the room, the slide's height
fig = km_figure(
    result, **({"font_size": 20, "height": 500, "width": 1240} if slides else {}), show_ci=show_ci, show_censors=show_censors, show_median=show_median,
    risk_table_times=ticks, show_cumulative_events=show_cum, unit_label=unit,
    x_title=f"Time since {_event_name(dictionary.label(origin))} ({unit})",
    y_title="Overall survival" if endpoint[0] == "death" else f"Free of {event_label.lower()}",
)
spec = grouping.spec
split_text = split_title(spec.kind, spec.column, spec.cutoff, dictionary.label(spec.column), spec.values_a)
what = "survival" if endpoint[0] == "death" else f"free of {event_label.lower()}"
test_text = logrank_label(result) if result.logrank is not None else "no log-rank test (one group)"
footnote = (f"Kaplan-Meier; 95% pointwise CI, Greenwood variance, {CONF_TYPE_LABELS[conf_type]}; {test_text}; "
            f"{sd.n} patients, {sd.n_events} events; time since {_event_name(dictionary.label(origin))} ({unit}).")
show_figure(fig, "kaplan_meier", key="surv_fig", slide=Slide(f"{what} by {split_text}", sd.n, footnote, styled=True))
st.caption(
    f"Kaplan-Meier estimates; shaded bands: 95% pointwise CI, Greenwood variance, "
    f"{CONF_TYPE_LABELS[conf_type]}. Number at risk just before each time, as R reports it. "
    f"{sd.n} patients analysed, {sd.n_events} events; grouping: {grouping.description}."
)
download_figure(fig, "kaplan_meier", key="surv_dl_fig")

show_guardrails(list(result.guardrails))
for note in (*sd.notes, *result.notes):
    st.info(md(note))

# ---------------------------------------------------------------- log-rank
st.subheader("Log-rank test")
if result.logrank is not None:
    st.markdown(f"**{md(logrank_label(result))}** ({len(result.groups)} groups, df = {result.logrank.df}).")
    lr_table = result.logrank_table()
    st.dataframe(lr_table, hide_index=True, width="stretch")
    if result.pairwise is not None:
        st.markdown("**Pairwise log-rank tests** (Benjamini-Hochberg adjusted)")
        pw = result.pairwise.assign(
            P=result.pairwise["p_value"].map(format_p), **{"P (BH)": result.pairwise["p_adjusted"].map(format_p)}
        )
        st.dataframe(pw[["group1", "group2", "chi2", "P", "P (BH)"]], hide_index=True, width="stretch")
        download_table(result.pairwise, "survival_pairwise_logrank", key="surv_dl_pw", title="Pairwise log-rank")
else:
    st.write("A test needs at least two groups with data.")

# ---------------------------------------------------------------- groups
st.subheader("Survival by group")
pct = round(100 * result.conf_level)
rows = []
for g in result.groups:
    row = {
        "Group": g.group,
        "n": g.n,
        "Events": g.events,
        f"Median, {unit} ({pct}% CI)": (
            f"{_num(g.median)} ({_num(g.median_ci_low)}–{_num(g.median_ci_high)})"
            if math.isfinite(g.median) else "not reached"
        ),
    }
    for lm in g.landmarks.itertuples():
        row[f"S({lm.time:g} {unit}) ({pct}% CI)"] = (
            f"{100 * lm.survival:.1f}% ({_num(100 * lm.ci_low)}–{_num(100 * lm.ci_high)})"
            if math.isfinite(lm.survival) else "—"
        )
    rows.append(row)
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
slide_table(pd.DataFrame(rows).set_index("Group"), f"{what} by {split_text}: medians and landmarks", sd.n, footnote)
download_table(result.group_table(), "survival_by_group", key="surv_dl_groups", title="Survival by group")
risk = result.at_risk_table(ticks)
download_table(risk, "survival_number_at_risk", key="surv_dl_risk", title="Number at risk")

# ---------------------------------------------------------------- Cox
st.subheader("Cox proportional-hazards model")
if result.cox is not None:
    cox = result.cox
    adj = f", adjusted for {', '.join(md(dictionary.label(c)) for c in cox.adjusted_for)}" if cox.adjusted_for else ""
    st.caption(f"Reference: {md(cox.reference)}{adj}; {cox.n} patients, {cox.n_events} events; Efron ties, Wald CI and P.")
    ct = cox.terms.assign(
        HR=cox.terms["hr"].map(format_ratio),
        **{
            f"{pct}% CI": [format_ci(a, b) for a, b in zip(cox.terms["ci_low"], cox.terms["ci_high"])],
            "P": cox.terms["p_value"].map(format_p),
            "PH test P": cox.terms["ph_p_value"].map(format_p),
        },
    )
    st.dataframe(ct[["term", "HR", f"{pct}% CI", "P", "PH test P"]], hide_index=True, width="stretch")
    for note in cox.notes:
        st.warning(md(note))
    download_table(result.cox_table(), "survival_cox", key="surv_dl_cox", title="Cox model")
else:
    st.info(f"Cox model not fitted: {md(result.cox_error)}" if result.cox_error else "No hazard ratio (see the notes above).")

# ---------------------------------------------------------------- excluded, methods
with st.expander(f"Patients excluded from the analysis ({len(sd.excluded)})"):
    if len(sd.excluded):
        st.dataframe(sd.excluded, hide_index=True, width="stretch")
        download_table(sd.excluded, "survival_excluded", key="surv_dl_excl", title="Excluded patients")
    else:
        st.write("None: every patient has the dates needed.")
    if result.n_unassigned:
        st.write(f"{result.n_unassigned} further patient(s) have no group and are not analysed.")

text = methods_text(
    result,
    cohort.description,
    data=sd,
    labels={c: dictionary.label(c) for c in (origin, endpoint[0], endpoint[1], censor_col, "age_at_diagnosis", "sex")},
)
methods_box(text, key="surv", basename="survival_methods")
