"""The meeting bundle (issue 11): the deck, workbook and document hold the page's and the
CLI's numbers for the same view; the HTML needs no network; privacy options hold."""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from core.cli import main as cli
from core.compare import compare_groups, display_table
from core.events import load_events
from core.filters import FilterSpec
from core.formatting import format_p
from core.groups import GroupSpec, assign_groups
from core.io import SAMPLE_DIR, load_sample_cohort
from core.presets import PRESETS
from core.report import BundleOptions, ReportError, build_bundle, external_urls
from core.view import ViewState, file_sha256

CHROMIUM = bool(shutil.which("chromium") or shutil.which("chromium-browser"))
needs_chromium = pytest.mark.skipif(not CHROMIUM, reason="needs Chromium for kaleido")
SAMPLE = str(SAMPLE_DIR / "cohort.csv")
MI2 = '{"antibody_subtype": ["Mi2"]}'
GOTTRON = "Gottron papules/sign"


@pytest.fixture(scope="module")
def cohort():
    return load_sample_cohort()


@pytest.fixture(scope="module")
def events():
    return load_events(SAMPLE_DIR / "events.csv")


@pytest.fixture(scope="module")
def mi2_patient(cohort, events):
    """A Mi2 patient with events (for the patient-course slide)."""
    mi2 = set(cohort.data.loc[cohort.data["antibody_subtype"] == "Mi2", "patient_id"].astype(str))
    return next(p for p in events.patient_ids if p in mi2)


def _open(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


@pytest.fixture(scope="module")
def table1_bundle(cohort):
    """The paper's Table I view (preset): anti-Mi2 yes vs no, no filter (figures rendered when possible)."""
    data = build_bundle(cohort, PRESETS["Monseau 2020 · Table I"], "cohort.csv", file_sha256(Path(SAMPLE).read_bytes()),
                        BundleOptions(render_figures=CHROMIUM))
    return _open(data)


@pytest.fixture(scope="module")
def mi2_bundle(cohort, events, mi2_patient):
    """The paper's anti-Mi2 view (the Figure 1 and SIR presets): survival by cancer, SIR with
    the log-Wald CI; one patient; Table I by the page's default split, which follows the filter."""
    stages: list[tuple[str, float]] = []
    values = {**PRESETS["Monseau 2020 · Figure 1"].values, **PRESETS["Monseau 2020 · SIR"].values, "p.id": mi2_patient}
    view = ViewState(FilterSpec(antibody_subtype=("Mi2",))).with_values(**values)
    data = build_bundle(cohort, view, "cohort.csv", "0" * 64, BundleOptions(render_figures=CHROMIUM),
                        progress=lambda s, f: stages.append((s, f)), events=events)
    files = _open(data)
    files["_stages"] = json.dumps(stages).encode()
    return files


def _deck(files):
    from pptx import Presentation

    return Presentation(io.BytesIO(files["deck.pptx"]))


def _deck_rows(files) -> list[list[str]]:
    rows = []
    for slide in _deck(files).slides:
        for shape in slide.shapes:
            if shape.has_table:
                rows += [[c.text for c in r.cells] for r in shape.table.rows]
    return rows


def _sheet(files, name: str) -> list[dict]:
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(files["tables.xlsx"]))[name]
    values = list(ws.iter_rows(min_row=3, values_only=True))
    header, rows = values[0], []
    for r in values[1:]:
        if all(v is None for v in r):  # the blank row before the footnote
            break
        rows.append(dict(zip(header, r, strict=False)))
    return rows


def _doc_rows(files) -> list[list[str]]:
    from docx import Document

    doc = Document(io.BytesIO(files["report.docx"]))
    return [[c.text for c in r.cells] for t in doc.tables for r in t.rows]


def _cli_json(capsys, *argv: str) -> dict:
    assert cli(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


# ------------------------------------------------------------------ numbers = page = CLI
def test_table1_row_equals_the_page_and_the_cli(table1_bundle, cohort, capsys):
    payload = _cli_json(capsys, "compare", SAMPLE, "--group-by", "anti_mi2", "--json")
    row = next(r for r in payload["rows"] if r["label"] == GOTTRON)
    shown = [GOTTRON, "38/53 (71.7%)", "21/55 (38.2%)", "<.001", "4.04 (1.70–10.00)"]
    assert (row["n_a"], row["N_a"], row["n_b"], row["N_b"], format_p(row["p_value"])) == (38, 53, 21, 55, "<.001")
    # the page: display_table(compare_groups(...)) with the page's default split
    g = assign_groups(cohort.data, GroupSpec("binary", "anti_mi2"), cohort.dictionary)
    feats = [e.name for e in cohort.dictionary.features() if e.name in cohort.data and e.name != "anti_mi2"]
    page = display_table(compare_groups(cohort.data, g.labels, *g.order, feats, cohort.dictionary))
    assert page[page["Feature"] == GOTTRON].iloc[0].tolist() == shown
    assert shown in _deck_rows(table1_bundle)  # native PowerPoint table
    assert shown in _doc_rows(table1_bundle)  # Word table
    numbers = next(r for r in _sheet(table1_bundle, "Table I numbers") if r["label"] == GOTTRON)
    assert {k: numbers[k] for k in ("n_a", "N_a", "n_b", "N_b", "p_value", "odds_ratio")} == \
        {k: row[k] for k in ("n_a", "N_a", "n_b", "N_b", "p_value", "odds_ratio")}  # full precision
    assert json.loads(table1_bundle["results.json"])["sections"]["compare"]["result"]["rows"] == payload["rows"]


def test_sir_equals_the_cli_with_the_log_wald_ci(mi2_bundle, capsys):
    p = _cli_json(capsys, "sir", SAMPLE, "--filters", MI2, "--ci", "wald", "--json")
    assert f"{p['sir']:.1f} ({p['ci_low']:.1f}–{p['ci_high']:.1f})" == "5.1 (3.0–8.6)"
    sir_row = next(r for r in _deck_rows(mi2_bundle) if r[0] == "All patients")
    assert sir_row[2] == str(p["observed"]) and sir_row[5] == "5.1 (3.0–8.6)" and sir_row[6] == format_p(p["p_value"])
    assert sir_row in _doc_rows(mi2_bundle)
    first = _sheet(mi2_bundle, "SIR numbers")[0]
    assert (first["observed"], first["expected"], first["sir"], first["ci_low"], first["ci_high"], first["p_value"]) == \
        (p["observed"], p["expected"], p["sir"], p["ci_low"], p["ci_high"], p["p_value"])
    assert first["ci_method"] == "wald"


def test_logrank_p_equals_the_cli(mi2_bundle, capsys):
    p = _cli_json(capsys, "survival", SAMPLE, "--filters", MI2, "--group-by", "cancer", "--json")
    assert format_p(p["logrank"]["p_value"]) == ".008"
    numbers = _sheet(mi2_bundle, "Log-rank numbers")
    assert {r["p_value"] for r in numbers} == {p["logrank"]["p_value"]}
    assert [r["observed"] for r in numbers] == [g["events"] for g in p["groups"]]
    lr_rows = [r for r in _deck_rows(mi2_bundle) if r[0] in ("Cancer: yes", "Cancer: no") and len(r) == 6]
    assert [r[-1] for r in lr_rows] == [".008", ".008"]
    assert any(r[-1] == ".008" for r in _doc_rows(mi2_bundle))


# ------------------------------------------------------------------ deck structure
def test_titles_state_subgroup_and_n_with_footnote_and_methods_notes(mi2_bundle, table1_bundle):
    slides = list(_deck(mi2_bundle).slides)
    titles = [s.shapes.title.text for s in slides if s.shapes.title is not None]
    assert "Anti-Mi2 · survival by cancer · n = 64" in titles
    assert any(t.startswith("Anti-Mi2 · cancer risk (SIR) · n = 64") for t in titles)
    assert "Anti-Mi2 · Table I: Cancer: yes vs Cancer: no · n = 64" in titles  # the compare page's default split
    km = next(s for s in slides if s.shapes.title is not None and s.shapes.title.text == "Anti-Mi2 · survival by cancer · n = 64")
    texts = " ".join(sh.text_frame.text for sh in km.shapes if sh.has_text_frame)
    assert "Log-rank χ²(1) = 7.05, P = .008" in texts and "Greenwood" in texts  # footnote: test and CI method
    assert "Kaplan-Meier" in km.notes_slide.notes_text_frame.text  # speaker notes: the methods text
    sir = next(s for s in slides if s.shapes.title is not None and s.shapes.title.text.startswith("Anti-Mi2 · cancer risk"))
    assert "Cancer Incidence in Five Continents" in " ".join(sh.text_frame.text for sh in sir.shapes if sh.has_text_frame)  # rates
    t1 = [s.shapes.title.text for s in _deck(table1_bundle).slides if s.shapes.title is not None]
    assert "All patients · Table I: anti-Mi2+ vs anti-Mi2− · n = 119" in t1


def test_progress_names_each_stage(mi2_bundle):
    stages = [s for s, _ in json.loads(mi2_bundle["_stages"])]
    for name in ("Computing analyses", "Writing PowerPoint", "Writing HTML report", "Writing Word", "Writing Excel", "Done"):
        assert name in stages
    fractions = [f for _, f in json.loads(mi2_bundle["_stages"])]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_view_json_records_the_view(table1_bundle, mi2_bundle):
    v = json.loads(table1_bundle["view.json"])
    assert v["cohort"] == {"file": "cohort.csv", "sha256": file_sha256(Path(SAMPLE).read_bytes())}
    assert {"myoscope", "pandas", "plotly", "python-pptx", "kaleido"} <= set(v["versions"])
    assert v["bundle"] == {"suppress_below": None, "include_ids": False}
    back, _ = ViewState.from_json(mi2_bundle["view.json"])
    assert back.filters.antibody_subtype == ("Mi2",) and back.get("r.ci") == "wald" and back.get("s.by") == "cancer"
    assert back.get("p.id") is None  # a saved view never names a patient


def test_every_table_is_a_sheet_at_full_precision(table1_bundle):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(table1_bundle["tables.xlsx"]))
    assert {"Table I", "Table I numbers", "Survival by group", "Log-rank numbers", "SIR numbers", "SIR strata"} <= set(wb.sheetnames)
    assert all(c.data_type != "f" for ws in wb for row in ws.iter_rows() for c in row)


# ------------------------------------------------------------------ HTML offline
def test_html_is_self_contained(table1_bundle):
    page = table1_bundle["report.html"].decode("utf-8")
    assert external_urls(page) == []
    assert page.count("* plotly.js v") == 1  # plotly.js embedded once
    assert "mathjax" not in re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.DOTALL).lower()
    assert "Gottron papules/sign" in page and "References" in page


def test_external_urls_finds_what_a_browser_would_fetch():
    assert external_urls("<script src='https://cdn.plot.ly/x.js'></script>")
    assert external_urls("<img src=\"http://host/a.png\">") and external_urls("<style>@import 'https://f/x.css'</style>")
    assert external_urls("<div style='background:url(//host/x)'></div>")
    assert external_urls("<script>var u = 'https://example.org';</script><p>https://text.only</p>") == []


@needs_chromium
def test_figures_png_300_dpi_and_svg(table1_bundle):
    from PIL import Image

    names = [n for n in table1_bundle if n.startswith("figures/")]
    assert "figures/kaplan_meier.png" in names and "figures/kaplan_meier.svg" in names
    assert len([n for n in names if n.endswith(".png")]) == len([n for n in names if n.endswith(".svg")]) >= 3
    width, _ = Image.open(io.BytesIO(table1_bundle["figures/kaplan_meier.png"])).size
    assert width >= 300 * 12.33 - 1  # 300 dpi across the slide's content width
    assert b"<svg" in table1_bundle["figures/kaplan_meier.svg"][:500]
    pictures = [sh for s in _deck(table1_bundle).slides for sh in s.shapes if sh.shape_type == 13]
    assert len(pictures) == len([n for n in names if n.endswith(".png")])


# ------------------------------------------------------------------ privacy
def _all_text(files) -> str:
    from docx import Document
    from openpyxl import load_workbook

    parts = [files["report.html"].decode("utf-8"), files["results.json"].decode("utf-8")]
    for slide in _deck(files).slides:
        parts += [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame]
        parts += [c.text for sh in slide.shapes if sh.has_table for r in sh.table.rows for c in r.cells]
    doc = Document(io.BytesIO(files["report.docx"]))
    parts += [p.text for p in doc.paragraphs] + [c.text for t in doc.tables for c in t._cells]
    wb = load_workbook(io.BytesIO(files["tables.xlsx"]))
    parts += [str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    return "\n".join(parts)


def test_pseudonym_and_no_identifier_unless_opted_in(cohort, events, mi2_patient):
    view = ViewState(FilterSpec(antibody_subtype=("Mi2",))).with_values(**{"p.id": mi2_patient})
    files = _open(build_bundle(cohort, view, "c.csv", "", BundleOptions(render_figures=False), events=events))
    text = _all_text(files)
    ids = cohort.data.loc[cohort.data["antibody_subtype"] == "Mi2", "patient_id"].astype(str)
    assert not [p for p in ids if p in text]  # no patient id in any file
    titles = [s.shapes.title.text for s in _deck(files).slides if s.shapes.title is not None]
    assert any(t.startswith("Patient A · patient course") for t in titles)
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(files["tables.xlsx"]))
    assert not any(c.value == "patient_id" for ws in wb for row in ws.iter_rows(max_row=3) for c in row)
    opted = _open(build_bundle(cohort, view, "c.csv", "", BundleOptions(include_ids=True, render_figures=False), events=events))
    assert any(t.startswith(f"{mi2_patient} · patient course") for t in
               [s.shapes.title.text for s in _deck(opted).slides if s.shapes.title is not None])


def test_small_counts_suppressed_in_every_file(cohort):
    view = ViewState(FilterSpec(antibody_subtype=("Mi2",)))
    files = _open(build_bundle(cohort, view, "c.csv", "", BundleOptions(suppress_below=5, render_figures=False)))
    # 4 deaths among the 50 anti-Mi2 patients without cancer
    lr = [r for r in _deck_rows(files) if r[0] == "Cancer: no" and len(r) == 6]
    assert lr and lr[0][1] == "<5"
    assert [r["observed"] for r in _sheet(files, "Log-rank numbers")] == [5, "<5"]
    assert ["Cancer: no", "50", "<5"] == next(r for r in _doc_rows(files) if r[0] == "Cancer: no")[:3]
    assert json.loads(files["results.json"])["sections"]["survival"]["result"] is None  # raw counts left out
    table1 = _open(build_bundle(cohort, PRESETS["Monseau 2020 · Table I"], "c.csv", "", BundleOptions(suppress_below=5, render_figures=False)))
    holster = next(r for r in _deck_rows(table1) if r[0] == "Holster sign")
    assert holster[1:3] == ["12/55 (21.8%)", "<5/55"] and holster[4] == ""  # percentage and OR blanked
    by_subtype = ViewState().with_values(**{"r.by": "subtype"})
    page = _open(build_bundle(cohort, by_subtype, "c.csv", "", BundleOptions(suppress_below=5, render_figures=False)))
    figures = page["report.html"].decode("utf-8").split("* plotly.js v", 1)[1].replace("\\u002f", "/")
    assert "O = \\u003c5" in figures and not re.search(r"O = [1-4],", figures)  # SIR forest hover
    assert not re.search(r'"[1-4] / \d', figures)  # the forest plot's O / E column


def test_refuses_a_view_with_no_patient(cohort):
    with pytest.raises(ReportError, match="No patient"):
        build_bundle(cohort, ViewState(FilterSpec(age_min=200)), "c.csv", "", BundleOptions(render_figures=False))


def test_no_split_set_follows_the_pages_defaults(cohort):
    from core.report import view_grouping

    df, dic = cohort.data, cohort.dictionary
    mi2 = df[df["antibody_subtype"] == "Mi2"]
    assert view_grouping(mi2, dic, ViewState(), "s", "survival", two_groups=False).order == ["Cancer: yes", "Cancer: no"]
    assert view_grouping(mi2, dic, ViewState(), "c", "compare", two_groups=True).order == ["Cancer: yes", "Cancer: no"]
    cut = ViewState().with_values(**{"c.kind": "cutoff", "c.by": "age_at_diagnosis", "c.cut": 40})
    assert view_grouping(df, dic, cut, "c", "compare", two_groups=True).order[0].endswith("≥ 40")


# ------------------------------------------------------------------ the view's settings, hostile text
def test_view_settings_choose_the_groupings(cohort):
    from core.report import view_grouping

    df, dic = cohort.data, cohort.dictionary
    by = ViewState().with_values(**{"c.by": "anti_mi2"})  # a column alone: as the CLI's --group-by
    assert view_grouping(df, dic, by, "c", "compare", two_groups=True).order == ["anti-Mi2+", "anti-Mi2−"]
    age = view_grouping(df, dic, ViewState().with_values(**{"s.kind": "age", "s.cut": 60}), "s", "survival", two_groups=False)
    assert age.order == ["age ≥ 60", "age < 60"]
    sub = view_grouping(df, dic, ViewState().with_values(**{"c.kind": "subtype", "c.a": "MDA5"}), "c", "compare", True)
    assert sub.order[0] == "anti-MDA5"
    sex = view_grouping(df, dic, ViewState().with_values(**{"c.by": "sex", "c.kind": "category", "c.a": "F"}), "c", "compare", True)
    assert sex.order == ["F", "other than F"]


def test_user_text_stays_text_in_every_file(cohort):
    import dataclasses

    hostile = '=HYPERLINK("http://evil","x")'
    data = cohort.data.assign(site=[hostile if i % 2 else "<a href='http://evil'>y</a>" for i in range(len(cohort.data))])
    view = ViewState().with_values(**{"c.by": "site", "c.kind": "category", "c.a": (hostile,)})
    files = _open(build_bundle(dataclasses.replace(cohort, data=data), view, "=evil.csv", "", BundleOptions(render_figures=False)))
    rows = _deck_rows(files) + _doc_rows(files)
    assert any(hostile[1:] in c for r in rows for c in r)  # shown ...
    assert not any(c.startswith(("=", "@", "+")) for r in rows for c in r)  # ... never as a formula
    page = files["report.html"].decode("utf-8")
    assert external_urls(page) == [] and "<a href='http://evil'" not in page
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(files["tables.xlsx"]))
    assert all(c.data_type != "f" for ws in wb for row in ws.iter_rows() for c in row)


@needs_chromium
def test_html_draws_its_figures_with_the_network_off(table1_bundle, tmp_path):
    """Headless Chromium, every request sent to a dead proxy: the figures are still drawn."""
    import subprocess

    page = tmp_path / "report.html"
    page.write_bytes(table1_bundle["report.html"])
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    dom = subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--proxy-server=127.0.0.1:9",
                          "--proxy-bypass-list=<-loopback>", "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120, check=False).stdout
    n_figures = sum(name.endswith(".svg") for name in table1_bundle if name.startswith("figures/"))
    assert dom.count('class="main-svg"') >= n_figures >= 3  # each plotly figure drew its SVG
