"""The app's language: English (default) or French, for everything a user reads.

The language is the view setting ``g.lang`` (:mod:`core.view`): in the address as
``?lang=fr`` (``g.lang=fr`` is accepted too), in a saved view (``view.json``), and chosen
in the sidebar (:func:`selector`). :func:`start` sets :func:`core.i18n.set_language` at the
very start of each run, before anything is drawn (page titles included), and
:func:`sync` again at the start of a callback (Streamlit runs callbacks before the script,
in a fresh thread). Widget *values* never depend on the language: options are shown
through ``format_func``, so the address and the numbers do not change with it.

The bundled sample dictionary (``sample_data/dictionary.csv``) has a French label column
(``label_fr``): :func:`localized` gives the pages a dictionary whose labels are French
where the cohort's label is still the bundled English one; a user's own wording is kept.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from functools import cache
from typing import Any

import streamlit as st

from core.i18n import LANGUAGE_NAMES, LANGUAGES, _, catalog, language, set_language
from core.io import SAMPLE_DIR
from core.schema import SUBTYPE_LABELS, DataDictionary

#: The address's key of the language (the setting ``g.lang``).
URL_KEY = "lang"
SETTING = "g.lang"
WIDGET = "ui_lang"
_VIEW = "_view"  # ui.view_ui.VIEW (no import: ui.view_ui imports this module)


def _from_address() -> str:
    params = st.query_params
    lang = params.get(URL_KEY) or params.get(SETTING) or "en"
    return lang if lang in LANGUAGES else "en"


def current() -> str:
    """The session's language: its view's ``g.lang``, else the address's (first run)."""
    ss = st.session_state
    if _VIEW in ss and ss.get("_view_started"):
        lang = ss[_VIEW].get(SETTING, "en")
        return lang if lang in LANGUAGES else "en"
    return _from_address()


def start() -> str:
    """Set the language of this run (call first thing in ``app.py``)."""
    lang = current()
    set_language(lang)
    return lang


sync = start  # at the start of a callback


def _changed() -> None:
    ss = st.session_state
    lang = ss.get(WIDGET, "en")
    vals = ss.setdefault(_VIEW, {})
    if lang == "en":
        vals.pop(SETTING, None)
    else:
        vals[SETTING] = lang
    set_language(lang)
    _resend_widget_values()


def _resend_widget_values() -> None:
    """Put every widget's value back into the session, so that this run sends it to the browser
    again in the new language.

    A select widget's value travels as its *shown* text (``format_func``): without this, the
    browser would keep showing the old language's text and send it back at the next rerun,
    where it no longer names an option.
    """
    from streamlit.errors import StreamlitAPIException

    ss = st.session_state
    for key in list(ss.keys()):
        if key == WIDGET or str(key).startswith("_"):
            continue
        try:
            value = ss[key]
            # text values only: select boxes, radios, multiselects (buttons, toggles, uploads and
            # editors hold no words, and a button's value cannot be set)
            if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                ss[key] = value
        except (StreamlitAPIException, KeyError, TypeError, ValueError):
            continue


def selector(where: Any) -> None:
    """The sidebar's language choice (English / Français), bound to ``g.lang``."""
    ss = st.session_state
    ss[WIDGET] = language()
    where.selectbox(_("Language"), list(LANGUAGES), key=WIDGET, format_func=LANGUAGE_NAMES.get,
                    on_change=_changed)


# ---------------------------------------------------------------------------- labels
@cache
def _bundled_labels() -> dict[str, tuple[str, str]]:
    """Column name -> (English label, French label) of the bundled dictionary."""
    with (SAMPLE_DIR / "dictionary.csv").open(encoding="utf-8-sig", newline="") as fh:
        return {r["name"].strip(): (r["label"].strip(), (r.get("label_fr") or "").strip())
                for r in csv.DictReader(fh) if r.get("name")}


_LOCALIZED: dict[tuple[int, str], tuple[DataDictionary, DataDictionary]] = {}


def localized(dictionary: DataDictionary) -> DataDictionary:
    """``dictionary`` with the bundled French labels in French (the same object in English,
    and for the columns whose label the user wrote)."""
    lang = language()
    if lang == "en":
        return dictionary
    hit = _LOCALIZED.get((id(dictionary), lang))
    if hit is not None and hit[0] is dictionary:
        return hit[1]
    bundled = _bundled_labels()
    entries = []
    for info in dictionary.entries:
        en, fr = bundled.get(info.name, ("", ""))
        entries.append(replace(info, label=fr) if fr and info.label == en else info)
    out = replace(dictionary, entries=tuple(entries))
    if len(_LOCALIZED) > 64:
        _LOCALIZED.clear()
    _LOCALIZED[(id(dictionary), lang)] = (dictionary, out)
    return out


def subtype_label(value: Any) -> str:
    """An antibody subtype's display name in the current language."""
    return _(SUBTYPE_LABELS.get(str(value), str(value)))


def sex_label(value: Any) -> str:
    """F / M -> Female / Male (Femme / Homme)."""
    return {"F": _("Female"), "M": _("Male")}.get(str(value), str(value))


__all__ = ["SETTING", "URL_KEY", "current", "localized", "selector", "sex_label", "start", "subtype_label", "sync"]


def translated(text: Any) -> Any:
    """``text`` in the current language when the catalogue has it, else unchanged (a data value,
    or a header the core already translated)."""
    cat = catalog(language())
    if cat is None or not isinstance(text, str) or not text:
        return text
    msg = cat.get(text)
    return _(text) if msg is not None and msg.string and not isinstance(msg.string, (tuple, list)) else text


def headers(frame: Any, *values: str) -> Any:
    """A core table for display: its column names (and the cells of the columns ``values``,
    which hold words such as a feature group) in the current language; numbers unchanged."""
    if language() == "en":
        return frame
    out = frame.rename(columns=translated)
    for col in values:
        shown = translated(col)
        if shown in out.columns:
            out[shown] = out[shown].map(translated)
    return out


def shown_as(func: Any, options: Any) -> Any:
    """A ``format_func`` for ``options`` with their names computed now, in this run's language
    (Streamlit may call a format_func outside the run's thread, where the language is not set)."""
    names = {o: func(o) for o in options}
    return lambda v: names.get(v, str(v))
