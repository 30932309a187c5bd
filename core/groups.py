"""How patients are split into groups for comparison, survival and cancer risk.

A :class:`GroupSpec` says how; :func:`assign_groups` gives each patient a group label
(or NaN: not in any group, counted in ``n_excluded``).

Kinds
-----
``subtype``
    one antibody subtype vs every other known subtype (``untested`` patients are in
    neither group).
``binary``
    a yes/no column: 1 (group A) vs 0 (group B).
``category``
    a categorical column: ``values_a`` vs ``values_b`` (``values_b`` empty = all other
    non-missing values).
``levels``
    every level of a categorical or binary column is a group (for survival curves and
    subgroup tables).
``age``
    age at diagnosis ≥ ``cutoff`` (group A) vs < ``cutoff``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from core.schema import DM_ANTIBODIES, SUBTYPE_LABELS, SUBTYPE_VALUES, DataDictionary

GroupKind = Literal["subtype", "binary", "category", "levels", "age"]


class GroupingError(ValueError):
    """A grouping that cannot be applied to this cohort (message says why)."""


@dataclass(frozen=True)
class GroupSpec:
    """How to split a cohort (see module docstring).

    Attributes
    ----------
    kind : {"subtype", "binary", "category", "levels", "age"}
    column : str
        Column used (``antibody_subtype`` for ``subtype``, ``age_at_diagnosis`` for ``age``).
    values_a, values_b : tuple[str, ...]
        Category values of group A and B (``category``); ``values_a[0]`` is the subtype for
        ``subtype``.
    cutoff : float
        Age cut-off in years (``age``).
    """

    kind: GroupKind
    column: str = ""
    values_a: tuple[str, ...] = ()
    values_b: tuple[str, ...] = ()
    cutoff: float = 50.0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return {"kind": self.kind, "column": self.column, "values_a": list(self.values_a), "values_b": list(self.values_b), "cutoff": self.cutoff}


@dataclass(frozen=True)
class Grouping:
    """Group labels per patient.

    Attributes
    ----------
    labels : pandas.Series
        Group label (str) per patient, NaN when the patient is in no group; aligned with
        the cohort's index.
    order : list[str]
        Group labels in display order; group A first.
    description : str
        Human text ("anti-Mi2+ vs anti-Mi2−").
    n_excluded : int
        Patients in no group (grouping value missing).
    spec : GroupSpec
    """

    labels: pd.Series
    order: list[str]
    description: str
    n_excluded: int
    spec: GroupSpec

    def sizes(self) -> dict[str, int]:
        """Patients per group, in :attr:`order`."""
        counts = self.labels.value_counts()
        return {g: int(counts.get(g, 0)) for g in self.order}


def binary_labels(column: str, dictionary: DataDictionary) -> tuple[str, str]:
    """Labels of the 1 and 0 groups of a binary column: ``anti-Mi2+``/``anti-Mi2−`` for an
    antibody, ``<Label>: yes``/``<Label>: no`` otherwise."""
    if column in DM_ANTIBODIES:
        base = SUBTYPE_LABELS[DM_ANTIBODIES[column]]
        return f"{base}+", f"{base}\u2212"
    if column.startswith("anti_"):
        base = dictionary.label(column)
        return f"{base}+", f"{base}\u2212"
    label = dictionary.label(column)
    return f"{label}: yes", f"{label}: no"


def assign_groups(df: pd.DataFrame, spec: GroupSpec, dictionary: DataDictionary | None = None) -> Grouping:
    """Label each patient with a group (see module docstring for the kinds).

    Raises
    ------
    GroupingError
        Missing column, no value selected, or overlapping value sets.
    """
    dictionary = dictionary or DataDictionary()
    col = spec.column or {"subtype": "antibody_subtype", "age": "age_at_diagnosis"}.get(spec.kind, "")
    if col not in df:
        raise GroupingError(f"The grouping column {col!r} is not in this cohort.")
    s = df[col]
    labels = pd.Series(np.nan, index=df.index, dtype=object)
    if spec.kind == "subtype":
        if not spec.values_a:
            raise GroupingError("Choose the antibody subtype of group A.")
        sub = spec.values_a[0]
        name = SUBTYPE_LABELS.get(sub, sub)
        a, b = name, f"other subtypes (not {name})"
        known = s.notna() & (s != "untested")
        labels[known & (s == sub)] = a
        labels[known & (s != sub)] = b
        order, desc = [a, b], f"{name} vs other antibody subtypes"
    elif spec.kind == "binary":
        a, b = binary_labels(col, dictionary)
        labels[s == 1] = a
        labels[s == 0] = b
        order, desc = [a, b], f"{a} vs {b}"
    elif spec.kind == "category":
        if not spec.values_a:
            raise GroupingError(f"Choose at least one value of {dictionary.label(col)} for group A.")
        if set(spec.values_a) & set(spec.values_b):
            raise GroupingError("A value cannot be in both groups.")
        text = s.astype(object).where(s.notna()).map(lambda v: v if isinstance(v, str) or v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:g}")
        a = " / ".join(spec.values_a)
        in_a = text.isin(spec.values_a)
        if spec.values_b:
            b = " / ".join(spec.values_b)
            in_b = text.isin(spec.values_b)
        else:
            b = f"other than {a}"
            in_b = text.notna() & ~in_a
        labels[in_a] = a
        labels[in_b] = b
        order, desc = [a, b], f"{dictionary.label(col)}: {a} vs {b}"
    elif spec.kind == "levels":
        if col in DM_ANTIBODIES or dictionary.get(col).type == "binary" and set(s.dropna().unique()) <= {0.0, 1.0}:
            a, b = binary_labels(col, dictionary)
            labels[s == 1] = a
            labels[s == 0] = b
            order = [a, b]
        else:
            present = [str(v) for v in s.dropna().unique()]
            if col == "antibody_subtype":
                present = [v for v in SUBTYPE_VALUES if v in present]
                mapped = s.map(lambda v: SUBTYPE_LABELS.get(v, v) if isinstance(v, str) else v)
                labels[s.notna()] = mapped[s.notna()]
                order = [SUBTYPE_LABELS.get(v, v) for v in present]
            else:
                present = sorted(present)
                labels[s.notna()] = s[s.notna()].astype(str)
                order = present
        desc = f"by {dictionary.label(col)}"
    elif spec.kind == "age":
        c = spec.cutoff
        a, b = f"age ≥ {c:g}", f"age < {c:g}"
        labels[s >= c] = a
        labels[s < c] = b
        order, desc = [a, b], f"age at diagnosis ≥ {c:g} vs < {c:g} years"
    else:  # pragma: no cover - Literal guards
        raise GroupingError(f"Unknown grouping kind {spec.kind!r}.")
    n_excluded = int(labels.isna().sum())
    return Grouping(labels, order, desc, n_excluded, spec)


def grouping_choices(df: pd.DataFrame, dictionary: DataDictionary) -> dict[str, list[str]]:
    """Columns usable for each grouping kind in this cohort.

    Returns
    -------
    dict
        ``{"subtype": [...subtypes present], "binary": [...], "category": [...]}``.
    """
    present = [v for v in SUBTYPE_VALUES if "antibody_subtype" in df and (df["antibody_subtype"] == v).any() and v != "untested"]
    binary = [c for c in df.columns if dictionary.get(c).type == "binary" and df[c].notna().any()]
    category = [
        c for c in df.columns
        if dictionary.get(c).type in ("categorical", "sex") and c not in ("patient_id",) and 1 < df[c].nunique() <= 30
    ]
    return {"subtype": present, "binary": binary, "category": category}
