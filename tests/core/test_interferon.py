"""Tests of core.interferon: expected values are computed by hand in the comments.

Design of the hand example: the reference genes give every sample a reference Ct of 15
(HPRT1 20, 18S 10 -> mean 15), so a gene Ct of 15 + d has ΔCt = d. Healthy controls C1,
C2, C3 have ΔCt 10, 11, 12 for every gene -> 2^-ΔCt = 2^-10, 2^-11, 2^-12, median 2^-11.
Fold change of a sample = 2^-ΔCt / 2^-11 = 2^(11 - ΔCt).
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.interferon import (
    DEFAULT_GENES,
    RICE_THRESHOLD,
    InterferonError,
    fold_change_scores,
    interferon_payload,
    interferon_scores,
    methods_text,
    read_qpcr,
)

GENES = DEFAULT_GENES
FIXTURES = Path(__file__).resolve().parents[1] / "reference" / "interferon"


def _sample(sid: str, stype: str, dcts: list[float], hprt: float = 20.0, r18: float = 10.0,
            ) -> list[tuple[str, str, str, object]]:
    ref = (hprt + r18) / 2
    rows: list[tuple[str, str, str, object]] = [(sid, stype, "HPRT1", hprt), (sid, stype, "18S", r18)]
    rows += [(sid, stype, g, ref + d) for g, d in zip(GENES, dcts, strict=True)]
    return rows


def _frame(rows: list[tuple[str, str, str, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["sample_id", "sample_type", "gene", "ct"])


def _basic_rows() -> list[tuple[str, str, str, object]]:
    rows = _sample("C1", "healthy_control", [10] * 6)
    rows += _sample("C2", "healthy_control", [11] * 6)
    rows += _sample("C3", "healthy_control", [12] * 6)
    # P1: ΔCt 5, 7, 8, 9, 10, 11 -> FC 2^6=64, 2^4=16, 2^3=8, 2^2=4, 2^1=2, 2^0=1
    rows += _sample("P1", "patient", [5, 7, 8, 9, 10, 11])
    return rows


def test_hand_computed_scores() -> None:
    res = interferon_scores(_frame(_basic_rows()))
    fc = res.fold_changes.set_index(["sample_id", "gene"])["fold_change"]
    for g, expected in zip(GENES, [64, 16, 8, 4, 2, 1], strict=True):
        assert fc[("P1", g)] == pytest.approx(expected, rel=1e-12)
    s = res.scores.set_index("sample_id")
    # P1 score: median(64, 16, 8, 4, 2, 1) = (8 + 4) / 2 = 6 > 2.3 -> positive
    assert s.at["P1", "score"] == pytest.approx(6.0, rel=1e-12)
    assert bool(s.at["P1", "positive"]) is True
    # controls: FC = 2^(11-10) = 2, 2^0 = 1, 2^-1 = 0.5 for every gene -> scores 2, 1, 0.5
    assert s.loc[["C1", "C2", "C3"], "score"].tolist() == pytest.approx([2.0, 1.0, 0.5])
    assert not s.loc[["C1", "C2", "C3"], "positive"].any()
    assert list(res.scores["sample_id"]) == ["C1", "C2", "C3", "P1"]
    assert res.n_controls == 3


def test_intermediate_columns_hand_computed() -> None:
    res = interferon_scores(_frame(_basic_rows()))
    row = res.fold_changes.set_index(["sample_id", "gene"]).loc[("P1", "IFI27")]
    # Ct = 15 + 5 = 20; reference Ct = (20 + 10) / 2 = 15; ΔCt = 5
    assert row["ct"] == 20.0
    assert row["reference_ct"] == 15.0
    assert row["delta_ct"] == 5.0
    # calibrator = mean control ΔCt = (10 + 11 + 12) / 3 = 11; ΔΔCt = 5 - 11 = -6; RQ = 64
    assert row["delta_delta_ct"] == pytest.approx(-6.0)
    assert row["rq"] == pytest.approx(64.0)
    # control RQs 2^1, 2^0, 2^-1 -> median 1
    assert row["control_median_rq"] == pytest.approx(1.0)


def test_reference_genes_are_averaged() -> None:
    # P2: HPRT1 22, 18S 12 -> reference 17; IFI27 Ct 21 -> ΔCt 4 -> FC 2^(11-4) = 128
    rows = _basic_rows()
    rows += [("P2", "patient", "HPRT1", 22.0), ("P2", "patient", "18S", 12.0)]
    rows += [("P2", "patient", g, 17.0 + d) for g, d in zip(GENES, [4, 11, 11, 11, 11, 11],
                                                             strict=True)]
    res = interferon_scores(_frame(rows))
    fc = res.fold_changes.set_index(["sample_id", "gene"])["fold_change"]
    assert fc[("P2", "IFI27")] == pytest.approx(128.0)
    # score: median(128, 1, 1, 1, 1, 1) = 1
    assert res.scores.set_index("sample_id").at["P2", "score"] == pytest.approx(1.0)


def test_even_number_of_controls_median_on_linear_scale() -> None:
    # 4 controls with ΔCt 10, 11, 12, 13: RQ ∝ 2^-10, 2^-11, 2^-12, 2^-13.
    # median = (2^-11 + 2^-12) / 2 = 3 * 2^-13.
    # P1 ΔCt 5 for every gene: FC = 2^-5 / (3 * 2^-13) = 2^8 / 3 = 85.333...
    # (not 2^(11.5 - 5) = 90.51, which a median on the ΔCt scale would give)
    rows: list[tuple[str, str, str, object]] = []
    for i, d in enumerate([10, 11, 12, 13]):
        rows += _sample(f"C{i}", "healthy_control", [d] * 6)
    rows += _sample("P1", "patient", [5] * 6)
    res = interferon_scores(_frame(rows))
    assert res.scores.set_index("sample_id").at["P1", "score"] == pytest.approx(256 / 3, rel=1e-12)


def test_duplicate_wells_are_averaged_and_reported() -> None:
    rows = _basic_rows()
    # replace P1 IFI27 (Ct 20) with two wells 19.5 and 20.5 (mean 20 -> same FC 64)
    rows = [r for r in rows if not (r[0] == "P1" and r[2] == "IFI27")]
    rows += [("P1", "patient", "IFI27", 19.5), ("P1", "patient", "IFI27", 20.5)]
    res = interferon_scores(_frame(rows))
    fc = res.fold_changes.set_index(["sample_id", "gene"])
    assert fc.at[("P1", "IFI27"), "fold_change"] == pytest.approx(64.0)
    assert fc.at[("P1", "IFI27"), "n_wells"] == 2
    w = res.wells.set_index(["sample_id", "gene"]).loc[("P1", "IFI27")]
    assert w["n_wells"] == 2 and w["mean_ct"] == 20.0 and w["ct_values"] == "19.5, 20.5"
    assert any("averaged" in n for n in res.notes)
    # replicates 1 cycle apart (> 0.5) are named
    assert any("P1/IFI27" in n for n in res.notes)


def test_duplicate_reference_wells_change_reference_ct() -> None:
    # P1 HPRT1 wells 20 and 22 -> mean 21; reference = (21 + 10) / 2 = 15.5; IFI27 Ct 20
    # -> ΔCt 4.5 -> FC 2^(11 - 4.5) = 2^6.5 = 90.50966799...
    rows = [r for r in _basic_rows() if not (r[0] == "P1" and r[2] == "HPRT1")]
    rows += [("P1", "patient", "HPRT1", 20.0), ("P1", "patient", "HPRT1", 22.0)]
    res = interferon_scores(_frame(rows))
    fc = res.fold_changes.set_index(["sample_id", "gene"])["fold_change"]
    assert fc[("P1", "IFI27")] == pytest.approx(2 ** 6.5, rel=1e-12)


def test_threshold_choice_and_strictly_greater() -> None:
    # P1 score is exactly 6: positive at 2.3 and at 2.466, negative at 6 (score > threshold)
    df = _frame(_basic_rows())
    assert bool(interferon_scores(df).scores["positive"].iloc[3])
    assert bool(interferon_scores(df, threshold=RICE_THRESHOLD).scores["positive"].iloc[3])
    assert not bool(interferon_scores(df, threshold=6.0).scores["positive"].iloc[3])
    # C1 score 2 < 2.3 negative; at threshold 1.5 positive
    assert bool(interferon_scores(df, threshold=1.5).scores["positive"].iloc[0])
    with pytest.raises(InterferonError, match="threshold"):
        interferon_scores(df, threshold=-1)
    with pytest.raises(InterferonError, match="threshold"):
        interferon_scores(df, threshold="abc")  # type: ignore[arg-type]


def test_calibrator_does_not_change_fold_changes() -> None:
    df = _frame(_basic_rows())
    a = interferon_scores(df)
    b = interferon_scores(df, calibrator="C3")
    np.testing.assert_allclose(a.fold_changes["fold_change"], b.fold_changes["fold_change"])
    # with C3 (ΔCt 12) as calibrator: P1 IFI27 ΔΔCt = 5 - 12 = -7 -> RQ 128
    row = b.fold_changes.set_index(["sample_id", "gene"]).loc[("P1", "IFI27")]
    assert row["rq"] == pytest.approx(128.0)
    assert b.calibrator == "sample C3"
    with pytest.raises(InterferonError, match="calibrator sample 'X'"):
        interferon_scores(df, calibrator="X")


def test_user_reference_genes_and_case_insensitive_names() -> None:
    # use only 18S as reference (Ct 10): P1 IFI27 Ct 20 -> ΔCt 10; controls ΔCt 15, 16, 17
    # (gene Ct 25, 26, 27) -> median 2^-16; FC = 2^(16 - 10) = 64, unchanged because the
    # reference shift is the same in every sample.
    df = _frame(_basic_rows())
    df["gene"] = df["gene"].str.lower()
    df.columns = ["Sample_ID", "Sample Type", "Target", "Cq"]
    res = interferon_scores(df, reference_genes=["18s"])
    assert res.reference_genes == ("18S",)
    fc = res.fold_changes.set_index(["sample_id", "gene"])["fold_change"]
    assert fc[("P1", "IFI27")] == pytest.approx(64.0)
    assert any("HPRT1" in n and "ignored" in n for n in res.notes)


def test_decimal_comma_and_text_ct() -> None:
    df = _frame(_basic_rows())
    df["ct"] = df["ct"].map(lambda v: f"{v:.1f}".replace(".", ","))
    res = interferon_scores(df)
    assert res.scores.set_index("sample_id").at["P1", "score"] == pytest.approx(6.0)


# ----------------------------------------------------------------- errors and edge cases
def test_gene_missing_from_a_sample() -> None:
    rows = [r for r in _basic_rows() if not (r[0] == "P1" and r[2] == "RSAD2")]
    with pytest.raises(InterferonError, match=r"sample 'P1': gene RSAD2 is missing"):
        interferon_scores(_frame(rows))


def test_missing_reference_gene() -> None:
    rows = [r for r in _basic_rows() if not (r[0] == "C2" and r[2] == "HPRT1")]
    with pytest.raises(InterferonError, match=r"sample 'C2': reference gene HPRT1 is missing"):
        interferon_scores(_frame(rows))
    with pytest.raises(InterferonError, match="reference gene GAPDH is missing"):
        interferon_scores(_frame(_basic_rows()), reference_genes=("GAPDH",))


def test_no_healthy_controls() -> None:
    rows = [r for r in _basic_rows() if r[1] == "patient"]
    with pytest.raises(InterferonError, match="no healthy control"):
        interferon_scores(_frame(rows))


def test_unknown_sample_type() -> None:
    rows = _basic_rows()
    rows[3] = ("C1", "control?", rows[3][2], rows[3][3])
    # data row index 3 -> spreadsheet row 5
    with pytest.raises(InterferonError, match=r"row 5, column 'sample_type'.*'control\?'.*'C1'"):
        interferon_scores(_frame(rows))


def test_sample_with_two_types() -> None:
    rows = _basic_rows()
    rows[3] = ("C1", "patient", rows[3][2], rows[3][3])
    with pytest.raises(InterferonError, match="sample 'C1' is labelled both"):
        interferon_scores(_frame(rows))


def test_non_numeric_ct() -> None:
    rows = _basic_rows()
    i = next(k for k, r in enumerate(rows) if r[0] == "P1" and r[2] == "ISG15")
    rows[i] = ("P1", "patient", "ISG15", "24.x")
    with pytest.raises(InterferonError, match=rf"row {i + 2} \(sample 'P1', gene ISG15\).*'24.x' is not a number"):
        interferon_scores(_frame(rows))


def test_empty_ct() -> None:
    rows = _basic_rows()
    rows[0] = ("C1", "healthy_control", "HPRT1", float("nan"))
    with pytest.raises(InterferonError, match=r"row 2 \(sample 'C1', gene HPRT1\): the Ct is empty"):
        interferon_scores(_frame(rows))


def test_undetermined_target_error_by_default() -> None:
    rows = _basic_rows()
    i = next(k for k, r in enumerate(rows) if r[0] == "P1" and r[2] == "SIGLEC1")
    rows[i] = ("P1", "patient", "SIGLEC1", "Undetermined")
    with pytest.raises(InterferonError, match=r"sample 'P1', gene SIGLEC1.*not detected"):
        interferon_scores(_frame(rows))


def test_undetermined_target_as_max_ct() -> None:
    # P1 SIGLEC1 Undetermined -> Ct 40 -> ΔCt 25 -> FC 2^(11-25) = 2^-14.
    # P1 FCs 64, 16, 8, 4, 2, 2^-14 -> sorted 2^-14, 2, 4, 8, 16, 64 -> median (4+8)/2 = 6.
    rows = _basic_rows()
    i = next(k for k, r in enumerate(rows) if r[0] == "P1" and r[2] == "SIGLEC1")
    rows[i] = ("P1", "patient", "SIGLEC1", "Undetermined")
    res = interferon_scores(_frame(rows), undetermined="max_ct")
    fc = res.fold_changes.set_index(["sample_id", "gene"])["fold_change"]
    assert fc[("P1", "SIGLEC1")] == pytest.approx(2.0 ** -14)
    assert res.scores.set_index("sample_id").at["P1", "score"] == pytest.approx(6.0)
    assert any("Ct = 40" in n and "P1/SIGLEC1" in n for n in res.notes)
    # max_ct = 35: ΔCt 20 -> FC 2^-9
    res35 = interferon_scores(_frame(rows), undetermined="max_ct", max_ct=35)
    fc35 = res35.fold_changes.set_index(["sample_id", "gene"])["fold_change"]
    assert fc35[("P1", "SIGLEC1")] == pytest.approx(2.0 ** -9)


def test_undetermined_reference_always_errors() -> None:
    rows = _basic_rows()
    rows[1] = ("C1", "healthy_control", "18S", "Undetermined")
    with pytest.raises(InterferonError, match="reference gene not detected"):
        interferon_scores(_frame(rows), undetermined="max_ct")


def test_missing_columns_and_empty() -> None:
    with pytest.raises(InterferonError, match="missing column.*'ct'"):
        interferon_scores(_frame(_basic_rows()).drop(columns="ct"))
    with pytest.raises(InterferonError, match="no rows"):
        interferon_scores(_frame([]))


def test_reference_and_target_overlap() -> None:
    with pytest.raises(InterferonError, match="both as reference and target"):
        interferon_scores(_frame(_basic_rows()), reference_genes=("IFI27",))


def test_patient_id_and_date_carried() -> None:
    df = _frame(_basic_rows())
    df["patient_id"] = df["sample_id"].map({"P1": "DM-001"}).fillna("")
    df["date"] = df["sample_id"].map({"P1": "2019-05-02"}).fillna("")
    res = interferon_scores(df)
    s = res.scores.set_index("sample_id")
    assert s.at["P1", "patient_id"] == "DM-001"
    assert s.at["P1", "date"] == pd.Timestamp("2019-05-02")
    p = res.payload()["samples"][3]
    assert p["patient_id"] == "DM-001" and p["date"] == "2019-05-02"


# ----------------------------------------------------------------- payload, wide, methods
def test_payload_json() -> None:
    res = interferon_scores(_frame(_basic_rows()))
    payload = json.loads(json.dumps(interferon_payload(res)))
    assert payload["threshold"] == 2.3
    p1 = payload["samples"][3]
    assert p1["sample_id"] == "P1" and p1["positive"] is True
    assert p1["score"] == pytest.approx(6.0)
    assert p1["fold_changes"] == pytest.approx(
        {"IFI27": 64, "IFI44L": 16, "IFIT1": 8, "ISG15": 4, "RSAD2": 2, "SIGLEC1": 1})
    assert set(p1) >= {"sample_id", "score", "positive", "fold_changes"}
    wide = res.wide()
    assert list(wide.columns[-6:]) == [f"FC {g}" for g in GENES]
    assert "median relative quantity" in methods_text(res)


# ----------------------------------------------------------------- precomputed fold changes
def test_fold_change_scores_long_and_wide() -> None:
    # S1: 1, 2, 3, 10, 20, 30 -> median (3 + 10) / 2 = 6.5 positive; S2: all 1 -> 1
    long = pd.DataFrame(
        [("S1", g, v) for g, v in zip(GENES, [1, 2, 3, 10, 20, 30], strict=True)]
        + [("S2", g, 1.0) for g in GENES],
        columns=["sample_id", "gene", "fold_change"],
    )
    res = fold_change_scores(long)
    assert res.scores["score"].tolist() == pytest.approx([6.5, 1.0])
    assert res.scores["positive"].tolist() == [True, False]
    assert res.method == "fold_change"
    wide = long.pivot(index="sample_id", columns="gene", values="fold_change").reset_index()
    res_w = fold_change_scores(wide)
    assert res_w.scores["score"].tolist() == pytest.approx([6.5, 1.0])
    assert res.payload()["samples"][0]["fold_changes"]["RSAD2"] == 20


def test_fold_change_errors() -> None:
    long = pd.DataFrame([("S1", g, 1.0) for g in GENES[:5]],
                        columns=["sample_id", "gene", "fold_change"])
    with pytest.raises(InterferonError, match="sample 'S1': gene SIGLEC1 is missing"):
        fold_change_scores(long)
    bad = pd.DataFrame([("S1", g, "x" if g == "IFIT1" else 1) for g in GENES],
                       columns=["sample_id", "gene", "fold_change"])
    with pytest.raises(InterferonError, match="gene IFIT1: fold change 'x' is not a number"):
        fold_change_scores(bad)
    neg = pd.DataFrame([("S1", g, -1 if g == "IFIT1" else 1) for g in GENES],
                       columns=["sample_id", "gene", "fold_change"])
    with pytest.raises(InterferonError, match="positive"):
        fold_change_scores(neg)
    dup = pd.DataFrame([("S1", g, 1) for g in GENES] + [("S1", "IFI27", 2)],
                       columns=["sample_id", "gene", "fold_change"])
    with pytest.raises(InterferonError, match="more than once"):
        fold_change_scores(dup)


# ----------------------------------------------------------------- R reference fixtures
@pytest.mark.parametrize("case", ["even_controls", "odd_controls"])
def test_against_r_reference(case: str) -> None:
    qpcr = read_qpcr(FIXTURES / f"{case}_qpcr.csv")
    expected = pd.read_csv(FIXTURES / f"{case}_expected.csv")
    res = interferon_scores(qpcr)
    got = res.fold_changes.merge(expected, on=["sample_id", "gene"], suffixes=("", "_r"))
    assert len(got) == len(expected) == len(res.fold_changes)
    np.testing.assert_allclose(got["fold_change"], got["fold_change_r"], rtol=1e-6)
    sc = res.scores.merge(expected.drop_duplicates("sample_id")[["sample_id", "score"]],
                          on="sample_id", suffixes=("", "_r"))
    assert len(sc) == res.scores.shape[0]
    np.testing.assert_allclose(sc["score"], sc["score_r"], rtol=1e-6)


def test_random_synthetic_invariants() -> None:
    """Any cohort: shifting every Ct of a sample by a constant leaves its FC unchanged;
    the controls' median fold change of each gene is exactly 1 (odd number of controls)."""
    rng = np.random.default_rng(7)
    rows = []
    for i in range(9):
        rows += _sample(f"C{i}", "healthy_control", list(rng.normal(10, 1, 6)),
                        hprt=float(rng.normal(25, 1)), r18=float(rng.normal(11, 1)))
    for i in range(20):
        rows += _sample(f"P{i}", "patient", list(rng.normal(8, 2, 6)),
                        hprt=float(rng.normal(25, 1)), r18=float(rng.normal(11, 1)))
    df = _frame(rows)
    res = interferon_scores(df)
    ctrl = res.fold_changes[res.fold_changes["sample_type"] == "healthy_control"]
    np.testing.assert_allclose(ctrl.groupby("gene")["fold_change"].median(), 1.0, rtol=1e-12)
    shifted = df.copy()
    shifted.loc[shifted["sample_id"] == "P3", "ct"] += 1.7
    res2 = interferon_scores(shifted)
    np.testing.assert_allclose(res.scores["score"], res2.scores["score"], rtol=1e-12)
    # scores equal the median of the six FCs
    med = res.fold_changes.groupby("sample_id", sort=False)["fold_change"].median()
    np.testing.assert_allclose(res.scores.set_index("sample_id")["score"], med.loc[
        res.scores["sample_id"]].to_numpy(), rtol=1e-12)
    assert not any(math.isnan(x) for x in res.scores["score"])


def test_read_qpcr_bytes_semicolon() -> None:
    text = "sample_id;sample_type;gene;ct\nA;patient;IFI27;24,5\n"
    df = read_qpcr(io.BytesIO(text.encode()))
    assert list(df.columns) == ["sample_id", "sample_type", "gene", "ct"]
    assert df["ct"].iloc[0] == "24,5"


def test_fold_change_and_score_figures() -> None:
    from core.charts.patient import fold_change_figure, log_ticks, score_figure

    res = interferon_scores(_frame(_basic_rows()))
    fig = fold_change_figure(res)
    assert len(fig.data) == 1  # patient samples only by default
    assert list(fig.data[0].y) == pytest.approx([64, 16, 8, 4, 2, 1])
    assert "score 6" in fig.data[0].name and "positive" in fig.data[0].name
    assert fig.layout.yaxis.type == "log"
    fig_all = fold_change_figure(res, sample_ids=["C1", "P1"])
    assert len(fig_all.data) == 2
    sf = score_figure(res)
    assert list(sf.data[0].y) == pytest.approx([2, 1, 0.5, 6])
    assert log_ticks(0.5, 40) == [1.0, 3.0, 10.0, 30.0]
