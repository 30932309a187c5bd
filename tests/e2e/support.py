"""What every browser test shares: the app server, Chromium, and a few page helpers.

The server is ``streamlit run app.py`` with the project's own ``.streamlit/config.toml``
(localhost only, no usage statistics) on a free port, with the outbound-connection
recorder of ``netguard/`` loaded (``MYOSCOPE_NET_LOG``), so each test module can prove
that nothing left the machine. Chromium is Debian's, driven by Playwright through
``executable_path`` (Playwright's own browser download cannot work here).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bench.bench_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SETTLED_JS,
    free_port,
    wait_healthy,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"


def require_chromium() -> None:
    """Skip the module without Chromium; in CI its absence is an error, never a skip."""
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        raise RuntimeError(f"Chromium not found at {CHROMIUM}: the browser tests cannot run (apt-get install chromium).")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)


@contextmanager
def app_server(net_log: Path) -> Iterator[str]:
    """The app on a free local port, its outbound connections recorded in ``net_log``."""
    port = free_port()
    net_log.parent.mkdir(parents=True, exist_ok=True)
    net_log.unlink(missing_ok=True)
    net_log.touch()
    env = {**os.environ, "MYOSCOPE_NET_LOG": str(net_log),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "tests" / "e2e" / "netguard"), os.environ.get("PYTHONPATH", "")])}
    env.pop("STREAMLIT_SERVER_ADDRESS", None)
    env.pop("STREAMLIT_BROWSER_GATHER_USAGE_STATS", None)
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def launch(p: Any) -> Any:
    """Headless Debian Chromium with the flags that keep it off the network."""
    return p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def new_page(browser: Any, server: str, width: int = 1400, height: int = 1000) -> tuple[Any, Any]:
    """A fresh context (no cookies, no session) and its page; requests that leave the
    machine are collected in ``page.external_requests``."""
    ctx = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    external: list[str] = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith((server, "data:", "blob:")) else None)
    page.external_requests = external
    return ctx, page


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def metric(page: Any, label: str) -> str:
    from playwright.sync_api import expect

    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    expect(box).to_be_visible()
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def goto(page: Any, title: str) -> None:
    from playwright.sync_api import expect

    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
    expect(page.locator("h1").filter(has_text=re.compile(title.split()[0], re.IGNORECASE)).first).to_be_visible()


def pick(page: Any, scope: str, option: str, close: bool = False) -> None:
    """Choose ``option`` in the select / multiselect whose container has class ``scope``
    (again if a rerun redrew the widget while its list was opening); ``close`` presses
    Escape afterwards (a multiselect's list stays open)."""
    from playwright.sync_api import Error as PlaywrightError

    for attempt in range(4):
        page.locator(scope).locator('button[aria-label="Open"]').first.click()
        opt = page.get_by_role("option", name=option, exact=True)
        try:
            opt.wait_for(state="visible", timeout=5_000)
            opt.click()
            break
        except PlaywrightError:
            page.keyboard.press("Escape")
            if attempt == 3:
                raise
    if close:
        page.keyboard.press("Escape")


#: Titles of the page's plotly charts whose margins plotly.js had to widen (``automargin``):
#: such a chart is drawn twice on every change, which doubled the Cohort page's drawing time.
PUSHED_MARGINS_JS = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')]
  .filter(g => g._fullLayout && ['l', 'r', 't', 'b'].some(s => g._fullLayout._size[s] !== g._fullLayout.margin[s]))
  .map(g => (g._fullLayout.title && g._fullLayout.title.text) || '(untitled)')"""


def charts_drawn_twice(page: Any) -> list[str]:
    """The charts of the page drawn twice per change because a label did not fit."""
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .main-svg').length > 0")
    page.wait_for_function(SETTLED_JS)  # every chart drawn, nothing stale
    return list(page.evaluate(PUSHED_MARGINS_JS))
