"""Browser-test fixtures: one app server and one page per test module.

A module sets ``NET_LOG`` (where its server's outbound connections are recorded) and uses
the ``server`` and ``page`` fixtures; see ``support.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.support import ARTIFACTS, app_server, launch, new_page


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    with app_server(getattr(request.module, "NET_LOG", ARTIFACTS / "server_outbound.log")) as url:
        yield url


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        ctx, pg = new_page(browser, server)
        yield pg
        ctx.close()
        browser.close()
