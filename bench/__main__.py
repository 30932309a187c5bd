"""Run every benchmark module (``bench/bench_*.py``) and print one table.

Usage: ``python -m bench [NAME ...]`` (e.g. ``python -m bench io survival``). A module
with ``OPT_IN = True`` (``bench_browser``: minutes, drives Chromium) runs only when named
(``python -m bench browser``) or with ``MYOSCOPE_BENCH_BROWSER=1``.
Each module exposes ``run() -> list[dict]`` with keys benchmark, n, seconds,
target_seconds, note. Timings are best-of-repeats wall-clock seconds on this machine.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import print_table


def main(argv: list[str]) -> int:
    names = sorted(p.stem for p in (ROOT / "bench").glob("bench_*.py"))
    if argv:
        names = [n for n in names if n.removeprefix("bench_") in argv or n in argv]
    rows = []
    for name in names:
        mod = importlib.import_module(f"bench.{name}")
        if getattr(mod, "OPT_IN", False) and not argv and os.environ.get("MYOSCOPE_BENCH_BROWSER") != "1":
            print(f"skipping {name} (opt-in: python -m bench {name.removeprefix('bench_')})", file=sys.stderr)
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows += mod.run()
    failed = print_table(rows)
    print(f"\n{len(rows)} benchmarks, {failed} above target")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
