"""Sessions that load the same file share one cohort and its results (``ui/shared.py``).

Two sessions (two ``AppTest`` apps in one process, as two tabs on one server) upload the
same bytes: they hold the same typed cohort object and find each other's results; a file
that differs by one cell, or the same file read with another mapping, is a cohort of its
own; and nothing outlives the sessions that held it.
"""

from __future__ import annotations

import gc
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui import shared

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = (ROOT / "sample_data" / "cohort.csv").read_bytes()


def _session(data: bytes, name: str = "my cohort.csv") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.radio(key="source_choice").set_value("My file").run()
    at.file_uploader(key="cohort_upload").upload(name, data).run()
    assert not at.exception, at.exception
    return at


def test_same_file_same_cohort_and_results() -> None:
    a, b = _session(SAMPLE), _session(SAMPLE)
    cohort = a.session_state["cohort"]
    assert b.session_state["cohort"] is cohort
    a.switch_page(str(ROOT / "pages" / "compare.py")).run()
    results = len(shared.store(cohort).results)
    assert results > 0
    b.switch_page(str(ROOT / "pages" / "compare.py")).run()
    assert not b.exception, b.exception
    assert len(shared.store(cohort).results) == results, "the second session recomputed what the first had"
    assert b.get("metric") is not None


def test_a_different_file_or_name_is_a_cohort_of_its_own() -> None:
    lines = SAMPLE.decode("utf-8").splitlines(keepends=True)
    changed = "".join(lines[:1] + ["X" + lines[1]] + lines[2:]).encode("utf-8")  # one patient id
    assert changed != SAMPLE
    a, b, c = _session(SAMPLE), _session(changed), _session(SAMPLE, "other name.csv")
    assert b.session_state["cohort"] is not a.session_state["cohort"]
    assert c.session_state["cohort"] is not a.session_state["cohort"]
    assert shared.store(b.session_state["cohort"]).token != shared.store(a.session_state["cohort"]).token


def test_nothing_outlives_its_sessions() -> None:
    data = SAMPLE + b"\n"  # bytes no other test loads
    a = _session(data)
    key = next(k for k, v in shared._COHORTS.items() if v is a.session_state["cohort"])
    before = shared.live_stores()
    a.switch_page(str(ROOT / "pages" / "compare.py")).run()
    del a
    gc.collect()
    assert key not in shared._COHORTS
    assert shared.live_stores() <= before


def test_an_upload_is_not_copied_on_every_rerun() -> None:
    """Streamlit deep-copies widget values at each rerun; the app turns that off for
    uploads (``shared.uploads_not_copied``), which it only reads with ``getvalue()``."""
    import copy

    from streamlit.proto.Common_pb2 import FileURLs
    from streamlit.runtime.uploaded_file_manager import UploadedFile, UploadedFileRec

    a = _session(SAMPLE)  # the app ran: the switch is on
    assert a.session_state["cohort"] is not None
    up = UploadedFile(UploadedFileRec(file_id="f", name="x.csv", type="text/csv", data=b"id\n1\n"), FileURLs())
    assert copy.deepcopy(up) is up
    assert copy.deepcopy({"k": [up]})["k"][0] is up and up.getvalue() == b"id\n1\n"
