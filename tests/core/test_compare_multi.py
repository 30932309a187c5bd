"""Table 1 for any number of groups (core.compare.compare_multi) and the r x c tests of
core.stats against R.

Reference values: ``tests/reference/compare_multi/make_fixtures.R`` (fisher.test r x c,
chisq.test(correct = FALSE), kruskal.test, pairwise fisher.test / wilcox.test with
p.adjust("BH"), quantile(type = 7)) on the sample cohort split by antibody subtype and on
real data (pbc by stage and edema, lung by ph_ecog, colon by rx, veteran by celltype).
The CSVs are read with pandas and split exactly as the R script does; R is never needed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.compare import (
    OVERALL,
    UNKNOWN,
    CompareError,
    compare_groups,
    compare_multi,
    compare_multi_payload,
    display_multi_table,
    display_pairwise,
    methods_text_multi,
)
from core.groups import category_strings
from core.schema import DataDictionary, FeatureInfo
from core.stats import (
    chisq_rxc,
    contingency_test,
    fisher_p,
    fisher_rxc_p,
    kruskal_wallis,
)

ROOT = Path(__file__).resolve().parents[2]
REF = ROOT / "tests" / "reference" / "compare_multi"
DATA = ROOT / "tests" / "data" / "realdata"
REL = 1e-6
#: max relative difference vs R per quantity, filled by the tests and printed at the end
MAX_REL: dict[str, float] = {}


def _close(name: str, got: float, want: float, rel: float = REL) -> None:
    """``got`` equals R's ``want`` at ``rel`` (both NaN counts as equal); records the
    relative difference under ``name``."""
    if isinstance(want, float) and math.isnan(want):
        assert math.isnan(got), (name, got, want)
        return
    diff = abs(got - want) / max(abs(want), 1e-300)
    MAX_REL[name] = max(MAX_REL.get(name, 0.0), diff)
    assert got == pytest.approx(want, rel=rel, abs=1e-300), (name, got, want)


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, keep_default_na=False, na_values=["NA"], dtype={"level": str, "group": str,
                                                                                   "group_1": str, "group_2": str})


FEATURES = _read("features.csv")
CELLS = _read("cells.csv")
PAIRS = _read("pairwise.csv")
SPLITS = _read("splits.csv").set_index("split")


def _sample() -> pd.DataFrame:
    d = pd.read_csv(ROOT / "sample_data" / "cohort.csv")
    sub = np.select(
        [d["anti_mi2"] == 1, d["anti_mda5"] == 1, d["anti_tif1g"] == 1, d["anti_nxp2"] == 1, d["anti_sae"] == 1],
        ["Mi2", "MDA5", "TIF1g", "NXP2", "SAE"], "seronegative")
    return d.assign(subtype=sub)


SOURCES = {
    "sample_subtype": (_sample, "subtype"),
    "pbc_stage": (lambda: pd.read_csv(DATA / "pbc.csv"), "stage"),
    "pbc_edema": (lambda: pd.read_csv(DATA / "pbc.csv"), "edema"),
    "lung_ecog": (lambda: pd.read_csv(DATA / "lung.csv"), "ph_ecog"),
    "colon_rx": (lambda: pd.read_csv(DATA / "colon.csv"), "rx"),
    "veteran_celltype": (lambda: pd.read_csv(DATA / "veteran.csv"), "celltype"),
}


def _run(split: str):
    load, col = SOURCES[split]
    d = load()
    feats = FEATURES[FEATURES["split"] == split]
    dictionary = DataDictionary(tuple(FeatureInfo(f, f, "other", t) for f, t in zip(feats["feature"], feats["type"])))
    groups = SPLITS.loc[split, "groups"].split(";")
    labels = category_strings(d[col])
    return compare_multi(d, labels, groups, list(feats["feature"]), dictionary)


@pytest.fixture(scope="module", params=list(SOURCES))
def case(request):
    return request.param, _run(request.param)


def test_group_sizes(case) -> None:
    split, res = case
    want = [int(x) for x in SPLITS.loc[split, "sizes"].split(";")]
    assert [res.sizes[g] for g in res.groups] == want
    assert res.n_excluded == SPLITS.loc[split, "n_excluded"]
    assert res.n_total == sum(want)


def test_overall_tests_equal_r(case) -> None:
    """Fisher r x c (when enumerated), chi-square and Kruskal-Wallis: statistic, df, P."""
    split, res = case
    ref = FEATURES[FEATURES["split"] == split].set_index("feature")
    got = res.features.set_index("feature")
    for f, r in ref.iterrows():
        g = got.loc[f]
        if r["type"] == "continuous":
            assert g["test"] == "Kruskal-Wallis"
            _close("kruskal statistic", g["statistic"], r["kruskal_statistic"])
            _close("kruskal df", g["df"], r["kruskal_df"])
            _close("kruskal P", g["p_value"], r["kruskal_p"])
            continue
        _close("chisq statistic", g["chisq_statistic"], r["chisq_statistic"])
        _close("chisq df", g["chisq_df"], r["chisq_df"])
        _close("chisq P", g["chisq_p"], r["chisq_p"])
        if g["test"] == "Fisher exact":
            _close("fisher r x c P", g["p_value"], r["fisher_p"])
        else:  # infeasible enumeration: chi-square, with a warning in the guardrails
            assert g["test"] == "Pearson chi-square" and g["p_value"] == g["chisq_p"]
            assert any(g["label"] in m and "not feasible" in m for m in res.guardrails)


def test_cells_equal_r(case) -> None:
    """n/N per level and group (Overall included), Unknown counts, type-7 quartiles."""
    split, res = case
    ref = CELLS[CELLS["split"] == split]
    got = res.cells.set_index(["feature", "level", "group"])
    rename = {**{g: g for g in res.groups}, "Overall": OVERALL}
    for r in ref.to_dict("records"):
        g = got.loc[(r["feature"], r["level"], rename[r["group"]])]
        assert (int(g["n"]), int(g["N"])) == (r["n"], r["N"]), r
        if not math.isnan(r["median"]):
            for q in ("q1", "median", "q3"):
                _close("quartiles", g[q], r[q])


def test_pairwise_and_vs_rest_equal_r(case) -> None:
    split, res = case
    ref = PAIRS[PAIRS["split"] == split]
    got = res.pairwise.set_index(["feature", "comparison", "group_1", "group_2"])
    assert len(got) == len(ref)
    for r in ref.to_dict("records"):
        g = got.loc[(r["feature"], r["comparison"], r["group_1"], r["group_2"])]
        _close(f"{r['comparison']} P", g["p_value"], r["p_value"])
        _close(f"{r['comparison']} BH q", g["q_value"], r["q_value"])


def test_every_split_uses_fisher_except_the_largest_tables() -> None:
    """The enumeration bound: colon rx x extent (929 patients, 4 x 3) falls back to
    chi-square; every sample-cohort table is exact."""
    sample = _run("sample_subtype").features
    assert (sample.loc[sample["type"] != "continuous", "test"] == "Fisher exact").all()
    colon = _run("colon_rx").features.set_index("feature")
    assert colon.loc["extent", "test"] == "Pearson chi-square"
    assert colon.loc["obstruct", "test"] == "Fisher exact"


# ----------------------------------------------------------- r x c tests on tables ----
TABLES = pd.read_csv(REF / "tables.csv")


def _table(text: str) -> np.ndarray:
    return np.array([[int(x) for x in row.split()] for row in text.split("|")])


@pytest.mark.parametrize("rec", TABLES.to_dict("records"), ids=list(TABLES["name"]))
def test_rxc_tables_equal_r(rec) -> None:
    t = _table(rec["table"])
    p, n_tables = fisher_rxc_p(t)
    assert n_tables > 0
    _close("fisher r x c P", p, rec["fisher_p"])
    stat, df, chi_p, _ = chisq_rxc(t)
    _close("chisq statistic", stat, rec["chisq_statistic"])
    _close("chisq df", df, rec["chisq_df"])
    _close("chisq P", chi_p, rec["chisq_p"])


def test_fisher_rxc_is_fisher_2x2_and_scipy() -> None:
    from scipy import stats

    for a, b, c, d in ((3, 1, 1, 3), (10, 2, 3, 15), (0, 5, 7, 2), (41, 23, 34, 21)):
        p, _ = fisher_rxc_p(np.array([[a, b], [c, d]]))
        assert p == pytest.approx(fisher_p(a, b, c, d), rel=1e-9)
        assert p == pytest.approx(stats.fisher_exact([[a, b], [c, d]]).pvalue, rel=1e-9)


def test_fisher_rxc_counts_tables_and_respects_the_bound() -> None:
    # 2 x 2 with margins (2, 2) / (2, 2): x11 in 0..2 -> 3 tables
    assert fisher_rxc_p(np.array([[1, 1], [1, 1]])) == (pytest.approx(1.0), 3)
    t = np.array([[20, 10, 15, 30], [25, 30, 10, 5], [10, 12, 13, 14]])
    assert math.isnan(fisher_rxc_p(t, max_tables=1000)[0])
    res = contingency_test(t, max_tables=1000)
    assert res.method == "Pearson chi-square" and res.p_value == res.chisq_p
    assert "not feasible" in res.warning
    sparse = contingency_test(np.array([[0, 1, 0, 2], [3, 0, 4, 1]]), max_tables=2)
    assert "expected count is below 5" in sparse.warning
    # zero rows / columns are dropped; a single row is not testable
    assert math.isnan(fisher_rxc_p(np.array([[3, 4], [0, 0]]))[0])
    assert fisher_rxc_p(np.array([[3, 0, 1], [1, 0, 3]]))[0] == pytest.approx(fisher_p(3, 1, 1, 3))


def test_kruskal_edge_cases() -> None:
    assert math.isnan(kruskal_wallis([np.array([1.0, 2.0]), np.array([])]).p_value)
    assert math.isnan(kruskal_wallis([np.array([1.0, 1.0]), np.array([1.0])]).p_value)
    r = kruskal_wallis([np.array([1.0, 2.0, np.nan]), np.array([3.0, 4.0]), np.array([])])
    assert r.df == 1.0 and r.p_value < 1


# ------------------------------------------------------------- two groups, display ----
def test_two_groups_match_compare_groups() -> None:
    """With two groups, the N-group table gives the two-group table's numbers: Fisher P
    of binary features (2 x 2), pairwise Mann-Whitney P, counts and quartiles."""
    d = _sample()
    labels = pd.Series(np.where(d["anti_mi2"] == 1, "Mi2+", "Mi2-"), index=d.index)
    feats = ["gottron", "holster_sign", "dyspnea", "ck_max_ul", "age_at_diagnosis"]
    dictionary = DataDictionary(tuple(FeatureInfo(f, f, "other", "continuous" if f in ("ck_max_ul", "age_at_diagnosis")
                                                  else "binary") for f in feats))
    two = compare_groups(d, labels, "Mi2+", "Mi2-", feats, dictionary).rows.set_index("feature")
    multi = compare_multi(d, labels, ["Mi2+", "Mi2-"], feats, dictionary)
    overall = multi.features.set_index("feature")
    pair = multi.pairwise.set_index("feature")
    cells = multi.cells.set_index(["feature", "row", "group"])
    for f in feats:
        assert pair.loc[f, "p_value"] == pytest.approx(two.loc[f, "p_value"], rel=1e-12)
        if f in ("ck_max_ul", "age_at_diagnosis"):
            assert cells.loc[(f, "value", "Mi2+"), "median"] == two.loc[f, "median_a"]
        else:
            assert overall.loc[f, "p_value"] == pytest.approx(two.loc[f, "p_value"], rel=1e-9)
            assert cells.loc[(f, "value", "Mi2-"), "n"] == two.loc[f, "n_b"]
    assert (multi.pairwise["comparison"] == "pair").all()  # no one-vs-rest with 2 groups


def test_display_table_layout() -> None:
    res = _run("sample_subtype")
    table = display_multi_table(res)
    assert list(table.columns) == ["Characteristic", OVERALL, *res.groups, "P"]
    assert table.iloc[0].tolist()[:3] == ["Patients, n", "119", "64"]
    sex = table.index[table["Characteristic"] == "sex, n/N (%)"][0]
    assert table.loc[sex + 1, "Characteristic"].strip() == "F"
    assert table.loc[sex, "P"] != "" and table.loc[sex + 1, "P"] == ""
    unknown = table[table["Characteristic"].str.strip() == UNKNOWN]
    assert len(unknown) >= 5  # features with missing values show their missing counts
    alo = table.index[table["Characteristic"] == "alopecia"][0]
    assert table.loc[alo + 1, "Characteristic"].strip() == UNKNOWN
    assert table.loc[alo + 1, "Mi2"] == "22"  # 64 - 42 recorded
    ck = table[table["Characteristic"].str.startswith("ck_max_ul")].iloc[0]
    assert "(" in ck[OVERALL] and "–" in ck[OVERALL]
    pw = display_pairwise(res)
    assert "Mi2 vs MDA5" in pw.columns and len(pw.columns) == 1 + 15
    rest = display_pairwise(res, "vs_rest")
    assert list(rest.columns) == ["Characteristic", *[f"{g} vs rest" for g in res.groups]]


def test_payload_is_json_and_complete() -> None:
    res = _run("pbc_edema")
    pay = compare_multi_payload(res)
    text = json.dumps(pay, allow_nan=False)
    back = json.loads(text)
    assert [g["label"] for g in back["groups"]] == ["0", "0.5", "1"]
    assert back["overall"]["n"] == 418
    f = {x["feature"]: x for x in back["features"]}
    assert f["bili"]["test"] == "Kruskal-Wallis"
    assert {c["group"] for c in f["bili"]["cells"]} == {"Overall", "0", "0.5", "1"}
    assert len([p for p in f["sex"]["pairwise"] if p["comparison"] == "vs_rest"]) == 3


def test_methods_text_names_tests_and_references() -> None:
    text = methods_text_multi(_run("colon_rx"), "age ≥ 50")
    for s in ("Fisher's exact test", "Freeman & Halton 1951", "Kruskal-Wallis", "Benjamini-Hochberg",
              "Overall", "Unknown", "chi-square", "age ≥ 50", "quantile definition 7"):
        assert s in text


def test_bad_inputs_are_refused() -> None:
    d = _sample()
    dictionary = DataDictionary((FeatureInfo("gottron", "Gottron", "other", "binary"),
                                 FeatureInfo("diagnosis_date", "dx", "other", "date")))
    with pytest.raises(CompareError, match="two distinct groups"):
        compare_multi(d, d["subtype"], ["Mi2"], ["gottron"], dictionary)
    with pytest.raises(CompareError, match="not in the cohort"):
        compare_multi(d, d["subtype"], ["Mi2", "SAE"], ["nope"], dictionary)
    with pytest.raises(CompareError, match="type 'date'"):
        compare_multi(d, d["subtype"], ["Mi2", "SAE"], ["diagnosis_date"], dictionary)
    bad = d.assign(gottron=d["gottron"].replace(1.0, 2.0))
    with pytest.raises(CompareError, match="only 1, 0 or missing"):
        compare_multi(bad, d["subtype"], ["Mi2", "SAE"], ["gottron"], dictionary)


def test_zz_report_max_relative_difference() -> None:
    """Prints the largest relative difference vs R per quantity (run with -s)."""
    for k, v in sorted(MAX_REL.items()):
        print(f"max rel diff vs R, {k}: {v:.2e}")


def test_two_group_table_gets_an_overall_column() -> None:
    """The two-group table keeps its columns and numbers, with Overall before P."""
    from core.compare import display_table

    d = _sample()
    labels = pd.Series(np.where(d["anti_mi2"] == 1, "Mi2+", "Mi2-"), index=d.index)
    feats = ["gottron", "ck_max_ul"]
    dictionary = DataDictionary((FeatureInfo("gottron", "Gottron", "other", "binary"),
                                 FeatureInfo("ck_max_ul", "CK", "other", "continuous", "IU/L")))
    two = compare_groups(d, labels, "Mi2+", "Mi2-", feats, dictionary)
    multi = compare_multi(d, labels, ["Mi2+", "Mi2-"], feats, dictionary)
    plain = display_table(two)
    table = display_table(two, overall=multi)
    assert list(table.columns) == ["Feature", "Mi2+", "Mi2-", OVERALL, "P", "OR (95% CI)"]
    pd.testing.assert_frame_equal(table.drop(columns=OVERALL), plain)
    assert table[OVERALL].tolist()[:2] == ["119", "59/108 (54.6%)"]
    ck = d["ck_max_ul"].dropna()
    assert table[OVERALL].iloc[2].endswith(f"; n = {ck.size}")
    assert table[OVERALL].iloc[2].startswith(f"{np.quantile(ck, 0.5):.0f} (")


def test_display_feature_column_names_each_rows_feature() -> None:
    res = _run("pbc_edema")
    t = display_multi_table(res, feature_column=True)
    assert t.columns[-1] == "feature" and t["feature"].iloc[0] == ""
    assert set(t.loc[t["Characteristic"].str.startswith("sex"), "feature"]) == {"sex"}
    levels = t[t["feature"] == "stage"]
    assert len(levels) == 1 + 4 + 1  # header, stages 1-4, Unknown (6 missing)
