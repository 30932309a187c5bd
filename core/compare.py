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

Any number of groups (:func:`compare_multi`, gtsummary's ``tbl_summary(by =) |>
add_overall()``): an Overall column, ``n/N (%)`` per binary feature or per level of a
categorical one, median (IQR) for continuous and ordinal ones, explicit Unknown rows
(missing counts per group); overall P by Fisher's exact test of the r x c table
(enumeration, Freeman & Halton 1951; Pearson's chi-square with a warning when infeasible)
or Kruskal-Wallis (Kruskal & Wallis 1952); pairwise and one-vs-rest P (Fisher /
Mann-Whitney) with Benjamini-Hochberg q-values within each feature.

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
from core.groups import category_levels, category_strings
from core.i18n import _, core_label, fmt_ci_label, language, n_
from core.schema import SUBTYPE_LABELS, DataDictionary, FeatureInfo
from core.stats import (
    FISHER_MAX_TABLES,
    bh_qvalues,
    contingency_test,
    fisher_2x2,
    fisher_p,
    kruskal_wallis,
    mann_whitney,
    mann_whitney_sorted,
    quantiles_sorted,
)

__all__ = [
    "ROW_COLUMNS",
    "CompareError",
    "ComparisonResult",
    "MultiComparisonResult",
    "compare_groups",
    "compare_multi",
    "compare_multi_payload",
    "compare_payload",
    "display_multi_table",
    "display_pairwise",
    "display_table",
    "format_or_ci",
    "methods_text",
    "methods_text_multi",
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
        raise CompareError(_("group labels have {n} entries but the cohort has {total} patients",
                             n=len(labels), total=len(index)))
    if not labels.index.equals(index):
        if labels.index.has_duplicates or not labels.index.sort_values().equals(index.sort_values()):
            raise CompareError(_("group labels must be aligned with the cohort index (same patients)"))
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
        raise CompareError(_(
            "binary feature '{name}' must contain only 1, 0 or missing; found {values} "
            "(recode it, or mark it continuous in the data dictionary)", name=name, values=bad.tolist(),
        ))
    return [(int(np.count_nonzero(pos & m)), int(np.count_nonzero(obs & m))) for m in masks]


def _binary_counts(values: np.ndarray, codes: np.ndarray, n_codes: int, name: str) -> np.ndarray:
    """Counts ``[no, yes, missing]`` per group code (shape ``(n_codes, 3)``), one pass of
    :func:`numpy.bincount`; raises when a value is not 0, 1 or NaN."""
    s = values.astype(np.float64, copy=True)
    s[np.isnan(s)] = 2.0
    si = s.astype(np.intp)
    if si.size and (si.min() < 0 or si.max() > 2 or not np.array_equal(si, s)):
        bad = np.unique(values[(s != 0) & (s != 1) & (s != 2) | (si != s)])[:5]
        raise CompareError(_(
            "binary feature '{name}' must contain only 1, 0 or missing; found {values} "
            "(recode it, or mark it continuous in the data dictionary)", name=name, values=bad.tolist(),
        ))
    key = codes * 3 + si
    return np.bincount(key, minlength=n_codes * 3).reshape(n_codes, 3)


def _numeric_column(df: pd.DataFrame, name: str) -> np.ndarray:
    col = df[name]
    if isinstance(col, pd.DataFrame):
        raise CompareError(_("column '{name}' appears more than once in the cohort", name=name))
    if pd.api.types.is_bool_dtype(col):
        col = col.astype("float64")
    if not pd.api.types.is_numeric_dtype(col):
        raise CompareError(_(
            "feature '{name}' is not numeric (dtype {dtype}); binary features must be coded "
            "1/0/missing and continuous features must be numbers", name=name, dtype=col.dtype,
        ))
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
                notes.append(_("fewer than {k} values in {group}", k=MIN_NON_MISSING, group=g))
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
        raise CompareError(_("the two groups must differ (both are '{group}')", group=group_a))
    if not isinstance(df, pd.DataFrame):
        raise CompareError("df must be a pandas DataFrame")
    features = _feature_list(df, features)
    infos = [dictionary.get(f) for f in features]
    for info in infos:
        if info.type not in ("binary", "continuous", "ordinal"):
            raise CompareError(_(
                "feature '{name}' has type '{type}'; only binary, continuous and ordinal "
                "features can be compared (change its type in the data dictionary or remove it)",
                name=info.name, type=info.type,
            ))
    return infos


def _feature_list(df: pd.DataFrame, features: Sequence[str]) -> list[str]:
    """The features as a list; raises when one is listed twice or is not in the cohort."""
    features = list(features)
    dup = sorted({f for f in features if features.count(f) > 1})
    if dup:
        raise CompareError(_("features listed more than once: {features}", features=", ".join(dup)))
    missing = [f for f in features if f not in df.columns]
    if missing:
        raise CompareError(_("feature column(s) not in the cohort: {features}", features=", ".join(missing)))
    return features


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
        notes.append(_("no recorded value in a group: not tested"))
    elif math.isnan(fr.odds_ratio):
        notes.append(_("same value in every patient: odds ratio not estimable"))
    elif fr.odds_ratio == 0.0:
        notes.append(_("zero cell: odds ratio 0, one confidence limit unbounded"))
    elif math.isinf(fr.odds_ratio):
        notes.append(_("zero cell: odds ratio infinite, one confidence limit unbounded"))
    return notes, N_a, N_b


def _continuous_row(rec: dict[str, Any], values: np.ndarray, idx_a: np.ndarray, idx_b: np.ndarray,
                    name: str) -> tuple[list[str], int, int]:
    """Fills ``rec`` for a continuous feature (quartiles, Mann-Whitney P); returns the
    notes and the number of non-missing values in each group."""
    notes: list[str] = []
    va, vb = values[idx_a], values[idx_b]
    if np.isinf(va).any() or np.isinf(vb).any():
        raise CompareError(_("continuous feature '{name}' contains infinite values", name=name))
    sa, sb = np.sort(va[~np.isnan(va)]), np.sort(vb[~np.isnan(vb)])
    mw = mann_whitney_sorted(sa, sb)
    qa, qb = quantiles_sorted(sa), quantiles_sorted(sb)
    rec.update(
        test="Mann-Whitney U", n_a=sa.size, n_b=sb.size, p_value=mw.p_value,
        q1_a=qa[0], median_a=qa[1], q3_a=qa[2], q1_b=qb[0], median_b=qb[1], q3_b=qb[2],
    )
    if sa.size == 0 or sb.size == 0:
        notes.append(_("no recorded value in a group: not tested"))
    elif math.isnan(mw.p_value):
        notes.append(_("all values equal: not tested"))
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
            guardrails.append(_small_group(g, n))
    for g, items in few.items():
        if items:
            guardrails.append(_("Fewer than {k} non-missing values in '{group}' for: {features}.",
                                k=MIN_NON_MISSING, group=g, features=", ".join(items)))
    return guardrails


# =====================================================================================
# Display (journal style)
# =====================================================================================
def _small_group(g: str, n: int) -> str:
    """The guardrail of a group smaller than ``MIN_GROUP_SIZE``."""
    return n_("Group '{group}' has {n} patient (fewer than {k}): percentages and tests are unstable.",
              "Group '{group}' has {n} patients (fewer than {k}): percentages and tests are unstable.",
              n, group=g, k=MIN_GROUP_SIZE)


def _loc(text: str) -> str:
    """A formatted number with the language's decimal mark (``0,17`` in French)."""
    return text.replace(".", ",") if language() == "fr" else text


def _fmt_ratio(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if math.isinf(x):
        return "∞"
    if x == 0:
        return "0"
    if x < 0.01:
        return _loc(f"{x:.2g}")
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return _loc(f"{x:.1f}")
    return _loc(f"{x:.2f}")


def format_or_ci(odds_ratio: float, low: float, high: float) -> str:
    """``OR (low–high)``, e.g. ``0.17 (0.0036–1.41)``, ``∞ (0.57–∞)``; ``—`` when the OR
    is not estimable."""
    if odds_ratio is None or math.isnan(odds_ratio):
        return "—"
    return f"{_fmt_ratio(odds_ratio)} ({_fmt_ratio(low)}–{_fmt_ratio(high)})"


def _fmt_number(x: float, decimals: int) -> str:
    if math.isnan(x):
        return "—"
    return _loc(f"{x:.{decimals}f}")


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
    return _("{median} ({q1}–{q3}); n = {n}", median=_fmt_number(med, decimals), q1=_fmt_number(q1, decimals),
             q3=_fmt_number(q3, decimals), n=n)


def display_table(result: ComparisonResult, header_row: bool = True,
                  overall: MultiComparisonResult | None = None) -> pd.DataFrame:
    """Journal-style table of strings (page, DOCX/XLSX export).

    Columns: ``Feature``, the two group labels, ``Overall`` (when ``overall`` -- the
    :func:`compare_multi` result of the same groups and features -- is given), ``P``
    (:func:`core.formatting.format_p`), ``q`` (with FDR), ``OR (95% CI)``. Binary rows read
    ``n/N (%)``; continuous rows ``median (Q1–Q3); n = k`` and the feature label gets its
    unit and ", median (IQR)". With ``header_row`` the first row gives the group sizes
    (``Patients, n``), so data row ``i`` of ``result.rows`` is display row ``i + 1``.
    """
    cols = ["Feature", result.group_a, result.group_b, *([OVERALL] if overall is not None else []), "P"]
    if result.fdr:
        cols.append("q")
    or_col = _("OR ({ci})", ci=fmt_ci_label(round(100 * result.conf_level) / 100))
    cols.append(or_col)
    out: list[dict[str, str]] = []
    if header_row:
        head = {c: "" for c in cols}
        head.update({"Feature": _("Patients, n"), result.group_a: str(result.n_a), result.group_b: str(result.n_b)})
        if overall is not None:
            head[OVERALL] = str(overall.n_total)
        out.append(head)
    pooled = _overall_texts(overall) if overall is not None else {}
    for rec in result.rows.to_dict("records"):
        row = {c: "" for c in cols}
        if rec["type"] == "binary":
            row["Feature"] = core_label(rec["feature"], rec["label"])
            row[result.group_a] = format_n_of_N(int(rec["n_a"]), int(rec["N_a"]))
            row[result.group_b] = format_n_of_N(int(rec["n_b"]), int(rec["N_b"]))
            row[or_col] = format_or_ci(rec["odds_ratio"], rec["or_ci_low"], rec["or_ci_high"])
        else:
            row["Feature"] = _median_label(rec)
            dec = _decimals_for([rec["median_a"], rec["median_b"], rec["q1_a"], rec["q1_b"]])
            row[result.group_a] = _median_iqr(rec["median_a"], rec["q1_a"], rec["q3_a"], int(rec["n_a"]), dec)
            row[result.group_b] = _median_iqr(rec["median_b"], rec["q1_b"], rec["q3_b"], int(rec["n_b"]), dec)
        row["P"] = format_p(rec["p_value"])
        if result.fdr:
            row["q"] = format_p(rec["q_value"])
        if overall is not None:
            row[OVERALL] = pooled.get(rec["feature"], "—")
        out.append(row)
    # group labels equal to a fixed column name would collide; keep order regardless
    return _headers(pd.DataFrame(out, columns=cols))


def _median_label(rec: dict[str, Any]) -> str:
    """``Label (unit), median (IQR)`` of a continuous row."""
    if rec.get("unit"):
        return _("{label} ({unit}), median (IQR)", label=core_label(rec["feature"], rec["label"]), unit=rec["unit"])
    return _("{label}, median (IQR)", label=core_label(rec["feature"], rec["label"]))


def _headers(table: pd.DataFrame) -> pd.DataFrame:
    """The display table with its fixed column headers in the current language."""
    if language() == "en":
        return table
    fixed = {"Feature": _("Feature"), "Characteristic": _("Characteristic"), OVERALL: _("Overall")}
    return table.rename(columns={c: fixed[c] for c in table.columns if c in fixed})


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
        raise CompareError(_(
            "the heatmap needs the 'antibody_subtype' column (derived from the anti_* antibody "
            "columns at import)"
        ))
    features = [f for f in features if dictionary.get(f).type == "binary"]
    missing = [f for f in features if f not in df.columns]
    if missing:
        raise CompareError(_("feature column(s) not in the cohort: {features}", features=", ".join(missing)))
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
def _p_threshold() -> str:
    """``P < .05`` (French ``P < 0,05``)."""
    return "P < 0,05" if language() == "fr" else "P < .05"


def methods_text(result: ComparisonResult, filters_description: str = "") -> str:
    """One-paragraph methods text for the comparison (tests, missing data, filters)."""
    rows = result.rows
    has_bin = bool((rows["type"] == "binary").any())
    has_cont = bool(rows["type"].isin(["continuous", "ordinal"]).any())
    filt = filters_description.strip().rstrip(".")
    groups = {"group_a": result.group_a, "n_a": result.n_a, "group_b": result.group_b, "n_b": result.n_b}
    if result.n_excluded:
        parts = [n_("Patients were compared between two groups: {group_a} (n = {n_a}) and {group_b} (n = {n_b}); "
                    "{n} patient with a missing or other grouping value were excluded.",
                    "Patients were compared between two groups: {group_a} (n = {n_a}) and {group_b} (n = {n_b}); "
                    "{n} patients with a missing or other grouping value were excluded.",
                    result.n_excluded, **groups)]
    else:
        parts = [_("Patients were compared between two groups: {group_a} (n = {n_a}) and {group_b} (n = {n_b}).", **groups)]
    parts.append(_("Cohort filters: {filters}.", filters=filt) if filt else _("No cohort filter was applied."))
    parts.append(_(
        "Missing values were excluded feature by feature from numerators and denominators (n/N), "
        "without imputation."
    ))
    if has_bin:
        parts.append(_(
            "Binary features are reported as n/N (%) and compared with the two-sided Fisher exact test; "
            "odds ratios ({group_a} vs {group_b}) are conditional maximum-likelihood "
            "estimates with exact {level}% confidence intervals (as in R's "
            "fisher.test); a zero cell gives an odds ratio of 0 or infinity with an unbounded limit.",
            group_a=result.group_a, group_b=result.group_b, level=round(100 * result.conf_level),
        ))
    if has_cont:
        parts.append(_(
            "Continuous features are reported as median (interquartile range, quantile definition 7) "
            "and compared with the two-sided Mann-Whitney U test (normal approximation with tie and "
            "continuity corrections, as R's wilcox.test with exact = FALSE)."
        ))
    if result.fdr:
        parts.append(_(
            "P values of the {n} tests were adjusted for multiple comparisons "
            "with the Benjamini-Hochberg false discovery rate procedure (q-values).",
            n=rows["p_value"].notna().sum(),
        ))
    else:
        parts.append(_("P values are not adjusted for multiple comparisons."))
    parts.append(_("{p} was considered significant. Computed with Myoscope.", p=_p_threshold()))
    return " ".join(parts)


# =====================================================================================
# Table 1 for any number of groups (gtsummary ``tbl_summary(by=) |> add_overall()``)
# =====================================================================================
#: Label of the column of all compared patients.
OVERALL = "Overall"
#: Label of the missing-value rows.
UNKNOWN = "Unknown"
#: Feature types the N-group table summarises.
MULTI_TYPES: tuple[str, ...] = ("binary", "continuous", "ordinal", "categorical", "sex")
#: Label of "every other compared patient" in one-vs-rest tests.
REST = "rest"

CELL_COLUMNS: tuple[str, ...] = (
    "feature", "row", "level", "group", "n", "N", "pct", "median", "q1", "q3",
)
FEATURE_COLUMNS: tuple[str, ...] = (
    "feature", "label", "group", "type", "unit", "test", "statistic", "df", "p_value",
    "chisq_statistic", "chisq_df", "chisq_p", "n_tables", "min_expected", "warning",
)
PAIR_COLUMNS: tuple[str, ...] = ("feature", "comparison", "group_1", "group_2", "test", "p_value", "q_value")


@dataclass(frozen=True)
class MultiComparisonResult:
    """Table 1 of ``k >= 2`` groups with an Overall column.

    Attributes
    ----------
    groups : list of str
        Group labels in display order.
    sizes : dict
        Patients per group.
    n_excluded : int
        Patients in no compared group.
    features : pandas.DataFrame
        One row per feature (:data:`FEATURE_COLUMNS`): overall test (``Fisher exact``,
        ``Pearson chi-square`` or ``Kruskal-Wallis``), its statistic, df and P; Pearson's
        chi-square of the contingency table (always, for categorical data); the number of
        tables the exact test enumerated; a warning when it fell back to chi-square.
    cells : pandas.DataFrame
        One row per (feature, table row, group incl. :data:`OVERALL`) (:data:`CELL_COLUMNS`).
        ``row`` is ``value`` (binary: n/N with the feature; continuous/ordinal: quartiles,
        ``n`` = values), ``level`` (categorical: n/N of the level) or ``unknown``
        (``n`` = patients with the feature missing, ``N`` = group size).
    pairwise : pandas.DataFrame
        :data:`PAIR_COLUMNS`; ``comparison`` is ``pair`` (each pair of groups) or
        ``vs_rest`` (a group vs every other compared patient, ``group_2`` = ``"rest"``).
        ``q_value``: Benjamini-Hochberg over the tests of the same feature and comparison.
    guardrails : list of str
    """

    groups: list[str]
    sizes: dict[str, int]
    n_excluded: int
    features: pd.DataFrame
    cells: pd.DataFrame
    pairwise: pd.DataFrame
    guardrails: list[str] = field(default_factory=list)

    @property
    def n_total(self) -> int:
        """Patients in the compared groups (the Overall column)."""
        return int(sum(self.sizes.values()))

    def payload(self) -> dict[str, Any]:
        """JSON object of the comparison (see :func:`compare_multi_payload`)."""
        return compare_multi_payload(self)


def compare_multi(
    df: pd.DataFrame,
    labels: pd.Series,
    groups: Sequence[str],
    features: Sequence[str],
    dictionary: DataDictionary,
) -> MultiComparisonResult:
    """Table 1 of any number of groups, with an Overall column and pairwise tests.

    Parameters
    ----------
    df : pandas.DataFrame
        Cohort.
    labels : pandas.Series
        Group label per patient, aligned with ``df.index`` (other labels / NaN: excluded).
    groups : sequence of str
        The compared groups (at least 2), in display order.
    features : sequence of str
        Columns of type binary, continuous, ordinal, categorical or sex.
    dictionary : DataDictionary

    Returns
    -------
    MultiComparisonResult

    Notes
    -----
    Per cell: binary ``n/N (%)`` (``N`` = recorded), categorical one ``n/N (%)`` per level,
    continuous and ordinal median (Q1-Q3) with R type-7 quantiles (Hyndman & Fan 1996);
    missing values are counted in an ``Unknown`` row. Overall P: Fisher's exact test of the
    level x group table by enumeration (Freeman & Halton 1951, as R ``fisher.test``) when at
    most :data:`core.stats.FISHER_MAX_TABLES` tables have its margins, else Pearson's
    chi-square (``chisq.test(correct = FALSE)``) with a warning; Kruskal-Wallis
    (``kruskal.test``; Kruskal & Wallis 1952) for continuous and ordinal features. Pairwise
    and one-vs-rest P: Fisher (2 x 2, or r x 2 for a categorical feature) or Mann-Whitney U
    (as :func:`compare_groups`), Benjamini-Hochberg adjusted within each feature
    (Benjamini & Hochberg 1995; R ``p.adjust(, "BH")``).
    """
    groups = [str(g) for g in groups]
    infos = _check_multi_inputs(df, groups, features, dictionary)
    codes = _group_codes(labels, df.index, groups)
    sizes = {g: int(np.count_nonzero(codes == i)) for i, g in enumerate(groups)}
    feats, cells, pairs = [], [], []
    for info in infos:
        f_rec, f_cells, f_pairs = _multi_feature(df, info, codes, groups)
        feats.append(f_rec)
        cells += f_cells
        pairs += f_pairs
    pair_frame = _adjust_pairs(pd.DataFrame.from_records(pairs, columns=list(PAIR_COLUMNS)))
    feat_frame = pd.DataFrame.from_records(feats, columns=list(FEATURE_COLUMNS))
    return MultiComparisonResult(
        groups=groups, sizes=sizes, n_excluded=int(np.count_nonzero(codes < 0)),
        features=feat_frame,
        cells=pd.DataFrame.from_records(cells, columns=list(CELL_COLUMNS)),
        pairwise=pair_frame, guardrails=_multi_guardrails(sizes, feat_frame),
    )


def _check_multi_inputs(df: pd.DataFrame, groups: list[str], features: Sequence[str],
                        dictionary: DataDictionary) -> list[FeatureInfo]:
    """Dictionary entries of ``features``; raises on < 2 or repeated groups, a duplicate
    or unknown column, or an unsupported type."""
    if len(groups) < 2 or len(set(groups)) != len(groups):
        raise CompareError(_("at least two distinct groups are needed (got {groups})", groups=groups))
    features = _feature_list(df, features)
    infos = [dictionary.get(f) for f in features]
    for info in infos:
        if info.type not in MULTI_TYPES:
            raise CompareError(
                _("feature '{name}' has type '{type}'; only binary, continuous, ordinal and "
                  "categorical features can be summarised", name=info.name, type=info.type)
            )
    return infos


def _group_codes(labels: pd.Series, index: pd.Index, groups: list[str]) -> np.ndarray:
    """Group index per patient (``-1``: in no compared group), aligned with ``index``."""
    if not isinstance(labels, pd.Series):
        labels = pd.Series(labels, index=index)
    if len(labels) != len(index):
        raise CompareError(_("group labels have {n} entries but the cohort has {total} patients",
                             n=len(labels), total=len(index)))
    if not labels.index.equals(index):
        labels = labels.reindex(index)
    text = labels.astype(object).where(labels.notna(), None).to_numpy(dtype=object)
    pos = {g: i for i, g in enumerate(groups)}
    return np.fromiter((pos.get(v, -1) if isinstance(v, str) else -1 for v in text), dtype=np.intp, count=len(text))


def _multi_feature(df: pd.DataFrame, info: FeatureInfo, codes: np.ndarray,
                   groups: list[str]) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """Cells, overall test and pairwise tests of one feature."""
    rec: dict[str, Any] = {c: np.nan for c in FEATURE_COLUMNS}
    rec.update(feature=info.name, label=info.label, group=info.group, type=info.type, unit=info.unit,
               warning="", n_tables=0)
    if info.type in ("continuous", "ordinal"):
        values = _numeric_column(df, info.name)
        if np.isinf(values).any():
            raise CompareError(_("continuous feature '{name}' contains infinite values", name=info.name))
        samples = [values[codes == i] for i in range(len(groups))]
        cells = _continuous_cells(info.name, samples, groups)
        kw = kruskal_wallis(samples)
        rec.update(test="Kruskal-Wallis", statistic=kw.statistic, df=kw.df, p_value=kw.p_value)
        pairs = _pair_tests(info.name, samples, groups, _mw_p, "Mann-Whitney U")
        return rec, cells, pairs
    level_codes, levels = _level_codes(df, info)
    counts = _level_counts(level_codes, codes, len(levels), len(groups))  # (levels + 1 missing, groups)
    cells = _level_cells(info, counts, levels, groups)
    table = counts[:-1]
    ct = contingency_test(table)
    rec.update(test=ct.method, statistic=ct.statistic if ct.method != "Fisher exact" else np.nan,
               df=ct.df if ct.method != "Fisher exact" else np.nan, p_value=ct.p_value,
               chisq_statistic=ct.statistic, chisq_df=ct.df, chisq_p=ct.chisq_p,
               n_tables=ct.n_tables, min_expected=ct.min_expected, warning=ct.warning)
    columns = [table[:, i] for i in range(len(groups))]
    test = "Fisher exact" if table.shape[0] == 2 else "Fisher exact (r x 2)"
    pairs = _pair_tests(info.name, columns, groups, _table_p, test)
    return rec, cells, pairs


def _continuous_cells(name: str, samples: list[np.ndarray], groups: list[str]) -> list[dict[str, Any]]:
    """Quartiles and missing counts of each group and of all compared patients."""
    out = []
    for g, s in [(OVERALL, np.concatenate(samples)), *zip(groups, samples)]:
        ok = np.sort(s[~np.isnan(s)])
        q1, med, q3 = quantiles_sorted(ok)
        out.append({"feature": name, "row": "value", "level": "", "group": g, "n": int(ok.size),
                    "N": int(s.size), "pct": np.nan, "median": med, "q1": q1, "q3": q3})
        out.append(_unknown_cell(name, g, int(s.size - ok.size), int(s.size)))
    return out


def _unknown_cell(name: str, group: str, n_missing: int, size: int) -> dict[str, Any]:
    return {"feature": name, "row": "unknown", "level": UNKNOWN, "group": group, "n": n_missing,
            "N": size, "pct": 100.0 * n_missing / size if size else np.nan,
            "median": np.nan, "q1": np.nan, "q3": np.nan}


def _level_codes(df: pd.DataFrame, info: FeatureInfo) -> tuple[np.ndarray, list[str]]:
    """Level index per patient (``-1`` missing) and the level names. Binary features have
    levels ``["no", "yes"]`` (values 0 / 1); categorical ones their written forms."""
    if info.type == "binary":
        values = _numeric_column(df, info.name)
        _binary_group_counts(values, (), info.name)  # raises unless 0 / 1 / NaN
        codes = np.where(np.isnan(values), -1, values).astype(np.intp)
        return codes, ["no", "yes"]
    col = df[info.name]
    levels = category_levels(col)
    pos = {lv: i for i, lv in enumerate(levels)}
    text = category_strings(col).to_numpy(dtype=object)
    codes = np.fromiter((pos.get(v, -1) if isinstance(v, str) else -1 for v in text), dtype=np.intp, count=len(text))
    return codes, levels


def _level_counts(level_codes: np.ndarray, codes: np.ndarray, n_levels: int, n_groups: int) -> np.ndarray:
    """Counts of shape ``(n_levels + 1, n_groups)``; the last row counts missing values."""
    inside = codes >= 0
    lv = np.where(level_codes < 0, n_levels, level_codes)[inside]
    key = lv * n_groups + codes[inside]
    return np.bincount(key, minlength=(n_levels + 1) * n_groups).reshape(n_levels + 1, n_groups)


def _level_cells(info: FeatureInfo, counts: np.ndarray, levels: list[str],
                 groups: list[str]) -> list[dict[str, Any]]:
    """n/N (%) cells: the "yes" row of a binary feature, every level of a categorical one,
    then the missing counts; Overall first."""
    out = []
    full = np.column_stack([counts.sum(axis=1), counts])
    recorded = full[:-1].sum(axis=0)
    shown = [(1, "value", "")] if info.type == "binary" else [(i, "level", lv) for i, lv in enumerate(levels)]
    for j, g in enumerate([OVERALL, *groups]):
        N = int(recorded[j])
        for i, row, level in shown:
            n = int(full[i, j])
            out.append({"feature": info.name, "row": row, "level": level, "group": g, "n": n, "N": N,
                        "pct": 100.0 * n / N if N else np.nan, "median": np.nan, "q1": np.nan, "q3": np.nan})
        out.append(_unknown_cell(info.name, g, int(full[-1, j]), int(full[:, j].sum())))
    return out


def _mw_p(a: np.ndarray, b: np.ndarray) -> float:
    return mann_whitney(a, b).p_value


def _table_p(a: np.ndarray, b: np.ndarray) -> float:
    """P of the level x 2 table of two count columns: Fisher 2 x 2 (R's ``fisher.test``
    path), r x 2 by enumeration, chi-square when infeasible."""
    t = _drop_empty_rows(np.column_stack([a, b]))
    if t.shape[0] == 2:
        return fisher_p(int(t[1, 0]), int(t[0, 0]), int(t[1, 1]), int(t[0, 1]))
    return contingency_test(t).p_value


def _drop_empty_rows(t: np.ndarray) -> np.ndarray:
    return t[t.sum(axis=1) > 0] if t.shape[0] > 2 else t


def _pair_tests(name: str, data: list[np.ndarray], groups: list[str], test: Any,
                label: str) -> list[dict[str, Any]]:
    """Each pair of groups, then each group vs the rest (concatenated samples or summed
    counts of the other groups)."""
    out = []
    k = len(groups)
    for i in range(k):
        for j in range(i + 1, k):
            out.append({"feature": name, "comparison": "pair", "group_1": groups[i], "group_2": groups[j],
                        "test": label, "p_value": test(data[i], data[j]), "q_value": np.nan})
    if k > 2:
        for i in range(k):
            others = [data[j] for j in range(k) if j != i]
            rest = np.concatenate(others) if label == "Mann-Whitney U" else np.sum(others, axis=0)
            out.append({"feature": name, "comparison": "vs_rest", "group_1": groups[i], "group_2": REST,
                        "test": label, "p_value": test(data[i], rest), "q_value": np.nan})
    return out


def _adjust_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """Benjamini-Hochberg q-values within each (feature, comparison)."""
    pairs["p_value"] = pairs["p_value"].astype(np.float64)
    pairs["q_value"] = np.nan
    for idx in pairs.groupby(["feature", "comparison"], sort=False).groups.values():
        pairs.loc[idx, "q_value"] = bh_qvalues(pairs.loc[idx, "p_value"].to_numpy(dtype=np.float64))
    return pairs


def _multi_guardrails(sizes: dict[str, int], features: pd.DataFrame) -> list[str]:
    """Small groups, and every feature tested with chi-square instead of Fisher."""
    out = [_small_group(g, n) for g, n in sizes.items() if n < MIN_GROUP_SIZE]
    out += [_("{label}: {warning}.", label=core_label(r["feature"], r["label"]), warning=r["warning"])
            for r in features.to_dict("records") if r["warning"]]
    return out


def display_multi_table(result: MultiComparisonResult, indent: str = "\u2003",
                        feature_column: bool = False) -> pd.DataFrame:
    """Journal-style Table 1 of strings: ``Characteristic``, ``Overall``, one column per
    group, ``P`` (overall test, :func:`core.formatting.format_p`).

    First row ``Patients, n``; binary rows ``n/N (%)``; continuous and ordinal rows
    ``median (Q1–Q3)`` with ", median (IQR)" after the label; categorical features a
    header row carrying P, then one indented row per level; an indented ``Unknown`` row
    (patients with the feature missing) wherever a compared patient lacks the value.
    With ``feature_column`` a last column ``feature`` names each row's feature (``""`` on
    the first row), e.g. to highlight a feature's rows.
    """
    cols = ["Characteristic", OVERALL, *result.groups, "P"]
    blank = dict.fromkeys(cols, "")
    out = [{**blank, "Characteristic": _("Patients, n"), OVERALL: str(result.n_total),
            **{g: str(result.sizes[g]) for g in result.groups}, "feature": ""}]
    cells = result.cells.groupby("feature", sort=False)
    for rec in result.features.to_dict("records"):
        fc = cells.get_group(rec["feature"])
        out += [{**r, "feature": rec["feature"]}
                for r in _display_feature(rec, fc, [OVERALL, *result.groups], blank, indent)]
    return _headers(pd.DataFrame(out, columns=cols + (["feature"] if feature_column else [])))


def _display_feature(rec: dict[str, Any], fc: pd.DataFrame, columns: list[str], blank: dict[str, str],
                     indent: str) -> list[dict[str, str]]:
    """Display rows of one feature (see :func:`display_multi_table`)."""
    p = format_p(rec["p_value"]) + ("†" if rec["test"] == "Pearson chi-square" else "")
    by = {(r["row"], r["level"], r["group"]): r for r in fc.to_dict("records")}
    rows: list[dict[str, str]] = []
    if rec["type"] in ("continuous", "ordinal"):
        vals = [by[("value", "", g)] for g in columns]
        dec = _decimals_for([v["median"] for v in vals] + [v["q1"] for v in vals])
        rows.append({**blank, "Characteristic": _median_label(rec), "P": p,
                     **{g: _median_only(v, dec) for g, v in zip(columns, vals)}})
    elif rec["type"] == "binary":
        rows.append({**blank, "Characteristic": core_label(rec["feature"], rec["label"]), "P": p,
                     **{g: format_n_of_N(int(by[("value", "", g)]["n"]), int(by[("value", "", g)]["N"]))
                        for g in columns}})
    else:
        rows.append({**blank, "Characteristic": _("{label}, n/N (%)", label=core_label(rec["feature"], rec["label"])), "P": p})
        for level in dict.fromkeys(r["level"] for r in by.values() if r["row"] == "level"):
            rows.append({**blank, "Characteristic": f"{indent}{level}",
                         **{g: format_n_of_N(int(by[("level", level, g)]["n"]), int(by[("level", level, g)]["N"]))
                            for g in columns}})
    unknown = [by[("unknown", UNKNOWN, g)] for g in columns]
    if unknown[0]["n"] > 0:
        rows.append({**blank, "Characteristic": f"{indent}{_('Unknown')}", **{g: str(int(u["n"])) for g, u in zip(columns, unknown)}})
    return rows


def _median_only(v: dict[str, Any], decimals: int) -> str:
    if v["n"] == 0 or math.isnan(v["median"]):
        return "—"
    return _("{median} ({q1}–{q3})", median=_fmt_number(v["median"], decimals), q1=_fmt_number(v["q1"], decimals),
             q3=_fmt_number(v["q3"], decimals))


def _overall_texts(result: MultiComparisonResult) -> dict[str, str]:
    """Overall cell of each binary / continuous feature, in the two-group table's format
    (``n/N (%)``; ``median (Q1–Q3); n = k``)."""
    out = {}
    types = dict(zip(result.features["feature"], result.features["type"]))
    cells = result.cells[(result.cells["group"] == OVERALL) & (result.cells["row"] == "value")]
    for c in cells.to_dict("records"):
        if types[c["feature"]] == "binary":
            out[c["feature"]] = format_n_of_N(int(c["n"]), int(c["N"]))
        else:
            dec = _decimals_for([c["median"], c["q1"]])
            out[c["feature"]] = _median_iqr(c["median"], c["q1"], c["q3"], int(c["n"]), dec)
    return out


def display_pairwise(result: MultiComparisonResult, comparison: str = "pair") -> pd.DataFrame:
    """Pairwise (``"pair"``) or one-vs-rest (``"vs_rest"``) tests as a table of strings:
    ``Characteristic``, then one column per comparison (``A vs B`` / ``A vs rest``) with
    ``P (q)``: the raw P and its Benjamini-Hochberg q-value within the feature."""
    sub = result.pairwise[result.pairwise["comparison"] == comparison]
    def vs(a: str, b: str) -> str:
        return _("{a} vs {b}", a=a, b=_("rest") if b == REST else b)

    names = list(dict.fromkeys(vs(a, b) for a, b in zip(sub["group_1"], sub["group_2"])))
    out = []
    label = dict(zip(result.features["feature"], result.features["label"]))
    for feat, grp in sub.groupby("feature", sort=False):
        row = {"Characteristic": core_label(feat, label[feat])}
        for a, b, p, q in zip(grp["group_1"], grp["group_2"], grp["p_value"], grp["q_value"]):
            row[vs(a, b)] = f"{format_p(p)} ({format_p(q)})"
        out.append(row)
    return _headers(pd.DataFrame(out, columns=["Characteristic", *names]))


def compare_multi_payload(result: MultiComparisonResult) -> dict[str, Any]:
    """The JSON object of an N-group Table 1 (CLI ``--json``), JSON-safe.

    ``{"groups": [{"label", "n"}], "overall": {"n"}, "n_excluded", "guardrails",
    "features": [{feature, label, type, test, statistic, df, p_value, chisq_statistic,
    chisq_df, chisq_p, n_tables, warning, "cells": [{row, level, group, n, N, pct, median,
    q1, q3}], "pairwise": [{comparison, group_1, group_2, test, p_value, q_value}]}]}``;
    ``null`` = not applicable or not computable.
    """
    cells = result.cells.groupby("feature", sort=False)
    pairs = result.pairwise.groupby("feature", sort=False)
    text = {"feature", "label", "group", "type", "unit", "test", "warning", "row", "level",
            "comparison", "group_1", "group_2"}

    def clean(rec: dict[str, Any]) -> dict[str, Any]:
        return {k: (v if k in text else _json_number(v)) for k, v in rec.items()}

    feats = []
    for rec in result.features.to_dict("records"):
        f = rec["feature"]
        item = clean(rec)
        item["cells"] = [clean({k: v for k, v in c.items() if k != "feature"}) for c in cells.get_group(f).to_dict("records")]
        item["pairwise"] = ([clean({k: v for k, v in c.items() if k != "feature"})
                             for c in pairs.get_group(f).to_dict("records")] if f in pairs.groups else [])
        feats.append(item)
    return {
        "groups": [{"label": g, "n": int(result.sizes[g])} for g in result.groups],
        "overall": {"n": result.n_total},
        "n_excluded": int(result.n_excluded),
        "guardrails": list(result.guardrails),
        "features": feats,
    }


def methods_text_multi(result: MultiComparisonResult, filters_description: str = "") -> str:
    """Methods paragraph of an N-group Table 1 (tests, missing data, adjustment, references)."""
    types = set(result.features["type"])
    filt = filters_description.strip().rstrip(".")
    sizes = ", ".join(f"{g} (n = {result.sizes[g]})" for g in result.groups)
    values = {"k": len(result.groups), "sizes": sizes}
    if result.n_excluded:
        parts = [n_("Patients were compared across {k} groups: {sizes}; {n} patient in no group were excluded; "
                    "the Overall column gives all compared patients.",
                    "Patients were compared across {k} groups: {sizes}; {n} patients in no group were excluded; "
                    "the Overall column gives all compared patients.", result.n_excluded, **values)]
    else:
        parts = [_("Patients were compared across {k} groups: {sizes}; the Overall column gives all compared patients.",
                   **values)]
    parts.append(_("Cohort filters: {filters}.", filters=filt) if filt else _("No cohort filter was applied."))
    parts.append(_("Missing values were excluded feature by feature and are counted in Unknown rows."))
    if types & {"binary", "categorical", "sex"}:
        max_tables = f"{FISHER_MAX_TABLES:,}".replace(",", "\u202f") if language() == "fr" else f"{FISHER_MAX_TABLES:,}"
        parts.append(_(
            "Binary and categorical features are reported as n/N (%) and compared across groups with "
            "Fisher's exact test of the r x c table (Freeman & Halton 1951; complete enumeration of the tables "
            "with the observed margins, as R's fisher.test, when they number at most {max_tables}; "
            "otherwise Pearson's chi-square test without continuity correction, marked †).", max_tables=max_tables,
        ))
    if types & {"continuous", "ordinal"}:
        parts.append(_(
            "Continuous and ordinal features are reported as median (interquartile range, quantile "
            "definition 7; Hyndman & Fan 1996) and compared with the Kruskal-Wallis test "
            "(Kruskal & Wallis 1952; tie-corrected, as R's kruskal.test)."
        ))
    parts.append(_(
        "Pairwise comparisons (each pair of groups) and each group versus all other compared patients "
        "used Fisher's exact test or the Mann-Whitney U test (normal approximation with tie and "
        "continuity corrections); their P values were adjusted within each feature with the "
        "Benjamini-Hochberg procedure (Benjamini & Hochberg 1995). Overall P values are not adjusted."
    ))
    parts.append(_("{p} was considered significant. Computed with Myoscope.", p=_p_threshold()))
    return " ".join(parts)
