"""Widgets shared by the pages: group picker, downloads, guardrails."""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
import streamlit as st

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
from core.safe_text import figure_safe, md
from core.schema import SUBTYPE_LABELS, DataDictionary

GROUP_KINDS = {
    "subtype": "Antibody subtype vs the rest",
    "binary": "A yes/no column (e.g. anti-Mi2, cancer)",
    "category": "Values of a categorical column",
    "age": "Age at diagnosis cut-off",
}


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "myoscope"


def group_picker(df: pd.DataFrame, dictionary: DataDictionary, key: str, multi: bool = False) -> Grouping:
    """Let the user choose how to split the (filtered) cohort; returns the grouping.

    ``multi=True`` adds "every level of a column" (for survival curves with > 2 groups).
    Stops the page with a message when the choice cannot be applied.
    """
    choices = grouping_choices(df, dictionary)
    kinds = dict(GROUP_KINDS)
    if multi:  # a yes/no split first (anti-Mi2 by default), then any number of levels
        kinds = {"binary": kinds.pop("binary"), "levels": "Every level of a column (2 or more groups)", **kinds}
    if not choices["subtype"]:
        kinds.pop("subtype", None)
    if not choices["binary"]:
        kinds.pop("binary", None)
    if not choices["category"]:
        kinds.pop("category", None)
    if "age_at_diagnosis" not in df:
        kinds.pop("age", None)
    if not kinds:
        st.warning("This cohort has no column to split it by.")
        st.stop()
    c1, c2 = st.columns([1, 2])
    kind = c1.selectbox("Split patients by", list(kinds), format_func=kinds.get, key=f"{key}_kind")
    try:
        if kind == "subtype":
            sub = c2.selectbox("Group A: subtype", choices["subtype"], format_func=lambda v: SUBTYPE_LABELS.get(v, v), key=f"{key}_subtype")
            spec = GroupSpec("subtype", "antibody_subtype", (sub,))
        elif kind == "binary":
            cols = choices["binary"]
            default = cols.index("anti_mi2") if "anti_mi2" in cols else 0
            col = c2.selectbox("Column (group A = yes/positive)", cols, index=default, format_func=dictionary.label, key=f"{key}_binary")
            spec = GroupSpec("binary", col)
        elif kind == "category":
            col = c2.selectbox("Column", choices["category"], format_func=dictionary.label, key=f"{key}_cat")
            values = category_levels(df[col])
            d1, d2 = st.columns(2)
            a = d1.multiselect("Group A values", values, default=values[:1], key=f"{key}_cat_a_{col}")
            b = d2.multiselect("Group B values (empty = all others)", [v for v in values if v not in a], key=f"{key}_cat_b_{col}")
            spec = GroupSpec("category", col, tuple(a), tuple(b))
        elif kind == "levels":
            options = ["antibody_subtype"] + choices["binary"] + [c for c in choices["category"] if c != "antibody_subtype"]
            col = c2.selectbox("Column", options, format_func=dictionary.label, key=f"{key}_levels")
            spec = GroupSpec("levels", col)
        else:
            cut = c2.number_input("Cut-off (years): group A is age ≥ cut-off", min_value=1.0, max_value=110.0, value=50.0, step=1.0, key=f"{key}_age")
            spec = GroupSpec("age", "age_at_diagnosis", cutoff=float(cut))
        return assign_groups(df, spec, dictionary)
    except GroupingError as exc:
        st.warning(md(exc))
        st.stop()
        raise  # pragma: no cover - st.stop raises


def download_table(df: pd.DataFrame, basename: str, key: str, title: str = "", footnote: str = "") -> None:
    """CSV (full precision), XLSX and DOCX download buttons for a table.

    Files are produced when clicked (deferred), not at every rerun.
    """
    name = _safe(basename)
    c1, c2, c3 = st.columns(3)
    c1.download_button("⬇ CSV", data=lambda: table_to_csv(df), file_name=f"{name}.csv", mime="text/csv", key=f"{key}_csv", on_click="ignore")
    c2.download_button("⬇ Excel", data=lambda: table_to_xlsx(df, title=title, footnote=footnote), file_name=f"{name}.xlsx", mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"{key}_xlsx", on_click="ignore")
    c3.download_button("⬇ Word", data=lambda: table_to_docx(df, title=title, footnote=footnote), file_name=f"{name}.docx", mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document", key=f"{key}_docx", on_click="ignore")


def _render(fig: object, fmt: str) -> Callable[[], bytes]:
    def make() -> bytes:
        try:
            return figure_to_image(fig, fmt)
        except ExportError as exc:
            return str(exc).encode("utf-8")

    return make


def download_figure(fig: object, basename: str, key: str) -> None:
    """PNG and SVG download buttons (slide size 1600×900; PNG at 2× scale).

    The image is rendered locally by kaleido when the button is clicked.
    """
    name = _safe(basename)
    c1, c2 = st.columns(2)
    c1.download_button("⬇ PNG (slide)", data=_render(fig, "png"), file_name=f"{name}.png", mime="image/png", key=f"{key}_png", on_click="ignore")
    c2.download_button("⬇ SVG", data=_render(fig, "svg"), file_name=f"{name}.svg", mime="image/svg+xml", key=f"{key}_svg", on_click="ignore")


def show_figure(fig: object, basename: str, key: str) -> None:
    """A plotly figure whose camera button saves a slide-sized PNG in the browser.

    ``theme=None`` keeps the figure's own (journal) fonts and colours.
    """
    st.plotly_chart(figure_safe(fig), config=plotly_config(_safe(basename)), key=key, theme=None, width="stretch")


def show_guardrails(messages: list[str]) -> None:
    """Small-sample and data-quality notes, shown, never hidden."""
    for m in messages:
        st.warning(md(m))


def methods_box(text: str, key: str, basename: str = "methods") -> None:
    """The methods paragraph, copyable and downloadable."""
    with st.expander("Methods text (for your manuscript)"):
        st.markdown(md(text))
        st.download_button("⬇ Methods (.txt)", data=text.encode("utf-8"), file_name=f"{_safe(basename)}.txt", mime="text/plain", key=f"{key}_methods", on_click="ignore")
