"""core.charts.payload: the template written out, plain arrays, datarevision (pure Python).

That the browser draws a payload exactly as the figure is checked by plotly.js itself in
``tests/e2e/test_figure_payload.py``; here, the rules, on small hand-made figures.
"""

from __future__ import annotations

import copy

import numpy as np
import plotly.io as pio
import pytest

from core.charts.payload import (
    bake_template,
    browser_payload,
    data_fingerprint,
    plain_arrays,
)

TEMPLATE = {
    "layout": {
        "font": {"family": "Arial", "size": 12},
        "xaxis": {"showline": True, "linecolor": "black", "ticks": "outside", "title": {"standoff": 15}},
        "yaxis": {"showgrid": False, "gridcolor": "#eee"},
        "annotationdefaults": {"arrowhead": 0, "font": {"size": 10}},
        "polar": {"bgcolor": "white"},
    },
    "data": {"scatter": [{"type": "scatter", "marker": {"size": 4}}, {"type": "scatter", "marker": {"size": 8}}],
             "bar": [{"type": "bar", "marker": {"line": {"width": 0.5}}}]},
}


def _figure(**layout: object) -> dict:
    return {
        "data": [{"type": "scatter", "x": [1, 2], "y": [3, 4]},
                 {"type": "bar", "x": [1], "y": [2], "xaxis": "x2", "marker": {"color": "red"}},
                 {"type": "scatter", "x": [1], "y": [1], "marker": {"size": 20}},
                 {"type": "scatter", "x": [2], "y": [2]}],
        "layout": {"template": copy.deepcopy(TEMPLATE), "xaxis": {"title": "Months"},
                   "annotations": [{"text": "a"}, {"text": "b", "arrowhead": 2}], **layout},
    }


def test_template_written_where_the_figure_has_no_value() -> None:
    fig = _figure(font={"size": 16})
    before = copy.deepcopy(fig)
    out = bake_template(fig)
    assert fig == before  # the input is not modified
    lay = out["layout"]
    assert "template" not in lay and "polar" not in lay  # unused subplot kinds left out
    assert lay["font"] == {"size": 16, "family": "Arial"}  # the figure's value wins, the rest filled in
    # the x template styles every x axis, a title given as text included
    assert lay["xaxis"] == {"title": {"text": "Months", "standoff": 15}, "showline": True, "linecolor": "black",
                            "ticks": "outside"}
    assert lay["xaxis2"]["linecolor"] == "black"
    assert lay["yaxis"] == {"showgrid": False, "gridcolor": "#eee"}
    # annotationdefaults: each annotation, its own values first
    assert lay["annotations"] == [{"text": "a", "arrowhead": 0, "font": {"size": 10}},
                                  {"text": "b", "arrowhead": 2, "font": {"size": 10}}]
    assert "annotationdefaults" not in lay


def test_trace_templates_cycle_by_type() -> None:
    out = bake_template(_figure())
    sizes = [t.get("marker", {}).get("size") for t in out["data"]]
    assert sizes == [4, None, 20, 4]  # scatter k gets template k % 2; the figure's own size wins
    assert out["data"][1]["marker"] == {"color": "red", "line": {"width": 0.5}}


@pytest.mark.parametrize("change", [
    lambda f: f["data"].append({"type": "pie", "values": [1]}),  # not an x/y trace
    lambda f: f["layout"]["template"]["layout"]["xaxis"].update(rangeslider={"thickness": 0.1}),  # drawn when present
    lambda f: f["layout"]["template"]["layout"].update(annotations=[{"text": "draft"}]),  # template items
    lambda f: f["layout"]["template"]["layout"]["yaxis"].pop("showgrid"),  # gridcolor alone would show the grid
    lambda f: f["data"].clear(),  # an empty figure draws default axes
])
def test_template_kept_when_baking_would_change_the_drawing(change) -> None:  # type: ignore[no-untyped-def]
    fig = _figure()
    change(fig)
    assert bake_template(fig) is fig


def test_presence_rule_satisfied_by_the_figure() -> None:
    fig = _figure()
    fig["layout"]["template"]["layout"]["yaxis"].pop("showgrid")
    fig["layout"]["yaxis"] = {"showgrid": True}
    assert "template" not in bake_template(fig)["layout"]


def test_plotly_templates_of_the_app_bake() -> None:
    for name in ("simple_white", "plotly_white"):
        fig = {"data": [{"type": "scatter", "x": [1], "y": [1]}],
               "layout": {"template": pio.templates[name].to_plotly_json(),
                          "xaxis": {"showline": False, "showgrid": True, "zeroline": True},
                          "yaxis": {"showline": False, "showgrid": True, "zeroline": True}}}
        assert "template" not in bake_template(fig)["layout"], name


def test_plain_arrays_up_to_the_limit() -> None:
    fig = {"data": [{"x": np.arange(3.0), "y": {"dtype": "i1", "bdata": "AQID"}, "text": ["a", "b", "c"]}], "layout": {}}
    plain, ok = plain_arrays(fig, limit=10)
    assert ok and plain["data"][0]["x"] == [0.0, 1.0, 2.0] and plain["data"][0]["y"] == [1, 2, 3]
    big, ok = plain_arrays(fig, limit=5)  # 6 numbers
    assert not ok and set(big["data"][0]["x"]) == {"dtype", "bdata"}
    assert isinstance(fig["data"][0]["x"], np.ndarray)  # the input is not modified


def test_datarevision_follows_the_data() -> None:
    a = {"data": [{"type": "scatter", "x": np.array([1.0, 2.0]), "y": np.array([1.0, 2.0])}], "layout": {}}
    b = copy.deepcopy(a)
    assert data_fingerprint(a["data"]) == data_fingerprint(b["data"])
    b["data"][0]["y"][1] = 3.0
    assert data_fingerprint(a["data"]) != data_fingerprint(b["data"])
    pa, pb = browser_payload(a), browser_payload(b)
    assert pa["layout"]["datarevision"] != pb["layout"]["datarevision"]
    assert pa["data"][0]["y"] == [1.0, 2.0]


def test_no_datarevision_when_arrays_stay_binary() -> None:
    fig = {"data": [{"type": "scatter", "x": np.arange(10.0), "y": np.arange(10.0)}], "layout": {}}
    assert "datarevision" not in browser_payload(fig, limit=5)["layout"]
