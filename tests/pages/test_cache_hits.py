"""AppTest: a rerun that changes nothing computes nothing, on every page (issue 12,
"results cached by cohort hash + view state").

Every core computation of a page goes through ``ui.cache.cached``; a miss calls
``ui.cache._compute``'s function. An input that is a fresh object on each rerun (before:
the bundled rate table, copied by ``st.cache_data`` on every call) would be a new key each
time and recompute the page's results on every filter change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

import ui.cache

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["pages/cohort.py", "pages/compare.py", "pages/survival.py", "pages/cancer_risk.py", "pages/patient.py"]


@pytest.mark.parametrize("page", PAGES)
def test_a_repeated_view_is_not_recomputed(page: str, monkeypatch: pytest.MonkeyPatch) -> None:
    computed: list[str] = []
    original = ui.cache._compute

    def counting(key, fn, args, kwargs):
        store = ui.cache._store()
        with store.lock:
            hit = key in store.results
        if not hit:
            computed.append(key[0])
        return original(key, fn, args, kwargs)

    monkeypatch.setattr(ui.cache, "_compute", counting)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    sex = at.multiselect(key="flt_sex")
    sex.set_value(["F"]).run()
    at.multiselect(key="flt_sex").set_value([]).run()
    assert computed, "nothing went through the cache"
    computed.clear()
    at.multiselect(key="flt_sex").set_value(["F"]).run()  # a filter already seen
    at.multiselect(key="flt_sex").set_value([]).run()
    at.run()  # nothing changed
    assert not at.exception, [e.value for e in at.exception]
    assert computed == [], computed


def test_an_uploaded_rate_table_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.rates import BUNDLED_RATES_PATH

    computed: list[str] = []
    original = ui.cache._compute

    def counting(key, fn, args, kwargs):
        with ui.cache._store().lock:
            if key not in ui.cache._store().results:
                computed.append(key[0])
        return original(key, fn, args, kwargs)

    monkeypatch.setattr(ui.cache, "_compute", counting)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/cancer_risk.py").run()
    at.radio(key="cr_rates").set_value(at.radio(key="cr_rates").options[1]).run()
    at.file_uploader(key="cr_rates_file").upload("my_rates.csv", Path(BUNDLED_RATES_PATH).read_bytes()).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.label.startswith("SIR") for m in at.metric)
    computed.clear()
    at.run()
    assert computed == [], computed
