"""Tests of core.rates: bundled table, user uploads, validation messages, lookup."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest

from core.rates import (
    BUNDLED_RATES_PATH,
    RatesError,
    RateTable,
    load_bundled_rates,
    load_rates,
)


def test_bundled_table():
    t = load_bundled_rates()
    assert isinstance(t, RateTable)
    assert len(t.data) == 36
    assert t.sexes == ["F", "M"]
    assert not t.has_periods
    assert list(t.data.columns) == ["sex", "age_band", "age_from", "age_to", "rate"]
    raw = pd.read_csv(BUNDLED_RATES_PATH)
    m = raw.set_index(["sex", "age_band"])["rate_per_100000"]
    for r in t.data.itertuples():
        assert r.rate == m[(r.sex, r.age_band)]
    assert math.isinf(t.data["age_to"].max())
    assert "CI5" in t.description or "Five Continents" in t.description
    # the published rates are cases / person-years (to one decimal)
    assert np.allclose(raw["rate_per_100000"], 1e5 * raw["cases"] / raw["person_years"],
                       atol=0.051)


def test_lookup():
    t = load_bundled_rates()
    got = t.lookup(["F", "M", "M", "F", "F"], [52.3, 85.0, 4.999, 0.0, 120.0])
    assert list(got) == [634.7, 2858.7, 20.0, 19.2, 1571.8]
    assert t.lookup("F", 50.0)[0] == 634.7  # bands are [from, to)
    assert t.lookup("F", 49.999)[0] == 480.3
    assert np.isnan(t.lookup("X", 50.0)[0])


CSV = """sex,age_band,rate_per_100000
F,0-49,10
F,50+,100
M,0-49,20
M,50+,200
"""


def test_csv_with_age_band_text():
    t = load_rates(io.BytesIO(CSV.encode()))
    assert list(t.data["age_from"]) == [0, 50, 0, 50]
    assert list(t.data["age_to"]) == [50, math.inf, 50, math.inf]
    assert t.lookup(["F", "M"], [49.9, 50])[0] == 10
    assert t.description.startswith("user-supplied")


def test_semicolon_decimal_comma_and_sex_words():
    text = "Sexe;Age from;Age to;Rate\nfemme;0;50;10,5\nfemme;50;;100,25\nhomme;0;;20\n"
    t = load_rates(io.BytesIO(text.encode("cp1252")))
    assert list(t.data["sex"]) == ["F", "F", "M"]
    assert list(t.data["rate"]) == [10.5, 100.25, 20.0]


def test_cases_and_person_years():
    df = pd.DataFrame({"sex": ["F"], "age_from": [0], "age_to": [""], "cases": [5],
                       "person_years": [1000]})
    t = load_rates(df)
    assert t.data["rate"].iloc[0] == pytest.approx(500.0)


def test_age_from_only_derives_age_to():
    df = pd.DataFrame({"sex": ["M", "M", "M"], "age_from": [40, 0, 20], "rate": [3, 1, 2]})
    t = load_rates(df)
    assert list(t.data["age_from"]) == [0, 20, 40]
    assert list(t.data["age_to"]) == [20, 40, math.inf]


def test_xlsx(tmp_path):
    p = tmp_path / "rates.xlsx"
    pd.DataFrame({"sex": ["F", "M"], "age_from": [0, 0], "age_to": [None, None],
                  "rate_per_100000": [1.5, 2.5]}).to_excel(p, index=False)
    t = load_rates(p)
    assert list(t.data["rate"]) == [1.5, 2.5]
    with open(p, "rb") as fh:
        t2 = load_rates(fh)
    assert list(t2.data["rate"]) == [1.5, 2.5]


def test_periods():
    df = pd.DataFrame({
        "sex": ["F", "F", "F", "F"], "age_band": ["0-49", "50+", "0-49", "50+"],
        "period": ["2000-2009", "2000-2009", "2010-2019", "2010-2019"], "rate": [1, 2, 3, 4]})
    t = load_rates(df)
    assert t.has_periods
    assert list(t.lookup("F", [10, 60, 60, 60], [1990, 2005.5, 2015, 2030])) == [1, 2, 4, 4]
    with pytest.raises(RatesError, match="calendar year"):
        t.lookup("F", 10)


@pytest.mark.parametrize(
    "frame, match",
    [
        (pd.DataFrame({"sex": ["F", "X"], "age_band": ["0-4", "5+"], "rate": [1, 2]}),
         r"row 3, column 'sex': unknown sex 'X'"),
        (pd.DataFrame({"sex": ["F", "F"], "age_band": ["0-4", "6+"], "rate": [1, 2]}),
         r"row 3.*missing age band between 5 and 6 for sex F"),
        (pd.DataFrame({"sex": ["F", "F"], "age_band": ["0-9", "5+"], "rate": [1, 2]}),
         r"row 3.*overlaps band 0-9 \(row 2\)"),
        (pd.DataFrame({"sex": ["F", "F"], "age_band": ["0-4", "5+"], "rate": [1, -2]}),
         r"row 3, column 'rate': invalid rate -2"),
        (pd.DataFrame({"sex": ["F", "F"], "age_band": ["0-4", "5+"], "rate": [1, "abc"]}),
         r"row 3, column 'rate': 'abc' is not a number"),
        (pd.DataFrame({"sex": ["F", "F"], "age_band": ["0-4", "5+"], "rate": [1, None]}),
         r"row 3, column 'rate': missing rate"),
        (pd.DataFrame({"sex": ["F"], "age_band": ["five"], "rate": [1]}),
         r"row 2, column 'age_band': cannot read age band"),
        (pd.DataFrame({"sex": ["F"], "age_from": ["x"], "rate": [1]}),
         r"row 2, column 'age_from': 'x' is not a number"),
        (pd.DataFrame({"sex": ["F"], "age_from": [10], "age_to": [5], "rate": [1]}),
         r"row 2, column 'age_to'"),
        (pd.DataFrame({"sex": ["F"], "rate": [1]}), "no age columns"),
        (pd.DataFrame({"age_band": ["0+"], "rate": [1]}), "no 'sex' column"),
        (pd.DataFrame({"sex": ["F"], "age_band": ["0+"]}), "no rate column"),
        (pd.DataFrame({"sex": ["F", "F"], "age_band": ["0+", "0+"], "rate": [1, 1]}),
         "overlaps"),
        (pd.DataFrame({"sex": ["F", "F"], "age_band": ["0+", "0+"],
                       "period": ["2000-2004", "2006-2010"], "rate": [1, 1]}),
         "missing calendar period between 2004 and 2006"),
        (pd.DataFrame({"sex": ["F", "F"], "age_band": ["0+", "0+"],
                       "period": ["2000-2005", "2004-2010"], "rate": [1, 1]}),
         "overlaps period"),
        (pd.DataFrame({"sex": ["F", "M"], "age_band": ["0+", "0+"],
                       "period": ["2000-2005", "2006-2010"], "rate": [1, 1]}),
         "same sexes"),
        (pd.DataFrame(), "empty"),
    ],
)
def test_validation_errors(frame, match):
    with pytest.raises(RatesError, match=match):
        load_rates(frame)


def test_rates_error_is_value_error():
    assert issubclass(RatesError, ValueError)


def test_missing_file_and_garbage():
    with pytest.raises(RatesError, match="not found"):
        load_rates("/no/such/file.csv")
    with pytest.raises(RatesError):
        load_rates(io.BytesIO(b"just one line without separators"))


def test_blank_trailing_rows_ignored():
    t = load_rates(io.BytesIO((CSV + ",,\n,,\n").encode()))
    assert len(t.data) == 4
