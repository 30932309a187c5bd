"""End-to-end: the app in French (issue 13), in Debian's Chromium through Playwright.

One local server for the module (the same launch as ``test_browser.py``: the project's
config, a network recorder on the server). The paper's Figure 1 view (anti-Mi2, survival
split by cancer) is opened from its preset, the language is switched to Français in the
sidebar, and the page reads "P = 0,008": the same log-rank test, French conventions.
"""

from __future__ import annotations

import pytest

from tests.e2e.support import (
    ARTIFACTS,
    require_chromium,
)
from tests.e2e.support import pick as _pick

NET_LOG = ARTIFACTS / "french_server_outbound.log"
pytestmark = pytest.mark.e2e
require_chromium()

from playwright.sync_api import Page, expect


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def test_figure_1_in_french_reads_p_0_008(page: Page, server: str) -> None:
    page.goto(server)
    sidebar = page.locator('[data-testid="stSidebar"]')
    main = page.locator('[data-testid="stMain"]')
    expect(page.locator("h1").filter(has_text="Cohort")).to_be_visible()
    sidebar.get_by_role("button", name="Monseau 2020 · Figure 1").click()  # the paper's Figure 1 view
    expect(page.locator("h1").filter(has_text="Survival")).to_be_visible()
    expect(main).to_contain_text("P = .008", timeout=60_000)  # English first: the log-rank test of Figure 1

    _pick(page, ".st-key-ui_lang", "Français")  # the sidebar's language choice
    expect(page.locator("h1").filter(has_text="Survie")).to_be_visible()
    expect(main).to_contain_text("P = 0,008", timeout=60_000)
    expect(main).to_contain_text("Test du log-rank")
    page.wait_for_function("() => new URLSearchParams(window.location.search).get('lang') === 'fr'")
    assert "P = .008" not in main.inner_text()
    # every widget shows its French words (the browser was sent each value again)
    expect(page.locator(".st-key-surv_group_kind input")).to_have_value("Une colonne oui/non (p. ex. cancer, anti-Mi2)")
    expect(page.locator(".st-key-surv_origin input")).to_have_value("Date du diagnostic de DM")
    expect(page.locator(".st-key-surv_unit input[type=radio]:checked")).to_have_count(1)
    _shot(page, "french_1_figure_1")

    # and the next rerun still reads the same view: a change of unit, the same test
    page.locator(".st-key-surv_unit").get_by_text("mois", exact=True).click()
    expect(main).to_contain_text("Temps depuis le diagnostic de DM (mois)", timeout=60_000)
    expect(main).to_contain_text("P = 0,008")
    expect(page.locator(".st-key-surv_group_kind input")).to_have_value("Une colonne oui/non (p. ex. cancer, anti-Mi2)")

    # the address carries the language: a fresh tab on the same address opens in French
    fresh = page.context.new_page()
    fresh.goto(page.url)
    expect(fresh.locator("h1").filter(has_text="Survie")).to_be_visible()
    expect(fresh.locator('[data-testid="stMain"]')).to_contain_text("P = 0,008", timeout=60_000)
    fresh.close()

    assert page.external_requests == []  # type: ignore[attr-defined]
    assert NET_LOG.read_text() == "", NET_LOG.read_text()
