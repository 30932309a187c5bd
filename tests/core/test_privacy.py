"""Privacy for sharing (issue 11): small counts suppressed, derived percentages blanked,
zeros kept, identifiers left out, pseudonyms."""

from __future__ import annotations

import pandas as pd

from core.privacy import (
    PrivacyOptions,
    apply_privacy,
    drop_identifiers,
    is_small,
    private_table,
    pseudonym,
    pseudonyms,
    suppress_small_counts,
    suppress_text,
)


def test_small_means_one_to_threshold_minus_one():
    assert [is_small(v) for v in (0, 1, 4, 5, 4.0, 4.5, "3", "12", None, True)] == [
        False, True, True, False, True, False, True, False, False, False]
    assert is_small(9, threshold=11) and not is_small(11, threshold=11)


def test_journal_cells():
    assert suppress_text("3/42 (7.1%)") == ("<5/42", True)
    assert suppress_text("0/3 (0.0%)") == ("0/<5", True)  # the denominator is a small count
    assert suppress_text("0/42 (0.0%)") == ("0/42 (0.0%)", False)  # a zero reveals no one
    assert suppress_text("38/53 (71.7%)") == ("38/53 (71.7%)", False)
    assert suppress_text("12.0 (8.0–20.0); n = 3") == ("12.0 (8.0–20.0); n = <5", True)
    assert suppress_text("4") == ("<5", True) and suppress_text(".008") == (".008", False)


def test_numeric_table_counts_and_derived_values():
    rows = pd.DataFrame({"feature": ["a", "b", "c"], "n_a": [38, 2, 0], "N_a": [53, 55, 40],
                         "pct_a": [71.7, 3.6, 0.0], "odds_ratio": [4.0, 0.2, 0.0], "p_value": [0.001, 0.5, 1.0]})
    out = suppress_small_counts(rows)
    assert out["n_a"].tolist() == [38, "<5", 0]
    assert out["pct_a"].tolist() == [71.7, None, 0.0]  # derived from the suppressed count
    assert out["odds_ratio"].tolist() == [4.0, None, 0.0]
    assert out["p_value"].tolist() == rows["p_value"].tolist()  # P values kept
    assert out.attrs["suppressed"] == 1
    assert rows["n_a"].tolist() == [38, 2, 0]  # input untouched


def test_display_table_and_labels_untouched():
    table = pd.DataFrame({"Feature": ["Patients, n", "Holster sign", "2"], "anti-Mi2+": ["64", "12/55 (21.8%)", "1/9 (11.1%)"],
                          "anti-Mi2−": ["55", "2/55 (3.6%)", "3/3 (100.0%)"], "P": ["", ".008", ">.99"],
                          "OR (95% CI)": ["", "7.28 (1.50–70.4)", "1.0 (0.1–9)"]})
    out = suppress_small_counts(table)
    assert out["anti-Mi2+"].tolist() == ["64", "12/55 (21.8%)", "<5/9"]
    assert out["anti-Mi2−"].tolist() == ["55", "<5/55", "<5/<5"]
    assert out["OR (95% CI)"].tolist() == ["", None, None]
    assert out["Feature"].tolist() == ["Patients, n", "Holster sign", "2"]  # a label is not a count
    assert out["P"].tolist() == ["", ".008", ">.99"]


def test_threshold_off_and_custom():
    df = pd.DataFrame({"events": [3, 8]})
    assert suppress_small_counts(df, threshold=1)["events"].tolist() == [3, 8]
    assert suppress_small_counts(df, threshold=10)["events"].tolist() == ["<10", "<10"]


def test_identifiers_left_out_unless_opted_in():
    df = pd.DataFrame({"patient_id": ["P1"], "Birth_Date": ["1950-01-01"], "days": [12]})
    assert list(drop_identifiers(df).columns) == ["days"]
    assert list(drop_identifiers(df, include_ids=True).columns) == ["patient_id", "Birth_Date", "days"]
    both = private_table(pd.DataFrame({"patient_id": ["P1", "P2"], "observed": [1, 7]}), suppress_below=5)
    assert list(both.columns) == ["observed"] and both["observed"].tolist() == ["<5", 7]
    assert apply_privacy(df, PrivacyOptions()).columns.tolist() == ["days"]
    assert "left out" in PrivacyOptions().describe() and "<5" in PrivacyOptions(5).describe()


def test_pseudonyms():
    assert [pseudonym(i) for i in (0, 1, 25, 26, 27)] == ["Patient A", "Patient B", "Patient Z", "Patient AA", "Patient AB"]
    m = pseudonyms(["P1", "P2", "P3"], first="P3")
    assert m == {"P3": "Patient A", "P1": "Patient B", "P2": "Patient C"}


def test_figure_texts_show_no_small_count():
    from core.privacy import suppress_figure_text

    fig = {"data": [{"name": "Cancer: no (n = 3)", "hovertext": ["O = 2, E = 1.10<br>SIR 1.82 (0.22–6.57)", "O = 14, E = 2.74"]}],
           "layout": {"annotations": [{"text": "2 / 1.1   1.8 (0.5–7.3)"}, {"text": "14 / 2.7   5.1 (3.0–8.6)"}],
                      "width": 960}}
    out = suppress_figure_text(fig)
    assert out["data"][0]["name"] == "Cancer: no (n = <5)"
    assert out["data"][0]["hovertext"] == ["O = <5, E = 1.10<br>SIR —", "O = 14, E = 2.74"]
    assert [a["text"] for a in out["layout"]["annotations"]] == ["<5 / 1.1   —", "14 / 2.7   5.1 (3.0–8.6)"]
    assert out["layout"]["width"] == 960
