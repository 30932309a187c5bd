"""Tests of core.events (loading, validation, a patient's course, adding scores)."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest

from core.events import (
    DAYS_PER_MONTH,
    EVENT_COLUMNS,
    EventsError,
    EventsTable,
    add_scores,
    load_events,
    patient_course,
    scores_for_events,
)
from sample_data.jalles_events import DAYS, jalles_dates, jalles_events

HEADER = "patient_id,date,kind,name,value,unit,detail\n"


def _csv(body: str) -> io.BytesIO:
    buf = io.BytesIO((HEADER + body).encode())
    buf.name = "events.csv"
    return buf


GOOD = (
    "P1,2020-01-01,event,diagnosis,,,\n"
    "P1,2020-01-01,treatment_start,prednisone,60,mg/d,1 mg/kg/d\n"
    "P1,2020-01-01,lab,CK,3000,U/L,\n"
    "P1,2020-03-01,treatment_start,prednisone,30,mg/d,\n"  # dose change
    "P1,2020-04-10,lab,CK,\"150,5\",U/L,\n"  # decimal comma
    "P1,2020-05-01,treatment_stop,prednisone,,,\n"
    "P1,2020-02-01,treatment_start,methotrexate,15,mg/wk,\n"  # never stopped
    "P1,2020-06-30,event,relapse,,,skin\n"
    "P2,15/02/2021,score,interferon_score,19,,\n"  # DD/MM/YYYY
)


def test_load_good_table() -> None:
    t = load_events(_csv(GOOD), known_patient_ids=["P1", "P2"])
    assert isinstance(t, EventsTable)
    assert list(t.data.columns) == list(EVENT_COLUMNS)
    assert t.data["date"].dtype == "datetime64[ns]"
    assert t.data["value"].dtype == float
    assert t.data["value"].iloc[4] == 150.5
    assert t.data["date"].iloc[8] == pd.Timestamp("2021-02-15")
    assert np.isnan(t.data["value"].iloc[0])
    assert t.warnings == ()
    assert t.patient_ids == ["P1", "P2"]


def test_unknown_patient_is_a_warning() -> None:
    t = load_events(_csv(GOOD), known_patient_ids=["P1"])
    assert len(t.data) == 9  # kept
    assert len(t.warnings) == 1 and "P2" in t.warnings[0] and "1 row" in t.warnings[0]


def test_errors_name_row_and_column() -> None:
    body = (
        "P1,2020-01-01,treatment,prednisone,,,\n"  # row 2: unknown kind
        "P1,2020-13-45,lab,CK,100,U/L,\n"  # row 3: bad date
        "P1,2020-01-02,lab,CK,high,U/L,\n"  # row 4: non-numeric lab
        "P1,2020-01-02,lab,CK,,U/L,\n"  # row 5: lab without value
        ",2020-01-02,event,death,,,\n"  # row 6: empty patient id
    )
    with pytest.raises(EventsError) as exc:
        load_events(_csv(body))
    msg = str(exc.value)
    assert "5 problem(s)" in msg
    assert "row 2, column 'kind': unknown kind 'treatment'" in msg
    assert "row 3, column 'date': cannot read '2020-13-45'" in msg
    assert "row 4, column 'value': 'high' is not a number" in msg
    assert "row 5, column 'value': lab 'CK' has no value" in msg
    assert "row 6, column 'patient_id': empty patient id" in msg


def test_stop_before_start() -> None:
    body = (
        "P1,2020-01-01,treatment_stop,rituximab,,,\n"
        "P1,2020-02-01,treatment_start,rituximab,1,g,\n"
    )
    with pytest.raises(EventsError, match=r"row 2: treatment_stop of 'rituximab'.*stop before start"):
        load_events(_csv(body))


def test_missing_columns() -> None:
    buf = io.BytesIO(b"patient_id,date,name\nP1,2020-01-01,CK\n")
    buf.name = "e.csv"
    with pytest.raises(EventsError, match="missing column.*'kind'"):
        load_events(buf)


def test_xlsx_roundtrip(tmp_path) -> None:
    t = load_events(_csv(GOOD))
    path = tmp_path / "events.xlsx"
    t.data.to_excel(path, index=False)
    t2 = load_events(path)
    pd.testing.assert_frame_equal(t.data, t2.data)


def test_patient_course_intervals_and_months() -> None:
    t = load_events(_csv(GOOD))
    c = patient_course(t, "P1", dt.date(2020, 1, 1))
    tr = c.treatments
    assert tr["name"].tolist() == ["prednisone", "prednisone", "methotrexate"]
    # dose change on 2020-03-01: first interval 60 mg/d until then (60 days -> 60/30.4375 months)
    assert tr["stop"].iloc[0] == pd.Timestamp("2020-03-01")
    assert tr["stop_month"].iloc[0] == pytest.approx(60 / (365.25 / 12))
    assert tr["dose"].iloc[0] == "1 mg/kg/d"  # detail wins
    assert tr["dose"].iloc[1] == "30 mg/d"  # value + unit
    assert tr["stop"].iloc[1] == pd.Timestamp("2020-05-01")
    # methotrexate never stopped: runs to the last event (2020-06-30, day 181)
    assert bool(tr["open_ended"].iloc[2]) is True
    assert tr["stop"].iloc[2] == pd.Timestamp("2020-06-30")
    assert tr["stop_month"].iloc[2] == pytest.approx(181 / 30.4375)
    assert any("methotrexate has no stop date" in n and "2020-06-30" in n for n in c.notes)
    assert list(c.labs) == ["CK"]
    assert c.labs["CK"]["value"].tolist() == [3000.0, 150.5]
    # 2020-04-10 is day 100
    assert c.labs["CK"]["month"].iloc[1] == pytest.approx(100 / DAYS_PER_MONTH)
    assert c.events["name"].tolist() == ["diagnosis", "relapse"]
    assert c.scores.empty
    assert c.treatment_sequence() == ["prednisone", "methotrexate"]


def test_patient_course_same_day_start_stop_and_case() -> None:
    df = pd.DataFrame(
        [
            ("P1", "2020-01-10", "treatment_start", "Cyclophosphamide", 700, "mg/m2", ""),
            ("P1", "2020-01-10", "treatment_stop", "cyclophosphamide", None, "", ""),
            ("P1", "2020-02-10", "treatment_start", "cyclophosphamide", 700, "mg/m2", ""),
            ("P1", "2020-02-10", "treatment_stop", "CYCLOPHOSPHAMIDE", None, "", ""),
        ],
        columns=list(EVENT_COLUMNS),
    )
    c = patient_course(load_events(df), "P1", "2020-01-01")
    assert len(c.treatments) == 2
    assert (c.treatments["start"] == c.treatments["stop"]).all()
    assert c.notes == ()
    # same rows with each day's stop written first: still two one-day courses
    swapped = df.iloc[[1, 0, 3, 2]]
    c2 = patient_course(load_events(swapped), "P1", "2020-01-01")
    assert len(c2.treatments) == 2 and (c2.treatments["start"] == c2.treatments["stop"]).all()


def test_same_day_change_written_start_first() -> None:
    # running 60 mg; on 2020-02-01 the file lists the new 30 mg start before the old stop:
    # read as stop(60) then start(30), so 30 mg runs until the last event.
    df = pd.DataFrame(
        [
            ("P1", "2020-01-01", "treatment_start", "pred", 60, "mg/d", ""),
            ("P1", "2020-02-01", "treatment_start", "pred", 30, "mg/d", ""),
            ("P1", "2020-02-01", "treatment_stop", "pred", None, "", ""),
            ("P1", "2020-03-01", "lab", "CK", 100, "U/L", ""),
        ],
        columns=list(EVENT_COLUMNS),
    )
    tr = patient_course(load_events(df), "P1", "2020-01-01").treatments
    assert tr["value"].tolist() == [60.0, 30.0]
    assert tr["stop"].tolist() == [pd.Timestamp("2020-02-01"), pd.Timestamp("2020-03-01")]
    assert tr["open_ended"].tolist() == [False, True]


def test_patient_course_without_diagnosis_date() -> None:
    t = load_events(_csv(GOOD))
    c = patient_course(t, "P1", None)
    assert c.diagnosis_date == pd.Timestamp("2020-01-01")
    assert any("'diagnosis' event" in n for n in c.notes)
    c2 = patient_course(t, "P2", None)
    assert c2.diagnosis_date == pd.Timestamp("2021-02-15")
    assert c2.scores["month"].iloc[0] == 0
    empty = patient_course(t, "nobody", dt.date(2020, 1, 1))
    assert empty.is_empty and empty.treatments.empty


def test_patient_course_from_plain_dataframe() -> None:
    df = pd.DataFrame({"patient_id": ["A", "A"], "date": ["2020-01-01", "2020-02-01"],
                       "kind": ["treatment_stop", "lab"], "name": ["x", "CK"],
                       "value": [None, 5]})
    with pytest.raises(EventsError, match="stop before start"):
        patient_course(df, "A", "2020-01-01")


def test_add_scores_idempotent() -> None:
    t = load_events(_csv(GOOD))
    scores = pd.DataFrame({"patient_id": ["P1", "P1"], "date": ["2020-01-03", "2020-10-01"],
                           "score": [19.0, 0.9], "detail": ["sample A", "sample B"]})
    t2 = add_scores(t, scores)
    assert isinstance(t2, EventsTable)
    new = t2.data.iloc[len(t.data):]
    assert new["kind"].tolist() == ["score", "score"]
    assert new["name"].tolist() == ["interferon_score", "interferon_score"]
    assert new["value"].tolist() == [19.0, 0.9]
    t3 = add_scores(t2, scores)
    assert len(t3.data) == len(t2.data)
    c = patient_course(t3, "P1", "2020-01-01")
    assert c.scores["value"].tolist() == [19.0, 0.9]
    df = add_scores(None, scores)
    assert isinstance(df, pd.DataFrame) and len(df) == 2
    with pytest.raises(EventsError, match="not a number"):
        add_scores(t, scores.assign(score=["x", 1]))
    with pytest.raises(EventsError, match="without column"):
        add_scores(t, scores.drop(columns="date"))


def test_scores_for_events_skips_controls_and_unassigned() -> None:
    scores = pd.DataFrame({"sample_id": ["HC1", "S1", "S2"],
                           "sample_type": ["healthy_control", "patient", "patient"],
                           "score": [1.0, 19.0, 0.9], "positive": [False, True, False]})
    out = scores_for_events(scores, patient_ids={"S1": "P1", "HC1": "P9"},
                            dates={"S1": "2020-01-03"}, threshold=2.3)
    assert out["patient_id"].tolist() == ["P1"]
    assert out["detail"].iloc[0] == "sample S1; positive (threshold 2.3)"


# ----------------------------------------------------------------- the Jalles course
def test_jalles_course_matches_the_seed() -> None:
    d0 = dt.date(2018, 3, 1)
    df = jalles_events("MDA5-J", d0)
    assert list(df.columns) == list(EVENT_COLUMNS)
    assert df.equals(jalles_events("MDA5-J", d0))  # deterministic
    t = load_events(df, known_patient_ids=["MDA5-J"])
    c = patient_course(t, "MDA5-J", d0)
    assert c.notes == ()
    assert c.treatment_sequence() == [
        "methylprednisolone", "IVIG", "cyclophosphamide", "prednisone", "ruxolitinib",
        "etoposide-carboplatin",
    ]
    tr = c.treatments
    assert (tr["name"] == "cyclophosphamide").sum() == 6
    assert (tr["name"] == "IVIG").sum() == 6
    assert tr.loc[tr["name"] == "methylprednisolone", "dose"].iloc[0] == "2 mg/kg/d (100 mg/d)"
    rux = tr[tr["name"] == "ruxolitinib"].iloc[0]
    assert round(rux["start_month"]) == 5 and "15 mg twice daily" in rux["dose"]
    assert round(rux["stop_month"]) == 12
    pred = tr[tr["name"] == "prednisone"]
    assert 30.0 in pred["value"].tolist()
    at9 = pred[(pred["start_month"] <= 9) & (pred["stop_month"] > 9)]
    assert at9["value"].tolist() == [4.0]
    assert c.scores["value"].tolist() == [19.0, 0.9]
    assert round(c.scores["month"].iloc[1]) == 9
    assert c.labs["CK"]["value"].iloc[0] == 3000.0
    assert c.labs["CK"]["value"].is_monotonic_decreasing
    ev = c.events.set_index("name")
    assert round(ev.at["relapse", "month"]) == 5
    assert round(ev.at["cancer", "month"]) == 12
    assert "small-cell" in ev.at["cancer", "detail"]
    assert 0 < (ev.at["death", "date"] - ev.at["pulmonary_embolism", "date"]).days <= 16
    dates = jalles_dates(d0)
    assert pd.Timestamp(dates["death_date"]) == ev.at["death", "date"]
    assert pd.Timestamp(dates["cancer_date"]) == ev.at["cancer", "date"]
    assert DAYS["death"] == (ev.at["death", "date"] - pd.Timestamp(d0)).days


def test_random_synthetic_events() -> None:
    """Random courses (any cohort): starts and stops pair up, intervals never run backwards,
    open-ended treatments end at the patient's last event and are noted."""
    rng = np.random.default_rng(11)
    t0 = pd.Timestamp("2019-01-01")
    rows = []
    expected_open: dict[str, set[str]] = {}
    for p in range(40):
        pid = f"P{p}"
        expected_open[pid] = set()
        for name in ("pred", "mtx", "ivig"):
            day = int(rng.integers(0, 30))
            for _ in range(int(rng.integers(0, 4))):
                rows.append((pid, (t0 + pd.Timedelta(days=day)).date().isoformat(),
                             "treatment_start", name, float(rng.integers(1, 60)), "mg", ""))
                if rng.random() < 0.8:
                    day += int(rng.integers(0, 90))
                    rows.append((pid, (t0 + pd.Timedelta(days=day)).date().isoformat(),
                                 "treatment_stop", name, None, "", ""))
                    expected_open[pid].discard(name)
                else:
                    expected_open[pid].add(name)  # next start is a dose change
                day += int(rng.integers(1, 60))
        rows.append((pid, (t0 + pd.Timedelta(days=int(rng.integers(0, 400)))).date().isoformat(),
                     "lab", "CK", float(rng.integers(20, 5000)), "U/L", ""))
    df = pd.DataFrame(rows, columns=list(EVENT_COLUMNS)).sample(frac=1, random_state=3)
    t = load_events(df)
    for p in t.patient_ids:
        c = patient_course(t, p, t0)
        assert (c.treatments["stop"] >= c.treatments["start"]).all()
        open_names = set(c.treatments.loc[c.treatments["open_ended"], "name"])
        assert open_names == expected_open[p]
        assert (c.treatments.loc[c.treatments["open_ended"], "stop"] == c.last_date).all()
        assert len([n for n in c.notes if "no stop date" in n]) == len(open_names)


# ----------------------------------------------------------------- timeline figure
def test_timeline_figure_of_jalles_course() -> None:
    from core.charts.patient import patient_timeline_figure

    d0 = dt.date(2016, 3, 1)
    c = patient_course(load_events(jalles_events("J", d0)), "J", d0)
    fig = patient_timeline_figure(c, threshold=2.3)
    names = [t.name for t in fig.data]
    for tname in ("methylprednisolone", "IVIG", "cyclophosphamide", "prednisone",
                  "ruxolitinib", "etoposide-carboplatin"):
        assert tname in names
    band = next(t for t in fig.data if t.name == "CK normal range")
    assert list(band.y) == [168.0, 168.0]
    low = next(t for t in fig.data if t.name == "CK normal low")
    assert list(low.y) == [29.0, 29.0]
    thr = next(t for t in fig.data if t.name == "positivity threshold 2.3")
    assert list(thr.y) == [2.3, 2.3]
    score = next(t for t in fig.data if t.name == "interferon score")
    assert list(score.y) == [19.0, 0.9]
    ev = next(t for t in fig.data if t.name == "events")
    assert {"cancer", "death", "relapse", "diagnosis"} <= set(ev.text)
    # prednisone: 7 dose segments drawn as bars with the dose inside
    pred = next(t for t in fig.data if t.name == "prednisone" and t.type == "bar")
    assert list(pred.text)[:2] == ["60 mg/d", "45 mg/d"]
    # cyclophosphamide pulses are one-day administrations -> markers
    cyc = next(t for t in fig.data if t.name == "cyclophosphamide")
    assert cyc.type == "scatter" and len(cyc.x) == 6
    assert fig.layout.xaxis.range[1] > 12


def test_timeline_figure_minimal_and_random() -> None:
    from core.charts.patient import patient_timeline_figure

    empty = patient_course(pd.DataFrame(columns=list(EVENT_COLUMNS)), "X", "2020-01-01")
    fig = patient_timeline_figure(empty)
    assert len(fig.data) == 0
    df = pd.DataFrame(
        [("A", "2020-01-01", "lab", "CRP", 12.0, "mg/L", ""),
         ("A", "2020-02-01", "lab", "CRP", 0.0, "mg/L", ""),  # zero: no log axis
         ("A", "2020-02-01", "treatment_start", "mtx", 15, "mg/wk", ""),
         ("A", "2020-03-01", "score", "MMT8", 120, "", "")],
        columns=list(EVENT_COLUMNS),
    )
    fig = patient_timeline_figure(patient_course(load_events(df), "A", "2020-01-01"))
    assert {"CRP", "mtx", "MMT8"} <= {t.name for t in fig.data}


def test_with_cohort_events() -> None:
    from core.events import with_cohort_events

    t = load_events(_csv(GOOD))
    row = pd.Series({"patient_id": "P1", "diagnosis_date": pd.Timestamp("2019-12-30"),
                     "cancer_date": pd.Timestamp("2020-08-01"), "cancer_site": "lung",
                     "death_date": pd.NaT})
    ev, added = with_cohort_events(t, row)
    assert added == ["cancer"]  # diagnosis already in the events table, no death date
    assert (ev["patient_id"] == "P1").all() and len(ev) == 9
    cancer = ev[ev["name"] == "cancer"].iloc[0]
    assert cancer["date"] == pd.Timestamp("2020-08-01") and cancer["detail"].startswith("lung")
    ev2, added2 = with_cohort_events(None, row)
    assert added2 == ["diagnosis", "cancer"] and len(ev2) == 2
    c = patient_course(ev2, "P1", row["diagnosis_date"])
    assert c.events["name"].tolist() == ["diagnosis", "cancer"]
