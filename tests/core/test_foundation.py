"""Filters (and their URL / JSON round trips), groupings, the sample cohort, the summary, the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from core.cli import main as cli
from core.filters import FilterError, FilterSpec, apply_filters
from core.formatting import format_p
from core.groups import GroupingError, GroupSpec, assign_groups
from core.io import SAMPLE_DIR, load_sample_cohort, read_cohort, sample_dictionary
from core.summary import cohort_summary

TABLE1 = pd.read_csv(SAMPLE_DIR / "monseau2020_table1.csv", dtype={"published_p": str})


@pytest.fixture(scope="module")
def sample():
    return load_sample_cohort()


# ------------------------------------------------------------------ filters
SPECS = [
    FilterSpec(),
    FilterSpec(antibody_subtype=("Mi2",)),
    FilterSpec(antibody_subtype=("Mi2", "MDA5"), age_min=50.0, age_max=None, sex=("F",)),
    FilterSpec(age_max=40.0, features=(("cancer", (1.0,)), ("gottron", (0.0,)))),
    FilterSpec(antibody_subtype=(), sex=()),
]


@pytest.mark.parametrize("spec", SPECS)
def test_filter_round_trips(spec):
    assert FilterSpec.from_json(spec.to_json()) == spec
    assert FilterSpec.from_query_params(spec.to_query_params()) == spec
    # query params as Streamlit gives them (strings, lists for repeated keys)
    q = {k: [v] for k, v in spec.to_query_params().items()}
    assert FilterSpec.from_query_params(q) == spec


def test_filter_json_format_of_the_issue():
    spec = FilterSpec.from_json('{"antibody_subtype": ["Mi2"], "age_min": 50, "age_max": null, "sex": ["F"]}')
    assert spec == FilterSpec(("Mi2",), 50.0, None, ("F",))
    assert FilterSpec.from_json("") == FilterSpec() and FilterSpec.from_json("{}").is_empty
    assert spec.to_query_params() == {"subtype": "Mi2", "age_min": "50", "sex": "F"}


@pytest.mark.parametrize("bad", ['{"age_min": "old"}', '{"colour": 1}', '[1,2]', '{"age_min": 60, "age_max": 50}', "{not json", '{"sex": [1]}'])
def test_bad_filters_say_what_to_fix(bad):
    with pytest.raises(FilterError):
        FilterSpec.from_json(bad)


def test_apply_filters(sample):
    df = sample.data
    res = apply_filters(df, FilterSpec(antibody_subtype=("Mi2",)), sample.dictionary)
    assert res.n_after == 64 and res.n_before == 119
    res = apply_filters(df, FilterSpec(antibody_subtype=("Mi2",), age_min=50), sample.dictionary)
    assert res.n_after == int(((df.antibody_subtype == "Mi2") & (df.age_at_diagnosis >= 50)).sum())
    res = apply_filters(df, FilterSpec(features=(("cancer", (1.0,)),)), sample.dictionary)
    assert res.n_after == int((df.cancer == 1).sum())
    assert "Cancer: yes" in res.description()
    with pytest.raises(FilterError):
        apply_filters(df, FilterSpec(features=(("nope", (1.0,)),)))


def test_age_filter_counts_missing_ages():
    df = pd.DataFrame({"patient_id": ["a", "b", "c"], "age_at_diagnosis": [40.0, np.nan, 70.0]})
    res = apply_filters(df, FilterSpec(age_min=50))
    assert res.n_after == 1 and "1 without age left out" in res.description()


# ------------------------------------------------------------------ groups
def test_groupings(sample):
    df, d = sample.data, sample.dictionary
    g = assign_groups(df, GroupSpec("binary", "anti_mi2"), d)
    assert g.order == ["anti-Mi2+", "anti-Mi2\u2212"] and g.sizes() == {"anti-Mi2+": 64, "anti-Mi2\u2212": 55}
    g = assign_groups(df, GroupSpec("subtype", "antibody_subtype", ("MDA5",)), d)
    assert g.sizes()["anti-MDA5"] == 9 and g.n_excluded == 0
    g = assign_groups(df, GroupSpec("age", cutoff=50), d)
    assert sum(g.sizes().values()) == 119
    g = assign_groups(df, GroupSpec("levels", "antibody_subtype"), d)
    assert g.order[0] == "anti-Mi2" and len(g.order) == 6
    g = assign_groups(df, GroupSpec("category", "center", ("Lille",)), d)
    assert g.sizes()["Lille"] == int((df.center == "Lille").sum())
    with pytest.raises(GroupingError):
        assign_groups(df, GroupSpec("binary", "nope"), d)
    with pytest.raises(GroupingError):
        assign_groups(df, GroupSpec("category", "center", ("Lille",), ("Lille",)), d)


def test_missing_grouping_value_is_excluded():
    df = pd.DataFrame({"patient_id": list("abc"), "cancer": [1.0, np.nan, 0.0]})
    g = assign_groups(df, GroupSpec("binary", "cancer"))
    assert g.n_excluded == 1 and pd.isna(g.labels.iloc[1])


# ------------------------------------------------------------------ sample cohort
def test_sample_cohort_shape(sample):
    df = sample.data
    assert len(df) == 119 and not sample.problems
    assert (df.anti_mi2 == 1).sum() == 64 and (df.anti_mi2 == 0).sum() == 55
    ctrl = df[df.anti_mi2 == 0]
    for col, n, N in (("anti_mda5", 9, 37), ("anti_nxp2", 3, 31), ("anti_sae", 3, 31), ("anti_tif1g", 5, 32)):
        assert ((ctrl[col] == 1).sum(), ctrl[col].notna().sum()) == (n, N)
    assert (ctrl.antibody_subtype == "seronegative").sum() == 35
    mi2 = df[df.anti_mi2 == 1]
    assert np.quantile(mi2.age_at_diagnosis, [0.25, 0.5, 0.75]).tolist() == pytest.approx([38.1, 55.5, 65.8])
    assert (mi2.sex == "F").sum() == 39
    assert df.diagnosis_date.min() >= pd.Timestamp("2013-07-01") and df.diagnosis_date.max() <= pd.Timestamp("2017-01-31")
    cancers = mi2[mi2.cancer == 1]
    assert len(cancers) == 14 and (cancers.age_at_diagnosis > 50).sum() == 13
    days = (cancers.cancer_date - cancers.diagnosis_date).dt.days
    assert days.median() == 61.5 and (days < 0).any() and days.abs().max() <= 3 * 365.25


@pytest.mark.parametrize("row", TABLE1.to_dict("records"), ids=lambda r: r["feature"])
def test_sample_reproduces_table1_counts(sample, row):
    df = sample.data
    for grp, suffix in ((df[df.anti_mi2 == 1], "mi2_pos"), (df[df.anti_mi2 == 0], "mi2_neg")):
        N = row[f"N_{suffix}"]
        col = grp[row["feature"]]
        if pd.isna(N):
            assert col.notna().sum() == 0
        else:
            assert ((col == 1).sum(), col.notna().sum()) == (int(row[f"n_{suffix}"]), int(N))


def test_french_export_reads_back_identically(sample):
    fr = read_cohort(SAMPLE_DIR / "cohort_fr_export.csv", dictionary=sample_dictionary())
    assert not fr.problems
    a = sample.data.reset_index(drop=True)
    b = fr.data[a.columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False, atol=0.051)  # ages printed to 1 decimal


def test_summary(sample):
    s = cohort_summary(sample.data[sample.data.anti_mi2 == 1], sample.dictionary)
    assert s.n_patients == 64 and s.sex == {"F": 39, "M": 25}
    assert s.age_text() == "55.5 (38.1–65.8)"
    assert s.subtypes == {"Mi2": 64}
    row = s.features.set_index("feature").loc["alopecia"]
    assert (row.n_known, row.n_missing, row.n_yes) == (42, 22, 1)


def test_format_p():
    assert [format_p(x) for x in (0.0004, 0.0076, 0.02, 0.3344, 0.995, 1.0, float("nan"))] == ["<.001", ".008", ".02", ".33", ">.99", ">.99", "—"]


# ------------------------------------------------------------------ CLI
def test_cli_summary_json(capsys):
    assert cli(["summary", str(SAMPLE_DIR / "cohort.csv"), "--json", "--filters", '{"antibody_subtype": ["Mi2"]}']) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_patients"] == 64 and out["problems"] == []
    assert out["summary"]["sex"] == {"F": 39, "M": 25}


def test_cli_summary_reports_problems(capsys, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("patient_id,age_at_diagnosis\nP1,130\nP1,40\n")
    assert cli(["summary", str(f), "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert {(p["row"], p["column"]) for p in out["problems"]} >= {(2, "age_at_diagnosis"), (2, "patient_id"), (3, "patient_id")}
    assert all(set(p) == {"row", "column", "value", "message", "severity", "field"} for p in out["problems"])


def test_cli_bad_filters_exit_2(capsys):
    assert cli(["compare", str(SAMPLE_DIR / "cohort.csv"), "--group-by", "anti_mi2", "--filters", "{bad"]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_cli_compare_json_keys(capsys):
    assert cli(["compare", str(SAMPLE_DIR / "cohort.csv"), "--group-by", "anti_mi2", "--features", "gottron,ck_max_ul", "--fdr", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["group_a"] == {"label": "anti-Mi2+", "n": 64} and out["group_b"]["n"] == 55
    g = {r["feature"]: r for r in out["rows"]}
    assert (g["gottron"]["n_a"], g["gottron"]["N_a"], g["gottron"]["n_b"], g["gottron"]["N_b"]) == (38, 53, 21, 55)
    assert g["ck_max_ul"]["median_a"] is not None and g["gottron"]["q_value"] is not None
    assert out["n_excluded"] == 0


def test_cli_survival_and_sir(capsys):
    f = str(SAMPLE_DIR / "cohort.csv")
    assert cli(["survival", f, "--group-by", "cancer", "--filters", '{"antibody_subtype": ["Mi2"]}', "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert round(out["logrank"]["p_value"], 3) == 0.008 and out["logrank"]["df"] == 1
    assert cli(["sir", f, "--filters", '{"antibody_subtype": ["Mi2"]}', "--ci", "wald", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["observed"] == 14
    assert (round(out["sir"], 1), round(out["ci_low"], 1), round(out["ci_high"], 1)) == (5.1, 3.0, 8.6)
    assert not any(isinstance(v, float) and math.isnan(v) for v in out.values())


def test_cli_ifn_score(capsys):
    assert cli(["ifn-score", str(SAMPLE_DIR / "qpcr_example.csv"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    s = {x["sample_id"]: x for x in out["samples"]}
    assert s["MDA5-M0"]["positive"] and not s["MDA5-M9"]["positive"]
    assert s["MDA5-M0"]["score"] == pytest.approx(19, rel=1e-3)


def test_patient_picker_options_are_bounded_and_searchable():
    import pandas as pd

    from core.summary import patient_options

    ids = [f"B{i:06d}" for i in range(100_000)]
    events = pd.Series({"B099999": 5})
    opts = patient_options(ids, events, keep=("B050000",))
    assert len(opts) == 500 and opts[:2] == ["B050000", "B099999"]
    assert patient_options(ids, query="b00012") == [f"B00012{i}" for i in range(10)]
    assert patient_options(ids[:119]) == ids[:119]


def test_cohort_summary_counts_as_pandas_does_whatever_the_dtype():
    """The summary's counts (in place on float columns) equal pandas' own, for every kind
    of column; sex counts keep other texts and missing values apart."""
    from core.schema import DataDictionary
    from core.summary import cohort_summary, count_known, count_yes

    df = pd.DataFrame({
        "patient_id": ["a", "b", "c", "d", "e"],
        "sex": ["F", None, "M", "X", "F"],
        "cancer": [1.0, 0.0, np.nan, 1.0, np.nan],
        "texty": ["1", None, "y", "n", "1"],
        "when": pd.to_datetime(["2020-01-01", None, "2021-01-01", None, None]),
        "ints": pd.array([1, None, 1, 2, 0], dtype="Int64"),
    })
    cols = list(df.columns)
    assert count_known(df, cols) == [int(df[c].notna().sum()) for c in cols]
    assert count_yes(df, ["cancer", "ints"]) == [2, 2]
    summ = cohort_summary(df, DataDictionary())
    assert summ.sex == {"F": 2, "M": 1, "X": 1, "missing": 1}
    assert dict(zip(summ.features["feature"], summ.features["n_known"], strict=True))["cancer"] == 3
