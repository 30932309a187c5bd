"""The course of the patient of Jalles et al. 2020 as a long-format events table.

Jalles C, Deroux A, Tardieu M, et al. Severe MDA5 dermatomyositis associated with cancer
and controlled by JAK inhibitor. Rev Med Interne 2020;41:421-424 (hal-03490360).
A woman aged 62, ex-smoker (40 pack-years), anti-MDA5 dermatomyositis with rapidly
progressive interstitial lung disease.

From the paper (exact): methylprednisolone 2 mg/kg/d (100 mg/d) with polyvalent
immunoglobulins (IVIG) at diagnosis; cyclophosphamide 700 mg/m², 6 courses; monthly IVIG
for 6 months; tapering corticosteroids; at month 5 a cutaneous relapse with
corticodependence at prednisone 30 mg/d, ruxolitinib 15 mg twice daily added; CK
3000 U/L at baseline (normal 29–168); 6-gene interferon score 19 at baseline (positive
above 2.3) and 0.9 at month 9 (prednisone 4 mg/d, no disease activity); at month 12 a
bilateral pulmonary embolism revealed a small-cell lung carcinoma metastatic to the liver;
ruxolitinib stopped, etoposide–carboplatin; death about 2 weeks after that admission.

Illustrative (not in the paper, chosen to be plausible and deterministic): the exact day
of each course, the intermediate prednisone doses of the taper, the CK values after
baseline, the 3-day methylprednisolone-to-prednisone switch at day 21 and the one-day
representation of each cyclophosphamide / IVIG course.

All dates are ``diagnosis_date + DAYS[...]``; months = days / (365.25 / 12).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

DAYS_PER_MONTH = 365.25 / 12


def _m(month: float) -> int:
    """Day offset of a month since diagnosis (rounded to the nearest day)."""
    return int(round(month * DAYS_PER_MONTH))


#: Day offsets (from the diagnosis date) of the key events, for aligning the cohort row.
DAYS: dict[str, int] = {
    "diagnosis": 0,
    "baseline_score": 3,
    "relapse": _m(5),  # 152
    "ruxolitinib_start": _m(5) + 3,
    "month9_score": _m(9),  # 274
    "pulmonary_embolism": _m(12),  # 365
    "cancer": _m(12) + 1,  # 366: histology of the mediastino-hilar mass
    "ruxolitinib_stop": _m(12) + 1,
    "chemotherapy": _m(12) + 3,
    "death": _m(12) + 16,  # 381: about 2 weeks after the admission
}

#: Facts of the cohort row of this patient (for the sample-cohort generator).
PATIENT: dict[str, object] = {
    "sex": "F",
    "age_at_diagnosis": 62.0,
    "anti_mda5": 1.0,
    "antibody_subtype": "MDA5",
    "cancer": 1.0,
    "cancer_site": "small-cell lung carcinoma",
    "death": 1.0,
    "ck_max_ul": 3000.0,
    "smoking_pack_years": 40.0,
}

COLUMNS = ["patient_id", "date", "kind", "name", "value", "unit", "detail"]


def jalles_dates(diagnosis_date: dt.date) -> dict[str, dt.date]:
    """Calendar dates of the key events (cancer_date, death_date, last_followup_date)."""
    d0 = pd.Timestamp(diagnosis_date).date()
    return {
        "cancer_date": d0 + dt.timedelta(days=DAYS["cancer"]),
        "death_date": d0 + dt.timedelta(days=DAYS["death"]),
        "last_followup_date": d0 + dt.timedelta(days=DAYS["death"]),
    }


def jalles_events(patient_id: str, diagnosis_date: dt.date) -> pd.DataFrame:
    """Events table of the Jalles et al. 2020 patient.

    Parameters
    ----------
    patient_id : str
        Identifier of the patient in the sample cohort.
    diagnosis_date : datetime.date
        DM diagnosis date (time zero).

    Returns
    -------
    pandas.DataFrame
        Columns ``patient_id, date, kind, name, value, unit, detail``; ``date`` as ISO
        text (``YYYY-MM-DD``), ``value`` float or NaN. Deterministic.
    """
    d0 = pd.Timestamp(diagnosis_date).date()
    rows: list[tuple[int, str, str, float | None, str, str]] = []

    def add(day: int, kind: str, name: str, value: float | None = None, unit: str = "",
            detail: str = "") -> None:
        rows.append((day, kind, name, value, unit, detail))

    add(0, "event", "diagnosis", detail=(
        "anti-MDA5 dermatomyositis: rapidly progressive interstitial lung disease, Gottron "
        "papules, digital ulcers, dysphagia, dysphonia, weakness 3/5"))
    add(0, "lab", "CK", 3000, "U/L", "normal 29–168 U/L")
    add(0, "treatment_start", "methylprednisolone", 100, "mg/d", "2 mg/kg/d (100 mg/d)")
    # IVIG at diagnosis then monthly for 6 months (one-day courses)
    for k in range(6):
        day = _m(k)
        detail = "polyvalent immunoglobulins at diagnosis" if k == 0 else "monthly polyvalent immunoglobulins"
        add(day, "treatment_start", "IVIG", None, "", f"{detail}, course {k + 1}/6")
        add(day, "treatment_stop", "IVIG")
    add(DAYS["baseline_score"], "score", "interferon_score", 19, "",
        "6-gene RT-qPCR interferon signature; positive (threshold 2.3)")
    # cyclophosphamide 700 mg/m² x 6, monthly, from day 7 (respiratory worsening)
    for k in range(6):
        day = 7 + _m(k)
        add(day, "treatment_start", "cyclophosphamide", 700, "mg/m2",
            f"700 mg/m² IV, course {k + 1}/6")
        add(day, "treatment_stop", "cyclophosphamide")
    # CK declining (illustrative values after baseline)
    for day, ck in ((14, 1200), (_m(1), 420), (_m(2), 160), (_m(3), 95), (_m(6), 80),
                    (_m(9), 70)):
        add(day, "lab", "CK", ck, "U/L", "normal 29–168 U/L")
    # corticosteroids: methylprednisolone then tapering prednisone (a start = dose change)
    add(21, "treatment_stop", "methylprednisolone")
    add(21, "treatment_start", "prednisone", 60, "mg/d", "60 mg/d, tapering")
    add(_m(2), "treatment_start", "prednisone", 45, "mg/d", "45 mg/d, tapering")
    add(_m(3), "treatment_start", "prednisone", 35, "mg/d", "35 mg/d, tapering")
    add(_m(4), "treatment_start", "prednisone", 30, "mg/d", "30 mg/d")
    add(DAYS["relapse"], "event", "relapse", detail=(
        "cutaneous flare; corticodependence at prednisone 30 mg/d"))
    add(DAYS["ruxolitinib_start"], "treatment_start", "ruxolitinib", 30, "mg/d",
        "15 mg twice daily (JAK1/2 inhibitor)")
    add(_m(6), "treatment_start", "prednisone", 20, "mg/d", "20 mg/d, tapering")
    add(_m(7), "treatment_start", "prednisone", 10, "mg/d", "10 mg/d, tapering")
    add(_m(8), "treatment_start", "prednisone", 4, "mg/d", "4 mg/d")
    add(DAYS["month9_score"], "score", "interferon_score", 0.9, "",
        "on ruxolitinib and prednisone 4 mg/d; negative (threshold 2.3)")
    add(DAYS["month9_score"], "event", "remission", detail=(
        "no muscular, pulmonary or cutaneous activity; anti-MDA5 still positive"))
    add(DAYS["pulmonary_embolism"], "event", "pulmonary_embolism", detail=(
        "bilateral pulmonary embolism; CT: mediastino-hilar opacity"))
    add(DAYS["cancer"], "event", "cancer", detail=(
        "small-cell lung carcinoma, metastatic to the liver"))
    add(DAYS["ruxolitinib_stop"], "treatment_stop", "ruxolitinib", detail=(
        "stopped before chemotherapy"))
    add(DAYS["chemotherapy"], "treatment_start", "etoposide-carboplatin", None, "",
        "etoposide–carboplatin, course 1")
    add(DAYS["chemotherapy"] + 2, "treatment_stop", "etoposide-carboplatin")
    add(DAYS["death"], "treatment_stop", "prednisone")
    add(DAYS["death"], "event", "death", detail=(
        "respiratory, hepatic and haemorrhagic failure"))

    rows.sort(key=lambda r: r[0])  # stable: same-day rows keep the order written above
    return pd.DataFrame(
        [
            (str(patient_id), (d0 + dt.timedelta(days=day)).isoformat(), kind, name,
             float("nan") if value is None else float(value), unit, detail)
            for day, kind, name, value, unit, detail in rows
        ],
        columns=COLUMNS,
    )
