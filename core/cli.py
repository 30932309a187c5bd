"""The ``myoscope`` command line: the same core functions as the pages.

Sub-commands: ``summary``, ``compare``, ``survival``, ``sir``, ``ifn-score``, ``report``
(the meeting bundle of a view, :mod:`core.report`). Each prints
a readable report, or with ``--json`` the JSON object documented in the README. Exit
status: 0 on success, 2 on any error. An error is one line on stderr,
``myoscope <command>: ...``, naming the option, file, row or column at fault (never a
traceback; ``MYOSCOPE_DEBUG=1`` adds one for unexpected errors). ``summary`` prints the
blocking problems of the file it checks and also exits 2. A split that leaves a group
with no patient is refused (exit 2) rather than tested.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import sys
import traceback
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd

from core.constants import DAYS_PER_UNIT, DAYS_PER_YEAR
from core.filters import FilterError, FilterSpec, apply_filters
from core.formatting import format_p
from core.groups import (
    Grouping,
    GroupingError,
    GroupSpec,
    assign_groups,
    category_levels,
    require_groups,
)
from core.i18n import LANGUAGES, _, fmt_number, language, n_, set_language, using
from core.io import Cohort, CohortFileError, read_cohort, sample_dictionary
from core.schema import DataDictionary


class CliError(Exception):
    """A usage or input error: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """Argument parser whose usage errors are one line (``myoscope <command>: ...``)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Print one line and exit with status 2 (argparse prints the usage too)."""
        print(_("{prog}: {reason} (see {prog} --help)", prog=self.prog, reason=message), file=sys.stderr)
        raise SystemExit(2)


def _check_file(what: str, path: str) -> None:
    """Raise :class:`CliError` unless ``path`` is a readable file.

    ``what`` names the argument at fault ("cohort file", "--dictionary", ...).
    """
    if not os.path.exists(path):
        raise CliError(_("{what} {path}: no such file.", what=what, path=repr(path)))
    if os.path.isdir(path):
        raise CliError(_("{what} {path} is a directory, not a file.", what=what, path=repr(path)))
    if not os.access(path, os.R_OK):
        raise CliError(_("{what} {path}: permission denied (the file cannot be read).", what=what, path=repr(path)))


def _one_line(text: object) -> str:
    """Collapse a message to one line (ASCII whitespace only: French no-break spaces stay)."""
    return " ".join(re.split(r"[ \t\r\n\f\v]+", str(text).strip(" \t\r\n\f\v")))


def _fmt(x: Any, spec: str, missing: str | None = None) -> str:
    """Format a number (decimal comma in French), or ``missing`` (default "not
    estimable") for None / NaN / inf."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return _("not estimable") if missing is None else missing
    text = format(x, spec)
    return text.replace(".", ",") if language() == "fr" else text


def _na() -> str:
    """The short mark of a missing number ("NA")."""
    return _("NA")


def _json_default(o: Any) -> Any:
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if hasattr(o, "item"):
        return o.item()
    if isinstance(o, pd.Timestamp):
        return o.strftime("%Y-%m-%d")
    return str(o)


def _clean_json(o: Any) -> Any:
    """Replace NaN/inf floats by null recursively (strict JSON)."""
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {str(k): _clean_json(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean_json(v) for v in o]
    if hasattr(o, "item") and not isinstance(o, (str, bytes)):
        return _clean_json(o.item())
    return o


def _print_json(obj: Any) -> None:
    print(json.dumps(_clean_json(obj), ensure_ascii=False, indent=2, default=_json_default, allow_nan=False))


def _dictionary(path: str | None) -> DataDictionary:
    """The ``--dictionary`` file, or the sample dictionary; CliError naming the flag."""
    if not path:
        return sample_dictionary()
    from core.io import load_dictionary

    _check_file("--dictionary", path)
    try:
        return load_dictionary(path)
    except (CohortFileError, OSError, UnicodeDecodeError, ValueError, KeyError) as exc:
        raise CliError(f"--dictionary {path!r}: {_one_line(exc)}") from exc


def _read(path: str, dictionary: str | None) -> Cohort:
    """Read the cohort file named on the command line; CliError naming the file."""
    dic = _dictionary(dictionary)
    _check_file(_("cohort file"), path)
    try:
        return read_cohort(path, dictionary=dic)
    except (CohortFileError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise CliError(_("cohort file {path}: {reason}", path=repr(path), reason=_one_line(exc))) from exc


def _filter(cohort: Cohort, filters: str | None) -> tuple[pd.DataFrame, str]:
    """Apply ``--filters``; CliError naming the flag."""
    try:
        res = apply_filters(cohort.data, FilterSpec.from_json(filters), cohort.dictionary)
    except (FilterError, ValueError, TypeError, KeyError) as exc:
        raise CliError(f"--filters: {_one_line(exc)}") from exc
    return res.data, res.description()


def _load(path: str, filters: str | None, dictionary: str | None) -> tuple[Cohort, pd.DataFrame, str]:
    """Read, validate and filter a cohort; raises CliError on blocking problems."""
    cohort = _read(path, dictionary)
    if cohort.has_errors:
        p = cohort.errors[0]
        where = _("row {row}", row=p.row) if p.row is not None else _("file")
        col = _(", column {column}", column=repr(p.column)) if p.column else ""
        val = _(", value {value}", value=repr(p.value)) if p.value not in (None, "") else ""
        more = (n_(" (and {n} more problem: run 'myoscope summary {path}' for the list)",
                   " (and {n} more problems: run 'myoscope summary {path}' for the list)", len(cohort.errors) - 1, path=path)
                if len(cohort.errors) > 1 else "")
        raise CliError(_("{path}: {where}{column}{value}: {reason}{more}", path=path, where=where, column=col, value=val,
                         reason=_one_line(p.message), more=more))
    df, desc = _filter(cohort, filters)
    return cohort, df, desc


def grouping_for(df: pd.DataFrame, dictionary: DataDictionary, column: str, group_a: Sequence[str] | None,
                 two_groups: bool, flag: str = "--group-by") -> Grouping:
    """The grouping a ``--group-by`` / ``--group-a`` pair asks for (``flag`` names the
    option in messages, e.g. ``--by`` for ``sir``).

    * a binary column (antibody, yes/no feature): 1 vs 0;
    * ``antibody_subtype``: ``--group-a`` subtype(s) vs the other known subtypes;
    * ``age_at_diagnosis``: ``--group-a`` is the cut-off (≥ vs <, default 50);
    * another column: ``--group-a`` value(s) vs all other values; without ``--group-a``,
      every level is a group (survival) or the first level vs the rest (comparison).
      Values are matched in their written form (``0`` for 0.0).

    Raises
    ------
    CliError
        Unknown column, bad ``--group-a``, no group, or a group with no patient.
    """
    if column not in df:
        raise CliError(_("{flag} {column}: no such column. Columns: {columns}.", flag=flag, column=repr(column),
                         columns=", ".join(map(str, df.columns))))
    where = f"{flag} {column!r}" + (f" --group-a {' '.join(group_a)}" if group_a else "")
    try:
        grouping = assign_groups(df, _spec_for(df, dictionary, column, group_a, two_groups, where), dictionary)
        if not grouping.order:
            raise GroupingError(_("no patient has a value in this column (after filters)."))
        grouping.require_nonempty()
    except GroupingError as exc:
        raise CliError(f"{where}: {_one_line(exc)}") from exc
    return grouping


def _spec_for(df: pd.DataFrame, dictionary: DataDictionary, column: str, group_a: Sequence[str] | None,
              two_groups: bool, where: str) -> GroupSpec:
    """The :class:`GroupSpec` behind :func:`grouping_for`."""
    info = dictionary.get(column)
    if column == "age_at_diagnosis":
        try:
            cut = float(group_a[0]) if group_a else 50.0
        except ValueError as exc:
            raise CliError(_("{where}: the age cut-off must be a number.", where=where)) from exc
        return GroupSpec("age", column, cutoff=cut)
    if info.type == "binary" or column.startswith("anti_"):
        return GroupSpec("binary", column)
    if column == "antibody_subtype" and group_a and len(group_a) == 1:
        return GroupSpec("subtype", column, tuple(group_a))
    if group_a:
        return GroupSpec("category", column, tuple(group_a))
    if two_groups:
        first = category_levels(df[column])[:1]
        if not first:
            raise CliError(_("{where}: the column has no values (after filters).", where=where))
        return GroupSpec("category", column, tuple(first))
    return GroupSpec("levels", column)


# ------------------------------------------------------------------ sub-commands
def cmd_summary(args: argparse.Namespace) -> int:
    from core.summary import cohort_summary
    from core.validate import problems_frame

    cohort = _read(args.cohort, args.dictionary)
    data = cohort.data
    desc = _("no filter")
    if not cohort.data.empty:
        data, desc = _filter(cohort, args.filters)
    summ = cohort_summary(data, cohort.dictionary) if not data.empty else None
    if args.json:
        _print_json({
            "n_patients": len(data),
            "filters": desc,
            "problems": [p.to_dict() for p in cohort.problems],
            "summary": summ.payload() if summ else None,
        })
    else:
        print(n_("{file}: {n} patient ({filters})", "{file}: {n} patients ({filters})", len(data), file=args.cohort,
                 filters=desc))
        pf = problems_frame(cohort.problems)
        print(_("{errors}, {warnings}", errors=n_("{n} error", "{n} errors", len(cohort.errors)),
                warnings=n_("{n} warning", "{n} warnings", len(cohort.warnings))))
        if len(pf):
            print(pf.to_string(index=False, max_colwidth=90))
        if summ:
            print(_("Sex: {sex}", sex=summ.sex))
            print(_("Age at diagnosis, median (IQR): {age} (n = {n})", age=summ.age_text(), n=summ.age_n))
            print(_("Antibody subtypes: {subtypes}", subtypes=summ.subtypes))
            feats = summ.features[["feature", "type", "n_known", "n_missing"]].rename(columns={
                "feature": _("feature"), "type": _("type"), "n_known": _("n_known"), "n_missing": _("n_missing")})
            print(feats.to_string(index=False))
    return 2 if cohort.has_errors else 0


def _features(args: argparse.Namespace, cohort: Cohort, df: pd.DataFrame) -> list[str]:
    """The ``--features`` list (default: the dictionary's features present)."""
    if not args.features:
        return [e.name for e in cohort.dictionary.features() if e.name in df and e.name != args.group_by]
    features = list(dict.fromkeys(f.strip() for f in args.features.split(",") if f.strip()))
    missing = [f for f in features if f not in df]
    if missing:
        raise CliError(_("--features: no such column(s): {columns}.", columns=", ".join(missing)))
    if not features:
        raise CliError(_("--features: no feature named."))
    return features


def cmd_compare(args: argparse.Namespace) -> int:
    from core.compare import (
        CompareError,
        compare_groups,
        compare_payload,
        display_table,
    )

    cohort, df, desc = _load(args.cohort, args.filters, args.dictionary)
    grouping = grouping_for(df, cohort.dictionary, args.group_by, args.group_a, two_groups=not args.all_levels)
    features = _features(args, cohort, df)
    if len(grouping.order) != 2:
        return _compare_multi(args, cohort, df, desc, grouping, features)
    try:
        res = compare_groups(df, grouping.labels, grouping.order[0], grouping.order[1], features, cohort.dictionary, fdr=args.fdr)
    except CompareError as exc:
        raise CliError(_("--features: {reason}", reason=_one_line(exc)) if args.features else _one_line(exc)) from exc
    return _print_comparison(args, desc, grouping, compare_payload(res) if args.json else None,
                             None if args.json else display_table(res), res.guardrails)


def _print_comparison(args: argparse.Namespace, desc: str, grouping: Grouping, payload: dict[str, Any] | None,
                      table: pd.DataFrame | None, guardrails: Sequence[str]) -> int:
    """The JSON payload (with the filters) or the text table and its notes."""
    if payload is not None:
        payload["filters"] = desc
        _print_json(payload)
        return 0
    print(f"{grouping.description} — {desc}")
    print(table.to_string(index=False))
    for g in guardrails:
        print(_("note: {note}", note=g))
    return 0


def _compare_multi(args: argparse.Namespace, cohort: Cohort, df: pd.DataFrame, desc: str, grouping: Grouping,
                   features: list[str]) -> int:
    """Table 1 of three or more groups (``--all-levels``), with Overall and pairwise BH."""
    from core.compare import (
        CompareError,
        compare_multi,
        compare_multi_payload,
        display_multi_table,
    )

    try:
        res = compare_multi(df, grouping.labels, grouping.order, features, cohort.dictionary)
    except CompareError as exc:
        raise CliError(_("--features: {reason}", reason=_one_line(exc)) if args.features else _one_line(exc)) from exc
    return _print_comparison(args, desc, grouping, compare_multi_payload(res) if args.json else None,
                             None if args.json else display_multi_table(res), res.guardrails)


def _covariates(args: argparse.Namespace, df: pd.DataFrame, index: pd.Index) -> pd.DataFrame | None:
    """The ``--adjust`` columns for the analysed patients (None without ``--adjust``)."""
    if not args.adjust:
        return None
    cols = [c.strip() for c in args.adjust.split(",") if c.strip()]
    missing = [c for c in cols if c not in df]
    if missing:
        raise CliError(_("--adjust: no such column(s): {columns}.", columns=", ".join(missing)))
    return df.loc[index, cols] if cols else None


def cmd_survival(args: argparse.Namespace) -> int:
    from core.survival import (
        DEFAULT_LANDMARKS,
        analyze_survival,
        survival_data,
        survival_payload,
    )

    cohort, df, desc = _load(args.cohort, args.filters, args.dictionary)
    grouping = grouping_for(df, cohort.dictionary, args.group_by, args.group_a, two_groups=False)
    for flag, col in (("--origin", args.origin), ("--event", args.event), ("--event-date", args.event_date),
                      ("--censor-date", args.censor_date)):
        if col not in df:
            dates = [str(c) for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c])]
            raise CliError(_("{flag} {column}: no such column (date columns: {dates}).", flag=flag, column=repr(col),
                             dates=", ".join(dates) or _("none")))
    try:
        sd = survival_data(df, origin=args.origin, event=args.event, event_date=args.event_date, censor_date=args.censor_date, unit=args.time_unit)
    except (ValueError, KeyError) as exc:
        raise CliError(_one_line(exc)) from exc
    labels = grouping.labels.loc[sd.index]
    try:
        require_groups(labels, grouping.order, n_("{grouping}, among the {n} patient with usable survival data,",
                                                  "{grouping}, among the {n} patients with usable survival data,", sd.n,
                                                  grouping=grouping.description))
    except GroupingError as exc:
        raise CliError(f"--group-by {args.group_by!r}: {_one_line(exc)}") from exc
    covariates = _covariates(args, df, sd.index)
    try:
        # as on the page: with two groups, hazard ratio of group A against group B
        reference = grouping.order[-1] if len(grouping.order) == 2 else None
        res = analyze_survival(sd.time, sd.event, labels, grouping.order, conf_type=args.conf_type, covariates=covariates,
                               landmarks=DEFAULT_LANDMARKS[args.time_unit], unit=args.time_unit, reference=reference)
    except (ValueError, KeyError) as exc:
        raise CliError(_one_line(exc)) from exc
    if args.json:
        payload = survival_payload(res, sd)
        payload["filters"] = desc
        payload["grouping"] = grouping.description
        _print_json(payload)
    else:
        _print_survival(args, res, sd, f"{grouping.description} — {desc}")
    return 0


def _print_survival(args: argparse.Namespace, res: Any, sd: Any, header: str) -> None:
    """Text report of ``myoscope survival``."""
    unit = args.time_unit
    p = res.payload()
    unit_text = {"days": _("days"), "months": _("months"), "years": _("years")}.get(unit, unit)
    print(_("Survival ({event}) from {origin}, {header}", event=args.event, origin=args.origin, header=header))
    lm_names = [n_("{years} y", "{years} y", 1 if t / _YEAR[unit] == 1 else 2, years=_fmt(t / _YEAR[unit], "g"))
                for t in res.landmark_times]
    for g in p["groups"]:
        med = _fmt(g["median"], ".2f", _("not reached"))
        ci = f"{_fmt(g['median_ci_low'], '.2f', _na())}–{_fmt(g['median_ci_high'], '.2f', _na())}"
        print(_("  {group}: n={n} events={events} median={median} ({ci}) {unit}", group=g["group"], n=g["n"],
                events=g["events"], median=med, ci=ci, unit=unit_text))
        if lm_names:
            surv = " / ".join(_fmt(r["survival"], ".3f", _na()) for r in g["landmarks"])
            print(_("    survival at {times}: {survival}", times=" / ".join(lm_names), survival=surv))
    lr = p.get("logrank")
    if lr:
        print(_("  log-rank chi2={chi2} df={df} {p} ({p_exact})", chi2=_fmt(lr["chi2"], ".4f"), df=lr["df"],
                p=_p_eq(lr.get("p_value")), p_exact=_fmt(lr["p_value"], ".6g", _na())))
    cox = p.get("cox")
    if cox is None:
        if len(p["groups"]) >= 2:
            print(_("  Cox model not fitted: {reason}", reason=_cox_reason(res)))
    elif cox.get("hr") is not None:
        print(_("  Cox HR={hr} ({low}–{high}) {p} (reference {reference})", hr=_fmt(cox["hr"], ".4f"),
                low=_fmt(cox["ci_low"], ".4f", _na()), high=_fmt(cox["ci_high"], ".4f", _na()), p=_p_eq(cox["p_value"]),
                reference=cox["reference"]))
    else:
        for t in cox.get("terms", []):
            print(_("  Cox {term}: HR={hr} ({low}–{high}) {p}", term=t.get("term"), hr=_fmt(t.get("hr"), ".4f"),
                    low=_fmt(t.get("ci_low"), ".4f", _na()), high=_fmt(t.get("ci_high"), ".4f", _na()),
                    p=_p_eq(t.get("p_value"))))
    for note in [*(cox or {}).get("notes", []), *p.get("guardrails", []), *p.get("notes", [])]:
        if not str(note).startswith(("Cox model not fitted", _("Cox model not fitted"))):
            print(_("  note: {note}", note=note))
    if len(sd.excluded):
        print(n_("  {n} patient excluded (missing or inconsistent dates)",
                 "  {n} patients excluded (missing or inconsistent dates)", len(sd.excluded)))


#: Length of a year in each time unit (landmarks are named in years).
_YEAR = {unit: DAYS_PER_YEAR / per for unit, per in DAYS_PER_UNIT.items()}


def _p(p: Any) -> str:
    """:func:`format_p`, or "not estimable" for a missing P value."""
    return _("not estimable") if p is None or (isinstance(p, float) and not math.isfinite(p)) else format_p(p)


def _p_eq(p: Any) -> str:
    """``P=.008`` / ``P=<.001`` in English (the historic form); ``P = 0,008`` /
    ``P < 0,001`` in French."""
    text = _p(p)
    if language() == "en":
        return f"P={text}"
    return f"P {text[0]} {text[1:]}" if text[:1] in ("<", ">") else f"P = {text}"


def _cox_reason(res: Any) -> str:
    """Why the Cox model was not fitted (from the result's reason or its notes)."""
    for attr in ("cox_reason", "cox_error", "cox_not_fitted"):
        reason = getattr(res, attr, None)
        if isinstance(reason, str) and reason:
            return reason.removeprefix("Cox model not fitted: ")
    for note in res.notes:
        if str(note).startswith("Cox model not fitted"):
            return str(note).split(":", 1)[1].strip() or _("no reason given")
    return _("no reason given")


def cmd_sir(args: argparse.Namespace) -> int:
    from core.cancer_risk import TIME_SINCE_DIAGNOSIS, sir_analysis, sir_payload
    from core.rates import RatesError, load_bundled_rates, load_rates

    cohort, df, desc = _load(args.cohort, args.filters, args.dictionary)
    if args.rates:
        _check_file("--rates", args.rates)
    try:
        rates = load_rates(args.rates) if args.rates else load_bundled_rates()
    except (RatesError, OSError, ValueError, UnicodeDecodeError) as exc:
        raise CliError(f"--rates {args.rates!r}: {_one_line(exc)}") from exc
    by: Any = None
    order = None
    if args.by:
        if args.by == TIME_SINCE_DIAGNOSIS:
            by = TIME_SINCE_DIAGNOSIS
        else:
            g = grouping_for(df, cohort.dictionary, args.by, None, two_groups=False, flag="--by")
            by, order = g.labels, g.order
    after = math.inf if args.window_after_years in (None, math.inf) else args.window_after_years
    try:
        res = sir_analysis(df, rates, args.window_before_years, after, ci_method=args.ci, by=by, by_order=order)
    except (ValueError, KeyError) as exc:
        msg = _one_line(exc)
        for name in ("window_before_years", "window_after_years"):  # name the option, not the parameter
            msg = msg.replace(name, "--" + name.replace("_", "-"))
        raise CliError(msg) from exc
    if args.json:
        payload = sir_payload(res)
        payload["filters"] = desc
        _print_json(payload)
    else:
        p = sir_payload(res)
        print(_("SIR — {filters}; rates: {rates}", filters=desc, rates=rates.description))
        print(_("  O={observed} E={expected} PY={person_years} {sir}", observed=p["observed"],
                expected=_fmt(p["expected"], ".4f", _na()), person_years=_fmt(p["person_years"], ".2f", _na()),
                sir=_sir_text(p)))
        for s in p.get("subgroups", []) or []:
            print(_("  {group}: O={observed} E={expected} {sir}", group=s["group"], observed=s["observed"],
                    expected=_fmt(s["expected"], ".4f", _na()), sir=_sir_text(s)))
    return 0


def _sir_text(p: dict[str, Any]) -> str:
    """``SIR=… (low–high, method) P=…``, or "not estimable" for missing numbers."""
    if p.get("sir") is None:
        return _("SIR not estimable (no expected cases)")
    ci = (f"{_fmt(p['ci_low'], '.3f')}–{_fmt(p['ci_high'], '.3f')}" if p.get("ci_low") is not None and p.get("ci_high") is not None
          else _("CI not estimable"))
    return _("SIR={sir} ({ci}, {method}) {p}", sir=_fmt(p["sir"], ".3f"), ci=ci, method=p["ci_method"],
             p=_p_eq(p.get("p_value")))


def cmd_ifn(args: argparse.Namespace) -> int:
    from core.interferon import (
        InterferonError,
        fold_change_scores,
        interferon_scores,
        read_qpcr,
    )

    _check_file(_("qPCR file"), args.qpcr)
    try:
        table = read_qpcr(args.qpcr)
        cols = {str(c).strip().lower() for c in table.columns}
        if "ct" not in cols:  # precomputed fold changes, long or wide format
            res = fold_change_scores(table, threshold=args.threshold)
        else:
            refs = [g.strip() for g in args.reference_genes.split(",") if g.strip()]
            res = interferon_scores(table, reference_genes=refs, threshold=args.threshold,
                                    undetermined=args.undetermined, max_ct=args.max_ct)
    except (InterferonError, OSError, ValueError, UnicodeDecodeError) as exc:
        raise CliError(_("qPCR file {path}: {reason}", path=repr(args.qpcr), reason=_one_line(exc))) from exc
    payload = res.payload()
    if args.json:
        _print_json(payload)
    else:
        for s in payload["samples"]:
            print(_("{sample}: score={score} {result} (threshold {threshold})", sample=s["sample_id"],
                    score=_fmt(s["score"], ".3f"), result=_("positive") if s["positive"] else _("negative"),
                    threshold=_fmt(args.threshold, "g")))
        for n in payload.get("notes", []) or []:
            print(_("note: {note}", note=n))
    return 0


def _report_view(args: argparse.Namespace) -> Any:
    """The view of ``myoscope report``: ``--settings`` (view.json), its filters replaced by
    ``--filters`` when given. Notes on values that could not be applied go to stderr."""
    from dataclasses import replace

    from core.view import ViewState

    view = ViewState()
    if args.settings:
        _check_file("--settings", args.settings)
        try:
            with open(args.settings, "rb") as fh:
                view, record = ViewState.from_json(fh.read())
        except ValueError as exc:
            raise CliError(f"--settings {args.settings!r}: {_one_line(exc)}") from exc
        for note in view.notes:
            print(_("note: {note}", note=_one_line(note)), file=sys.stderr)
        if record.get("sha256") and record["sha256"] != _sha256(args.cohort):
            print(_("note: the view was saved for {file} (SHA-256 {sha}…), not this cohort file.",
                    file=repr(record.get("file") or _("another file")), sha=record["sha256"][:12]), file=sys.stderr)
    if args.filters:
        try:
            view = replace(view, filters=FilterSpec.from_json(args.filters))
        except (FilterError, ValueError, TypeError) as exc:
            raise CliError(f"--filters: {_one_line(exc)}") from exc
    return view


def _sha256(path: str) -> str:
    """SHA-256 of a file (read in blocks)."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _report_events(args: argparse.Namespace, cohort: Cohort) -> Any:
    """The ``--events`` table (None without the flag); CliError naming the flag."""
    if not args.events:
        return None
    from core.events import EventsError, load_events

    _check_file("--events", args.events)
    try:
        return load_events(args.events, known_patient_ids=cohort.data["patient_id"].astype(str).tolist())
    except (EventsError, OSError, ValueError, UnicodeDecodeError) as exc:
        raise CliError(f"--events {args.events!r}: {_one_line(exc)}") from exc


def _report_out(out: str) -> str:
    """The zip's path inside ``--out DIR`` (created when missing)."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise CliError(_("--out {path} is a file, not a directory.", path=repr(out)))
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as exc:
        raise CliError(f"--out {out!r}: {_one_line(exc.strerror or exc)}") from exc
    return os.path.join(out, "myoscope_bundle.zip")


def cmd_report(args: argparse.Namespace) -> int:
    import time

    from core.report import BundleOptions, ReportError, build_bundle

    if args.suppress_below is not None and args.suppress_below < 2:
        raise CliError(_("--suppress-below must be a whole number of at least 2 (got {value}).", value=args.suppress_below))
    view = _report_view(args)
    if args.lang is None and _env_language() == "en" and not os.environ.get("MYOSCOPE_LANG"):
        set_language(str(view.get("g.lang") or "en"))  # the saved view's language (main restores the previous one)
    cohort, df, desc = _load(args.cohort, view.filters.to_json(), args.dictionary)
    if df.empty:
        raise CliError(_("No patient matches the filters ({filters}).", filters=desc))
    rates = None
    if args.rates:
        from core.rates import RatesError, load_rates

        _check_file("--rates", args.rates)
        try:
            rates = load_rates(args.rates)
        except (RatesError, OSError, ValueError, UnicodeDecodeError) as exc:
            raise CliError(f"--rates {args.rates!r}: {_one_line(exc)}") from exc
    events = _report_events(args, cohort)
    path = _report_out(args.out)
    options = BundleOptions(suppress_below=args.suppress_below, include_ids=args.include_ids, render_figures=not args.no_figures)
    t0 = time.perf_counter()

    def progress(stage: str, fraction: float) -> None:
        print(f"[{100 * fraction:3.0f}%] {stage}", file=sys.stderr, flush=True)

    try:
        data = build_bundle(cohort, view, os.path.basename(args.cohort), _sha256(args.cohort), options, progress,
                            events=events, rates=rates)
    except ReportError as exc:
        raise CliError(_one_line(exc)) from exc
    with open(path, "wb") as fh:
        fh.write(data)
    seconds = time.perf_counter() - t0
    _print_report(args, path, data, seconds)
    return 0


def _print_report(args: argparse.Namespace, path: str, data: bytes, seconds: float) -> None:
    """The bundle's path (and with ``--json`` its files, notes and results)."""
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        results = json.loads(z.read("results.json"))
    notes = [n for s in results["sections"].values() for n in s["notes"]]
    if args.json:
        _print_json({"bundle": os.path.abspath(path), "seconds": seconds, "files": names, "filters": results["filters"],
                     "notes": notes, "results": {k: s["result"] for k, s in results["sections"].items()}})
    else:
        print(_("bundle: {path} ({files}, {size} MB, {seconds} s)", path=os.path.abspath(path),
                files=n_("{n} file", "{n} files", len(names)), size=fmt_number(len(data) / 1e6, 1),
                seconds=fmt_number(seconds, 1)))
        for n in notes:
            print(_("note: {note}", note=n))


#: Limit flags -> (environment variable read by :class:`core.reader.ReadLimits`, help).
LIMIT_FLAGS: dict[str, tuple[str, str]] = {
    "--max-file-mb": ("MYOSCOPE_MAX_FILE_MB", "largest file read, in MB"),
    "--max-rows": ("MYOSCOPE_MAX_ROWS", "most rows in a file"),
    "--max-columns": ("MYOSCOPE_MAX_COLUMNS", "most columns in a file"),
    "--max-cell-chars": ("MYOSCOPE_MAX_CELL_CHARS", "most characters in one cell"),
    "--max-cells": ("MYOSCOPE_MAX_CELLS", "most cells (rows x columns)"),
}


@contextlib.contextmanager
def _limits(args: argparse.Namespace) -> Iterator[None]:
    """The input-limit flags, for every file this command reads (cohort, rates, dictionary...).

    They are handed to :class:`core.reader.ReadLimits` through its environment
    variables for the duration of the command, then the environment is restored.
    """
    saved = {var: os.environ.get(var) for var, _ in LIMIT_FLAGS.values()}
    try:
        for flag, (var, _help) in LIMIT_FLAGS.items():
            value = getattr(args, flag[2:].replace("-", "_"), None)
            if value is None:
                continue
            if value <= 0:
                raise CliError(_("{flag} must be a positive number (got {value}).", flag=flag, value=f"{value:g}"))
            os.environ[var] = repr(value)
        yield
    finally:
        for var, old in saved.items():
            if old is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = old


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (documented in the README)."""
    p = _Parser(prog="myoscope", description=_("Myoscope: dermatomyositis cohort analyses (same computations as the app)."))
    sub = p.add_subparsers(dest="command", required=True)

    def limits(sp: argparse.ArgumentParser) -> None:
        g = sp.add_argument_group(_("input limits (defaults: MYOSCOPE_MAX_* environment variables, else 200 MB, "
                                    "2,000,000 rows, 5,000 columns, 100,000 characters per cell, 60,000,000 cells)"))
        for flag, what in LIMIT_FLAGS.items():
            g.add_argument(flag, type=float, metavar="N", help=_(what[1]))

    def lang(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--lang", choices=LANGUAGES, default=None,
                        help=_("language of the text output and of the files written (default: MYOSCOPE_LANG, "
                               "else the language of report's --settings, else en); JSON stays machine-readable"))

    def common(sp: argparse.ArgumentParser) -> None:
        limits(sp)
        lang(sp)
        sp.add_argument("cohort", help=_("cohort file (CSV, TSV or XLSX)"))
        sp.add_argument("--filters", help=_("JSON filter spec, e.g. {example}", example='\'{"antibody_subtype": ["Mi2"], "age_min": 50}\''))
        sp.add_argument("--dictionary", help=_("data dictionary CSV (name,label,group,type); the sample dictionary by default"))
        sp.add_argument("--json", action="store_true", help=_("print JSON"))

    s = sub.add_parser("summary", help=_("validation problems and cohort summary"))
    common(s)
    s.set_defaults(fn=cmd_summary)

    c = sub.add_parser("compare", help=_("feature comparison between two groups (Table I)"))
    common(c)
    c.add_argument("--group-by", required=True, help=_("column defining the groups"))
    c.add_argument("--group-a", nargs="+", help=_("value(s) of group A (categorical), cut-off for age"))
    c.add_argument("--features", help=_("comma-separated features (default: all in the dictionary)"))
    c.add_argument("--fdr", action="store_true", help=_("add Benjamini-Hochberg q-values"))
    c.add_argument("--all-levels", action="store_true",
                   help=_("one group per level of --group-by (Table 1 with Overall, overall and pairwise BH P values)"))
    c.set_defaults(fn=cmd_compare)

    v = sub.add_parser("survival", help=_("Kaplan-Meier, log-rank and Cox by group"))
    common(v)
    v.add_argument("--group-by", required=True)
    v.add_argument("--group-a", nargs="+")
    v.add_argument("--time-unit", choices=["days", "months", "years"], default="months")
    v.add_argument("--origin", default="diagnosis_date")
    v.add_argument("--event", default="death")
    v.add_argument("--event-date", default="death_date")
    v.add_argument("--censor-date", default="last_followup_date")
    v.add_argument("--conf-type", choices=["log", "log-log", "plain"], default="log")
    v.add_argument("--adjust", help=_("Cox covariates, e.g. age_at_diagnosis,sex"))
    v.set_defaults(fn=cmd_survival)

    r = sub.add_parser("sir", help=_("standardized incidence ratio of cancer"))
    common(r)
    r.add_argument("--rates", help=_("reference rates CSV/XLSX (default: bundled France CI5-XII)"))
    r.add_argument("--window-before-years", type=float, default=3.0)
    r.add_argument("--window-after-years", type=float, default=3.0, help=_("use inf for 'from diagnosis on'"))
    r.add_argument("--ci", choices=["exact", "midp", "byar", "wald"], default="exact")
    r.add_argument("--by", help=_("split column, or time_since_diagnosis"))
    r.set_defaults(fn=cmd_sir)

    b = sub.add_parser("report", help=_("meeting bundle: deck, HTML, Word, Excel, figures and view.json in one zip"))
    common(b)
    b.add_argument("--settings", help=_("a saved view (view.json): filters and page settings"))
    b.add_argument("--out", required=True, metavar="DIR", help=_("folder for myoscope_bundle.zip (created if missing)"))
    b.add_argument("--suppress-below", type=int, metavar="N",
                   help=_("write counts 1..N-1 as <N and blank the percentages derived from them (registries: 5)"))
    b.add_argument("--include-ids", action="store_true", help=_("keep patient identifiers (default: left out, pseudonyms)"))
    b.add_argument("--events", help=_("events table for the patient course (setting p.id)"))
    b.add_argument("--no-figures", action="store_true", help=_("no PNG/SVG (no browser needed); the HTML keeps its figures"))
    b.add_argument("--rates", help=_("reference rates CSV/XLSX for the SIR (default: bundled France CI5-XII)"))
    b.set_defaults(fn=cmd_report)

    i = sub.add_parser("ifn-score", help=_("type I interferon score from RT-qPCR"))
    limits(i)
    lang(i)
    i.add_argument("qpcr", help=_("qPCR table (sample_id, sample_type, gene, ct) or fold changes"))
    i.add_argument("--threshold", type=float, default=2.3)
    i.add_argument("--reference-genes", default="HPRT1,18S")
    i.add_argument("--undetermined", choices=["error", "max_ct"], default="error",
                   help=_("'Undetermined' target wells: stop with an error (default) or set Ct to --max-ct"))
    i.add_argument("--max-ct", type=float, default=40.0)
    i.add_argument("--json", action="store_true")
    i.set_defaults(fn=cmd_ifn)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``myoscope`` console script.

    Returns 0 on success and 2 on any error, reported as one line on stderr
    (``myoscope <command>: ...``); ``MYOSCOPE_DEBUG=1`` adds the traceback of an
    unexpected error.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    with using(_argv_language(argv)):  # usage errors in the language asked for
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:  # --help (0) or a usage error (2, already printed)
            return exc.code if isinstance(exc.code, int) else 2
    with using(args.lang or _env_language()):
        return _run(args)


def _env_language() -> str:
    """``MYOSCOPE_LANG`` when it names a known language, else English."""
    env = os.environ.get("MYOSCOPE_LANG", "").strip().lower()
    return env if env in LANGUAGES else "en"


def _argv_language(argv: Sequence[str]) -> str:
    """The ``--lang`` of a command line not parsed yet (for its usage errors)."""
    for i, a in enumerate(argv):
        value = a.split("=", 1)[1] if a.startswith("--lang=") else (argv[i + 1] if a == "--lang" and i + 1 < len(argv) else None)
        if value in LANGUAGES:
            return value
    return _env_language()


def _run(args: argparse.Namespace) -> int:
    """Run the parsed command; errors as one line on stderr, exit status 2."""
    try:
        with _limits(args):
            return int(args.fn(args))
    except CliError as exc:
        print(_("myoscope {command}: {reason}", command=args.command, reason=_one_line(exc)), file=sys.stderr)
    except FileNotFoundError as exc:
        print(_("myoscope {command}: file not found: {file}", command=args.command, file=exc.filename), file=sys.stderr)
    except BrokenPipeError:  # output piped into `head`: not an error of the analysis
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except CohortFileError as exc:  # the shared reader's errors (any input file)
        print(_("myoscope {command}: {reason}", command=args.command, reason=_one_line(exc)), file=sys.stderr)
    except Exception as exc:  # noqa: BLE001 - last resort: never a traceback unless asked
        if os.environ.get("MYOSCOPE_DEBUG") == "1":
            traceback.print_exc(file=sys.stderr)
        print(_("myoscope {command}: unexpected error ({error}: {reason}); rerun with MYOSCOPE_DEBUG=1 for details",
                command=args.command, error=type(exc).__name__, reason=_one_line(exc)), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
