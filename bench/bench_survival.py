"""Benchmark: Kaplan-Meier + log-rank for two groups over 1,000,000 patients (target < 1 s).

Run: ``python -m bench.bench_survival`` (or ``python bench/bench_survival.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import best_of as _best
from bench.common import print_table
from core.constants import DAYS_PER_MONTH
from core.survival import analyze_survival, kaplan_meier, logrank_test, ph_test


def _data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    grp = rng.integers(0, 2, n)
    t = rng.exponential(60 * (1 + grp), n)
    c = rng.uniform(0, 120, n)
    # follow-up in days converted to months, as survival_data produces
    time = np.ceil(np.minimum(t, c) * DAYS_PER_MONTH) / DAYS_PER_MONTH
    event = (t <= c).astype(np.int8)
    labels = np.where(grp == 0, "A", "B").astype(object)
    return time, event, labels




def run() -> list[dict]:
    """Time the survival core on large synthetic cohorts."""
    out: list[dict] = []
    n = 1_000_000
    t, e, lab = _data(n)
    out.append(
        {
            "benchmark": "survival: KM (2 groups) + log-rank + medians + landmarks",
            "n": n,
            "seconds": _best(lambda: analyze_survival(t, e, lab, ["A", "B"], cox=False)),
            "target_seconds": 1.0,
            "note": "analyze_survival(cox=False), vectorised numpy, ~3650 distinct times",
        }
    )
    out.append(
        {
            "benchmark": "survival: Kaplan-Meier, one curve",
            "n": n,
            "seconds": _best(lambda: kaplan_meier(t, e)),
            "target_seconds": None,
            "note": "Greenwood variance, log CI",
        }
    )
    out.append(
        {
            "benchmark": "survival: log-rank, 2 groups",
            "n": n,
            "seconds": _best(lambda: logrank_test(t, e, lab, ["A", "B"])),
            "target_seconds": None,
            "note": "",
        }
    )
    out.append(
        {
            "benchmark": "survival: full analysis with Cox (Efron) + PH test (cox.zph)",
            "n": n,
            "seconds": _best(lambda: analyze_survival(t, e, lab, ["A", "B"]), repeats=2),
            "target_seconds": 5.0,
            "note": "vectorised Efron Newton + rank score test; lifelines' PH test was quadratic (256 s)",
        }
    )
    sd = np.sort(t)
    x = (lab == "B").astype(float)[np.argsort(t)][:, None]
    ev = e[np.argsort(t)].astype(float)
    out.append(
        {
            "benchmark": "survival: PH test alone (ph_test, rank transform)",
            "n": n,
            "seconds": _best(lambda: ph_test(x, sd, ev, np.array([-0.5]))),
            "target_seconds": 2.0,
            "note": "R cox.zph(transform='rank') score test, O(n log n)",
        }
    )
    return out


if __name__ == "__main__":
    print_table(run())
