"""Records, in the app server, when each rerun request arrives and when its answer leaves.

Loaded by ``bench/bench_load.py`` only (this folder on the server's ``PYTHONPATH``, and
``MYOSCOPE_BENCH_TIMING_LOG`` naming the log): one line per event, ``<session id> <in|out>
<time.perf_counter()>``, where ``in`` is a ``rerun_script`` request handed to the runtime
and ``out`` the ``script_finished`` message written to the session's websocket. The time
between them is the server's share of a filter change, whatever the browsers' load.
"""

from __future__ import annotations

import os
import threading
import time

_LOG = os.environ.get("MYOSCOPE_BENCH_TIMING_LOG")

if _LOG:
    _lock = threading.Lock()

    def _write(session_id: str, what: str) -> None:
        line = f"{session_id} {what} {time.perf_counter():.6f}\n"
        with _lock, open(_LOG, "a", encoding="utf-8") as f:
            f.write(line)

    def _patch() -> None:
        from streamlit.runtime.runtime import Runtime

        handle, send = Runtime.handle_backmsg, Runtime._send_message

        def handle_backmsg(self, session_id, msg, *args, **kwargs):  # type: ignore[no-untyped-def]
            if msg.WhichOneof("type") == "rerun_script":
                _write(session_id, "in")
            return handle(self, session_id, msg, *args, **kwargs)

        def _send_message(self, session_info, msg, *args, **kwargs):  # type: ignore[no-untyped-def]
            result = send(self, session_info, msg, *args, **kwargs)
            if msg.WhichOneof("type") == "script_finished":
                _write(session_info.session.id, "out")
            return result

        Runtime.handle_backmsg = handle_backmsg
        Runtime._send_message = _send_message

    _gc_started: dict[int, float] = {}

    def _gc_pause(phase: str, info: dict) -> None:
        """Python's cyclic collector: each collection of the oldest generation is logged as
        ``gc gen2:<seconds> <time>`` (it stops every session's thread while it runs)."""
        if info.get("generation") != 2:
            return
        if phase == "start":
            _gc_started[0] = time.perf_counter()
        elif 0 in _gc_started:
            _write("gc", f"gen2:{time.perf_counter() - _gc_started.pop(0):.6f}")

    try:
        import gc

        gc.callbacks.append(_gc_pause)
        _patch()
    except Exception as exc:  # noqa: BLE001 - a benchmark aid: never stop the server
        import sys

        sys.stderr.write(f"server_timing: not installed ({exc!r})\n")

_DUMP = os.environ.get("MYOSCOPE_BENCH_MEMORY_DUMP")
if _DUMP:
    import signal

    def _dump(signum: int, frame: object) -> None:
        """On SIGUSR1: what the server holds (Python objects by type, pandas frames, pymalloc)."""
        import collections
        import gc
        import sys

        def run() -> None:
            objs = gc.get_objects()
            kinds = collections.Counter(type(o).__name__ for o in objs)
            frames = [o for o in objs if type(o).__name__ in ("DataFrame", "Series")]
            size = 0
            for f in frames:
                try:
                    size += int(f.memory_usage(deep=False).sum()) if hasattr(f, "columns") else int(f.memory_usage(deep=False))
                except Exception:  # noqa: BLE001, S110 - a diagnostic: skip what cannot be sized
                    pass
            import weakref

            refs = collections.Counter(
                type(o()).__name__ if o() is not None else "(dead)" for o in objs if type(o) is weakref.ReferenceType)
            big = sorted(((sys.getsizeof(o), type(o).__name__) for o in objs if isinstance(o, (dict, list, bytes, bytearray))), reverse=True)[:5]
            with open(_DUMP, "a", encoding="utf-8") as f:
                f.write(f"== {time.perf_counter():.1f} objects {len(objs)} frames {len(frames)} ({size / 1e6:.1f} MB) "
                        f"threads {threading.active_count()}\n{kinds.most_common(15)}\nbiggest containers {big}\n"
                        f"weak references to {refs.most_common(8)}\n")
                r, w = os.pipe()
                old = os.dup(2)
                os.dup2(w, 2)
                try:
                    sys._debugmallocstats()
                finally:
                    os.dup2(old, 2)
                    os.close(w)
                out = b""
                while chunk := os.read(r, 1 << 16):
                    out += chunk
                os.close(r)
                f.write("\n".join(l for l in out.decode().splitlines() if "arenas allocated current" in l or "bytes in allocated blocks" in l or "bytes in available blocks" in l or "free pools" in l) + "\n")

        threading.Thread(target=run).start()

    signal.signal(signal.SIGUSR1, _dump)
