"""Languages: English (default) and French, for every text a user reads.

One message catalogue per language, in the standard gettext ``.po`` format
(``core/locale/<lang>/*.po``, one file per area of the code so that they can be edited
apart; they are merged when loaded), read with Babel (``babel.messages.pofile``), plural
forms included (``nplurals=2; plural=(n > 1)`` for French). English is the source
language: an English message is its own translation.

* :func:`_` translates a message and fills its **named** placeholders
  (``_("{n} patients", n=3)``): sentences are never assembled by concatenation, so a
  translation can reorder them.
* :func:`n_` chooses the plural form for ``n``.
* :func:`fmt_number`, :func:`fmt_p`, :func:`fmt_pct`, :func:`fmt_ci_label`,
  :func:`fmt_date` follow the language's conventions in displayed text and exports:
  decimal comma, a narrow no-break space before ``%``, "IC à 95 %", "P = 0,008",
  dd/mm/yyyy (Babel's CLDR data). Full-precision CSV/JSON stay machine-readable
  (decimal point) in both languages: they never go through these functions.

* :func:`core_label` and :func:`subtype_label` give Myoscope's own names of canonical
  columns and antibody subtypes in the current language (a user's labels stay as written).
* :func:`recording_missing` (tests) records the msgids looked up without a translation.

``core.formatting`` (``format_p``, ``format_ratio``, ``format_ci``, ``format_n_of_N``) is
built on these functions, so every table the core formats follows the language.

The current language is a context variable (:func:`set_language`, :func:`using`): the
app sets it at each run from the view's ``g.lang`` setting, the CLI from ``--lang``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES: tuple[str, ...] = ("en", "fr")
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "fr": "Français"}
LOCALES: dict[str, str] = {"en": "en_US", "fr": "fr_FR"}
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: Narrow no-break space (French typography before % and in thousands).
NNBSP = "\u202f"

_LANG: ContextVar[str] = ContextVar("myoscope_language", default="en")


def language() -> str:
    """The current language code (``en`` or ``fr``)."""
    return _LANG.get()


def set_language(lang: str) -> None:
    """Make ``lang`` the current language (unknown codes fall back to English)."""
    _LANG.set(lang if lang in LANGUAGES else "en")


@contextlib.contextmanager
def using(lang: str) -> Iterator[None]:
    """Run a block in ``lang``, then restore the previous language."""
    token = _LANG.set(lang if lang in LANGUAGES else "en")
    try:
        yield
    finally:
        _LANG.reset(token)


@cache
def catalog(lang: str) -> Any:
    """The merged catalogue of ``lang`` (a ``babel.messages.catalog.Catalog``), or None."""
    if lang == "en":
        return None
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    merged = Catalog(locale=LOCALES[lang].split("_")[0])
    for po in sorted((LOCALE_DIR / lang).glob("*.po")):
        with po.open("rb") as fh:
            for msg in read_po(fh, locale=LOCALES[lang].split("_")[0]):
                if msg.id and msg.string and not msg.fuzzy:
                    merged[msg.id] = msg
    return merged


@cache
def _plural_rule(expr: str) -> Any:
    """The catalogue's ``Plural-Forms`` expression as a function (stdlib ``gettext.c2py``)."""
    import gettext

    return gettext.c2py(expr)


#: Test-only hook: while a set is installed here (:func:`recording_missing`), every msgid
#: looked up in a non-English language without a translation is added to it. Process-wide
#: (not a context variable), so that it also sees the threads Streamlit's AppTest runs pages in.
_MISSING: list[set] = []


@contextlib.contextmanager
def recording_missing() -> Iterator[set]:
    """Record the msgids looked up without a translation during the block (for tests)."""
    found: set = set()
    _MISSING.append(found)
    try:
        yield found
    finally:
        _MISSING.remove(found)


def _lookup(msgid: str | tuple[str, str], n: int | None = None) -> str | None:
    cat = catalog(language())
    if cat is None:
        return None
    msg = cat.get(msgid)
    if msg is None or not msg.string:
        for missing in _MISSING:
            missing.add(msgid)
        return None
    if isinstance(msg.string, (tuple, list)):
        index = _plural_rule(cat.plural_expr)(n if n is not None else 1)
        return msg.string[min(index, len(msg.string) - 1)] or None
    return str(msg.string)


def _(message: str, **values: Any) -> str:
    """``message`` in the current language, with its named placeholders filled."""
    text = _lookup(message) or message
    return text.format(**values) if values else text


def n_(singular: str, plural: str, n: int, **values: Any) -> str:
    """The singular or plural form for ``n`` (``{n}`` is filled with ``n``)."""
    text = _lookup((singular, plural), n)
    if text is None:
        text = singular if n == 1 else plural
    return text.format(n=n, **values)


def has_translation(message: str) -> bool:
    """Whether the current language's catalogue holds ``message`` (English: always)."""
    return language() == "en" or _lookup(message) is not None



def core_label(column: str, label: str) -> str:
    """``label`` of ``column`` in the current language when it is Myoscope's own label of a
    canonical column (``Date of death`` -> ``Date de décès``); a label the user gave (data
    dictionary, file header) is shown as written."""
    from core.schema import CORE_COLUMNS

    info = CORE_COLUMNS.get(column)
    if language() == "en" or info is None or label != info.label:
        return label
    return _(label)


def subtype_label(code: str) -> str:
    """The label of an antibody subtype code in the current language (``anti-Mi2``;
    ``seronegative`` -> ``séronégatif``)."""
    from core.schema import SUBTYPE_LABELS

    label = SUBTYPE_LABELS.get(code, code)
    return _(label) if code in ("multiple", "seronegative", "untested") else label

# ------------------------------------------------------------------ numbers and dates
def fmt_number(x: float | None, decimals: int = 1) -> str:
    """A number with ``decimals`` decimals in the current language ("0,5" in French);
    ``—`` for a missing value."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if isinstance(x, float) and math.isinf(x):
        return "∞" if x > 0 else "−∞"
    text = f"{x:.{decimals}f}"
    return text.replace(".", ",") if language() == "fr" else text


def fmt_pct(x: float | None, decimals: int = 1) -> str:
    """A percentage (``54.6%``; ``54,6 %`` with a narrow no-break space in French)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return fmt_number(x, decimals) + (f"{NNBSP}%" if language() == "fr" else "%")


def _p_text_en(p: float, digits: int) -> str:
    """The English journal form of a (non-missing) P value."""
    if p < 0.001:
        return "<.001"
    if p > 0.99:
        return ">.99"
    if p < 0.01:
        text = f"{p:.3f}"
    else:
        text = f"{p:.{digits}f}"
        if text == "1.00":
            return ">.99"
    return text.removeprefix("0")


def fmt_p(p: float | None, digits: int = 2) -> str:
    """A P value as journals print it: ``.008``, ``<.001``, ``>.99`` in English;
    ``0,008``, ``<0,001``, ``>0,99`` in French (French keeps the leading zero).
    ``core.formatting.format_p`` is this function."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "—"
    text = _p_text_en(float(p), digits)
    if language() != "fr":
        return text
    return text.replace(".", "0,", 1)


def fmt_p_equals(p: float | None, digits: int = 2) -> str:
    """``P = .008`` / ``P < .001`` (French: ``P = 0,008`` / ``P < 0,001``)."""
    text = fmt_p(p, digits)
    if text[:1] in ("<", ">"):
        return f"P {text[0]} {text[1:]}"
    return f"P = {text}"


def fmt_ci_label(level: float = 0.95) -> str:
    """``95% CI`` (French: ``IC à 95 %``)."""
    pct = f"{100 * level:g}"
    return f"IC à {pct.replace('.', ',')}{NNBSP}%" if language() == "fr" else f"{pct}% CI"


def fmt_date(d: date | datetime | None) -> str:
    """A date: ``yyyy-mm-dd`` in English, ``dd/mm/yyyy`` in French; ``—`` when missing."""
    import pandas as pd

    if d is None or pd.isna(d):
        return "—"
    return d.strftime("%d/%m/%Y") if language() == "fr" else d.strftime("%Y-%m-%d")


__all__ = [
    "LANGUAGES", "LANGUAGE_NAMES", "_", "catalog", "core_label", "fmt_ci_label", "fmt_date", "fmt_number", "fmt_p",
    "fmt_p_equals", "fmt_pct", "has_translation", "language", "n_", "recording_missing", "set_language", "subtype_label", "using",
]
