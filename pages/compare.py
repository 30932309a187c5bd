"""Compare groups: Table 1 for any split (two groups with odds ratios, or 3+ groups with an
Overall column and pairwise tests), forest plot, subtype heatmap, published check."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import pandas as pd
import streamlit as st

from core.charts.compare import forest_plot, heatmap_figure
from core.compare import (
    CompareError,
    ComparisonResult,
    MultiComparisonResult,
    compare_groups,
    compare_multi,
    display_multi_table,
    display_pairwise,
    display_table,
    methods_text,
    methods_text_multi,
    subtype_heatmap,
)
from core.export import table_to_docx
from core.formatting import format_p
from core.groups import Grouping
from core.i18n import _, fmt_ci_label, fmt_number, language, n_, using
from core.io import SAMPLE_DIR
from core.published import (
    P_CLOSE_FACTOR,
    PublishedTableError,
    compare_with_published,
    load_published_table,
)
from core.safe_text import md
from core.schema import CORE_COLUMNS, GROUP_ORDER
from ui.cache import cached
from ui.lang import headers
from ui.state import (
    FilteredCohort,
    require_clean_columns,
    require_filtered_cohort,
    usable_columns,
)
from ui.widgets import (
    download_figure,
    download_table,
    group_picker,
    is_shown,
    keep_values,
    kept_upload,
    lazy_expander,
    methods_box,
    show_figure,
    show_guardrails,
)

EXAMPLE_TABLE = SAMPLE_DIR / "monseau2020_table1.csv"
HIGHLIGHT = "background-color: rgba(213, 94, 0, 0.14)"


def _feature_options(df: pd.DataFrame, dictionary) -> tuple[list[str], list[str]]:
    """(all comparable columns ordered by dictionary group, default selection)."""
    default = [e.name for e in dictionary.features() if e.name in df.columns]
    extra = [
        c for c in df.columns
        if c not in default and c not in ("patient_id",)
        and dictionary.get(c).type in ("binary", "continuous", "ordinal")
        and not pd.api.types.is_datetime64_any_dtype(df[c])
        and pd.api.types.is_numeric_dtype(df[c])
    ]
    rank = {g: i for i, g in enumerate(GROUP_ORDER)}
    names = dictionary.names()

    def key(c: str) -> tuple[int, int]:
        pos = names.index(c) if c in names else len(names) + list(df.columns).index(c)
        return rank.get(dictionary.get(c).group, len(rank)), pos

    return sorted(default + extra, key=key), default


def _highlight_rows(display: pd.DataFrame, sig: set[int]) -> pd.io.formats.style.Styler:
    def style(row: pd.Series) -> list[str]:
        return [HIGHLIGHT if row.name in sig else ""] * len(row)

    return display.style.apply(style, axis=1)


#: ``st.dataframe`` height that shows every row (the element is as tall as its content,
#: up to 10,000 px): a table is shown whole, never in an inner scroll box.
WHOLE = "content"


def _show_table(display: pd.DataFrame, sig: set[int], key: str) -> None:
    st.dataframe(_highlight_rows(display, sig), hide_index=True, width="stretch", key=key,
                 height=WHOLE)


def _journal_docx(display: pd.DataFrame, basename: str, key: str, title: str, footnote: str) -> None:
    """Word download of the table in journal (three-line) style, produced when clicked."""
    st.download_button(
        _("⬇ Word, journal style (three-line table)"),
        data=lambda: table_to_docx(display, title=title, footnote=footnote, style="journal"),
        file_name=f"{basename}_journal.docx", key=key, on_click="ignore",
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )


def _json_bytes(payload: Callable[[], dict], lang: str) -> bytes:
    """The JSON download, produced when clicked, in the language of the page."""
    with using(lang):
        return json.dumps(payload(), ensure_ascii=False, indent=2).encode("utf-8")


@st.cache_resource(show_spinner=False)
def _example_table() -> pd.DataFrame:
    """The bundled published Table I, read once per server (shared: never modified)."""
    return load_published_table(EXAMPLE_TABLE)


def _published_table_panel(cohort: FilteredCohort, grouping: Grouping, group_a: str, group_b: str) -> None:
    """A published two-group table (bundled Monseau 2020 Table I or the user's CSV) against
    the same rows recomputed on the filtered cohort: counts exactly, P values as printed."""
    df, dictionary = cohort.data, cohort.dictionary
    st.caption(_(
        "A CSV with one row per feature: `feature` (column name in this cohort), `label`, `n_<A>`, `N_<A>`, `n_<B>`, "
        "`N_<B>`, `published_p` as printed (e.g. .02, <.001). The first count pair is compared with group A ({group}). "
        "Counts are compared exactly; the printed P with Fisher's test on the published counts, after rounding to "
        "the printed precision (within a factor {factor} and on the same side of .05: 'close', not flagged).",
        group=group_a, factor=fmt_number(P_CLOSE_FACTOR, 0) if float(P_CLOSE_FACTOR).is_integer() else fmt_number(P_CLOSE_FACTOR, 1)))
    pub_sources = {"Bundled example: Monseau 2020, Table I": _("Bundled example: Monseau 2020, Table I"),
                   "Upload a CSV": _("Upload a CSV")}
    src = st.radio(_("Table"), list(pub_sources), key="cmp_pub_source", horizontal=True, format_func=pub_sources.get)
    published = None
    try:
        if src.startswith("Bundled"):
            published = _example_table()
        else:
            up = kept_upload(st.file_uploader(_("Published table (CSV)"), type=["csv", "txt"], key="cmp_pub_upload"),
                             "cmp_pub_upload")
            if up is not None:
                published = load_published_table(up[1])
    except PublishedTableError as exc:
        st.error(md(exc))
    if published is not None:
        pub_feats = [
            f for f in published["feature"]
            if f in df.columns and dictionary.get(f).type == "binary" and pd.api.types.is_numeric_dtype(df[f])
        ]
        try:
            pub_result = cached(cohort, compare_groups, df, grouping.labels, group_a, group_b, pub_feats, dictionary)
        except CompareError as exc:
            st.error(md(exc))
        else:
            check = cached(cohort, compare_with_published, pub_result, published)
            n_flag = int(check["flagged"].sum())
            ga, gb = published.attrs.get("group_a", "A"), published.attrs.get("group_b", "B")
            st.markdown(_(
                "Published **{pa}** ↔ **{a}**, **{pb}** ↔ **{b}**. **{n}** of {total} rows flagged.",
                pa=ga, a=group_a, pb=gb, b=group_b, n=n_flag, total=len(check)))
            view = pd.DataFrame({
                _("Feature"): check["label"],
                _("Published {group}", group=group_a): [
                    "—" if pd.isna(n) else f"{n}/{N}" for n, N in zip(check["published_n_a"], check["published_N_a"])
                ],
                _("Recomputed {group}", group=group_a): [
                    "—" if pd.isna(n) else f"{n}/{N}" for n, N in zip(check["recomputed_n_a"], check["recomputed_N_a"])
                ],
                _("Published {group}", group=group_b): [
                    "—" if pd.isna(n) else f"{n}/{N}" for n, N in zip(check["published_n_b"], check["published_N_b"])
                ],
                _("Recomputed {group}", group=group_b): [
                    "—" if pd.isna(n) else f"{n}/{N}" for n, N in zip(check["recomputed_n_b"], check["recomputed_N_b"])
                ],
                _("Printed P"): check["published_p"].replace("", "—"),
                _("Fisher P (published counts)"): [format_p(p) for p in check["fisher_p_published"]],
                _("Recomputed P"): [format_p(p) for p in check["recomputed_p"]],
                _("P check"): check["p_agreement"].map(lambda v: _(v) if isinstance(v, str) and v else v),
                _("Flag"): ["⚠" if f else "" for f in check["flagged"]],
                _("Note"): check["note"],
            })
            flagged_rows = set(check.index[check["flagged"]])
            st.dataframe(
                view.style.apply(lambda r: [HIGHLIGHT if r.name in flagged_rows else ""] * len(r), axis=1),
                hide_index=True, width="stretch", key="cmp_pub_table", height=WHOLE,
            )
            download_table(check, "published_table_check", key="cmp_pub_dl",
                           title=_("Published vs recomputed"))

cohort = require_filtered_cohort()
df = cohort.data
dictionary = cohort.dictionary

st.title(_("Compare groups"))
st.caption(_(
    "Feature frequencies between groups of the filtered cohort{filters}: n/N (%) with Fisher's exact test (and "
    "conditional odds ratios for two groups), median (IQR) with the Mann-Whitney U test (two groups) or "
    "Kruskal-Wallis (three or more, with an Overall column and pairwise tests). Missing values are excluded from "
    "each feature's numerator and denominator.",
    filters=f" ({cohort.description})" if cohort.description else ""))

grouping = group_picker(df, dictionary, key="cmp_group", multi=True, cohort=cohort)
if len(grouping.order) < 2:
    st.warning(_("Choose a split into at least two groups."))
    st.stop()
_empty = grouping.empty_groups()
if _empty:  # never a comparison with an empty group
    st.warning(_(
        "Group {group} has no patient in the filtered cohort ({grouping}): no comparison is made. Choose other values "
        "or widen the filters in the sidebar.", group=repr(_empty[0]), grouping=grouping.description))
    st.stop()
groups = list(grouping.order)
two = len(groups) == 2

require_clean_columns([grouping.spec.column], _("The comparison"))
options, default = _feature_options(df, dictionary)
group_col = grouping.spec.column
default = [c for c in default if c != group_col]
ss = st.session_state
if "cmp_features" in ss:  # keep the selection valid when the cohort changes
    ss["cmp_features"] = [f for f in ss["cmp_features"] if f in options]
c1, c2 = st.columns([3, 1])
# A menu, not an expander: its list (one chip per feature) is drawn only while it is open.
with c1.popover(_("Features ({n} selected)", n=len(ss.get("cmp_features", default))), width="stretch",
                key="cmp_features_menu"):
    features = st.multiselect(
        _("Features to compare (ordered by group: cutaneous, muscular, extramuscular, ...)"),
        options, default=None if "cmp_features" in ss else default, format_func=dictionary.label,
        key="cmp_features", placeholder=_("Choose options"),
    )
fdr = c2.toggle(_("Benjamini-Hochberg q-values"), key="cmp_fdr",
                help=_("Adjust the P values of the table for multiple comparisons (false discovery rate)."))
if not features:
    st.info(_("Select at least one feature."))
    st.stop()
features = [f for f in options if f in features and f != group_col]  # keep dictionary order; never the split column
features, with_errors = usable_columns(features)
if with_errors:
    st.warning(_("Left out of the table because their values have errors (see the Cohort page): {features}.",
                 features=", ".join(md(dictionary.label(f)) for f in with_errors)))
if not features:
    st.stop()

try:
    multi: MultiComparisonResult = cached(cohort, compare_multi, df, grouping.labels, groups, features, dictionary)
    result: ComparisonResult | None = (
        cached(cohort, compare_groups, df, grouping.labels, groups[0], groups[1], features, dictionary, fdr=fdr)
        if two else None
    )
except CompareError as exc:
    st.error(md(exc))
    st.stop()

metric_cols = st.columns(min(len(groups), 7) + 1)
for i, g in enumerate(groups):
    metric_cols[i % (len(metric_cols) - 1)].metric(
        _("Group {letter}: {group}", letter="AB"[i], group=md(g)) if two else md(g),
        n_("{n} patient", "{n} patients", multi.sizes[g]))
metric_cols[-1].metric(_("Excluded"), n_("{n} patient", "{n} patients", multi.n_excluded),
                       help=_("Patients in no group (grouping value missing). Counted, not silently dropped."))
show_guardrails(result.guardrails if two else multi.guardrails)

# The tabs rerun the page when switched, so only the tab shown is computed and drawn (a filter
# change does not redraw hidden figures); presentation mode builds every figure (slides).
tab_table, tab_forest, tab_heat = st.tabs([_("Table"), _("Forest plot"), _("Subtype heatmap")], key="cmp_tab",
                                          on_change="rerun")


with tab_table:
    if two:
        group_a, group_b = groups
        display = cached(cohort, display_table, result, overall=multi)
        p_values = result.rows["p_value"].tolist()
        sig = {i + 1 for i, p in enumerate(p_values) if not math.isnan(p) and p < 0.05}
        st.subheader(_("{a} vs {b}", a=md(group_a), b=md(group_b)))
        _show_table(display, sig, "cmp_table")
        caption = _(
            "Highlighted: P < .05 ({n} of {total} features). n/N: patients with the feature / patients with the feature "
            "recorded; Overall: both groups together. OR: odds of the feature in {a} over {b} (conditional MLE, exact "
            "{ci}); ∞ or 0: a zero cell. P: two-sided Fisher exact (binary) or Mann-Whitney U (continuous).",
            n=len(sig), total=len(result.rows), a=group_a, b=group_b, ci=fmt_ci_label(result.conf_level))
        st.caption(caption + (" " + _("q: Benjamini-Hochberg.") if fdr else ""))
        title = _("{a} vs {b}", a=group_a, b=group_b)
        footnote = methods_text(result, cohort.description)
        full, payload = result.rows, result.payload  # the JSON is produced when clicked
    else:
        shown = cached(cohort, display_multi_table, multi, feature_column=True)
        sig_feats = set(multi.features.loc[multi.features["p_value"] < 0.05, "feature"])
        sig = {i for i, f in enumerate(shown["feature"]) if f in sig_feats}
        display = shown.drop(columns="feature")
        st.subheader(_("Table 1 {grouping}", grouping=md(grouping.description)))
        _show_table(display, sig, "cmp_table")
        st.caption(_(
            "Highlighted: P < .05 ({n} of {total} features). n/N (%): patients with the feature / patients with it "
            "recorded; median (IQR); Unknown: patients with the value missing. P: Fisher's exact test of the whole "
            "table (binary) or Kruskal-Wallis (continuous, ordinal); † Pearson's chi-square when the exact test is not "
            "feasible.", n=len(sig_feats), total=len(multi.features)))
        with lazy_expander(_("Pairwise comparisons and each group vs the rest (P, Benjamini-Hochberg q)"), key="cmp_pairs_box") as shown:
            if shown:
                st.caption(_("Each cell: P (q), Fisher's exact test or Mann-Whitney U; q adjusted within the feature."))
                for label, kind in ((_("Each pair of groups"), "pair"), (_("Each group vs all other compared patients"), "vs_rest")):
                    st.markdown(f"**{label}**")
                    pw = cached(cohort, display_pairwise, multi, kind)
                    st.dataframe(headers(pw), hide_index=True, width="stretch", key=f"cmp_pairs_{kind}",
                                 height=WHOLE)
        title = _("Table 1 {grouping}", grouping=grouping.description)
        footnote = methods_text_multi(multi, cohort.description)
        full, payload = multi.cells, multi.payload
    st.markdown(_("**Download the table** (journal style)"))
    download_table(display, "comparison_table", key="cmp_dl_display", title=title, footnote=footnote)
    _journal_docx(display, "comparison_table", "cmp_dl_journal", title, footnote)
    st.markdown(_("**Download the numbers** (full precision)"))
    download_table(full, "comparison_full_precision", key="cmp_dl_full", title=title)
    if not two:
        download_table(multi.pairwise, "comparison_pairwise", key="cmp_dl_pairs", title=title)
    st.download_button(
        _("⬇ JSON (as `myoscope compare --json`)"),
        data=lambda lang=language(): _json_bytes(payload, lang),  # noqa: B008 - this run's language
        file_name="comparison.json", mime="application/json", key="cmp_dl_json", on_click="ignore",
    )
    methods_box(footnote, key="cmp_methods", basename="comparison_methods")

with tab_forest:
    if not is_shown(tab_forest):
        pass
    elif two:
        fig = cached(cohort, forest_plot, result)
        show_figure(fig, "forest_plot", key="cmp_forest")
        download_figure(fig, "forest_plot", key="cmp_forest_dl")
    else:
        st.info(_("The forest plot shows odds ratios between two groups: choose a split into two groups."))

with tab_heat:
    binary = [f for f in features if dictionary.get(f).type == "binary" and f not in CORE_COLUMNS]
    if not is_shown(tab_heat):
        pass
    elif "antibody_subtype" not in df.columns:
        st.info(_("The heatmap needs antibody results (anti_* columns) to derive each patient's subtype."))
    elif not binary:
        st.info(_("Select at least one yes/no feature for the heatmap."))
    else:
        try:
            heat = cached(cohort, subtype_heatmap, df, binary, dictionary, fdr=fdr)
        except CompareError as exc:
            st.error(md(exc))
        else:
            st.caption(
                _("Each antibody subtype vs all other patients with a known subtype (untested patients in neither "
                  "group); cells: n/N and % with the feature; * P < .05 after Benjamini-Hochberg adjustment over all "
                  "cells (Fisher exact).") if fdr else
                _("Each antibody subtype vs all other patients with a known subtype (untested patients in neither "
                  "group); cells: n/N and % with the feature; * P < .05 (Fisher exact).")
            )
            hfig = cached(cohort, heatmap_figure, heat)
            show_figure(hfig, "subtype_heatmap", key="cmp_heatmap")
            download_figure(hfig, "subtype_heatmap", key="cmp_heat_dl")
            download_table(heat, "subtype_heatmap", key="cmp_heat_table", title=_("Feature frequency by antibody subtype"))

if two:  # a published Table I compares two groups
    group_a, group_b = groups
    # drawn and computed only while open (its upload and choice kept while closed)
    with lazy_expander(_("Compare with a published table"), key="cmp_pub_box") as pub_shown:
        keep_values(("cmp_pub_source",), restore=pub_shown)
        if pub_shown:
            _published_table_panel(cohort, grouping, group_a, group_b)
