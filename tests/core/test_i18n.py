"""core.i18n: catalogue, plural forms and the language's number conventions (issue 13)."""

from __future__ import annotations

import datetime

from core.i18n import (
    _,
    fmt_ci_label,
    fmt_date,
    fmt_number,
    fmt_p,
    fmt_p_equals,
    fmt_pct,
    language,
    n_,
    using,
)


def test_english_is_the_source_language():
    with using("en"):
        assert _("Language") == "Language" and n_("{n} patient", "{n} patients", 3) == "3 patients"
        assert (fmt_p(0.00794682), fmt_p(0.0004), fmt_p_equals(0.0001), fmt_pct(54.6), fmt_ci_label()) == (".008", "<.001", "P < .001", "54.6%", "95% CI")


def test_french_catalogue_plurals_and_numbers():
    with using("fr"):
        assert language() == "fr" and _("Language") == "Langue"
        assert n_("{n} patient", "{n} patients", 1) == "1 patient" and n_("{n} patient", "{n} patients", 0) == "0 patient"
        assert fmt_p_equals(0.00794682) == "P = 0,008" and fmt_p(0.0004) == "<0,001" and fmt_p(0.995) == ">0,99"
        assert fmt_pct(54.6) == "54,6\u202f%" and fmt_ci_label() == "IC à 95\u202f%" and fmt_number(5.115, 2) == "5,12"
        assert fmt_date(datetime.date(2020, 1, 3)) == "03/01/2020"
    assert language() == "en"  # restored


def test_catalogues_agree_and_load_cleanly():
    """The per-area catalogues never translate one message two ways, and load without warnings."""
    import warnings
    from pathlib import Path

    from babel.messages.pofile import read_po

    seen: dict[object, tuple[str, object]] = {}
    for po in sorted((Path(__file__).resolve().parents[2] / "core" / "locale" / "fr").glob("*.po")):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with po.open("rb") as fh:
                cat = read_po(fh, locale="fr")
        for m in cat:
            if not m.id:
                continue
            key = m.id if isinstance(m.id, str) else tuple(m.id)
            if key in seen:
                assert seen[key][1] == m.string, (key, seen[key][0], po.name)
            seen.setdefault(key, (po.name, m.string))
