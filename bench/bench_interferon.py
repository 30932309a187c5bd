"""Benchmark: interferon scores of a large qPCR table; loading an events table; one course.

Run: ``python -m bench.bench_interferon`` (or ``python bench/bench_interferon.py``).
Targets are interactive budgets (the page reruns on every widget change).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import best_of as _best
from bench.common import print_table
from core.events import load_events, patient_course
from core.interferon import DEFAULT_GENES, interferon_scores


def _qpcr(n_samples: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    genes = (*DEFAULT_GENES, "HPRT1", "18S")
    sid = np.repeat([f"S{i:05d}" for i in range(n_samples)], len(genes) * 2)
    stype = np.where(np.arange(len(sid)) // (len(genes) * 2) < 30, "healthy_control", "patient")
    gene = np.tile(np.repeat(genes, 2), n_samples)
    ct = np.round(rng.normal(25, 3, len(sid)), 3)
    return pd.DataFrame({"sample_id": sid, "sample_type": stype, "gene": gene, "ct": ct})


def _events(n_patients: int, per_patient: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_patients * per_patient
    pid = np.repeat([f"P{i:06d}" for i in range(n_patients)], per_patient)
    day = rng.integers(0, 2000, n)
    dates = (pd.Timestamp("2015-01-01") + pd.to_timedelta(day, unit="D")).strftime("%Y-%m-%d")
    kind = rng.choice(["lab", "score", "event", "treatment_start"], n)
    value = np.where(np.isin(kind, ["lab", "score"]), np.round(rng.uniform(1, 3000, n), 1),
                     np.nan)
    name = np.where(kind == "lab", "CK", np.where(kind == "score", "interferon_score",
                    np.where(kind == "event", "relapse", "prednisone")))
    return pd.DataFrame({"patient_id": pid, "date": dates, "kind": kind, "name": name,
                         "value": value, "unit": "", "detail": ""})




def run() -> list[dict]:
    """Time the interferon and events cores."""
    out: list[dict] = []
    n = 1000
    q = _qpcr(n)
    out.append({
        "benchmark": "interferon: scores from qPCR (8 genes x 2 wells per sample)",
        "n": n, "seconds": _best(lambda: interferon_scores(q)), "target_seconds": 2.0,
        "note": f"{len(q):,} wells; a 384-well plate is ~20 samples",
    })
    n_pat = 5000
    ev = _events(n_pat)
    out.append({
        "benchmark": "events: load_events (validation, stop-before-start check)",
        "n": len(ev), "seconds": _best(lambda: load_events(ev), repeats=2),
        "target_seconds": 5.0, "note": f"{n_pat:,} patients x 40 events",
    })
    table = load_events(ev)
    out.append({
        "benchmark": "events: patient_course of one patient",
        "n": len(ev), "seconds": _best(lambda: patient_course(table, "P000042", "2015-01-01")),
        "target_seconds": 0.5, "note": "selecting a patient on the page",
    })
    return out


if __name__ == "__main__":
    print_table(run())
