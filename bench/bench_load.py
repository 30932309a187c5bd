"""Load benchmark: 10 concurrent sessions on a 100,000-patient cohort (issue 10).

Starts ``streamlit run app.py`` (the project's own configuration) on a free local port,
opens ``SESSIONS`` browser tabs in Debian's Chromium (one Playwright context each: separate
sessions), uploads the same 100,000-patient cohort in each, then ``ROUNDS`` times changes
the sex filter in *every* tab at once and times, per tab, the change to the rendered page
(same rule as ``bench/bench_browser.py``). It prints the p50/p95 rerun times and the
server's resident memory (``VmRSS`` of the server process) before the sessions, with all
of them loaded, and after they close (at once, then every 10 s for a minute).

Targets (issue 10): p95 < 2 s; memory back within 20 % of the baseline a minute after the
sessions end. Run: ``python -m bench load`` (opt-in: several minutes; ``MYOSCOPE_BENCH_SESSIONS``,
``MYOSCOPE_BENCH_ROUNDS``, ``MYOSCOPE_BENCH_LOAD_N`` tune it).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SETTLED_JS,
    _cohort_file,
    _Finished,
    _settle,
    _sex_input,
    server_process,
)
from bench.common import print_table

OPT_IN = True
SESSIONS = int(os.environ.get("MYOSCOPE_BENCH_SESSIONS", "10"))
ROUNDS = int(os.environ.get("MYOSCOPE_BENCH_ROUNDS", "4"))
N = int(os.environ.get("MYOSCOPE_BENCH_LOAD_N", "100000"))


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (``/proc/<pid>/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _open(browser, url: str):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    page.set_default_timeout(600_000)
    finished = _Finished()
    page.on("websocket", lambda ws, f=finished: ws.on("framereceived", f.frame))
    page.goto(url)
    _settle(page, finished, 0)
    return ctx, page, finished


def _upload(page, finished, path: Path) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    before = finished.count
    sidebar.get_by_text("My file", exact=True).click()
    _settle(page, finished, before)
    sidebar.locator('input[type="file"][accept*=".csv"]').first.set_input_files(str(path))
    sidebar.get_by_text(f"{N} patients").first.wait_for(timeout=900_000)
    page.wait_for_function(SETTLED_JS, polling="raf", timeout=900_000)


def _round(tabs: list, add: bool) -> list[float]:
    """Change the sex filter in every tab at once; seconds to each tab's rendered page."""
    starts = []
    for _ctx, page, finished in tabs:
        box = _sex_input(page)
        box.click()
        if add:
            box.fill("Female")
        before = finished.count
        starts.append((time.perf_counter(), before))
        box.press("Enter" if add else "Backspace")
    out = []
    for (t0, before), (_ctx, page, finished) in zip(starts, tabs, strict=True):
        _settle(page, finished, before, timeout=900)
        out.append(time.perf_counter() - t0)
        page.keyboard.press("Escape")
    return out


def measure() -> tuple[list[float], dict[str, float]]:
    from playwright.sync_api import sync_playwright

    memory: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, server_process() as (url, pid), sync_playwright() as p:
        path = _cohort_file(N, Path(tmp))
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        warm = _open(browser, url)
        warm[0].close()
        time.sleep(2)
        memory["baseline (server started, one visit)"] = rss_mb(pid)
        tabs = [_open(browser, url) for _ in range(SESSIONS)]
        for _ctx, page, finished in tabs:
            _upload(page, finished, path)
        memory[f"{SESSIONS} sessions loaded"] = rss_mb(pid)
        times: list[float] = []
        for r in range(ROUNDS):
            times += _round(tabs, add=r % 2 == 0)
            print(f"  round {r + 1}: p50 {statistics.median(times):.2f} s", file=sys.stderr, flush=True)
        memory["during (after the rounds)"] = rss_mb(pid)
        for ctx, _page, _f in tabs:
            ctx.close()
        browser.close()
        memory["sessions closed (+0 s)"] = rss_mb(pid)
        for k in range(1, 7):
            time.sleep(10)
            memory[f"sessions closed (+{10 * k} s)"] = rss_mb(pid)
    return times, memory


def run() -> list[dict]:
    times, memory = measure()
    q = statistics.quantiles(times, n=20)
    rows = [
        {"benchmark": f"load: filter change, {SESSIONS} concurrent sessions, p50", "n": N, "seconds": statistics.median(times),
         "target_seconds": None, "note": f"{len(times)} changes"},
        {"benchmark": f"load: filter change, {SESSIONS} concurrent sessions, p95", "n": N, "seconds": q[18],
         "target_seconds": 2.0, "note": "target p95 < 2 s"},
    ]
    base = next(iter(memory.values()))
    for what, mb in memory.items():
        rows.append({"benchmark": f"load: server memory, {what}", "n": N, "seconds": float("nan"), "target_seconds": None,
                     "note": f"{mb:,.0f} MB ({mb / base:.2f}× baseline)"})
    last = list(memory.values())[-1]
    rows.append({"benchmark": "load: memory a minute after the sessions end, vs baseline", "n": N, "seconds": float("nan"),
                 "target_seconds": None, "note": f"{100 * (last / base - 1):+.0f}% (target within +20%)"})
    return rows


if __name__ == "__main__":
    print_table(run())
