"""A hostile cohort walked through every page (issue 10): user text is shown as text.

Column names, patient ids, cancer sites and category values hold Markdown images and
links and HTML anchors. On every page, no element that Streamlit renders as Markdown
may contain an unescaped link or image, and no HTML anchor; the plotly figures' titles
and hover texts carry no live ``<a href>``; nothing crashes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
IMG = "![n](http://host.invalid/x.png)"
LINK = "[l](http://evil.invalid)"
ANCHOR = "<a href='http://evil.invalid'>a</a>"

#: An unescaped Markdown link or image: ``](`` not preceded by a backslash.
MD_LINK = re.compile(r"(?<!\\)\]\(")
HTML_LINK = re.compile(r"<a\s|<img\s", re.IGNORECASE)


def _hostile_csv() -> bytes:
    header = ["patient_id", "sex", "age_at_diagnosis", "diagnosis_date", "anti_mi2", "cancer", "cancer_date",
              "cancer_site", "death", "death_date", "last_followup_date", f"gottron {IMG}", f"grade {LINK}"]
    rows = []
    for i in range(24):
        pid = f"P{i} {ANCHOR}" if i == 0 else (f"P{i} {IMG}" if i == 1 else f"P{i}")
        cancer = i % 4 == 0
        dead = i % 3 == 0
        rows.append([
            pid, "F" if i % 2 else "M", str(40 + i), "2015-01-01", str(i % 2), "1" if cancer else "0",
            "2015-06-01" if cancer else "", f"lung {LINK}" if cancer else "", "1" if dead else "0",
            f"2018-0{1 + i % 8}-01" if dead else "", "2019-01-01", "yes" if i % 3 else "no",
            [f"low {IMG}", f"high {ANCHOR}"][i % 2],
        ])
    lines = [",".join(f'"{c}"' for c in header)] + [",".join(f'"{c}"' for c in r) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _markdown_texts(at: AppTest) -> list[str]:
    out: list[str] = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "warning", "error", "info", "success"):
        out += [str(e.value) for e in getattr(at, kind)]
        out += [str(e.value) for e in getattr(at.sidebar, kind)]
    out += [str(m.label) for m in at.metric]
    out += [str(e.label) for e in at.expander]
    return out


def _figure_texts(at: AppTest) -> list[str]:
    texts: list[str] = []
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec) if hasattr(el, "proto") else {}
        texts.append(json.dumps(spec))
    return texts


UPLOAD_NAME = "hostile ![x](evil.invalid).csv"


@pytest.mark.parametrize("page", ["pages/cohort.py", "pages/compare.py", "pages/survival.py", "pages/cancer_risk.py", "pages/patient.py"])
def test_no_rendered_link_on_any_page(page: str) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.radio(key="source_choice").set_value("My file").run()
    at.file_uploader(key="cohort_upload").upload(UPLOAD_NAME, _hostile_csv()).run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    texts = _markdown_texts(at)
    assert texts, "nothing rendered"
    bad = [t for t in texts if MD_LINK.search(t) or HTML_LINK.search(t)]
    assert not bad, bad
    for spec in _figure_texts(at):
        assert "<a href" not in spec.lower() and "<img" not in spec.lower(), spec[:500]
    other_tabs = {"pages/compare.py": ("cmp_tab", ("Forest plot", "Subtype heatmap")),
                  "pages/cohort.py": ("cohort_tab", ("Feature frequencies", "Tables", "Preview")),
                  "pages/patient.py": ("patient_tab", ("In the cohort", "Interferon score calculator")),
                  "pages/survival.py": ("surv_tab", ("Log-rank test", "Cox proportional-hazards model")),
                  "pages/cancer_risk.py": ("cr_tab", ("Time from DM diagnosis to cancer",
                                                      "Cumulative incidence of cancer after diagnosis"))}
    # the other tabs and the closed panels (ui.widgets.lazy_expander) compute their content
    # only when shown: every panel opened at once, then each tab
    panels = [k for k in at.session_state.to_dict() if str(k).endswith("_box")]
    assert panels or page == "pages/compare.py", "no lazy panel found"
    for k in panels:
        at.session_state[k] = True
    steps = [(None, None)] + ([(other_tabs[page][0], t) for t in other_tabs[page][1]] if page in other_tabs else [])
    for key, tab in steps:
        if key is not None:
            at.session_state[key] = tab
        at.run()
        if True:
            assert not at.exception, at.exception
            bad = [t for t in _markdown_texts(at) if MD_LINK.search(t) or HTML_LINK.search(t)]
            assert not bad, bad
            for spec in _figure_texts(at):
                assert "<a href" not in spec.lower() and "<img" not in spec.lower(), spec[:500]
