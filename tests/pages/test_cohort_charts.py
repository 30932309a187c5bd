"""AppTest of click to filter (issue 12): a click or a brush on a Cohort page chart becomes the
sidebar's filter and the address's, once (the selection is cleared, nothing loops).

AppTest cannot click inside a plotly chart; a selection is sent the way the browser sends it:
the chart's widget state (Streamlit's JSON of ``{"selection": {...}}``) in the next run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def new_app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


def qp(at: AppTest, key: str) -> str | None:
    v = at.query_params.get(key)
    return v[-1] if isinstance(v, list) else v


def metric(at: AppTest, label: str) -> str:
    for m in at.metric:
        if re.sub(r"\\(.)", r"\1", m.label) == label:
            return m.value
    raise AssertionError(f"no metric {label!r}")


def page_text(at: AppTest) -> str:
    """Every text of the page (markdown, captions, alerts, metrics)."""
    out = [str(e.value) for kind in ("markdown", "caption", "info", "warning", "success") for e in at.get(kind)]
    out += [f"{m.label} {m.value}" for m in at.metric]
    return re.sub(r"\\(.)", r"\1", " ".join(out))


#: The bar charts drawn together in the "groups" figure (each trace's legendgroup names it).
GROUPED = ("subtype", "sex", "cancer")


def chart(at: AppTest, name: str):
    """The chart whose key is ``cohort_chart_<name>_<generation>`` (the "groups" figure
    for subtype, sex and cancer)."""
    name = "groups" if name in GROUPED else name
    found = [c for c in at.get("plotly_chart") if re.search(rf"-cohort_chart_{name}_\d+$", c.proto.id)]
    assert len(found) == 1, [c.proto.id for c in at.get("plotly_chart")]
    return found[0]


def trace(el, group: str | None = None) -> dict:
    """The chart's first trace, or the trace of ``group`` in the "groups" figure."""
    data = json.loads(el.proto.spec)["data"]
    return next(t for t in data if t.get("legendgroup") == group) if group else data[0]


def bars(at: AppTest, name: str) -> dict:
    return trace(chart(at, name), name if name in GROUPED else None)


def select(at: AppTest, name: str, points=(), box=None) -> AppTest:
    """Run the app as after a click on ``points`` (their customdata) or a brush over ``box``
    (a click on the "groups" figure reports the trace's legendgroup, as the browser does)."""
    el = chart(at, name)
    group = {"legendgroup": name} if name in GROUPED else {}
    selection = {"points": [{"customdata": c, "point_index": i, **group} for i, c in enumerate(points)],
                 "point_indices": list(range(len(points))), "box": [{"x": list(box), "y": [0, 1]}] if box else [],
                 "lasso": []}
    ws = at._tree.get_widget_states()
    ws.widgets.append(WidgetState(id=el.proto.id, string_value=json.dumps({"selection": selection})))
    at._run(ws)
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_charts_count_the_filtered_cohort():
    at = new_app().run()
    assert not at.exception
    sub = bars(at, "subtype")
    assert sub["customdata"][0] == ["Mi2"] and sub["y"][0] == 64 and sum(sub["y"]) == 119
    assert sum(bars(at, "sex")["y"]) == 119
    for name in ("cancer", "age", "range"):
        chart(at, name)
    at.multiselect(key="flt_subtype").select("Mi2").run()
    assert sum(bars(at, "subtype")["y"]) == 64  # the charts follow the filter
    at.session_state["cohort_tab"] = "Feature frequencies"
    at.run()
    assert trace(chart(at, "features"))["customdata"]


def test_only_the_tab_shown_is_built():
    """A filter change draws the open tab only: the charts grid, or the feature chart, or
    the tables, or the preview (the tabs rerun the page when switched)."""
    at = new_app().run()
    assert len(at.get("plotly_chart")) == 3 and len(at.dataframe) == 0  # the bars (one figure), two histograms
    at.session_state["cohort_tab"] = "Tables"
    at.run()
    assert len(at.get("plotly_chart")) == 0 and len(at.dataframe) == 2
    assert at.dataframe[0].value.shape[0] == 6  # the sample's subtypes
    at.session_state["cohort_tab"] = "Preview"
    at.run()
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 119
    at.session_state["cohort_tab"] = "Feature frequencies"
    at.run()
    assert [c.proto.id.rsplit("-", 1)[1] for c in at.get("plotly_chart")] == ["cohort_chart_features_0"]


def test_clicking_the_mi2_bar_filters_everywhere_once():
    at = new_app().run()
    select(at, "subtype", points=[["Mi2"]])
    assert at.multiselect(key="flt_subtype").value == ["Mi2"]  # in the sidebar
    assert qp(at, "subtype") == "Mi2"  # in the address
    assert metric(at, "Patients") == "64"
    assert chart(at, "subtype").proto.id.endswith("_1")  # a new chart: the selection is cleared
    at.run()  # no loop: a rerun changes nothing
    assert at.multiselect(key="flt_subtype").value == ["Mi2"] and metric(at, "Patients") == "64"
    assert chart(at, "subtype").proto.id.endswith("_1")
    for page in ("compare", "survival", "cancer_risk"):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, page
        assert "64 of 119 patients" in page_text(at), page
        assert qp(at, "subtype") == "Mi2" and at.multiselect(key="flt_subtype").value == ["Mi2"]


def test_sex_cancer_and_feature_bars_fill_the_sidebar():
    at = new_app().run()
    select(at, "sex", points=[["F"]])
    assert at.multiselect(key="flt_sex").value == ["F"] and qp(at, "sex") == "F" and metric(at, "Patients") == "77"
    select(at, "cancer", points=[["cancer", 1.0]])
    assert at.session_state["flt_yes"] == ["cancer"] and json.loads(qp(at, "where")) == {"cancer": [1.0]}
    # the yes/no filters sit in the "More filters" menu, and are listed under it while it is closed
    assert any(c.value == "Cancer = yes" for c in at.sidebar.caption), [c.value for c in at.sidebar.caption]
    at.session_state["cohort_tab"] = "Feature frequencies"
    at.run()
    feature = trace(chart(at, "features"))["customdata"][-1]
    select(at, "features", points=[feature])
    assert sorted(at.session_state["flt_yes"]) == sorted({"cancer", feature[0]})
    assert at.multiselect(key="flt_sex").value == ["F"]  # earlier filters stay


def test_age_brush_sets_the_age_slider():
    at = new_app().run()
    select(at, "age", box=(41.2, 59.7))
    assert at.slider(key="flt_age").value == (41, 60)
    assert (qp(at, "age_min"), qp(at, "age_max")) == ("41", "60")


def test_ck_brush_adds_a_removable_range_filter():
    at = new_app().run()
    assert at.selectbox(key="cohort_hist_column").value == "ck_max_ul"
    bins = trace(chart(at, "range"))["customdata"]
    select(at, "range", points=[bins[0], bins[1]])
    lo, hi = bins[0][0], bins[1][1]
    assert qp(at, "range") == f"ck_max_ul:{lo:g}-{hi:g}"
    assert at.session_state["filters"].ranges == (("ck_max_ul", lo, hi),)
    sidebar = re.sub(r"\\(.)", r"\1", " ".join(str(m.value) for m in at.sidebar.markdown))
    assert "CK level (maximum)" in sidebar and f"{hi:.0f}" in sidebar
    n = int(metric(at, "Patients"))
    df = at.session_state["cohort"].data
    assert n == int(df["ck_max_ul"].between(lo, hi).sum())
    at.button(key="flt_range_rm_ck_max_ul").click().run()
    assert "range" not in at.query_params and metric(at, "Patients") == "119"


def test_a_range_in_a_shared_link_is_applied_and_reset():
    at = new_app()
    at.query_params["range"] = "ck_max_ul:1000-5000"
    at.run()
    assert not at.exception
    df = at.session_state["cohort"].data
    assert metric(at, "Patients") == str(int(df["ck_max_ul"].between(1000, 5000).sum()))
    assert at.sidebar.button(key="flt_range_rm_ck_max_ul")
    at.button(key="flt_reset").click().run()
    assert "range" not in at.query_params and metric(at, "Patients") == "119"
