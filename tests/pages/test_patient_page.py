"""AppTest of the patient page (real app shell, sample cohort, Jalles patient MYO-070)."""

from __future__ import annotations

import base64
import datetime as dt
import re
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
JALLES = "MYO-070"


def _open() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/patient.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [s.value for s in at.subheader] + [i.value for i in at.info]
    parts += [s.value for s in at.success]
    return re.sub(r"\\(.)", r"\1", "\n".join(str(p) for p in parts))  # as rendered: Markdown escapes removed


def _frame_with(at: AppTest, column: str, value: object):
    for d in at.dataframe:
        df = d.value
        if column in df.columns and (df[column] == value).any():
            return df
    raise AssertionError(f"no dataframe with {column} == {value!r}")


def _arr(v: object) -> list:
    """A trace array, decoding plotly's binary form {"dtype", "bdata"}."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"])).tolist()
    return list(v)  # type: ignore[arg-type]


def _timeline(at: AppTest) -> go.Figure:
    for c in at.get("plotly_chart"):
        fig = pio.from_json(c.proto.spec)  # decodes plotly's binary-encoded arrays
        if any(t.name == "events" for t in fig.data):
            return fig
    raise AssertionError("no timeline figure")


def test_jalles_course_is_shown_by_default() -> None:
    at = _open()
    assert at.title[0].value == "Patient course"
    # the patient with the richest course is selected by default: the Jalles patient
    assert at.selectbox(key="patient_id").value == JALLES
    text = _texts(at)
    assert f"{JALLES}: anti-MDA5" in text
    assert ("**Treatment sequence:** methylprednisolone → IVIG → cyclophosphamide → "
            "prednisone → ruxolitinib → etoposide-carboplatin") in text
    scores = _frame_with(at, "name", "interferon_score")
    assert scores["value"].tolist() == [19.0, 0.9]
    assert scores["result"].tolist() == ["positive (> 2.3)", "negative (≤ 2.3)"]
    assert round(scores["month"].iloc[1]) == 9
    events = _frame_with(at, "name", "cancer").set_index("name")
    assert round(events.at["cancer", "month"]) == 12
    assert "small-cell" in events.at["cancer", "detail"]
    assert "death" in events.index
    assert events.at["death", "month"] == pytest.approx(12.5, abs=0.1)
    assert round(events.at["relapse", "month"]) == 5
    fig = _timeline(at)
    names = {t.name for t in fig.data}
    assert {"ruxolitinib", "cyclophosphamide", "CK normal range",
            "positivity threshold 2.3", "interferon score"} <= names
    score_trace = next(t for t in fig.data if t.name == "interferon score")
    assert _arr(score_trace.y) == [19.0, 0.9]
    ev = next(t for t in fig.data if t.name == "events")
    assert {"diagnosis", "relapse", "cancer", "death"} <= set(ev.text)
    # the cohort context (survival / cancer-risk cores) is its own tab, drawn when opened
    assert "anti-MDA5 patients in the filtered cohort" not in text
    assert len(at.get("plotly_chart")) == 1  # the timeline
    _tab(at, "In the cohort")
    text = _texts(at)
    assert f"{JALLES}: anti-MDA5" in text  # the patient and the picker stay above the tabs
    assert at.selectbox(key="patient_id").value == JALLES
    assert "anti-MDA5 patients in the filtered cohort" in text
    assert "Cancer (crude): anti-MDA5" in text
    assert "Treatment sequence" not in text
    assert len(at.get("plotly_chart")) == 1  # the KM of the subtype vs the others


def test_threshold_choice_changes_the_reading() -> None:
    at = _open()
    at.radio(key="timeline_threshold_choice").set_value("custom").run()
    at.number_input(key="timeline_threshold_custom").set_value(20.0).run()
    assert not at.exception, [e.value for e in at.exception]
    scores = _frame_with(at, "name", "interferon_score")
    assert scores["result"].tolist() == ["negative (≤ 20)", "negative (≤ 20)"]
    fig = _timeline(at)
    assert any(t.name == "positivity threshold 20" for t in fig.data)


def test_other_patient_and_generic_course() -> None:
    at = _open()
    ids = at.selectbox(key="patient_id").options
    other = next(o for o in ids if not o.startswith(JALLES))
    at.selectbox(key="patient_id").set_value(other.split(" · ")[0]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "prednisone" in _texts(at)


def _tab(at: AppTest, name: str) -> AppTest:
    """Open a tab of the page (the tabs rerun the page: only the tab shown is drawn)."""
    at.session_state["patient_tab"] = name
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


CALCULATOR = "Interferon score calculator"


def test_interferon_calculator_example_and_add_to_timeline() -> None:
    at = _open()
    ids = [o.split(" · ")[0] for o in at.selectbox(key="patient_id").options]
    target = next(i for i in ids if i != JALLES)
    _tab(at, CALCULATOR)
    table = _frame_with(at, "sample_id", "MDA5-M0").set_index("sample_id")
    assert table.at["MDA5-M0", "score"] == pytest.approx(19.0, rel=2e-3)
    assert table.at["MDA5-M9", "score"] == pytest.approx(0.9, rel=2e-3)
    assert bool(table.at["MDA5-M0", "positive"]) and not bool(table.at["MDA5-M9", "positive"])
    assert "2/4** patient samples positive" in _texts(at)
    assert "duplicated" not in _texts(at)  # the note says 'more than one well'
    assert any("more than one well" in i.value for i in at.info)
    # Rice threshold: same reading for these samples
    at.radio(key="ifn_threshold_choice").set_value(
        next(o for o in at.radio(key="ifn_threshold_choice").options if o.startswith("2.466"))
    ).run()
    assert not at.exception
    # add PT-A (score 4.2) to another patient's timeline

    def add_pt_a() -> None:
        at.selectbox(key="ifn_add_sample").set_value("PT-A")
        at.selectbox(key="ifn_add_patient").set_value(target)
        at.date_input(key="ifn_add_date").set_value(dt.date(2016, 1, 15))
        at.button(key="ifn_add_one").click().run()
        assert not at.exception, [e.value for e in at.exception]

    add_pt_a()
    assert any("added to" in s.value for s in at.success)
    _tab(at, "Patient course")
    at.selectbox(key="patient_id").set_value(target).run()
    scores = _frame_with(at, "name", "interferon_score")
    assert scores["value"].iloc[-1] == pytest.approx(4.2, rel=2e-3)
    assert scores["result"].iloc[-1].startswith("positive")
    # adding the same score again does not duplicate it
    _tab(at, CALCULATOR)
    add_pt_a()
    _tab(at, "Patient course")
    scores = _frame_with(at, "name", "interferon_score")
    assert (scores["value"].round(1) == 4.2).sum() == 1


def test_only_the_tab_shown_is_drawn_and_the_calculator_keeps_its_settings() -> None:
    at = _open()
    assert not any(getattr(d.proto, "id", "").endswith("ifn_scores_table") for d in at.dataframe)
    assert "ifn_source" not in [r.key for r in at.radio]  # the calculator is not drawn
    _tab(at, CALCULATOR)
    assert "patient_id" not in [s.key for s in at.selectbox]  # the course is not drawn
    rice = next(o for o in at.radio(key="ifn_threshold_choice").options if o.startswith("2.466"))
    at.radio(key="ifn_threshold_choice").set_value(rice).run()
    at.text_input(key="ifn_refs").set_value("HPRT1").run()
    _tab(at, "Patient course")
    _tab(at, "Patient course")  # a second run without the calculator: Streamlit forgets its widgets
    _tab(at, CALCULATOR)
    assert at.radio(key="ifn_threshold_choice").value == rice
    assert at.text_input(key="ifn_refs").value == "HPRT1"


def test_an_uploaded_plate_survives_closing_the_tab() -> None:
    at = _open()
    _tab(at, CALCULATOR)
    at.radio(key="ifn_source").set_value("Upload qPCR Ct values").run()
    plate = (ROOT / "sample_data" / "qpcr_example.csv").read_bytes()
    at.file_uploader(key="ifn_upload").upload("my_plate.csv", plate).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _frame_with(at, "sample_id", "MDA5-M0") is not None
    _tab(at, "Patient course")
    _tab(at, "Patient course")
    _tab(at, CALCULATOR)
    assert at.radio(key="ifn_source").value == "Upload qPCR Ct values"
    assert "my_plate.csv, uploaded earlier" in _texts(at)
    assert _frame_with(at, "sample_id", "MDA5-M0") is not None


def test_patient_list_follows_the_global_filters() -> None:
    at = _open()
    at.multiselect(key="flt_subtype").set_value(["Mi2"]).run()
    assert not at.exception, [e.value for e in at.exception]
    options = at.selectbox(key="patient_id").options
    assert len(options) == 64
    assert not any(o.startswith(JALLES) for o in options)
    assert all("anti-Mi2" in o for o in options)
    assert "64 patients in the filtered cohort" in at.selectbox(key="patient_id").label
    text = _texts(_tab(at, "In the cohort"))
    assert "anti-Mi2 patients in the filtered cohort of 64" in text
