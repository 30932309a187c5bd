"""Issue 13 in the outputs: figures, the meeting bundle, exports and the command line in
French (``core.i18n.using("fr")``, ``myoscope --lang fr``).

Every msgid looked up while building them has a French translation
(:func:`core.i18n.recording_missing`), the numbers are the same as in English apart from
their formatting (decimal comma, ``P = 0,008``, ``IC à 95 %``), and the machine-readable
outputs (JSON, full-precision sheets) are unchanged.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

import numpy as np
import pytest

from core.cli import main as cli
from core.i18n import NNBSP, recording_missing, using
from core.io import SAMPLE_DIR, load_sample_cohort

SAMPLE = str(SAMPLE_DIR / "cohort.csv")
MI2 = '{"antibody_subtype": ["Mi2"]}'
_NUMBER = re.compile(r"(?<![\w])[<>]?\d*[.,]?\d+")


@pytest.fixture(scope="module")
def cohort():
    return load_sample_cohort()


@pytest.fixture(scope="module")
def mi2(cohort):
    return cohort.data[cohort.data["antibody_subtype"] == "Mi2"]


def _numbers(text: str) -> list[float]:
    """The numbers of a text, French or English (``0,008`` = ``.008`` = 0.008)."""
    out = []
    for m in _NUMBER.findall(text.replace(NNBSP, "")):
        out.append(float(m.lstrip("<>").replace(",", ".")))
    return out


def _strings(obj: Any) -> list[str]:
    """Every text of a figure's JSON (titles, axes, legends, hover, annotations)."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _strings(v)]
    if isinstance(obj, (list, tuple)):
        return [s for v in obj for s in _strings(v)]
    return []


def _in_both(build):
    """``build()`` in English and in French, with the msgids missing in French."""
    with using("en"):
        en = build()
    with using("fr"), recording_missing() as missing:
        fr = build()
    return en, fr, set(missing)


def _same_data(en, fr) -> None:
    """The traces draw the same numbers in both languages."""
    assert len(en.data) == len(fr.data)
    for a, b in zip(en.data, fr.data, strict=True):
        for attr in ("x", "y", "z", "base"):
            va, vb = getattr(a, attr, None), getattr(b, attr, None)
            if va is None or (len(va) and isinstance(np.asarray(va, dtype=object).flat[0], str)):
                continue
            np.testing.assert_array_equal(np.asarray(va, dtype=float), np.asarray(vb, dtype=float))


# ------------------------------------------------------------------ figures
def _survival_result(mi2, cohort):
    from core.cli import grouping_for
    from core.survival import analyze_survival, survival_data

    grouping = grouping_for(mi2, cohort.dictionary, "cancer", None, two_groups=False)
    sd = survival_data(mi2, origin="diagnosis_date", event="death", event_date="death_date",
                       censor_date="last_followup_date", unit="months")
    labels = grouping.labels.loc[sd.index]
    return analyze_survival(sd.time, sd.event, labels, grouping.order, unit="months", reference=grouping.order[-1])


def test_kaplan_meier_in_french(mi2, cohort):
    from core.charts.survival import km_figure

    res = _survival_result(mi2, cohort)
    en, fr, missing = _in_both(lambda: km_figure(res, show_cumulative_events=True))
    assert not missing
    _same_data(en, fr)
    notes = [a.text for a in fr.layout.annotations]
    assert "Log-rank χ²(1) = 7,05, P = 0,008" in notes
    assert "Log-rank χ²(1) = 7.05, P = .008" in [a.text for a in en.layout.annotations]
    assert "Nombre à risque (événements cumulés)" in notes
    assert fr.layout.yaxis.title.text == "Probabilité de survie"
    assert fr.layout.xaxis.title.text == "Temps (mois)"
    assert fr.layout.separators == ", " and en.layout.separators is None  # plotly's own numbers: decimal comma
    hover = " ".join(t.hovertemplate or "" for t in fr.data)
    assert "à risque" in hover and "at risk" not in hover
    # risk-table numbers identical
    assert [t.text for t in en.data if t.mode == "text"] == [t.text for t in fr.data if t.mode == "text"]


def test_forest_plot_in_french(cohort):
    from core.charts.compare import forest_plot
    from core.cli import grouping_for
    from core.compare import compare_groups

    df = cohort.data
    g = grouping_for(df, cohort.dictionary, "anti_mi2", None, two_groups=True)
    feats = [e.name for e in cohort.dictionary.features() if e.name in df and e.name != "anti_mi2"]
    res = compare_groups(df, g.labels, g.order[0], g.order[1], feats, cohort.dictionary)
    en, fr, missing = _in_both(lambda: forest_plot(res))
    assert not missing
    _same_data(en, fr)
    notes = [a.text for a in fr.layout.annotations]
    assert f"<b>OR (IC à 95{NNBSP}%)</b>" in notes
    assert "<b>OR (95% CI)</b>" in [a.text for a in en.layout.annotations]
    assert "échelle logarithmique" in fr.layout.xaxis.title.text
    en_cells = [a.text for a in en.layout.annotations if a.xshift == 12][:-1]
    fr_cells = [a.text for a in fr.layout.annotations if a.xshift == 12][:-1]
    assert en_cells and [_numbers(t) for t in en_cells] == [_numbers(t) for t in fr_cells]
    assert any("," in t for t in fr_cells)


def test_sir_timing_and_incidence_figures_in_french(mi2):
    from core.cancer_risk import TIME_SINCE_DIAGNOSIS, sir_analysis
    from core.cancer_timing import cancer_timing, cumulative_incidence
    from core.charts.cancer_risk import (
        cumulative_incidence_figure,
        forest_figure,
        timing_figure,
    )
    from core.rates import load_bundled_rates

    rates = load_bundled_rates()
    res = sir_analysis(mi2, rates, 3.0, 3.0, by=TIME_SINCE_DIAGNOSIS)
    en, fr, missing = _in_both(lambda: forest_figure(res))
    assert not missing
    _same_data(en, fr)
    notes = [a.text for a in fr.layout.annotations]
    assert f"<b>O / E   SIR (IC à 95{NNBSP}%)</b>" in notes and "Tous les patients" in notes
    assert fr.layout.xaxis.title.text.startswith("Ratio d’incidence standardisé")
    en_right = [a.text for a in en.layout.annotations if a.x == 1 and a.xanchor == "left"]
    fr_right = [a.text for a in fr.layout.annotations if a.x == 1 and a.xanchor == "left"]
    assert [_numbers(t) for t in en_right[:-1]] == [_numbers(t) for t in fr_right[:-1]]

    timing = cancer_timing(mi2)
    en, fr, missing = _in_both(lambda: timing_figure(timing))
    assert not missing
    _same_data(en, fr)
    assert "Délai entre le diagnostic de DM et le cancer (jours\u00a0; négatif = avant)" == fr.layout.xaxis.title.text
    assert "fenêtre ±3 ans" in [a.text for a in fr.layout.annotations]
    assert {t.name for t in fr.data} <= {"dans la fenêtre", "hors fenêtre"}

    cif = cumulative_incidence(mi2, unit="months")
    en, fr, missing = _in_both(lambda: cumulative_incidence_figure(cif))
    assert not missing
    _same_data(en, fr)
    assert fr.layout.yaxis.title.text == "Incidence cumulée du cancer (%)"
    assert fr.layout.xaxis.title.text == "Temps depuis le diagnostic de DM (mois)"


def test_patient_figures_in_french(mi2):
    from core.charts.patient import (
        fold_change_figure,
        patient_timeline_figure,
        score_figure,
    )
    from core.events import load_events, patient_course, with_cohort_events
    from core.interferon import interferon_scores, read_qpcr

    events = load_events(SAMPLE_DIR / "events.csv")
    pid = next(p for p in events.patient_ids if p in set(mi2["patient_id"].astype(str)))
    row = mi2[mi2["patient_id"].astype(str) == pid].iloc[0]
    table, _added = with_cohort_events(events, row)
    course = patient_course(table, pid, row.get("diagnosis_date"))
    en, fr, missing = _in_both(lambda: patient_timeline_figure(course))
    assert not missing
    _same_data(en, fr)
    assert fr.layout.title.text == f"Patient {pid}"
    axis_titles = [getattr(fr.layout, k).title.text for k in fr.layout if k.startswith(("xaxis", "yaxis"))]
    assert "Mois depuis le diagnostic" in axis_titles and "Événements" in axis_titles
    dates = [d for t in fr.data if t.customdata is not None for d in np.asarray(t.customdata).ravel().tolist()
             if isinstance(d, str) and re.fullmatch(r"[\d/-]{10}", d)]
    assert dates and all(re.fullmatch(r"\d\d/\d\d/\d{4}", d) for d in dates)  # dd/mm/yyyy in French

    res = interferon_scores(read_qpcr(SAMPLE_DIR / "qpcr_example.csv"), reference_genes=["HPRT1", "18S"])
    for build in (lambda: fold_change_figure(res), lambda: score_figure(res)):
        en, fr, missing = _in_both(build)
        assert not missing
        _same_data(en, fr)
        assert "Interféron" in fr.layout.title.text or "interféron" in fr.layout.title.text


# ------------------------------------------------------------------ the meeting bundle
@pytest.fixture(scope="module")
def bundles(cohort):
    """The anti-Mi2 view (survival by cancer, SIR, one patient) in English and in French
    (figures not rendered: the figures' texts are checked above and in report.html)."""
    from core.events import load_events
    from core.filters import FilterSpec
    from core.presets import PRESETS
    from core.report import BundleOptions, build_bundle
    from core.view import ViewState

    events = load_events(SAMPLE_DIR / "events.csv")
    mi2 = set(cohort.data.loc[cohort.data["antibody_subtype"] == "Mi2", "patient_id"].astype(str))
    pid = next(p for p in events.patient_ids if p in mi2)
    values = {**PRESETS["Monseau 2020 · Figure 1"].values, **PRESETS["Monseau 2020 · SIR"].values, "p.id": pid}
    view = ViewState(FilterSpec(antibody_subtype=("Mi2",))).with_values(**values)

    def build() -> dict[str, bytes]:
        data = build_bundle(cohort, view, "cohort.csv", "0" * 64, BundleOptions(render_figures=False), events=events)
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return {n: z.read(n) for n in z.namelist()}

    en, fr, missing = _in_both(build)
    return en, fr, missing


def _leaves(obj: Any) -> list[float]:
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return []
    if isinstance(obj, (int, float)):
        return [obj]
    if isinstance(obj, dict):
        return [x for k in sorted(obj) for x in _leaves(obj[k])]
    return [x for v in obj for x in _leaves(v)]


def test_bundle_every_message_translated(bundles):
    _en, _fr, missing = bundles
    assert not missing


def test_bundle_deck_in_french(bundles):
    from pptx import Presentation

    _en, fr, _m = bundles
    deck = Presentation(io.BytesIO(fr["deck.pptx"]))
    titles = [s.shapes.title.text for s in deck.slides if s.shapes.title is not None]
    assert titles[0] == "Myoscope · dossier de réunion"
    assert any("Tableau I" in t for t in titles) and any("évolution du patient" in t for t in titles)
    texts = " ".join(sh.text_frame.text for s in deck.slides for sh in s.shapes if sh.has_text_frame)
    assert "Estimations de Kaplan-Meier, IC à 95" in texts and "P = 0,008" in texts
    assert "Patient identifiers" not in texts and "Les identifiants des patients sont omis" in texts
    headers = [c.text for s in deck.slides for sh in s.shapes if sh.has_table for c in sh.table.rows[0].cells]
    assert "Groupe" in headers and "Observés" in headers and "Attendus" in headers


def test_bundle_word_html_and_excel_in_french(bundles):
    from docx import Document
    from openpyxl import load_workbook

    en, fr, _m = bundles
    doc = Document(io.BytesIO(fr["report.docx"]))
    heads = [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert "Rapport Myoscope" in heads and "Méthodes" in heads and "Références" in heads
    page = fr["report.html"].decode()
    assert "<html lang='fr'>" in page and "<h1>Rapport Myoscope</h1>" in page and "Références" in page
    # the same references in both languages
    assert re.findall(r"<li>(.*?)</li>", page.split("Références")[-1]) == \
        re.findall(r"<li>(.*?)</li>", en["report.html"].decode().split("<h2>References")[-1])
    wb_fr = load_workbook(io.BytesIO(fr["tables.xlsx"]))
    wb_en = load_workbook(io.BytesIO(en["tables.xlsx"]))
    assert {"Tableau I", "Survie par groupe", "Log-rank valeurs", "SIR valeurs"} <= set(wb_fr.sheetnames)
    assert len(wb_fr.sheetnames) == len(wb_en.sheetnames)
    lr = [c.value for c in wb_fr["Log-rank"][3]]
    assert lr[:4] == ["Groupe", "Observés", "Attendus", "Khi²"]
    # the full-precision sheets hold the same numbers, as numbers, in both languages
    for name_en, name_fr in (("Log-rank numbers", "Log-rank valeurs"), ("SIR numbers", "SIR valeurs"),
                             ("Survival numbers", "Survie valeurs")):
        rows_en = list(wb_en[name_en].iter_rows(min_row=3, values_only=True))
        rows_fr = list(wb_fr[name_fr].iter_rows(min_row=3, values_only=True))
        assert rows_en[0] == rows_fr[0]  # raw column names, not translated
        assert [[v for v in r if not isinstance(v, str)] for r in rows_en] == \
            [[v for v in r if not isinstance(v, str)] for r in rows_fr]  # group labels are translated, numbers not
    # display cells: the same numbers, French formatting
    en_cells = [c.value for row in wb_en["SIR"].iter_rows(min_row=4) for c in row if isinstance(c.value, str)]
    fr_cells = [c.value for row in wb_fr["SIR"].iter_rows(min_row=4) for c in row if isinstance(c.value, str)]
    assert any("," in v for v in fr_cells)
    assert [_numbers(v) for v in en_cells if re.search(r"\d", v)][:6] == \
        [_numbers(v) for v in fr_cells if re.search(r"\d", v)][:6]


def test_bundle_json_machine_readable_and_language_recorded(bundles):
    en, fr, _m = bundles
    assert json.loads(fr["view.json"])["settings"]["g.lang"] == "fr"
    assert json.loads(en["view.json"])["settings"]["g.lang"] == "en"
    res_en, res_fr = json.loads(en["results.json"]), json.loads(fr["results.json"])
    assert res_en["n_patients"] == res_fr["n_patients"]
    for key in res_en["sections"]:
        assert _leaves(res_en["sections"][key]["result"]) == _leaves(res_fr["sections"][key]["result"])


# ------------------------------------------------------------------ the command line
def _run(capsys, *argv: str) -> tuple[int, str, str]:
    with recording_missing() as missing:
        code = cli(list(argv))
    out, err = capsys.readouterr()
    assert not missing, missing
    return code, out, err


def test_cli_survival_in_french(capsys):
    code, out, _err = _run(capsys, "survival", SAMPLE, "--filters", '{"antibody_subtype":["Mi2"]}', "--group-by", "cancer",
                           "--lang", "fr")
    assert code == 0
    assert "P = 0,008" in out and "Survie" in out and "médiane" in out and "P=.008" not in out
    code, out_en, _err = _run(capsys, "survival", SAMPLE, "--filters", MI2, "--group-by", "cancer")
    assert code == 0 and "P=.008" in out_en
    assert _numbers(out_en.split("log-rank")[1]) == _numbers(out.split("log-rank")[1])


def test_cli_language_from_the_environment(capsys, monkeypatch):
    monkeypatch.setenv("MYOSCOPE_LANG", "fr")
    code, out, _err = _run(capsys, "sir", SAMPLE, "--filters", MI2)
    assert code == 0 and "taux\u00a0:" in out and "P < 0,001" in out
    code, out, _err = _run(capsys, "sir", SAMPLE, "--filters", MI2, "--lang", "en")
    assert code == 0 and "rates:" in out and "P=<.001" in out


@pytest.mark.parametrize("command", [["summary", SAMPLE], ["compare", SAMPLE, "--group-by", "anti_mi2"],
                                     ["survival", SAMPLE, "--group-by", "cancer"], ["sir", SAMPLE]])
def test_cli_json_is_the_same_in_both_languages(capsys, command):
    _c, out_en, _e = _run(capsys, *command, "--json")
    _c, out_fr, _e = _run(capsys, *command, "--json", "--lang", "fr")
    assert _leaves(json.loads(out_en)) == _leaves(json.loads(out_fr))
    assert "0,0" not in out_fr  # machine-readable: decimal point


def test_cli_errors_in_french_keep_exit_2(capsys):
    code, out, err = _run(capsys, "survival", "nosuch.csv", "--group-by", "cancer", "--lang", "fr")
    assert code == 2 and out == ""
    assert err.strip() == "myoscope survival\u00a0: fichier de cohorte 'nosuch.csv'\u00a0: fichier introuvable."
    code, _out, err = _run(capsys, "compare", SAMPLE, "--group-by", "nosuch", "--lang", "fr")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "colonne inexistante" in err
    code, _out, err = _run(capsys, "ifn-score", "nosuch.csv", "--lang", "fr")
    assert code == 2 and "fichier qPCR" in err


def test_small_counts_suppressed_the_same_in_both_languages(cohort):
    """Translated headers ("Événements", "Observés", "IC à 95 %") are suppressed and blanked
    exactly as the English ones."""
    from openpyxl import load_workbook

    from core.filters import FilterSpec
    from core.presets import PRESETS
    from core.report import BundleOptions, build_bundle
    from core.view import ViewState

    view = ViewState(FilterSpec(antibody_subtype=("Mi2",))).with_values(**PRESETS["Monseau 2020 · Figure 1"].values)

    def sheets() -> list[list[tuple]]:
        data = build_bundle(cohort, view, "cohort.csv", "0" * 64, BundleOptions(suppress_below=5, render_figures=False))
        wb = load_workbook(io.BytesIO(zipfile.ZipFile(io.BytesIO(data)).read("tables.xlsx")))
        return [list(wb[n].iter_rows(min_row=4, values_only=True)) for n in wb.sheetnames]

    en, fr, _missing = _in_both(sheets)
    assert len(en) == len(fr)
    pattern = [[[(v is None, v == "<5") for v in row] for row in sheet] for sheet in en]
    assert pattern == [[[(v is None, v == "<5") for v in row] for row in sheet] for sheet in fr]
    assert any(v == "<5" for sheet in fr for row in sheet for v in row)
