"""Survival view: Kaplan-Meier curves, log-rank, Cox hazard ratios for any grouping."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from core.charts.survival import km_figure, logrank_label
from core.formatting import format_ci, format_p, format_ratio
from core.i18n import _, fmt_ci_label, fmt_number, fmt_pct, n_
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
from ui.cache import cached
from ui.lang import headers, shown_as
from ui.state import require_clean_columns, require_filtered_cohort
from ui.view_ui import Slide, page_default, presenting, split_title
from ui.widgets import (
    download_figure,
    download_table,
    group_picker,
    is_shown,
    lazy_expander,
    methods_box,
    show_figure,
    show_guardrails,
    slide_table,
)

UNITS = ("months", "years", "days")


def _unit_names() -> dict[str, str]:
    return {"months": _("months"), "years": _("years"), "days": _("days")}


def _num(x: float, digits: int = 1) -> str:
    return "—" if x is None or not math.isfinite(x) else fmt_number(x, digits)


def _event_name(label: str) -> str:
    """'Date of DM diagnosis' -> 'DM diagnosis'; 'Birth date' -> 'birth date'; French: 'Date du
    diagnostic de DM' -> 'le diagnostic de DM' ("Temps depuis le diagnostic de DM")."""
    for prefix, article in (("Date du ", "le "), ("Date de la ", "la "), ("Date de l'", "l'"), ("Date des ", "les "),
                            ("Date de ", ""), ("Date d'", ""), ("Date of ", ""), ("Date ", "")):
        if label.startswith(prefix):
            return article + label[len(prefix):]
    return label[0].lower() + label[1:] if len(label) > 1 and label[1].islower() else label


def _parse_times(text: str, what: str) -> list[float] | None:
    try:
        vals = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        st.warning(_("{what}: type numbers separated by commas (e.g. 12, 36, 60).", what=what))
        return None
    return [v for v in vals if v >= 0]


cohort = require_filtered_cohort()
df = cohort.data
dictionary = cohort.dictionary

st.title(_("Survival"))
if cohort.description:
    st.caption(_("Kaplan-Meier curves with log-rank test and Cox hazard ratios on the filtered cohort ({filters}).",
                 filters=cohort.description))
else:
    st.caption(_("Kaplan-Meier curves with log-rank test and Cox hazard ratios on the filtered cohort."))

date_cols = [c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c])]
endpoints = endpoint_options(df)
if not date_cols or not endpoints:
    st.error(_(
        "Survival needs a time origin (e.g. diagnosis_date), an event column with its date "
        "(e.g. death / death_date) and a censoring date (last_followup_date)."
    ))
    st.stop()

c1, c2, c3, c4 = st.columns([1.2, 1.4, 1.2, 0.9])
origin = c1.selectbox(
    _("Time origin"),
    date_cols,
    index=date_cols.index("diagnosis_date") if "diagnosis_date" in date_cols else 0,
    format_func=dictionary.label,
    key="surv_origin",
)
endpoint_dates = dict(endpoints)
event_col = c2.selectbox(
    _("Endpoint (event vs censored)"),
    list(endpoint_dates),
    format_func=lambda c: f"{dictionary.label(c)} ({dictionary.label(endpoint_dates[c])})",
    key="surv_endpoint",
)
endpoint = (event_col, endpoint_dates[event_col])
censor_choices = [c for c in date_cols if c not in (origin, endpoint[1])] or date_cols
censor_col = c3.selectbox(
    _("Censoring date (no event)"),
    censor_choices,
    index=censor_choices.index("last_followup_date") if "last_followup_date" in censor_choices else 0,
    format_func=dictionary.label,
    key="surv_censor",
)
def _unit_changed() -> None:
    """Landmarks and risk-table times are in the unit: a new unit starts from its defaults."""
    st.session_state["surv_landmarks"] = ""
    st.session_state["surv_ticks"] = ""


unit_names = _unit_names()
unit = c4.radio(_("Time unit"), UNITS, key="surv_unit", on_change=_unit_changed, format_func=unit_names.get)
unit_name = unit_names[unit]

grouping = group_picker(df, dictionary, key="surv_group", multi=True, cohort=cohort)
if grouping.empty_groups():  # never a test with an empty group
    st.warning(_(
        "Group {group} has no patient in the filtered cohort ({grouping}): no curve or test is computed. "
        "Choose another split or widen the filters in the sidebar.",
        group=repr(grouping.empty_groups()[0]), grouping=grouping.description))
    st.stop()

# A menu, not an expander: its widgets are drawn only while it is open (a closed expander's
# content is redrawn on every filter change); their values are kept either way.
options_box = st.popover(_("Display and statistics options"), icon=":material/tune:", key="surv_options_menu", width="stretch")
with options_box:
    o1, o2, o3 = st.columns(3)
    show_ci = o1.toggle(_("Confidence bands"), value=True, key="surv_show_ci")
    conf_type = o1.selectbox(
        _("Confidence interval"),
        ["log", "log-log", "plain"],
        format_func=shown_as(lambda c: _(CONF_TYPE_LABELS[c]), CONF_TYPE_LABELS),
        key="surv_conf_type",
        help=_("95% pointwise CI from Greenwood's variance. 'log' is R survfit's default."),
    )
    show_censors = o2.toggle(_("Censor marks"), value=True, key="surv_censors")
    show_median = o2.toggle(_("Median lines"), value=True, key="surv_median")
    show_cum = o2.toggle(_("Cumulative events in risk table"), value=False, key="surv_cum")
    default_lm = ", ".join(f"{v:g}" for v in DEFAULT_LANDMARKS[unit])
    lm_text = o3.text_input(_("Landmarks ({unit}; empty = {default})", unit=unit_name, default=default_lm), key="surv_landmarks",
                            placeholder=default_lm)
    tick_text = o3.text_input(_("Risk-table times ({unit}, empty = automatic)", unit=unit_name), key="surv_ticks")
    adjust = o3.toggle(_("Adjust Cox model for age and sex"), value=False, key="surv_adjust")

require_clean_columns([origin, endpoint[0], endpoint[1], censor_col, grouping.spec.column]
                      + (["age_at_diagnosis", "sex"] if adjust else []), _("The survival analysis"))
try:
    sd = cached(cohort, survival_data, df, origin=origin, event=endpoint[0], event_date=endpoint[1],
                censor_date=censor_col, unit=unit)
except SurvivalInputError as exc:
    st.error(md(exc))
    st.stop()

labels = sd.align(grouping.labels)
present = [g for g in grouping.order if (labels == g).any()]
if not present:
    st.warning(_("No patient of the chosen groups has usable survival data."))
    st.stop()
missing = [g for g in grouping.order if g not in present]
if missing:
    st.warning(_(
        "Group {group} has no patient with usable survival data ({n} patients have the dates needed; {excluded} "
        "excluded): no curve or test is computed. Check the dates of that group, or choose another split or endpoint.",
        group=repr(missing[0]), n=sd.n, excluded=len(sd.excluded)))
    st.stop()

reference = present[0]
if len(present) >= 2:
    ref_default = len(present) - 1 if len(present) == 2 else 0
    page_default("surv_reference", present[ref_default])  # the address holds another choice only
    if st.session_state.get("surv_reference") not in present:
        st.session_state.pop("surv_reference", None)  # a group of another split
    reference = options_box.selectbox(
        _("Reference group for hazard ratios"),
        present,
        index=ref_default,
        key="surv_reference",
        help=_("Hazard ratios compare each other group with this one."),
    )

landmarks = _parse_times(lm_text, _("Landmarks")) or list(DEFAULT_LANDMARKS[unit])
ticks = _parse_times(tick_text, _("Risk-table times")) if tick_text.strip() else None

covariates = None
if adjust:
    cols = [c for c in ("age_at_diagnosis", "sex") if c in df.columns]
    if cols:
        covariates = pd.DataFrame({c: sd.align(df[c]) for c in cols})
        if "age_at_diagnosis" in covariates:
            covariates["age_at_diagnosis"] = pd.to_numeric(covariates["age_at_diagnosis"], errors="coerce")
    else:
        st.info(_("No age_at_diagnosis or sex column: the Cox model is not adjusted."))

result = cached(cohort, analyze_survival,
    sd.time, sd.event, labels, grouping.order, conf_type=conf_type, landmarks=landmarks,
    covariates=covariates, reference=reference, unit=unit,
)
if ticks is None:
    ticks = default_tick_times(max((float(g.curve.time[-1]) for g in result.groups), default=0.0), unit)

event_label = dictionary.label(endpoint[0])
slides = presenting()  # large type for the back of the room, the slide's height
fig = cached(  # the same figure for the same result and options: built once
    cohort, km_figure, result, **({"font_size": 20, "height": 500, "width": 1240} if slides else {}), show_ci=show_ci, show_censors=show_censors, show_median=show_median,
    risk_table_times=ticks, show_cumulative_events=show_cum, unit_label=unit,
    x_title=_("Time since {origin} ({unit})", origin=_event_name(dictionary.label(origin)), unit=unit_name),
    y_title=_("Overall survival") if endpoint[0] == "death" else _("Free of {event}", event=event_label.lower()),
)
spec = grouping.spec
split_text = split_title(spec.kind, spec.column, spec.cutoff, dictionary.label(spec.column), spec.values_a)
what = _("survival") if endpoint[0] == "death" else _("free of {event}", event=event_label.lower())
test_text = logrank_label(result) if result.logrank is not None else _("no log-rank test (one group)")
footnote = _("Kaplan-Meier; {ci}, pointwise, Greenwood variance, {method}; {test}; {n} patients, {events} events; "
             "time since {origin} ({unit}).", ci=fmt_ci_label(), method=_(CONF_TYPE_LABELS[conf_type]), test=test_text,
             n=sd.n, events=sd.n_events, origin=_event_name(dictionary.label(origin)), unit=unit_name)
show_figure(fig, "kaplan_meier", key="surv_fig",
            slide=Slide(_("{what} by {split}", what=what, split=split_text), sd.n, footnote, styled=True))
st.caption(_(
    "Kaplan-Meier estimates; shaded bands: {ci}, pointwise, Greenwood variance, {method}. Number at risk just before "
    "each time, as R reports it. {n} patients analysed, {events} events; grouping: {grouping}.",
    ci=fmt_ci_label(), method=_(CONF_TYPE_LABELS[conf_type]), n=sd.n, events=sd.n_events, grouping=grouping.description))
download_figure(fig, "kaplan_meier", key="surv_dl_fig")

show_guardrails(list(result.guardrails))
for note in (*sd.notes, *result.notes):
    st.info(md(note))

# ---------------------------------------------------------------- log-rank, groups, Cox
if result.logrank is not None:
    st.markdown(_("**{test}** ({n} groups, df = {df}).", test=md(logrank_label(result)), n=len(result.groups),
                  df=result.logrank.df))
# The tabs rerun the page when switched, so only the tab shown is drawn (a filter change
# redraws one table, not three); presentation mode builds every tab (slides).
tab_groups, tab_logrank, tab_cox = st.tabs(
    [_("Survival by group"), _("Log-rank test"), _("Cox proportional-hazards model")], key="surv_tab", on_change="rerun")


ci_label = fmt_ci_label(result.conf_level)
if is_shown(tab_groups):
    with tab_groups:
        group_col = _("Group")
        rows = []
        for g in result.groups:
            row = {
                group_col: g.group,
                "n": g.n,
                _("Events"): g.events,
                _("Median, {unit} ({ci})", unit=unit_name, ci=ci_label): (
                    f"{_num(g.median)} ({_num(g.median_ci_low)}–{_num(g.median_ci_high)})"
                    if math.isfinite(g.median) else _("not reached")
                ),
            }
            for lm in g.landmarks.itertuples():
                row[_("S({time} {unit}) ({ci})", time=fmt_number(lm.time, 0) if float(lm.time).is_integer() else fmt_number(lm.time, 1),
                      unit=unit_name, ci=ci_label)] = (
                    f"{fmt_pct(100 * lm.survival)} ({_num(100 * lm.ci_low)}–{_num(100 * lm.ci_high)})"
                    if math.isfinite(lm.survival) else "—"
                )
            rows.append(row)
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        slide_table(pd.DataFrame(rows).set_index(group_col), _("{what} by {split}: medians and landmarks", what=what, split=split_text),
                    sd.n, footnote)
        download_table(result.group_table(), "survival_by_group", key="surv_dl_groups", title=_("Survival by group"))
        risk = result.at_risk_table(ticks)
        download_table(risk, "survival_number_at_risk", key="surv_dl_risk", title=_("Number at risk"))
if is_shown(tab_logrank):
    with tab_logrank:
        if result.logrank is not None:
            lr_table = result.logrank_table()
            st.dataframe(pd.DataFrame({
                _("Group"): lr_table["group"], _("Observed"): lr_table["observed"],
                _("Expected"): lr_table["expected"].map(lambda x: _num(x, 2)), _("chi2"): lr_table["chi2"].map(lambda x: _num(x, 2)),
                _("df"): lr_table["df"], "P": lr_table["p_value"].map(format_p),
            }), hide_index=True, width="stretch")
            if result.pairwise is not None:
                st.markdown(_("**Pairwise log-rank tests** (Benjamini-Hochberg adjusted)"))
                pw = pd.DataFrame({
                    _("Group 1"): result.pairwise["group1"], _("Group 2"): result.pairwise["group2"],
                    _("chi2"): result.pairwise["chi2"].map(lambda x: _num(x, 2)),
                    "P": result.pairwise["p_value"].map(format_p), _("P (BH)"): result.pairwise["p_adjusted"].map(format_p),
                })
                st.dataframe(pw, hide_index=True, width="stretch")
                download_table(result.pairwise, "survival_pairwise_logrank", key="surv_dl_pw", title=_("Pairwise log-rank"))
        else:
            st.write(_("A test needs at least two groups with data."))
if is_shown(tab_cox):
    with tab_cox:
        if result.cox is not None:
            cox = result.cox
            if cox.adjusted_for:
                st.caption(_("Reference: {reference}, adjusted for {covariates}; {n} patients, {events} events; Efron ties, Wald CI "
                             "and P.", reference=md(cox.reference), covariates=", ".join(md(dictionary.label(c)) for c in cox.adjusted_for),
                             n=cox.n, events=cox.n_events))
            else:
                st.caption(_("Reference: {reference}; {n} patients, {events} events; Efron ties, Wald CI and P.",
                             reference=md(cox.reference), n=cox.n, events=cox.n_events))
            ct = pd.DataFrame({
                _("Term"): cox.terms["term"],
                _("HR"): cox.terms["hr"].map(format_ratio),
                ci_label: [format_ci(a, b) for a, b in zip(cox.terms["ci_low"], cox.terms["ci_high"])],
                "P": cox.terms["p_value"].map(format_p),
                _("PH test P"): cox.terms["ph_p_value"].map(format_p),
            })
            st.dataframe(ct, hide_index=True, width="stretch")
            for note in cox.notes:
                st.warning(md(note))
            download_table(result.cox_table(), "survival_cox", key="surv_dl_cox", title=_("Cox model"))
        else:
            st.info(_("Cox model not fitted: {why}", why=md(result.cox_error)) if result.cox_error
                    else _("No hazard ratio (see the notes above)."))

# ---------------------------------------------------------------- excluded, methods
with lazy_expander(_("Patients excluded from the analysis ({n})", n=len(sd.excluded)), key="surv_excluded_box") as shown:
    if shown:
        if len(sd.excluded):
            st.dataframe(headers(sd.excluded), hide_index=True, width="stretch")
            download_table(sd.excluded, "survival_excluded", key="surv_dl_excl", title=_("Excluded patients"))
        else:
            st.write(_("None: every patient has the dates needed."))
        if result.n_unassigned:
            st.write(n_("{n} further patient has no group and is not analysed.",
                        "{n} further patients have no group and are not analysed.", result.n_unassigned))

text = methods_text(
    result,
    cohort.description,
    data=sd,
    labels={c: dictionary.label(c) for c in (origin, endpoint[0], endpoint[1], censor_col, "age_at_diagnosis", "sex")},
)
methods_box(text, key="surv", basename="survival_methods")
