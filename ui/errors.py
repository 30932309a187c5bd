"""Errors are explained, never dumped: a guard around the sidebar and every page.

Any unexpected exception while drawing a page becomes a short message on screen (what
went wrong, that the cohort is still loaded, what to try) and its traceback goes to the
server log only (logger ``myoscope``). Streamlit's own control flow (``st.stop``,
``st.rerun``) derives from ``BaseException`` and passes through untouched.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import streamlit as st

from core.i18n import _
from core.safe_text import md

LOG = logging.getLogger("myoscope")


@contextlib.contextmanager
def guarded(where: str) -> Iterator[None]:
    """Show a plain-words message instead of a traceback for failures inside the block."""
    try:
        yield
    except Exception as exc:
        LOG.exception("Unexpected error in %s", where)
        st.error(_(
            "Something went wrong in {where} ({error}). Your cohort is still loaded: "
            "try another option, or open another page. The details were written to the server log.",
            where=where, error=md(type(exc).__name__)))
