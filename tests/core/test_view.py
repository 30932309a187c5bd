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


# ------------------------------------------------------------------ bindings, splits, patients
import math

from core.defaults import default_split, split_columns
from core.filters import apply_filters
from core.groups import GroupSpec
from core.io import load_sample_cohort
from core.view import (
    BINDINGS,
    SIR_WINDOWS,
    THRESHOLD_CHOICES,
    filter_title,
    page_values,
    patient_token,
    resolve_patient,
    split_from_values,
    split_values,
)


def _binding(setting: str):
    return next(b for b in BINDINGS if setting in b.settings)


def test_every_binding_names_declared_settings_and_unique_widgets():
    widgets = [w for b in BINDINGS for w in b.widgets]
    assert len(widgets) == len(set(widgets))
    assert all(k in SETTINGS for b in BINDINGS for k in b.settings)


@pytest.mark.parametrize("window", [(3.0, 3.0, False), (0.0, 3.0, True), (5.0, 5.0, False), (2.0, 4.5, False), (2.0, 3.0, True)])
def test_sir_window_round_trips_through_its_widgets(window):
    b = _binding("r.before")
    widgets = b.widget_values(window)
    assert b.setting_values(widgets) == window
    if window == (0.0, 3.0, True):
        assert widgets == {"cr_window": "From diagnosis on"} and SIR_WINDOWS["From diagnosis on"] == (0.0, math.inf)


@pytest.mark.parametrize("thr", [2.3, 2.466, 5.0])
def test_threshold_round_trips_through_its_widgets(thr):
    b = _binding("p.thr")
    widgets = b.widget_values((thr,))
    assert b.setting_values(widgets) == (thr,)
    assert (widgets["timeline_threshold_choice"] == "custom") == (thr not in THRESHOLD_CHOICES.values())


def test_patient_is_a_salted_pseudonym_resolved_only_with_the_same_file():
    ids = ["MYO-001", "MYO-070"]
    token = patient_token("MYO-070", "sha-a")
    assert token.startswith("~") and "070" not in token and len(token) == 11
    assert resolve_patient(token, ids, "sha-a") == "MYO-070"
    assert resolve_patient(token, ids, "sha-b") is None  # another cohort file: nobody
    assert resolve_patient("MYO-070", ids, "x") == "MYO-070"  # presets of the synthetic sample
    b = _binding("p.id")
    assert b.setting_values({"patient_id": "MYO-070"}, {"salt": "sha-a"}) == (token,)
    assert b.widget_values((token,), {"salt": "sha-a", "patient_ids": ids}) == {"patient_id": "MYO-070"}


def test_view_json_never_holds_the_patient():
    v = ViewState().with_values(**{"p.id": "~0123456789", "p.thr": 5.0})
    obj = json.loads(v.to_json())
    assert obj["settings"] == {"p.thr": 5.0}


def test_split_settings_round_trip_every_kind():
    for spec in (GroupSpec("binary", "cancer"), GroupSpec("subtype", "antibody_subtype", ("Mi2",)),
                 GroupSpec("category", "center", ("A", "B"), ("C",)), GroupSpec("levels", "antibody_subtype"),
                 GroupSpec("age", "age_at_diagnosis", cutoff=60.0)):
        vals = {k: v for k, v in split_values("s", spec).items() if v is not None}
        q = ViewState(values=vals).to_query_params()
        back = ViewState.from_query_params(q)
        assert GroupSpec(**split_from_values("s", back.values)) == spec
    assert split_from_values("s", {}) is None
    assert ViewState(values={"s.kind": "age", "s.cut": 60.0}).to_query_params() == {"s.kind": "age", "s.cut": "60"}


def test_address_holds_global_and_current_page_settings_only():
    vals = {"g.present": True, "s.unit": "years", "c.fdr": True, "r.ci": "wald"}
    assert page_values(vals, "survival") == {"g.present": True, "s.unit": "years"}
    assert page_values(vals, "cohort") == {"g.present": True}


def test_filter_title_for_slides():
    assert filter_title(FilterSpec()) == "All patients"
    assert filter_title(FilterSpec(("Mi2",), 50.0, None, ("F",))) == "Anti-Mi2, age ≥ 50, women"


def test_default_split_never_leaves_a_group_empty():
    c = load_sample_cohort()
    everyone = c.data
    mi2 = apply_filters(everyone, FilterSpec(("Mi2",)), c.dictionary).data
    assert default_split(everyone, c.dictionary, "survival") == GroupSpec("binary", "anti_mi2")
    assert default_split(mi2, c.dictionary, "survival") == GroupSpec("binary", "cancer")  # Figure 1
    assert default_split(everyone, c.dictionary, "compare") == GroupSpec("subtype", "antibody_subtype", ("Mi2",))
    assert default_split(mi2, c.dictionary, "compare") == GroupSpec("binary", "cancer")
    assert split_columns(everyone, c.dictionary)[:3] == ["cancer", "death", "anti_mi2"]
    assert default_split(everyone.iloc[:1], c.dictionary, "survival") is None  # one patient: no split


def test_view_notes_in_french():
    from core.i18n import using

    with using("fr"):
        v = ViewState.from_query_params({"s.unit": "weeks", "zz.x": "1"})
    assert any("survie : unité de temps" in n and "valeur par défaut" in n for n in v.notes)
    assert any("Réglage inconnu" in n for n in v.notes)
