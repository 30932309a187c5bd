"""Generate ``sample_data/qpcr_example.csv``: a synthetic whole-blood RT-qPCR plate.

Run: ``python sample_data/make_qpcr_example.py`` (seeded, deterministic).

Nine healthy controls (HC01–HC09) and four patient samples, each gene in duplicate wells
(the wells of a pair are ``c ± e`` so their mean is the intended Ct before rounding to
three decimals). The patient samples are built backwards from chosen fold changes so that
their interferon scores (:func:`core.interferon.interferon_scores`, default settings) are:

* ``MDA5-M0``: 19.0 — the baseline sample of the Jalles et al. 2020 patient (positive);
* ``MDA5-M9``: 0.9 — the same patient after nine months of ruxolitinib (negative);
* ``PT-A``: 4.2 (positive) and ``PT-B``: 1.3 (negative), two other patients.

With rounding of the Ct to three decimals the scores match these values to about 0.1%.
Columns: ``well``, ``sample_id``, ``sample_type``, ``gene``, ``ct`` (the ``well`` column
is not used by the score).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20200421
OUT = Path(__file__).resolve().parent / "qpcr_example.csv"
GENES = ("IFI27", "IFI44L", "IFIT1", "ISG15", "RSAD2", "SIGLEC1")
REFS = ("HPRT1", "18S")
#: Typical ΔCt (gene − mean reference Ct) of healthy whole blood (illustrative).
BASE_DCT = {"IFI27": 12.0, "IFI44L": 9.0, "IFIT1": 8.5, "ISG15": 7.0, "RSAD2": 9.5,
            "SIGLEC1": 11.0}
#: Fold changes of the patient samples, gene by gene (the score is their median).
PATIENT_FC: dict[str, dict[str, float]] = {
    "MDA5-M0": {"IFI27": 66.0, "IFI44L": 41.5, "IFIT1": 8.4, "ISG15": 12.6, "RSAD2": 17.2,
                "SIGLEC1": 20.8},  # median (17.2 + 20.8) / 2 = 19.0
    "MDA5-M9": {"IFI27": 1.6, "IFI44L": 1.2, "IFIT1": 0.7, "ISG15": 0.5, "RSAD2": 0.85,
                "SIGLEC1": 0.95},  # median (0.85 + 0.95) / 2 = 0.9
    "PT-A": {"IFI27": 11.3, "IFI44L": 7.0, "IFIT1": 2.8, "ISG15": 1.9, "RSAD2": 3.9,
             "SIGLEC1": 4.5},  # median (3.9 + 4.5) / 2 = 4.2
    "PT-B": {"IFI27": 2.5, "IFI44L": 1.9, "IFIT1": 1.0, "ISG15": 0.8, "RSAD2": 1.2,
             "SIGLEC1": 1.4},  # median (1.2 + 1.4) / 2 = 1.3
}


def build(seed: int = SEED) -> pd.DataFrame:
    """The plate as a DataFrame (one row per well)."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, str, str, float]] = []

    def wells(sid: str, stype: str, gene: str, ct: float) -> None:
        e = abs(float(rng.normal(0, 0.08)))
        rows.append((sid, stype, gene, round(ct + e, 3)))
        rows.append((sid, stype, gene, round(ct - e, 3)))

    def ref_cts() -> tuple[float, float]:
        return float(rng.normal(26.0, 0.7)), float(rng.normal(11.0, 0.5))

    def pair_mean(end: int) -> float:
        """Mean Ct of the two wells rows[end - 2], rows[end - 1] (end <= 0)."""
        a, b = rows[len(rows) + end - 2][3], rows[len(rows) + end - 1][3]
        return (a + b) / 2

    def reference_ct() -> float:
        """Mean of the two reference genes' mean Ct (the last four wells)."""
        return (pair_mean(-2) + pair_mean(0)) / 2

    # healthy controls
    control_dct: dict[str, list[float]] = {g: [] for g in GENES}
    for i in range(1, 10):
        sid = f"HC{i:02d}"
        hprt, r18 = ref_cts()
        wells(sid, "healthy_control", "HPRT1", hprt)
        wells(sid, "healthy_control", "18S", r18)
        ref = reference_ct()
        for g in GENES:
            dct = BASE_DCT[g] + float(rng.normal(0, 0.6))
            wells(sid, "healthy_control", g, ref + dct)
            control_dct[g].append(pair_mean(0) - ref)
    # median control RQ on the linear scale (odd number of controls)
    median_rq = {g: float(np.median([2.0 ** -d for d in control_dct[g]])) for g in GENES}

    for sid, fcs in PATIENT_FC.items():
        hprt, r18 = ref_cts()
        wells(sid, "patient", "HPRT1", hprt)
        wells(sid, "patient", "18S", r18)
        ref = reference_ct()
        for g in GENES:
            # FC = 2^-dCt / median_rq  ->  dCt = -log2(FC * median_rq)
            dct = -math.log2(fcs[g] * median_rq[g])
            wells(sid, "patient", g, ref + dct)

    df = pd.DataFrame(rows, columns=["sample_id", "sample_type", "gene", "ct"])
    letters = "ABCDEFGHIJKLMNOP"
    df.insert(0, "well", [f"{letters[i // 24]}{i % 24 + 1}" for i in range(len(df))])
    return df


def main() -> None:
    """Write the CSV and print the scores it gives."""
    df = build()
    df.to_csv(OUT, index=False)
    try:
        import sys

        sys.path.insert(0, str(OUT.parent.parent))
        from core.interferon import interferon_scores

        print(interferon_scores(df).scores.to_string(index=False))
    except ImportError:  # pragma: no cover
        pass
    print(f"wrote {OUT} ({len(df)} wells)")


if __name__ == "__main__":
    main()
