"""core.view: a view travels through the address and view.json without loss."""

from __future__ import annotations

import json

import pytest

from core.filters import FilterSpec
from core.view import SETTINGS, ViewState, file_sha256


def _view() -> ViewState:
    v = ViewState(FilterSpec.from_dict({"antibody_subtype": ["Mi2"], "age_min": 50}), page="survival")
    return v.with_values(**{"s.by": "cancer", "s.unit": "years", "s.ci": "log-log", "g.present": True, "c.feat": ["gottron", "myalgia"]})


def test_query_params_round_trip_short_and_readable():
    v = _view()
    q = v.to_query_params()
    assert q["subtype"] == "Mi2" and q["s.unit"] == "years" and q["g.present"] == "1" and q["c.feat"] == "gottron,myalgia"
    assert "s.origin" not in q  # defaults are not written
    back = ViewState.from_query_params(q)
    assert back.values == v.values and back.filters == v.filters and back.page == "survival" and not back.notes


def test_json_round_trip_records_cohort_and_versions_not_data():
    v = _view()
    text = v.to_json("cohort.csv", file_sha256(b"abc"))
    obj = json.loads(text)
    assert obj["cohort"] == {"file": "cohort.csv", "sha256": file_sha256(b"abc")} and "pandas" in obj["versions"]
    back, record = ViewState.from_json(text)
    assert back.values == v.values and back.filters == v.filters and record["file"] == "cohort.csv"


def test_bad_values_are_explained_not_raised():
    v = ViewState.from_query_params({"s.unit": "weeks", "zz.x": "1", "age_min": "old", "s.by": "cancer"})
    assert v.get("s.unit") == "months" and v.get("s.by") == "cancer"
    assert len(v.notes) == 3 and any("weeks" in n for n in v.notes)
    with pytest.raises(ValueError, match="not a Myoscope view"):
        ViewState.from_json(b'{"a": 1}')


def test_every_setting_default_is_valid():
    for s in SETTINGS.values():
        if s.default is not None and s.choices:
            assert s.parse(s.default) == s.default
