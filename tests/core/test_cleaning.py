"""Keep going with bad rows, and column-name suggestions (issue 12)."""

from __future__ import annotations

import pytest

from core.cleaning import can_set_aside, error_rows, set_aside_table, without_error_rows
from core.io import read_cohort, sample_dictionary, suggest_mapping
from core.suggest import near_misses


def _cohort(text: str):
    return read_cohort(text.encode(), "t.csv", dictionary=sample_dictionary())


def test_rows_with_errors_are_set_aside_counted_and_listed():
    c = _cohort("patient_id,gottron,age_at_diagnosis\nP1,yes,50\nP2,maybe,60\nP3,no,130\nP4,no,40\n")
    assert error_rows(c) == [3, 4] and can_set_aside(c)
    table = set_aside_table(c)
    assert list(table["patient_id"]) == ["P2", "P3"] and set(table["column"]) == {"gottron", "age_at_diagnosis"}
    clean = without_error_rows(c)
    assert list(clean.data["patient_id"]) == ["P1", "P4"] and not clean.errors
    assert any(p.severity == "info" and "2 row(s) with errors set aside" in p.message for p in clean.problems)
    assert len(c.data) == 4  # the original is untouched


def test_whole_file_problems_cannot_be_set_aside():
    c = _cohort("name,age\nA,50\n")  # no patient id column
    assert not can_set_aside(c)
    with pytest.raises(ValueError, match="whole file"):
        without_error_rows(c)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("Age au diag", "age_at_diagnosis"), ("Date dernières nouvelles", "last_followup_date"),
     ("DDN", "birth_date"), ("Date du cancer", "cancer_date"), ("Décès", "death"), ("Date diag", "diagnosis_date")],
)
def test_french_clinical_headers_are_recognised(header, expected):
    assert suggest_mapping([header])[header] == expected


def test_near_misses_are_suggested_not_silently_features():
    m = suggest_mapping(["patient_id", "Date dernieres nouvelle", "Age a diag.", "CK max", "Commentaire"], sample_dictionary())
    hints = near_misses(m, sample_dictionary())
    assert hints["Date dernieres nouvelle"][0][0] == "last_followup_date"
    assert hints["Age a diag."][0][0] == "age_at_diagnosis"
    assert hints["CK max"][0][0] == "ck_max_ul"
    assert "Commentaire" not in hints and "patient_id" not in hints
