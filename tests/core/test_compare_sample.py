"""Sample cohort vs the published Table I (Monseau 2020): anti-Mi2+ vs anti-Mi2−
reproduces every n/N exactly, and P equals Fisher's test on those counts (R fixtures)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.compare import compare_groups, subtype_heatmap
from core.published import compare_with_published, load_published_table

ROOT = Path(__file__).resolve().parents[2]
TABLE1 = ROOT / "sample_data" / "monseau2020_table1.csv"
R_FISHER = ROOT / "tests" / "reference" / "compare" / "fisher.csv"

io_mod = pytest.importorskip("core.io")
if not hasattr(io_mod, "load_sample_cohort"):  # pragma: no cover - until the sample exists
    pytest.skip("core.io.load_sample_cohort not available yet", allow_module_level=True)


@pytest.fixture(scope="module")
def cohort():
    return io_mod.load_sample_cohort()


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    return load_published_table(TABLE1)


@pytest.fixture(scope="module")
def result(cohort, published):
    df = cohort.data
    mi2 = df["anti_mi2"]
    labels = pd.Series(np.where(mi2 == 1, "anti-Mi2+", np.where(mi2 == 0, "anti-Mi2−", None)),
                       index=df.index, dtype=object)
    feats = [f for f in published["feature"] if f in df.columns]
    return compare_groups(df, labels, "anti-Mi2+", "anti-Mi2−", feats, cohort.dictionary)


def test_group_sizes(result) -> None:
    assert (result.n_a, result.n_b, result.n_excluded) == (64, 55, 0)


def test_every_published_count_is_reproduced(result, published) -> None:
    rows = result.rows.set_index("feature")
    missing = [f for f in published["feature"] if f not in rows.index]
    assert not missing, f"sample cohort lacks columns: {missing}"
    for rec in published.to_dict("records"):
        got = rows.loc[rec["feature"]]
        for side in ("a", "b"):
            if pd.isna(rec[f"n_{side}"]):
                continue
            assert (int(got[f"n_{side}"]), int(got[f"N_{side}"])) == (rec[f"n_{side}"], rec[f"N_{side}"]), (
                rec["feature"], side)


def test_p_values_equal_fisher_on_published_counts(result, published) -> None:
    r_ref = pd.read_csv(R_FISHER)
    r_p = dict(zip(r_ref["name"].str.replace("table1_", "", regex=False), r_ref["p_value"]))
    rows = result.rows.set_index("feature")
    checked = 0
    for rec in published.dropna(subset=["n_a", "n_b"]).to_dict("records"):
        assert rows.loc[rec["feature"], "p_value"] == pytest.approx(r_p[rec["feature"]], rel=1e-6)
        checked += 1
    assert checked >= 27


def test_published_comparison_on_the_sample(result, published) -> None:
    out = compare_with_published(result, published).set_index("feature")
    assert not out["count_mismatch"].any()
    assert out.loc["severe_weakness", "flagged"]
    assert out.loc["severe_weakness", "recomputed_p"] == pytest.approx(0.333853, rel=1e-5)
    assert not out.loc["dyspnea", "flagged"]


def test_group_spec_path_if_available(cohort, result) -> None:
    groups = pytest.importorskip("core.groups")
    g = groups.assign_groups(cohort.data, groups.GroupSpec("binary", "anti_mi2"), cohort.dictionary)
    res = compare_groups(cohort.data, g.labels, g.order[0], g.order[1], list(result.rows["feature"]),
                         cohort.dictionary)
    cols = ["n_a", "N_a", "n_b", "N_b", "p_value"]
    pd.testing.assert_frame_equal(res.rows[cols], result.rows[cols])


def test_heatmap_on_sample(cohort) -> None:
    feats = [e.name for e in cohort.dictionary.features(("binary",))]
    heat = subtype_heatmap(cohort.data, feats, cohort.dictionary)
    assert len(heat) == 6 * len(feats)
    mi2 = heat[(heat["subtype"] == "Mi2") & (heat["feature"] == "gottron")].iloc[0]
    assert (mi2["n"], mi2["N"]) == (38, 53)


def test_ck_row_equals_the_published_one(cohort) -> None:
    """Table I prints CK 3748 (1159–8799) vs 1680 (893–5818), P = .23. Before the generator
    was tuned, the sample gave 3731 (1164–8716) vs 1839 (871–5704), P = .08."""
    from core.compare import display_table
    from core.formatting import format_p

    df = cohort.data
    labels = pd.Series(np.where(df["anti_mi2"] == 1, "anti-Mi2+", np.where(df["anti_mi2"] == 0, "anti-Mi2−", None)),
                       index=df.index, dtype=object)
    res = compare_groups(df, labels, "anti-Mi2+", "anti-Mi2−", ["ck_max_ul"], cohort.dictionary)
    row = res.rows.iloc[0]
    assert (row["median_a"], row["q1_a"], row["q3_a"]) == (3748, 1159, 8799)
    assert (row["median_b"], row["q1_b"], row["q3_b"]) == (1680, 893, 5818)
    assert format_p(row["p_value"]) == ".23"
    shown = display_table(res).iloc[1]
    assert shown["anti-Mi2+"].startswith("3748 (1159–8799)") and shown["anti-Mi2−"].startswith("1680 (893–5818)")
    assert shown["P"] == ".23"
    # the Jalles patient keeps her 3000 IU/L, and CK agrees with "elevated CK" (ULN 168)
    assert df.loc[df["patient_id"] == "MYO-070", "ck_max_ul"].item() == 3000
    assert (df.loc[df["elevated_ck"] == 1, "ck_max_ul"] > 168).all()
    assert (df.loc[df["elevated_ck"] == 0, "ck_max_ul"] < 168).all()


def test_generator_ck_shape_is_the_one_its_search_finds() -> None:
    """sample_data/generate.py keeps CK_SHAPE equal to what ck_shape() finds (P closest to
    .23), and ck_values pins every published quartile whatever the shape."""
    import importlib.util

    from core.stats import quantiles_type7

    spec = importlib.util.spec_from_file_location("generate", ROOT / "sample_data" / "generate.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert gen.ck_shape() == gen.CK_SHAPE
    for shape in (1.0, gen.CK_SHAPE, 2.0):
        pos, neg = gen.ck_values(shape)
        assert quantiles_type7(pos) == list(gen.CK_TABLE1["mi2_pos"])
        assert quantiles_type7(neg) == list(gen.CK_TABLE1["mi2_neg"])
        assert (pos[:6] < 168).all() and (pos[6:] > 200).all() and (neg[:9] < 168).all() and (neg[9:] > 200).all()
