"""core.charts.cohort: the Cohort page's charts count what the cohort holds, every bar
carries the value it stands for, and the payload stays bounded at 100,000 patients."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from core.charts.cohort import (
    MAX_BINS,
    MAX_FEATURES,
    age_histogram,
    feature_frequencies,
    histogram_bins,
    numeric_columns,
    numeric_histogram,
    sex_bars,
    subtype_bars,
    yes_no_bars,
)
from core.i18n import using
from core.io import load_sample_cohort
from core.schema import DataDictionary, FeatureInfo


@pytest.fixture(scope="module")
def sample():
    return load_sample_cohort()


def trace(fig):
    return fig.to_plotly_json()["data"][0]


def test_subtype_bars_count_the_subtypes(sample):
    df = sample.data
    t = trace(subtype_bars(df))
    counts = df["antibody_subtype"].value_counts()
    assert t["customdata"][0][0] == "Mi2" and t["y"][0] == 64
    for (code,), n, label in zip(t["customdata"], t["y"], t["text"], strict=True):
        assert n == counts[code] and label == str(n)
    assert sum(t["y"]) == len(df)


def test_sex_and_cancer_bars_count_the_cohort(sample):
    df = sample.data
    t = trace(sex_bars(df))
    assert list(t["y"]) == [int((df["sex"] == "F").sum()), int((df["sex"] == "M").sum())] == [77, 42]
    assert [c[0] for c in t["customdata"]] == ["F", "M"]
    c = trace(yes_no_bars(df, "cancer", sample.dictionary))
    assert list(c["y"]) == [int((df["cancer"] == 1).sum()), int((df["cancer"] == 0).sum())]
    assert list(c["customdata"]) == [["cancer", 1.0], ["cancer", 0.0]]


def test_histograms_count_every_known_value_once(sample):
    df = sample.data
    t = trace(age_histogram(df))
    assert sum(t["y"]) == int(df["age_at_diagnosis"].notna().sum())
    lows = [b[0] for b in t["customdata"]]
    assert all(b[1] - b[0] == 5 for b in t["customdata"]) and all(float(x).is_integer() for x in lows)
    for (lo, hi), n in zip(t["customdata"], t["y"], strict=True):
        last = hi == t["customdata"][-1][1]
        a = df["age_at_diagnosis"]
        assert n == int(((a >= lo) & ((a <= hi) if last else (a < hi))).sum())
    ck = trace(numeric_histogram(df, "ck_max_ul", sample.dictionary))
    assert sum(ck["y"]) == int(df["ck_max_ul"].notna().sum()) and len(ck["y"]) <= MAX_BINS
    assert ck["customdata"][0][0] <= df["ck_max_ul"].min() and ck["customdata"][-1][1] >= df["ck_max_ul"].max()
    assert numeric_columns(df, sample.dictionary) == ["ck_max_ul"]


def test_feature_frequencies_are_percent_yes_with_n_over_N(sample):
    df, d = sample.data, sample.dictionary
    t = trace(feature_frequencies(df, d))
    assert t["orientation"] == "h" and t["customdata"]
    for (col, one), pct, text in zip(t["customdata"], t["x"], t["text"], strict=True):
        assert one == 1.0 and not col.startswith("anti_") and d.get(col).type == "binary"
        yes, known = int((df[col] == 1).sum()), int(df[col].notna().sum())
        assert text == f"{yes}/{known}" and pct == round(100 * yes / known, 1)
    assert list(t["x"]) == sorted(t["x"])  # the most frequent on top


def test_histogram_bins_are_round_and_bounded():
    edges = histogram_bins(pd.Series([12.0, 4000.0, 99000.0]))
    step = edges[1] - edges[0]
    assert len(edges) - 1 <= MAX_BINS and step in (2500.0, 5000.0) and edges[0] <= 12 and edges[-1] >= 99000
    assert list(histogram_bins(pd.Series([3.2, 3.2]))) == [3.0, 4.0]
    assert len(histogram_bins(pd.Series([np.nan]))) == 0
    assert len(histogram_bins(pd.Series([0.0, 1000.0]), step=1.0)) - 1 <= MAX_BINS  # a step too fine is widened


def test_payload_is_bounded_at_100k_patients():
    rng = np.random.default_rng(0)
    n = 100_000
    subtypes = np.array(["Mi2", "MDA5", "TIF1g", "NXP2", "SAE", "seronegative", "untested", "multiple"])
    df = pd.DataFrame({
        "patient_id": [f"P{i}" for i in range(n)],
        "sex": rng.choice(["F", "M"], n),
        "age_at_diagnosis": rng.uniform(1, 95, n),
        "antibody_subtype": rng.choice(subtypes, n),
        "cancer": rng.choice([0.0, 1.0, np.nan], n),
        "ck_max_ul": rng.lognormal(7, 1.5, n),
    })
    entries = [FeatureInfo(f"f{i}", f"Feature {i}", "other", "binary") for i in range(60)]
    for i in range(60):
        df[f"f{i}"] = rng.choice([0.0, 1.0], n)
    d = DataDictionary(entries=tuple(entries)).with_entries([FeatureInfo("ck_max_ul", "CK", "labs", "continuous")])
    figs = [subtype_bars(df), sex_bars(df), yes_no_bars(df, "cancer", d), age_histogram(df),
            numeric_histogram(df, "ck_max_ul", d), feature_frequencies(df, d)]
    for fig in figs:
        assert len(fig.to_json()) < 20_000, fig.layout.title.text
    assert sum(trace(figs[0])["y"]) == n and sum(trace(figs[3])["y"]) == n and sum(trace(figs[4])["y"]) == n
    assert len(trace(figs[5])["y"]) == MAX_FEATURES


def test_charts_speak_french(sample):
    with using("fr"):
        fig = subtype_bars(sample.data)
        assert fig.layout.yaxis.title.text == "Patients" and fig.layout.title.text == "Sous-types d'anticorps"
        assert list(trace(sex_bars(sample.data))["x"]) == ["Femme", "Homme"]
        assert "% de oui" in feature_frequencies(sample.data, sample.dictionary).layout.xaxis.title.text


def test_an_empty_cohort_draws_empty_charts(sample):
    empty = sample.data.iloc[0:0]
    for fig in (subtype_bars(empty), sex_bars(empty), age_histogram(empty), feature_frequencies(empty, sample.dictionary),
                numeric_histogram(empty, "ck_max_ul", sample.dictionary)):
        fig.to_json()


def test_figures_built_from_dicts_are_valid_plotly_and_carry_their_template(sample):
    """The charts are built without plotly's validation (``figure_from_spec``): plotly's
    validating constructor accepts every property unchanged, and the template travels as
    the dict plotly.js applies (plotly.js knows no template by name)."""
    import plotly.graph_objects as go

    df, d = sample.data, sample.dictionary
    for fig in (subtype_bars(df), sex_bars(df), yes_no_bars(df, "cancer", d), age_histogram(df),
                numeric_histogram(df, "ck_max_ul", d), feature_frequencies(df, d), feature_frequencies(df.iloc[0:0], d)):
        spec = fig.to_dict()
        validated = go.Figure(spec).to_dict()  # raises on any invalid property
        assert validated["data"] == spec["data"]
        template = spec["layout"]["template"]
        assert isinstance(template, dict) and template["layout"]["plot_bgcolor"] == "white" and "bar" in template["data"]
        assert {k: v for k, v in validated["layout"].items() if k != "template"} == \
            {k: v for k, v in spec["layout"].items() if k != "template"}


def test_group_bars_are_the_three_bar_charts_in_one_figure(sample):
    import plotly.graph_objects as go

    from core.charts.cohort import group_bars

    df = sample.data
    fig = group_bars(df, sample.dictionary)
    spec = fig.to_plotly_json()
    go.Figure(spec)  # plotly's validating constructor accepts it unchanged
    by_group = {t["legendgroup"]: t for t in spec["data"]}
    assert list(by_group) == ["subtype", "sex", "cancer"]
    for name, single in (("subtype", subtype_bars(df)), ("sex", sex_bars(df)),
                         ("cancer", yes_no_bars(df, "cancer", sample.dictionary))):
        alone = trace(single)
        assert by_group[name]["customdata"] == alone["customdata"] and list(by_group[name]["y"]) == list(alone["y"])
    axes = [(t["xaxis"], t["yaxis"]) for t in spec["data"]]
    assert axes == [("x", "y"), ("x2", "y2"), ("x3", "y3")]
    domains = [spec["layout"][k]["domain"] for k in ("xaxis", "xaxis2", "xaxis3")]
    assert all(a[1] < b[0] for a, b in itertools.pairwise(domains))  # side by side, not overlapping
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert titles == ["Antibody subtypes", "Sex", "Cancer"]


def test_group_bars_without_a_cancer_column(sample):
    from core.charts.cohort import group_bars

    spec = group_bars(sample.data.drop(columns=["cancer"]), sample.dictionary).to_plotly_json()
    assert [t["legendgroup"] for t in spec["data"]] == ["subtype", "sex"]
