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
``cutoff``
    any numeric (continuous or ordinal) column ≥ ``cutoff`` (group A) vs < ``cutoff``
    (e.g. CK ≥ 1000 IU/L, MMT-8 < 120); ``age`` is this kind on ``age_at_diagnosis``.
    Patients with the value missing are in neither group.

Category values are matched and shown in their written form (:func:`category_text`),
whatever the column's dtype: ``0.0`` is ``"0"``, ``0.5`` is ``"0.5"``. A split that leaves a
group with no patient is refused by :meth:`Grouping.require_nonempty` /
:func:`require_groups` before any test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from core.i18n import _, core_label, language, n_, subtype_label
from core.schema import (
    DM_ANTIBODIES,
    SUBTYPE_LABELS,
    SUBTYPE_VALUES,
    DataDictionary,
    FeatureInfo,
)

GroupKind = Literal["subtype", "binary", "category", "levels", "age", "cutoff"]


class GroupingError(ValueError):
    """A grouping that cannot be applied to this cohort (message says why)."""


@dataclass(frozen=True)
class GroupSpec:
    """How to split a cohort (see module docstring).

    Attributes
    ----------
    kind : {"subtype", "binary", "category", "levels", "age", "cutoff"}
    column : str
        Column used (``antibody_subtype`` for ``subtype``, ``age_at_diagnosis`` for ``age``;
        required for ``cutoff``).
    values_a, values_b : tuple[str, ...]
        Category values of group A and B (``category``); ``values_a[0]`` is the subtype for
        ``subtype``.
    cutoff : float
        Cut-off (``age``: years; ``cutoff``: in the column's unit); group A is ``>=``.
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

    def empty_groups(self) -> list[str]:
        """Groups of :attr:`order` with no patient (in order; ``[]`` when none)."""
        return [g for g, n in self.sizes().items() if n == 0]

    def require_nonempty(self) -> None:
        """Raise :class:`GroupingError` when a group has no patient.

        Raises
        ------
        GroupingError
            ``"group 'X' has no patient: ..."`` naming the first empty group.
        """
        require_groups(self.labels, self.order, self.description)


def category_text(value: object) -> str | None:
    """The written form of one category value, the same whatever the column dtype.

    Integral numbers lose their decimal part (``0.0`` -> ``"0"``, ``2`` -> ``"2"``), other
    numbers keep their shortest exact form (``0.5`` -> ``"0.5"``), strings are kept as
    they are; missing values give ``None``.

    Parameters
    ----------
    value : object
        One cell of a column.

    Returns
    -------
    str or None
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if np.isnan(v):
            return None
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    return str(value)


def category_strings(s: pd.Series) -> pd.Series:
    """:func:`category_text` of every value of ``s`` (object Series, NaN when missing)."""
    return s.astype(object).map(category_text).where(s.notna(), np.nan)


def _level_key(text: str) -> tuple[int, float, str]:
    try:
        x = float(text)
    except ValueError:
        return 1, 0.0, text
    return (0, x, text) if np.isfinite(x) else (1, 0.0, text)


def category_levels(s: pd.Series) -> list[str]:
    """Distinct written forms (:func:`category_text`) of ``s``, numbers in numeric order
    first (``"2"`` before ``"10"``), then other text in alphabetical order."""
    texts = {t for t in category_strings(s).dropna()}
    return sorted(texts, key=_level_key)


def _canonical_values(values: tuple[str, ...], s: pd.Series) -> tuple[str, ...]:
    """Spell requested values as the column writes them.

    A value written as in the column is kept; otherwise a number is matched by value
    when exactly one level has it (``"0.0"`` -> ``"0"``, whether the column holds floats
    or the text ``"0"``). Anything else is kept as asked (and matches nobody).
    """
    levels = category_levels(s)
    out = []
    for v in values:
        v = category_text(v) or str(v)
        if v not in levels:
            try:
                x = float(v)
            except ValueError:
                x = float("nan")
            same = [lv for lv in levels if _level_key(lv)[0] == 0 and _level_key(lv)[1] == x]
            v = same[0] if len(same) == 1 else v
        out.append(v)
    return tuple(dict.fromkeys(out))


def require_groups(labels: pd.Series, order: list[str], description: str = "") -> None:
    """Refuse a split that leaves a group with no patient.

    Parameters
    ----------
    labels : pandas.Series
        Group label per patient (NaN = in no group).
    order : list of str
        The groups that must all have patients.
    description : str
        The split, for the message ("Sex: F vs M").

    Raises
    ------
    GroupingError
        ``"group 'X' has no patient: ..."`` for the first empty group.
    """
    counts = labels.value_counts()
    for g in order:
        if int(counts.get(g, 0)) == 0:
            others = ", ".join(f"{h!r}: {int(counts.get(h, 0))}" for h in order if h != g)
            n_none = int(labels.isna().sum())
            values = {"group": g, "split": description or _("this split"), "others": others}
            raise GroupingError(n_(
                "group {group!r} has no patient: {split} leaves it empty "
                "(other groups {others}; {n} patient(s) in no group).",
                "group {group!r} has no patient: {split} leaves it empty "
                "(other groups {others}; {n} patient(s) in no group).", n_none, **values,
            ) if others else n_(
                "group {group!r} has no patient: {split} leaves it empty "
                "(other groups none; {n} patient(s) in no group).",
                "group {group!r} has no patient: {split} leaves it empty "
                "(other groups none; {n} patient(s) in no group).", n_none, **values,
            ))


def binary_labels(column: str, dictionary: DataDictionary) -> tuple[str, str]:
    """Labels of the 1 and 0 groups of a binary column: ``anti-Mi2+``/``anti-Mi2−`` for an
    antibody, ``<Label>: yes``/``<Label>: no`` otherwise."""
    if column in DM_ANTIBODIES:
        base = SUBTYPE_LABELS[DM_ANTIBODIES[column]]
        return f"{base}+", f"{base}\u2212"
    if column.startswith("anti_"):
        base = core_label(column, dictionary.label(column))
        return f"{base}+", f"{base}\u2212"
    label = core_label(column, dictionary.label(column))
    return _("{label}: yes", label=label), _("{label}: no", label=label)


def _g(c: float) -> str:
    """A cut-off in its shortest form (``50``, ``0.5``; French ``0,5``)."""
    text = f"{c:g}"
    return text.replace(".", ",") if language() == "fr" else text


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
        raise GroupingError(_("The grouping column {column!r} is not in this cohort.", column=col))
    s = df[col]
    labels = pd.Series(np.nan, index=df.index, dtype=object)
    if spec.kind == "subtype":
        if not spec.values_a:
            raise GroupingError(_("Choose the antibody subtype of group A."))
        sub = spec.values_a[0]
        name = subtype_label(sub)
        a, b = name, _("other subtypes (not {name})", name=name)
        known = s.notna() & (s != "untested")
        labels[known & (s == sub)] = a
        labels[known & (s != sub)] = b
        order, desc = [a, b], _("{name} vs other antibody subtypes", name=name)
    elif spec.kind == "binary":
        a, b = binary_labels(col, dictionary)
        labels[s == 1] = a
        labels[s == 0] = b
        order, desc = [a, b], _("{a} vs {b}", a=a, b=b)
    elif spec.kind == "category":
        order, desc = _category_groups(s, spec, labels, core_label(col, dictionary.label(col)))
    elif spec.kind == "levels":
        order = _level_groups(s, col, labels, dictionary)
        desc = _("by {column}", column=core_label(col, dictionary.label(col)))
    elif spec.kind == "age":
        c = spec.cutoff
        a, b = _("age ≥ {cutoff}", cutoff=_g(c)), _("age < {cutoff}", cutoff=_g(c))
        labels[s >= c] = a
        labels[s < c] = b
        order, desc = [a, b], _("age at diagnosis ≥ {cutoff} vs < {cutoff} years", cutoff=_g(c))
    elif spec.kind == "cutoff":
        order, desc = _cutoff_groups(s, spec, labels, dictionary.get(col))
    else:  # pragma: no cover - Literal guards
        raise GroupingError(_("Unknown grouping kind {kind!r}.", kind=spec.kind))
    n_excluded = int(labels.isna().sum())
    return Grouping(labels, order, desc, n_excluded, spec)


def _category_groups(s: pd.Series, spec: GroupSpec, labels: pd.Series, label: str) -> tuple[list[str], str]:
    """Fill ``labels`` for a ``category`` split (matching on :func:`category_text`);
    returns the group order and the description."""
    values_a = _canonical_values(spec.values_a, s)
    values_b = _canonical_values(spec.values_b, s)
    if not values_a:
        raise GroupingError(_("Choose at least one value of {label} for group A.", label=label))
    if set(values_a) & set(values_b):
        raise GroupingError(_("A value cannot be in both groups."))
    text = category_strings(s)
    a = " / ".join(values_a)
    in_a = text.isin(values_a)
    if values_b:
        b = " / ".join(values_b)
        in_b = text.isin(values_b)
    else:
        b = _("other than {a}", a=a)
        in_b = text.notna() & ~in_a
    labels[in_a] = a
    labels[in_b] = b
    return [a, b], _("{label}: {a} vs {b}", label=label, a=a, b=b)


def _cutoff_groups(s: pd.Series, spec: GroupSpec, labels: pd.Series, info: FeatureInfo) -> tuple[list[str], str]:
    """Fill ``labels`` for a ``cutoff`` split (value ≥ cut-off = group A, < cut-off = B,
    missing = neither); returns the group order and the description.

    Raises
    ------
    GroupingError
        The column is not numeric, or the cut-off is not a finite number.
    """
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        raise GroupingError(_("{label} is not a number column: choose a continuous or ordinal column for a cut-off.", label=info.label))
    c = float(spec.cutoff)
    if not np.isfinite(c):
        raise GroupingError(_("The cut-off of {label} must be a finite number (got {cutoff!r}).", label=info.label, cutoff=spec.cutoff))
    a, b = f"{info.label} ≥ {_g(c)}", f"{info.label} < {_g(c)}"
    values = s.astype(np.float64)
    labels[values >= c] = a
    labels[values < c] = b
    desc = (_("{label} ≥ {cutoff} vs < {cutoff} {unit}", label=info.label, cutoff=_g(c), unit=info.unit) if info.unit
            else _("{label} ≥ {cutoff} vs < {cutoff}", label=info.label, cutoff=_g(c)))
    return [a, b], desc


def _level_groups(s: pd.Series, col: str, labels: pd.Series, dictionary: DataDictionary) -> list[str]:
    """Fill ``labels`` for a ``levels`` split (one group per level); returns the order."""
    if col in DM_ANTIBODIES or dictionary.get(col).type == "binary" and set(s.dropna().unique()) <= {0.0, 1.0}:
        a, b = binary_labels(col, dictionary)
        labels[s == 1] = a
        labels[s == 0] = b
        return [a, b]
    if col == "antibody_subtype":
        present = {str(v) for v in s.dropna().unique()}
        names = {v: subtype_label(v) for v in SUBTYPE_VALUES}
        mapped = s.map(lambda v: names.get(v, v) if isinstance(v, str) else v)
        labels[s.notna()] = mapped[s.notna()]
        return [names[v] for v in SUBTYPE_VALUES if v in present]
    text = category_strings(s)
    labels[text.notna()] = text[text.notna()]
    return category_levels(s)


def grouping_choices(df: pd.DataFrame, dictionary: DataDictionary) -> dict[str, list[str]]:
    """Columns usable for each grouping kind in this cohort.

    Returns
    -------
    dict
        ``{"subtype": [...subtypes present], "binary": [...], "category": [...],
        "cutoff": [...numeric continuous or ordinal columns with values]}``.
    """
    present = [v for v in SUBTYPE_VALUES if "antibody_subtype" in df and (df["antibody_subtype"] == v).any() and v != "untested"]
    binary = [c for c in df.columns if dictionary.get(c).type == "binary" and df[c].notna().any()]
    category = [
        c for c in df.columns
        if dictionary.get(c).type in ("categorical", "ordinal", "sex") and c not in ("patient_id",) and 1 < df[c].nunique() <= 30
    ]
    cutoff = [
        c for c in df.columns
        if dictionary.get(c).type in ("continuous", "ordinal") and pd.api.types.is_numeric_dtype(df[c])
        and not pd.api.types.is_bool_dtype(df[c]) and df[c].notna().any()
    ]
    return {"subtype": present, "binary": binary, "category": category, "cutoff": cutoff}
