"""core.filters: range filters on any numeric column, and filter_from_selection (issue 12,
click to filter): every chart of the Cohort page turns its selection into a FilterSpec."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.charts.cohort import (
    age_histogram,
    feature_frequencies,
    numeric_histogram,
    sex_bars,
    subtype_bars,
    yes_no_bars,
)
from core.filters import (
    FilterError,
    FilterSpec,
    apply_filters,
    filter_from_selection,
    range_chart,
)
from core.i18n import using
from core.io import load_sample_cohort

CK = FilterSpec(ranges=(("ck_max_ul", 1000.0, 5000.0),))


@pytest.fixture(scope="module")
def sample():
    return load_sample_cohort()


def pts(*customdata):
    """Streamlit's selection state of clicked points carrying ``customdata``."""
    return {"points": [{"customdata": c, "point_index": i} for i, c in enumerate(customdata)],
            "point_indices": list(range(len(customdata))), "box": [], "lasso": []}


def customdata(fig, i):
    return fig.to_plotly_json()["data"][0]["customdata"][i]


# ------------------------------------------------------------------ ranges: JSON, address
@pytest.mark.parametrize("spec", [
    CK,
    FilterSpec(antibody_subtype=("Mi2",), ranges=(("ck_max_ul", 1000.0, 5000.0), ("crp", -0.5, 12.25))),
    FilterSpec(ranges=(("x", 1e-06, 2e9),)),
])
def test_ranges_round_trip_through_json_and_the_address(spec):
    assert FilterSpec.from_json(spec.to_json()) == spec
    assert FilterSpec.from_dict(spec.to_dict()) == spec
    assert FilterSpec.from_query_params(spec.to_query_params()) == spec
    assert not spec.is_empty


def test_range_is_short_and_readable_in_the_address():
    assert CK.to_query_params() == {"range": "ck_max_ul:1000-5000"}
    assert CK.to_dict() == {"ranges": {"ck_max_ul": [1000.0, 5000.0]}}
    two = FilterSpec.from_query_params({"range": "ck_max_ul:1000-5000;crp:-1-3.5", "subtype": "Mi2"})
    assert two.ranges == (("ck_max_ul", 1000.0, 5000.0), ("crp", -1.0, 3.5)) and two.antibody_subtype == ("Mi2",)


@pytest.mark.parametrize("params", [{"range": "ck_max_ul:abc"}, {"range": "ck_max_ul:5000-1000"}, {"range": "nocolon"}])
def test_bad_range_in_the_address_is_explained(params):
    with pytest.raises(FilterError):
        FilterSpec.from_query_params(params)


@pytest.mark.parametrize("obj", [{"ranges": [1, 2]}, {"ranges": {"ck": [1]}}, {"ranges": {"ck": ["a", 2]}},
                                 {"ranges": {"ck": [float("nan"), 2]}}, {"ranges": {"ck": [3, 2]}}])
def test_bad_ranges_json_is_refused(obj):
    with pytest.raises(FilterError):
        FilterSpec.from_dict(obj)


def test_an_address_without_range_is_unchanged():
    spec = FilterSpec(("Mi2",), 50.0, None, ("F",), (("cancer", (1.0,)),))
    assert "range" not in spec.to_query_params() and "ranges" not in spec.to_dict()
    assert FilterSpec.from_query_params(spec.to_query_params()) == spec


# ------------------------------------------------------------------ ranges: applied
def test_apply_filters_with_a_range_keeps_the_bounds_and_counts_the_missing(sample):
    df = sample.data
    res = apply_filters(df, CK, sample.dictionary)
    ck = df["ck_max_ul"]
    assert res.n_after == int(ck.between(1000, 5000).sum()) > 0
    assert res.data["ck_max_ul"].between(1000, 5000).all()
    n_missing = int(ck.isna().sum())
    assert res.steps[0][1] == len(df) - res.n_after
    text = res.description()
    assert "1000–5000" in text and (f"({n_missing} without a value left out)" in text if n_missing else True)
    with using("fr"):
        assert "sans valeur exclus" in apply_filters(df, CK, sample.dictionary).description() or not n_missing


def test_range_with_other_filters_and_bad_columns(sample):
    df = sample.data
    both = apply_filters(df, FilterSpec(antibody_subtype=("Mi2",), ranges=CK.ranges), sample.dictionary)
    assert both.n_after == int(((df["antibody_subtype"] == "Mi2") & df["ck_max_ul"].between(1000, 5000)).sum())
    with pytest.raises(FilterError):
        apply_filters(df, FilterSpec(ranges=(("nope", 0.0, 1.0),)))
    with pytest.raises(FilterError):
        apply_filters(df, FilterSpec(ranges=(("cancer_site", 0.0, 1.0),)))


# ------------------------------------------------------------------ filter_from_selection
def test_subtype_bar_click_filters_the_subtype(sample):
    fig = subtype_bars(sample.data)
    mi2 = customdata(fig, 0)
    assert mi2 == ["Mi2"]
    start = FilterSpec(sex=("F",))
    spec = filter_from_selection(start, "subtype", pts(mi2))
    assert spec == FilterSpec(antibody_subtype=("Mi2",), sex=("F",))  # the other filters stay
    assert filter_from_selection(start, "subtype", pts(["Mi2"], ["MDA5"])).antibody_subtype == ("Mi2", "MDA5")
    assert filter_from_selection(start, "subtype", pts("Mi2")).antibody_subtype == ("Mi2",)  # scalar customdata too
    assert apply_filters(sample.data, spec, sample.dictionary).n_after == int(
        ((sample.data["antibody_subtype"] == "Mi2") & (sample.data["sex"] == "F")).sum())


def test_sex_bar_click_filters_the_sex(sample):
    fig = sex_bars(sample.data)
    assert filter_from_selection(FilterSpec(), "sex", pts(customdata(fig, 1))) == FilterSpec(sex=("M",))


def test_cancer_and_feature_bars_filter_yes_or_no(sample):
    cancer = yes_no_bars(sample.data, "cancer", sample.dictionary)
    start = FilterSpec(features=(("gottron", (1.0,)),))
    yes = filter_from_selection(start, "cancer", pts(customdata(cancer, 0)))
    assert yes.features == (("cancer", (1.0,)), ("gottron", (1.0,)))
    no = filter_from_selection(yes, "cancer", pts(customdata(cancer, 1)))
    assert no.features == (("cancer", (0.0,)), ("gottron", (1.0,)))  # replaced, not added
    both = filter_from_selection(yes, "cancer", pts(customdata(cancer, 0), customdata(cancer, 1)))
    assert both.features == (("gottron", (1.0,)),)  # yes and no = no restriction
    feats = feature_frequencies(sample.data, sample.dictionary)
    col = customdata(feats, -1)  # the most frequent (drawn on top)
    spec = filter_from_selection(FilterSpec(), "features", pts(col))
    assert spec.features == ((col[0], (1.0,)),)
    assert apply_filters(sample.data, spec, sample.dictionary).n_after == int((sample.data[col[0]] == 1.0).sum())


def test_age_click_and_brush_filter_whole_years(sample):
    fig = age_histogram(sample.data)
    b = customdata(fig, 3)
    clicked = filter_from_selection(FilterSpec(), "age", pts(b))
    assert (clicked.age_min, clicked.age_max) == (b[0], b[1])
    brushed = filter_from_selection(FilterSpec(), "age", {"points": [], "box": [{"x": [57.9, 42.3], "y": [0, 9]}]})
    assert (brushed.age_min, brushed.age_max) == (42.0, 58.0)
    bins = filter_from_selection(FilterSpec(), "age", pts(customdata(fig, 2), customdata(fig, 4)))  # brushed bins
    assert (bins.age_min, bins.age_max) == (customdata(fig, 2)[0], customdata(fig, 4)[1])
    open_ended = filter_from_selection(FilterSpec(), "age", {"box": [{"x": [-3, 140]}]})
    assert open_ended.age_min is None and open_ended.age_max is None  # the sidebar's 0–100 = no bound


def test_brush_on_a_numeric_histogram_adds_a_range(sample):
    fig = numeric_histogram(sample.data, "ck_max_ul", sample.dictionary)
    b1, b2 = customdata(fig, 0), customdata(fig, 1)
    spec = filter_from_selection(FilterSpec(), range_chart("ck_max_ul"), pts(b1, b2))
    assert spec.ranges == (("ck_max_ul", b1[0], b2[1]),)
    again = filter_from_selection(spec, range_chart("ck_max_ul"), {"box": [{"x": [1000, 5000]}]})
    assert again.ranges == CK.ranges  # one range per column, replaced
    assert FilterSpec.from_query_params(again.to_query_params()) == again


def test_empty_or_unknown_selection(sample):
    start = FilterSpec(antibody_subtype=("Mi2",))
    for chart in ("subtype", "sex", "cancer", "features", "age", "range:ck_max_ul"):
        assert filter_from_selection(start, chart, None) == start
        assert filter_from_selection(start, chart, {"points": [], "box": [], "lasso": []}) == start
    with pytest.raises(FilterError):
        filter_from_selection(start, "pie", pts(["x"]))


def test_range_filter_on_a_large_cohort_is_vectorised():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"patient_id": [f"P{i}" for i in range(100_000)], "ck": rng.lognormal(7, 1, 100_000)})
    df.loc[::10, "ck"] = np.nan
    res = apply_filters(df, FilterSpec(ranges=(("ck", 500.0, 2000.0),)))
    assert res.n_after == int(df["ck"].between(500, 2000).sum())
    assert "10000 without a value left out" in res.description()


def test_a_click_on_the_grouped_bars_goes_to_the_chart_of_its_trace(sample):
    """Chart "groups" (subtypes, sex and cancer in one figure): Streamlit reports each
    clicked point with its trace's legendgroup, which names the chart."""
    from core.charts.cohort import group_bars

    spec = group_bars(sample.data, sample.dictionary).to_plotly_json()
    by_group = {t["legendgroup"]: t for t in spec["data"]}

    def point(group: str, i: int) -> dict:
        return {"customdata": by_group[group]["customdata"][i], "legendgroup": group, "curve_number": 0}

    start = FilterSpec(age_min=40.0)
    assert filter_from_selection(start, "groups", {"points": [point("subtype", 0)]}) == FilterSpec(
        age_min=40.0, antibody_subtype=("Mi2",))
    assert filter_from_selection(start, "groups", {"points": [point("sex", 0)]}) == FilterSpec(age_min=40.0, sex=("F",))
    cancer = filter_from_selection(start, "groups", {"points": [point("cancer", 0)]})
    assert cancer.features == (("cancer", (1.0,)),)
    both = filter_from_selection(start, "groups", {"points": [point("subtype", 1), point("sex", 1)]})
    assert both.antibody_subtype == ("MDA5",) and both.sex == ("M",)
    assert filter_from_selection(start, "groups", {"points": [{"customdata": ["Mi2"]}]}) == start  # no chart named
    assert filter_from_selection(start, "groups", None) == start
