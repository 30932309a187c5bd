"""The whole view in the address, presets, saved views and presentation mode (AppTest).

Each round trip builds a view with the widgets, takes the address the app wrote, opens it in
a fresh session (a new AppTest: nothing shared but the address) and reads the same numbers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from core.io import SAMPLE_DIR
from core.view import ViewState, file_sha256, patient_token

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_SHA = file_sha256((SAMPLE_DIR / "cohort.csv").read_bytes())


def _open(page: str = "cohort", params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    if page != "cohort":
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _address(at: AppTest) -> dict[str, str]:
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def _text(items) -> str:
    return re.sub(r"\\(.)", r"\1", "\n".join(str(i.value) for i in items))


def _metric(at: AppTest, start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(start))


def _frames(at: AppTest) -> list:
    return [d.value for d in at.dataframe]


def _survival_numbers(at: AppTest) -> tuple[str, list]:
    logrank = re.sub(r"\\(.)", r"\1", next(m.value for m in at.markdown if "Log" in m.value and "rank" in m.value))
    table = next(f for f in _frames(at) if "Group" in f.columns and "Events" in f.columns)
    return logrank, table.to_dict("records")


def test_survival_view_round_trips_through_the_address() -> None:
    at = _open("survival")
    at.multiselect(key="flt_subtype").set_value(["Mi2"]).run()
    at.radio(key="surv_unit").set_value("years").run()
    at.selectbox(key="surv_conf_type").set_value("log-log").run()
    at.selectbox(key="surv_group_kind").set_value("age").run()
    at.number_input(key="surv_group_age").set_value(60.0).run()
    q = _address(at)
    assert q == {"subtype": "Mi2", "s.unit": "years", "s.ci": "log-log", "s.kind": "age", "s.cut": "60"}
    before = _survival_numbers(at)
    fresh = _open("survival", q)
    assert fresh.radio(key="surv_unit").value == "years" and fresh.number_input(key="surv_group_age").value == 60.0
    assert _survival_numbers(fresh) == before
    assert _address(fresh) == q  # and the fresh session writes the same address


def test_compare_view_round_trips_and_other_pages_settings_stay_in_the_session() -> None:
    at = _open("compare")
    at.selectbox(key="cmp_group_kind").set_value("binary").run()
    at.selectbox(key="cmp_group_binary").set_value("cancer").run()
    at.toggle(key="cmp_fdr").set_value(True).run()
    q = _address(at)
    assert q == {"c.kind": "binary", "c.by": "cancer", "c.fdr": "1"}
    table = next(f for f in _frames(at) if len(f) and f.iloc[0, 0] == "Patients, n")
    fresh = _open("compare", q)
    again = next(f for f in _frames(fresh) if len(f) and f.iloc[0, 0] == "Patients, n")

    def rows(f):  # compare.py keeps the split column among the features when it was chosen first
        return f[~f["Feature"].str.startswith("CK level")].reset_index(drop=True)

    assert rows(again).equals(rows(table)) and again.iloc[0].tolist() == table.iloc[0].tolist()
    # another page and back: the compare settings are kept by the session, not the address
    fresh.switch_page("pages/survival.py").run()
    assert not any(k.startswith("c.") for k in _address(fresh))
    fresh.switch_page("pages/compare.py").run()
    assert _address(fresh) == q


def test_cancer_risk_view_round_trips() -> None:
    at = _open("cancer_risk")
    at.selectbox(key="cr_window").set_value("±5 years").run()
    at.selectbox(key="cr_ci").set_value("midp").run()
    at.selectbox(key="cr_split").set_value("sex").run()
    q = _address(at)
    assert q == {"r.before": "5", "r.after": "5", "r.ci": "midp", "r.by": "sex"}
    numbers = [_metric(at, s) for s in ("Observed", "Expected", "SIR")]
    fresh = _open("cancer_risk", q)
    assert [_metric(fresh, s) for s in ("Observed", "Expected", "SIR")] == numbers
    assert fresh.selectbox(key="cr_split").value == "sex"
    # a custom open window
    fresh.selectbox(key="cr_window").set_value("Custom").run()
    fresh.number_input(key="cr_wb").set_value(2.0).run()
    fresh.checkbox(key="cr_open").check().run()
    q2 = _address(fresh)
    assert q2["r.before"] == "2" and q2["r.open"] == "1"
    again = _open("cancer_risk", q2)
    assert again.selectbox(key="cr_window").value == "Custom" and again.checkbox(key="cr_open").value


def test_patient_is_pseudonymised_in_the_address_and_restored() -> None:
    at = _open("patient")
    ids = [o.split(" · ")[0] for o in at.selectbox(key="patient_id").options]
    other = ids[5]
    at.selectbox(key="patient_id").set_value(other).run()
    at.radio(key="timeline_threshold_choice").set_value("custom").run()
    at.number_input(key="timeline_threshold_custom").set_value(5.0).run()
    q = _address(at)
    assert q["p.id"] == patient_token(other, SAMPLE_SHA) and other not in json.dumps(q)
    assert q["p.thr"] == "5"
    fresh = _open("patient", q)
    assert fresh.selectbox(key="patient_id").value == other
    assert fresh.number_input(key="timeline_threshold_custom").value == 5.0


def test_bad_values_are_explained_in_the_sidebar_never_a_crash() -> None:
    at = _open("survival", {"s.unit": "weeks", "s.kind": "binary", "s.by": "no_such_column", "p.id": "~0000000000",
                            "zz.q": "1", "age_min": "old"})
    notes = _text(at.sidebar.warning)
    assert "weeks" in notes and "zz.q" in notes and "could not be read" in notes
    assert "cannot be used on this cohort" in _text(at.warning)  # the split of the link, on the page
    assert at.radio(key="surv_unit").value == "months"
    assert at.selectbox(key="surv_group_kind").value == "binary"  # the default split
    at.switch_page("pages/patient.py").run()
    assert not at.exception


def test_default_split_follows_the_filter() -> None:
    """Issue 12: with the anti-Mi2 filter on, survival splits by cancer (Figure 1), compare
    never shows an empty group; a split the user chose stays."""
    at = _open("survival")
    assert at.selectbox(key="surv_group_binary").value == "anti_mi2"
    at.multiselect(key="flt_subtype").set_value(["Mi2"]).run()
    assert at.selectbox(key="surv_group_binary").value == "cancer"
    assert "P = .008" in _survival_numbers(at)[0]
    assert not any(k.startswith("s.") for k in _address(at))  # the page decides: not in the address
    at.switch_page("pages/compare.py").run()
    groups = {m.label: m.value for m in at.metric if m.label.startswith("Group")}
    assert list(groups.values()) == ["14 patients", "50 patients"]  # cancer yes / no within anti-Mi2
    at.multiselect(key="flt_subtype").set_value([]).run()
    assert at.selectbox(key="cmp_group_kind").value == "subtype"  # back to anti-Mi2 vs the rest
    # a chosen split does not follow the filter
    at.selectbox(key="cmp_group_kind").set_value("age").run()
    at.multiselect(key="flt_subtype").set_value(["Mi2"]).run()
    assert at.selectbox(key="cmp_group_kind").value == "age"


def test_outcome_columns_are_split_choices_first() -> None:
    at = _open("survival")
    assert at.selectbox(key="surv_group_binary").options[:2] == ["Cancer", "Death"]


def _click_preset(at: AppTest, name: str) -> AppTest:
    at.button(key=f"preset_{name}").click().run()
    at.run()  # the preset's page
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_presets_reproduce_the_papers_on_their_pages() -> None:
    at = _open()
    _click_preset(at, "Monseau 2020 · Figure 1")
    assert at.title[0].value == "Survival"
    logrank, groups = _survival_numbers(at)
    assert "P = .008" in logrank and sum(g["n"] for g in groups) == 64
    _click_preset(at, "Monseau 2020 · SIR")
    assert at.title[0].value == "Cancer risk"
    assert _metric(at, "Observed") == "14" and _metric(at, "SIR") == "5.1 (3.0–8.6)"
    _click_preset(at, "Monseau 2020 · Table I")
    assert at.title[0].value == "Compare groups"
    table = next(f for f in _frames(at) if len(f) and f.iloc[0, 0] == "Patients, n")
    assert table.iloc[0, 1:3].tolist() == ["64", "55"]
    _click_preset(at, "Jalles 2020 · patient course")
    assert at.selectbox(key="patient_id").value == "MYO-070"
    scores = next(f for f in _frames(at) if "name" in f.columns and (f["name"] == "interferon_score").any())
    assert scores["value"].tolist() == [19.0, 0.9]


def test_current_view_saved_as_a_session_preset() -> None:
    at = _open("survival")
    at.radio(key="surv_unit").set_value("days").run()
    at.text_input(key="preset_name").set_value("in days").run()
    at.button(key="preset_save").click().run()
    at.radio(key="surv_unit").set_value("months").run()
    at.button(key="user_preset_in days").click().run()
    at.run()
    assert at.radio(key="surv_unit").value == "days"


def test_saved_view_file_restores_every_page_and_names_another_cohort(tmp_path: Path) -> None:
    at = _open("survival")
    at.multiselect(key="flt_subtype").set_value(["Mi2"]).run()
    at.radio(key="surv_unit").set_value("years").run()
    at.switch_page("pages/cancer_risk.py").run()
    at.selectbox(key="cr_ci").set_value("wald").run()
    sir = _metric(at, "SIR")
    # the view as the sidebar's "Save view" writes it (the address holds the current page's part)
    view = ViewState.from_query_params({"subtype": "Mi2", "s.unit": "years", "r.ci": "wald"}).with_values(**{"p.id": "MYO-070"})
    text = ViewState(view.filters, view.values, "cancer_risk").to_json("cohort.csv", SAMPLE_SHA)
    assert "MYO-070" not in text  # never patient data
    path = tmp_path / "view.json"
    path.write_text(text)
    fresh = _open("cohort", {"view": str(path)})
    fresh.run()  # the view's page
    assert fresh.title[0].value == "Cancer risk" and _metric(fresh, "SIR") == sir
    fresh.switch_page("pages/survival.py").run()
    assert fresh.radio(key="surv_unit").value == "years"
    # another cohort file: said, and still applied
    obj = json.loads(text)
    obj["cohort"]["sha256"] = "0" * 64
    path.write_text(json.dumps(obj))
    other = _open("cohort", {"view": str(path)})
    assert "saved on another cohort file" in _text(other.sidebar.warning)
    other.run()
    assert other.title[0].value == "Cancer risk"


def test_presentation_mode_slides_with_title_footnote_and_what_if() -> None:
    at = _open("survival", {"subtype": "Mi2", "g.present": "1"})
    assert at.toggle(key="presentation").value
    title = next(m.value for m in at.markdown if m.value.startswith("## "))
    assert _text([type("M", (), {"value": title})]) == "## Anti-Mi2 · survival by cancer · n = 64"
    captions = _text(at.caption)
    assert "Greenwood" in captions and "Log-rank" in captions
    at.button(key="slide_next").click().run()
    assert _address(at)["g.slide"] == "1"
    assert "medians and landmarks" in next(m.value for m in at.markdown if m.value.startswith("## "))
    # the what-if bar changes the filter without leaving the slide
    at.multiselect(key="wi_subtype").set_value(["MDA5"]).run()
    assert at.multiselect(key="flt_subtype").value == ["MDA5"]
    title = _text([m for m in at.markdown if m.value.startswith("## ")])
    assert title.startswith("## Anti-MDA5 · survival by cancer: medians") and "n = 64" not in title  # the slide is kept
    at.button(key="slide_exit").click().run()
    assert "g.present" not in _address(at)


def test_number_cutoff_split_round_trips() -> None:
    """The new split kind: any number column ≥ cut-off vs < (e.g. CK), in the address."""
    at = _open("compare")
    at.selectbox(key="cmp_group_kind").set_value("cutoff").run()
    at.selectbox(key="cmp_group_cutcol").set_value("ck_max_ul").run()
    at.number_input(key="cmp_group_cut_ck_max_ul").set_value(1000.0).run()
    assert not at.exception, [e.value for e in at.exception]
    q = _address(at)
    assert q == {"c.kind": "cutoff", "c.by": "ck_max_ul", "c.cut": "1000"}
    table = next(f for f in _frames(at) if len(f) and f.iloc[0, 0] == "Patients, n")
    assert "≥ 1000" in " ".join(table.columns)
    fresh = _open("compare", q)
    again = next(f for f in _frames(fresh) if len(f) and f.iloc[0, 0] == "Patients, n")

    def rows(f):  # compare.py keeps the split column among the features when it was chosen first
        return f[~f["Feature"].str.startswith("CK level")].reset_index(drop=True)

    assert rows(again).equals(rows(table)) and again.iloc[0].tolist() == table.iloc[0].tolist()


def test_compare_presents_table_one_as_slides() -> None:
    at = _open("compare", {"g.present": "1"})
    titles = _text([m for m in at.markdown if m.value.startswith("## ")])
    assert titles.startswith("## All patients · Table I, anti-Mi2 vs other antibody subtypes (1/") and "n = 119" in titles
    assert at.table[0].value.index[0] == "Patients, n" and len(at.table[0].value) <= 10
    assert "Fisher" in _text(at.caption)
