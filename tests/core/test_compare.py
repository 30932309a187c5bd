"""core.compare on synthetic cohorts: counts, exclusions, cross-checks with SciPy,
errors, guardrails, payload, display, heatmap, published-table check, methods text."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.stats.contingency import odds_ratio

from core.compare import (
    ROW_COLUMNS,
    CompareError,
    compare_groups,
    compare_payload,
    display_table,
    format_or_ci,
    methods_text,
    subtype_heatmap,
)
from core.published import (
    PublishedTableError,
    compare_with_published,
    load_published_table,
)
from core.schema import DataDictionary, FeatureInfo
from core.stats import StatsError, fisher_2x2, fisher_p

ROOT = Path(__file__).resolve().parents[2]
TABLE1 = ROOT / "sample_data" / "monseau2020_table1.csv"


def make_cohort(n: int = 300, seed: int = 0, n_bin: int = 6, n_cont: int = 2, missing: float = 0.15):
    rng = np.random.default_rng(seed)
    grp = rng.choice(np.array(["A", "B", None], dtype=object), size=n, p=[0.4, 0.5, 0.1])
    cols: dict[str, object] = {"patient_id": [f"P{i}" for i in range(n)]}
    entries = []
    for j in range(n_bin):
        p = rng.uniform(0.05, 0.95)
        v = (rng.random(n) < np.where(grp == "A", min(0.99, p + 0.2), p)).astype(float)
        v[rng.random(n) < missing] = np.nan
        cols[f"b{j}"] = v
        entries.append(FeatureInfo(f"b{j}", f"Binary {j}", "cutaneous", "binary"))
    for j in range(n_cont):
        v = np.round(rng.lognormal(5 + 0.3 * (grp == "A"), 1.0), 1)
        v[rng.random(n) < missing] = np.nan
        cols[f"c{j}"] = v
        entries.append(FeatureInfo(f"c{j}", f"Continuous {j}", "laboratory", "continuous", "U/L"))
    df = pd.DataFrame(cols, index=pd.RangeIndex(2, n + 2))  # index = spreadsheet rows
    df["antibody_subtype"] = rng.choice(
        np.array(["Mi2", "MDA5", "TIF1g", "NXP2", "SAE", "multiple", "seronegative", "untested", None], dtype=object),
        size=n,
    )
    labels = pd.Series(grp, index=df.index, dtype=object)
    return df, DataDictionary(tuple(entries)), labels


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_counts_and_tests_match_naive_computation(seed: int) -> None:
    df, dic, labels = make_cohort(seed=seed)
    feats = [e.name for e in dic]
    res = compare_groups(df, labels, "A", "B", feats, dic)
    assert list(res.rows.columns) == list(ROW_COLUMNS)
    assert res.n_a == int((labels == "A").sum()) and res.n_b == int((labels == "B").sum())
    assert res.n_excluded == int(labels.isna().sum())
    for rec in res.rows.to_dict("records"):
        xa = df.loc[labels == "A", rec["feature"]].dropna()
        xb = df.loc[labels == "B", rec["feature"]].dropna()
        if rec["type"] == "binary":
            assert (rec["n_a"], rec["N_a"], rec["n_b"], rec["N_b"]) == (
                int(xa.sum()), len(xa), int(xb.sum()), len(xb))
            assert rec["pct_a"] == pytest.approx(100 * xa.mean())
            table = [[int(xa.sum()), len(xa) - int(xa.sum())], [int(xb.sum()), len(xb) - int(xb.sum())]]
            assert rec["p_value"] == pytest.approx(stats.fisher_exact(table).pvalue, rel=1e-9)
            ref = odds_ratio(table, kind="conditional")
            ci = ref.confidence_interval(0.95)
            assert rec["odds_ratio"] == pytest.approx(ref.statistic, rel=1e-7)
            assert rec["or_ci_low"] == pytest.approx(ci.low, rel=1e-7)
            assert rec["or_ci_high"] == pytest.approx(ci.high, rel=1e-7)
            assert math.isnan(rec["median_a"])
        else:
            assert rec["n_a"] == len(xa) and rec["n_b"] == len(xb) and pd.isna(rec["N_a"])
            sp = stats.mannwhitneyu(xa, xb, alternative="two-sided", method="asymptotic", use_continuity=True)
            assert rec["p_value"] == pytest.approx(sp.pvalue, rel=1e-9)
            assert rec["median_a"] == pytest.approx(np.median(xa))
            assert rec["q1_b"] == pytest.approx(np.quantile(xb, 0.25))
            assert rec["q3_b"] == pytest.approx(np.quantile(xb, 0.75))
            assert math.isnan(rec["odds_ratio"])
        assert math.isnan(rec["q_value"])


def test_random_tables_match_scipy() -> None:
    rng = np.random.default_rng(42)
    for _ in range(150):
        a, b, c, d = (int(v) for v in rng.integers(0, 40, size=4))
        if a + b == 0 or c + d == 0:
            continue
        res = fisher_2x2(a, b, c, d)
        assert res.p_value == pytest.approx(stats.fisher_exact([[a, b], [c, d]]).pvalue, rel=1e-9)
        if a + c == 0 or b + d == 0:
            assert math.isnan(res.odds_ratio)
            continue
        ref = odds_ratio([[a, b], [c, d]], kind="conditional")
        ci = ref.confidence_interval(0.95)
        for got, exp in ((res.odds_ratio, ref.statistic), (res.ci_low, ci.low), (res.ci_high, ci.high)):
            if exp == 0 or math.isinf(exp):
                assert got == exp
            else:
                assert got == pytest.approx(exp, rel=1e-7)


def test_large_table_fast_path_matches_scipy_p() -> None:
    table = [[2500, 2500], [2400, 2600]]
    assert fisher_p(2500, 2500, 2400, 2600) == pytest.approx(stats.fisher_exact(table).pvalue, rel=1e-8)
    res = fisher_2x2(123456, 300000, 120000, 310000)
    assert res.ci_low < res.odds_ratio < res.ci_high
    naive = (123456 * 310000) / (300000 * 120000)
    assert res.odds_ratio == pytest.approx(naive, rel=1e-4)


def test_zero_cells_and_display() -> None:
    res = fisher_2x2(5, 0, 3, 4)
    assert math.isinf(res.odds_ratio) and math.isinf(res.ci_high) and res.ci_low > 0
    assert format_or_ci(res.odds_ratio, res.ci_low, res.ci_high) == "∞ (0.57–∞)"
    res = fisher_2x2(0, 5, 3, 4)
    assert res.odds_ratio == 0 and res.ci_low == 0
    assert format_or_ci(res.odds_ratio, res.ci_low, res.ci_high).startswith("0 (0–3.18")
    assert format_or_ci(math.nan, math.nan, math.nan) == "—"


def test_bad_cells() -> None:
    with pytest.raises(StatsError, match="non-negative integer"):
        fisher_2x2(-1, 2, 3, 4)
    with pytest.raises(StatsError):
        fisher_2x2(1.5, 2, 3, 4)  # type: ignore[arg-type]


def test_other_labels_are_excluded_and_index_alignment() -> None:
    df, dic, labels = make_cohort(n=100, seed=3)
    labels = labels.copy()
    labels.iloc[:5] = "C"  # a third group: in neither A nor B
    res = compare_groups(df, labels, "A", "B", ["b0"], dic)
    assert res.n_a + res.n_b + res.n_excluded == len(df)
    assert res.n_excluded == int((~labels.isin(["A", "B"])).sum())
    # labels in another order but same patients: realigned
    shuffled = labels.sample(frac=1.0, random_state=1)
    res2 = compare_groups(df, shuffled, "A", "B", ["b0"], dic)
    assert res2.rows.equals(res.rows)
    # categorical labels give the same result
    res3 = compare_groups(df, labels.astype("category"), "A", "B", ["b0"], dic)
    assert res3.rows.equals(res.rows)
    with pytest.raises(CompareError, match="aligned"):
        compare_groups(df, labels.set_axis(range(1000, 1000 + len(labels))), "A", "B", ["b0"], dic)
    with pytest.raises(CompareError, match="entries"):
        compare_groups(df, labels.iloc[:10], "A", "B", ["b0"], dic)


def test_input_errors_name_the_column() -> None:
    df, dic, labels = make_cohort(n=60, seed=4)
    with pytest.raises(CompareError, match="nope"):
        compare_groups(df, labels, "A", "B", ["nope"], dic)
    with pytest.raises(CompareError, match="differ"):
        compare_groups(df, labels, "A", "A", ["b0"], dic)
    bad = df.copy()
    bad.loc[bad.index[3], "b1"] = 2.0
    with pytest.raises(CompareError, match=r"'b1'.*\[2\.0\]"):
        compare_groups(bad, labels, "A", "B", ["b1"], dic)
    txt = df.copy()
    txt["b2"] = txt["b2"].map({1.0: "yes", 0.0: "no"})
    with pytest.raises(CompareError, match="'b2' is not numeric"):
        compare_groups(txt, labels, "A", "B", ["b2"], dic)
    dic2 = dic.with_entries([FeatureInfo("antibody_subtype", "Subtype", "antibodies", "categorical")])
    with pytest.raises(CompareError, match="categorical"):
        compare_groups(df, labels, "A", "B", ["antibody_subtype"], dic2)
    inf = df.copy()
    inf.loc[inf.index[labels.eq("A").to_numpy()][0], "c0"] = np.inf
    with pytest.raises(CompareError, match="infinite"):
        compare_groups(inf, labels, "A", "B", ["c0"], dic)
    with pytest.raises(CompareError, match="more than once"):
        compare_groups(df, labels, "A", "B", ["b0", "b0"], dic)
    assert issubclass(CompareError, ValueError)


def test_guardrails_small_groups_and_sparse_features() -> None:
    df, dic, labels = make_cohort(n=60, seed=5)
    labels = labels.copy()
    a_idx = labels.index[labels.eq("A").to_numpy()]
    labels.loc[a_idx[8:]] = "B"  # group A: 8 patients
    df = df.copy()
    df.loc[a_idx[:6], "b0"] = np.nan  # b0: at most 2 recorded values in A
    res = compare_groups(df, labels, "A", "B", ["b0", "b1", "c0"], dic)
    assert res.n_a == 8
    assert any("'A' has 8 patients" in g for g in res.guardrails)
    assert any("non-missing values in 'A'" in g and "Binary 0" in g for g in res.guardrails)
    assert "fewer than 5 values in A" in res.rows.loc[0, "note"]


def test_empty_group_and_no_variation() -> None:
    df, dic, labels = make_cohort(n=80, seed=6)
    res = compare_groups(df, labels, "A", "nobody", ["b0", "c0"], dic)
    assert res.n_b == 0
    assert res.rows["p_value"].isna().all()
    assert res.rows.loc[0, "N_b"] == 0
    assert "not tested" in res.rows.loc[0, "note"]
    const = df.copy()
    const["b1"] = 1.0
    const["c1"] = 3.0
    res = compare_groups(const, labels, "A", "B", ["b1", "c1"], dic)
    assert res.rows.loc[0, "p_value"] == 1.0 and math.isnan(res.rows.loc[0, "odds_ratio"])
    assert "not estimable" in res.rows.loc[0, "note"]
    assert math.isnan(res.rows.loc[1, "p_value"]) and "all values equal" in res.rows.loc[1, "note"]
    table = display_table(res)
    assert table.loc[1, "OR (95% CI)"] == "—" and table.loc[2, "P"] == "—"


def test_fdr_q_values() -> None:
    df, dic, labels = make_cohort(seed=7)
    feats = [e.name for e in dic]
    res = compare_groups(df, labels, "A", "B", feats, dic, fdr=True)
    p = res.rows["p_value"].to_numpy()
    np.testing.assert_allclose(res.rows["q_value"], stats.false_discovery_control(p), rtol=1e-12)
    assert (res.rows["q_value"] >= res.rows["p_value"] - 1e-15).all()
    assert "q" in display_table(res).columns


def test_payload_is_json_safe_and_has_the_issue_keys() -> None:
    df, dic, labels = make_cohort(n=120, seed=8)
    df = df.copy()
    a_rows = labels.eq("A").to_numpy()
    df.loc[a_rows, "b0"] = df.loc[a_rows, "b0"].where(df.loc[a_rows, "b0"].isna(), 1.0)  # all A positive
    res = compare_groups(df, labels, "A", "B", ["b0", "b1", "c0"], dic, fdr=True)
    payload = res.payload()
    text = json.dumps(payload, allow_nan=False)
    back = json.loads(text)
    assert back["group_a"] == {"label": "A", "n": res.n_a}
    assert back["group_b"] == {"label": "B", "n": res.n_b}
    assert back["n_excluded"] == res.n_excluded
    keys = {"feature", "type", "n_a", "N_a", "n_b", "N_b", "p_value", "odds_ratio", "or_ci_low",
            "or_ci_high", "q_value", "median_a", "q1_a", "q3_a", "median_b", "q1_b", "q3_b"}
    for row in back["rows"]:
        assert keys <= set(row)
    b0, b1, c0 = back["rows"]
    assert b0["odds_ratio"] == "Infinity" and b0["or_ci_high"] == "Infinity"
    assert isinstance(b0["or_ci_low"], float)
    assert b1["median_a"] is None and isinstance(b1["n_a"], int)
    assert c0["odds_ratio"] is None and c0["N_a"] is None and isinstance(c0["median_a"], float)
    assert isinstance(c0["q_value"], float)
    assert compare_payload(res) == payload


def test_display_table() -> None:
    df, dic, labels = make_cohort(n=200, seed=9)
    res = compare_groups(df, labels, "A", "B", ["b0", "c0"], dic)
    t = display_table(res)
    assert list(t.columns) == ["Feature", "A", "B", "P", "OR (95% CI)"]
    assert t.iloc[0].tolist()[:3] == ["Patients, n", str(res.n_a), str(res.n_b)]
    r = res.rows.iloc[0]
    assert t.loc[1, "A"] == f"{r['n_a']}/{r['N_a']} ({100 * r['n_a'] / r['N_a']:.1f}%)"
    assert t.loc[2, "Feature"] == "Continuous 0 (U/L), median (IQR)"
    assert "; n = " in t.loc[2, "A"] and "–" in t.loc[2, "A"]
    assert t.loc[2, "OR (95% CI)"] == ""
    assert len(display_table(res, header_row=False)) == 2


def test_subtype_heatmap() -> None:
    df, dic, _ = make_cohort(n=400, seed=10)
    heat = subtype_heatmap(df, [e.name for e in dic], dic)
    subtypes = ["Mi2", "MDA5", "TIF1g", "NXP2", "SAE", "seronegative"]
    assert heat["subtype"].unique().tolist() == subtypes
    assert set(heat["feature"]) == {f"b{j}" for j in range(6)}  # continuous skipped
    known = df["antibody_subtype"].notna() & (df["antibody_subtype"] != "untested")
    for rec in heat.sample(10, random_state=0).to_dict("records"):
        ins = df["antibody_subtype"] == rec["subtype"]
        x = df.loc[ins, rec["feature"]].dropna()
        rest = df.loc[known & ~ins, rec["feature"]].dropna()
        assert (rec["n"], rec["N"]) == (int(x.sum()), len(x))
        assert (rec["n_rest"], rec["N_rest"]) == (int(rest.sum()), len(rest))
        table = [[int(x.sum()), len(x) - int(x.sum())], [int(rest.sum()), len(rest) - int(rest.sum())]]
        assert rec["p_value"] == pytest.approx(stats.fisher_exact(table).pvalue, rel=1e-9)
        assert rec["significant"] == (rec["p_value"] < 0.05)
    heat_fdr = subtype_heatmap(df, ["b0", "b1"], dic, fdr=True)
    assert heat_fdr["q_value"].notna().all()
    with pytest.raises(CompareError, match="antibody_subtype"):
        subtype_heatmap(df.drop(columns="antibody_subtype"), ["b0"], dic)


def test_published_table_loads_and_validates() -> None:
    pub = load_published_table(TABLE1)
    assert pub.attrs["group_a"] == "mi2_pos" and pub.attrs["group_b"] == "mi2_neg"
    sw = pub.set_index("feature").loc["severe_weakness"]
    assert (sw["n_a"], sw["N_a"], sw["n_b"], sw["N_b"]) == (29, 54, 35, 55)
    assert (sw["p_relation"], sw["p_printed"], sw["p_decimals"]) == ("=", 0.02, 2)
    assert pub.set_index("feature").loc["anti_mi2", "p_relation"] == "<"
    assert pd.isna(pub.set_index("feature").loc["anti_mda5", "n_a"])
    # same content from bytes, a file object, a semicolon CSV
    raw = TABLE1.read_bytes()
    assert load_published_table(raw).equals(pub)
    assert load_published_table(io.BytesIO(raw)).equals(pub)
    assert load_published_table(raw.decode().replace(",", ";").encode()).equals(pub)

    def bad(text: str, match: str) -> None:
        with pytest.raises(PublishedTableError, match=match):
            load_published_table(text.encode())

    bad("feature,n_x,N_x,published_p\nf,1,2,.5\n", "two count pairs")
    bad("name,n_x,N_x,n_y,N_y,published_p\nf,1,2,3,4,.5\n", "missing column 'feature'")
    bad("feature,n_x,N_x,n_y,N_y,published_p\nf,5,2,3,4,.5\n", r"line 2 \(feature 'f'\): n_x = 5 is larger than N_x = 2")
    bad("feature,n_x,N_x,n_y,N_y,published_p\nf,1.5,2,3,4,.5\n", "not a non-negative integer")
    bad("feature,n_x,N_x,n_y,N_y,published_p\nf,1,,3,4,.5\n", "give both")
    bad("feature,n_x,N_x,n_y,N_y,published_p\nf,1,2,3,4,NS\n", "not a P value")
    bad("feature,n_x,N_x,n_y,N_y,published_p\nf,1,2,3,4,.5\nf,1,2,3,4,.5\n", "already listed on line 2")
    with pytest.raises(PublishedTableError, match="not found"):
        load_published_table(ROOT / "nope.csv")


def _published_for(df: pd.DataFrame, labels: pd.Series, feats: list[str], p_text: dict[str, str]) -> str:
    lines = ["feature,group,label,n_a_grp,N_a_grp,n_b_grp,N_b_grp,published_p"]
    for f in feats:
        xa = df.loc[labels == "A", f].dropna()
        xb = df.loc[labels == "B", f].dropna()
        lines.append(f"{f},x,{f},{int(xa.sum())},{len(xa)},{int(xb.sum())},{len(xb)},{p_text.get(f, '')}")
    return "\n".join(lines) + "\n"


def test_compare_with_published_flags() -> None:
    df, dic, labels = make_cohort(n=300, seed=11)
    feats = ["b0", "b1", "b2", "b3"]
    res = compare_groups(df, labels, "A", "B", feats, dic)
    p = dict(zip(res.rows["feature"], res.rows["p_value"]))
    printed = {
        "b0": f"{p['b0']:.2f}".lstrip("0") if p["b0"] >= 0.01 else "<.01",
        "b1": ".0001" if p["b1"] > 0.01 else ".9",   # wrong by far
        "b2": "",                                     # not reported
    }
    csv = _published_for(df, labels, feats, printed)
    # b3: wrong count
    csv = csv.replace(csv.splitlines()[-1], ",".join(csv.splitlines()[-1].split(",")[:3] + ["0", "0"] + csv.splitlines()[-1].split(",")[5:]))
    pub = load_published_table(csv.encode())
    out = compare_with_published(res, pub).set_index("feature")
    assert out.loc["b0", "p_agreement"] == "match" and not out.loc["b0", "flagged"]
    assert out.loc["b1", "p_agreement"] == "mismatch" and out.loc["b1", "flagged"]
    assert out.loc["b2", "p_agreement"] == "not reported"
    assert out.loc["b3", "count_mismatch"] and out.loc["b3", "flagged"]
    assert out.loc["b0", "fisher_p_published"] == pytest.approx(p["b0"], rel=1e-12)
    # a feature not in the comparison is flagged, not dropped
    res_small = compare_groups(df, labels, "A", "B", ["b0"], dic)
    out2 = compare_with_published(res_small, pub).set_index("feature")
    assert out2.loc["b1", "flagged"] and "not in the comparison" in out2.loc["b1", "note"]


def test_monseau_published_table_flags_severe_weakness() -> None:
    """On the published counts alone: severe weakness printed .02, Fisher .33 -> flagged;
    rounding differences (dyspnea .005 printed .01) are not flagged."""
    pub = load_published_table(TABLE1)
    rows = []
    for r in pub.dropna(subset=["n_a", "n_b"]).itertuples():
        rows.append({"feature": r.feature, "label": r.label, "type": "binary", "n_a": r.n_a, "N_a": r.N_a,
                     "n_b": r.n_b, "N_b": r.N_b,
                     "p_value": fisher_p(r.n_a, r.N_a - r.n_a, r.n_b, r.N_b - r.n_b)})
    from core.compare import ComparisonResult
    fake = ComparisonResult("anti-Mi2+", "anti-Mi2−", 64, 55, 0, pd.DataFrame(rows))
    out = compare_with_published(fake, pub).set_index("feature")
    sw = out.loc["severe_weakness"]
    assert sw["flagged"] and sw["p_agreement"] == "mismatch"
    assert sw["fisher_p_published"] == pytest.approx(0.3338530, rel=1e-6)
    assert out.loc["dyspnea", "p_agreement"] == "match"
    assert out.loc["proximal_weakness", "p_agreement"] == "close" and not out.loc["proximal_weakness", "flagged"]
    assert out.loc["gottron", "p_agreement"] == "match"
    assert out.loc["anti_mi2", "p_agreement"] == "match"  # <.0001
    assert out.loc["panniculitis", "p_agreement"] == "match"  # >.99
    assert not out["count_mismatch"].any()
    # rows absent from the (fake) comparison are flagged "not in the comparison"
    assert out.loc["anti_mda5", "flagged"] and "not in the comparison" in out.loc["anti_mda5", "note"]
    both = out[out["published_n_a"].notna()]
    flagged = set(both.index[both["flagged"]])
    assert flagged == {"severe_weakness", "classic_dm_rash_only"}, flagged


def test_methods_text() -> None:
    df, dic, labels = make_cohort(n=100, seed=12)
    res = compare_groups(df, labels, "A", "B", ["b0", "c0"], dic, fdr=True)
    text = methods_text(res, "Sex: F; age 18–80")
    assert "Fisher exact test" in text and "Mann-Whitney" in text and "Benjamini-Hochberg" in text
    assert "Sex: F; age 18–80" in text and f"{res.n_excluded} patients" in text
    assert "\n" not in text
    res2 = compare_groups(df, labels, "A", "B", ["b0"], dic)
    text2 = methods_text(res2, "")
    assert "No cohort filter" in text2 and "Mann-Whitney" not in text2 and "not adjusted" in text2
