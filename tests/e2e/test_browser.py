"""End-to-end: the real app in headless Chromium (Debian's package, driven by Playwright).

Starts ``streamlit run app.py`` on a free local port, uploads the French hospital export,
changes a filter, and reads results on every analysis page, as a newcomer would.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.support import (
    ARTIFACTS,
    ROOT,
    require_chromium,
)
from tests.e2e.support import goto as _goto
from tests.e2e.support import metric as _metric

NET_LOG = ARTIFACTS / "server_outbound.log"
pytestmark = pytest.mark.e2e
require_chromium()

from playwright.sync_api import Page, expect


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def test_1_upload_french_export_and_see_summary(page: Page, server: str) -> None:
    page.goto(server)
    expect(page.locator("h1").filter(has_text="Cohort")).to_be_visible()
    assert _metric(page, "Patients") == "119"  # sample cohort by default
    page.locator('[data-testid="stSidebar"]').get_by_text("My file", exact=True).click()
    page.locator('[data-testid="stSidebar"] input[type="file"][accept*=".csv"]').set_input_files(str(ROOT / "sample_data" / "cohort_fr_export.csv"))
    main = page.locator('[data-testid="stMain"]')
    expect(main).to_contain_text("encoding cp1252", timeout=60_000)  # the French export was read
    expect(main).to_contain_text("decimal comma")
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text("cohort_fr_export.csv — 119 patients")
    expect(page.get_by_text("No problem found.")).to_be_visible()
    assert _metric(page, "Patients") == "119"
    _shot(page, "1_cohort_uploaded")


def test_2_filter_by_subtype_updates_summary_and_url(page: Page) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stMultiSelect"]').first.click()
    page.get_by_role("option", name="anti-Mi2", exact=True).click()
    page.keyboard.press("Escape")
    expect(page.locator('[data-testid="stMetric"]').filter(has_text="Patients").locator('[data-testid="stMetricValue"]')).to_have_text("64")
    page.wait_for_function("() => window.location.search.includes('subtype=Mi2')")
    _shot(page, "2_filtered")


def test_3_compare_page_reads_a_row(page: Page) -> None:
    _goto(page, "Compare groups")
    main = page.locator('[data-testid="stMain"]')
    expect(main).to_contain_text("64 of 119 patients")  # the subtype filter followed us here
    expect(main).to_contain_text("Cancer: yes")  # the default split follows the filter: never an empty group
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Reset filters").click()
    expect(main.locator('[data-testid="stMetricValue"]').nth(1)).to_have_text("55 patients")
    # the table's accessible grid (the same cells the canvas draws): anti-Mi2 vs the rest
    row = main.locator('[data-testid="stDataFrame"] tr[role="row"]').filter(has_text="Gottron papules/sign").first
    expect(row).to_contain_text("21/55 (38.2%)")  # group B of anti-Mi2 vs the rest: the table was redrawn
    cells = row.locator('td[role="gridcell"]').all_text_contents()
    assert cells[:5] == ["Gottron papules/sign", "38/53 (71.7%)", "21/55 (38.2%)", "59/108 (54.6%)", "<.001"], cells  # A, B, Overall, P
    _shot(page, "3_compare")


def test_4_survival_page_shows_the_figure(page: Page) -> None:
    _goto(page, "Survival")
    expect(page.locator('[data-testid="stPlotlyChart"]').first).to_be_visible()
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    _shot(page, "4_survival")


def test_5_cancer_risk_page_reads_the_sir(page: Page) -> None:
    _goto(page, "Cancer risk")
    sir = _metric(page, "SIR")
    assert re.match(r"^\d+\.\d+ \(\d+\.\d+–\d+\.\d+\)$", sir), sir
    _shot(page, "5_cancer_risk")


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on ``port`` (from /proc/net/tcp, tcp6)."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, _remote, state = line.split()[1:4]
            addr, p = local.rsplit(":", 1)
            if state == "0A" and int(p, 16) == port:  # 0A = LISTEN
                found.add(addr)
    return found


def test_6_no_request_leaves_the_machine(page: Page, server: str) -> None:
    """Start-up, upload, every page: the browser asked nothing outside, the server connected
    nowhere outside (no usage statistics, no external-IP lookup), and it listens on this
    computer only (loopback), as the README's "Your data" section says."""
    assert page.external_requests == []  # type: ignore[attr-defined]
    assert NET_LOG.read_text() == "", NET_LOG.read_text()
    addrs = _listening_addresses(int(server.rsplit(":", 1)[1]))
    loopback = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1
    assert addrs and addrs <= loopback, addrs
