"""Memory returns after sessions end (issue 10).

A closed browser tab leaves its session (and its cohort) on the server until Streamlit
cleans it up (``server.disconnectedSessionTTL``, set short in ``.streamlit/config.toml``).
Even then, CPython and glibc keep the freed memory in their pools. A small janitor thread,
started once per server process, watches the number of sessions: when it drops, it runs
``gc.collect()`` and asks glibc to give free pages back to the system
(``malloc_trim(0)``, glibc only; a no-op elsewhere). Nothing else is touched.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import threading
import time

LOG = logging.getLogger("myoscope")
_STARTED = threading.Event()
#: Seconds between two looks at the number of sessions.
PERIOD = 10.0


def _trim() -> None:
    gc.collect()
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _sessions() -> int | None:
    """Sessions the server still holds, after dropping the disconnected ones whose time is
    up: Streamlit keeps them in a TTL cache that forgets expired entries only when it is
    touched, so an idle server would keep closed sessions (and their cohorts) for ever."""
    try:
        from streamlit import runtime

        if not runtime.exists():
            return None
        manager = runtime.get_instance()._session_mgr
        store = getattr(getattr(manager, "_session_storage", None), "_cache", None)
        if store is not None and hasattr(store, "expire"):
            store.expire()
        return len(manager.list_sessions())
    except Exception:  # noqa: BLE001 - the janitor never disturbs the app
        return None


def _watch() -> None:
    previous = _sessions() or 0
    while True:
        time.sleep(PERIOD)
        now = _sessions()
        if now is None:
            continue
        if now < previous:
            _trim()
            LOG.info("memory returned after %d session(s) ended", previous - now)
        previous = now


def start_janitor() -> None:
    """Start the janitor once per server process (idempotent)."""
    if _STARTED.is_set():
        return
    _STARTED.set()
    threading.Thread(target=_watch, name="myoscope-memory-janitor", daemon=True).start()
