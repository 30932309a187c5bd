"""The sidebar shared by every page: cohort source, global filters, views (presets, saved
views) and presentation mode. Everything here is kept in the address (ui.view_ui)."""

from __future__ import annotations

import streamlit as st

from core.filters import FilterSpec
from core.i18n import _, fmt_number, n_
from core.io import Cohort
from core.presets import PRESETS
from core.safe_text import md
from core.schema import SUBTYPE_VALUES
from ui import lang, view_ui
from ui.state import (
    SAMPLE_LABEL,
    cohort_fact,
    init_state,
    load_upload,
    use_sample,
)

AGE_LO, AGE_HI = 0, 100
#: Session key of the range filters on other numeric columns ([(column, low, high)]), set by
#: a brush on a Cohort page histogram (or a link); shown in the sidebar, each removable.
RANGES = "flt_range"


def _init_filter_widgets(options: list[str]) -> None:
    """Put the filters of a link, a preset or a saved view into the filter widgets."""
    ss = st.session_state
    spec = ss.pop(view_ui.PENDING_FILTERS, None)
    if not isinstance(spec, FilterSpec):
        return
    subtypes = list(spec.antibody_subtype or [])
    unknown = [s for s in subtypes if s not in options]
    if unknown:
        ss["_url_error"] = _("Subtype(s) {subtypes} from the link are not in this cohort and were ignored.",
                             subtypes=md(", ".join(unknown)))
    ss["flt_subtype"] = [s for s in subtypes if s in options]
    lo = AGE_LO if spec.age_min is None else max(AGE_LO, min(AGE_HI, int(spec.age_min)))
    hi = AGE_HI if spec.age_max is None else max(AGE_LO, min(AGE_HI, int(spec.age_max)))
    ss["flt_age"] = (lo, max(lo, hi))
    ss["flt_sex"] = [s for s in (spec.sex or []) if s in ("F", "M")]
    ss["flt_yes"] = [c for c, v in spec.features if v == (1.0,)]
    ss["flt_no"] = [c for c, v in spec.features if v == (0.0,)]
    ss[RANGES] = [(c, lo, hi) for c, lo, hi in spec.ranges]


def _reset_filters() -> None:
    ss = st.session_state
    ss["flt_subtype"] = []
    ss["flt_age"] = (AGE_LO, AGE_HI)
    ss["flt_sex"] = []
    ss["flt_yes"] = []
    ss["flt_no"] = []
    ss[RANGES] = []


def _remove_range(column: str) -> None:
    """Callback of a range filter's remove button."""
    ss = st.session_state
    ss[RANGES] = [r for r in ss.get(RANGES, []) if r[0] != column]


def _ranges(sb: st.delta_generator.DeltaGenerator, df: object, labels: object) -> tuple[tuple[str, float, float], ...]:
    """The active range filters on the cohort's numeric columns, each shown with a remove button."""
    import pandas as pd

    ss = st.session_state
    kept = [(str(c), float(lo), float(hi)) for c, lo, hi in ss.get(RANGES, [])
            if c in df and pd.api.types.is_numeric_dtype(df[c])]  # type: ignore[operator,index]
    ss[RANGES] = kept
    for c, lo, hi in kept:
        c1, c2 = sb.columns([5, 1], vertical_alignment="center")
        c1.markdown(_("{column} {low}–{high}", column=f"**{md(labels.label(c))}**",  # type: ignore[attr-defined]
                      low=fmt_number(lo, _digits(lo)), high=fmt_number(hi, _digits(hi))))
        c2.button("✕", key=f"flt_range_rm_{c}", on_click=_remove_range, args=(c,), help=_("Remove this filter"))
    return tuple(sorted(kept))


def _digits(x: float) -> int:
    """Decimals to show a bound exactly (0 for whole numbers, at most 4)."""
    for d in range(5):
        if abs(round(x, d) - x) < 1e-9:
            return d
    return 4


def _subtypes_present(cohort: Cohort) -> list[str]:
    """The antibody subtypes with at least one patient, in the usual order."""
    df = cohort.data
    present = set(df["antibody_subtype"].dropna().unique()) if "antibody_subtype" in df else set()
    return [v for v in SUBTYPE_VALUES if v in present]


def _binary_with_values(cohort: Cohort) -> list[str]:
    """The yes/no columns with at least one value (the 'must be yes / no' filters)."""
    df = cohort.data
    return [c for c in df.columns if cohort.dictionary.get(c).type == "binary" and df[c].notna().any()]


def render_sidebar() -> None:
    """Draw the sidebar and store the resulting :class:`FilterSpec` in session state."""
    init_state()
    ss = st.session_state
    ss["_shell_run"] = True
    sb = st.sidebar
    lang.selector(sb)
    sb.markdown("### " + _("Cohort"))
    source_names = {"Sample cohort": _("Sample cohort"), "My file": _("My file")}
    source = sb.radio(_("Source"), list(source_names), key="source_choice", horizontal=True, label_visibility="collapsed",
                      format_func=source_names.get)
    if source == "My file":
        up = sb.file_uploader(_("Cohort file (CSV, TSV or Excel)"), type=["csv", "tsv", "txt", "xlsx", "xlsm"], key="cohort_upload",
                              help=_("One row per patient. The file is read on this computer only and never modified."))
        if up is not None:
            uid = f"{up.file_id}:{up.name}"  # no hash of the whole file at every rerun
            if ss.get("upload_id") != uid:
                load_upload(up.getvalue(), up.name, uid)
    elif ss.get("cohort_source") != SAMPLE_LABEL:
        use_sample()
    if ss.get("upload_error"):
        bad_name, why = ss["upload_error"]
        sb.error(_("{file} could not be read: {why} Still showing {source}.", file=md(bad_name), why=md(why),
                   source=md(source_label(ss.get("cohort_source", "")))))
    cohort = ss["cohort"]
    n = len(cohort.data)
    source = md(source_label(ss.get("cohort_source", "")))
    if cohort.blocking(()):
        sb.error(n_("{source}: {n} problem blocks the analysis — see the Cohort page.",
                    "{source}: {n} problems block the analysis — see the Cohort page.",
                    len(cohort.blocking(())), source=source))
    else:
        sb.caption(n_("**{source}** — {n} patient", "**{source}** — {n} patients", n, source=source))
        if cohort.errors:
            sb.warning(n_("{n} error in some columns: the views using them are stopped — see the Cohort page.",
                          "{n} errors in some columns: the views using them are stopped — see the Cohort page.",
                          len(cohort.errors)))

    sb.markdown("### " + _("Filters"))
    df = cohort.data
    options = cohort_fact("subtypes", _subtypes_present)
    ss["_subtype_options"] = options
    _init_filter_widgets(options)
    if ss.get("_url_error"):
        view_ui.note(ss.pop("_url_error"))
    shown = view_ui.notes()
    for text in shown:
        sb.warning(text)
    if shown:
        sb.button(_("Dismiss these notes"), key="notes_dismiss", on_click=view_ui.clear_notes)
    ss["flt_subtype"] = [s for s in ss.get("flt_subtype", []) if s in options]
    sb.multiselect(_("Antibody subtype (empty = all)"), options, key="flt_subtype", format_func=lang.shown_as(lang.subtype_label, options),
                   placeholder=_("Choose options"))
    sb.slider(_("Age at diagnosis (years)"), AGE_LO, AGE_HI, key="flt_age",
              help=_("Full range ({lo}–{hi}) = no age filter; {hi} means {hi} and over.", lo=AGE_LO, hi=AGE_HI))
    sb.multiselect(_("Sex (empty = all)"), ["F", "M"], key="flt_sex", format_func=lang.shown_as(lang.sex_label, ["F", "M"]), placeholder=_("Choose options"))
    labels = lang.localized(cohort.dictionary)
    binary = cohort_fact("binary_with_values", _binary_with_values)
    ss["flt_yes"] = [c for c in ss.get("flt_yes", []) if c in binary]
    ss["flt_no"] = [c for c in ss.get("flt_no", []) if c in binary]
    # A menu, not an expander: its two lists are drawn only while it is open (a closed
    # expander's widgets are redrawn on every filter change, on every page); the filters it
    # holds are listed under it.
    with sb.popover(_("More filters (any yes/no feature)"), width="stretch", key="more_filters_menu"):
        st.multiselect(_("Must be yes"), binary, key="flt_yes", format_func=labels.label, placeholder=_("Choose options"))
        st.multiselect(_("Must be no"), [c for c in binary if c not in ss["flt_yes"]], key="flt_no", format_func=labels.label,
                       placeholder=_("Choose options"))
    held = [_("{feature} = yes", feature=md(labels.label(c))) for c in ss["flt_yes"]]
    held += [_("{feature} = no", feature=md(labels.label(c))) for c in ss["flt_no"]]
    if held:
        sb.caption(" · ".join(held))
    ranges = _ranges(sb, df, labels)
    sb.button(_("Reset filters"), on_click=_reset_filters, key="flt_reset")

    lo, hi = ss["flt_age"]
    features = tuple(sorted([(c, (1.0,)) for c in ss["flt_yes"]] + [(c, (0.0,)) for c in ss["flt_no"]]))
    spec = FilterSpec(
        antibody_subtype=tuple(ss["flt_subtype"]) or None,
        age_min=None if lo <= AGE_LO else float(lo),
        age_max=None if hi >= AGE_HI else float(hi),
        sex=tuple(ss["flt_sex"]) or None,
        features=features,
        ranges=ranges,
    )
    ss["filters"] = spec
    sb.caption(_("The whole view (filters, splits, options) is in the page address: bookmark or share it."))

    _views(sb)
    sb.markdown("### " + _("Display"))
    sb.toggle(_("Presentation mode"), key="presentation",
              help=_("Slides: one figure or table per screen, large type, controls hidden; arrows ← → to move, "
                     "a what-if bar to change the subtype or age live. In the address as g.present=1."))
    sb.caption(_("Your data stays on this computer: nothing is sent anywhere, no usage statistics are collected."))


def _views(sb: st.delta_generator.DeltaGenerator) -> None:
    """Presets (one click each), the session's own presets, save / load view.json."""
    ss = st.session_state
    sb.markdown("### " + _("Views"))
    for name in PRESETS:
        sb.button(preset_label(name), key=f"preset_{name}", on_click=view_ui.apply_preset, args=(name,), width="stretch")
    mine = ss.get(view_ui.USER_PRESETS, {})
    for name in mine:
        sb.button(f"★ {name}", key=f"user_preset_{name}", on_click=view_ui.apply_preset, args=(name,), width="stretch")
    # A menu, not an expander: its widgets are drawn only while it is open (a closed
    # expander's content is redrawn on every filter change, on every page).
    with sb.popover(_("Save or load a view"), width="stretch", key="view_menu"):
        c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
        c1.text_input(_("Name"), key="preset_name", placeholder=_("e.g. Mi2 women by cancer"))
        c2.button(_("Save as preset"), key="preset_save", on_click=view_ui.save_preset)
        ss[view_ui.SAVE_SLOT] = st.empty()  # filled after the page (ui.view_ui.end): the view as shown
        st.file_uploader(_("Load a view (view.json)"), type=["json"], key="view_upload", on_change=view_ui.load_view_upload)


def preset_label(name: str) -> str:
    """A bundled preset's name in the current language ("Monseau 2020 · Figure 1")."""
    paper, _sep, what = name.partition(" · ")
    return _("{paper} · {what}", paper=paper, what=_(what)) if what else name


def source_label(source: str) -> str:
    """The cohort source's name: the bundled sample's in the current language, a file's as is."""
    return _(SAMPLE_LABEL) if source == SAMPLE_LABEL else source
