"""End-to-end: click to filter (issue 12). The real app in headless Chromium (Debian's
package, driven by Playwright), launched as ``test_browser.py`` launches it (the project's
config, a network recorder on the server, every request of the page recorded).

A click on the anti-Mi2 bar of the Cohort page's subtype chart filters the cohort: the sidebar
shows the filter, the address holds ``subtype=Mi2``, and Compare groups, Survival and Cancer
risk show the 64 anti-Mi2 patients; nothing leaves the machine meanwhile.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.support import (
    ARTIFACTS,
    charts_drawn_twice,
    require_chromium,
)
from tests.e2e.support import goto as _goto
from tests.e2e.support import metric as _metric

NET_LOG = ARTIFACTS / "click_filter_server_outbound.log"
pytestmark = pytest.mark.e2e
require_chromium()

from playwright.sync_api import Page, expect


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"click_filter_{name}.png"), full_page=False)


def test_1_click_the_mi2_bar_filters_the_cohort(page: Page, server: str) -> None:
    page.goto(server)
    expect(page.locator("h1").filter(has_text="Cohort")).to_be_visible()
    assert _metric(page, "Patients") == "119"
    assert charts_drawn_twice(page) == []  # each chart's labels fit its margins: drawn once per change
    chart = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="Antibody subtypes").first
    chart.scroll_into_view_if_needed()
    bars = chart.locator("g.trace.bars").first.locator("g.point path")  # the subtypes' trace (then sex, cancer)
    expect(bars.first).to_be_visible()
    assert bars.count() == 6  # the sample's subtypes, anti-Mi2 first
    box = bars.first.bounding_box()
    assert box is not None
    # plotly's drag layer lies over the bars: click where the bar is, as a user does
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => window.location.search.includes('subtype=Mi2')")
    expect(page.locator('[data-testid="stMetric"]').filter(has_text="Patients").locator('[data-testid="stMetricValue"]')).to_have_text("64")
    sidebar = page.locator('[data-testid="stSidebar"]')
    chosen = sidebar.locator('[data-testid="stMultiSelect"]').first
    expect(chosen).to_contain_text("anti-Mi2")  # the filter shows in the sidebar
    _shot(page, "1_clicked")


def test_2_the_filter_applies_on_every_page(page: Page) -> None:
    main = page.locator('[data-testid="stMain"]')
    for title in ("Compare groups", "Survival", "Cancer risk"):
        _goto(page, title)
        expect(main).to_contain_text("64 of 119 patients")
        page.wait_for_function("() => window.location.search.includes('subtype=Mi2')")  # the address keeps it
        expect(page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first).to_contain_text("anti-Mi2")
        if title == "Survival":  # (Compare's and Cancer risk's first tabs have no chart)
            assert charts_drawn_twice(page) == [], title
        _shot(page, "2_" + title.split()[0].lower())
    for tab in ("Time from DM diagnosis to cancer", "Cumulative incidence of cancer after diagnosis"):
        page.get_by_role("tab", name=tab).click()
        assert charts_drawn_twice(page) == [], tab
    _goto(page, "Patient course")
    assert charts_drawn_twice(page) == []


def test_2b_a_table_downloads_from_its_menu(page: Page) -> None:
    """Each table's files sit in one "⬇ Download" menu (its buttons are drawn when it opens)."""
    _goto(page, "Survival")
    main = page.locator('[data-testid="stMain"]')
    menus = main.locator('[data-testid="stPopoverButton"]').filter(has_text="Download")
    assert menus.count() >= 2  # the figure's (PNG, SVG) and the tables'
    body = page.locator('[data-testid="stPopoverBody"]')
    for i in range(menus.count()):  # the first menu with a table's files
        menus.nth(i).scroll_into_view_if_needed()
        menus.nth(i).click()
        expect(body).to_be_visible()
        if body.get_by_role("button", name="⬇ CSV").count():
            break
        page.keyboard.press("Escape")
    expect(body.get_by_role("button", name="⬇ Excel")).to_be_visible()
    with page.expect_download() as dl:
        body.get_by_role("button", name="⬇ CSV").click()
    path = dl.value.path()
    text = Path(path).read_text(encoding="utf-8-sig")
    assert text.count("\n") >= 2 and "," in text.splitlines()[0], text[:200]
    page.keyboard.press("Escape")


def test_3_no_request_leaves_the_machine(page: Page) -> None:
    assert page.external_requests == []  # type: ignore[attr-defined]
    assert NET_LOG.read_text() == "", NET_LOG.read_text()
