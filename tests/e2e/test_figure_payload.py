"""Every chart of the app is drawn the same after ``core.charts.payload``, and only once.

The figures are collected from the pages themselves (AppTest on the sample cohort, every
tab opened, and the slides of presentation mode): each figure's dict before and after
:func:`core.charts.payload.browser_payload`. plotly.js (the copy shipped with the plotly
package, loaded from disk) draws both in headless Chromium; the figures it resolves
(``_fullLayout``, ``_fullData``: every attribute after defaults and template) must be the
same. Then the payload is handed to ``Plotly.react`` a second time as a deep copy, as
Streamlit's chart component does on each mount: plotly.js must keep its computed data
(no second full draw), which it does not for the figure with a template.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plotly
import pytest

from tests.conftest import apptest_uses_st_navigation
from tests.e2e.support import launch, require_chromium

pytestmark = pytest.mark.e2e
require_chromium()

from playwright.sync_api import sync_playwright
from plotly.utils import PlotlyJSONEncoder
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
TABS = {
    "pages/cohort.py": ("cohort_tab", ("Charts", "Feature frequencies")),
    "pages/compare.py": ("cmp_tab", ("Forest plot", "Subtype heatmap")),
    "pages/survival.py": ("surv_tab", ("Survival by group",)),
    "pages/cancer_risk.py": ("cr_tab", ("Standardized incidence ratio", "Time from DM diagnosis to cancer",
                                        "Cumulative incidence of cancer after diagnosis")),
    "pages/patient.py": ("patient_tab", ("Patient course", "In the cohort", "Interferon score calculator")),
}

#: The resolved figure, without what differs by design: private and generated keys
#: (``_…``, ``uid``), the template itself and the ``datarevision`` the payload adds.
RESOLVED_JS = """(gd) => {
  const skip = new Set(['uid', 'template', 'datarevision', 'meta']);
  const seen = new WeakSet();
  const walk = (o, depth) => {
    if (o === null || typeof o !== 'object') return typeof o === 'function' ? undefined : o;
    if (depth > 12 || seen.has(o) || o instanceof Node) return undefined;
    seen.add(o);
    let out;
    if (ArrayBuffer.isView(o)) out = Array.from(o);
    else if (Array.isArray(o)) out = o.map(v => walk(v, depth + 1));
    else {
      out = {};
      for (const k of Object.keys(o).sort()) {
        if (k.startsWith('_') || skip.has(k)) continue;
        const v = walk(o[k], depth + 1);
        if (v !== undefined) out[k] = v;
      }
    }
    seen.delete(o);
    return out;
  };
  return JSON.stringify({layout: walk(gd._fullLayout, 0), data: gd._fullData.map(t => walk(t, 0))});
}"""

DRAW_JS = """async ([spec, resolved]) => {
  const gd = document.createElement('div'); document.body.appendChild(gd);
  await Plotly.newPlot(gd, spec.data, spec.layout, {displaylogo: false});
  const out = eval(resolved)(gd);
  Plotly.purge(gd); gd.remove();
  return out;
}"""

#: Plotly.react with a deep copy of the same figure (what Streamlit's component does on
#: mount): true when plotly.js kept its computed data instead of drawing it all again.
KEPT_JS = """async (spec) => {
  const copy = x => JSON.parse(JSON.stringify(x));
  const gd = document.createElement('div'); document.body.appendChild(gd);
  await Plotly.react(gd, copy(spec.data), copy(spec.layout), {displaylogo: false});
  const before = gd.calcdata;
  await Plotly.react(gd, copy(spec.data), copy(spec.layout), {displaylogo: false});
  const kept = gd.calcdata === before;
  Plotly.purge(gd); gd.remove();
  return kept;
}"""


def _jsonable(spec: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(spec, cls=PlotlyJSONEncoder))


@pytest.fixture(scope="module")
def figures() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(where, figure before, payload) for every figure the pages draw."""
    from ui import widgets

    seen: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    where = [""]
    original = widgets.browser_payload

    def recording(spec: dict[str, Any]) -> dict[str, Any]:
        before = _jsonable(spec)
        out = original(spec)
        seen.append((where[0], before, _jsonable(out)))
        return out

    with pytest.MonkeyPatch.context() as mp:
        apptest_uses_st_navigation(mp)  # (the autouse fixture of tests/conftest.py is per test)
        mp.setattr(widgets, "browser_payload", recording)
        mp.setattr(widgets, "_SAFE_ATTR", "_payload_test_dict")  # figures cached by earlier tests: converted again
        _walk_pages(where)
    return seen


def _walk_pages(where: list[str]) -> None:
    """Every page and tab of the sample cohort, then a slide of presentation mode."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    for page, (key, tabs) in TABS.items():
        where[0] = page
        at.switch_page(page).run()
        for tab in tabs:
            where[0] = f"{page} · {tab}"
            at.session_state[key] = tab
            at.run()
            assert not at.exception, at.exception
    where[0] = "slides"
    at.switch_page("pages/survival.py").run()
    at.sidebar.toggle(key="presentation").set_value(True).run()
    assert not at.exception, at.exception


@pytest.fixture(scope="module")
def plotly_page() -> Iterator[Any]:
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_content("<html><body></body></html>")
        page.add_script_tag(path=str(PLOTLY_JS))
        yield page
        browser.close()


def test_every_kind_of_chart_is_collected(figures: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> None:
    places = {w.split(" · ")[0] for w, _b, _p in figures}
    assert {"pages/cohort.py", "pages/compare.py", "pages/survival.py", "pages/cancer_risk.py", "pages/patient.py",
            "slides"} <= places, places
    baked = [w for w, b, p in figures if "template" in b["layout"] and "template" not in p["layout"]]
    assert len(baked) == len(figures), [w for w, b, p in figures if "template" in p["layout"]]


def test_payload_is_drawn_as_the_figure(figures: list[tuple[str, dict[str, Any], dict[str, Any]]],
                                        plotly_page: Any) -> None:
    different = []
    for where, before, payload in figures:
        a = json.loads(plotly_page.evaluate(DRAW_JS, [before, RESOLVED_JS]))
        b = json.loads(plotly_page.evaluate(DRAW_JS, [payload, RESOLVED_JS]))
        if a != b:
            different.append((where, _first_difference(a, b)))
    assert not different, different


def test_second_react_keeps_the_computed_figure(figures: list[tuple[str, dict[str, Any], dict[str, Any]]],
                                                plotly_page: Any) -> None:
    redrawn = [w for w, _b, p in figures if not plotly_page.evaluate(KEPT_JS, p)]
    assert not redrawn, redrawn
    # and the check can fail: the figure as it was (with its template) is drawn again
    assert not plotly_page.evaluate(KEPT_JS, figures[0][1])


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                return _first_difference(a.get(k), b.get(k), f"{path}.{k}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    return f"{path}: {str(a)[:200]} != {str(b)[:200]}"
