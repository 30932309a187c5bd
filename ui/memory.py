"""Memory returns after sessions end (issue 10).

A closed browser tab leaves its session (and its cohort) on the server until Streamlit
cleans it up (``server.disconnectedSessionTTL``, set short in ``.streamlit/config.toml``).
Streamlit then only forgets it, without shutting it down, and its server loop can
hold the last session it served (see :func:`_sessions`); CPython and glibc keep the freed
memory in their pools. A small janitor thread, started once per server process, shuts
finished sessions down and empties them, and when the number of sessions drops, runs
``gc.collect()`` and asks glibc to give free pages back to the system (``malloc_trim(0)``,
glibc only; a no-op elsewhere). At start it also tunes glibc (:func:`_tune_malloc`) so
that a cohort's columns are memory the system gets back as soon as they are freed.

Python's own small-object allocator (pymalloc) cannot give back a 1 MB arena while one
object in it lives: after ten 100,000-patient sessions a server kept about 26 such arenas
for less than 1 MB of live objects (+21–28 % over its starting memory). Started with
``PYTHONMALLOC=malloc``, as the README's command does, Python allocates from glibc, whose
free pages ``malloc_trim`` returns (+8–13 % in the load benchmark, ``python -m bench
load``); the janitor logs a hint when the server runs without it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import os
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

LOG = logging.getLogger("myoscope")
_STARTED = threading.Event()
#: Seconds between two looks at the number of sessions.
PERIOD = 10.0


#: Pages running now (:func:`page_running`), and the lock that guards the count.
_RUNNING = [0]
_RUNNING_LOCK = threading.Lock()
#: At most this many seconds the janitor waits for the server to be idle before it trims.
IDLE_WAIT = 30.0


@contextmanager
def page_running() -> Iterator[None]:
    """Counts a page run (``ui.state.run_page``): the janitor trims only between runs."""
    with _RUNNING_LOCK:
        _RUNNING[0] += 1
    try:
        yield
    finally:
        with _RUNNING_LOCK:
            _RUNNING[0] -= 1


def _wait_idle(limit: float = IDLE_WAIT) -> None:
    """Wait (at most ``limit`` seconds) until no page is running.

    A trim stops the whole server while it runs: ``gc.collect()`` holds the interpreter
    lock, and ``malloc_trim`` holds glibc's arena locks, which every allocation takes under
    ``PYTHONMALLOC=malloc``. With ten 100,000-patient sessions that is seconds, and a
    filter change that arrived meanwhile waited for all of it (the load benchmark saw ten
    answers of 3.8 s at once). Waiting for a quiet moment keeps the trim out of the users'
    way; a run that starts during the trim waits for it, once.
    """
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with _RUNNING_LOCK:
            idle = _RUNNING[0] == 0
        if idle:
            return
        time.sleep(0.2)


def _trim() -> None:
    _wait_idle()
    started = time.perf_counter()
    gc.collect()
    arrow = sys.modules.get("pyarrow")  # tables sent to the browser go through Arrow's own pool
    if arrow is not None:
        try:
            arrow.default_memory_pool().release_unused()
        except Exception:  # the janitor never disturbs the app
            LOG.debug("memory janitor: Arrow pool not released", exc_info=True)
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass
    LOG.info("memory janitor: collected and trimmed in %.2f s", time.perf_counter() - started)


#: Every session that ran the app, by id (weakly: a session Streamlit let go of goes).
_SEEN: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()


def track_session() -> None:
    """Remember the session of the current run (called by ``app.py`` on each run)."""
    try:
        from streamlit import runtime
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        if ctx is None or not runtime.exists() or ctx.session_id in _SEEN:
            return
        info = runtime.get_instance()._session_mgr.get_active_session_info(ctx.session_id)
        if info is not None:
            _SEEN[ctx.session_id] = info.session
    except Exception:  # the janitor never disturbs the app
        LOG.debug("memory janitor: could not track the session", exc_info=True)


def _sessions() -> int | None:
    """Sessions the server still holds, after releasing the finished ones.

    Streamlit keeps a closed tab's session in a TTL cache that forgets expired entries
    only when it is touched, and forgetting is not shutting down: the session's uploaded
    file, its download callables (which hold the cohort and its results) and its
    dataframe sources stay registered with the server's managers. And a session that is
    shut down can still be held: the server's main loop keeps the last session it visited
    in a local variable (``for active_session_info in ...`` in
    ``Runtime._loop_coroutine``) until it visits another. So the janitor expires the
    cache, and every session it has seen that the server no longer lists is shut down (if
    Streamlit has not done it) and emptied: no cohort, no results, no widget callbacks.
    """
    try:
        from streamlit import runtime

        if not runtime.exists():
            return None
        rt = runtime.get_instance()
        manager = rt._session_mgr
        store = getattr(getattr(manager, "_session_storage", None), "_cache", None)
        if store is not None and hasattr(store, "expire"):
            store.expire()
        live = {info.session.id for info in manager.list_sessions()}
        for sid, session in list(_SEEN.items()):
            if sid not in live:
                _release(rt, session)
                _SEEN.pop(sid, None)
        return len(live)
    except Exception:  # the janitor never disturbs the app
        LOG.debug("memory janitor: could not list sessions", exc_info=True)
        return None


def _release(rt: Any, session: Any) -> None:
    """Shut a finished session down (idempotent) and empty its state, on the server's
    event loop (where Streamlit shuts sessions down)."""

    def close() -> None:
        try:
            session.shutdown()
            state = getattr(session, "_session_state", None)
            if state is not None:  # a new, empty state: widget callbacks and values go too
                session._session_state = type(state)()
        except Exception:  # the janitor never disturbs the app
            LOG.debug("memory janitor: could not release a session", exc_info=True)

    rt._get_async_objs().eventloop.call_soon_threadsafe(close)


def _watch() -> None:
    previous = _sessions() or 0
    again = False
    while True:
        time.sleep(PERIOD)
        now = _sessions()
        if now is None:
            continue
        if now < previous:
            time.sleep(1.0)  # let the event loop run the shutdowns first
            _trim()
            LOG.info("memory returned after %d session(s) ended", previous - now)
            again = True
        elif again:  # what the server's loop and the last runs still held has gone since
            _trim()
            again = False
        previous = now


#: ``mallopt`` parameters (glibc's ``malloc.h``).
M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8
#: Blocks of this size or more get their own memory map, returned when freed (a column of
#: 100,000 numbers is 800 KB); glibc's default threshold grows with the blocks freed, up
#: to 32 MB, after which a freed column stays in the heap, fragmented.
MMAP_THRESHOLD = 256 * 1024


def _tune_malloc() -> None:
    """Fixed mmap threshold (see :data:`MMAP_THRESHOLD`) and at most two malloc arenas
    (Streamlit runs each rerun in a new thread; each thread may get its own arena, up to
    eight per core, each keeping its own free memory; one arena makes the threads wait
    for each other's allocations: 2–3× slower first computations with ten sessions under
    ``PYTHONMALLOC=malloc``). glibc only; a no-op elsewhere."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        libc.mallopt(M_ARENA_MAX, 2)
    except (OSError, AttributeError):  # not glibc
        pass


def start_janitor() -> None:
    """Start the janitor once per server process (idempotent), and let it know the
    current run's session (:func:`track_session`)."""
    track_session()
    if _STARTED.is_set():
        return
    _STARTED.set()
    _tune_malloc()
    if os.environ.get("PYTHONMALLOC") != "malloc":
        LOG.info("memory: start the server with PYTHONMALLOC=malloc (see the README) so that the memory of "
                 "closed sessions goes back to the system in full")
    threading.Thread(target=_watch, name="myoscope-memory-janitor", daemon=True).start()
