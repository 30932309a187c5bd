"""Benchmark: the meeting bundle of the sample cohort (target < 15 s), figures rendered.

The first build includes starting the local Chromium that kaleido keeps warm; the second
shows the cost once it is warm. Run: ``python -m bench report`` (or
``python bench/bench_report.py``), which prints the time.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import print_table
from core.events import load_events
from core.io import SAMPLE_DIR, load_sample_cohort
from core.report import BundleOptions, build_bundle
from core.view import ViewState, file_sha256


def _build() -> tuple[float, int, list[str]]:
    """(seconds, zip size, stages) of one bundle: every section and figure of the sample view."""
    cohort = load_sample_cohort()
    events = load_events(SAMPLE_DIR / "events.csv")
    view = ViewState().with_values(**{"p.id": events.patient_ids[0]})
    sha = file_sha256((SAMPLE_DIR / "cohort.csv").read_bytes())
    stages: list[str] = []
    t0 = time.perf_counter()
    data = build_bundle(cohort, view, "cohort.csv", sha, BundleOptions(), lambda s, f: stages.append(s), events=events)
    return time.perf_counter() - t0, len(data), stages


def run() -> list[dict]:
    """Time the whole bundle: cold (browser start included), then warm."""
    cold, size, stages = _build()
    warm, _, _ = _build()
    n_fig = sum(s.startswith("Rendering figures") for s in stages)
    print(f"meeting bundle, sample cohort: {cold:.1f} s (first, browser start included), {warm:.1f} s warm; "
          f"{n_fig} figures, {size / 1e6:.1f} MB", file=sys.stderr)
    note = f"{n_fig} figures PNG 300 dpi + SVG, deck, HTML, Word, Excel; {size / 1e6:.1f} MB zip"
    return [
        {"benchmark": "report: meeting bundle, first (browser start)", "n": 119, "seconds": cold, "target_seconds": 15.0, "note": note},
        {"benchmark": "report: meeting bundle, browser warm", "n": 119, "seconds": warm, "target_seconds": 15.0, "note": ""},
    ]


if __name__ == "__main__":
    print_table(run())
