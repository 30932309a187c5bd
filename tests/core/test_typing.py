"""Typing by what the values are, column-scoped errors, plausibility checks (issue 9).

Each test reproduces something seen with real cohorts (R's ``survival::pbc``, ``lung``)
or a hand-made file, and failed before the fix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.cli import main as cli
from core.io import build_cohort, infer_type, read_cohort, read_table, sample_dictionary
from core.schema import DataDictionary

REAL = Path(__file__).resolve().parents[1] / "data" / "realdata"


def _cohort(text: str, **kw):
    return build_cohort(read_table(text.encode(), "t.csv"), dictionary=kw.pop("dictionary", DataDictionary()), **kw)


# ------------------------------------------------------------------ item 1: numeric columns
def test_pbc_edema_is_ordinal_not_a_blocking_yes_no():
    """pbc's edema (0 / 0.5 / 1) was guessed yes/no and gave 44 errors."""
    c = read_cohort(REAL / "pbc.csv", dictionary=sample_dictionary())
    assert not c.errors
    assert c.dictionary.get("edema").type == "ordinal"
    assert sorted(c.data["edema"].dropna().unique().tolist()) == [0.0, 0.5, 1.0]
    assert c.dictionary.get("stage").type == "ordinal"
    assert c.dictionary.get("bili").type == "continuous"
    assert c.dictionary.get("ascites").type == "binary"


def test_survival_on_pbc_by_trt_runs(capsys):
    """``myoscope survival pbc.csv --group-by trt`` exited 2 because of edema."""
    assert cli(["survival", str(REAL / "pbc.csv"), "--group-by", "trt", "--json"]) == 0


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["0", "1", "1", "0", ""], "binary"),
        (["0", "1", "2"] * 4, "ordinal"),  # 0/1/2 grade
        (["1", "2", "3", "4"] * 3, "ordinal"),  # stage 1-4
        (["0", "0.5", "1"] * 4, "ordinal"),  # pbc edema
        ([str(v) for v in range(0, 81, 3)], "continuous"),  # MMT-8 0-80
        (["1839", "3748", "871.5", "5704", "120"], "continuous"),  # CK
        (["1", "2", "3", "4", "5", "6"], "continuous"),  # six distinct values in six patients: not levels
        (["oui", "non", "non", "NA"], "binary"),
        (["adenocarcinoma", "lymphoma", "melanoma", "lymphoma"], "categorical"),
        ([f"free text {i}" for i in range(40)], "text"),
        (["2020-01-03", "03/02/2019", ""], "date"),
    ],
)
def test_infer_type_by_values(values, expected):
    import pandas as pd

    assert infer_type("x", pd.Series(values, dtype=object)) == expected


def test_numeric_with_stray_text_is_continuous_with_a_warning_not_an_error():
    c = _cohort("patient_id,mmt8\n" + "\n".join(f"P{i},{40 + i}" for i in range(9)) + "\nP9,>80\n")
    assert c.dictionary.get("mmt8").type == "continuous"
    assert not c.errors
    w = [p for p in c.warnings if p.column == "mmt8"]
    assert w and w[0].row == 11 and w[0].value == ">80" and "guessed to be continuous" in w[0].message


def test_guessed_yes_no_with_an_odd_value_warns_and_names_the_fix():
    c = _cohort("patient_id,rash\n" + "\n".join(f"P{i},{'oui' if i % 2 else 'non'}" for i in range(9)) + "\nP9,peut-être\n")
    assert c.dictionary.get("rash").type == "binary"
    assert not c.errors
    (w,) = [p for p in c.warnings if p.column == "rash"]
    assert w.row == 11 and "mapping" in w.message and "--dictionary" in w.message


def test_declared_yes_no_error_stops_only_views_using_it():
    """A bad value in a declared binary column blocks that column's views, not the others."""
    text = "patient_id,gottron,age_at_diagnosis\nP1,yes,50\nP2,maybe,60\nP3,no,40\n"
    c = read_cohort(text.encode(), "t.csv", dictionary=sample_dictionary())
    assert c.errors and c.errors[0].field == "gottron"
    assert c.blocking(["age_at_diagnosis"]) == []
    assert [p.row for p in c.blocking(["gottron"])] == [3]
    assert c.blocking(None)


def test_type_override_changes_the_guess():
    c = _cohort("patient_id,grade\n" + "\n".join(f"P{i},{i % 3}" for i in range(9)) + "\n", types={"grade": "categorical"})
    assert c.dictionary.get("grade").type == "categorical"
    assert set(c.data["grade"].dropna()) == {"0", "1", "2"}  # written form kept


# ------------------------------------------------------------------ item 7: unusual values
@pytest.mark.parametrize("code", ["None", "nan", "NaN", "null", "NULL", "<NA>"])
def test_none_nan_null_are_missing(code):
    c = _cohort(f"patient_id,age_at_diagnosis,death\nP1,{code},{code}\nP2,50,1\n")
    assert not c.errors, c.errors
    assert np.isnan(c.data.loc[2, "age_at_diagnosis"]) and np.isnan(c.data.loc[2, "death"])


def test_cancer_date_decades_before_birth_is_an_error():
    """Only age and diagnosis date: the implied birth date still catches it."""
    c = _cohort("patient_id,age_at_diagnosis,diagnosis_date,cancer,cancer_date\nP1,40,2015-01-01,1,1950-06-01\n")
    errs = [p for p in c.errors if p.column == "cancer_date"]
    assert errs and errs[0].row == 2 and "before the patient's birth" in errs[0].message


def test_death_after_last_followup_is_reported():
    c = _cohort("patient_id,diagnosis_date,death,death_date,last_followup_date\nP1,2015-01-01,1,2019-01-01,2018-01-01\n")
    assert any(p.column == "death_date" and p.row == 2 and "after the last follow-up" in p.message for p in c.warnings)


def test_diagnosis_in_the_future_is_an_error_of_that_column():
    c = _cohort("patient_id,diagnosis_date\nP1,2099-01-01\nP2,2999-01-01\n")
    e, e2 = sorted((p for p in c.errors if p.column == "diagnosis_date"), key=lambda p: p.row)
    assert e.row == 2 and e.field == "diagnosis_date" and "future" in e.message
    assert e2.row == 3 and "not a date" in e2.message  # beyond year 2200: no traceback


def test_file_subtype_column_is_checked_not_a_crash():
    """A cohort that already has antibody_subtype (e.g. the app's cleaned download)."""
    c = _cohort("patient_id,anti_mi2,antibody_subtype\nP1,1,Mi2\nP2,0,MDA5\n")
    assert list(c.data["antibody_subtype"]) == ["Mi2", "seronegative"]
    assert any(p.field == "antibody_subtype" for p in c.warnings)
    only = _cohort("patient_id,antibody_subtype\nP1,anti-Mi2\nP2,MDA5\nP3,\n")
    assert list(only.data["antibody_subtype"]) == ["Mi2", "MDA5", "untested"]


def test_cleaned_download_reloads():
    from core.io import cleaned_csv, load_sample_cohort

    c = load_sample_cohort()
    again = read_cohort(cleaned_csv(c), "cleaned.csv", dictionary=sample_dictionary())
    assert not again.errors
    assert (again.data["antibody_subtype"].to_numpy() == c.data["antibody_subtype"].to_numpy()).all()


def test_mapping_editor_rows_type_override_and_file_round_trip():
    """The Cohort page's mapping editor: change a guess, apply, save, reload."""
    from core.io import load_mapping, mapping_from_table, mapping_table, save_mapping

    raw = read_table(("patient_id,Grade\n" + "\n".join(f"P{i},{i % 3}" for i in range(9)) + "\n").encode(), "g.csv")
    c = build_cohort(raw)
    table = mapping_table(c.mapping, c.dictionary, {})
    assert table.set_index("Your column").loc["Grade"].tolist() == ["grade", "ordinal"]
    table.loc[table["Your column"] == "Grade", "Type"] = "categorical"
    mapping, types = mapping_from_table(table, c.dictionary, {})
    assert types == {"grade": "categorical"}
    again = build_cohort(raw, mapping, types=types)
    assert again.dictionary.get("grade").type == "categorical"
    cols, loaded_types = load_mapping(save_mapping(mapping, types).encode("utf-8"))
    assert cols == mapping and loaded_types == types
    import pytest as _pytest

    from core.io import CohortFileError

    with _pytest.raises(CohortFileError, match="types must each be one of"):
        load_mapping(b'{"columns": {"a": "b"}, "types": {"b": "weird"}}')
