"""AppTest of the compare page (runs the real app shell on the sample cohort)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def _open() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    at.switch_page("pages/compare.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _table(at: AppTest):
    """The comparison table (first cell "Patients, n")."""
    for d in at.dataframe:
        v = d.value
        if len(v) and v.iloc[0, 0] == "Patients, n":
            return v
    raise AssertionError("comparison table not shown")


def _published_check(at: AppTest):
    found = [d.value for d in at.dataframe if "Flag" in d.value.columns]
    return found[0] if found else None


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_compare_page_default_view() -> None:
    at = _open()
    assert at.title[0].value == "Compare groups"
    metrics = _metrics(at)
    assert metrics["Excluded"].endswith("patients")
    table = _table(at)
    assert table.iloc[0, 0] == "Patients, n"
    assert list(table.columns)[-2:] == ["P", "OR (95% CI)"]
    assert len(table) > 20
    charts = at.get("plotly_chart")
    assert len(charts) == 2  # forest plot + heatmap
    forest = json.loads(charts[0].proto.spec)
    assert forest["layout"]["xaxis"]["type"] == "log"
    heat = json.loads(charts[1].proto.spec)
    assert heat["data"][0]["type"] == "heatmap"
    # the bundled published table is checked row by row; severe weakness is flagged
    check = _published_check(at)
    assert check is not None
    row = check[check["Feature"].str.startswith("Severe weakness")].iloc[0]
    assert row["Flag"] == "⚠" and row["Printed P"] == ".02" and row["Fisher P (published counts)"] == ".33"
    assert any("Methods text" in e.label for e in at.expander)


def test_switch_grouping_and_filter_update_the_table() -> None:
    at = _open()
    at.selectbox(key="cmp_group_kind").set_value("binary").run()  # anti-Mi2+ vs anti-Mi2− by default
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="cmp_group_binary").value == "anti_mi2"
    table = _table(at)
    assert list(table.columns)[1:3] == ["anti-Mi2+", "anti-Mi2−"]
    assert table.iloc[0, 1:3].tolist() == ["64", "55"]
    gottron = table[table["Feature"] == "Gottron papules/sign"].iloc[0]
    assert gottron["anti-Mi2+"] == "38/53 (71.7%)" and gottron["anti-Mi2−"] == "21/55 (38.2%)"
    sw = table[table["Feature"].str.startswith("Severe weakness")].iloc[0]
    assert sw["anti-Mi2+"] == "29/54 (53.7%)" and sw["P"] == ".33"

    # a sidebar filter (women only) changes the groups and the counts
    at.multiselect(key="flt_sex").set_value(["F"]).run()
    assert not at.exception, [e.value for e in at.exception]
    filtered = _table(at)
    n_a, n_b = (int(v) for v in filtered.iloc[0, 1:3])
    assert n_a < 64 and n_b < 55
    assert n_a == 39  # 39/64 anti-Mi2+ patients are women (Monseau 2020)
    assert filtered[filtered["Feature"] == "Gottron papules/sign"].iloc[0]["anti-Mi2+"] != gottron["anti-Mi2+"]
    assert "F" in at.caption[0].value  # the filter description is shown


def test_fdr_toggle_and_feature_selection() -> None:
    at = _open()
    at.toggle(key="cmp_fdr").set_value(True).run()
    assert not at.exception
    assert "q" in _table(at).columns
    at.multiselect(key="cmp_features").set_value(["gottron", "ck_max_ul"] if "ck_max_ul" in
                                                 at.multiselect(key="cmp_features").options else ["gottron"]).run()
    assert not at.exception, [e.value for e in at.exception]
    table = _table(at)
    assert len(table) in (2, 3)
    assert table.iloc[1, 0] == "Gottron papules/sign"


def test_other_groupings_and_upload_mode() -> None:
    at = _open()
    at.selectbox(key="cmp_group_kind").set_value("age").run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(_table(at)) > 10
    at.radio(key="cmp_pub_source").set_value("Upload a CSV").run()
    assert not at.exception
    assert _published_check(at) is None  # nothing uploaded yet


def test_empty_group_is_named_and_no_table() -> None:
    """Before: a group of 0 patients was compared (table of '—' and a guardrail)."""
    at = _open()
    at.selectbox(key="cmp_group_kind").set_value("age").run()
    at.number_input(key="cmp_group_age").set_value(110.0).run()  # nobody is 110 or older
    assert not at.exception, [e.value for e in at.exception]
    warnings = [w.value for w in at.warning]
    assert any("'age ≥ 110' has no patient" in w and "no comparison" in w for w in warnings), warnings
    assert not any(len(d.value) and d.value.iloc[0, 0] == "Patients, n" for d in at.dataframe)
