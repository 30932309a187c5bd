"""The memory janitor releases finished sessions (issue 10, "memory returns").

Streamlit forgets a closed tab's session without shutting it down, and its server loop
can hold the last session it served; the janitor shuts every finished session down and
replaces its state by an empty one, so the cohort, the results and the widget callbacks
go. Checked here on stand-ins for Streamlit's runtime (the load benchmark,
``python -m bench load``, measures the memory of a real server).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ui import memory


class _State(dict):
    """A session state stand-in holding a cohort."""


class _Session:
    def __init__(self, sid: str) -> None:
        self.id = sid
        self.shut = 0
        self._session_state = _State(cohort="100,000 patients")

    def shutdown(self) -> None:
        self.shut += 1


class _Store:
    def __init__(self) -> None:
        self.expired = 0

    def expire(self) -> list:
        self.expired += 1
        return []


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):
    live: list[_Session] = []
    store = _Store()
    manager = SimpleNamespace(list_sessions=lambda: [SimpleNamespace(session=s) for s in live],
                              _session_storage=SimpleNamespace(_cache=store))
    loop = SimpleNamespace(call_soon_threadsafe=lambda fn: fn())
    rt = SimpleNamespace(_session_mgr=manager, _get_async_objs=lambda: SimpleNamespace(eventloop=loop))
    from streamlit import runtime

    monkeypatch.setattr(runtime, "exists", lambda: True)
    monkeypatch.setattr(runtime, "get_instance", lambda: rt)
    monkeypatch.setattr(memory, "_SEEN", {})
    return live, store


def test_finished_session_is_shut_down_and_emptied(server) -> None:
    live, store = server
    a, b = _Session("a"), _Session("b")
    live += [a, b]
    memory._SEEN.update({"a": a, "b": b})
    assert memory._sessions() == 2
    assert a.shut == b.shut == 0 and a._session_state

    live.remove(a)  # tab closed and its time is up: the server no longer lists it
    assert memory._sessions() == 1
    assert store.expired == 2  # Streamlit's TTL store is expired at each look
    assert a.shut == 1
    assert not a._session_state, "the finished session still holds its state"
    assert "a" not in memory._SEEN
    assert b.shut == 0 and b._session_state["cohort"], "a live session was touched"


def test_a_failing_release_does_not_stop_the_janitor(server) -> None:
    _live, _store = server

    class Broken(_Session):
        def shutdown(self) -> None:
            raise RuntimeError("already closed")

    gone = Broken("x")
    memory._SEEN["x"] = gone
    assert memory._sessions() == 0
    assert "x" not in memory._SEEN


def test_memory_is_returned_when_sessions_end_and_once_more_a_period_later(monkeypatch: pytest.MonkeyPatch) -> None:
    counts = iter([3, 3, 1, 1, 1, 2, 2])  # the first look, then one per period
    trims: list[int] = []
    looks: list[int] = []

    class Stop(Exception):
        pass

    def look() -> int:
        try:
            looks.append(next(counts))
        except StopIteration:
            raise Stop from None
        return looks[-1]

    monkeypatch.setattr(memory, "_sessions", look)
    monkeypatch.setattr(memory, "_trim", lambda: trims.append(len(looks)))
    monkeypatch.setattr(memory.time, "sleep", lambda s: None)
    with pytest.raises(Stop):
        memory._watch()
    assert trims == [3, 4], "memory is returned when sessions end (look 3) and again at the next look only"


def test_the_readme_starts_the_server_with_the_system_allocator_and_the_log_says_when_not(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Python's small-object pools keep memory that glibc would give back: the README's
    command (and the benchmarks' server) set ``PYTHONMALLOC=malloc``, and a server started
    without it says so in its log."""
    from pathlib import Path

    from bench.bench_browser import server_process

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "&& PYTHONMALLOC=malloc .venv/bin/streamlit run app.py\n" in readme
    assert "PYTHONMALLOC" in (server_process.__doc__ or "")

    started = memory.threading.Event()
    monkeypatch.setattr(memory, "_STARTED", started)
    monkeypatch.setattr(memory.threading, "Thread", lambda **kw: SimpleNamespace(start=lambda: None))
    monkeypatch.setattr(memory, "track_session", lambda: None)
    monkeypatch.delenv("PYTHONMALLOC", raising=False)
    with caplog.at_level("INFO", logger="myoscope"):
        memory.start_janitor()
    assert "PYTHONMALLOC=malloc" in caplog.text
    caplog.clear()
    monkeypatch.setattr(memory, "_STARTED", memory.threading.Event())
    monkeypatch.setenv("PYTHONMALLOC", "malloc")
    with caplog.at_level("INFO", logger="myoscope"):
        memory.start_janitor()
    assert "PYTHONMALLOC" not in caplog.text


def test_the_trim_waits_for_the_pages_that_are_running() -> None:
    """A trim stops the server while it runs (GIL, glibc's arena locks): it waits for a
    moment when no page is running, at most ``limit`` seconds."""
    import threading
    import time

    release = threading.Event()

    def page() -> None:
        with memory.page_running():
            release.wait(5)

    worker = threading.Thread(target=page)
    worker.start()
    time.sleep(0.05)
    threading.Timer(0.6, release.set).start()
    t0 = time.perf_counter()
    memory._wait_idle(limit=5)
    waited = time.perf_counter() - t0
    worker.join()
    assert 0.4 < waited < 3, waited  # returned when the page ended, not before, not at the limit
    with memory.page_running():  # a page that never ends: the trim goes ahead after the limit
        t0 = time.perf_counter()
        memory._wait_idle(limit=0.3)
        assert 0.25 < time.perf_counter() - t0 < 2
    assert memory._RUNNING[0] == 0
