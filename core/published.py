"""A published comparison table (Table I of a paper): reading, checking, and comparison
with the recomputed one.

:func:`load_published_table` reads and validates the CSV (one row per feature, two count
pairs ``n_<A>, N_<A>, n_<B>, N_<B>`` and the P value as printed);
:func:`compare_with_published` puts the published counts and P next to those of a
:class:`core.compare.ComparisonResult` and flags what does not agree: counts are compared
exactly, and the printed P with Fisher's exact test (:func:`core.stats.fisher_p`) on the
published counts after rounding to the printed precision.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.compare import CompareError
from core.formatting import format_p
from core.i18n import _, language, n_
from core.reader import InputFileError, read_table
from core.stats import fisher_p

if TYPE_CHECKING:
    from core.compare import ComparisonResult

__all__ = [
    "P_CLOSE_FACTOR",
    "PublishedTableError",
    "compare_with_published",
    "load_published_table",
]


class PublishedTableError(CompareError):
    """A published table (CSV) that does not follow the expected format."""


_P_RE = re.compile(r"^\s*(?:p\s*)?(<=|>=|<|>|≤|≥|=)?\s*((?:\d+\.?\d*|\.\d+)(?:[eE]-?\d+)?)\s*$", re.IGNORECASE)


def _parse_printed_p(text: str) -> tuple[str, float, int]:
    """``(relation, value, decimals)`` of a printed P (".02" -> ("=", 0.02, 2))."""
    m = _P_RE.match(text.replace(",", "."))
    if not m:
        raise ValueError(text)
    rel = {"<": "<", "<=": "<", "≤": "<", ">": ">", ">=": ">", "≥": ">", None: "=", "=": "="}[m.group(1)]
    num = m.group(2)
    value = float(num)
    if not 0.0 <= value <= 1.0:
        raise ValueError(text)
    dec = len(num.split(".")[1]) if "." in num and "e" not in num.lower() else 0
    return rel, value, dec


def load_published_table(source: str | Path | bytes | IO[Any] | pd.DataFrame) -> pd.DataFrame:
    """Read and validate a published comparison table.

    Format (as ``sample_data/monseau2020_table1.csv``): one row per feature with columns
    ``feature`` (cohort column name), optional ``group`` and ``label``, two count pairs
    ``n_<A>, N_<A>, n_<B>, N_<B>`` (A first: the group compared as A) and
    ``published_p`` (as printed: ``.02``, ``<.0001``, ``>.99``). Empty counts or P mean
    "not reported". Comma or semicolon separated, UTF-8 or Windows-1252.

    Returns
    -------
    pandas.DataFrame
        Columns ``feature``, ``group``, ``label``, ``n_a``, ``N_a``, ``n_b``, ``N_b``
        (nullable Int64), ``published_p`` (text), ``p_relation`` (``=``, ``<``, ``>`` or
        ``""``), ``p_printed`` (float) and ``p_decimals`` (int); ``attrs["group_a"]`` /
        ``attrs["group_b"]`` hold the two column suffixes.

    Raises
    ------
    PublishedTableError
        With the row (file line) and column of the first problems found.
    """
    raw = _raw_frame(source)
    raw.columns = [str(c).strip() for c in raw.columns]
    ga, gb = _count_pairs(list(raw.columns))
    problems: list[str] = []
    out_rows = []
    seen: dict[str, int] = {}
    for i, rec in enumerate(raw.to_dict("records")):
        line = i + _FIRST_DATA_LINE
        feat = rec["feature"].strip()
        if not feat:
            problems.append(_("line {line}: empty 'feature'", line=line))
            continue
        if feat in seen:
            problems.append(_("line {line}: feature '{feature}' already listed on line {first}", line=line, feature=feat,
                              first=seen[feat]))
        seen[feat] = line
        out_rows.append(_parse_row(rec, feat, line, ga, gb, problems))
    if problems:
        shown = problems[:10]
        if len(problems) > 10:
            raise PublishedTableError(n_("published table: {problems} (and {n} more)",
                                         "published table: {problems} (and {n} more)",
                                         len(problems) - 10, problems="; ".join(shown)))
        raise PublishedTableError(_("published table: {problems}", problems="; ".join(shown)))
    if not out_rows:
        raise PublishedTableError(_("published table has no rows"))
    out = pd.DataFrame(out_rows)
    for c in ("n_a", "N_a", "n_b", "N_b"):
        out[c] = pd.array([v for v in out[c]], dtype="Int64")
    out["p_printed"] = out["p_printed"].astype(np.float64)
    out["p_decimals"] = out["p_decimals"].astype(int)
    out.attrs["group_a"], out.attrs["group_b"] = ga, gb
    return out


#: File line of the first data row (line 1 is the header).
_FIRST_DATA_LINE = 2


def _raw_frame(source: str | Path | bytes | IO[Any] | pd.DataFrame) -> pd.DataFrame:
    """The table as strings ("" = empty cell), read by the shared reader
    (:func:`core.reader.read_table`: encoding, delimiter, Excel)."""
    if isinstance(source, pd.DataFrame):
        return source.astype(object).where(source.notna(), "").astype(str)
    try:
        data = read_table(source).data
    except InputFileError as exc:
        raise PublishedTableError(_("published table: {problems}", problems=exc)) from exc
    return data.map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v))
                    else str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)).reset_index(drop=True)


def _count_pairs(cols: list[str]) -> tuple[str, str]:
    """The two group suffixes of the ``n_<g>`` / ``N_<g>`` columns; raises on a missing
    required column or a number of pairs other than two."""
    problems: list[str] = []
    for req in ("feature", "published_p"):
        if req not in cols:
            problems.append(_("missing column '{column}'", column=req))
    pairs = [c[2:] for c in cols if c.startswith("n_") and f"N_{c[2:]}" in cols]
    if len(pairs) != 2:
        problems.append(_(
            "expected exactly two count pairs n_<group>/N_<group> (group A first, e.g. n_mi2_pos, "
            "N_mi2_pos, n_mi2_neg, N_mi2_neg); found {n}: {pairs}",
            n=len(pairs), pairs=", ".join(f"n_{p}/N_{p}" for p in pairs),
        ) if pairs else _(
            "expected exactly two count pairs n_<group>/N_<group> (group A first, e.g. n_mi2_pos, "
            "N_mi2_pos, n_mi2_neg, N_mi2_neg); found 0: none"
        ))
    if problems:
        raise PublishedTableError(_(
            "published table format: {problems}. Columns found: {columns}. Expected: feature, group, label, "
            "n_<A>, N_<A>, n_<B>, N_<B>, published_p",
            problems="; ".join(problems), columns=", ".join(cols),
        ))
    return pairs[0], pairs[1]


def _parse_row(rec: dict[str, str], feat: str, line: int, ga: str, gb: str,
               problems: list[str]) -> dict[str, Any]:
    """One output row: counts of both groups and the printed P (problems appended)."""
    row: dict[str, Any] = {
        "feature": feat,
        "group": rec.get("group", "").strip(),
        "label": rec.get("label", "").strip() or feat,
    }
    for key, g in (("a", ga), ("b", gb)):
        row[f"n_{key}"], row[f"N_{key}"] = _parse_counts(rec, feat, line, g, problems)
    ptxt = rec["published_p"].strip()
    row["published_p"] = ptxt
    rel, val, dec = "", math.nan, 0
    if ptxt:
        try:
            rel, val, dec = _parse_printed_p(ptxt)
        except ValueError:
            problems.append(_(
                "line {line} (feature '{feature}'): published_p = '{value}' is not a P value "
                "(write e.g. .02, 0.35, <.001, >.99)", line=line, feature=feat, value=ptxt,
            ))
    row.update(p_relation=rel, p_printed=val, p_decimals=dec)
    return row


def _parse_counts(rec: dict[str, str], feat: str, line: int, g: str,
                  problems: list[str]) -> tuple[int | None, int | None]:
    """``(n, N)`` of group suffix ``g`` (None = not reported); problems appended."""
    vals: dict[str, int | None] = {}
    for pre in ("n", "N"):
        col = f"{pre}_{g}"
        t = rec[col].strip()
        if t == "":
            vals[pre] = None
            continue
        try:
            fv = float(t.replace(",", "."))
        except ValueError:
            fv = math.nan
        if not math.isfinite(fv) or fv < 0 or fv != int(fv):
            problems.append(_("line {line} (feature '{feature}'): {column} = '{value}' is not a non-negative integer",
                              line=line, feature=feat, column=col, value=t))
            vals[pre] = None
            continue
        vals[pre] = int(fv)
    n, N = vals["n"], vals["N"]
    if (n is None) != (N is None):
        problems.append(_("line {line} (feature '{feature}'): give both n_{group} and N_{group}, or leave both empty",
                          line=line, feature=feat, group=g))
    elif n is not None and N is not None and n > N:
        problems.append(_("line {line} (feature '{feature}'): n_{group} = {n} is larger than N_{group} = {N}",
                          line=line, feature=feat, group=g, n=n, N=N))
    return n, N


#: A printed P and a recomputed one are "close" when within this factor and on the same
#: side of .05 (e.g. another test such as chi-square was used).
P_CLOSE_FACTOR = 2.0


def _p_agreement(rel: str, printed: float, decimals: int, p: float) -> str:
    """``match`` / ``close`` / ``mismatch`` of a printed P with a computed one.

    * ``=``: match when ``p`` rounded to the printed number of decimals gives the printed
      value (``|p - printed| <= 0.5 * 10**-decimals``);
    * ``<t``: match when ``p < t`` (or ``p`` rounds to ``t``); ``>t``: match when ``p > t``
      (or rounds to ``t``);
    * otherwise ``close`` when ``p`` is within a factor :data:`P_CLOSE_FACTOR` of the
      printed value (of the bound) and on the same side of .05, else ``mismatch``.
    """
    half = 0.5 * 10.0 ** (-decimals) if decimals > 0 else 0.5 * printed
    eps = 1e-12
    matched = (
        (rel == "=" and abs(p - printed) <= half + eps)
        or (rel == "<" and (p < printed + eps or round(p, decimals) <= printed))
        or (rel == ">" and (p > printed - eps or round(p, decimals) >= printed))
    )
    if matched:
        return "match"
    if printed <= 0 or p <= 0:
        return "mismatch"
    ratio = max(p, printed) / min(p, printed)
    same_side = (p < 0.05) == (printed < 0.05) or (rel == "<" and printed <= 0.05 and p < 0.05)
    if rel == "<" and p < printed:
        ratio = 1.0
    if rel == ">" and p > printed:
        ratio = 1.0
    return "close" if ratio <= P_CLOSE_FACTOR and same_side else "mismatch"


def compare_with_published(result: ComparisonResult, published: pd.DataFrame) -> pd.DataFrame:
    """Published n/N and P next to the recomputed ones, row by row, with flags.

    Parameters
    ----------
    result : ComparisonResult
        The recomputed comparison (group A must be the published table's first group).
    published : pandas.DataFrame
        From :func:`load_published_table`.

    Returns
    -------
    pandas.DataFrame
        Columns ``feature``, ``label``, ``published_n_a``, ``published_N_a``,
        ``published_n_b``, ``published_N_b``, ``published_p``, ``recomputed_n_a``,
        ``recomputed_N_a``, ``recomputed_n_b``, ``recomputed_N_b``, ``recomputed_p``,
        ``fisher_p_published`` (two-sided Fisher P on the published counts),
        ``count_mismatch`` (a reported n or N differs from the recomputed one),
        ``p_agreement`` (printed P vs ``fisher_p_published``: ``match``, ``close``,
        ``mismatch``, or ``not reported`` / ``not computable``), ``flagged`` (count
        mismatch, P mismatch, or feature missing from the comparison) and ``note``.

    Notes
    -----
    Tolerance rule (robust to rounding): the Fisher P is first rounded to the printed
    precision (".02" -> 2 decimals, ".0005" -> 4); a bound ("<.001", ">.99") is met when
    P is beyond it. A P that fails this but is within a factor 2 of the printed value and
    on the same side of .05 is ``close`` (another test, e.g. chi-square, was probably used)
    and is not flagged; anything else is a ``mismatch`` and is flagged. On Monseau 2020
    Table I, severe weakness (printed .02; Fisher on 29/54 vs 35/55 gives .33) is flagged.
    """
    needed = {"feature", "n_a", "N_a", "n_b", "N_b", "published_p", "p_relation", "p_printed", "p_decimals"}
    if not needed.issubset(published.columns):
        raise PublishedTableError("compare_with_published needs a table from load_published_table()")
    by_feat = {r["feature"]: r for r in result.rows.to_dict("records")}
    out = []
    for rec in published.to_dict("records"):
        f = rec["feature"]
        pub = [None if pd.isna(rec[c]) else int(rec[c]) for c in ("n_a", "N_a", "n_b", "N_b")]
        mine = by_feat.get(f)
        notes: list[str] = []
        row: dict[str, Any] = {
            "feature": f, "label": rec.get("label") or f,
            "published_n_a": pub[0], "published_N_a": pub[1],
            "published_n_b": pub[2], "published_N_b": pub[3],
            "published_p": rec["published_p"],
        }
        count_mismatch = _check_counts(row, mine, pub, result, notes)
        fisher_pub = _fisher_on_published(pub)
        row["fisher_p_published"] = fisher_pub
        agreement = _check_printed_p(rec, fisher_pub, notes)
        row["count_mismatch"] = count_mismatch
        row["p_agreement"] = agreement
        row["flagged"] = bool(count_mismatch or agreement == "mismatch" or mine is None)
        row["note"] = "; ".join(notes)
        out.append(row)
    return _check_frame(out)


def _check_counts(row: dict[str, Any], mine: dict[str, Any] | None, pub: list[int | None],
                  result: ComparisonResult, notes: list[str]) -> bool:
    """Adds the recomputed counts and P to ``row``; True when a reported count differs."""
    if mine is None or mine["type"] != "binary":
        row.update(recomputed_n_a=None, recomputed_N_a=None, recomputed_n_b=None,
                   recomputed_N_b=None, recomputed_p=math.nan)
        notes.append(_("not in the comparison (column absent, not selected or not binary)"))
        return False
    rc = [int(mine["n_a"]), int(mine["N_a"]), int(mine["n_b"]), int(mine["N_b"])]
    row.update(recomputed_n_a=rc[0], recomputed_N_a=rc[1], recomputed_n_b=rc[2],
               recomputed_N_b=rc[3], recomputed_p=float(mine["p_value"]))
    diffs = [
        name for name, pv, cv in zip(
            (f"n ({result.group_a})", f"N ({result.group_a})", f"n ({result.group_b})", f"N ({result.group_b})"),
            pub, rc,
        ) if pv is not None and pv != cv
    ]
    if diffs:
        notes.append(_("counts differ: {counts}", counts=", ".join(diffs)))
        return True
    return False


def _fisher_on_published(pub: list[int | None]) -> float:
    """Two-sided Fisher P on the published counts (NaN when a count is not reported)."""
    if None in pub:
        return math.nan
    a, n1, c, n2 = pub  # type: ignore[misc]
    return fisher_p(a, n1 - a, c, n2 - c) if n1 and n2 else math.nan


def _check_printed_p(rec: dict[str, Any], fisher_pub: float, notes: list[str]) -> str:
    """Agreement of the printed P with Fisher's P on the published counts."""
    if not rec["published_p"]:
        return "not reported"
    if math.isnan(fisher_pub):
        return "not computable"
    agreement = _p_agreement(rec["p_relation"], rec["p_printed"], int(rec["p_decimals"]), fisher_pub)
    if agreement == "close":
        notes.append(_("printed P {printed} vs Fisher {p}: close (another test?)", printed=rec["published_p"],
                       p=format_p(fisher_pub)))
    elif agreement == "mismatch":
        fisher = f"{fisher_pub:.3g}"
        notes.append(_(
            "printed P {printed} inconsistent with Fisher's test on the published counts ({p})",
            printed=rec["published_p"], p=fisher.replace(".", ",") if language() == "fr" else fisher,
        ))
    return agreement


def _check_frame(out: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows of :func:`compare_with_published` as a DataFrame with nullable integer counts."""
    cols = [
        "feature", "label", "published_n_a", "published_N_a", "published_n_b", "published_N_b",
        "published_p", "recomputed_n_a", "recomputed_N_a", "recomputed_n_b", "recomputed_N_b",
        "recomputed_p", "fisher_p_published", "count_mismatch", "p_agreement", "flagged", "note",
    ]
    df = pd.DataFrame(out, columns=cols)
    for c in cols[2:6] + cols[7:11]:
        df[c] = pd.array([None if v is None or (isinstance(v, float) and math.isnan(v)) else int(v) for v in df[c]],
                         dtype="Int64")
    df["recomputed_p"] = df["recomputed_p"].astype(np.float64)
    df["fisher_p_published"] = df["fisher_p_published"].astype(np.float64)
    return df
