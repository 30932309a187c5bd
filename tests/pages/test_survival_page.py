"""AppTest of the survival page (runs the real app shell on the sample cohort)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def _open() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    at.switch_page("pages/survival.py")
    at.run()
    return at


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    return re.sub(r"\\(.)", r"\1", "\n".join(str(p) for p in parts))  # as rendered: Markdown escapes removed


def test_survival_page_renders_figure_and_tables() -> None:
    at = _open()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Survival"
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    fig = json.loads(charts[0].proto.spec)
    names = [t.get("name", "") for t in fig["data"]]
    assert any(n.endswith(" at risk") for n in names)
    text = _texts(at)
    assert "Log-rank χ²" in text
    assert "R survfit default" in text or "log transform" in text
    assert [t.label for t in at.tabs] == ["Survival by group", "Log-rank test", "Cox proportional-hazards model"]
    assert len(at.dataframe) == 1  # the tab shown: survival by group (the others are drawn when opened)
    assert "Median" in " ".join(map(str, at.dataframe[0].value.columns))
    at.session_state["surv_tab"] = "Log-rank test"
    at.run()
    assert len(at.dataframe) == 1 and "Observed" in at.dataframe[0].value.columns
    at.session_state["surv_tab"] = "Cox proportional-hazards model"
    at.run()
    assert len(at.dataframe) == 1 and "HR" in at.dataframe[0].value.columns
    assert any("Reference:" in c.value for c in at.caption)


def test_survival_page_options() -> None:
    at = _open()
    at.selectbox(key="surv_group_kind").set_value("binary").run()  # anti-Mi2+ vs anti-Mi2−
    assert not at.exception, [e.value for e in at.exception]
    at.radio(key="surv_unit").set_value("years").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.text_input(key="surv_landmarks").value == ""  # empty = the unit's defaults
    assert "1, 3, 5" in at.text_input(key="surv_landmarks").label
    assert any("S(3 years)" in " ".join(map(str, d.value.columns)) for d in at.dataframe)
    at.selectbox(key="surv_conf_type").set_value("log-log").run()
    at.toggle(key="surv_adjust").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "log-log" in _texts(at)
    at.session_state["surv_tab"] = "Cox proportional-hazards model"
    at.run()
    cox_caption = [c.value for c in at.caption if "Reference:" in c.value]
    assert cox_caption and "adjusted for" in cox_caption[0]
    at.toggle(key="surv_show_ci").set_value(False).run()
    at.toggle(key="surv_cum").set_value(True).run()
    assert not at.exception
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert not any(t.get("name", "").endswith(" CI") for t in fig["data"])
    table = next(t for t in fig["data"] if t.get("name", "").endswith(" at risk"))
    assert all("(" in x for x in table["text"])  # "n at risk (cumulative events)"


def test_survival_page_other_endpoint_and_excluded() -> None:
    at = _open()
    box = at.selectbox(key="surv_endpoint")
    idx = [i for i, o in enumerate(box.options) if "ancer" in o]
    assert idx, box.options
    box.select_index(idx[0]).run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [e.label for e in at.expander]
    excluded = [lab for lab in labels if lab.startswith("Patients excluded")]
    # cancers diagnosed before DM have a negative time from diagnosis: listed, not dropped
    assert excluded and excluded[0] != "Patients excluded from the analysis (0)"
    assert len(at.get("plotly_chart")) == 1


def test_survival_page_refuses_an_empty_group() -> None:
    """Before: the empty group was dropped with an info note and a one-group curve shown."""
    at = _open()
    at.selectbox(key="surv_group_kind").set_value("age").run()
    at.number_input(key="surv_group_age").set_value(110.0).run()  # nobody is 110 or older
    assert not at.exception, [e.value for e in at.exception]
    warnings = [w.value for w in at.warning]
    assert any("'age ≥ 110' has no patient" in w and "no curve or test" in w for w in warnings), warnings
    assert len(at.get("plotly_chart")) == 0
    assert "Log-rank" not in _texts(at)
