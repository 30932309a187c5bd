"""The whole view in the address, in view.json and in presets; presentation mode (slides).

Streamlit glue around :mod:`core.view`. ``app.py`` calls :func:`begin` before the sidebar
and the page, and :func:`end` after the page (even when the page stopped early):

* **begin**: on a session's first run, the view is read from the address (and from a
  local ``view.json`` named by ``?view=``); then every bound widget that is not on screen
  yet gets its value from the session's view (:data:`core.view.BINDINGS`, by widget key),
  so pages need no code for it;
* **end**: the session's view is updated from the widgets, and the address is rewritten:
  filters, the global settings (``g.*``) and the current page's settings, short (only
  values that differ from the defaults).

Values that cannot be applied (an unknown column, a patient not in the cohort) are
explained in the sidebar (:func:`notes`), never raised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.constants import QUERY_KEYS
from core.filters import FilterSpec
from core.i18n import _, fmt_number
from core.io import SAMPLE_DIR
from core.presets import PRESETS
from core.safe_text import md
from core.view import (
    BINDINGS,
    SETTINGS,
    ViewState,
    file_sha256,
    page_values,
)
from ui.state import cohort_fact

VIEW = "_view"                  # setting key -> value (non-default): the session's view, every page
NOTES = "_view_notes"           # what a link / view / preset could not apply, for the sidebar
PENDING_FILTERS = "_view_filters"  # filters for the sidebar's widgets (link, preset, saved view)
FIRST = "_view_first"           # widget key -> the page's own default (first value shown)
SEEDED = "_view_seeded"         # widget key -> value put there from the view in this run
DECK = "_deck"                  # slides registered by this run's page
USER_PRESETS = "_user_presets"  # name -> ViewState saved in this session
SAVE_SLOT = "_view_save_slot"   # the sidebar's place for the "Save view" button (filled after the page)
PAGES = ("cohort", "compare", "survival", "cancer_risk", "patient")
MAX_VIEW_FILE = 1_000_000       # bytes: a view file is a few hundred bytes


# ---------------------------------------------------------------------------------- cohort
@st.cache_resource(show_spinner=False)
def _sample_sha() -> str:
    return file_sha256((SAMPLE_DIR / "cohort.csv").read_bytes())


def cohort_sha() -> str:
    """SHA-256 of the loaded cohort file (the bundled sample's, or the upload's)."""
    ss = st.session_state
    if ss.get("raw") is not None and ss.get("upload_bytes"):
        cached = ss.get("_cohort_sha")
        if cached and cached[0] == ss.get("upload_id"):
            return str(cached[1])
        sha = file_sha256(ss["upload_bytes"])
        ss["_cohort_sha"] = (ss.get("upload_id"), sha)
        return sha
    return _sample_sha()


def _patient_ids(cohort: Any) -> list[str]:
    if cohort is None or "patient_id" not in cohort.data:
        return []
    return [str(p) for p in cohort.data["patient_id"]]


def _context() -> dict[str, Any]:
    return {"salt": cohort_sha(), "patient_ids": cohort_fact("patient_ids", _patient_ids)}


# ---------------------------------------------------------------------------------- view
def values() -> dict[str, Any]:
    """The session's view values (every page's settings), mutable."""
    return st.session_state.setdefault(VIEW, {})


def note(text: str) -> None:
    """Explain, in the sidebar, something a link or a view could not apply."""
    st.session_state.setdefault(NOTES, []).append(text)


def notes() -> list[str]:
    """The notes to show (kept until dismissed, without repeats)."""
    return list(dict.fromkeys(st.session_state.get(NOTES, [])))


def clear_notes() -> None:
    """Callback of the sidebar's 'Dismiss' button."""
    st.session_state[NOTES] = []


def current_view(page: str = "") -> ViewState:
    """The view on screen: filters and every page's settings."""
    spec = st.session_state.get("filters")
    return ViewState(spec if isinstance(spec, FilterSpec) else FilterSpec(), dict(values()), page)


def page_default(widget: str, value: Any) -> None:
    """Declare the page's default of a bound widget whose default depends on the data
    (e.g. the reference group): the address holds the value only when it differs."""
    st.session_state.setdefault(FIRST, {})[widget] = value


def begin(page: str) -> None:
    """Before the sidebar and the page: read the address once, then put the view's values
    into the widgets that are not on screen yet."""
    from ui.state import init_state

    init_state()
    ss = st.session_state
    ss[DECK] = []
    ss["_view_page"] = page
    if not ss.get("_view_started"):
        ss["_view_started"] = True
        params = st.query_params.to_dict()
        if "lang" in params:  # the address's short key of the language setting (g.lang is accepted too)
            params["g.lang"] = params.pop("lang")
        view = ViewState.from_query_params({k: v for k, v in params.items() if k != "view"})
        for n in view.notes:
            note(md(n))
        if params.get("view"):
            loaded = _read_local_view(str(params["view"]))
            if loaded is not None:  # the address's own settings win over the file's
                view = ViewState(view.filters if not view.filters.is_empty else loaded.filters,
                                 {**loaded.values, **view.values}, loaded.page)
                if loaded.page in PAGES and page == "cohort":  # the app's front door: open the view's page
                    ss["_goto"] = loaded.page
        ss[VIEW] = dict(view.values)
        ss[PENDING_FILTERS] = view.filters
    goto = ss.pop("_goto", None)
    if goto and goto != page and goto in PAGES:
        st.switch_page(f"pages/{goto}.py")
    _seed()


def _seed() -> None:
    ss = st.session_state
    vals = values()
    ctx = _context()
    seeded: dict[str, Any] = {}
    for b in BINDINGS:
        if any(w in ss for w in b.widgets):
            continue  # on screen: the widget is the truth
        if not any(k in vals for k in b.settings):
            continue  # the page's default
        current = tuple(vals.get(k, SETTINGS[k].default) for k in b.settings)
        for w, v in b.widget_values(current, ctx).items():
            ss[w] = v
            seeded[w] = v
    ss[SEEDED] = seeded


def end(page: str) -> None:
    """After the page: the session's view from the widgets, then the address."""
    ss = st.session_state
    vals = values()
    ctx = _context()
    seeded = ss.pop(SEEDED, {})
    first = ss.setdefault(FIRST, {})
    for b in BINDINGS:
        w0 = b.widgets[0]
        if w0 not in ss:
            continue
        present = {w: ss[w] for w in b.widgets if w in ss}
        try:
            current = b.setting_values(present, ctx)
        except (TypeError, ValueError, KeyError):
            continue
        for w, v in seeded.items():
            if w in present and present[w] != v and w in b.widgets:
                label = SETTINGS[b.settings[0]].label or b.settings[0]
                note(_("{setting}: the value of the link or view is not available here; the page's default is shown.",
                       setting=md(label)))
        for k, v in zip(b.settings, current, strict=True):
            default = SETTINGS[k].default
            if default is None:
                if w0 not in first and not any(w in seeded for w in b.widgets):
                    first[w0] = v
                default = first.get(w0)
            if v is None or v == default:
                vals.pop(k, None)
            else:
                vals[k] = v
    write_url(page)
    slot = ss.pop(SAVE_SLOT, None)
    if slot is not None:
        slot.download_button(_("⬇ Save view (view.json)"), data=view_json(page), file_name="view.json",
                             mime="application/json", key="view_save", on_click="ignore",
                             help=_("Filters and every page's settings, the cohort file's name and SHA-256, versions. "
                                    "No patient data (the selected patient is left out)."))


def write_url(page: str) -> None:
    """The address: filters + global settings + this page's settings (others kept)."""
    ss = st.session_state
    shown = page_values(values(), page)
    if not ss.get("presentation"):
        shown.pop("g.slide", None)
    spec = ss.get("filters")
    wanted = ViewState(spec if isinstance(spec, FilterSpec) else FilterSpec(), shown).to_query_params()
    if "g.lang" in wanted:  # the language is ?lang=fr in the address
        wanted["lang"] = wanted.pop("g.lang")
    current = st.query_params.to_dict()
    for k in current:
        if (k in QUERY_KEYS or "." in k or k in ("view", "lang")) and k not in wanted:
            del st.query_params[k]
    for k, v in wanted.items():
        if current.get(k) != v:
            st.query_params[k] = v


# ---------------------------------------------------------------------------------- apply
def apply_view(view: ViewState, extra_notes: tuple[str, ...] = ()) -> None:
    """Put a whole view on screen (preset, saved view): every page's settings, the
    filters, and its page. Call from a callback or before the widgets are drawn."""
    ss = st.session_state
    lang = values().get("g.lang")
    ss[VIEW] = {k: v for k, v in view.values.items()}
    if "g.lang" not in ss[VIEW] and lang:  # a preset keeps the language; a saved view in French sets it
        ss[VIEW]["g.lang"] = lang
    ss.pop("ui_lang", None)
    if "g.present" not in ss[VIEW]:
        ss[VIEW]["g.present"] = bool(ss.get("presentation"))  # a view does not end a presentation
        if not ss[VIEW]["g.present"]:
            ss[VIEW].pop("g.present")
    ss[PENDING_FILTERS] = view.filters
    for b in BINDINGS:
        for w in b.widgets:
            ss.pop(w, None)
    for k in [k for k in ss if str(k).startswith(("cmp_group", "surv_group", "_cmp_group", "_surv_group"))]:
        ss.pop(k, None)
    for n in (*view.notes, *extra_notes):
        note(md(n))
    if view.page in PAGES:
        ss["_goto"] = view.page


def _read_local_view(path_text: str) -> ViewState | None:
    """``?view=path/to/view.json``: a view file on this computer (JSON only, size-limited)."""
    path = Path(path_text).expanduser()
    if path.suffix.lower() != ".json" or not path.is_file():
        note(_("The view file {file} named in the address was not found (a .json file on this computer); "
               "the rest of the address is applied.", file=md(path_text)))
        return None
    if path.stat().st_size > MAX_VIEW_FILE:
        note(_("The view file {file} is larger than a view can be ({size} bytes): ignored.", file=md(path.name),
               size=fmt_number(MAX_VIEW_FILE, 0)))
        return None
    return _load_view_bytes(path.read_bytes(), path.name)


def _load_view_bytes(data: bytes, name: str) -> ViewState | None:
    try:
        view, record = ViewState.from_json(data)
    except ValueError as exc:
        note(f"{md(name)}: {md(exc)}")
        return None
    for n in view.notes:
        note(md(n))
    sha = cohort_sha()
    if record.get("sha256") and record["sha256"] != sha:
        src = st.session_state.get("cohort_source", "")
        note(_("{name} was saved on another cohort file ({file}, SHA-256 {sha}…) than the one loaded "
               "({source}, {loaded}…): its settings were applied, but the numbers can differ.",
               name=md(name), file=md(record.get("file") or _("unnamed")), sha=md(record["sha256"][:12]),
               source=md(src), loaded=sha[:12]))
    return view


def load_view_upload() -> None:
    """Callback of the sidebar's view uploader."""
    from ui.lang import sync

    sync()
    up = st.session_state.get("view_upload")
    if up is None:
        return
    data = up.getvalue()
    if len(data) > MAX_VIEW_FILE:
        note(_("{file} is larger than a view can be: ignored.", file=md(up.name)))
        return
    view = _load_view_bytes(data, up.name)
    if view is not None:
        apply_view(view)
        sync()
        note(_("View {file} applied.", file=md(up.name)))


def apply_preset(name: str) -> None:
    """Callback of a preset button."""
    view = {**PRESETS, **st.session_state.get(USER_PRESETS, {})}.get(name)
    if view is not None:
        apply_view(view)


def save_preset() -> None:
    """Callback: the current view becomes a named preset of this session."""
    from ui.lang import sync

    sync()
    ss = st.session_state
    name = str(ss.get("preset_name", "")).strip()
    if not name:
        note(_("Type a name for the preset first."))
        return
    ss.setdefault(USER_PRESETS, {})[name] = current_view(ss.get("_view_page", ""))
    ss["preset_name"] = ""


def view_json(page: str) -> str:
    """``view.json`` of the current view (no patient data: see core.view.PATIENT_SETTINGS)."""
    return current_view(page).to_json(str(st.session_state.get("cohort_source", "")), cohort_sha())


# ---------------------------------------------------------------------------------- splits
def split_request(prefix: str) -> dict[str, Any]:
    """The split settings of a page (``c`` or ``s``) in the session's view."""
    return {k: v for k, v in values().items() if k.startswith(prefix + ".")}


# ---------------------------------------------------------------------------------- slides
@dataclass
class Slide:
    """One screen of presentation mode: a figure or a table, its title, n and footnote."""

    title: str
    n: int | None
    footnote: str
    figure: Any = None
    table: pd.DataFrame | None = None
    styled: bool = False  # the page drew the figure for a slide (large type): shown as is


#: Footnotes of the figures whose page gives no slide of its own (by figure name); msgids,
#: translated when shown.
FOOTNOTES = {
    "forest_plot": "Odds ratios (conditional MLE) with exact 95% CI; Fisher's exact test.",
    "subtype_heatmap": "Each subtype vs all other patients with a known subtype; * P < .05, Fisher's exact test.",
    "context_km": "Kaplan-Meier, overall survival from diagnosis, the patient's subtype vs the others; log-rank test.",
    "ifn_fc_chart": "Fold change of each interferon-stimulated gene vs healthy controls (2^-ΔΔCt, Rice et al. 2013).",
    "ifn_score_chart": "Interferon score: median fold change of 6 genes (Rice et al. 2013); positive above the threshold.",
}
#: Slide titles of those figures (msgids).
FIGURE_TITLES = {
    "forest_plot": "forest plot", "subtype_heatmap": "subtype heatmap", "context_km": "survival of the patient's group",
    "ifn_fc_chart": "interferon fold changes", "ifn_score_chart": "interferon scores",
}


def _footnotes() -> dict[str, str]:
    return {
        "forest_plot": _("Odds ratios (conditional MLE) with exact 95% CI; Fisher's exact test."),
        "subtype_heatmap": _("Each subtype vs all other patients with a known subtype; * P < .05, Fisher's exact test."),
        "context_km": _("Kaplan-Meier, overall survival from diagnosis, the patient's subtype vs the others; log-rank test."),
        "ifn_fc_chart": _("Fold change of each interferon-stimulated gene vs healthy controls (2^-ΔΔCt, Rice et al. 2013)."),
        "ifn_score_chart": _("Interferon score: median fold change of 6 genes (Rice et al. 2013); positive above the threshold."),
    }


def _figure_titles() -> dict[str, str]:
    return {"forest_plot": _("forest plot"), "subtype_heatmap": _("subtype heatmap"),
            "context_km": _("survival of the patient's group"), "ifn_fc_chart": _("interferon fold changes"),
            "ifn_score_chart": _("interferon scores")}


def split_title(kind: str, column: str, cutoff: float, label: str, values_a: tuple[str, ...] = ()) -> str:
    """What a split is, for a slide title, in the current language (:func:`core.view.split_title`
    in words of this language): ``cancer``, ``age ≥ 50``, ``anti-Mi2 vs other subtypes``."""
    from ui.lang import subtype_label

    cut = fmt_number(cutoff, 0) if float(cutoff).is_integer() else fmt_number(cutoff, 2).rstrip("0")
    if kind == "age":
        return _("age ≥ {lo}", lo=cut)
    if kind == "cutoff":
        return _("{label} ≥ {cutoff}", label=label, cutoff=cut)
    if kind == "subtype":
        return _("{subtype} vs other subtypes", subtype=subtype_label(values_a[0] if values_a else ""))
    if kind == "category" and values_a:
        return _("{label} ({values})", label=label, values=" / ".join(values_a))
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def filter_title(filters: FilterSpec) -> str:
    """Short subgroup text for a slide title (``Anti-Mi2, age ≥ 50, women``; ``All patients``), in
    the current language (:func:`core.view.filter_title` in words of this language)."""
    from ui.lang import subtype_label

    parts: list[str] = []
    if filters.antibody_subtype:
        parts.append(" + ".join(subtype_label(s) for s in filters.antibody_subtype))
    if filters.age_min is not None and filters.age_max is not None:
        parts.append(_("age {lo}–{hi}", lo=fmt_number(filters.age_min, 0), hi=fmt_number(filters.age_max, 0)))
    elif filters.age_min is not None:
        parts.append(_("age ≥ {lo}", lo=fmt_number(filters.age_min, 0)))
    elif filters.age_max is not None:
        parts.append(_("age ≤ {hi}", hi=fmt_number(filters.age_max, 0)))
    if filters.sex:
        parts.append(" + ".join({"F": _("women"), "M": _("men")}.get(s, s) for s in filters.sex))
    for col, vals in filters.features:
        parts.append(_("{column} = {values}", column=col,
                       values="/".join({1.0: _("yes"), 0.0: _("no")}.get(v, str(v)) for v in vals)))
    text = ", ".join(parts) or _("All patients")
    return text[0].upper() + text[1:]


def presenting() -> bool:
    """Presentation mode is on."""
    return bool(st.session_state.get("presentation"))


def add_slide(slide: Slide) -> None:
    """Register a slide of this run's page (shown by :func:`render_deck`)."""
    st.session_state.setdefault(DECK, []).append(slide)


def default_slide(basename: str) -> Slide:
    """A slide for a figure whose page gave no title: its name and the filtered n."""
    ss = st.session_state
    title = _figure_titles().get(basename, basename.replace("_", " "))
    grouping = ss.get("_grouping_cmp_group") if basename in FOOTNOTES else None
    n = ss.get("_n_filtered")
    if grouping:
        title, n = _("{title}, {grouping}", title=title, grouping=grouping[0]), grouping[1]
    return Slide(title, n, _footnotes().get(basename, ""))


def _step(delta: int) -> None:
    vals = values()
    n = int(st.session_state.get("_deck_size", 1))
    i = int(vals.get("g.slide", 0)) + delta
    i = max(0, min(max(n - 1, 0), i))
    if i:
        vals["g.slide"] = i
    else:
        vals.pop("g.slide", None)


def _exit() -> None:
    st.session_state["presentation"] = False
    values().pop("g.present", None)
    values().pop("g.slide", None)


def _pin_splits() -> None:
    """A what-if keeps the slide: the splits on screen stop following the filter."""
    ss = st.session_state
    for key in ("cmp_group", "surv_group"):
        if ss.get(f"_{key}_auto") and ss.get(f"_{key}_shown") is not None:
            ss[f"_{key}_auto"] = False


def _whatif_subtype() -> None:
    _pin_splits()
    st.session_state["flt_subtype"] = list(st.session_state.get("wi_subtype", []))


def _whatif_age() -> None:
    _pin_splits()
    st.session_state["flt_age"] = tuple(st.session_state.get("wi_age", (0, 100)))


SLIDE_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
header, footer, [data-testid="stToolbar"] { display: none !important; }
.st-key-page_body { display: none !important; }
[data-testid="stMainBlockContainer"], .block-container { padding: 0.6rem 1.4rem 0.4rem 1.4rem !important; max-width: 100% !important; }
.st-key-slide_deck h2 { font-size: 2.1rem !important; line-height: 1.15 !important; padding: 0 0 0.2rem 0 !important; }
.st-key-slide_deck p, .st-key-slide_deck label, .st-key-slide_deck li { font-size: 1.25rem !important; }
.st-key-slide_deck [data-testid="stCaptionContainer"] p { font-size: 1.1rem !important; color: #333 !important; }
.st-key-slide_deck table { font-size: 1.35rem !important; }
.st-key-slide_deck button p { font-size: 1.2rem !important; }
</style>
"""

#: Keyboard arrows (and PageUp/PageDown, as sent by presentation remotes) click the
#: previous/next buttons; not while typing in a field or moving a slider. Inline, no asset.
KEYS_JS = """
<script>
(function () {
  if (window.__myoscopeSlideKeys) { return; }
  window.__myoscopeSlideKeys = true;
  document.addEventListener("keydown", function (e) {
    var t = e.target || {};
    var tag = (t.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || t.isContentEditable
        || (t.getAttribute && t.getAttribute("role") === "slider")) { return; }
    var which = (e.key === "ArrowRight" || e.key === "PageDown") ? "slide_next"
              : (e.key === "ArrowLeft" || e.key === "PageUp") ? "slide_prev" : null;
    if (!which) { return; }
    var b = document.querySelector(".st-key-" + which + " button");
    if (b && !b.disabled) { e.preventDefault(); b.click(); }
  });
})();
</script>
"""


def render_deck(slot: Any) -> bool:
    """Draw the current slide into ``slot``; False when the page gave no slide."""
    ss = st.session_state
    deck: list[Slide] = ss.get(DECK, [])
    ss["_deck_size"] = len(deck)
    with slot:
        if not deck:
            st.info(_("This page has no figure or table to present with these filters: the page is shown as is. "
                      "Open Survival, Compare groups or Cancer risk, or widen the filters."))
            _controls(0, 0)
            return False
        i = max(0, min(len(deck) - 1, int(values().get("g.slide", 0))))
        s = deck[i]
        spec = ss.get("filters") if isinstance(ss.get("filters"), FilterSpec) else FilterSpec()
        if s.n is not None:
            st.markdown("## " + _("{filters} · {title} · n = {n}", filters=md(filter_title(spec)), title=md(s.title), n=s.n))
        else:
            st.markdown("## " + _("{filters} · {title}", filters=md(filter_title(spec)), title=md(s.title)))
        if s.figure is not None:
            fig = go.Figure(s.figure)  # a copy: large type for the back of the room
            if not s.styled:
                fig.update_layout(height=470, font={"size": 18})
            from ui.widgets import plotly_spec  # (ui.widgets imports this module)

            st.plotly_chart(plotly_spec(fig), key="slide_figure", theme=None, width="stretch",
                            config={"displaylogo": False, "displayModeBar": False})
        elif s.table is not None:
            st.table(s.table)
        if s.footnote:
            st.caption(md(s.footnote))
        _controls(i, len(deck))
    st.markdown(SLIDE_CSS, unsafe_allow_html=True)
    st.html(KEYS_JS, unsafe_allow_javascript=True)
    return True


def _controls(i: int, n: int) -> None:
    ss = st.session_state
    c = st.columns([0.8, 0.6, 0.8, 2.4, 2.2, 0.9], vertical_alignment="bottom")
    c[0].button(_("◀ Previous"), key="slide_prev", on_click=_step, args=(-1,), disabled=i <= 0, width="stretch")
    c[1].markdown(f"**{i + 1 if n else 0} / {n}**")
    c[2].button(_("Next ▶"), key="slide_next", on_click=_step, args=(1,), disabled=i >= n - 1, width="stretch")
    options = ss.get("_subtype_options", [])
    from ui.lang import shown_as, subtype_label

    ss["wi_subtype"] = [s for s in ss.get("flt_subtype", []) if s in options]
    c[3].multiselect(_("What if: subtype"), options, key="wi_subtype", on_change=_whatif_subtype,
                     format_func=shown_as(subtype_label, options), placeholder=_("all subtypes"))
    ss["wi_age"] = tuple(ss.get("flt_age", (0, 100)))
    c[4].slider(_("What if: age at diagnosis"), 0, 100, key="wi_age", on_change=_whatif_age)
    c[5].button(_("Exit"), key="slide_exit", on_click=_exit, width="stretch", help=_("Leave presentation mode"))


def fmt_num(x: float | None, digits: int = 1) -> str:
    """A number for a slide ("—" when missing)."""
    return "—" if x is None or not math.isfinite(x) else fmt_number(x, digits)
