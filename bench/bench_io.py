"""Benchmark: reading and validating a 100,000-patient cohort CSV (target < 3 s).

The file is the sample cohort's format (ISO dates, 1/0 codes, ~45 columns) written with
French-export conventions too (``;``, decimal comma, oui/non, dd/mm/yyyy) — the slower path.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import best_of as _best
from bench.common import print_table
from core.io import SAMPLE_DIR, read_cohort, sample_dictionary


def _big(n: int, french: bool) -> bytes:
    """The sample cohort resampled to ``n`` patients (new ids), as file bytes."""
    name = "cohort_fr_export.csv" if french else "cohort.csv"
    enc = "cp1252" if french else "utf-8"
    sep = ";" if french else ","
    base = pd.read_csv(SAMPLE_DIR / name, sep=sep, encoding=enc, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(0)
    big = base.iloc[rng.integers(0, len(base), n)].reset_index(drop=True)
    big.iloc[:, 0] = [f"B{i:07d}" for i in range(n)]
    return big.to_csv(index=False, sep=sep).encode(enc)




def run() -> list[dict]:
    """Time read + type + validate at 100,000 patients, both file styles."""
    out = []
    dic = sample_dictionary()
    for french in (False, True):
        data = _big(100_000, french)
        fname = "big_fr.csv" if french else "big.csv"
        cohort = read_cohort(data, fname, dictionary=dic)
        assert len(cohort.data) == 100_000 and not cohort.errors
        ours = _best(lambda d=data, f=fname: read_cohort(d, f, dictionary=dic))
        out.append({
            "benchmark": f"import: read + type + validate ({'French export' if french else 'canonical CSV'})",
            "n": 100_000,
            "seconds": ours,
            "target_seconds": 3.0,
            "note": f"{len(data) / 1e6:.0f} MB, {cohort.data.shape[1]} columns",
        })
        if not french:
            plain = _best(lambda d=data: pd.read_csv(io.BytesIO(d)))
            out.append({
                "benchmark": "import: pandas.read_csv of the same file (reference)",
                "n": 100_000,
                "seconds": plain,
                "target_seconds": None,
                "note": f"read_cohort = {ours / plain:.1f}x read_csv (issue 12 target: <= 2x)",
            })
    return out


if __name__ == "__main__":
    print_table(run())
