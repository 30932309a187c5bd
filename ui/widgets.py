"""Widgets shared by the pages: group picker, downloads, guardrails."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.charts.payload import browser_payload
from core.defaults import default_split, split_columns
from core.export import (
    ExportError,
    figure_to_image,
    plotly_config,
    table_to_csv,
    table_to_docx,
    table_to_xlsx,
)
from core.groups import (
    Grouping,
    GroupingError,
    GroupSpec,
    assign_groups,
    category_levels,
    grouping_choices,
)
from core.i18n import _
from core.privacy import DEFAULT_THRESHOLD, private_table, suppress_figure_text
from core.safe_text import figure_safe, md
from core.schema import DataDictionary
from core.view import split_from_values, split_values
from ui import view_ui
from ui.cache import cached
from ui.lang import shown_as, subtype_label
from ui.state import RUN_NUMBER, FilteredCohort

T = TypeVar("T")
GROUP_KINDS = {  # msgids, shown translated (format_func); the keys are the widget's values
    "subtype": "Antibody subtype vs the rest",
    "binary": "A yes/no column (e.g. cancer, anti-Mi2)",
    "category": "Values of a categorical column",
    "age": "Age at diagnosis cut-off",
    "cutoff": "A number column cut-off (e.g. CK, MMT-8)",
}
LEVELS_KIND = "Every level of a column (2 or more groups)"


def _kind_names() -> dict[str, str]:
    return {"subtype": _("Antibody subtype vs the rest"), "binary": _("A yes/no column (e.g. cancer, anti-Mi2)"),
            "category": _("Values of a categorical column"), "age": _("Age at diagnosis cut-off"),
            "cutoff": _("A number column cut-off (e.g. CK, MMT-8)"),
            "levels": _("Every level of a column (2 or more groups)")}
#: URL letter of each split picker's settings (``c.kind``, ``s.by``, ...), by widget key.
PICKER_PREFIX = {"cmp_group": "c", "surv_group": "s"}
#: Picker (widget key) -> the page whose default split it uses (core.defaults).
PICKER_PAGE = {"cmp_group": "compare", "surv_group": "survival"}


def _cutoff_supported() -> bool:
    """The other half of the 'cutoff' split lives in core.groups (GroupSpec kind)."""
    from typing import get_args

    from core import groups

    return "cutoff" in get_args(getattr(groups, "GroupKind", ()))


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "myoscope"


def _number_columns(df: pd.DataFrame, dictionary: DataDictionary) -> list[str]:
    return [c for c in df.columns if dictionary.get(c).type in ("continuous", "ordinal") and c != "patient_id"
            and pd.api.types.is_numeric_dtype(df[c]) and df[c].notna().any()]


def _set_picker(key: str, spec: GroupSpec, df: pd.DataFrame) -> None:
    """Put a split into the picker's widgets (before they are drawn)."""
    ss = st.session_state
    ss[f"{key}_kind"] = spec.kind
    if spec.kind == "subtype" and spec.values_a:
        ss[f"{key}_subtype"] = spec.values_a[0]
    elif spec.kind == "binary":
        ss[f"{key}_binary"] = spec.column
    elif spec.kind == "category":
        ss[f"{key}_cat"] = spec.column
        ss[f"{key}_cat_a_{spec.column}"] = list(spec.values_a)
        ss[f"{key}_cat_b_{spec.column}"] = list(spec.values_b)
    elif spec.kind == "levels":
        ss[f"{key}_levels"] = spec.column
    elif spec.kind == "age":
        ss[f"{key}_age"] = float(spec.cutoff)
    elif spec.kind == "cutoff":
        ss[f"{key}_cutcol"] = spec.column
        ss[f"{key}_cut_{spec.column}"] = float(spec.cutoff)


def _picker_state(key: str) -> GroupSpec | None:
    """The split the picker's widgets hold now (None when not all set)."""
    ss = st.session_state
    kind = ss.get(f"{key}_kind")
    try:
        if kind == "subtype":
            return GroupSpec("subtype", "antibody_subtype", (ss[f"{key}_subtype"],))
        if kind == "binary":
            return GroupSpec("binary", ss[f"{key}_binary"])
        if kind == "category":
            col = ss[f"{key}_cat"]
            return GroupSpec("category", col, tuple(ss[f"{key}_cat_a_{col}"]), tuple(ss.get(f"{key}_cat_b_{col}", ())))
        if kind == "levels":
            return GroupSpec("levels", ss[f"{key}_levels"])
        if kind == "age":
            return GroupSpec("age", "age_at_diagnosis", cutoff=float(ss[f"{key}_age"]))
        if kind == "cutoff":
            col = ss[f"{key}_cutcol"]
            return GroupSpec("cutoff", col, cutoff=float(ss[f"{key}_cut_{col}"]))  # type: ignore[arg-type]
    except KeyError:
        return None
    return None


def _valid(spec: GroupSpec, kinds: dict[str, str], choices: dict[str, list[str]], numbers: list[str]) -> bool:
    if spec.kind not in kinds:
        return False
    if spec.kind == "subtype":
        return bool(spec.values_a) and spec.values_a[0] in choices["subtype"]
    if spec.kind == "binary":
        return spec.column in choices["binary"]
    if spec.kind == "category":
        return spec.column in choices["category"] and bool(spec.values_a)
    if spec.kind == "levels":
        return spec.column in ["antibody_subtype", *choices["binary"], *choices["category"]]
    if spec.kind == "cutoff":
        return spec.column in numbers
    return True


def _prepare_picker(key: str, df: pd.DataFrame, dictionary: DataDictionary, kinds: dict[str, str],
                    choices: dict[str, list[str]], numbers: list[str],
                    run: Callable[..., object] = lambda fn, *args: fn(*args)) -> None:
    """Decide what the picker shows before it is drawn: the split of the link / view /
    preset, else the default that follows the filter (core.defaults)."""
    ss = st.session_state
    prefix = PICKER_PREFIX.get(key)
    auto = run(default_split, df, dictionary, PICKER_PAGE.get(key, "compare"))
    requested = split_from_values(prefix, view_ui.split_request(prefix)) if prefix else None
    alive = f"{key}_kind" in ss and ss.get(f"_{key}_shown") is not None
    if not alive:
        spec = None
        if requested is not None:
            try:
                spec = GroupSpec(**requested)
            except TypeError:
                spec = None
            if spec is None or not _valid(spec, kinds, choices, numbers):
                why = _("The split of the link or view ({kind} {column}) cannot be used on this cohort: the default "
                        "split is shown.", kind=md(requested.get("kind")), column=md(requested.get("column", "")))
                view_ui.note(why)
                st.warning(why)
                spec = None
        ss[f"_{key}_auto"] = spec is None
        spec = spec or auto
        if spec is not None:
            _set_picker(key, spec, df)
        ss[f"_{key}_shown"] = spec or GroupSpec("binary")
        return
    if ss.get(f"_{key}_auto") and auto is not None and _picker_state(key) == ss.get(f"_{key}_shown") and auto != ss.get(f"_{key}_shown"):
        _set_picker(key, auto, df)  # untouched by the user: the split follows the filter
        ss[f"_{key}_shown"] = auto


def _remember_split(key: str, spec: GroupSpec, grouping: Grouping) -> None:
    ss = st.session_state
    prefix = PICKER_PREFIX.get(key)
    ss[f"_grouping_{key}"] = (grouping.description, int(sum(grouping.sizes().values())))
    if prefix is None:
        return
    if ss.get(f"_{key}_auto") and spec == ss.get(f"_{key}_shown"):
        for k in split_values(prefix, None):
            view_ui.values().pop(k, None)
        return
    ss[f"_{key}_auto"] = False
    ss[f"_{key}_shown"] = spec
    for k, v in split_values(prefix, spec).items():
        if v is None or v == ():
            view_ui.values().pop(k, None)
        else:
            view_ui.values()[k] = v


def group_picker(df: pd.DataFrame, dictionary: DataDictionary, key: str, multi: bool = False,
                 cohort: FilteredCohort | None = None) -> Grouping:
    """Let the user choose how to split the (filtered) cohort; returns the grouping.

    ``multi=True`` adds "every level of a column" (for survival curves with > 2 groups).
    The split is kept in the address (``c.*`` for ``key="cmp_group"``, ``s.*`` for
    ``key="surv_group"``: kind, by, a, b, cut); when the user has not chosen one, it is
    the default of :func:`core.defaults.default_split`, which follows the filter (never a
    split with an empty group). Yes/no columns are listed outcomes first (cancer, death).
    Stops the page with a message when the choice cannot be applied. With ``cohort`` (the
    page's filtered cohort, ``df`` its data) the choices and the grouping are computed once
    per filter (``ui.cache``).
    """
    def run(fn: Callable[..., T], *args: object) -> T:
        return cached(cohort, fn, *args) if cohort is not None else fn(*args)

    choices = dict(run(grouping_choices, df, dictionary))
    choices["binary"] = list(run(split_columns, df, dictionary))
    numbers = choices.get("cutoff") or run(_number_columns, df, dictionary)
    kinds = dict(GROUP_KINDS)
    if multi:  # a yes/no split first, then any number of levels
        kinds = {"binary": kinds.pop("binary"), "levels": LEVELS_KIND, **kinds}
    if not choices["subtype"]:
        kinds.pop("subtype", None)
    if not choices["binary"]:
        kinds.pop("binary", None)
    if not choices["category"]:
        kinds.pop("category", None)
    if "age_at_diagnosis" not in df:
        kinds.pop("age", None)
    if not numbers or not _cutoff_supported():
        kinds.pop("cutoff", None)
    if not kinds:
        st.warning(_("This cohort has no column to split it by."))
        st.stop()
    _prepare_picker(key, df, dictionary, kinds, choices, numbers, run)
    c1, c2 = st.columns([1, 2])
    names = _kind_names()
    kind = c1.selectbox(_("Split patients by"), list(kinds), format_func=lambda k: names.get(k, k), key=f"{key}_kind")
    try:
        if kind == "subtype":
            sub = c2.selectbox(_("Group A: subtype"), choices["subtype"], format_func=shown_as(subtype_label, choices["subtype"]), key=f"{key}_subtype")
            spec = GroupSpec("subtype", "antibody_subtype", (sub,))
        elif kind == "binary":
            cols = choices["binary"]
            if st.session_state.get(f"{key}_binary") not in cols:  # first shown: anti-Mi2 (before: the default)
                st.session_state[f"{key}_binary"] = "anti_mi2" if "anti_mi2" in cols else cols[0]
            col = c2.selectbox(_("Column (group A = yes/positive)"), cols, format_func=dictionary.label, key=f"{key}_binary")
            spec = GroupSpec("binary", col)
        elif kind == "category":
            col = c2.selectbox(_("Column"), choices["category"], format_func=dictionary.label, key=f"{key}_cat")
            values = category_levels(df[col])
            d1, d2 = st.columns(2)
            a = d1.multiselect(_("Group A values"), values, default=values[:1], key=f"{key}_cat_a_{col}",
                               placeholder=_("Choose options"))
            b = d2.multiselect(_("Group B values (empty = all others)"), [v for v in values if v not in a], key=f"{key}_cat_b_{col}",
                               placeholder=_("Choose options"))
            spec = GroupSpec("category", col, tuple(a), tuple(b))
        elif kind == "levels":
            options = ["antibody_subtype"] + choices["binary"] + [c for c in choices["category"] if c != "antibody_subtype"]
            col = c2.selectbox(_("Column"), options, format_func=dictionary.label, key=f"{key}_levels")
            spec = GroupSpec("levels", col)
        elif kind == "cutoff":
            d1, d2 = c2.columns([2, 1])
            col = d1.selectbox(_("Column (group A: ≥ cut-off)"), numbers, format_func=dictionary.label, key=f"{key}_cutcol")
            med = float(df[col].median())
            cut = d2.number_input(_("Cut-off"), value=float(f"{med:.3g}"), key=f"{key}_cut_{col}",
                                  help=_("Group A: value ≥ cut-off; group B: value < cut-off; missing: in neither group."))
            spec = GroupSpec("cutoff", col, cutoff=float(cut))  # type: ignore[arg-type]
        else:
            cut = c2.number_input(_("Cut-off (years): group A is age ≥ cut-off"), min_value=1.0, max_value=110.0, value=50.0, step=1.0, key=f"{key}_age")
            spec = GroupSpec("age", "age_at_diagnosis", cutoff=float(cut))
        grouping = run(assign_groups, df, spec, dictionary)
    except GroupingError as exc:
        st.warning(md(exc))
        st.stop()
        raise  # pragma: no cover - st.stop raises
    _remember_split(key, spec, grouping)
    return grouping


#: Tables that become slides in presentation mode (by download name), rows per slide.
SLIDE_TABLES = {"comparison_table": 9}


def _table_slides(df: pd.DataFrame, basename: str) -> None:
    """A long table as slides of a few rows each (its first row, the group sizes, on each)."""
    per = SLIDE_TABLES[basename]
    grouping = st.session_state.get("_grouping_cmp_group")
    title, n = (_("Table I, {grouping}", grouping=grouping[0]), grouping[1]) if grouping else (_("Table I"), None)
    head, body = df.iloc[:1], df.iloc[1:]
    parts = max(1, -(-len(body) // per))
    note = _("n/N (%): two-sided Fisher's exact test, OR by conditional MLE with exact 95% CI; median (IQR): "
             "Mann-Whitney U (Kruskal-Wallis for three groups or more); missing values left out of each row.")
    for i in range(parts):
        chunk = pd.concat([head, body.iloc[i * per:(i + 1) * per]]).set_index(df.columns[0])
        view_ui.add_slide(view_ui.Slide(_("{title} ({i}/{n})", title=title, i=i + 1, n=parts), n, note, table=chunk))


def _download_menu(key: str) -> Any:
    """One "⬇ Download" menu for a table's or a figure's files.

    Its buttons are drawn only when the menu is open: a page with ten tables redraws ten
    menu buttons on each filter change, not thirty download buttons (Streamlit redraws every
    element of the page on each rerun; about 50 ms on the Survival page, ``python -m bench
    browser``).
    """
    return st.popover(_("⬇ Download"), key=f"{key}_menu")


def download_table(df: pd.DataFrame, basename: str, key: str, title: str = "", footnote: str = "") -> None:
    """CSV (full precision), XLSX and DOCX download buttons for a table, in one menu
    (:func:`_download_menu`).

    Files are produced when clicked (deferred), not at every rerun.
    """
    if view_ui.presenting() and basename in SLIDE_TABLES:
        _table_slides(df, basename)
    name = _safe(basename)
    df = _private(df)
    c1 = c2 = c3 = _download_menu(key)
    c1.download_button(_("⬇ CSV"), data=lambda: table_to_csv(df), file_name=f"{name}.csv", mime="text/csv", key=f"{key}_csv", on_click="ignore")
    c2.download_button(_("⬇ Excel"), data=lambda: table_to_xlsx(df, title=title, footnote=footnote), file_name=f"{name}.xlsx", mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"{key}_xlsx", on_click="ignore")
    c3.download_button(_("⬇ Word"), data=lambda: table_to_docx(df, title=title, footnote=footnote), file_name=f"{name}.docx", mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document", key=f"{key}_docx", on_click="ignore")


def _private(df: pd.DataFrame) -> pd.DataFrame:
    """The sharing options of the sidebar (meeting bundle section), for every page export:
    counts below 5 suppressed when asked, patient identifiers left out unless included."""
    ss = st.session_state
    return private_table(df, DEFAULT_THRESHOLD if ss.get("bundle_suppress") else None, bool(ss.get("bundle_ids", False)))


def _render(fig: object, fmt: str) -> Callable[[], bytes]:
    suppress = bool(st.session_state.get("bundle_suppress"))

    def make() -> bytes:
        try:
            return figure_to_image(suppress_figure_text(figure_safe(fig), DEFAULT_THRESHOLD) if suppress else fig, fmt)
        except ExportError as exc:
            return str(exc).encode("utf-8")

    return make


def download_figure(fig: object, basename: str, key: str) -> None:
    """PNG and SVG download buttons (slide size 1600×900; PNG at 2× scale), in one menu
    (:func:`_download_menu`).

    The image is rendered locally by kaleido when the button is clicked.
    """
    name = _safe(basename)
    c1 = c2 = _download_menu(key)
    c1.download_button(_("⬇ PNG (slide)"), data=_render(fig, "png"), file_name=f"{name}.png", mime="image/png", key=f"{key}_png", on_click="ignore")
    c2.download_button(_("⬇ SVG"), data=_render(fig, "svg"), file_name=f"{name}.svg", mime="image/svg+xml", key=f"{key}_svg", on_click="ignore")


def show_figure(fig: object, basename: str, key: str, slide: view_ui.Slide | None = None) -> None:
    """A plotly figure whose camera button saves a slide-sized PNG in the browser.

    ``theme=None`` keeps the figure's own (journal) fonts and colours. In presentation
    mode the figure becomes a slide (``slide``: its title, n and footnote; a default from
    its name otherwise) instead of being drawn in the page.
    """
    if view_ui.presenting():
        s = slide or view_ui.default_slide(basename)
        s.figure = fig
        view_ui.add_slide(s)
        return
    st.plotly_chart(plotly_spec(fig), config=plotly_config(_safe(basename)), key=key, theme=None,
                    width="stretch")


def plotly_spec(fig: object) -> go.Figure:
    """What to hand ``st.plotly_chart``: the figure made safe
    (:func:`core.safe_text.figure_safe`) and ready to be drawn once
    (:func:`core.charts.payload.browser_payload`), once per figure object, and sent as it
    is, without Streamlit rebuilding and validating a plotly figure on every rerun."""
    return _Shown(_safe_dict(fig))


#: Attribute under which a figure keeps its safe dict (:func:`_safe_dict`).
_SAFE_ATTR = "_myoscope_safe_dict"


def _safe_dict(fig: object) -> dict:
    """The figure made safe (:func:`core.safe_text.figure_safe`) and ready to be drawn
    once (:func:`core.charts.payload.browser_payload`), once per figure object: a figure
    from the cache (``ui.cache``) is drawn again without being converted again. The dict
    is kept on the figure itself, so it lives exactly as long as the figure (no
    server-wide table holding the figures of finished sessions).

    Its ``layout.width`` is left out: ``st.plotly_chart(width="stretch")`` draws the
    figure at the width of its column anyway, and a different width in the figure made
    Streamlit draw it twice on every change (at the figure's width, then the column's).
    The figure's margins and legend rows were sized for about that width."""
    hit = getattr(fig, _SAFE_ATTR, None)
    if isinstance(hit, dict):
        return hit
    safe = browser_payload(figure_safe(fig))
    safe["layout"] = {k: v for k, v in (safe.get("layout") or {}).items() if k != "width"}
    try:
        setattr(fig, _SAFE_ATTR, safe)
    except (AttributeError, TypeError):  # not a plotly figure (a dict): converted each time
        pass
    return safe


class _Shown(go.Figure):
    """A figure dict handed to ``st.plotly_chart`` as it is.

    Given a dict, Streamlit rebuilds a validated ``go.Figure`` from it on every rerun
    (``plotly.tools.return_figure_from_figure_or_data``), the largest part of drawing a
    figure; given a figure, it takes ``to_dict()``. The figure builders set only valid
    properties, :func:`core.safe_text.figure_safe` only escapes text and
    :func:`core.charts.payload.browser_payload` only writes the template out, so the dict
    is sent as it is (``tests/pages`` read it).
    """

    def __init__(self, spec: dict) -> None:  # no plotly state: only to_dict is used
        self._spec = spec

    def to_dict(self) -> dict:
        return self._spec


def slide_table(table: pd.DataFrame, title: str, n: int | None, footnote: str) -> None:
    """In presentation mode, a table slide (the page shows its own table otherwise)."""
    if view_ui.presenting():
        view_ui.add_slide(view_ui.Slide(title, n, footnote, table=table))


def show_guardrails(messages: list[str]) -> None:
    """Small-sample and data-quality notes, shown, never hidden."""
    for m in messages:
        st.warning(md(m))


@contextmanager
def lazy_expander(label: str, key: str, expanded: bool = False) -> Iterator[bool]:
    """An expander whose content is built and drawn only while it is open; yields whether
    to build it.

    Streamlit draws a closed expander's content (hidden) on every rerun, so a closed panel
    of tables slows every filter change. This one reruns the page when it is opened or
    closed (``on_change="rerun"``). For panels without widgets (tables, text, downloads):
    a widget in a closed panel would lose its value. Presentation mode builds every panel
    (its slides come from them).
    """
    box = st.expander(label, expanded=expanded, key=key, on_change="rerun")
    with box:
        yield is_shown(box)


def is_shown(container: object, every: bool | None = None) -> bool:
    """Whether to build the content of a tab or an expander created with
    ``on_change="rerun"``: when it is open (Streamlit's ``.open``), or always when ``every``
    (default: in presentation mode, whose slides are built from every panel). ``None`` (a
    tab that does not exist) is never shown."""
    if container is None:
        return False
    if every is None:
        every = view_ui.presenting()
    return every or getattr(container, "open", None) is not False


def methods_box(text: str, key: str, basename: str = "methods") -> None:
    """The methods paragraph, copyable and downloadable."""
    with lazy_expander(_("Methods text (for your manuscript)"), key=f"{key}_methods_box") as shown:
        if not shown:
            return
        st.markdown(md(text))
        st.download_button(_("⬇ Methods (.txt)"), data=text.encode("utf-8"), file_name=f"{_safe(basename)}.txt", mime="text/plain", key=f"{key}_methods", on_click="ignore")


def kept_upload(up: Any, key: str) -> tuple[str, bytes] | None:
    """The file of an uploader drawn only sometimes (in a tab or a panel drawn when open):
    the one in it, else the one uploaded before the panel was closed, which Streamlit's
    uploader forgets (a caption says which file is used). Removing the file with the
    uploader's ✕ forgets it. Returns ``(file name, bytes)`` or ``None``.

    ``up`` is the uploader's value and ``key`` its key; call it on every run that draws
    the uploader.
    """
    ss = st.session_state
    run = ss.get(RUN_NUMBER, 0)
    kept_key, drawn_key = f"_kept.{key}", f"_drawn.{key}"
    if up is not None:
        ss[kept_key] = (up.name, up.getvalue())
    elif ss.get(drawn_key) == run - 1:  # drawn on the last run and empty now: the user removed it
        ss.pop(kept_key, None)
    ss[drawn_key] = run
    kept = ss.get(kept_key)
    if up is None and kept is not None:
        st.caption(_("Using {file}, uploaded earlier (upload another file to replace it).", file=md(kept[0])))
    return kept


def keep_values(keys: Iterable[str], restore: bool) -> None:
    """Widgets drawn only sometimes (a tab drawn when open, another page) keep their values.

    Streamlit forgets a widget's value after a run that does not draw it. On each run the
    value of each key still present is copied under ``_kept.<key>``; on a run that draws the
    widgets again (``restore``), a forgotten value is put back before they are created
    (``global.disableWidgetStateDuplicationWarning`` in ``.streamlit/config.toml``: this is
    intended, not a conflict with the widget's default).
    """
    ss = st.session_state
    for key in keys:
        kept = f"_kept.{key}"
        if key in ss:
            ss[kept] = ss[key]
        elif restore and kept in ss:
            ss[key] = ss[kept]
