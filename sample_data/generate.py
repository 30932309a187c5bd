"""Generate the synthetic sample cohort of Myoscope (seeded, reproducible).

Run ``python sample_data/generate.py`` from the repository root; it rewrites
``cohort.csv``, ``cohort_fr_export.csv``, ``dictionary.csv`` and ``events.csv`` here.

The cohort is synthetic. It reproduces the published figures of Monseau et al. 2020
(J Am Acad Dermatol 83:1759) listed in ``monseau2020_table1.csv`` and
``../docs/sample_cohort.md``:

* 119 DM patients: 64 anti-Mi2+ and 55 anti-Mi2− controls; control antibodies as
  published (anti-MDA5 9/37 tested, anti-NXP2 3/31, anti-SAE 3/31, anti-TIF1γ 5/32,
  the other 35 controls seronegative).
* every Table I feature with exactly the published n/N per group (the other patients
  missing); anti-Mi2+ age median 55.5 (quartiles 38.1/65.8, R type 7), 39/64 women; CK
  exactly the published median (IQR), 3748 (1159–8799) vs 1680 (893–5818), Mann-Whitney
  P = .23 (:func:`ck_values`).
* 14 cancers among anti-Mi2+ patients, all within 3 years of the DM diagnosis, all but
  one in patients older than 50, median 61.5 days from DM diagnosis to cancer.
* follow-up and deaths tuned so that, with the bundled France rates and the default
  ±3-year window, the anti-Mi2+ log-Wald SIR is 5.1 (3.0–8.6), and survival of anti-Mi2+
  patients with vs without cancer differs with log-rank P = .008.
* the anti-MDA5 patient of Jalles et al. 2020 (``MYO-070``) with her course in
  ``events.csv``.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

SEED = 2020
INCLUSION_START = date(2013, 7, 1)
INCLUSION_END = date(2017, 1, 31)
JALLES_ID = "MYO-070"

CENTRES = [
    "Paris Pitié-Salpêtrière", "Paris Saint-Louis", "Paris Cochin", "Paris Henri-Mondor",
    "Strasbourg", "Lille", "Dijon", "Toulouse", "Rouen", "Rennes", "Lyon", "Bordeaux",
    "Marseille", "Montpellier", "Nantes", "Grenoble",
]

# French headers of the hospital export (also used as dictionary synonyms).
FRENCH = {
    "patient_id": "Identifiant", "center": "Centre", "sex": "Sexe",
    "birth_date": "Date de naissance", "age_at_diagnosis": "Âge au diagnostic",
    "diagnosis_date": "Date de diagnostic", "anti_mi2": "Anti-Mi2", "anti_mda5": "Anti-MDA5",
    "anti_tif1g": "Anti-TIF1 gamma", "anti_nxp2": "Anti-NXP2", "anti_sae": "Anti-SAE",
    "alopecia": "Alopécie", "calcinosis": "Calcinose cutanée", "panniculitis": "Panniculite",
    "skin_ulceration": "Ulcérations cutanées", "mechanic_hands": "Mains de mécanicien",
    "heliotrope": "Érythème héliotrope", "gottron": "Papules de Gottron",
    "periungual_erythema": "Érythème péri-unguéal", "holster_sign": "Signe du holster",
    "classic_dm_rash_only": "Éruption classique isolée", "myalgia": "Myalgies",
    "proximal_weakness": "Déficit proximal", "severe_weakness": "Déficit sévère (MRC <= 3)",
    "elevated_ck": "CK élevées", "myopathic_emg": "EMG myogène",
    "abnormal_muscle_mri": "IRM musculaire anormale", "mri_t2_hypersignal": "Hypersignal T2",
    "mri_t1_fat_replacement": "Involution graisseuse T1", "raynaud": "Phénomène de Raynaud",
    "arthritis": "Arthrites/arthralgies", "dyspnea": "Dyspnée",
    "ild": "PID (scanner thoracique)", "fev_lt_70": "VEMS < 70 %", "fvc_lt_70": "CVF < 70 %",
    "dlco_lt_70": "DLCO < 70 %", "myositis_specific_antibody": "Anticorps spécifique de myosite",
    "ck_max_ul": "CK max (UI/L)", "cancer": "Cancer", "cancer_date": "Date du cancer",
    "cancer_site": "Site du cancer", "death": "Décès", "death_date": "Date du décès",
    "last_followup_date": "Date des dernières nouvelles",
}

# Days from DM diagnosis to cancer, anti-Mi2+ (median of 14 = (50 + 73) / 2 = 61.5).
MI2_CANCER_OFFSETS = [-640, -310, -160, -98, -41, 12, 50, 73, 118, 187, 243, 415, 702, 990]
MI2_CANCER_SITES = [
    "breast", "lung", "colorectal", "ovary", "prostate", "non-Hodgkin lymphoma", "breast",
    "nasopharynx", "pancreas", "lung", "bladder", "breast", "colorectal", "melanoma",
]


def _quantile_values(n: int, knots: list[tuple[float, float]], log: bool) -> np.ndarray:
    """``n`` sorted values following a piecewise-linear quantile function."""
    p = (np.arange(n) + 0.5) / n
    xs, ys = zip(*knots)
    ys_arr = np.log(ys) if log else np.array(ys, float)
    v = np.interp(p, xs, ys_arr)
    return np.exp(v) if log else v


def _ages_mi2() -> np.ndarray:
    """64 ages whose R type-7 median is 55.5 and quartiles 38.1 / 65.8 exactly."""
    v = _quantile_values(64, [(0, 19.0), (0.25, 38.1), (0.5, 55.5), (0.75, 65.8), (1, 84.0)], log=False)
    v = np.round(v, 1)
    # type 7: Q1 = x[16] + .75 (x[17] - x[16]) (1-based), median = mean(x[32], x[33]),
    # Q3 = x[48] + .25 (x[49] - x[48]): make each pair equal to the target.
    for i, target in ((15, 38.1), (16, 38.1), (31, 55.5), (32, 55.5), (47, 65.8), (48, 65.8)):
        v[i] = target
    return np.sort(v)


#: Table I, CK level (IU/L): median (Q1–Q3) per group, R type-7 quartiles.
CK_TABLE1 = {"mi2_pos": (1159.0, 3748.0, 8799.0), "mi2_neg": (893.0, 1680.0, 5818.0)}
#: Table I's P for CK (Mann-Whitney U, as core.compare computes it).
CK_P = 0.23
#: Jalles et al. 2020: CK 3000 IU/L.
JALLES_CK = 3000.0
#: Shape of the CK values between the quartiles (found by :func:`ck_shape`; see :func:`ck_values`).
CK_SHAPE = 1.73


def _log_segment(a: float, b: float, steps: int, shape: float) -> np.ndarray:
    """``steps + 1`` values from ``a`` to ``b`` on the log scale, at ``t ** shape``
    (``t`` evenly spaced in [0, 1]; shape > 1 crowds them near ``a``, < 1 near ``b``)."""
    t = np.linspace(0.0, 1.0, steps + 1) ** shape
    return np.exp(np.log(a) + (np.log(b) - np.log(a)) * t)


def _through(points: list[tuple[int, float]], shapes: list[float]) -> np.ndarray:
    """Sorted values through ``(index, value)`` points, one log segment between each pair."""
    out = np.empty(points[-1][0] + 1)
    for (i0, v0), (i1, v1), g in zip(points[:-1], points[1:], shapes):
        out[i0:i1 + 1] = _log_segment(v0, v1, i1 - i0, g)
    return np.round(out)


def ck_values(shape: float) -> tuple[np.ndarray, np.ndarray]:
    """Sorted CK values of the 64 anti-Mi2+ and the 55 anti-Mi2− patients.

    Type-7 quartiles are pinned by the values at their order statistics: n = 64 gives
    Q1 = x(16) + .75 (x(17) − x(16)), median = (x(32) + x(33)) / 2, Q3 = x(48) + .25 (x(49) − x(48))
    (1-based), so each pair equals the published value; n = 55 gives Q1 = (x(14) + x(15)) / 2,
    median = x(28), Q3 = (x(41) + x(42)) / 2. The 6 (anti-Mi2+) and 9 (anti-Mi2−) lowest values
    are normal (< 168, ``elevated_ck`` = 0, Table I), the others elevated (> 200). Between the
    quartiles the values follow a log segment of exponent ``shape`` for anti-Mi2+ (``1 / shape``
    for anti-Mi2−): a larger shape brings the groups closer, so ``shape`` sets the Mann-Whitney P
    without moving any quartile. One anti-Mi2− value between the median and Q3 is the Jalles
    patient's 3000 IU/L.
    """
    q1, med, q3 = CK_TABLE1["mi2_pos"]
    pos = _through([(0, 60), (5, 160), (6, 240), (15, q1), (16, q1), (31, med), (32, med), (47, q3), (48, q3),
                    (63, 32000)], [1, 1, 1, 1, shape, 1, shape, 1, 1])
    q1, med, q3 = CK_TABLE1["mi2_neg"]
    neg = _through([(0, 45), (8, 160), (9, 220), (13, q1), (14, q1), (27, med), (40, q3), (41, q3), (54, 24000)],
                   [1, 1, 1, 1, 1 / shape, 1 / shape, 1, 1])
    between = np.arange(28, 40)  # strictly between the median (x28) and Q3 (x41, x42), 0-based
    neg[between[np.argmin(np.abs(neg[between] - JALLES_CK))]] = JALLES_CK
    return pos, np.sort(neg)


def ck_shape() -> float:
    """The shape (grid 1.00, 1.01, ..., 2.50) whose Mann-Whitney P (:func:`core.stats.mann_whitney`)
    is closest to Table I's .23; prints nothing, used to set :data:`CK_SHAPE`."""
    from core.stats import mann_whitney

    grid = np.round(np.arange(1.0, 2.5001, 0.01), 2)
    return float(min(grid, key=lambda g: abs(mann_whitney(*ck_values(float(g))).p_value - CK_P)))


def _give_jalles_her_ck(cohort: pd.DataFrame, jalles_idx: int, members: pd.Index) -> None:
    """Swap CK values so the Jalles patient has 3000 IU/L (the group's values are unchanged)."""
    holders = [i for i in members if cohort.at[i, "ck_max_ul"] == JALLES_CK]
    if not holders:
        raise RuntimeError("no anti-Mi2− CK value equals the Jalles patient's 3000 IU/L")
    other = holders[0]
    cohort.loc[[other, jalles_idx], "ck_max_ul"] = [cohort.at[jalles_idx, "ck_max_ul"], JALLES_CK]


def _assign_table1(rng: np.random.Generator, cohort: pd.DataFrame, table: pd.DataFrame) -> None:
    """Give every Table I feature exactly the published n/N in each group."""
    forced = {  # the Jalles patient (seed 2): features stated in the case report
        "gottron": 1, "skin_ulceration": 1, "proximal_weakness": 1, "severe_weakness": 1,
        "elevated_ck": 1, "ild": 1, "dyspnea": 1, "heliotrope": 0, "myalgia": 1,
    }
    groups = {"pos": cohort.index[cohort["anti_mi2"] == 1], "neg": cohort.index[cohort["anti_mi2"] == 0]}
    subset_of = {"severe_weakness": "proximal_weakness", "mri_t2_hypersignal": "abnormal_muscle_mri",
                 "mri_t1_fat_replacement": "abnormal_muscle_mri"}
    for _, row in table.iterrows():
        f = row["feature"]
        if f.startswith("anti_") or f == "myositis_specific_antibody":
            continue
        cohort[f] = np.nan
        for key, suffix in (("pos", "mi2_pos"), ("neg", "mi2_neg")):
            n, N = row[f"n_{suffix}"], row[f"N_{suffix}"]
            if pd.isna(N):
                continue
            n, N = int(n), int(N)
            members = list(groups[key])
            fixed = {i: forced[f] for i in members if cohort.at[i, "patient_id"] == JALLES_ID and f in forced}
            parent = subset_of.get(f)
            if parent is not None and f == "severe_weakness":
                eligible_pos = [i for i in members if cohort.at[i, parent] == 1 and i not in fixed]
                assessed_pool = members
            elif parent is not None:
                assessed_pool = [i for i in members if not pd.isna(cohort.at[i, parent])]
                eligible_pos = assessed_pool
            else:
                assessed_pool = members
                eligible_pos = members
            n_left = n - sum(v == 1 for v in fixed.values())
            pos = list(rng.choice([i for i in eligible_pos if i not in fixed], size=n_left, replace=False))
            rest_pool = [i for i in assessed_pool if i not in fixed and i not in pos]
            neg_needed = N - n - sum(v == 0 for v in fixed.values())
            neg = list(rng.choice(rest_pool, size=neg_needed, replace=False))
            for i, v in fixed.items():
                cohort.at[i, f] = v
            cohort.loc[pos, f] = 1.0
            cohort.loc[neg, f] = 0.0


def _antibodies(rng: np.random.Generator, n_pos: int, n_neg: int) -> pd.DataFrame:
    """Antibody columns: Mi2 for all; controls tested as published."""
    ab = pd.DataFrame(index=range(n_pos + n_neg), columns=["anti_mi2", "anti_mda5", "anti_tif1g", "anti_nxp2", "anti_sae"], dtype=float)
    ab["anti_mi2"] = [1.0] * n_pos + [0.0] * n_neg
    ctrl = np.arange(n_pos, n_pos + n_neg)
    # positive controls: 9 MDA5, 3 NXP2, 3 SAE, 5 TIF1g; the remaining 35 seronegative
    layout = [("anti_mda5", 9, 37), ("anti_nxp2", 3, 31), ("anti_sae", 3, 31), ("anti_tif1g", 5, 32)]
    start = 0
    positives: dict[str, list[int]] = {}
    for col, k, _ in layout:
        positives[col] = list(ctrl[start:start + k])
        start += k
    seroneg = list(ctrl[start:])
    all_pos = [i for v in positives.values() for i in v]
    for col, k, tested in layout:
        ab.loc[positives[col], col] = 1.0
        # every seronegative control tested for MDA5 or the panel; others chosen at random
        others = [i for i in ctrl if i not in positives[col]]
        pool_first = [i for i in seroneg if i not in all_pos]
        need = tested - k
        chosen = list(rng.choice(pool_first, size=min(need, len(pool_first)), replace=False))
        if len(chosen) < need:
            extra = [i for i in others if i not in chosen]
            chosen += list(rng.choice(extra, size=need - len(chosen), replace=False))
        ab.loc[chosen, col] = 0.0
    return ab


def build(seed: int = SEED, fu_scale: float = 1.0, death_seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the cohort and the events table (see module docstring)."""
    rng = np.random.default_rng(seed)
    table = pd.read_csv(HERE / "monseau2020_table1.csv", dtype={"published_p": str})
    n_pos, n_neg = 64, 55
    n = n_pos + n_neg
    ids = [f"MYO-{i + 1:03d}" for i in range(n)]
    cohort = pd.DataFrame({"patient_id": ids})
    cohort = pd.concat([cohort, _antibodies(rng, n_pos, n_neg)], axis=1)

    # demographics ------------------------------------------------------------------------
    span = (INCLUSION_END - INCLUSION_START).days
    dx = [INCLUSION_START + timedelta(days=int(d)) for d in rng.integers(0, span + 1, n)]
    jalles_idx = ids.index(JALLES_ID)
    cohort["diagnosis_date"] = pd.to_datetime(dx)
    sex = np.array(["F"] * 39 + ["M"] * 25, dtype=object)
    rng.shuffle(sex)
    sex_ctrl = np.array(["F"] * 38 + ["M"] * 17, dtype=object)
    rng.shuffle(sex_ctrl)
    cohort["sex"] = np.concatenate([sex, sex_ctrl])

    # cancers (anti-Mi2+): 13 patients > 50 years and one younger
    ages_mi2 = _ages_mi2()
    old_idx = np.where(ages_mi2 > 50.5)[0]
    young_idx = np.where(ages_mi2 < 50)[0]
    cancer_age_idx = list(rng.choice(old_idx, size=13, replace=False)) + [int(rng.choice(young_idx))]
    other_age_idx = [i for i in range(64) if i not in cancer_age_idx]
    rng.shuffle(other_age_idx)
    cancer_patients = list(rng.choice(np.arange(n_pos), size=14, replace=False))
    non_cancer = [i for i in range(n_pos) if i not in cancer_patients]
    ages = np.empty(n)
    ages[cancer_patients] = ages_mi2[cancer_age_idx]
    ages[non_cancer] = ages_mi2[other_age_idx]
    ctrl_ages = np.round(_quantile_values(n_neg, [(0, 21.0), (0.25, 43.0), (0.5, 55.0), (0.75, 64.0), (1, 83.0)], log=False), 1)
    rng.shuffle(ctrl_ages)
    ages[n_pos:] = ctrl_ages
    # the Jalles patient: anti-MDA5 woman, 62 at admission
    ages[jalles_idx] = 62.0
    cohort.loc[jalles_idx, "sex"] = "F"
    if cohort.loc[jalles_idx, "anti_mda5"] != 1:
        raise RuntimeError("the Jalles patient must be anti-MDA5 positive")
    cohort["age_at_diagnosis"] = ages
    cohort["birth_date"] = cohort["diagnosis_date"] - pd.to_timedelta(np.round(ages * 365.25), unit="D")
    cohort["center"] = [CENTRES[i] for i in rng.integers(0, len(CENTRES), n)]

    # Table I features ------------------------------------------------------------------
    _assign_table1(rng, cohort, table)
    cohort["myositis_specific_antibody"] = (cohort[["anti_mi2", "anti_mda5", "anti_tif1g", "anti_nxp2", "anti_sae"]] == 1).any(axis=1).astype(float)
    # amyopathic anti-Mi2+ patient: no proximal weakness, no severe weakness
    # (guaranteed: severe weakness positives are drawn among proximal weakness positives)

    # CK, consistent with elevated_ck (upper limit of normal 168 IU/L), Table I's quartiles
    # exactly and Mann-Whitney P = .23 (the Jalles patient keeps her 3000 IU/L)
    cohort["ck_max_ul"] = np.nan
    ck_pos, ck_neg = ck_values(CK_SHAPE)
    for grp, vals in ((cohort.index[:n_pos], ck_pos), (cohort.index[n_pos:], ck_neg)):
        low = [i for i in grp if cohort.at[i, "elevated_ck"] == 0]
        high = [i for i in grp if cohort.at[i, "elevated_ck"] == 1]
        hv = vals[len(low):]
        rng.shuffle(hv)
        cohort.loc[low, "ck_max_ul"] = np.minimum(vals[: len(low)], 165)
        cohort.loc[high, "ck_max_ul"] = np.maximum(hv, 200)
    _give_jalles_her_ck(cohort, jalles_idx, cohort.index[n_pos:])

    # outcomes ------------------------------------------------------------------------------
    cohort["cancer"] = 0.0
    cohort["cancer_date"] = pd.NaT
    cohort["cancer_site"] = None
    offsets = list(MI2_CANCER_OFFSETS)
    rng.shuffle(offsets)
    for i, off, site in zip(cancer_patients, offsets, MI2_CANCER_SITES):
        cohort.loc[i, ["cancer", "cancer_site"]] = [1.0, site]
        cohort.loc[i, "cancer_date"] = cohort.loc[i, "diagnosis_date"] + pd.Timedelta(days=off)
    ctrl_cancers = {  # controls with cancer: 3 anti-TIF1γ, 1 anti-NXP2, 2 seronegative, the Jalles patient
        "anti_tif1g": (3, [-200, 35, 410], ["ovary", "breast", "lung"]),
        "anti_nxp2": (1, [150], ["colorectal"]),
    }
    for col, (k, offs, sites) in ctrl_cancers.items():
        pts = cohort.index[cohort[col] == 1][:k]
        for i, off, site in zip(pts, offs, sites):
            cohort.loc[i, ["cancer", "cancer_site"]] = [1.0, site]
            cohort.loc[i, "cancer_date"] = cohort.loc[i, "diagnosis_date"] + pd.Timedelta(days=off)
    sero = cohort.index[(cohort["anti_mi2"] == 0) & (cohort[["anti_mda5", "anti_tif1g", "anti_nxp2", "anti_sae"]] != 1).all(axis=1)]
    for i, off, site in zip(sero[:2], [-500, 260], ["breast", "prostate"]):
        cohort.loc[i, ["cancer", "cancer_site"]] = [1.0, site]
        cohort.loc[i, "cancer_date"] = cohort.loc[i, "diagnosis_date"] + pd.Timedelta(days=off)
    jalles_dx = cohort.loc[jalles_idx, "diagnosis_date"]
    cohort.loc[jalles_idx, ["cancer", "cancer_site"]] = [1.0, "small-cell lung carcinoma"]
    cohort.loc[jalles_idx, "cancer_date"] = jalles_dx + pd.Timedelta(days=366)

    # follow-up and deaths
    drng = np.random.default_rng(seed * 1000 + death_seed)
    study_end = pd.Timestamp("2019-12-31")
    fu_days = np.round(drng.uniform(0.9, 4.2, n) * 365.25 * fu_scale)
    after_cancer = ((cohort["cancer_date"] - cohort["diagnosis_date"]).dt.days + 90).fillna(0).to_numpy()
    fu_days = np.maximum(fu_days, after_cancer)
    last_fu = cohort["diagnosis_date"] + pd.to_timedelta(fu_days, unit="D")
    last_fu = last_fu.where(last_fu <= study_end, study_end)
    cohort["death"] = 0.0
    cohort["death_date"] = pd.NaT
    # deaths: anti-Mi2+ with cancer 5/14, without cancer 4/50; controls 6 (incl. Jalles)
    dead_c = list(drng.choice(cancer_patients, size=5, replace=False))
    dead_nc = list(drng.choice(non_cancer, size=4, replace=False))
    ctrl_idx = [i for i in range(n_pos, n) if i != jalles_idx]
    dead_ctrl = list(drng.choice(ctrl_idx, size=5, replace=False))
    for i in dead_c + dead_nc + dead_ctrl:
        base = cohort.loc[i, "diagnosis_date"]
        t = drng.uniform(0.15, 0.9) * (last_fu[i] - base).days
        if cohort.loc[i, "cancer"] == 1:
            t = max(t, (cohort.loc[i, "cancer_date"] - base).days + 30)
        cohort.loc[i, "death"] = 1.0
        cohort.loc[i, "death_date"] = base + pd.Timedelta(days=int(t))
    cohort.loc[jalles_idx, "death"] = 1.0
    cohort.loc[jalles_idx, "death_date"] = jalles_dx + pd.Timedelta(days=366 + 15)
    dead = cohort["death"] == 1
    last_fu = last_fu.where(~dead, cohort["death_date"])
    cohort["last_followup_date"] = last_fu

    cohort = cohort[[
        "patient_id", "center", "sex", "birth_date", "age_at_diagnosis", "diagnosis_date",
        "anti_mi2", "anti_mda5", "anti_tif1g", "anti_nxp2", "anti_sae",
        *[f for f in table["feature"] if not f.startswith("anti_") and f != "myositis_specific_antibody"],
        "myositis_specific_antibody", "ck_max_ul",
        "cancer", "cancer_date", "cancer_site", "death", "death_date", "last_followup_date",
    ]]
    events = _events(cohort, drng)
    return cohort, events


def _events(cohort: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Long-format events: a generic course for every patient, the seed course for Jalles."""
    rows: list[dict[str, object]] = []
    for _, p in cohort.iterrows():
        pid, dx = p["patient_id"], p["diagnosis_date"]
        if pid == JALLES_ID:
            continue
        rows.append(dict(patient_id=pid, date=dx, kind="event", name="diagnosis", value="", unit="", detail="DM diagnosis"))
        rows.append(dict(patient_id=pid, date=dx, kind="treatment_start", name="prednisone", value="", unit="", detail="1 mg/kg/d"))
        stop = dx + pd.Timedelta(days=int(rng.integers(180, 540)))
        end = p["last_followup_date"]
        if stop < end:
            rows.append(dict(patient_id=pid, date=stop, kind="treatment_stop", name="prednisone", value="", unit="", detail="tapered off"))
        if not pd.isna(p["ck_max_ul"]):
            rows.append(dict(patient_id=pid, date=dx, kind="lab", name="CK", value=f"{p['ck_max_ul']:.0f}", unit="IU/L", detail="normal 29–168"))
            d3 = dx + pd.Timedelta(days=90)
            if d3 <= end:
                rows.append(dict(patient_id=pid, date=d3, kind="lab", name="CK", value=f"{max(40, p['ck_max_ul'] * rng.uniform(0.05, 0.3)):.0f}", unit="IU/L", detail="normal 29–168"))
        if p["cancer"] == 1:
            rows.append(dict(patient_id=pid, date=p["cancer_date"], kind="event", name="cancer", value="", unit="", detail=str(p["cancer_site"])))
        if p["death"] == 1:
            rows.append(dict(patient_id=pid, date=p["death_date"], kind="event", name="death", value="", unit="", detail=""))
    ev = pd.DataFrame(rows)
    try:
        from jalles_events import jalles_events  # written with the patient view
    except ImportError:  # pragma: no cover - only while the patient view is being built
        jalles = pd.DataFrame(columns=ev.columns)
    else:
        j = cohort.loc[cohort["patient_id"] == JALLES_ID].iloc[0]
        jalles = jalles_events(JALLES_ID, j["diagnosis_date"].date())
    ev = pd.concat([ev, jalles], ignore_index=True)
    ev["date"] = pd.to_datetime(ev["date"]).dt.strftime("%Y-%m-%d")
    return ev.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)


def dictionary_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The data dictionary (name, label, group, type, unit, synonyms)."""
    rows = []
    for _, r in table.iterrows():
        rows.append(dict(name=r["feature"], label=r["label"], group=r["group"], type="binary", unit="", synonyms=FRENCH.get(r["feature"], ""), description="Monseau 2020 Table I"))
    rows.append(dict(name="ck_max_ul", label="CK level (maximum)", group="muscular", type="continuous", unit="IU/L", synonyms=FRENCH["ck_max_ul"], description="highest creatine kinase"))
    for name in ("patient_id", "center", "sex", "birth_date", "age_at_diagnosis", "diagnosis_date", "cancer", "cancer_date", "cancer_site", "death", "death_date", "last_followup_date"):
        rows.append(dict(name=name, label=_core_label(name), group="outcomes" if name.startswith(("cancer", "death", "last")) else "demographics", type=_core_type(name), unit="years" if name == "age_at_diagnosis" else "", synonyms=FRENCH.get(name, ""), description=""))
    return pd.DataFrame(rows)


def _core_label(name: str) -> str:
    from core.schema import CORE_COLUMNS

    return CORE_COLUMNS[name].label


def _core_type(name: str) -> str:
    from core.schema import CORE_COLUMNS

    return CORE_COLUMNS[name].type


def french_export(cohort: pd.DataFrame) -> pd.DataFrame:
    """The same cohort as a French hospital Excel export looks: French headers,
    oui/non and positif/négatif codes, H/F sex, dd/mm/yyyy dates, decimal comma, "ND"."""
    fr = pd.DataFrame(index=cohort.index)
    for c in cohort.columns:
        s = cohort[c]
        if c in ("birth_date", "diagnosis_date", "cancer_date", "death_date", "last_followup_date"):
            out = s.dt.strftime("%d/%m/%Y").fillna("")
        elif c.startswith("anti_"):
            out = s.map({1.0: "positif", 0.0: "négatif"}).fillna("ND")
        elif c == "sex":
            out = s.map({"F": "F", "M": "H"})
        elif c == "age_at_diagnosis":
            out = s.map(lambda v: f"{v:.1f}".replace(".", ","))
        elif c == "ck_max_ul":
            out = s.map(lambda v: "" if pd.isna(v) else f"{v:.0f}")
        elif s.dtype == float and set(s.dropna().unique()) <= {0.0, 1.0}:
            out = s.map({1.0: "oui", 0.0: "non"}).fillna("")
            if c in ("alopecia", "myalgia", "dyspnea"):
                out = out.replace("", "ND")
        else:
            out = s.fillna("")
        fr[FRENCH[c]] = out
    return fr


def logrank_target(cohort: pd.DataFrame) -> float:
    """Log-rank P, anti-Mi2+ patients with vs without cancer (core.survival)."""
    from core.survival import logrank_test, survival_data

    mi2 = cohort[cohort["anti_mi2"] == 1]
    sd = survival_data(mi2, unit="days")
    labels = mi2.loc[sd.index, "cancer"].map({1.0: "cancer", 0.0: "no cancer"})
    return float(logrank_test(sd.time, sd.event, labels, ["cancer", "no cancer"]).p_value)


def sir_target(cohort: pd.DataFrame) -> dict[str, float]:
    """Anti-Mi2+ SIR, ±3-year window, France rates, log-Wald CI (core.cancer_risk)."""
    from core.cancer_risk import sir_analysis
    from core.rates import load_bundled_rates

    res = sir_analysis(cohort[cohort["anti_mi2"] == 1], load_bundled_rates(), ci_method="wald")
    return dict(observed=res.observed, expected=res.expected, sir=res.sir, ci_low=res.ci_low, ci_high=res.ci_high)


def meets_sir(t: dict[str, float]) -> bool:
    """O = 14 and log-Wald SIR (CI) rounding to 5.1 (3.0–8.6)."""
    return t["observed"] == 14 and (round(t["sir"], 1), round(t["ci_low"], 1), round(t["ci_high"], 1)) == (5.1, 3.0, 8.6)


def cohort_csv(cohort: pd.DataFrame) -> str:
    """The cohort as the bundled CSV (ISO dates, 1/0, blank = missing)."""
    df = cohort.copy()
    for c in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[c]):
            df[c] = df[c].dt.strftime("%Y-%m-%d")
        elif df[c].dtype == float and c not in ("age_at_diagnosis", "ck_max_ul"):
            df[c] = df[c].map(lambda v: "" if pd.isna(v) else str(int(v)))
    return df.to_csv(index=False)


def main() -> None:
    """Tune deaths (log-rank P = .008) then follow-up length (SIR 5.1 (3.0–8.6)); write files.

    Scaling every follow-up time leaves the log-rank test almost unchanged, so the death
    draw is chosen first at a middle scale, then the scale is searched finely.
    """
    for death_seed in range(200):
        cohort, _ = build(SEED, 1.25, death_seed)
        if round(logrank_target(cohort), 3) != 0.008:
            continue
        found = []
        for fu_scale in np.round(np.arange(1.00, 1.60, 0.005), 3):
            cohort, events = build(SEED, float(fu_scale), death_seed)
            p = logrank_target(cohort)
            if round(p, 3) != 0.008:
                continue
            t = sir_target(cohort)
            if meets_sir(t):
                found.append((abs(t["expected"] - 14 / 5.1), float(fu_scale), p, t))
        if found:  # the scale whose E is closest to 14 / 5.1, the middle of the target
            _, fu_scale, p, t = min(found)
            cohort, events = build(SEED, fu_scale, death_seed)
            print(f"death_seed={death_seed} fu_scale={fu_scale} logrank_p={p:.5f} " + " ".join(f"{k}={v:.4f}" for k, v in t.items()))
            write(cohort, events)
            return
    raise SystemExit("no death draw / follow-up scale met the published targets")


def write(cohort: pd.DataFrame, events: pd.DataFrame) -> None:
    """Write the sample files."""
    (HERE / "cohort.csv").write_text(cohort_csv(cohort), encoding="utf-8")
    french_export(cohort).to_csv(HERE / "cohort_fr_export.csv", sep=";", index=False, encoding="cp1252")
    table = pd.read_csv(HERE / "monseau2020_table1.csv", dtype={"published_p": str})
    dictionary_frame(table).to_csv(HERE / "dictionary.csv", index=False)
    events.to_csv(HERE / "events.csv", index=False)


if __name__ == "__main__":
    main()
