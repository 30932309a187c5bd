"""Shared pytest configuration."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _apptest_uses_st_navigation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make AppTest run ``app.py`` (with ``st.navigation``) on every run (see
    :func:`apptest_uses_st_navigation`)."""
    apptest_uses_st_navigation(monkeypatch)


def apptest_uses_st_navigation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make AppTest run ``app.py`` (with ``st.navigation``) on every run; for a
    module-scoped fixture, which the autouse fixture above does not cover.

    Streamlit guesses that an app with a ``pages/`` folder is a legacy (v1) multipage
    app until ``st.navigation`` is first called; the real server remembers the answer
    for the life of the process, but ``AppTest`` resets the guess before each run, and
    then runs a page file alone on reruns, without ``app.py`` and its sidebar. Patch the
    guess to "no pages directory", which is what ``st.navigation`` establishes.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # pragma: no cover
        return
    original = PagesManager.__init__

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)
