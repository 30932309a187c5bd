"""Feature comparison between two groups of patients (the "Table I" of a cohort paper).

For each feature the two groups (A and B) are compared:

* **binary** features (float 1.0 / 0.0 / NaN): ``n/N (%)`` per group, where ``N`` counts the
  patients with the feature recorded (missing values are excluded from numerator and
  denominator); two-sided Fisher exact test; conditional maximum-likelihood odds ratio
  (odds of the feature in A over B) with its exact 95% confidence interval, exactly as R's
  ``fisher.test`` defines them (Fisher 1935; Agresti 2002, sec. 3.5, 16.6);
* **continuous** features: median and quartiles per group (R ``quantile`` type 7,
  Hyndman & Fan 1996), number of non-missing values, two-sided Mann-Whitney U test with
  the normal approximation, tie correction and continuity correction (R
  ``wilcox.test(exact = FALSE, correct = TRUE)``);
* optionally Benjamini-Hochberg q-values over all P values of the table (Benjamini &
  Hochberg 1995; :func:`scipy.stats.false_discovery_control`, as R ``p.adjust(, "BH")``).

The tests themselves are in :mod:`core.stats` (hand-written Fisher and Mann-Whitney, for
speed and R parity); reading and checking a published table is in :mod:`core.published`.
This module counts, tests feature by feature, and formats the table (display table,
subtype heatmap, methods paragraph).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.constants import MIN_GROUP_SIZE, MIN_NON_MISSING
from core.formatting import format_n_of_N, format_p
from core.schema import SUBTYPE_LABELS, DataDictionary, FeatureInfo
from core.stats import (
    bh_qvalues,
    fisher_2x2,
    fisher_p,
    mann_whitney_sorted,
    quantiles_sorted,
)

__all__ = [
    "ROW_COLUMNS",
    "CompareError",
    "ComparisonResult",
    "compare_groups",
    "compare_payload",
    "display_table",
    "format_or_ci",
    "methods_text",
    "subtype_heatmap",
]

ROW_COLUMNS: tuple[str, ...] = (
    "feature", "label", "group", "type", "test", "unit",
    "n_a", "N_a", "pct_a", "n_b", "N_b", "pct_b",
    "p_value", "odds_ratio", "or_ci_low", "or_ci_high", "q_value",
    "median_a", "q1_a", "q3_a", "median_b", "q1_b", "q3_b",
    "note",
)


class CompareError(ValueError):
    """Invalid input to the feature comparison (bad column, type or grouping)."""


# =====================================================================================
# Group comparison
# =====================================================================================
@dataclass(frozen=True)
class ComparisonResult:
    """Comparison of features between group A and group B.

    Attributes
    ----------
    group_a, group_b : str
        Group labels (A first: odds ratios are A over B).
    n_a, n_b : int
        Number of patients in each group.
    n_excluded : int
        Patients in neither group (grouping value missing, or a label other than the two
        compared).
    rows : pandas.DataFrame
        One row per feature with the columns :data:`ROW_COLUMNS`. For binary features
        ``n`` = patients with the feature, ``N`` = patients with the feature recorded,
        ``pct = 100 n / N``; for continuous features ``n`` = non-missing values and
        ``N``/``pct`` are missing (not applicable). ``odds_ratio`` and its CI are for
        binary features only; quartiles for continuous ones. ``q_value`` only with FDR.
    guardrails : list of str
        Small-sample warnings to show next to the table.
    fdr : bool
        Whether q-values were computed.
    conf_level : float
        Level of the odds-ratio confidence intervals.
    """

    group_a: str
    group_b: str
    n_a: int
    n_b: int
    n_excluded: int
    rows: pd.DataFrame
    guardrails: list[str] = field(default_factory=list)
    fdr: bool = False
    conf_level: float = 0.95

    def payload(self) -> dict[str, Any]:
        """JSON object printed by ``myoscope compare --json`` (see :func:`compare_payload`)."""
        return compare_payload(self)


def _json_number(v: Any) -> float | int | str | None:
    """JSON-safe number: NaN/NA -> ``None``; +inf -> ``"Infinity"``; -inf ->
    ``"-Infinity"``; integral numpy ints -> int."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    f = float(v)
    if math.isnan(f):
        return None
    if math.isinf(f):
        return "Infinity" if f > 0 else "-Infinity"
    return f


_PAYLOAD_ROW_KEYS: tuple[str, ...] = (
    "feature", "label", "type", "n_a", "N_a", "n_b", "N_b", "p_value",
    "odds_ratio", "or_ci_low", "or_ci_high", "q_value",
    "median_a", "q1_a", "q3_a", "median_b", "q1_b", "q3_b",
)


def compare_payload(result: ComparisonResult) -> dict[str, Any]:
    """The JSON object of a comparison (CLI ``--json``), JSON-safe.

    ``{"group_a": {"label", "n"}, "group_b": {"label", "n"}, "n_excluded", "fdr",
    "conf_level", "guardrails", "rows": [...]}``; each row has ``feature``, ``label``,
    ``type``, ``n_a``, ``N_a``, ``n_b``, ``N_b``, ``p_value``, ``odds_ratio``,
    ``or_ci_low``, ``or_ci_high``, ``q_value``, ``median_a``, ``q1_a``, ``q3_a``,
    ``median_b``, ``q1_b``, ``q3_b``.

    ``null`` means not applicable or not computable (e.g. ``N_a`` and the odds ratio of
    a continuous feature, medians of a binary one, ``q_value`` without FDR, an odds ratio
    that is not estimable). An infinite odds ratio or confidence limit (a zero cell) is
    the string ``"Infinity"`` -- standard JSON has no infinity and ``null`` would lose
    the difference between "unbounded" and "not computed"; JavaScript's ``Number()`` and
    Python's ``float()`` both parse it.
    """
    rows = []
    for rec in result.rows.to_dict("records"):
        rows.append(
            {k: (rec[k] if k in ("feature", "label", "type") else _json_number(rec[k])) for k in _PAYLOAD_ROW_KEYS}
        )
    return {
        "group_a": {"label": result.group_a, "n": int(result.n_a)},
        "group_b": {"label": result.group_b, "n": int(result.n_b)},
        "n_excluded": int(result.n_excluded),
        "fdr": bool(result.fdr),
        "conf_level": float(result.conf_level),
        "guardrails": list(result.guardrails),
        "rows": rows,
    }


def _group_masks(labels: pd.Series, index: pd.Index, group_a: Any, group_b: Any) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks of group A and group B members (aligned with ``index``)."""
    if not isinstance(labels, pd.Series):
        labels = pd.Series(labels)
    if len(labels) != len(index):
        raise CompareError(
            f"group labels have {len(labels)} entries but the cohort has {len(index)} patients"
        )
    if not labels.index.equals(index):
        if labels.index.has_duplicates or not labels.index.sort_values().equals(index.sort_values()):
            raise CompareError("group labels must be aligned with the cohort index (same patients)")
        labels = labels.reindex(index)
    if isinstance(labels.dtype, pd.CategoricalDtype):
        codes = labels.cat.codes.to_numpy()
        cats = list(labels.cat.categories)
        ca = cats.index(group_a) if group_a in cats else -2
        cb = cats.index(group_b) if group_b in cats else -2
        return codes == ca, codes == cb
    arr = labels.to_numpy(dtype=object)
    return arr == group_a, arr == group_b


def _binary_group_counts(values: np.ndarray, masks: Sequence[np.ndarray], name: str) -> list[tuple[int, int]]:
    """``(n yes, n recorded)`` of a 1/0/NaN feature within each mask; raises when a value
    is not 0, 1 or NaN. Boolean masks and :func:`numpy.count_nonzero` (a few ms for a
    million patients)."""
    pos = values == 1.0
    obs = pos | (values == 0.0)
    n_obs = int(np.count_nonzero(obs))
    n_nan = int(np.count_nonzero(np.isnan(values)))
    if n_obs + n_nan != values.size:
        bad = np.unique(values[~obs & ~np.isnan(values)])[:5]
        raise CompareError(
            f"binary feature '{name}' must contain only 1, 0 or missing; found {bad.tolist()} "
            "(recode it, or mark it continuous in the data dictionary)"
        )
    return [(int(np.count_nonzero(pos & m)), int(np.count_nonzero(obs & m))) for m in masks]


def _binary_counts(values: np.ndarray, codes: np.ndarray, n_codes: int, name: str) -> np.ndarray:
    """Counts ``[no, yes, missing]`` per group code (shape ``(n_codes, 3)``), one pass of
    :func:`numpy.bincount`; raises when a value is not 0, 1 or NaN."""
    s = values.astype(np.float64, copy=True)
    s[np.isnan(s)] = 2.0
    si = s.astype(np.intp)
    if si.size and (si.min() < 0 or si.max() > 2 or not np.array_equal(si, s)):
        bad = np.unique(values[(s != 0) & (s != 1) & (s != 2) | (si != s)])[:5]
        raise CompareError(
            f"binary feature '{name}' must contain only 1, 0 or missing; found {bad.tolist()} "
            "(recode it, or mark it continuous in the data dictionary)"
        )
    key = codes * 3 + si
    return np.bincount(key, minlength=n_codes * 3).reshape(n_codes, 3)


def _numeric_column(df: pd.DataFrame, name: str) -> np.ndarray:
    col = df[name]
    if isinstance(col, pd.DataFrame):
        raise CompareError(f"column '{name}' appears more than once in the cohort")
    if pd.api.types.is_bool_dtype(col):
        col = col.astype("float64")
    if not pd.api.types.is_numeric_dtype(col):
        raise CompareError(
            f"feature '{name}' is not numeric (dtype {col.dtype}); binary features must be coded "
            "1/0/missing and continuous features must be numbers"
        )
    return col.to_numpy(dtype=np.float64, na_value=np.nan)



def compare_groups(
    df: pd.DataFrame,
    labels: pd.Series,
    group_a: str,
    group_b: str,
    features: Sequence[str],
    dictionary: DataDictionary,
    fdr: bool = False,
    conf_level: float = 0.95,
) -> ComparisonResult:
    """Compare ``features`` between the patients labelled ``group_a`` and ``group_b``.

    Parameters
    ----------
    df : pandas.DataFrame
        Cohort (one row per patient; see ``docs/architecture.md``).
    labels : pandas.Series
        Group label per patient, aligned with ``df.index``; NaN (or any label other than
        ``group_a`` / ``group_b``) puts the patient in neither group (counted in
        ``n_excluded``).
    group_a, group_b : str
        The two labels compared; odds ratios are A over B.
    features : sequence of str
        Columns to compare, in display order. The type (``binary`` or ``continuous``)
        comes from ``dictionary.get(name).type``.
    dictionary : DataDictionary
        Labels, groups and types of the columns.
    fdr : bool
        Add Benjamini-Hochberg q-values over all P values of the table.
    conf_level : float
        Confidence level of the odds-ratio intervals.

    Returns
    -------
    ComparisonResult

    Raises
    ------
    CompareError
        Unknown column, unsupported feature type, non-numeric or non-binary values,
        misaligned labels, identical group labels.

    Notes
    -----
    Missing values of a feature are excluded from its numerator and denominator (binary)
    or from its sample (continuous). Binary: Fisher exact test and conditional MLE odds
    ratio with exact CI (:func:`core.stats.fisher_2x2`). Continuous: median (quartiles, type 7)
    and Mann-Whitney U (:func:`core.stats.mann_whitney`). Counting is vectorised (one ``bincount`` per
    binary feature; one sort per group for each continuous feature).
    """
    infos = _check_inputs(df, group_a, group_b, features, dictionary)
    is_a, is_b = _group_masks(labels, df.index, group_a, group_b)
    n_a, n_b = int(np.count_nonzero(is_a)), int(np.count_nonzero(is_b))
    n_excl = len(df) - n_a - n_b
    idx_a = idx_b = None

    records: list[dict[str, Any]] = []
    group_a, group_b = str(group_a), str(group_b)
    few: dict[str, list[str]] = {group_a: [], group_b: []}
    for info in infos:
        values = _numeric_column(df, info.name)
        rec = _empty_row(info)
        if info.type == "binary":
            notes, nn_a, nn_b = _binary_row(rec, values, is_a, is_b, info.name, conf_level)
        else:
            if idx_a is None:
                idx_a, idx_b = np.flatnonzero(is_a), np.flatnonzero(is_b)
            notes, nn_a, nn_b = _continuous_row(rec, values, idx_a, idx_b, info.name)
        for g, nn in ((group_a, nn_a), (group_b, nn_b)):
            if nn < MIN_NON_MISSING:
                few[g].append(f"{info.label} ({nn})")
                notes.append(f"fewer than {MIN_NON_MISSING} values in {g}")
        rec["note"] = "; ".join(notes)
        records.append(rec)

    return ComparisonResult(
        group_a=str(group_a), group_b=str(group_b), n_a=n_a, n_b=n_b, n_excluded=n_excl,
        rows=_rows_frame(records, fdr), guardrails=_guardrails(group_a, n_a, group_b, n_b, few),
        fdr=bool(fdr), conf_level=float(conf_level),
    )


def _check_inputs(df: pd.DataFrame, group_a: Any, group_b: Any, features: Sequence[str],
                  dictionary: DataDictionary) -> list[FeatureInfo]:
    """Dictionary entries of ``features``; raises on identical groups, a duplicate or
    unknown column, or a type other than binary / continuous."""
    if group_a == group_b:
        raise CompareError(f"the two groups must differ (both are '{group_a}')")
    if not isinstance(df, pd.DataFrame):
        raise CompareError("df must be a pandas DataFrame")
    features = list(features)
    dup = sorted({f for f in features if features.count(f) > 1})
    if dup:
        raise CompareError(f"features listed more than once: {', '.join(dup)}")
    missing = [f for f in features if f not in df.columns]
    if missing:
        raise CompareError(f"feature column(s) not in the cohort: {', '.join(missing)}")
    infos = [dictionary.get(f) for f in features]
    for info in infos:
        if info.type not in ("binary", "continuous", "ordinal"):
            raise CompareError(
                f"feature '{info.name}' has type '{info.type}'; only binary, continuous and ordinal "
                "features can be compared (change its type in the data dictionary or remove it)"
            )
    return infos


def _empty_row(info: FeatureInfo) -> dict[str, Any]:
    """A table row of :data:`ROW_COLUMNS` with the feature's description, numbers NaN."""
    rec: dict[str, Any] = {c: np.nan for c in ROW_COLUMNS}
    rec.update(feature=info.name, label=info.label, group=info.group, type=info.type, unit=info.unit)
    return rec


def _binary_row(rec: dict[str, Any], values: np.ndarray, is_a: np.ndarray, is_b: np.ndarray,
                name: str, conf_level: float) -> tuple[list[str], int, int]:
    """Fills ``rec`` for a binary feature (n/N, Fisher P, odds ratio); returns the notes
    and the number of recorded values in each group."""
    notes: list[str] = []
    (a_yes, N_a), (b_yes, N_b) = _binary_group_counts(values, (is_a, is_b), name)
    a_no, b_no = N_a - a_yes, N_b - b_yes
    rec.update(
        test="Fisher exact", n_a=a_yes, N_a=N_a, n_b=b_yes, N_b=N_b,
        pct_a=100.0 * a_yes / N_a if N_a else np.nan,
        pct_b=100.0 * b_yes / N_b if N_b else np.nan,
    )
    fr = fisher_2x2(a_yes, a_no, b_yes, b_no, conf_level)
    rec.update(p_value=fr.p_value, odds_ratio=fr.odds_ratio, or_ci_low=fr.ci_low, or_ci_high=fr.ci_high)
    if N_a == 0 or N_b == 0:
        notes.append("no recorded value in a group: not tested")
    elif math.isnan(fr.odds_ratio):
        notes.append("same value in every patient: odds ratio not estimable")
    elif fr.odds_ratio == 0.0 or math.isinf(fr.odds_ratio):
        notes.append("zero cell: odds ratio " + ("0" if fr.odds_ratio == 0 else "infinite")
                     + ", one confidence limit unbounded")
    return notes, N_a, N_b


def _continuous_row(rec: dict[str, Any], values: np.ndarray, idx_a: np.ndarray, idx_b: np.ndarray,
                    name: str) -> tuple[list[str], int, int]:
    """Fills ``rec`` for a continuous feature (quartiles, Mann-Whitney P); returns the
    notes and the number of non-missing values in each group."""
    notes: list[str] = []
    va, vb = values[idx_a], values[idx_b]
    if np.isinf(va).any() or np.isinf(vb).any():
        raise CompareError(f"continuous feature '{name}' contains infinite values")
    sa, sb = np.sort(va[~np.isnan(va)]), np.sort(vb[~np.isnan(vb)])
    mw = mann_whitney_sorted(sa, sb)
    qa, qb = quantiles_sorted(sa), quantiles_sorted(sb)
    rec.update(
        test="Mann-Whitney U", n_a=sa.size, n_b=sb.size, p_value=mw.p_value,
        q1_a=qa[0], median_a=qa[1], q3_a=qa[2], q1_b=qb[0], median_b=qb[1], q3_b=qb[2],
    )
    if sa.size == 0 or sb.size == 0:
        notes.append("no recorded value in a group: not tested")
    elif math.isnan(mw.p_value):
        notes.append("all values equal: not tested")
    return notes, sa.size, sb.size


def _rows_frame(records: list[dict[str, Any]], fdr: bool) -> pd.DataFrame:
    """The rows as a typed DataFrame (Int64 counts, float statistics; q-values with FDR)."""
    rows = pd.DataFrame.from_records(records, columns=list(ROW_COLUMNS))
    for c in ("n_a", "N_a", "n_b", "N_b"):
        rows[c] = pd.array(rows[c].to_numpy(dtype=np.float64), dtype="Float64").astype("Int64")
    for c in ROW_COLUMNS:
        if c not in ("feature", "label", "group", "type", "test", "unit", "note", "n_a", "N_a", "n_b", "N_b"):
            rows[c] = rows[c].astype(np.float64)
    rows["test"] = rows["test"].astype(object)
    if fdr:
        rows["q_value"] = bh_qvalues(rows["p_value"].to_numpy(dtype=np.float64))
    return rows


def _guardrails(group_a: str, n_a: int, group_b: str, n_b: int, few: dict[str, list[str]]) -> list[str]:
    """Small-group and sparse-feature warnings."""
    guardrails: list[str] = []
    for g, n in ((group_a, n_a), (group_b, n_b)):
        if n < MIN_GROUP_SIZE:
            guardrails.append(
                f"Group '{g}' has {n} patient{'s' if n != 1 else ''} (fewer than {MIN_GROUP_SIZE}): "
                "percentages and tests are unstable."
            )
    for g, items in few.items():
        if items:
            guardrails.append(
                f"Fewer than {MIN_NON_MISSING} non-missing values in '{g}' for: "
                + ", ".join(items) + "."
            )
    return guardrails


# =====================================================================================
# Display (journal style)
# =====================================================================================
def _fmt_ratio(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if math.isinf(x):
        return "∞"
    if x == 0:
        return "0"
    if x < 0.01:
        return f"{x:.2g}"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def format_or_ci(odds_ratio: float, low: float, high: float) -> str:
    """``OR (low–high)``, e.g. ``0.17 (0.0036–1.41)``, ``∞ (0.57–∞)``; ``—`` when the OR
    is not estimable."""
    if odds_ratio is None or math.isnan(odds_ratio):
        return "—"
    return f"{_fmt_ratio(odds_ratio)} ({_fmt_ratio(low)}–{_fmt_ratio(high)})"


def _fmt_number(x: float, decimals: int) -> str:
    if math.isnan(x):
        return "—"
    return f"{x:.{decimals}f}"


def _decimals_for(values: Iterable[float]) -> int:
    finite = [abs(v) for v in values if not math.isnan(v)]
    if not finite:
        return 1
    top = max(finite)
    if top >= 100:
        return 0
    if top >= 10:
        return 1
    return 2


def _median_iqr(med: float, q1: float, q3: float, n: int, decimals: int) -> str:
    if n == 0 or math.isnan(med):
        return "—"
    return f"{_fmt_number(med, decimals)} ({_fmt_number(q1, decimals)}–{_fmt_number(q3, decimals)}); n = {n}"


def display_table(result: ComparisonResult, header_row: bool = True) -> pd.DataFrame:
    """Journal-style table of strings (page, DOCX/XLSX export).

    Columns: ``Feature``, the two group labels, ``P`` (:func:`core.formatting.format_p`),
    ``q`` (with FDR), ``OR (95% CI)``. Binary rows read ``n/N (%)``; continuous rows
    ``median (Q1–Q3); n = k`` and the feature label gets its unit and ", median (IQR)".
    With ``header_row`` the first row gives the group sizes (``Patients, n``), so data
    row ``i`` of ``result.rows`` is display row ``i + 1``.
    """
    ci_pct = f"{round(100 * result.conf_level):d}%"
    cols = ["Feature", result.group_a, result.group_b, "P"]
    if result.fdr:
        cols.append("q")
    or_col = f"OR ({ci_pct} CI)"
    cols.append(or_col)
    out: list[dict[str, str]] = []
    if header_row:
        head = {c: "" for c in cols}
        head.update({"Feature": "Patients, n", result.group_a: str(result.n_a), result.group_b: str(result.n_b)})
        out.append(head)
    for rec in result.rows.to_dict("records"):
        row = {c: "" for c in cols}
        if rec["type"] == "binary":
            row["Feature"] = rec["label"]
            row[result.group_a] = format_n_of_N(int(rec["n_a"]), int(rec["N_a"]))
            row[result.group_b] = format_n_of_N(int(rec["n_b"]), int(rec["N_b"]))
            row[or_col] = format_or_ci(rec["odds_ratio"], rec["or_ci_low"], rec["or_ci_high"])
        else:
            unit = f" ({rec['unit']})" if rec.get("unit") else ""
            row["Feature"] = f"{rec['label']}{unit}, median (IQR)"
            dec = _decimals_for([rec["median_a"], rec["median_b"], rec["q1_a"], rec["q1_b"]])
            row[result.group_a] = _median_iqr(rec["median_a"], rec["q1_a"], rec["q3_a"], int(rec["n_a"]), dec)
            row[result.group_b] = _median_iqr(rec["median_b"], rec["q1_b"], rec["q3_b"], int(rec["n_b"]), dec)
        row["P"] = format_p(rec["p_value"])
        if result.fdr:
            row["q"] = format_p(rec["q_value"])
        out.append(row)
    # group labels equal to a fixed column name would collide; keep order regardless
    return pd.DataFrame(out, columns=cols)


# =====================================================================================
# Subtype heatmap
# =====================================================================================
def subtype_heatmap(
    df: pd.DataFrame,
    features: Sequence[str],
    dictionary: DataDictionary,
    subtypes: Sequence[str] = ("Mi2", "MDA5", "TIF1g", "NXP2", "SAE", "seronegative"),
    fdr: bool = False,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Frequency of each binary feature in each antibody subtype vs the rest.

    For subtype ``s`` and feature ``f``: ``n/N`` (``pct``) among patients of subtype
    ``s``, and the same among the "rest" -- patients with a known subtype other than
    ``s`` (``untested`` and missing subtypes are in neither group; ``multiple`` is in the
    rest); two-sided Fisher exact P (:func:`core.stats.fisher_p`) of ``s`` vs rest. ``significant``
    is ``p_value < alpha`` (``q_value < alpha`` when ``fdr``, q-values over all cells).
    Continuous features are skipped (the heatmap shows frequencies).

    Returns
    -------
    pandas.DataFrame
        Long format, columns ``subtype``, ``subtype_label``, ``feature``, ``label``,
        ``n``, ``N``, ``pct``, ``n_rest``, ``N_rest``, ``pct_rest``, ``p_value``,
        ``q_value``, ``significant``; subtypes in the given order, features in the
        given order.
    """
    if "antibody_subtype" not in df.columns:
        raise CompareError(
            "the heatmap needs the 'antibody_subtype' column (derived from the anti_* antibody "
            "columns at import)"
        )
    features = [f for f in features if dictionary.get(f).type == "binary"]
    missing = [f for f in features if f not in df.columns]
    if missing:
        raise CompareError(f"feature column(s) not in the cohort: {', '.join(missing)}")
    sub = df["antibody_subtype"].astype(object).where(df["antibody_subtype"].notna(), None)
    subtypes = list(subtypes)
    code_of = {s: i for i, s in enumerate(subtypes)}
    n_codes = len(subtypes) + 2  # other known subtype, unknown (untested / missing)
    known_other, unknown = len(subtypes), len(subtypes) + 1
    codes = _subtype_codes(sub, code_of, known_other, unknown)
    records: list[dict[str, Any]] = []
    for f in features:
        cnt = _binary_counts(_numeric_column(df, f), codes, n_codes, f)
        known = cnt[:unknown].sum(axis=0)  # [no, yes, missing] over known subtypes
        for s, i in code_of.items():
            n_yes, n_no = int(cnt[i, 1]), int(cnt[i, 0])
            r_yes, r_no = int(known[1] - n_yes), int(known[0] - n_no)
            N, N_rest = n_yes + n_no, r_yes + r_no
            records.append(
                {
                    "subtype": s, "subtype_label": SUBTYPE_LABELS.get(s, s),
                    "feature": f, "label": dictionary.label(f),
                    "n": n_yes, "N": N, "pct": 100.0 * n_yes / N if N else np.nan,
                    "n_rest": r_yes, "N_rest": N_rest,
                    "pct_rest": 100.0 * r_yes / N_rest if N_rest else np.nan,
                    "p_value": fisher_p(n_yes, n_no, r_yes, r_no),
                }
            )
    out = pd.DataFrame.from_records(
        records,
        columns=["subtype", "subtype_label", "feature", "label", "n", "N", "pct",
                 "n_rest", "N_rest", "pct_rest", "p_value"],
    )
    out["q_value"] = bh_qvalues(out["p_value"].to_numpy(dtype=np.float64)) if fdr else np.nan
    crit = out["q_value"] if fdr else out["p_value"]
    out["significant"] = (crit < alpha).fillna(False).astype(bool)
    order = {s: i for i, s in enumerate(subtypes)}
    forder = {f: i for i, f in enumerate(features)}
    out = out.sort_values(["subtype", "feature"], key=lambda c: c.map(order if c.name == "subtype" else forder))
    return out.reset_index(drop=True)


def _subtype_codes(sub: pd.Series, code_of: dict[str, int], known_other: int, unknown: int) -> np.ndarray:
    codes, uniques = pd.factorize(sub, use_na_sentinel=True)
    lookup = np.full(len(uniques) + 1, unknown, dtype=np.intp)
    for i, u in enumerate(uniques):
        lookup[i] = code_of.get(u, unknown if u == "untested" else known_other)
    return lookup[codes]


# =====================================================================================
# Methods paragraph
# =====================================================================================
def methods_text(result: ComparisonResult, filters_description: str = "") -> str:
    """One-paragraph methods text for the comparison (tests, missing data, filters)."""
    rows = result.rows
    has_bin = bool((rows["type"] == "binary").any())
    has_cont = bool(rows["type"].isin(["continuous", "ordinal"]).any())
    filt = filters_description.strip().rstrip(".")
    parts = [
        f"Patients were compared between two groups: {result.group_a} (n = {result.n_a}) and "
        f"{result.group_b} (n = {result.n_b})"
        + (f"; {result.n_excluded} patient{'s' if result.n_excluded != 1 else ''} with a missing or other "
           "grouping value were excluded" if result.n_excluded else "")
        + "."
    ]
    parts.append(f"Cohort filters: {filt}." if filt else "No cohort filter was applied.")
    parts.append(
        "Missing values were excluded feature by feature from numerators and denominators (n/N), "
        "without imputation."
    )
    if has_bin:
        parts.append(
            "Binary features are reported as n/N (%) and compared with the two-sided Fisher exact test; "
            f"odds ratios ({result.group_a} vs {result.group_b}) are conditional maximum-likelihood "
            f"estimates with exact {round(100 * result.conf_level)}% confidence intervals (as in R's "
            "fisher.test); a zero cell gives an odds ratio of 0 or infinity with an unbounded limit."
        )
    if has_cont:
        parts.append(
            "Continuous features are reported as median (interquartile range, quantile definition 7) "
            "and compared with the two-sided Mann-Whitney U test (normal approximation with tie and "
            "continuity corrections, as R's wilcox.test with exact = FALSE)."
        )
    if result.fdr:
        parts.append(
            f"P values of the {rows['p_value'].notna().sum()} tests were adjusted for multiple comparisons "
            "with the Benjamini-Hochberg false discovery rate procedure (q-values)."
        )
    else:
        parts.append("P values are not adjusted for multiple comparisons.")
    parts.append("P < .05 was considered significant. Computed with Myoscope.")
    return " ".join(parts)


# Thin re-export for pages/compare.py (owned elsewhere), which still imports the published-table
# names from here; remove once it imports them from core.published. Lazy, because
# core.published imports this module.
