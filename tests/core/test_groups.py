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
