"""End-to-end: click to filter (issue 12). The real app in headless Chromium (Debian's
package, driven by Playwright), launched as ``test_browser.py`` launches it (the project's
config, a network recorder on the server, every request of the page recorded).

A click on the anti-Mi2 bar of the Cohort page's subtype chart filters the cohort: the sidebar
shows the filter, the address holds ``subtype=Mi2``, and Compare groups, Survival and Cancer
risk show the 64 anti-Mi2 patients; nothing leaves the machine meanwhile.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"
NET_LOG = ARTIFACTS / "click_filter_server_outbound.log"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

pytestmark = pytest.mark.e2e

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"Chromium not found at {CHROMIUM}: the browser tests cannot run (apt-get install chromium).")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = _free_port()
    NET_LOG.unlink(missing_ok=True)
    NET_LOG.parent.mkdir(parents=True, exist_ok=True)
    NET_LOG.touch()
    # the project's .streamlit/config.toml as is: localhost only, no usage statistics
    env = {**os.environ, "MYOSCOPE_NET_LOG": str(NET_LOG),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "tests" / "e2e" / "netguard"), os.environ.get("PYTHONPATH", "")])}
    env.pop("STREAMLIT_SERVER_ADDRESS", None)
    env.pop("STREAMLIT_BROWSER_GATHER_USAGE_STATS", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
        raise RuntimeError(f"streamlit did not start:\n{out}")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[Page]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = ctx.new_page()
        pg.set_default_timeout(60_000)
        external: list[str] = []
        pg.on("request", lambda r: external.append(r.url) if not r.url.startswith((server, "data:", "blob:")) else None)
        pg.external_requests = external  # type: ignore[attr-defined]
        yield pg
        ctx.close()
        browser.close()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"click_filter_{name}.png"), full_page=False)


def _metric(page: Page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    expect(box).to_be_visible()
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def _goto(page: Page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
    expect(page.locator("h1").filter(has_text=re.compile(title.split()[0], re.IGNORECASE)).first).to_be_visible()


def test_1_click_the_mi2_bar_filters_the_cohort(page: Page, server: str) -> None:
    page.goto(server)
    expect(page.locator("h1").filter(has_text="Cohort")).to_be_visible()
    assert _metric(page, "Patients") == "119"
    chart = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="Antibody subtypes").first
    chart.scroll_into_view_if_needed()
    bars = chart.locator("g.trace.bars g.point path")
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
        _shot(page, "2_" + title.split()[0].lower())


def test_3_no_request_leaves_the_machine(page: Page) -> None:
    assert page.external_requests == []  # type: ignore[attr-defined]
    assert NET_LOG.read_text() == "", NET_LOG.read_text()
