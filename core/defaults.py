"""Defaults that follow the filter: the split a page opens with, and the order of the
split choices.

A default split is a pure function of the *filtered* cohort: the first candidate of the
page's list that leaves no group empty. With the anti-Mi2 filter on, "anti-Mi2+ vs
anti-Mi2−" (one group empty) is skipped and survival opens on "by cancer", the paper's
Figure 1; Compare opens on cancer yes vs no (the clinical features of cancer-associated
DM within the subtype) instead of "Group B: 0 patients".
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from core.groups import GroupingError, GroupSpec, assign_groups, grouping_choices
from core.schema import DataDictionary

#: Outcome yes/no columns offered first as split choices (then antibodies, then features).
OUTCOME_COLUMNS: tuple[str, ...] = ("cancer", "death")


def split_columns(df: pd.DataFrame, dictionary: DataDictionary) -> list[str]:
    """Yes/no columns usable as a split, outcomes first (cancer, death, then any column of
    the dictionary's ``outcomes`` group), then antibodies, then the other features.

    Parameters
    ----------
    df : pandas.DataFrame
        The (filtered) cohort.
    dictionary : DataDictionary

    Returns
    -------
    list of str
    """
    binary = grouping_choices(df, dictionary)["binary"]

    def rank(c: str) -> tuple[int, int]:
        if c in OUTCOME_COLUMNS:
            return 0, OUTCOME_COLUMNS.index(c)
        group = dictionary.get(c).group
        if group == "outcomes":
            return 1, 0
        if c.startswith("anti_"):
            return 2, 0
        return 3, 0

    return sorted(binary, key=rank)  # stable: the file's order within a rank


def _candidates(df: pd.DataFrame, dictionary: DataDictionary, page: str) -> Iterable[GroupSpec]:
    choices = grouping_choices(df, dictionary)
    binary = split_columns(df, dictionary)
    subtypes = choices["subtype"]
    if page == "survival":
        if "anti_mi2" in binary:
            yield GroupSpec("binary", "anti_mi2")
        if "cancer" in binary:
            yield GroupSpec("binary", "cancer")
        for sub in subtypes:
            yield GroupSpec("subtype", "antibody_subtype", (sub,))
    else:
        for sub in subtypes[:1]:
            yield GroupSpec("subtype", "antibody_subtype", (sub,))
        if "cancer" in binary:
            yield GroupSpec("binary", "cancer")
    if "age_at_diagnosis" in df:
        yield GroupSpec("age", "age_at_diagnosis", cutoff=50.0)
    for col in binary:
        yield GroupSpec("binary", col)


def default_split(df: pd.DataFrame, dictionary: DataDictionary, page: str = "compare") -> GroupSpec | None:
    """The split a page opens with on this (filtered) cohort: never one with an empty group.

    Parameters
    ----------
    df : pandas.DataFrame
        The filtered cohort.
    dictionary : DataDictionary
    page : {"compare", "survival"}
        Survival: anti-Mi2+ vs anti-Mi2−, else by cancer, else a subtype vs the rest;
        Compare: the first subtype vs the rest, else cancer yes vs no; then age ≥ 50, then
        any yes/no column (outcomes first).

    Returns
    -------
    GroupSpec or None
        None when no candidate gives two non-empty groups.
    """
    for spec in _candidates(df, dictionary, page):
        try:
            grouping = assign_groups(df, spec, dictionary)
        except GroupingError:
            continue
        if len(grouping.order) >= 2 and not grouping.empty_groups():
            return spec
    return None


__all__ = ["OUTCOME_COLUMNS", "default_split", "split_columns"]
