"""The core in French (issue 13): every message the core produces is in the catalogue, the
numbers are the same in both languages apart from their formatting, and English is unchanged.

The main analyses run on the sample cohort under ``using("fr")`` while
:func:`core.i18n.recording_missing` records every msgid looked up without a French
translation; the record must stay empty. A static check also reads every ``_()``/``n_()``
call with a literal message in the core modules and looks it up in the catalogue, so
messages no run reaches (rare errors) are covered too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core import cancer_risk, compare, interferon, survival
from core.cancer_timing import cancer_timing, cumulative_incidence
from core.filters import FilterSpec, apply_filters
from core.formatting import format_ci, format_n_of_N, format_p, format_ratio
from core.groups import GroupSpec, assign_groups
from core.i18n import NNBSP, catalog, fmt_p, recording_missing, using
from core.io import load_sample_cohort, read_cohort, sample_dictionary
from core.published import compare_with_published, load_published_table
from core.rates import load_bundled_rates
from core.summary import cohort_summary, patient_labels, subtype_table

ROOT = Path(__file__).resolve().parents[2]
TABLE1 = ROOT / "sample_data" / "monseau2020_table1.csv"
#: Core modules whose messages go through the catalogue ``core/locale/fr/core.po``.
MODULES = ("validate", "io", "reader", "cleaning", "groups", "filters", "summary", "compare", "survival",
           "cancer_risk", "cancer_timing", "formatting", "published", "interferon", "events", "rates", "stats", "presets")

#: A cohort file with a problem of each kind (duplicate id, impossible age, unknown sex,
#: unreadable number and date, date in the future, cancer without its date, short row).
BAD_FILE = (
    "patient_id,sex,age_at_diagnosis,diagnosis_date,cancer,cancer_date,death,death_date,last_followup_date,ck\n"
    "P1,F,54,2015-03-02,1,,0,,2020-01-01,1200\n"
    "P1,X,130,2015-03-02,0,2014-01-01,0,,2020-01-01,abc\n"
    "P3,M,40,2099-01-01,0,,1,2018-01-01,2019-01-01,300\n"
    "P4,F,61,notadate,0,,0,,2020-01-01\n"
    "P5,M,47,2016-05-05,0,,0,,2021-06-06,250\n"
    "\n"
)


def _to_french(text: str) -> str:
    """The English formatted number as French writes it (P = .008 -> 0,008; 54.6% -> 54,6 %)."""
    text = re.sub(r"(?<![\d])\.(\d)", r"0,\1", text)  # ".008" -> "0,008"
    text = re.sub(r"(\d)\.(\d)", r"\1,\2", text)
    return text.replace("%", f"{NNBSP}%")


@pytest.fixture(scope="module")
def cohort():
    return load_sample_cohort()


def _table_one(cohort):
    df, dictionary = cohort.data, cohort.dictionary
    grouping = assign_groups(df, GroupSpec("binary", "anti_mi2"), dictionary)
    feats = [f for f in load_published_table(TABLE1)["feature"] if f in df.columns] + ["age_at_diagnosis"]
    a, b = grouping.order
    result = compare.compare_groups(df, grouping.labels, a, b, feats, dictionary)
    multi = compare.compare_multi(df, grouping.labels, grouping.order, feats, dictionary)
    filt = apply_filters(df, FilterSpec(age_min=18.0), dictionary)
    return {
        "grouping": grouping, "result": result, "multi": multi,
        "published": compare_with_published(result, load_published_table(TABLE1)),
        "table": compare.display_table(result, overall=multi),
        "multi_table": compare.display_multi_table(multi),
        "pairwise": compare.display_pairwise(multi, "vs_rest"),
        "methods_multi": compare.methods_text_multi(multi, filt.description()),
        "methods": compare.methods_text(result, filt.description()),
        "filters": filt.description(),
    }


def _survival(cohort):
    df = cohort.data
    mi2 = df[df["anti_mi2"] == 1]
    grouping = assign_groups(mi2, GroupSpec("binary", "cancer"), cohort.dictionary)
    sd = survival.survival_data(mi2, unit="years")
    labels = grouping.labels.loc[sd.index]
    result = survival.analyze_survival(sd.time, sd.event, labels, grouping.order, unit="years")
    return {"sd": sd, "result": result, "methods": survival.methods_text(result, "anti-Mi2+", sd)}


def _sir(cohort):
    df = cohort.data
    mi2 = df[df["anti_mi2"] == 1]
    result = cancer_risk.sir_analysis(mi2, load_bundled_rates(), by=cancer_risk.TIME_SINCE_DIAGNOSIS)
    timing = cancer_timing(mi2)
    cif = cumulative_incidence(mi2)
    return {"result": result, "timing": timing, "cif": cif,
            "methods": cancer_risk.methods_text(result, timing=timing)}


def _interferon():
    result = interferon.interferon_scores(interferon.read_qpcr(ROOT / "sample_data" / "qpcr_example.csv"))
    return {"result": result, "methods": interferon.methods_text(result)}


def _validation():
    return read_cohort(BAD_FILE.encode(), "bad.csv", dictionary=sample_dictionary())


def _run_all(cohort):
    out = {"table1": _table_one(cohort), "survival": _survival(cohort), "sir": _sir(cohort),
           "validation": _validation(), "interferon": _interferon()}
    summ = cohort_summary(cohort.data, cohort.dictionary)
    out["summary"] = (summ.age_text(), subtype_table(summ), patient_labels(cohort.data.head(5)))
    return out


@pytest.fixture(scope="module")
def runs(cohort):
    with using("en"):
        en = _run_all(cohort)
    with using("fr"), recording_missing() as missing:
        fr = _run_all(cohort)
    return en, fr, missing


# ------------------------------------------------------------------ (a) catalogue
def test_every_message_of_the_french_run_is_translated(runs):
    _en, _fr, missing = runs
    assert not missing, sorted(map(str, missing))


def _literal_msgids() -> list[tuple[str, int, str | tuple[str, str]]]:
    found = []
    for name in MODULES:
        path = ROOT / "core" / f"{name}.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "n_")):
                continue
            args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in node.args[:2]]
            if node.func.id == "_" and args and args[0] is not None:
                found.append((name, node.lineno, args[0]))
            elif node.func.id == "n_" and len(args) == 2 and None not in args:
                found.append((name, node.lineno, (args[0], args[1])))
    return found


def test_every_literal_message_of_the_core_is_in_the_catalogue():
    msgids = _literal_msgids()
    assert len(msgids) > 150
    cat = catalog("fr")
    missing = [(m, line, msg) for m, line, msg in msgids if cat.get(msg) is None or not cat.get(msg).string]
    assert not missing, missing


def test_translations_keep_their_placeholders():
    cat = catalog("fr")
    names = re.compile(r"\{(\w+)")
    for msg in cat:
        if not msg.id:
            continue
        src = msg.id if isinstance(msg.id, str) else msg.id[1]
        for text in (msg.string,) if isinstance(msg.string, str) else msg.string:
            assert set(names.findall(text)) <= set(names.findall(src)), (msg.id, text)


# ------------------------------------------------------------------ (b) same numbers
def test_table_one_same_numbers_french_formatting(runs):
    en, fr = runs[0]["table1"], runs[1]["table1"]
    num = en["result"].rows.select_dtypes("number").columns
    pd.testing.assert_frame_equal(en["result"].rows[num], fr["result"].rows[num])
    t_en, t_fr = en["table"], fr["table"]
    assert t_fr.columns[0] == "Caractéristique" and "OR (IC à 95\u202f%)" in t_fr.columns
    assert "Total" in t_fr.columns and "anti-Mi2+" in t_fr.columns  # group labels are symbols
    for c_en, c_fr in zip(t_en.columns[1:], t_fr.columns[1:], strict=True):
        for a, b in zip(t_en[c_en], t_fr[c_fr], strict=True):
            assert _to_french(a).replace("; n =", "\u202f; n =") == b, (c_en, a, b)
    assert t_fr.iloc[0, 0] == "Patients, n"
    p_fr = [p for p in t_fr["P"] if p]
    assert any(p.startswith("0,") for p in p_fr) and not any("." in p for p in p_fr)


def test_table_one_multi_and_labels(runs):
    en, fr = runs[0]["table1"], runs[1]["table1"]
    m_en, m_fr = en["multi_table"], fr["multi_table"]
    assert m_fr.columns[0] == "Caractéristique" and m_fr.columns[1] == "Total"
    assert list(m_en["P"].map(_to_french)) == list(m_fr["P"])
    assert list(fr["pairwise"].columns)[1:] == [c.replace(" vs rest", " vs reste") for c in list(en["pairwise"].columns)[1:]]
    assert "test de Kruskal-Wallis" in fr["methods_multi"] and "Benjamini & Hochberg 1995" in fr["methods_multi"]
    assert fr["filters"].startswith("âge au diagnostic ≥ 18 ans") and "patients" in fr["filters"]


def test_methods_texts_french_same_references(runs):
    en, fr, _missing = runs
    t1 = fr["table1"]["methods"]
    assert "test exact de Fisher" in t1 and "test de Mann-Whitney" in t1 and "P\u00a0<\u00a00,05" not in t1
    assert "P < 0,05" in t1 and "intervalles de confiance exacts à 95\u202f%" in t1
    s = fr["survival"]["methods"]
    assert "méthode de Kaplan-Meier" in s and "test du log-rank" in s and "modèle de Cox" in s
    assert "Brookmeyer et Crowley" in s and "Greenwood" in s and "1 an = 365,25 jours" in s
    r = fr["sir"]["methods"]
    assert "ratio d'incidence standardisé" in r and "test exact de Poisson" in r and "intervalles de confiance à 95\u202f%" in r
    # the same references in both languages
    for key in ("table1", "survival", "sir"):
        refs = r"fisher\.test|wilcox\.test|survfit|coxph|cox\.zph|poisson\.test|Epi/popEpi|Benjamini-Hochberg|Brookmeyer|Greenwood|Efron|Schoenfeld"
        assert sorted(re.findall(refs, en[key]["methods"])) == sorted(re.findall(refs, fr[key]["methods"])), key
    assert "Incidence cumulée" in fr["sir"]["cif"].note
    ifn = fr["interferon"]["methods"]
    assert "RT-qPCR" in ifn and "Rice et al., Lancet Neurol 2013" in ifn and "témoins sains" in ifn
    assert en["interferon"]["result"].scores.equals(fr["interferon"]["result"].scores)


def test_survival_and_sir_same_numbers(runs):
    en, fr, _missing = runs
    se, sf = en["survival"]["result"], fr["survival"]["result"]
    assert se.logrank.p_value == sf.logrank.p_value
    pd.testing.assert_frame_equal(se.cox.terms.drop(columns=["term", "group"]), sf.cox.terms.drop(columns=["term", "group"]))
    assert [g.median for g in se.groups] == [g.median for g in sf.groups] or all(
        np.isnan(a) and np.isnan(b) for a, b in zip([g.median for g in se.groups], [g.median for g in sf.groups], strict=True))
    assert [t.replace(": yes", "\u00a0: oui").replace(": no", "\u00a0: non") for t in se.cox.terms["term"]] == list(sf.cox.terms["term"])
    re_, rf = en["sir"]["result"], fr["sir"]["result"]
    assert (re_.observed, re_.expected, re_.sir, re_.ci_low, re_.ci_high, re_.p_value) == (
        rf.observed, rf.expected, rf.sir, rf.ci_low, rf.ci_high, rf.p_value)
    assert len(re_.guardrails) == len(rf.guardrails)


def test_validation_report_in_french(runs):
    en, fr = runs[0]["validation"], runs[1]["validation"]
    assert [(p.row, p.column, p.value, p.severity) for p in en.problems] == [
        (p.row, p.column, p.value, p.severity) for p in fr.problems]
    assert len(fr.problems) >= 6
    text = " ".join(p.message for p in fr.problems)
    assert "Identifiant patient en double" in text and "Code de sexe inconnu" in text
    assert "Date de diagnostic dans le futur (après le " in text
    assert re.search(r"après le \d\d/\d\d/\d{4}", text)
    assert "Date de décès est antérieure" in text  # Myoscope's own column labels are translated too
    for p_en, p_fr in zip(en.problems, fr.problems, strict=True):
        assert p_en.message != p_fr.message, p_en.message


def test_summary_in_french(runs):
    en, fr = runs[0]["summary"], runs[1]["summary"]
    assert fr[0] == en[0].replace(".", ",")
    assert list(fr[1].columns) == ["Sous-type d'anticorps", "Patients", "%"]
    assert all(" ans" in v for v in fr[2].values())


# ------------------------------------------------------------------ (c) English unchanged
def test_english_formatting_unchanged():
    with using("en"):
        assert (format_p(0.0076), format_p(0.0004), format_p(0.995), format_ratio(2.345), format_ci(0.5, 1.25),
                format_n_of_N(35, 64)) == (".008", "<.001", ">.99", "2.35", "0.50–1.25", "35/64 (54.7%)")
    with using("fr"):
        assert (format_p(0.0076), format_p(0.0004), format_p(0.995), format_ratio(2.345), format_ci(0.5, 1.25),
                format_n_of_N(35, 64)) == ("0,008", "<0,001", ">0,99", "2,35", "0,50–1,25", "35/64 (54,7\u202f%)")
        assert format_p(0.0321) == fmt_p(0.0321) == "0,03"


def test_english_group_labels_and_messages_unchanged(cohort):
    with using("en"):
        df = cohort.data
        g = assign_groups(df, GroupSpec("subtype", values_a=("Mi2",)), cohort.dictionary)
        assert g.order == ["anti-Mi2", "other subtypes (not anti-Mi2)"]
        assert assign_groups(df, GroupSpec("age", cutoff=50.0)).order == ["age ≥ 50", "age < 50"]
    with using("fr"):
        g = assign_groups(df, GroupSpec("subtype", values_a=("Mi2",)), cohort.dictionary)
        assert g.order == ["anti-Mi2", "autres sous-types (pas anti-Mi2)"]
        assert set(g.labels.dropna()) == set(g.order)  # the French labels are the group keys of the run
        assert assign_groups(df, GroupSpec("age", cutoff=50.0)).order == ["âge ≥ 50", "âge < 50"]
        sero = assign_groups(df, GroupSpec("subtype", values_a=("seronegative",)), cohort.dictionary)
        assert sero.order == ["séronégatif", "autres sous-types (pas séronégatif)"]
