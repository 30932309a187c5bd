"""The ``myoscope`` command line (issue 9): numeric categories, empty groups, one-line
errors, unit-aware landmarks, visible Cox failures.

The fixture ``tests/data/cli/ecog_cohort.csv`` mimics ``survival::lung``: ``ph_ecog`` is
written 0/1/2 with missing values, so pandas reads it as float (0.0, 1.0, 2.0).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import core.cli as cli_module
from core.cli import main as cli
from core.io import SAMPLE_DIR

DATA = Path(__file__).resolve().parents[1] / "data" / "cli"
ECOG = str(DATA / "ecog_cohort.csv")
SAMPLE = str(SAMPLE_DIR / "cohort.csv")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _variant(tmp_path: Path, name: str, **changes: object) -> str:
    """A copy of the ECOG fixture with some columns rewritten (where= filters rows)."""
    d = pd.read_csv(ECOG, dtype=str, keep_default_na=False)
    where = changes.pop("where", None)
    rows = d.eval(where) if where else slice(None)
    for col, value in changes.items():
        d.loc[rows, col] = value
    path = tmp_path / name
    d.to_csv(path, index=False)
    return str(path)


def assert_one_line_error(code: int, out: str, err: str, command: str, *needles: str) -> None:
    assert code == 2
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"myoscope {command}: "), lines[0]
    for n in needles:
        assert n in lines[0], (n, lines[0])


# ------------------------------------------------------------- 1 + 6: numeric categories
def test_compare_by_numeric_category_first_level_is_not_empty(capsys):
    """Before: '0.0: 0 patients vs other than 0.0: 34' and exit 0."""
    code, out, err = _run(capsys, "compare", ECOG, "--group-by", "ph_ecog", "--features", "age_at_diagnosis", "--json")
    assert code == 0, err
    p = json.loads(out)
    assert p["group_a"] == {"label": "0", "n": 12}
    assert p["group_b"] == {"label": "other than 0", "n": 22}
    assert p["n_excluded"] == 2


@pytest.mark.parametrize("asked", ["0", "0.0"])
def test_compare_text_shows_written_form(capsys, asked):
    code, out, err = _run(capsys, "compare", ECOG, "--group-by", "ph_ecog", "--group-a", asked,
                          "--features", "age_at_diagnosis")
    assert code == 0, err
    header = out.splitlines()[0]
    assert header.startswith("ph_ecog: 0 vs other than 0"), header
    assert "0.0" not in out
    assert "12" in out.splitlines()[2] and "22" in out.splitlines()[2]  # Patients, n


def test_compare_by_decimal_category(capsys):
    code, out, err = _run(capsys, "compare", ECOG, "--group-by", "grade", "--features", "age_at_diagnosis", "--json")
    assert code == 0, err
    p = json.loads(out)
    assert p["group_a"] == {"label": "0.5", "n": 18} and p["group_b"]["n"] == 18


# ------------------------------------------------------------- 2: never an empty group
def test_compare_refuses_an_empty_group(capsys):
    code, out, err = _run(capsys, "compare", ECOG, "--group-by", "ph_ecog", "--group-a", "4",
                          "--features", "age_at_diagnosis")
    assert_one_line_error(code, out, err, "compare", "--group-by 'ph_ecog'", "--group-a 4", "group '4' has no patient")
    assert out == ""  # no table, no test


def test_compare_refuses_an_empty_group_b(capsys):
    code, out, err = _run(capsys, "compare", ECOG, "--group-by", "ph_ecog", "--group-a", "0", "1", "2",
                          "--features", "age_at_diagnosis")
    assert_one_line_error(code, out, err, "compare", "group 'other than 0 / 1 / 2' has no patient")


def test_survival_refuses_a_group_without_survival_data(tmp_path, capsys):
    f = _variant(tmp_path, "nofu.csv", where="ph_ecog == '2'", last_followup_date="", death_date="", death="0")
    code, out, err = _run(capsys, "survival", f, "--group-by", "ph_ecog")
    assert_one_line_error(code, out, err, "survival", "--group-by 'ph_ecog'", "group '2' has no patient",
                          "usable survival data")


def test_survival_refuses_an_empty_filtered_cohort(capsys):
    code, out, err = _run(capsys, "survival", SAMPLE, "--group-by", "sex", "--filters", '{"age_min": 200}')
    assert_one_line_error(code, out, err, "survival", "--group-by 'sex'")


# ------------------------------------------------------------- 3: one line, exit 2, no traceback
def _errors(tmp_path: Path) -> list[tuple[list[str], str, tuple[str, ...]]]:
    bad_dic = tmp_path / "dictionary.csv"
    bad_dic.write_text("a,b\n1,2\n", encoding="utf-8")
    bad_rows = tmp_path / "bad_rows.csv"
    bad_rows.write_text("patient_id,sex,age_at_diagnosis,diagnosis_date\np1,M,50,2020-01-01\np2,F,60,notadate\n",
                        encoding="utf-8")
    no_dates = tmp_path / "no_dates.csv"
    no_dates.write_text("patient_id,sex,age_at_diagnosis\np1,M,50\np2,F,60\n", encoding="utf-8")
    return [
        (["compare", str(bad_rows), "--group-by", "sex"], "compare", ("bad_rows.csv", "row 3", "'diagnosis_date'")),
        (["survival", str(no_dates), "--group-by", "sex"], "survival", ("--origin 'diagnosis_date'",)),
        (["compare", ECOG, "--group-by", "ph_ecog", "--features", "sex"], "compare", ("--features", "sex")),
        (["compare", ECOG, "--group-by", "ph_ecog", "--features", "nosuch"], "compare", ("--features", "nosuch")),
        (["compare", ECOG, "--group-by", "nosuch"], "compare", ("--group-by 'nosuch'",)),
        (["compare", ECOG, "--group-by", "age_at_diagnosis", "--group-a", "old"], "compare", ("--group-a old",)),
        (["sir", SAMPLE, "--by", "nosuch"], "sir", ("--by 'nosuch'",)),
        (["sir", SAMPLE, "--window-before-years", "-1"], "sir", ("--window-before-years",)),
        (["compare", str(tmp_path / "missing.csv"), "--group-by", "sex"], "compare", ("missing.csv", "no such file")),
        (["summary", str(tmp_path)], "summary", (str(tmp_path), "directory")),
        (["survival", ECOG, "--group-by", "sex", "--filters", "{bad"], "survival", ("--filters", "not valid JSON")),
        (["sir", ECOG, "--filters", "[1, 2]"], "sir", ("--filters",)),
        (["compare", ECOG, "--group-by", "sex", "--dictionary", str(bad_dic)], "compare", ("--dictionary", "dictionary.csv")),
        (["compare", ECOG, "--group-by", "sex", "--dictionary", str(tmp_path / "nodic.csv")], "compare", ("--dictionary",)),
        (["sir", SAMPLE, "--rates", str(tmp_path)], "sir", ("--rates", "directory")),
        (["ifn-score", str(tmp_path / "nope.csv")], "ifn-score", ("qPCR file", "nope.csv")),
        (["compare", ECOG], "compare", ("--group-by",)),  # argparse usage error
    ]


def test_every_error_is_one_line_exit_2(tmp_path, capsys):
    for argv, command, needles in _errors(tmp_path):
        code, out, err = _run(capsys, *argv)
        assert_one_line_error(code, out, err, command, *needles)


def test_sir_by_names_its_own_flag(capsys):
    code, _out, err = _run(capsys, "sir", SAMPLE, "--by", "nosuch")
    assert code == 2 and "--group-by" not in err and "--by 'nosuch'" in err


def test_unreadable_file(monkeypatch, capsys):
    monkeypatch.setattr(cli_module.os, "access", lambda *a, **k: False)
    code, out, err = _run(capsys, "compare", ECOG, "--group-by", "sex")
    assert_one_line_error(code, out, err, "compare", "ecog_cohort.csv", "permission denied")


def test_unexpected_error_is_one_line_unless_debug(monkeypatch, capsys):
    def boom(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(cli_module, "_load", boom)
    monkeypatch.delenv("MYOSCOPE_DEBUG", raising=False)
    code, out, err = _run(capsys, "compare", ECOG, "--group-by", "sex")
    assert_one_line_error(code, out, err, "compare", "RuntimeError", "boom second line", "MYOSCOPE_DEBUG=1")
    monkeypatch.setenv("MYOSCOPE_DEBUG", "1")
    code, out, err = _run(capsys, "compare", ECOG, "--group-by", "sex")
    assert code == 2 and "Traceback" in err and err.strip().splitlines()[-1].startswith("myoscope compare: ")


def test_sir_not_estimable_in_text_mode(capsys):
    """Before: TypeError (None formatted with :.3f) when no expected cases."""
    code, out, err = _run(capsys, "sir", SAMPLE, "--filters", '{"age_min": 200}')
    assert code == 0, err
    assert "not estimable" in out and "Traceback" not in err


def test_sir_subgroups_formatted(capsys):
    code, out, err = _run(capsys, "sir", SAMPLE, "--by", "sex")
    assert code == 0, err
    lines = [ln for ln in out.splitlines() if ln.strip().startswith(("F:", "M:"))]
    assert len(lines) == 2 and all("SIR=" in ln and " P=" in ln for ln in lines)


# ------------------------------------------------------------- 4: landmarks follow --time-unit
@pytest.mark.parametrize(("unit", "times"), [("years", [1.0, 3.0, 5.0]), ("months", [12.0, 36.0, 60.0]),
                                             ("days", [365.25, 1095.75, 1826.25])])
def test_survival_landmarks_follow_time_unit(capsys, unit, times):
    code, out, err = _run(capsys, "survival", ECOG, "--group-by", "sex", "--time-unit", unit, "--json")
    assert code == 0, err
    p = json.loads(out)
    for g in p["groups"]:
        assert [lm["time"] for lm in g["landmarks"]] == pytest.approx(times)
    code, out, err = _run(capsys, "survival", ECOG, "--group-by", "sex", "--time-unit", unit)
    assert code == 0, err
    assert out.count("survival at 1 y / 3 y / 5 y: ") == 2


# ------------------------------------------------------------- 5: Cox failure visible
def test_cox_not_fitted_is_said_in_text(tmp_path, capsys):
    f = _variant(tmp_path, "noevent.csv", death="0", death_date="")
    code, out, err = _run(capsys, "survival", f, "--group-by", "sex")
    assert code == 0, err
    line = [ln for ln in out.splitlines() if "Cox model not fitted" in ln]
    assert len(line) == 1
    reason = line[0].split("Cox model not fitted:", 1)[1].strip()
    assert reason and reason != "no reason given"
    code, out, err = _run(capsys, "survival", f, "--group-by", "sex", "--json")
    p = json.loads(out)
    assert p["cox"] is None
    assert p.get("cox_error") or any("Cox model not fitted" in n for n in p["notes"])


# ------------------------------------------------------------------ input limits (issue 10)
def test_limit_flags_bound_every_file_and_name_the_flag(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("MYOSCOPE_MAX_ROWS", raising=False)
    f = tmp_path / "rows.csv"
    f.write_text("patient_id,age_at_diagnosis\n" + "".join(f"P{i},{40 + i % 30}\n" for i in range(30)))
    assert cli(["compare", str(f), "--group-by", "age_at_diagnosis", "--max-rows", "10"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "more than the limit of 10" in err and "--max-rows" in err
    monkeypatch.delenv("MYOSCOPE_MAX_ROWS", raising=False)
    assert cli(["summary", str(f), "--max-rows", "100", "--json"]) == 0
    assert cli(["summary", str(f), "--max-file-mb", "0"]) == 2
    assert "--max-file-mb must be a positive number" in capsys.readouterr().err


# ------------------------------------------------------------------ report (issue 11)
def test_report_writes_the_bundle_and_prints_stages_and_path(tmp_path, capsys):
    import zipfile

    from core.view import ViewState

    settings = tmp_path / "view.json"
    settings.write_text(ViewState().with_values(**{"r.ci": "wald"}).to_json("cohort.csv", "0" * 64), encoding="utf-8")
    out_dir = tmp_path / "out"
    code, out, err = _run(capsys, "report", SAMPLE, "--settings", str(settings), "--filters", '{"antibody_subtype": ["Mi2"]}',
                          "--out", str(out_dir), "--no-figures", "--json")
    assert code == 0, err
    p = json.loads(out)
    assert p["bundle"] == str((out_dir / "myoscope_bundle.zip").resolve())
    assert {"deck.pptx", "report.html", "report.docx", "tables.xlsx", "view.json"} <= set(p["files"])
    assert p["results"]["sir"]["ci_method"] == "wald"  # the settings file's CI method, the --filters' subgroup
    assert p["results"]["sir"] == json.loads(_run(capsys, "sir", SAMPLE, "--filters", '{"antibody_subtype": ["Mi2"]}',
                                                  "--ci", "wald", "--json")[1])
    assert p["results"]["compare"]["group_a"]["label"] == "Cancer: yes"  # the page's default split within anti-Mi2
    for stage in ("Computing analyses", "Writing PowerPoint", "Writing HTML report", "Writing Word", "Writing Excel"):
        assert stage in err
    assert "was saved for 'cohort.csv'" in err  # the view's cohort SHA-256 is not this file's
    with zipfile.ZipFile(out_dir / "myoscope_bundle.zip") as z:
        assert json.loads(z.read("view.json"))["filters"] == {"antibody_subtype": ["Mi2"]}
    code, out, err = _run(capsys, "report", SAMPLE, "--out", str(out_dir), "--no-figures")
    assert code == 0 and out.startswith("bundle: ") and "myoscope_bundle.zip" in out


@pytest.mark.parametrize(("argv", "needle"), [
    (["--suppress-below", "1"], "--suppress-below must be a whole number of at least 2"),
    (["--settings", "missing.json"], "--settings 'missing.json': no such file"),
    (["--filters", '{"bad": 1}'], "--filters: Unknown filter key"),
    (["--events", "missing.csv"], "--events 'missing.csv': no such file"),
])
def test_report_errors_are_one_line(tmp_path, capsys, argv, needle):
    code, out, err = _run(capsys, "report", SAMPLE, "--out", str(tmp_path), "--no-figures", *argv)
    assert_one_line_error(code, out, err, "report", needle)


def test_report_refuses_a_file_as_out_and_a_bad_view(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert_one_line_error(*_run(capsys, "report", SAMPLE, "--out", str(f)), "report", "is a file, not a directory")
    bad = tmp_path / "v.json"
    bad.write_text("{}")
    assert_one_line_error(*_run(capsys, "report", SAMPLE, "--out", str(tmp_path), "--settings", str(bad)), "report",
                          "not a Myoscope view file")
    assert_one_line_error(*_run(capsys, "report", SAMPLE, "--out", str(tmp_path), "--filters", '{"age_min": 200}'),
                          "report", "No patient matches")


def test_compare_all_levels_gives_table_one_with_overall(capsys):
    """``--all-levels``: one group per subtype, Overall column, Fisher r x c / Kruskal-Wallis."""
    assert cli(["compare", SAMPLE, "--group-by", "antibody_subtype", "--all-levels", "--features", "gottron,ck_max_ul", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [g["label"] for g in out["groups"]][:2] == ["anti-Mi2", "anti-MDA5"] and out["overall"]["n"] == 119
    tests = {f["feature"]: f["test"] for f in out["features"]}
    assert "Fisher" in tests["gottron"] and "Kruskal" in tests["ck_max_ul"]
