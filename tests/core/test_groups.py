"""Groupings: written form of category values, empty groups refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.groups import (
    GroupingError,
    GroupSpec,
    assign_groups,
    category_levels,
    category_text,
    require_groups,
)
from core.schema import DataDictionary, FeatureInfo


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.0, "0"), (np.float64(2.0), "2"), (0.5, "0.5"), (np.int64(3), "3"), (7, "7"), ("0.0", "0.0"),
     ("M", "M"), (np.nan, None), (None, None), (1e-05, "1e-05")],
)
def test_category_text_is_the_written_form(value, text):
    assert category_text(value) == text


def _ecog() -> pd.DataFrame:
    # ph.ecog as read from survival::lung: float because of a missing value
    return pd.DataFrame({"ph_ecog": [0.0, 1.0, 1.0, 2.0, np.nan, 0.0, 3.0, 10.0],
                         "as_text": ["0", "1", "1", "2", None, "0", "3", "10"],
                         "grade": [0.5, 1.0, 0.5, 1.0, 0.5, np.nan, 1.0, 1.0]})


@pytest.mark.parametrize(("col", "asked"), [("ph_ecog", "0"), ("ph_ecog", "0.0"), ("as_text", "0"), ("as_text", "0.0")])
def test_numeric_category_matches_whatever_the_dtype(col, asked):
    """Before: group '0.0' was matched against values written '0' and was empty."""
    g = assign_groups(_ecog(), GroupSpec("category", col, (asked,)))
    assert g.order == ["0", "other than 0"]
    assert g.sizes() == {"0": 2, "other than 0": 5}
    assert g.empty_groups() == []
    g.require_nonempty()


def test_decimal_category_and_levels():
    g = assign_groups(_ecog(), GroupSpec("category", "grade", ("0.5",)))
    assert g.sizes() == {"0.5": 3, "other than 0.5": 4}
    lv = assign_groups(_ecog(), GroupSpec("levels", "ph_ecog"))
    assert lv.order == ["0", "1", "2", "3", "10"]  # written form, numeric order
    assert lv.sizes()["0"] == 2 and lv.empty_groups() == []
    assert category_levels(_ecog()["as_text"]) == ["0", "1", "2", "3", "10"]


def test_text_codes_are_matched_as_written_first():
    df = pd.DataFrame({"code": ["01", "1", "2", "01"]})
    g = assign_groups(df, GroupSpec("category", "code", ("01",)))
    assert g.sizes() == {"01": 2, "other than 01": 2}
    # "1.0" is ambiguous ("01" and "1"): kept as asked, so the group is empty and refused
    g = assign_groups(df, GroupSpec("category", "code", ("1.0",)))
    assert g.empty_groups() == ["1.0"]


def test_empty_group_is_named_and_refused():
    g = assign_groups(_ecog(), GroupSpec("category", "ph_ecog", ("4",)))
    assert g.empty_groups() == ["4"]
    with pytest.raises(GroupingError, match=r"^group '4' has no patient: "):
        g.require_nonempty()
    labels = pd.Series(["a", "a", np.nan], dtype=object)
    with pytest.raises(GroupingError, match="group 'b' has no patient"):
        require_groups(labels, ["a", "b"], "x: a vs b")
    require_groups(labels, ["a"])


# ----------------------------------------------------------------- cut-off kind ----
def _ck() -> tuple[pd.DataFrame, DataDictionary]:
    df = pd.DataFrame({"ck_max_ul": [50.0, 999.9, 1000.0, 8000.0, np.nan, 1200.0],
                       "mmt8": [150.0, 120.0, 119.5, np.nan, 80.0, 120.0],
                       "age_at_diagnosis": [30.0, 49.9, 50.0, 70.0, np.nan, 51.0],
                       "centre": ["a", "b", "a", "b", "a", "b"]})
    d = DataDictionary((FeatureInfo("ck_max_ul", "CK", "muscular", "continuous", "IU/L"),
                        FeatureInfo("mmt8", "MMT-8", "muscular", "ordinal"),
                        FeatureInfo("centre", "Centre", "other", "categorical")))
    return df, d


def test_cutoff_splits_any_numeric_column_at_greater_or_equal():
    df, d = _ck()
    g = assign_groups(df, GroupSpec("cutoff", "ck_max_ul", cutoff=1000.0), d)
    assert g.order == ["CK ≥ 1000", "CK < 1000"]
    assert g.labels.tolist()[:4] == ["CK < 1000", "CK < 1000", "CK ≥ 1000", "CK ≥ 1000"]
    assert g.sizes() == {"CK ≥ 1000": 3, "CK < 1000": 2}
    assert g.n_excluded == 1 and pd.isna(g.labels.iloc[4])  # missing CK: in neither group
    assert g.description == "CK ≥ 1000 vs < 1000 IU/L"
    m = assign_groups(df, GroupSpec("cutoff", "mmt8", cutoff=120), d)
    assert m.sizes() == {"MMT-8 ≥ 120": 3, "MMT-8 < 120": 2}


def test_cutoff_generalises_age():
    df, d = _ck()
    age = assign_groups(df, GroupSpec("age", cutoff=50.0), d)
    cut = assign_groups(df, GroupSpec("cutoff", "age_at_diagnosis", cutoff=50.0), d)
    assert age.order == ["age ≥ 50", "age < 50"]  # the age kind keeps its labels
    assert (age.labels.isna() == cut.labels.isna()).all()
    assert (age.labels.map({"age ≥ 50": "A", "age < 50": "B"}).dropna()
            == cut.labels.map(dict(zip(cut.order, "AB"))).dropna()).all()


def test_cutoff_refuses_text_columns_missing_columns_and_bad_cutoffs():
    df, d = _ck()
    with pytest.raises(GroupingError, match="not a number column"):
        assign_groups(df, GroupSpec("cutoff", "centre", cutoff=1.0), d)
    with pytest.raises(GroupingError, match="not in this cohort"):
        assign_groups(df, GroupSpec("cutoff", "mmt_missing", cutoff=1.0), d)
    with pytest.raises(GroupingError, match="finite number"):
        assign_groups(df, GroupSpec("cutoff", "ck_max_ul", cutoff=float("nan")), d)
    g = assign_groups(df, GroupSpec("cutoff", "ck_max_ul", cutoff=1e6), d)
    with pytest.raises(GroupingError, match="has no patient"):
        g.require_nonempty()


def test_cutoff_choices_list_numeric_columns():
    from core.groups import grouping_choices

    df, d = _ck()
    choices = grouping_choices(df, d)
    assert choices["cutoff"] == ["ck_max_ul", "mmt8", "age_at_diagnosis"]
    assert GroupSpec("cutoff", "ck_max_ul", cutoff=1000.0).to_dict()["kind"] == "cutoff"
