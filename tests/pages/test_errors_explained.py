"""Errors are explained, never dumped (issue 10).

Files that used to turn the page into a Python traceback (a 200,000-character cell, a
UTF-8 BOM followed by Latin-1 bytes, UTF-16 with an odd trailing byte, a NUL byte, a
cohort that already has ``antibody_subtype``, an empty events file) give a short message,
keep the sidebar, and leave the previous cohort usable. An unexpected failure inside a
page is shown in plain words; the traceback goes to the server log only.
"""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.test_app_cohort import metric, new_app

BAD_FILES = {
    "long_cell.csv": b"patient_id,note\nP1," + b"x" * 200_000 + b"\n",
    "bom_latin1.csv": b"\xef\xbb\xbfpatient_id,ville\nP1,Orl\xe9ans\n",
    "utf16_odd.csv": "patient_id,sex\nP1,F\n".encode("utf-16") + b"\x00",
    "nul.csv": b"patient_id,sex\nP\x00 2,F\n",
    "bomb.xlsx": b"PK\x03\x04 not really a workbook",
}


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.radio(key="source_choice").set_value("My file").run()
    at.file_uploader(key="cohort_upload").upload(name, data).run()
    return at


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_unreadable_file_is_explained_and_previous_cohort_kept(name: str) -> None:
    at = _upload(new_app().run(), name, BAD_FILES[name])
    assert not at.exception, at.exception
    texts = [e.value for e in at.error] + [e.value for e in at.sidebar.error] + [w.value for w in at.warning]
    assert texts, "no message"
    assert not any("Traceback" in t or "/work/" in t or ".py" in t for t in texts), texts
    if name in ("bom_latin1.csv",):  # readable with a reported line: loaded
        at.session_state["cohort_problems_box"] = True  # the validation report, opened
        at.run()
        assert any("Windows-1252" in str(v) for v in at.dataframe[0].value["message"])
        return
    assert any("could not be read" in t for t in texts), texts
    assert metric(at, "Patients") == "119"  # the sample cohort is still there
    at.switch_page("pages/compare.py").run()
    assert not at.exception and at.title[0].value == "Compare groups"


def test_own_cleaned_download_with_antibody_subtype_reloads() -> None:
    from core.io import cleaned_csv, load_sample_cohort

    at = _upload(new_app().run(), "myoscope_cohort_cleaned.csv", cleaned_csv(load_sample_cohort()))
    assert not at.exception
    assert metric(at, "Patients") == "119"


def test_empty_events_file_is_explained() -> None:
    at = new_app().run()
    at.session_state["cohort_events_box"] = True  # the events panel, opened
    at.run()
    at.file_uploader(key="events_upload").upload("events.csv", b"").run()
    assert not at.exception
    assert any("events table" in e.value and "empty" in e.value for e in at.error)


def test_unexpected_failure_in_a_page_is_a_message_not_a_traceback(monkeypatch) -> None:
    import core.compare

    def boom(*a, **k):
        raise RuntimeError("/work/secret/path.py line 3")

    monkeypatch.setattr(core.compare, "compare_groups", boom)
    at = new_app().run()
    at.switch_page("pages/compare.py").run()
    assert not at.exception
    (msg,) = [e.value for e in at.error if "Something went wrong" in e.value]
    assert "RuntimeError" in msg and "/work/secret" not in msg
    assert at.sidebar.radio, "the sidebar is still there"
    assert re.search(r"still loaded", msg)
