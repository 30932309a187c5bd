"""Benchmark: SIR with age-band splitting for 1,000,000 patients (target < 2 s).

Run: ``python -m bench.bench_cancer_risk`` (or ``python bench/bench_cancer_risk.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import best_of as _best
from bench.common import print_table
from core.cancer_risk import TIME_SINCE_DIAGNOSIS, sir_analysis
from core.cancer_timing import cancer_timing, cumulative_incidence
from core.rates import load_bundled_rates


def _cohort(n: int, seed: int = 0) -> pd.DataFrame:
    """Synthetic cohort: dates, ages 18-90, 35% cancers from 4 years before to 6 after."""
    rng = np.random.default_rng(seed)
    diag = np.datetime64("2000-01-01", "D") + rng.integers(0, 7000, n).astype("timedelta64[D]")
    fu = rng.integers(1, 6000, n).astype("timedelta64[D]")
    cancer = rng.random(n) < 0.35
    cday = np.minimum(rng.integers(-1460, 2190, n).astype("timedelta64[D]"), fu)
    death = rng.random(n) < 0.3
    return pd.DataFrame({
        "patient_id": np.char.add("P", np.arange(n).astype(str)).astype(object),
        "sex": np.where(rng.random(n) < 0.6, "F", "M").astype(object),
        "age_at_diagnosis": rng.uniform(18, 90, n),
        "diagnosis_date": pd.to_datetime(diag),
        "cancer": cancer.astype(float),
        "cancer_date": pd.to_datetime(np.where(cancer, diag + cday, np.datetime64("NaT"))),
        "death": death.astype(float),
        "death_date": pd.to_datetime(np.where(death, diag + fu, np.datetime64("NaT"))),
        "last_followup_date": pd.to_datetime(diag + fu),
        "group": np.where(rng.random(n) < 0.5, "A", "B").astype(object),
    })




def run() -> list[dict]:
    """Time the cancer-risk core on a 1,000,000-patient synthetic cohort."""
    n = 1_000_000
    df = _cohort(n)
    rates = load_bundled_rates()
    return [
        {
            "benchmark": "cancer risk: SIR, ±3 y window, 36 sex x age strata",
            "n": n,
            "seconds": _best(lambda: sir_analysis(df, rates)),
            "target_seconds": 2.0,
            "note": "sir_analysis incl. validation, exclusions, strata and per-patient table",
        },
        {
            "benchmark": "cancer risk: SIR split by a 2-level column",
            "n": n,
            "seconds": _best(lambda: sir_analysis(df, rates, by="group")),
            "target_seconds": None,
            "note": "sir_analysis(by='group')",
        },
        {
            "benchmark": "cancer risk: SIR split by time since diagnosis",
            "n": n,
            "seconds": _best(lambda: sir_analysis(df, rates, 0.0, float("inf"),
                                                  by=TIME_SINCE_DIAGNOSIS)),
            "target_seconds": None,
            "note": "from diagnosis on, 5 time-since-diagnosis bands",
        },
        {
            "benchmark": "cancer risk: timing (median + order-statistic CI)",
            "n": n,
            "seconds": _best(lambda: cancer_timing(df)),
            "target_seconds": None,
            "note": "cancer_timing over ~350,000 cancers",
        },
        {
            "benchmark": "cancer risk: cumulative incidence (Aalen-Johansen + variance), 2 groups",
            "n": n,
            "seconds": _best(lambda: cumulative_incidence(df, labels=df["group"])),
            "target_seconds": 2.0,
            "note": "vectorised delta-method variance (lifelines looped row by row)",
        },
    ]


if __name__ == "__main__":
    print_table(run())
