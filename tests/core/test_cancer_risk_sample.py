"""The sample cohort reproduces Monseau 2020: anti-Mi2+ SIR 5.1 (3.0-8.6), O = 14, median
diagnosis-to-cancer 61.5 days (default ±3-year window, bundled France rates, log-Wald CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.cancer_risk import sir_analysis
from core.cancer_timing import cancer_timing
from core.rates import load_bundled_rates

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "cohort.csv"
pytestmark = pytest.mark.skipif(not SAMPLE.exists(),
                                reason="sample cohort (sample_data/cohort.csv) not generated yet")


@pytest.fixture(scope="module")
def mi2():
    from core.io import load_sample_cohort

    df = load_sample_cohort().data
    return df[df["anti_mi2"] == 1]


def test_sample_mi2_sir(mi2):
    res = sir_analysis(mi2, load_bundled_rates(), ci_method="wald")
    assert len(mi2) == 64
    assert res.excluded.empty, res.excluded
    assert res.observed == 14
    assert (round(res.sir, 1), round(res.ci_low, 1), round(res.ci_high, 1)) == (5.1, 3.0, 8.6)
    assert res.p_value < 0.001


def test_sample_mi2_timing(mi2):
    t = cancer_timing(mi2)
    assert t.median_days == pytest.approx(61.5)
