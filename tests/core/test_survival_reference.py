"""core.survival against R's survival package (fixtures of tests/reference/survival).

The fixtures are written by ``tests/reference/survival/make_fixtures.R`` (survfit,
quantile.survfit, summary.survfit, survdiff, coxph with Efron ties); R is not needed here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.survival import (
    analyze_survival,
    cox_regression,
    kaplan_meier,
    km_quantile,
    logrank_test,
    pairwise_logrank,
)

REF = Path(__file__).resolve().parents[1] / "reference" / "survival"
REL = 1e-6
REL_COX = 1e-6  # Cox converged to the maximum (see core.survival.cox_regression)


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, dtype={"group": str, "group1": str, "group2": str})


def _datasets() -> dict[str, pd.DataFrame]:
    lung = pd.read_csv(REF / "lung.csv")
    lung["event"] = (lung["status"] == 2).astype(int)
    lung["agegrp"] = np.where(lung["age"] < 60, "lt60", np.where(lung["age"] < 70, "60to69", "ge70"))
    lung["sexlab"] = np.where(lung["sex"] == 1, "male", "female")
    lung["ph.ecog"] = lung["ph.ecog"].map(lambda v: None if pd.isna(v) else str(int(v)))
    return {"lung": lung, "heavy": pd.read_csv(REF / "heavy_ties.csv"), "edge": pd.read_csv(REF / "edge.csv")}


DATA = _datasets()
GROUP_COLUMN = {"all": None, "sex": "sexlab", "ph.ecog": "ph.ecog", "agegrp": "agegrp", "group": "group"}


def _subset(dataset: str, grouping: str, group: str) -> pd.DataFrame:
    df = DATA[dataset]
    col = GROUP_COLUMN[grouping]
    if col is None:
        return df
    return df[df[col] == group]


def _labels(dataset: str, grouping: str) -> tuple[pd.DataFrame, pd.Series]:
    df = DATA[dataset]
    col = GROUP_COLUMN[grouping]
    df = df[df[col].notna()]
    return df, df[col].astype(str)


def assert_close(actual: object, expected: object, rel: float = REL, what: str = "") -> None:
    a = np.asarray(actual, dtype=float)
    e = np.asarray(expected, dtype=float)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != {e.shape}"
    assert np.array_equal(np.isnan(a), np.isnan(e)), f"{what}: NA pattern differs\n{a}\n{e}"
    assert np.array_equal(np.isinf(a), np.isinf(e)), f"{what}: Inf pattern differs"
    fin = np.isfinite(e)
    np.testing.assert_allclose(a[fin], e[fin], rtol=rel, atol=0, err_msg=what)


KM = _read("km_curves.csv")
KM_CASES = sorted(KM.groupby(["dataset", "grouping", "group", "conf_type"]).groups)


@pytest.mark.parametrize("case", KM_CASES, ids=lambda c: "-".join(c))
def test_km_curve_matches_survfit(case: tuple[str, str, str, str]) -> None:
    dataset, grouping, group, conf_type = case
    ref = KM[(KM.dataset == dataset) & (KM.grouping == grouping) & (KM.group == group) & (KM.conf_type == conf_type)]
    d = _subset(dataset, grouping, group)
    curve = kaplan_meier(d["time"], d["event"], conf_type=conf_type)  # type: ignore[arg-type]
    f = curve.frame()
    for r_col, col in [
        ("time", "time"),
        ("n_risk", "n_risk"),
        ("n_event", "n_event"),
        ("n_censor", "n_censor"),
        ("surv", "survival"),
        ("std_err", "std_err"),
        ("lower", "ci_low"),
        ("upper", "ci_high"),
    ]:
        assert_close(f[col], ref[r_col], what=f"{case} {col}")


MED = _read("medians.csv")


@pytest.mark.parametrize("case", KM_CASES, ids=lambda c: "-".join(c))
def test_median_and_ci_match_quantile_survfit(case: tuple[str, str, str, str]) -> None:
    dataset, grouping, group, conf_type = case
    ref = MED[(MED.dataset == dataset) & (MED.grouping == grouping) & (MED.group == group) & (MED.conf_type == conf_type)]
    assert len(ref) == 1
    d = _subset(dataset, grouping, group)
    curve = kaplan_meier(d["time"], d["event"], conf_type=conf_type)  # type: ignore[arg-type]
    assert curve.n == ref["n"].iloc[0] and curve.events == ref["events"].iloc[0]
    got = km_quantile(curve, 0.5)
    exp = ref[["median", "median_lower", "median_upper"]].iloc[0].to_numpy(float)
    assert_close(got, exp, what=f"{case} median")


def test_median_edge_rules() -> None:
    """The midpoint rules on hand-made curves, as R computes them."""
    med = MED[(MED.dataset == "edge") & (MED.conf_type == "log")].set_index("group")
    assert med.loc["flat_half", "median"] == 4  # S = 0.5 on [3, 5): (3 + 5) / 2
    assert med.loc["half_to_end", "median"] == 3  # S = 0.5 to the end: (2 + last time 4) / 2
    assert med.loc["all_die", "median"] == 1.5
    assert np.isnan(med.loc["no_event", "median"])
    d = DATA["edge"]
    for g, expected in [("flat_half", 4.0), ("half_to_end", 3.0), ("all_die", 1.5)]:
        s = d[d.group == g]
        assert km_quantile(kaplan_meier(s["time"], s["event"]))[0] == expected


SUMM = _read("summary_times.csv")


@pytest.mark.parametrize("case", KM_CASES, ids=lambda c: "-".join(c))
def test_summary_at_times(case: tuple[str, str, str, str]) -> None:
    dataset, grouping, group, conf_type = case
    ref = SUMM[
        (SUMM.dataset == dataset) & (SUMM.grouping == grouping) & (SUMM.group == group) & (SUMM.conf_type == conf_type)
    ]
    d = _subset(dataset, grouping, group)
    at = kaplan_meier(d["time"], d["event"], conf_type=conf_type).at(ref["time"].to_numpy())  # type: ignore[arg-type]
    np.testing.assert_array_equal(at["n_risk"], ref["n_risk"])
    np.testing.assert_array_equal(at["cum_events"], ref["cum_events"])
    for r_col, col in [("surv", "survival"), ("lower", "ci_low"), ("upper", "ci_high")]:
        assert_close(at[col], ref[r_col], what=f"{case} {col}")


SD = _read("survdiff.csv")


@pytest.mark.parametrize("case", sorted(SD.groupby(["dataset", "grouping"]).groups), ids=lambda c: "-".join(c))
def test_logrank_matches_survdiff(case: tuple[str, str]) -> None:
    dataset, grouping = case
    ref = SD[(SD.dataset == dataset) & (SD.grouping == grouping)]
    df, lab = _labels(dataset, grouping)
    order = list(ref["group"])
    r = logrank_test(df["time"], df["event"], lab, order)
    assert r.df == ref["df"].iloc[0] == len(order) - 1
    assert_close(r.chi2, ref["chi2"].iloc[0], what="chi2")
    assert_close(r.p_value, ref["p_value"].iloc[0], what="P")
    assert_close(r.observed, ref["observed"], what="observed")
    assert_close(r.expected, ref["expected"], what="expected")


PW = _read("pairwise.csv")


@pytest.mark.parametrize("case", sorted(PW.groupby(["dataset", "grouping"]).groups), ids=lambda c: "-".join(c))
def test_pairwise_logrank_bh(case: tuple[str, str]) -> None:
    dataset, grouping = case
    ref = PW[(PW.dataset == dataset) & (PW.grouping == grouping)].reset_index(drop=True)
    df, lab = _labels(dataset, grouping)
    order = sorted(set(ref.group1) | set(ref.group2))
    got = pairwise_logrank(df["time"], df["event"], lab, order)
    assert list(zip(got.group1, got.group2)) == list(zip(ref.group1, ref.group2))
    for col in ("chi2", "p_value", "p_adjusted"):
        assert_close(got[col], ref[col], what=col)


COX = pd.read_csv(REF / "coxph.csv")


def _cox_ref(dataset: str, model: str) -> pd.DataFrame:
    return COX[(COX.dataset == dataset) & (COX.model == model)].reset_index(drop=True)


@pytest.mark.parametrize(
    "dataset,model,col,order,covs",
    [
        ("lung", "sex", "sexlab", ["male", "female"], []),
        ("lung", "sex+age", "sexlab", ["male", "female"], ["age"]),
        ("lung", "agegrp", "agegrp", ["lt60", "60to69", "ge70"], []),
        ("heavy", "group", "group", ["A", "B", "C"], []),
        ("heavy", "group+age", "group", ["A", "B", "C"], ["age"]),
    ],
)
def test_cox_matches_coxph_efron(dataset: str, model: str, col: str, order: list[str], covs: list[str]) -> None:
    ref = _cox_ref(dataset, model)
    df = DATA[dataset]
    res = cox_regression(df["time"], df["event"], df[col], order, covariates=df[covs] if covs else None)
    assert res.n == ref["n"].iloc[0] and res.n_events == ref["nevent"].iloc[0]
    assert len(res.terms) == len(ref)
    for c in ("coef", "se", "hr", "ci_low", "ci_high", "p_value"):
        assert_close(res.terms[c], ref[c], rel=REL_COX, what=f"{model} {c}")
    assert res.reference == order[0]


def test_cox_two_groups_in_analyze_and_payload() -> None:
    df = DATA["heavy"]
    df = df[df.group.isin(["A", "B"])]
    ref = _cox_ref("heavy", "AvsB").iloc[0]
    res = analyze_survival(df["time"], df["event"], df["group"], ["A", "B"], landmarks=(6,))
    cox = res.payload()["cox"]
    for k in ("hr", "ci_low", "ci_high", "p_value"):
        assert cox[k] == pytest.approx(ref[k], rel=REL_COX)
    assert cox["reference"] == "A"


def test_analyze_survival_groups_match_r() -> None:
    """The full pipeline on lung by sex: medians, log-rank, landmarks."""
    df = DATA["lung"]
    res = analyze_survival(df["time"], df["event"], df["sexlab"], ["male", "female"], landmarks=(100, 365, 1100))
    med = MED[(MED.dataset == "lung") & (MED.grouping == "sex") & (MED.conf_type == "log")].set_index("group")
    for g in res.groups:
        assert_close(
            [g.median, g.median_ci_low, g.median_ci_high],
            med.loc[g.group, ["median", "median_lower", "median_upper"]].to_numpy(float),
        )
    sd = SD[(SD.dataset == "lung") & (SD.grouping == "sex")]
    assert res.logrank is not None
    assert_close(res.logrank.chi2, sd["chi2"].iloc[0])
    summ = SUMM[(SUMM.dataset == "lung") & (SUMM.grouping == "sex") & (SUMM.conf_type == "log")]
    male = summ[(summ.group == "male") & summ.time.isin([100, 365])]
    assert_close(res.groups[0].landmarks["survival"].iloc[:2], male["surv"])
    # 1100 days is beyond the last male follow-up (1022): not estimable
    assert np.isnan(res.groups[0].landmarks["survival"].iloc[2])
    risk = res.at_risk_table([0, 100, 200, 365])
    r_male = summ[(summ.group == "male") & summ.time.isin([0, 100, 200, 365])]
    np.testing.assert_array_equal(risk[risk.group == "male"]["n_risk"], r_male["n_risk"])
    np.testing.assert_array_equal(risk[risk.group == "male"]["cum_events"], r_male["cum_events"])
