"""AppTest of the app shell (sidebar, filters in the URL) and the cohort page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "import_corpus"


def new_app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


def qp(at: AppTest, key: str) -> str | None:
    v = at.query_params.get(key)
    return v[-1] if isinstance(v, list) else v


def metric(at: AppTest, label: str) -> str:
    for m in at.metric:
        if re.sub(r"\\(.)", r"\1", m.label) == label:  # as rendered: Markdown escapes removed
            return m.value
    raise AssertionError(f"no metric {label!r} in {[m.label for m in at.metric]}")


def test_app_starts_on_the_sample_cohort():
    at = new_app().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Cohort"
    assert metric(at, "Patients") == "119"
    assert metric(at, "Age at diagnosis, median (IQR)")
    assert at.success[0].value == "No problem found."


def test_sidebar_filters_apply_and_go_to_the_url():
    at = new_app().run()
    at.multiselect(key="flt_subtype").select("Mi2").run()
    assert metric(at, "Patients") == "64"
    assert qp(at, "subtype") == "Mi2"
    at.slider(key="flt_age").set_value((50, 100)).run()
    assert qp(at, "age_min") == "50"
    n = int(metric(at, "Patients"))
    assert 0 < n < 64
    at.multiselect(key="flt_sex").select("F").run()
    assert qp(at, "sex") == "F"
    at.button(key="flt_reset").click().run()
    assert metric(at, "Patients") == "119"
    assert "subtype" not in at.query_params


def test_filters_are_read_from_a_shared_link():
    at = new_app()
    at.query_params["subtype"] = "Mi2"
    at.query_params["sex"] = "F"
    at.run()
    assert not at.exception
    assert at.multiselect(key="flt_subtype").value == ["Mi2"]
    assert metric(at, "Patients") == "39"


def test_filters_survive_page_switches():
    at = new_app().run()
    at.multiselect(key="flt_subtype").select("Mi2").run()
    at.switch_page("pages/survival.py").run()
    assert at.multiselect(key="flt_subtype").value == ["Mi2"]
    at.switch_page("pages/cohort.py").run()
    assert metric(at, "Patients") == "64"


def test_unreadable_link_filters_are_reported_not_crashing():
    at = new_app()
    at.query_params["age_min"] = "old"
    at.run()
    assert not at.exception
    assert any("could not be read" in w.value for w in at.sidebar.warning)


def upload(at: AppTest, path: Path) -> AppTest:
    """Choose "My file" in the sidebar and upload ``path`` as a user would."""
    at.radio(key="source_choice").set_value("My file").run()
    at.file_uploader(key="cohort_upload").upload(path.name, path.read_bytes()).run()
    assert not at.exception, at.exception
    return at


def test_error_in_one_column_stops_only_the_views_using_it(tmp_path):
    """gottron holds "maybe" (declared yes/no): compare by anti-Mi2 runs without it and says so;
    comparing by gottron itself is refused with the column and row named."""
    f = tmp_path / "one_bad_cell.csv"
    rows = [f"P{i},{i % 2},{'yes' if i % 3 else 'no'},{i % 2},{40 + i}" for i in range(12)]
    f.write_text("patient_id,anti_mi2,gottron,myalgia,age_at_diagnosis\n" + "\n".join(rows) + "\nP99,1,maybe,1,50\n")
    at = upload(new_app().run(), f)
    assert any("the views that use these columns are stopped" in w.value for w in at.warning), [(k, e.value) for k in ("error", "warning", "info", "success") for e in getattr(at, k)]
    assert at.dataframe[0].value["message"].str.contains("not a yes/no code").any()
    at.switch_page("pages/compare.py").run()
    assert not at.exception
    assert not any("No valid cohort" in i.value for i in at.info)
    assert any("Left out of the table" in w.value and "Gottron" in w.value for w in at.warning)
    assert metric(at, "Group A: anti-Mi2") == "7 patients"
    assert any(r.startswith("Myalgia") for r in at.dataframe[0].value.iloc[:, 0])


@pytest.mark.parametrize("name, expected", [
    ("23_duplicate_ids.csv", "Duplicate patient id"),
    ("22_no_patient_id.csv", "No patient id column"),
    ("29_ragged_rows.csv", "fields while the header has 2"),
])
def test_uploaded_file_with_problems_shows_the_report(name, expected):
    at = upload(new_app().run(), CORPUS / name)
    assert "must be fixed before analysis" in at.error[0].value
    problems = at.dataframe[0].value
    assert problems["message"].str.contains(expected).any()
    assert set(problems.columns) == {"severity", "row", "column", "value", "message"}
    # analysis pages refuse politely, without a traceback
    at.switch_page("pages/compare.py").run()
    assert not at.exception
    assert any("No valid cohort" in i.value for i in at.info)


def test_uploaded_french_export_summary_and_mapping():
    at = upload(new_app().run(), ROOT / "sample_data" / "cohort_fr_export.csv")
    assert metric(at, "Patients") == "119"
    assert "cohort_fr_export.csv" in at.sidebar.caption[0].value.replace("\\", "")
    assert at.success[0].value == "No problem found."
    # the mapping editor lists the French headers and their canonical columns
    mapping = at.session_state["mapping"]
    assert mapping["Date de diagnostic"] == "diagnosis_date" and mapping["Sexe"] == "sex"
    # back to the sample cohort
    at.radio(key="source_choice").set_value("Sample cohort").run()
    assert metric(at, "Patients") == "119" and "Sample cohort" in at.sidebar.caption[0].value


@pytest.mark.parametrize("page", ["pages/compare.py", "pages/survival.py", "pages/cancer_risk.py", "pages/patient.py"])
@pytest.mark.parametrize("name", ["15_no_antibodies.csv", "14_birth_date_only.csv", "08_missing_codes.csv"])
def test_every_page_copes_with_a_minimal_cohort(page, name):
    """A cohort with few columns loads; each view says what it needs instead of failing."""
    at = upload(new_app().run(), CORPUS / name)
    at.switch_page(page).run()
    assert not at.exception, (page, name, at.exception)


def test_keep_going_without_the_rows_with_errors(tmp_path):
    """A duplicated id blocks everything; one click sets the two rows aside, lists them,
    and every page works on the rest; one click puts them back."""
    f = tmp_path / "dup.csv"
    f.write_text("patient_id,anti_mi2,age_at_diagnosis\n" + "".join(f"P{i},{i % 2},{40 + i}\n" for i in range(12)) + "P3,1,70\n")
    at = upload(new_app().run(), f)
    assert "must be fixed before analysis" in at.error[0].value
    at.button(key="aside_on").click().run()
    assert not at.exception
    assert any("2 rows with errors are set aside" in i.value for i in at.info)
    assert metric(at, "Patients") == "11"
    at.switch_page("pages/compare.py").run()
    assert not at.exception and not any("No valid cohort" in i.value for i in at.info)
    at.switch_page("pages/cohort.py").run()
    at.button(key="aside_off").click().run()
    assert "must be fixed before analysis" in at.error[0].value


def test_near_miss_headers_are_suggested_and_applied(tmp_path):
    f = tmp_path / "fr.csv"
    f.write_text("patient_id,Age a diag.,Date dernieres nouvelle\nP1,50,2020-01-01\nP2,60,2021-01-01\n")
    at = upload(new_app().run(), f)
    hint = [i.value for i in at.info if "look like Myoscope columns" in i.value]
    assert hint and "age_at_diagnosis" in hint[0] and "last_followup_date" in hint[0]
    at.button(key="apply_hints").click().run()
    assert at.session_state["mapping"]["Age a diag."] == "age_at_diagnosis"
    assert at.session_state["mapping"]["Date dernieres nouvelle"] == "last_followup_date"
