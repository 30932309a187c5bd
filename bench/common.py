"""Shared benchmark helpers: best-of-repeats timing and the results table."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any


def best_of(fn: Callable[[], Any], repeats: int = 3) -> float:
    """Best wall-clock time of ``repeats`` calls of ``fn`` (seconds, ``perf_counter``)."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def print_table(rows: Iterable[dict[str, Any]]) -> int:
    """Print benchmark rows (benchmark, n, seconds, target_seconds, note); returns the
    number of rows above their target."""
    print(f"{'benchmark':64} {'n':>10} {'seconds':>9} {'target':>7} {'ok':>4}  note")
    print("-" * 110)
    above = 0
    for r in rows:
        tgt = r.get("target_seconds")
        ok = "" if tgt is None else ("yes" if r["seconds"] <= tgt else "NO")
        above += ok == "NO"
        tgt_text = "" if tgt is None else f"{tgt:.2f}"
        print(f"{r['benchmark'][:64]:64} {r['n']:>10} {r['seconds']:>9.3f} {tgt_text:>7} {ok:>4}  {r.get('note', '')}")
    return above
