"""Write the importer test corpus (small files in every accepted format, and broken ones).

Run ``python tests/data/make_corpus.py``; the files are committed in ``import_corpus/``.
The expected outcome of each file is stated in ``tests/core/test_io_corpus.py``.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

OUT = Path(__file__).resolve().parent / "import_corpus"

BASE_HEADER = "patient_id,sex,age_at_diagnosis,diagnosis_date,anti_mi2,gottron,ck_max_ul,cancer,cancer_date,death,death_date,last_followup_date"


def w(name: str, text: str, encoding: str = "utf-8", bom: bool = False) -> None:
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    (OUT / name).write_bytes(data)


def xlsx(name: str, sheets: dict[str, list[list[object]]]) -> None:
    wb = Workbook()
    first = True
    for title, rows in sheets.items():
        ws = wb.active if first else wb.create_sheet()
        ws.title = title
        first = False
        for r in rows:
            ws.append(r)
    wb.save(OUT / name)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    # ---------------------------------------------------------------- good files
    w("01_utf8_comma_iso.csv", BASE_HEADER + "\n"
      "P1,F,55.5,2015-03-01,1,1,3748,1,2015-05-01,0,,2018-01-01\n"
      "P2,M,62,2016-01-15,0,0,1680,0,,1,2017-02-01,2017-02-01\n"
      "P3,F,41.2,2014-07-20,1,,890,0,,0,,2019-06-30\n")
    w("02_utf8_bom_yes_no.csv", BASE_HEADER + "\n"
      "P1,F,55.5,2015-03-01,yes,Yes,3748,no,,no,,2018-01-01\n"
      "P2,M,62,2016-01-15,no,NO,1680,yes,2016-06-01,no,,2017-02-01\n", bom=True)
    w("03_cp1252_semicolon_french.csv",
      "Identifiant;Sexe;Âge au diagnostic;Date de diagnostic;Anti-Mi2;Papules de Gottron;CK max (UI/L);Cancer;Date du cancer;Décès;Date du décès;Date des dernières nouvelles\n"
      "P1;F;55,5;01/03/2015;positif;oui;3748,0;non;;non;;01/01/2018\n"
      "P2;H;62,0;15/01/2016;négatif;non;1680,5;oui;01/06/2016;oui;01/02/2017;01/02/2017\n"
      "P3;F;41,2;20/07/2014;positif;ND;890;non;;non;;30/06/2019\n", encoding="cp1252")
    w("04_tab_true_false.tsv", BASE_HEADER.replace(",", "\t") + "\n" + "\n".join(
        r.replace(",", "\t") for r in [
            "P1,F,55.5,2015-03-01,TRUE,true,3748,False,,false,,2018-01-01",
            "P2,M,62,2016-01-15,false,FALSE,1680,false,,false,,2017-02-01",
        ]) + "\n")
    w("05_dotted_dates_checked.csv", BASE_HEADER + "\n"
      "P1,F,55.5,01.03.2015,Checked,checked,3748,Unchecked,,unchecked,,01.01.2018\n"
      "P2,M,62,15.01.2016,Unchecked,Checked,1680,Unchecked,,Unchecked,,01.02.2017\n")
    w("06_excel_serial_dates.csv", BASE_HEADER + "\n"
      "P1,F,55.5,42064,1,1,3748,0,,0,,43101\n"
      "P2,M,62,42384,0,0,1680,0,,0,,42767\n")
    w("07_plus_minus_positive.csv",
      "patient_id,anti_mi2,anti_mda5,anti_tif1g,anti_nxp2,anti_sae\n"
      "P1,+,\u2212,ND,,NA\n"
      "P2,positive,negative,Positif,Négatif,pos\n"
      "P3,\u2212,\u2212,\u2212,\u2212,\u2212\n"
      "P4,,,,,\n")
    w("08_missing_codes.csv", "patient_id,gottron,myalgia,ck_max_ul\n"
      "P1,,NA,\nP2,N/A,ND,NR\nP3,?,-,na\nP4,1,0,120\nP5,nd,n/a,ND\n")
    w("09_case_and_spaces.csv", "patient_id,gottron,myalgia,sex\n"
      "P1,  Yes ,oui ,  f\nP2,NO, Non,M \nP3, O ,n,Female\nP4,Y,N,homme\n")
    xlsx("10_cohort.xlsx", {"Patients": [
        ["patient_id", "sex", "age_at_diagnosis", "diagnosis_date", "anti_mi2", "gottron", "last_followup_date"],
        ["P1", "F", 55.5, "2015-03-01", "positive", "yes", 43101],
        ["P2", "M", 62, "15/01/2016", "negative", "no", "2017-02-01"],
    ]})
    xlsx("11_multi_sheet.xlsx", {
        "Notes": [["This sheet is notes"], ["nothing here"]],
        "Cohort": [["patient_id", "sex", "gottron"], ["A1", "F", 1], ["A2", "M", 0], ["A3", "F", None]],
    })
    w("12_redcap_raw.csv",
      "record_id,redcap_repeat_instrument,redcap_repeat_instance,sex,age_at_diagnosis,antibodies___1,antibodies___2,gottron,demographics_complete\n"
      "1,,,F,55,1,0,1,2\n"
      "1,visits,1,,,,,,\n"
      "2,,,M,61,0,1,0,2\n"
      "3,,,F,47,0,0,,1\n")
    w("13_redcap_labels.csv",
      "Record ID,Sex,Antibodies (choice=Mi2),Antibodies (choice=MDA5),Gottron papules,Complete?\n"
      "1,F,Checked,Unchecked,Yes,Complete\n"
      "2,M,Unchecked,Checked,No,Incomplete\n")
    w("14_birth_date_only.csv", "patient_id,sex,birth_date,diagnosis_date\n"
      "P1,F,1960-03-01,2015-03-01\nP2,M,1954-01-15,2016-01-15\n")
    w("15_no_antibodies.csv", "patient_id,myalgia\nP1,1\nP2,0\n")
    w("16_us_dates.csv", "patient_id,diagnosis_date\nP1,03/25/2015\nP2,12/31/2016\n")
    # ---------------------------------------------------------------- broken files
    w("20_empty.csv", "")
    w("21_header_only.csv", "patient_id,sex\n")
    w("22_no_patient_id.csv", "sex,age_at_diagnosis\nF,50\nM,60\n")
    w("23_duplicate_ids.csv", "patient_id,sex\nP1,F\nP2,M\nP1,F\n")
    w("24_bad_date.csv", "patient_id,diagnosis_date\nP1,2015-03-01\nP2,31/02/2015\n")
    w("25_age_out_of_range.csv", "patient_id,age_at_diagnosis\nP1,55\nP2,130\nP3,-2\n")
    w("26_non_binary_feature.csv", "patient_id,gottron\nP1,yes\nP2,no\nP3,yes\nP4,no\nP5,yes\nP6,maybe\n")
    w("27_followup_before_diagnosis.csv", "patient_id,diagnosis_date,last_followup_date\nP1,2015-03-01,2014-01-01\nP2,2015-03-01,2016-01-01\n")
    w("28_death_before_birth.csv", "patient_id,birth_date,death,death_date\nP1,1960-01-01,1,1950-01-01\n")
    w("29_ragged_rows.csv", "patient_id,sex\nP1,F\nP2,M,extra,fields\n")
    (OUT / "30_corrupt.xlsx").write_bytes(b"PK\x03\x04this is not really a workbook")
    w("31_warnings_only.csv", "patient_id,sex,diagnosis_date,cancer,cancer_date,death,death_date,last_followup_date,empty_col\n"
      "P1,X,2015-03-01,1,,0,,2018-01-01,\n"
      "P2,F,2015-03-01,0,2016-01-01,0,,2018-01-01,\n"
      "P3,M,2015-03-01,0,,0,,2099-01-01,\n")
    w("32_duplicate_headers.csv", "patient_id,sex,sex\nP1,F,F\n")
    w("33_bad_number.csv", "patient_id,ck_max_ul\nP1,120\nP2,340\nP3,560\nP4,780\nP5,>1000\n")


if __name__ == "__main__":
    main()
