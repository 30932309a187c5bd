"""AppTest of the compare page (runs the real app shell on the sample cohort)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def heights(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The ``height`` each ``st.dataframe`` was given, by widget key."""
    import streamlit as st

    seen: dict[str, object] = {}
    original = st.dataframe

    def dataframe(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen[kwargs.get("key") or f"#{len(seen)}"] = kwargs.get("height", "auto")
        return original(*args, **kwargs)

    monkeypatch.setattr(st, "dataframe", dataframe)
    return seen


def _open() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    at.switch_page("pages/compare.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _figure(at: AppTest, tab: str) -> dict:
    """The figure of a tab: only the tab shown is computed (the tabs rerun the page)."""
    at.session_state["cmp_tab"] = tab
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    charts = at.get("plotly_chart")
    assert len(charts) == 1, tab
    return json.loads(charts[0].proto.spec)


def _table(at: AppTest):
    """The comparison table (first cell "Patients, n")."""
    for d in at.dataframe:
        v = d.value
        if len(v) and v.iloc[0, 0] == "Patients, n":
            return v
    raise AssertionError("comparison table not shown")

EXAMPLE_TABLE = ROOT / "sample_data" / "monseau2020_table1.csv"


def _published_check(at: AppTest):
    found = [d.value for d in at.dataframe if "Flag" in d.value.columns]
    return found[0] if found else None


def _published_panel(at: AppTest, open_: bool = True) -> AppTest:
    """Open (or close) the "Compare with a published table" panel (drawn when open)."""
    at.session_state["cmp_pub_box"] = open_
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


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
    assert not at.get("plotly_chart")  # the Table tab is shown: hidden tabs are not computed
    # the bundled published table is checked row by row (when its panel is open); severe
    # weakness is flagged
    assert _published_check(at) is None
    check = _published_check(_published_panel(at))
    assert check is not None
    row = check[check["Feature"].str.startswith("Severe weakness")].iloc[0]
    assert row["Flag"] == "⚠" and row["Printed P"] == ".02" and row["Fisher P (published counts)"] == ".33"
    assert any("Methods text" in e.label for e in at.expander)
    forest = _figure(at, "Forest plot")  # forest plot, heatmap: drawn when their tab is shown
    assert forest["layout"]["xaxis"]["type"] == "log"
    heat = _figure(at, "Subtype heatmap")
    assert heat["data"][0]["type"] == "heatmap"


def test_switch_grouping_and_filter_update_the_table() -> None:
    at = _open()
    at.selectbox(key="cmp_group_kind").set_value("binary").run()
    at.selectbox(key="cmp_group_binary").set_value("anti_mi2").run()  # anti-Mi2+ vs anti-Mi2−
    assert not at.exception, [e.value for e in at.exception]
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
    _published_panel(at)
    at.radio(key="cmp_pub_source").set_value("Upload a CSV").run()
    assert not at.exception
    assert _published_check(at) is None  # nothing uploaded yet


def test_published_table_upload_kept_while_the_panel_is_closed() -> None:
    at = _published_panel(_open())
    at.radio(key="cmp_pub_source").set_value("Upload a CSV").run()
    at.file_uploader(key="cmp_pub_upload").upload("my_table.csv", EXAMPLE_TABLE.read_bytes()).run()
    assert _published_check(at) is not None
    _published_panel(at, False)  # closed: not drawn, not computed
    assert _published_check(at) is None
    _published_panel(at)  # open again: the same choice and the same file
    assert at.radio(key="cmp_pub_source").value == "Upload a CSV"
    assert any(c.value.startswith("Using my") and "uploaded earlier" in c.value for c in at.caption)
    assert _published_check(at) is not None


def test_empty_group_is_named_and_no_table() -> None:
    """Before: a group of 0 patients was compared (table of '—' and a guardrail)."""
    at = _open()
    at.selectbox(key="cmp_group_kind").set_value("age").run()
    at.number_input(key="cmp_group_age").set_value(110.0).run()  # nobody is 110 or older
    assert not at.exception, [e.value for e in at.exception]
    warnings = [w.value for w in at.warning]
    assert any("'age ≥ 110' has no patient" in w and "no comparison" in w for w in warnings), warnings
    assert not any(len(d.value) and d.value.iloc[0, 0] == "Patients, n" for d in at.dataframe)


def _table_by_subtype(at: AppTest):
    at.selectbox(key="cmp_group_kind").set_value("levels").run()
    at.selectbox(key="cmp_group_levels").set_value("antibody_subtype").run()
    assert not at.exception, [e.value for e in at.exception]
    for d in at.dataframe:
        v = d.value
        if len(v) and v.iloc[0, 0] == "Patients, n" and "Overall" in v.columns:
            return d, v
    raise AssertionError("N-group table not shown")


def test_table_by_subtype_has_every_group_and_an_overall_column(heights) -> None:
    """Before: 'Choose a split into exactly two groups'."""
    at = _open()
    _, table = _table_by_subtype(at)
    groups = ["anti-Mi2", "anti-MDA5", "anti-TIF1γ", "anti-NXP2", "anti-SAE", "seronegative"]
    assert list(table.columns) == ["Characteristic", "Overall", *groups, "P"]
    assert table.iloc[0, 1:8].tolist() == ["119", "64", "9", "5", "3", "3", "35"]
    assert (table["Characteristic"].str.strip() == "Unknown").any()
    gottron = table[table["Characteristic"] == "Gottron papules/sign"].iloc[0]
    assert gottron["anti-Mi2"] == "38/53 (71.7%)" and gottron["P"] != ""
    assert "cmp_pairs_pair" not in heights  # the pairwise panel is built when opened
    at.session_state["cmp_pairs_box"] = True
    at.run()
    # shown whole: the element is as tall as its rows (no inner scroll box)
    assert heights["cmp_table"] == "content" and heights["cmp_pairs_pair"] == "content"
    # pairwise and one-vs-rest tables; no forest plot for six groups
    pair_tables = [d.value for d in at.dataframe if "anti-Mi2 vs anti-MDA5" in d.value.columns]
    rest_tables = [d.value for d in at.dataframe if "anti-Mi2 vs rest" in d.value.columns]
    assert pair_tables and rest_tables
    at.session_state["cmp_tab"] = "Forest plot"
    at.run()
    assert any("forest plot shows odds ratios between two groups" in i.value for i in at.info)
    assert any("NXP2" in w.value and "fewer than 10" in w.value for w in at.warning), [w.value for w in at.warning]
    assert not any("Flag" in d.value.columns for d in at.dataframe)  # published check: two groups only


def test_two_group_table_keeps_or_and_gains_overall_and_journal_word(heights) -> None:
    at = _open()
    at.selectbox(key="cmp_group_kind").set_value("binary").run()
    at.selectbox(key="cmp_group_binary").set_value("anti_mi2").run()
    table = _table(at)
    assert list(table.columns) == ["Feature", "anti-Mi2+", "anti-Mi2−", "Overall", "P", "OR (95% CI)"]
    assert table.iloc[0]["Overall"] == "119"
    gottron = table[table["Feature"] == "Gottron papules/sign"].iloc[0]
    assert gottron["Overall"] == "59/108 (54.6%)" and gottron["OR (95% CI)"].startswith("4.0")
    assert "cmp_pub_table" not in heights  # the published-table panel is built when opened
    _published_panel(at)
    assert heights["cmp_table"] == "content" and heights["cmp_pub_table"] == "content"
    labels = [b.proto.label for b in at.get("download_button")]
    assert any("journal style" in lb for lb in labels), labels
    forest = _figure(at, "Forest plot")
    assert any(a.get("text") == "<b>OR (95% CI)</b>" for a in forest["layout"]["annotations"])
    heat = _figure(at, "Subtype heatmap")
    assert any("/" in t for row in heat["data"][0]["text"] for t in row)  # n/N in the cells
