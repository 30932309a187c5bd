"""The importer on a corpus of small files: every accepted format and code, and broken
files that must give their named problem (never an exception)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.io import read_cohort, read_table, sample_dictionary

CORPUS = Path(__file__).resolve().parents[1] / "data" / "import_corpus"
TS = pd.Timestamp


def load(name: str, **kw):
    return read_cohort(CORPUS / name, dictionary=sample_dictionary(), **kw)


def test_corpus_has_at_least_20_files():
    assert len(list(CORPUS.iterdir())) >= 20


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.iterdir()))
def test_no_file_raises(name):
    cohort = load(name)  # must not raise, whatever the file
    assert cohort.problems is not None


GOOD = [
    "01_utf8_comma_iso.csv", "02_utf8_bom_yes_no.csv", "03_cp1252_semicolon_french.csv",
    "04_tab_true_false.tsv", "05_dotted_dates_checked.csv", "06_excel_serial_dates.csv",
    "07_plus_minus_positive.csv", "08_missing_codes.csv", "09_case_and_spaces.csv",
    "10_cohort.xlsx", "12_redcap_raw.csv", "13_redcap_labels.csv", "14_birth_date_only.csv",
    "15_no_antibodies.csv", "16_us_dates.csv", "31_warnings_only.csv", "33_bad_number.csv",
]


@pytest.mark.parametrize("name", GOOD)
def test_good_files_have_no_error(name):
    cohort = load(name)
    assert not cohort.errors, cohort.errors
    assert len(cohort.data) >= 1


@pytest.mark.parametrize("name", ["01_utf8_comma_iso.csv", "02_utf8_bom_yes_no.csv", "03_cp1252_semicolon_french.csv",
                                  "04_tab_true_false.tsv", "05_dotted_dates_checked.csv", "06_excel_serial_dates.csv"])
def test_same_first_patient_whatever_the_format(name):
    row = load(name).data.iloc[0]
    assert row["patient_id"] == "P1"
    assert row["sex"] == "F"
    assert row["age_at_diagnosis"] == pytest.approx(55.5)
    assert row["diagnosis_date"] == TS("2015-03-01")
    assert row["last_followup_date"] == TS("2018-01-01")
    assert row["anti_mi2"] in (1.0, 0.0)


def test_encodings_delimiters_decimal():
    fr = load("03_cp1252_semicolon_french.csv")
    assert (fr.raw.encoding, fr.raw.delimiter, fr.raw.decimal) == ("cp1252", ";", ",")
    assert fr.data["ck_max_ul"].tolist() == [3748.0, 1680.5, 890.0]
    assert fr.data["sex"].tolist() == ["F", "M", "F"]  # H(omme) -> M
    assert fr.data["anti_mi2"].tolist() == [1.0, 0.0, 1.0]
    assert np.isnan(fr.data["gottron"].iloc[2])  # ND
    assert fr.mapping["Âge au diagnostic"] == "age_at_diagnosis"
    assert fr.mapping["Date des dernières nouvelles"] == "last_followup_date"
    assert load("02_utf8_bom_yes_no.csv").raw.encoding == "utf-8-sig"
    assert load("04_tab_true_false.tsv").raw.delimiter == "\t"
    # every coercion is counted
    co = fr.coercions_frame()
    assert co[(co.column == "anti_mi2") & (co.original == "positif")]["count"].item() == 2
    assert co[(co.column == "sex") & (co.original == "H")]["count"].item() == 1


def test_binary_codes():
    d = load("07_plus_minus_positive.csv").data
    assert d["anti_mi2"].tolist()[:3] == [1.0, 1.0, 0.0]
    assert d["anti_mda5"].tolist()[:3] == [0.0, 0.0, 0.0]
    assert d["anti_tif1g"].iloc[1] == 1.0 and d["anti_nxp2"].iloc[1] == 0.0 and d["anti_sae"].iloc[1] == 1.0
    assert d["antibody_subtype"].tolist() == ["Mi2", "multiple", "seronegative", "untested"]
    c = load("09_case_and_spaces.csv").data
    assert c["gottron"].tolist() == [1.0, 0.0, 1.0, 1.0]
    assert c["myalgia"].tolist() == [1.0, 0.0, 0.0, 0.0]
    assert c["sex"].tolist() == ["F", "M", "F", "M"]
    t = load("05_dotted_dates_checked.csv").data
    assert t["anti_mi2"].tolist() == [1.0, 0.0] and t["gottron"].tolist() == [1.0, 1.0]


def test_missing_codes():
    d = load("08_missing_codes.csv").data
    assert d["gottron"].isna().sum() == 4 and d["gottron"].iloc[3] == 1.0
    assert d["myalgia"].isna().sum() == 4 and d["myalgia"].iloc[3] == 0.0
    assert d["ck_max_ul"].isna().sum() == 4 and d["ck_max_ul"].iloc[3] == 120.0


def test_dates():
    assert load("06_excel_serial_dates.csv").data["diagnosis_date"].tolist() == [TS("2015-03-01"), TS("2016-01-15")]
    assert load("16_us_dates.csv").data["diagnosis_date"].tolist() == [TS("2015-03-25"), TS("2016-12-31")]
    x = load("10_cohort.xlsx").data
    assert x["diagnosis_date"].tolist() == [TS("2015-03-01"), TS("2016-01-15")]
    assert x["last_followup_date"].tolist() == [TS("2018-01-01"), TS("2017-02-01")]


def test_age_from_birth_date():
    c = load("14_birth_date_only.csv")
    assert c.data["age_at_diagnosis"].iloc[0] == pytest.approx((TS("2015-03-01") - TS("1960-03-01")).days / 365.25)
    assert any("derived" in x.result for x in c.coercions)


def test_xlsx_sheets():
    first = load("10_cohort.xlsx")
    assert first.raw.format == "xlsx" and first.raw.sheet == "Patients"
    notes = load("11_multi_sheet.xlsx")  # first sheet holds notes, not patients
    assert notes.has_errors
    chosen = load("11_multi_sheet.xlsx", sheet="Cohort")
    assert not chosen.errors
    assert chosen.data["patient_id"].tolist() == ["A1", "A2", "A3"]
    assert chosen.raw.sheets == ("Notes", "Cohort")
    by_pos = load("11_multi_sheet.xlsx", sheet=1)
    assert by_pos.data["gottron"].tolist()[:2] == [1.0, 0.0]
    missing = load("11_multi_sheet.xlsx", sheet="Nope")
    assert "no sheet named 'Nope'" in missing.errors[0].message


def test_redcap_raw_and_labels():
    raw = load("12_redcap_raw.csv")
    assert raw.data["patient_id"].tolist() == ["1", "2", "3"]  # repeated instrument row set aside
    assert any("repeated-instrument" in n for n in raw.raw.notes)
    assert "demographics_complete" not in raw.data and "redcap_repeat_instrument" not in raw.data
    assert raw.data["antibodies___1"].tolist() == [1.0, 0.0, 0.0]
    lab = load("13_redcap_labels.csv")
    assert lab.data["antibodies___mi2"].tolist() == [1.0, 0.0]
    assert lab.dictionary.label("antibodies___mi2") == "Antibodies: Mi2"
    assert lab.data["patient_id"].tolist() == ["1", "2"]


def test_cohort_without_antibodies_loads():
    c = load("15_no_antibodies.csv")
    assert not c.errors
    assert set(c.data["antibody_subtype"]) == {"untested"}


def _only_error(name: str, **kw):
    c = load(name, **kw)
    assert c.errors, f"{name} should have an error"
    return c.errors


def test_broken_files_give_named_errors():
    assert "is empty" in _only_error("20_empty.csv")[0].message
    assert "no data rows" in _only_error("21_header_only.csv")[0].message
    assert "No patient id column" in _only_error("22_no_patient_id.csv")[0].message
    dup = _only_error("23_duplicate_ids.csv")
    assert {(e.row, e.value) for e in dup} == {(2, "P1"), (4, "P1")}
    assert "first seen on row 2" in next(e for e in dup if e.row == 4).message
    bad_date = _only_error("24_bad_date.csv")
    assert (bad_date[0].row, bad_date[0].column, bad_date[0].value) == (3, "diagnosis_date", "31/02/2015")
    ages = _only_error("25_age_out_of_range.csv")
    assert [(e.row, e.value) for e in ages] == [(3, "130"), (4, "-2")]
    nb = _only_error("26_non_binary_feature.csv")
    assert (nb[0].row, nb[0].column, nb[0].value) == (7, "gottron", "maybe")
    assert "yes/no" in nb[0].message
    fu = _only_error("27_followup_before_diagnosis.csv")
    assert (fu[0].row, fu[0].column) == (2, "last_followup_date") and "before the date of diagnosis" in fu[0].message
    db = _only_error("28_death_before_birth.csv")
    assert "before the date of birth" in db[0].message
    assert "fields while the header has 2" in _only_error("29_ragged_rows.csv")[0].message
    assert "Excel workbook" in _only_error("30_corrupt.xlsx")[0].message
    assert "appears 2 times" in _only_error("32_duplicate_headers.csv")[0].message


def test_warnings_only_file():
    c = load("31_warnings_only.csv")
    msgs = [(w.row, w.column, w.message) for w in c.warnings]
    assert any(r == 2 and col == "cancer" and "date" in m for r, col, m in msgs)
    assert any(r == 3 and col == "cancer_date" for r, col, m in msgs)
    assert any(r == 4 and "future" in m for r, col, m in msgs)
    assert any(col == "empty_col" and "entirely empty" in m for r, col, m in msgs)
    assert any(r == 2 and col == "sex" and "Unknown sex" in m for r, col, m in msgs)
    assert c.data.loc[2, "sex"] == "X"  # kept as typed, not altered


def test_unparseable_number_in_feature_is_a_warning_and_reported():
    c = load("33_bad_number.csv")
    assert not c.errors
    w = c.warnings[0]
    assert (w.row, w.column, w.value) == (6, "ck_max_ul", ">1000") and "treated as missing" in w.message


def test_user_file_is_not_modified(tmp_path):
    src = CORPUS / "03_cp1252_semicolon_french.csv"
    before = src.read_bytes()
    load(src.name)
    assert src.read_bytes() == before


def test_read_table_keeps_text():
    raw = read_table(CORPUS / "01_utf8_comma_iso.csv")
    assert raw.data.index.tolist() == [2, 3, 4]  # spreadsheet rows (header = 1)
    assert raw.data.iloc[0]["age_at_diagnosis"] == "55.5"
