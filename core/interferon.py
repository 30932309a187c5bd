"""Type I interferon score from whole-blood RT-qPCR (six interferon-stimulated genes).

Method (Rice et al., Lancet Neurol 2013;12:1159; the 6-gene score used by the Lyon
laboratory, Pescarmona et al., Cytokine 2019;113:446, as in Jalles et al. 2020)
-----------------------------------------------------------------------------------
For every sample *s* and gene *g*:

1. **Replicate wells.** Duplicated (or triplicated) wells of the same sample and gene are
   averaged: ``Ct(s, g) = mean of the wells' Ct`` (arithmetic mean on the Ct scale). The
   number of wells and their values are reported (:attr:`InterferonResult.wells`) and a
   note says how many pairs were averaged; replicates more than 0.5 cycle apart are named.
2. **Normalisation.** ``ΔCt(s, g) = Ct(s, g) − mean_r Ct(s, r)`` where *r* runs over the
   reference genes (HPRT1 and 18S by default; arithmetic mean of their mean Ct).
3. **Relative quantity.** ``ΔΔCt(s, g) = ΔCt(s, g) − ΔCt_cal(g)`` and
   ``RQ(s, g) = 2^−ΔΔCt(s, g)``. The calibrator ``ΔCt_cal(g)`` is the mean ΔCt of the
   healthy controls for gene *g* by default, or the ΔCt of one named calibrator sample
   (``calibrator=``), as Rice et al. did with a single calibrator.
4. **Fold change.** ``FC(s, g) = RQ(s, g) / median_c RQ(c, g)`` over the healthy
   controls *c* ("fold change compared with the median of the combined healthy
   controls", Rice et al.). The median is taken on the **linear RQ scale**: with an even
   number of controls it is the arithmetic mean of the two middle RQ values (this is not
   the same as ``2^−(mean of the two middle ΔCt)``). Because the median is equivariant
   under a positive scale factor, the calibrator cancels:
   ``FC(s, g) = 2^−ΔCt(s, g) / median_c 2^−ΔCt(c, g)`` whatever the calibrator, so the
   fold changes and the score do not depend on it (only the reported RQ does).
5. **Score.** ``score(s) = median_g FC(s, g)`` over the six genes (IFI27, IFI44L, IFIT1,
   ISG15, RSAD2, SIGLEC1); with six genes this is the mean of the 3rd and 4th fold
   changes. The sample is **positive when score > threshold**: 2.3 by default (the cut-off
   of the laboratory in Jalles et al. 2020); Rice et al. used 2.466 (mean + 2 SD of their
   29 controls).

Scores are computed for the healthy controls too (quality control: their scores spread
around 1).

"Undetermined" Ct
-----------------
A well reported as ``Undetermined`` (also ``No Ct``, ``not detected``, ``ND``) means the
target was **not detected** within the run's cycles. The exact quantity is unknown, so by
default (``undetermined="error"``) such a well raises :class:`InterferonError` naming the
row, sample and gene. With ``undetermined="max_ct"`` a not-detected *target* well is given
``Ct = max_ct`` (40 by default, the usual number of cycles), i.e. the highest Ct the run
could have reported: the expression (hence the fold change) is then an **upper bound**,
and every substitution is listed in :attr:`InterferonResult.notes`. An undetermined
*reference* gene always raises: the sample cannot be normalised. Empty Ct cells and other
non-numeric text always raise. A decimal comma (``24,5``) is read as a decimal point.

Hand-written arithmetic
-----------------------
The method is a handful of means, medians and powers of two computed with pandas/numpy;
there is no library implementation of this laboratory score to call. It is tested against
hand-computed values and against an independent R implementation
(``tests/reference/interferon/``).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

import numpy as np
import pandas as pd

from core.i18n import _, language, n_
from core.reader import InputFileError, read_table

#: The six interferon-stimulated genes of the Rice et al. (2013) score.
DEFAULT_GENES: tuple[str, ...] = ("IFI27", "IFI44L", "IFIT1", "ISG15", "RSAD2", "SIGLEC1")
#: Default reference (housekeeping) genes.
DEFAULT_REFERENCE_GENES: tuple[str, ...] = ("HPRT1", "18S")
#: Positivity threshold of the laboratory in Jalles et al. 2020.
DEFAULT_THRESHOLD: float = 2.3
#: Positivity threshold of Rice et al. 2013 (mean + 2 SD of 29 healthy controls).
RICE_THRESHOLD: float = 2.466
#: Sample types accepted in the ``sample_type`` column.
SAMPLE_TYPES: tuple[str, ...] = ("patient", "healthy_control")
#: Texts read as "not detected" in the ``ct`` column (compared lower-cased, stripped).
UNDETERMINED_TEXTS: frozenset[str] = frozenset(
    {"undetermined", "undet", "undet.", "no ct", "noct", "not detected", "nd", "n.d."}
)
#: Replicate wells further apart than this (cycles) are named in the notes.
REPLICATE_SPREAD_WARNING: float = 0.5

_COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "sample_id": ("sample_id", "sample", "sample id", "sample name", "sample_name"),
    "sample_type": ("sample_type", "sample type", "type"),
    "gene": ("gene", "target", "target name", "target_name", "detector"),
    "ct": ("ct", "cq", "c_t", "crt"),
    "patient_id": ("patient_id", "patient id", "patient"),
    "date": ("date", "sample_date", "sampling date", "collection date"),
}


class InterferonError(ValueError):
    """Bad qPCR or fold-change input; the message names the row, sample, gene or column."""


@dataclass(frozen=True)
class InterferonResult:
    """Interferon scores of a set of samples.

    Attributes
    ----------
    scores : pandas.DataFrame
        One row per sample, in input order: ``sample_id``, ``sample_type``, ``score``,
        ``positive`` (bool, score > threshold), ``n_genes``, and ``patient_id`` / ``date``
        when the input had them.
    fold_changes : pandas.DataFrame
        One row per sample and gene: ``sample_id``, ``sample_type``, ``gene``,
        ``fold_change``; from qPCR also ``ct`` (mean of the wells), ``n_wells``,
        ``reference_ct``, ``delta_ct``, ``delta_delta_ct``, ``rq``, ``control_median_rq``.
    wells : pandas.DataFrame
        One row per sample and gene (reference genes included): ``sample_id``, ``gene``,
        ``n_wells``, ``ct_values`` (the wells as text), ``mean_ct``, ``spread`` (max − min).
        Empty for precomputed fold changes.
    genes : tuple of str
        Genes of the score.
    reference_genes : tuple of str
        Reference genes (empty for precomputed fold changes).
    threshold : float
        Positivity threshold (score > threshold).
    method : {"qpcr", "fold_change"}
        Whether the fold changes were computed from Ct or supplied.
    n_controls : int
        Number of healthy-control samples (0 for precomputed fold changes).
    calibrator : str
        Description of the ΔΔCt calibrator.
    notes : tuple of str
        Everything the computation did that the user should know (averaged wells,
        substituted Ct, ignored genes).
    """

    scores: pd.DataFrame
    fold_changes: pd.DataFrame
    wells: pd.DataFrame
    genes: tuple[str, ...]
    reference_genes: tuple[str, ...]
    threshold: float
    method: Literal["qpcr", "fold_change"]
    n_controls: int = 0
    calibrator: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def wide(self) -> pd.DataFrame:
        """One row per sample: score, positive and one ``fold_change`` column per gene."""
        fc = self.fold_changes.pivot(index="sample_id", columns="gene", values="fold_change")
        fc = fc.reindex(columns=list(self.genes))
        fc.columns = [f"FC {g}" for g in fc.columns]
        out = self.scores.merge(fc, left_on="sample_id", right_index=True, how="left")
        return out.reset_index(drop=True)

    def payload(self) -> dict[str, Any]:
        """JSON-ready result (the CLI's ``--json`` output).

        Returns
        -------
        dict
            ``{"method", "threshold", "genes", "reference_genes", "n_controls",
            "calibrator", "notes", "samples": [{"sample_id", "sample_type", "score",
            "positive", "fold_changes": {gene: value}}, ...]}``.
        """
        fc = {
            sid: dict(zip(g["gene"], (float(v) for v in g["fold_change"]), strict=True))
            for sid, g in self.fold_changes.groupby("sample_id", sort=False)
        }
        samples = []
        for row in self.scores.itertuples(index=False):
            item: dict[str, Any] = {
                "sample_id": str(row.sample_id),
                "sample_type": row.sample_type,
                "score": float(row.score),
                "positive": bool(row.positive),
                "fold_changes": {g: fc[row.sample_id][g] for g in self.genes},
            }
            if "patient_id" in self.scores.columns and isinstance(row.patient_id, str):
                item["patient_id"] = row.patient_id
            if "date" in self.scores.columns and not pd.isna(row.date):
                item["date"] = pd.Timestamp(row.date).date().isoformat()
            samples.append(item)
        return {
            "method": self.method,
            "threshold": float(self.threshold),
            "genes": list(self.genes),
            "reference_genes": list(self.reference_genes),
            "n_controls": int(self.n_controls),
            "calibrator": self.calibrator,
            "notes": list(self.notes),
            "samples": samples,
        }


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------
def read_qpcr(source: str | Path | bytes | BinaryIO | pd.DataFrame) -> pd.DataFrame:
    """Read a qPCR (or fold-change) table from CSV/TSV/XLSX, keeping every cell as read.

    Parameters
    ----------
    source : path, bytes, file-like (e.g. a Streamlit upload) or DataFrame
        Read by the shared reader (:func:`core.reader.read_table`): the same encodings,
        delimiters, Excel sheets and limits as a cohort file (Ct values with a decimal
        comma are read by :func:`interferon_scores`).

    Returns
    -------
    pandas.DataFrame
        The raw table (object dtype); :func:`interferon_scores` validates it.

    Raises
    ------
    InterferonError
        When the file cannot be read.
    """
    if isinstance(source, pd.DataFrame):
        return source.copy()
    try:
        raw = read_table(source)
    except InputFileError as exc:
        raise InterferonError(_("could not read the qPCR table: {error}", error=exc)) from exc
    return raw.data.reset_index(drop=True)


def _normalise_columns(df: pd.DataFrame, required: Sequence[str]) -> pd.DataFrame:
    """Rename columns to canonical names (case- and space-insensitive synonyms)."""
    lookup: dict[str, str] = {}
    for canon, syns in _COLUMN_SYNONYMS.items():
        for s in syns:
            lookup[s] = canon
    rename: dict[Any, str] = {}
    for col in df.columns:
        key = re.sub(r"\s+", " ", str(col).strip().lower())
        canon = lookup.get(key, lookup.get(key.replace("_", " ")))
        if canon is not None and canon not in rename.values():
            rename[col] = canon
    out = df.rename(columns=rename)
    missing = [c for c in required if c not in out.columns]
    if missing:
        raise InterferonError(_(
            "missing column(s) {missing}; the table needs {required} (found: {found})",
            missing=", ".join(repr(m) for m in missing), required=", ".join(required),
            found=", ".join(map(str, df.columns)),
        ))
    return out


def _text(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return str(x).strip()


def _row_label(i: int) -> str:
    """Spreadsheet row of the i-th data row (header is row 1)."""
    return _("row {row}", row=i + 2)


def _parse_sample_types(df: pd.DataFrame) -> pd.Series:
    types = []
    for i, raw in enumerate(df["sample_type"]):
        t = re.sub(r"[\s\-]+", "_", _text(raw).lower())
        if t not in SAMPLE_TYPES:
            raise InterferonError(_(
                "{row}, column 'sample_type': unknown sample type {value!r} for sample {sample!r}; "
                "use 'patient' or 'healthy_control'",
                row=_row_label(i), value=_text(raw), sample=_text(df["sample_id"].iloc[i]),
            ))
        types.append(t)
    return pd.Series(types, index=df.index, dtype=object)


def _check_sample_ids(df: pd.DataFrame) -> None:
    for i, sid in enumerate(df["sample_id"]):
        if sid == "":
            raise InterferonError(_("{row}, column 'sample_id': empty sample id", row=_row_label(i)))


def _check_consistent_type(df: pd.DataFrame) -> None:
    kinds = df.groupby("sample_id", sort=False)["sample_type"].unique()
    for sid, vals in kinds.items():
        if len(vals) > 1:
            raise InterferonError(_(
                "sample {sample!r} is labelled both {first} and {second} in column 'sample_type'; "
                "one sample must have one type", sample=sid, first=min(vals), second=max(vals),
            ))


def _optional_meta(df: pd.DataFrame) -> pd.DataFrame:
    """Per-sample ``patient_id`` / ``date`` when present (must be constant per sample)."""
    meta = pd.DataFrame({"sample_id": pd.unique(df["sample_id"])})
    for col in ("patient_id", "date"):
        if col not in df.columns:
            continue
        vals = df[col].map(_text)
        per = vals.groupby(df["sample_id"], sort=False).unique()
        mapped: dict[str, Any] = {}
        for sid, v in per.items():
            nonempty = [x for x in v if x]
            if len(nonempty) > 1:
                raise InterferonError(_(
                    "sample {sample!r} has several values in column {column!r} ({values}); "
                    "one sample must have one {column}", sample=sid, column=col, values=", ".join(nonempty),
                ))
            mapped[sid] = nonempty[0] if nonempty else None
        if col == "date":
            parsed: dict[str, Any] = {}
            for sid, v in mapped.items():
                if v is None:
                    parsed[sid] = pd.NaT
                    continue
                try:
                    parsed[sid] = pd.Timestamp(v).normalize()
                except (ValueError, TypeError) as exc:
                    raise InterferonError(_(
                        "sample {sample!r}, column 'date': cannot read {value!r} as a date (use YYYY-MM-DD)",
                        sample=sid, value=v,
                    )) from exc
            meta[col] = meta["sample_id"].map(parsed).astype("datetime64[ns]")
        else:
            meta[col] = meta["sample_id"].map(mapped)
    return meta


def _norm_genes(genes: Sequence[str], what: str) -> tuple[str, ...]:
    out = tuple(str(g).strip().upper() for g in genes)
    if not out or any(g == "" for g in out):
        raise InterferonError(_("{what}: give at least one non-empty gene name", what=_(what)))
    if len(set(out)) != len(out):
        raise InterferonError(_("{what}: a gene is listed twice ({genes})", what=_(what), genes=", ".join(out)))
    return out


def _check_threshold(threshold: float) -> float:
    try:
        t = float(threshold)
    except (TypeError, ValueError) as exc:
        raise InterferonError(_("threshold must be a number, got {value!r}", value=threshold)) from exc
    if not math.isfinite(t) or t <= 0:
        raise InterferonError(_("threshold must be a positive number, got {value!r}", value=threshold))
    return t


# --------------------------------------------------------------------------------------
# qPCR -> scores
# --------------------------------------------------------------------------------------
def _parse_ct(
    df: pd.DataFrame,
    reference_genes: tuple[str, ...],
    undetermined: str,
    max_ct: float,
) -> tuple[pd.Series, list[str]]:
    """Numeric Ct per well; raises on missing / non-numeric / undetermined reference."""
    values: list[float] = []
    substituted: list[str] = []
    for i, (raw, sid, gene) in enumerate(zip(df["ct"], df["sample_id"], df["gene"], strict=True)):
        where = _("{row} (sample {sample!r}, gene {gene})", row=_row_label(i), sample=sid, gene=gene)
        if isinstance(raw, (int, float, np.integer, np.floating)) and not isinstance(raw, bool):
            v = float(raw)
            if math.isnan(v):
                raise InterferonError(_("{where}: the Ct is empty; enter the Ct value", where=where))
        else:
            text = _text(raw)
            if text == "":
                raise InterferonError(_("{where}: the Ct is empty; enter the Ct value", where=where))
            if text.lower() in UNDETERMINED_TEXTS:
                if gene in reference_genes:
                    raise InterferonError(_(
                        "{where}: reference gene not detected ({value!r}); the sample cannot "
                        "be normalised — repeat the well or remove the sample", where=where, value=text,
                    ))
                if undetermined != "max_ct":
                    raise InterferonError(_(
                        "{where}: Ct is {value!r} (not detected). The quantity is unknown; "
                        "repeat the well, or choose to count not-detected wells as "
                        "Ct = {max_ct} (an upper bound of expression)", where=where, value=text, max_ct=_g(max_ct),
                    ))
                substituted.append(f"{sid}/{gene} ({_row_label(i)})")
                values.append(float(max_ct))
                continue
            try:
                v = float(text.replace(",", "."))
            except ValueError:
                raise InterferonError(_(
                    "{where}, column 'ct': {value!r} is not a number; Ct must be numeric or 'Undetermined'",
                    where=where, value=text,
                )) from None
        if not math.isfinite(v) or v <= 0:
            raise InterferonError(_("{where}, column 'ct': Ct {value!r} must be a positive number", where=where, value=v))
        values.append(v)
    notes = []
    if substituted:
        notes.append(n_(
            "{n} not-detected ('Undetermined') target well(s) counted as Ct = {max_ct} (upper bound of expression): {wells}",
            "{n} not-detected ('Undetermined') target well(s) counted as Ct = {max_ct} (upper bound of expression): {wells}",
            len(substituted), max_ct=_g(max_ct), wells=", ".join(substituted),
        ))
    return pd.Series(values, index=df.index, dtype=float), notes


def interferon_scores(
    qpcr: pd.DataFrame,
    reference_genes: Sequence[str] = DEFAULT_REFERENCE_GENES,
    genes: Sequence[str] = DEFAULT_GENES,
    threshold: float = DEFAULT_THRESHOLD,
    *,
    undetermined: Literal["error", "max_ct"] = "error",
    max_ct: float = 40.0,
    calibrator: str | None = None,
) -> InterferonResult:
    """Interferon scores from RT-qPCR Ct values (Rice et al. 2013 relative quantification).

    See the module docstring for the method: mean Ct of replicate wells; ΔCt against the
    mean of the reference genes; RQ = 2^−ΔΔCt; fold change = RQ / median RQ of the healthy
    controls; score = median of the genes' fold changes; positive when score > threshold.

    Parameters
    ----------
    qpcr : pandas.DataFrame
        Long table, one row per well: ``sample_id``, ``sample_type`` (``patient`` or
        ``healthy_control``), ``gene``, ``ct``; optional ``patient_id`` and ``date``
        (constant per sample) are carried to the scores. Column names are matched
        case-insensitively (``Cq``, ``target``, ``sample name`` accepted). Gene names are
        compared upper-cased.
    reference_genes : sequence of str
        Housekeeping genes whose mean Ct normalises each sample (HPRT1, 18S).
    genes : sequence of str
        Genes of the score (the six ISGs by default).
    threshold : float
        Positive when score > threshold (2.3 default; :data:`RICE_THRESHOLD` = 2.466).
    undetermined : {"error", "max_ct"}
        What to do with a target well reported as not detected (see module docstring).
    max_ct : float
        Ct given to not-detected target wells when ``undetermined="max_ct"``.
    calibrator : str, optional
        A sample id whose ΔCt is the ΔΔCt calibrator; default the mean ΔCt of the healthy
        controls. Changes ``delta_delta_ct`` and ``rq`` only, never the fold changes.

    Returns
    -------
    InterferonResult

    Raises
    ------
    InterferonError
        Missing column, empty sample id, unknown sample type, a sample with two types,
        empty / non-numeric / undetermined Ct (see ``undetermined``), a gene or reference
        gene missing from a sample, no healthy control, unknown calibrator, bad threshold.
    """
    thr, ref, targets = _check_options(threshold, reference_genes, genes, undetermined)
    df = _read_wells(qpcr)
    notes: list[str] = []
    df = _drop_unused_genes(df, ref, targets, notes)
    ct, ct_notes = _parse_ct(df, ref, undetermined, max_ct)
    df["ct_value"] = ct
    notes.extend(ct_notes)

    sample_order = list(pd.unique(df["sample_id"]))
    sample_type = df.groupby("sample_id", sort=False)["sample_type"].first()
    controls = [s for s in sample_order if sample_type[s] == "healthy_control"]
    if not controls:
        raise InterferonError(_(
            "no healthy control in the table (column 'sample_type' = 'healthy_control'): "
            "fold changes are relative to the median of the healthy controls"
        ))
    # 1. replicate wells
    wells = _replicate_means(df, notes)
    mean_ct = wells.pivot(index="sample_id", columns="gene", values="mean_ct").reindex(
        index=sample_order
    )
    _check_complete(mean_ct, sample_order, ref, targets)
    # 2.-4. ΔCt, ΔΔCt, RQ, fold change
    q = _relative_quantification(mean_ct, ref, targets, controls, calibrator)
    # 5. score
    score = q.fold_change.median(axis=1)

    fold = _fold_frame(sample_order, targets, sample_type, mean_ct, wells, q)
    scores = _scores_frame(sample_order, sample_type, score, len(targets), thr, df)
    return InterferonResult(
        scores=scores,
        fold_changes=fold,
        wells=wells,
        genes=targets,
        reference_genes=ref,
        threshold=thr,
        method="qpcr",
        n_controls=len(controls),
        calibrator=q.calibrator,
        notes=tuple(notes),
    )


def _check_options(threshold: float, reference_genes: Sequence[str], genes: Sequence[str],
                   undetermined: str) -> tuple[float, tuple[str, ...], tuple[str, ...]]:
    """Threshold, reference and target genes (upper-cased); raises on bad options."""
    thr = _check_threshold(threshold)
    ref = _norm_genes(reference_genes, "reference genes")
    targets = _norm_genes(genes, "genes")
    overlap = set(ref) & set(targets)
    if overlap:
        raise InterferonError(_("gene(s) {genes} listed both as reference and target", genes=", ".join(sorted(overlap))))
    if undetermined not in ("error", "max_ct"):
        raise InterferonError(f"undetermined must be 'error' or 'max_ct', got {undetermined!r}")
    return thr, ref, targets


def _read_wells(qpcr: pd.DataFrame) -> pd.DataFrame:
    """The wells with canonical columns, sample ids and genes as text (genes upper-cased)
    and checked sample types."""
    df = _normalise_columns(pd.DataFrame(qpcr), ("sample_id", "sample_type", "gene", "ct"))
    df = df.reset_index(drop=True)
    if df.empty:
        raise InterferonError(_("the qPCR table has no rows"))
    df["sample_id"] = df["sample_id"].map(_text)
    df["gene"] = df["gene"].map(lambda g: _text(g).upper())
    _check_sample_ids(df)
    for i, g in enumerate(df["gene"]):
        if g == "":
            raise InterferonError(_("{row}, column 'gene': empty gene name (sample {sample!r})",
                                    row=_row_label(i), sample=df["sample_id"][i]))
    df["sample_type"] = _parse_sample_types(df)
    _check_consistent_type(df)
    return df


def _drop_unused_genes(df: pd.DataFrame, ref: tuple[str, ...], targets: tuple[str, ...],
                       notes: list[str]) -> pd.DataFrame:
    """Wells of the reference and target genes only (the others are noted)."""
    known = set(ref) | set(targets)
    extra = sorted(set(df["gene"]) - known)
    if not extra:
        return df
    n_rows = int(df["gene"].isin(extra).sum())
    notes.append(n_(
        "{n} well(s) of gene(s) not used by the score ignored: {genes}",
        "{n} well(s) of gene(s) not used by the score ignored: {genes}", n_rows, genes=", ".join(extra),
    ))
    return df[df["gene"].isin(known)].copy()


def _replicate_means(df: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Per sample x gene: number of wells, their Ct values, mean Ct and spread (notes on
    averaged and widely spread replicates)."""
    grouped = df.groupby(["sample_id", "gene"], sort=False)["ct_value"]
    wells = grouped.agg(
        n_wells="size",
        ct_values=lambda s: ", ".join(f"{v:g}" for v in s),
        mean_ct="mean",
        spread=lambda s: float(s.max() - s.min()),
    ).reset_index()
    n_dup = int((wells["n_wells"] > 1).sum())
    if n_dup:
        notes.append(n_(
            "{n} sample × gene pair(s) measured in more than one well: the Ct values "
            "were averaged (arithmetic mean) before ΔCt",
            "{n} sample × gene pair(s) measured in more than one well: the Ct values "
            "were averaged (arithmetic mean) before ΔCt", n_dup,
        ))
    wide_spread = wells[wells["spread"] > REPLICATE_SPREAD_WARNING]
    if not wide_spread.empty:
        listed = [
            f"{r.sample_id}/{r.gene} ({r.ct_values})" for r in wide_spread.head(10).itertuples()
        ]
        more = len(wide_spread) - len(listed)
        values = {"spread": _g(REPLICATE_SPREAD_WARNING), "wells": ", ".join(listed), "more": more}
        notes.append(
            _("replicate wells more than {spread} cycle apart: {wells} and {more} more", **values) if more > 0
            else _("replicate wells more than {spread} cycle apart: {wells}", **values)
        )
    return wells


def _check_complete(mean_ct: pd.DataFrame, sample_order: list[str], ref: tuple[str, ...],
                    targets: tuple[str, ...]) -> None:
    """Every sample has a Ct for every reference and target gene."""
    for s in sample_order:
        for g in ref:
            if g not in mean_ct.columns or pd.isna(mean_ct.at[s, g]):
                raise InterferonError(_(
                    "sample {sample!r}: reference gene {gene} is missing (no well); add its Ct or "
                    "choose other reference genes", sample=s, gene=g,
                ))
        for g in targets:
            if g not in mean_ct.columns or pd.isna(mean_ct.at[s, g]):
                raise InterferonError(_(
                    "sample {sample!r}: gene {gene} is missing (no well); every sample needs all of {genes}",
                    sample=s, gene=g, genes=", ".join(targets),
                ))


@dataclass(frozen=True, eq=False)
class _Quantification:
    """Samples x target genes tables of the relative quantification."""

    reference_ct: pd.Series  # mean Ct of the reference genes per sample
    delta_ct: pd.DataFrame
    delta_delta_ct: pd.DataFrame
    rq: pd.DataFrame
    control_median_rq: pd.Series  # per gene
    fold_change: pd.DataFrame
    calibrator: str  # description of the ΔΔCt calibrator


def _relative_quantification(mean_ct: pd.DataFrame, ref: tuple[str, ...], targets: tuple[str, ...],
                             controls: list[str], calibrator: str | None) -> _Quantification:
    """ΔCt against the mean reference Ct, ΔΔCt against the calibrator, RQ = 2^−ΔΔCt, fold
    change = RQ / median RQ of the healthy controls (linear scale)."""
    ref_ct = mean_ct[list(ref)].mean(axis=1)
    delta = mean_ct[list(targets)].sub(ref_ct, axis=0)
    if calibrator is None:
        cal = delta.loc[controls].mean(axis=0)
        cal_text = n_("mean ΔCt of the {n} healthy control(s)", "mean ΔCt of the {n} healthy control(s)", len(controls))
    else:
        cal_id = str(calibrator).strip()
        if cal_id not in delta.index:
            raise InterferonError(_("calibrator sample {sample!r} is not in the table", sample=cal_id))
        cal = delta.loc[cal_id]
        cal_text = _("sample {sample}", sample=cal_id)
    ddct = delta.sub(cal, axis=1)
    rq = np.power(2.0, -ddct)
    ctrl_median = rq.loc[controls].median(axis=0)
    fc = rq.div(ctrl_median, axis=1)
    return _Quantification(ref_ct, delta, ddct, rq, ctrl_median, fc, cal_text)


def _fold_frame(sample_order: list[str], targets: tuple[str, ...], sample_type: pd.Series,
                mean_ct: pd.DataFrame, wells: pd.DataFrame, q: _Quantification) -> pd.DataFrame:
    """One row per sample x target gene with every step of the quantification."""
    long = pd.DataFrame(
        {
            "sample_id": np.repeat(sample_order, len(targets)),
            "gene": list(targets) * len(sample_order),
        }
    )
    idx = pd.MultiIndex.from_frame(long)

    def _take(frame: pd.DataFrame) -> np.ndarray:
        return frame.stack().reindex(idx).to_numpy(dtype=float)

    n_wells = wells.set_index(["sample_id", "gene"])["n_wells"].reindex(idx).to_numpy()
    fold = long.assign(
        sample_type=long["sample_id"].map(sample_type),
        ct=_take(mean_ct[list(targets)]),
        n_wells=n_wells.astype(int),
        reference_ct=long["sample_id"].map(q.reference_ct).to_numpy(dtype=float),
        delta_ct=_take(q.delta_ct),
        delta_delta_ct=_take(q.delta_delta_ct),
        rq=_take(q.rq),
        control_median_rq=long["gene"].map(q.control_median_rq).to_numpy(dtype=float),
        fold_change=_take(q.fold_change),
    )[
        [
            "sample_id", "sample_type", "gene", "ct", "n_wells", "reference_ct", "delta_ct",
            "delta_delta_ct", "rq", "control_median_rq", "fold_change",
        ]
    ]
    return fold.reset_index(drop=True)


def _scores_frame(
    sample_order: list[str],
    sample_type: pd.Series,
    score: pd.Series,
    n_genes: int,
    threshold: float,
    df: pd.DataFrame,
) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "sample_id": sample_order,
            "sample_type": [sample_type[s] for s in sample_order],
            "score": [float(score[s]) for s in sample_order],
        }
    )
    out["positive"] = out["score"] > threshold
    out["n_genes"] = n_genes
    meta = _optional_meta(df)
    if len(meta.columns) > 1:
        out = out.merge(meta, on="sample_id", how="left")
    return out


# --------------------------------------------------------------------------------------
# Precomputed fold changes
# --------------------------------------------------------------------------------------
def fold_change_scores(
    df: pd.DataFrame,
    genes: Sequence[str] = DEFAULT_GENES,
    threshold: float = DEFAULT_THRESHOLD,
) -> InterferonResult:
    """Interferon scores from precomputed fold changes (score = median over the genes).

    Parameters
    ----------
    df : pandas.DataFrame
        Long format ``sample_id``, ``gene``, ``fold_change`` (optional ``sample_type``,
        ``patient_id``, ``date``), or wide format: ``sample_id`` plus one column per gene.
    genes : sequence of str
        Genes of the score; each sample needs all of them.
    threshold : float
        Positive when score > threshold.

    Returns
    -------
    InterferonResult
        ``method="fold_change"``; ``wells`` is empty.

    Raises
    ------
    InterferonError
        Missing columns, a gene missing from a sample, a gene given twice for a sample,
        a fold change that is empty, non-numeric or not > 0.
    """
    thr = _check_threshold(threshold)
    targets = _norm_genes(genes, "genes")
    raw = _fold_change_rows(df, targets)
    notes: list[str] = []
    extra = sorted(set(raw["gene"]) - set(targets))
    if extra:
        notes.append(n_(
            "{n} row(s) of gene(s) not used by the score ignored: {genes}",
            "{n} row(s) of gene(s) not used by the score ignored: {genes}",
            int(raw["gene"].isin(extra).sum()), genes=", ".join(extra),
        ))
        raw = raw[raw["gene"].isin(targets)].reset_index(drop=True)
    raw["fold_change"] = _parse_fold_changes(raw)
    dup = raw.duplicated(["sample_id", "gene"], keep=False)
    if dup.any():
        r = raw[dup].iloc[0]
        raise InterferonError(_("sample {sample!r}, gene {gene}: fold change given more than once",
                                sample=r["sample_id"], gene=r["gene"]))
    sample_order = list(pd.unique(raw["sample_id"]))
    fc = raw.pivot(index="sample_id", columns="gene", values="fold_change").reindex(
        index=sample_order, columns=list(targets)
    )
    for s in sample_order:
        for g in targets:
            if pd.isna(fc.at[s, g]):
                raise InterferonError(_(
                    "sample {sample!r}: gene {gene} is missing; every sample needs all of {genes}",
                    sample=s, gene=g, genes=", ".join(targets),
                ))
    score = fc.median(axis=1)
    sample_type = raw.groupby("sample_id", sort=False)["sample_type"].first()
    long = raw[["sample_id", "sample_type", "gene", "fold_change"]].copy()
    long["_o"] = long["sample_id"].map({s: i for i, s in enumerate(sample_order)})
    long["_g"] = long["gene"].map({g: i for i, g in enumerate(targets)})
    long = long.sort_values(["_o", "_g"]).drop(columns=["_o", "_g"]).reset_index(drop=True)
    scores = _scores_frame(sample_order, sample_type, score, len(targets), thr, raw)
    return InterferonResult(
        scores=scores,
        fold_changes=long,
        wells=pd.DataFrame(columns=["sample_id", "gene", "n_wells", "ct_values", "mean_ct",
                                    "spread"]),
        genes=targets,
        reference_genes=(),
        threshold=thr,
        method="fold_change",
        n_controls=0,
        calibrator="",
        notes=tuple(notes),
    )


def _fold_change_rows(df: pd.DataFrame, targets: tuple[str, ...]) -> pd.DataFrame:
    """Long table ``sample_id``, ``sample_type``, ``gene``, ``fold_change`` (raw cells)
    from the long or the wide format; ids and genes as text, sample types checked
    (``patient`` when not given)."""
    raw = pd.DataFrame(df).copy()
    cols_upper = {str(c).strip().upper(): c for c in raw.columns}
    lower_cols = {str(c).strip().lower() for c in raw.columns}
    if "fold_change" not in lower_cols and all(g in cols_upper for g in targets):
        # wide format
        raw = _normalise_columns(raw, ("sample_id",))
        id_cols = [c for c in ("sample_id", "sample_type", "patient_id", "date") if c in raw]
        renamed = raw.rename(columns={cols_upper[g]: g for g in targets})
        raw = renamed.melt(id_vars=id_cols, value_vars=list(targets), var_name="gene",
                           value_name="fold_change")
    else:
        syn = dict(_COLUMN_SYNONYMS)
        syn["fold_change"] = ("fold_change", "fold change", "fc")
        raw = raw.rename(
            columns={
                c: "fold_change"
                for c in raw.columns
                if re.sub(r"\s+", " ", str(c).strip().lower()) in syn["fold_change"]
            }
        )
        raw = _normalise_columns(raw, ("sample_id", "gene", "fold_change"))
    raw = raw.reset_index(drop=True)
    if raw.empty:
        raise InterferonError(_("the fold-change table has no rows"))
    raw["sample_id"] = raw["sample_id"].map(_text)
    raw["gene"] = raw["gene"].map(lambda g: _text(g).upper())
    _check_sample_ids(raw)
    if "sample_type" in raw.columns:
        raw["sample_type"] = _parse_sample_types(raw)
        _check_consistent_type(raw)
    else:
        raw["sample_type"] = "patient"
    return raw


def _parse_fold_changes(raw: pd.DataFrame) -> list[float]:
    """Fold changes as positive floats (decimal comma accepted); raises naming the cell."""
    values = []
    for v, sid, g in zip(raw["fold_change"], raw["sample_id"], raw["gene"], strict=True):
        where = _("sample {sample!r}, gene {gene}", sample=sid, gene=g)
        text = _text(v) if not isinstance(v, (int, float, np.number)) else v
        try:
            x = float(text.replace(",", ".")) if isinstance(text, str) else float(text)
        except ValueError:
            raise InterferonError(_("{where}: fold change {value!r} is not a number", where=where, value=text)) from None
        if not math.isfinite(x) or x <= 0:
            raise InterferonError(_("{where}: fold change must be a positive number, got {value!r}", where=where, value=v))
        values.append(x)
    return values


def interferon_payload(result: InterferonResult) -> dict[str, Any]:
    """JSON object printed by ``myoscope ifn-score --json`` (same as ``result.payload()``)."""
    return result.payload()


def methods_text(result: InterferonResult) -> str:
    """Methods paragraph describing how the scores were obtained."""
    genes = ", ".join(result.genes)
    if result.method == "fold_change":
        return _(
            "The interferon score was the median of the supplied fold changes of {genes}; "
            "a score above {threshold} was considered positive (Rice et al., "
            "Lancet Neurol 2013).", genes=genes, threshold=_g(result.threshold),
        )
    refs = functools.reduce(lambda a, b: _("{a} and {b}", a=a, b=b), result.reference_genes)
    values = {"n": len(result.genes), "genes": genes, "calibrator": result.calibrator,
              "n_controls": result.n_controls, "threshold": _g(result.threshold), "refs": refs}
    return _(
        "Expression of {n} interferon-stimulated genes ({genes}) was "
        "measured by RT-qPCR and normalised to the mean Ct of {refs} (ΔCt); replicate "
        "wells were averaged. Relative quantities were 2^−ΔΔCt (calibrator: "
        "{calibrator}). Each gene's fold change was its relative quantity divided "
        "by the median relative quantity of the {n_controls} healthy controls, and "
        "the interferon score was the median fold change of the genes (Rice et al., Lancet "
        "Neurol 2013); scores above {threshold} were considered positive.", **values,
    )


def _g(x: float) -> str:
    """A number in its shortest form, with the language's decimal mark."""
    text = f"{x:g}"
    return text.replace(".", ",") if language() == "fr" else text
