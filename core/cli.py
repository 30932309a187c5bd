"""The ``myoscope`` command line: the same core functions as the pages.

Sub-commands: ``summary``, ``compare``, ``survival``, ``sir``, ``ifn-score``. Each prints
a readable report, or with ``--json`` the JSON object documented in the README. Exit
status: 0 on success, 2 when the input has blocking problems (they are printed).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from typing import Any

import pandas as pd

from core.filters import FilterError, FilterSpec, apply_filters
from core.formatting import format_p
from core.groups import Grouping, GroupingError, GroupSpec, assign_groups
from core.io import Cohort, read_cohort, sample_dictionary
from core.schema import DataDictionary


class CliError(Exception):
    """A usage or input error: printed as one line, exit status 2."""


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


def _load(path: str, filters: str | None, dictionary: str | None) -> tuple[Cohort, pd.DataFrame, str]:
    """Read, validate and filter a cohort; raises CliError on blocking problems."""
    from core.io import load_dictionary

    dic = load_dictionary(dictionary) if dictionary else sample_dictionary()
    cohort = read_cohort(path, dictionary=dic)
    if cohort.has_errors:
        lines = [f"  row {p.row if p.row is not None else '-'} | {p.column or '-'} | {p.value!r}: {p.message}" for p in cohort.errors[:50]]
        more = f"\n  ... and {len(cohort.errors) - 50} more" if len(cohort.errors) > 50 else ""
        raise CliError(f"{path}: {len(cohort.errors)} problem(s) block the analysis:\n" + "\n".join(lines) + more)
    try:
        spec = FilterSpec.from_json(filters)
        res = apply_filters(cohort.data, spec, cohort.dictionary)
    except FilterError as exc:
        raise CliError(str(exc)) from exc
    return cohort, res.data, res.description()


def grouping_for(df: pd.DataFrame, dictionary: DataDictionary, column: str, group_a: Sequence[str] | None, two_groups: bool) -> Grouping:
    """The grouping a ``--group-by`` / ``--group-a`` pair asks for.

    * a binary column (antibody, yes/no feature): 1 vs 0;
    * ``antibody_subtype``: ``--group-a`` subtype(s) vs the other known subtypes;
    * ``age_at_diagnosis``: ``--group-a`` is the cut-off (≥ vs <, default 50);
    * another column: ``--group-a`` value(s) vs all other values; without ``--group-a``,
      every level is a group (survival) or the first level vs the rest (comparison).
    """
    if column not in df:
        raise CliError(f"--group-by {column!r}: no such column. Columns: {', '.join(map(str, df.columns))}.")
    info = dictionary.get(column)
    try:
        if column == "age_at_diagnosis":
            cut = float(group_a[0]) if group_a else 50.0
            return assign_groups(df, GroupSpec("age", column, cutoff=cut), dictionary)
        if info.type == "binary" or column.startswith("anti_"):
            return assign_groups(df, GroupSpec("binary", column), dictionary)
        if column == "antibody_subtype" and group_a and len(group_a) == 1:
            return assign_groups(df, GroupSpec("subtype", column, tuple(group_a)), dictionary)
        if group_a:
            return assign_groups(df, GroupSpec("category", column, tuple(group_a)), dictionary)
        if two_groups:
            first = sorted(str(v) for v in df[column].dropna().unique())[:1]
            if not first:
                raise CliError(f"--group-by {column!r}: the column has no values.")
            return assign_groups(df, GroupSpec("category", column, tuple(first)), dictionary)
        return assign_groups(df, GroupSpec("levels", column), dictionary)
    except GroupingError as exc:
        raise CliError(str(exc)) from exc


# ------------------------------------------------------------------ sub-commands
def cmd_summary(args: argparse.Namespace) -> int:
    from core.summary import cohort_summary
    from core.validate import problems_frame

    dic = None
    if args.dictionary:
        from core.io import load_dictionary

        dic = load_dictionary(args.dictionary)
    cohort = read_cohort(args.cohort, dictionary=dic or sample_dictionary())
    data = cohort.data
    desc = "no filter"
    if not cohort.data.empty:
        try:
            res = apply_filters(cohort.data, FilterSpec.from_json(args.filters), cohort.dictionary)
        except FilterError as exc:
            raise CliError(str(exc)) from exc
        data, desc = res.data, res.description()
    summ = cohort_summary(data, cohort.dictionary) if not data.empty else None
    if args.json:
        _print_json({
            "n_patients": len(data),
            "filters": desc,
            "problems": [p.to_dict() for p in cohort.problems],
            "summary": summ.payload() if summ else None,
        })
    else:
        print(f"{args.cohort}: {len(data)} patients ({desc})")
        pf = problems_frame(cohort.problems)
        print(f"{len(cohort.errors)} error(s), {len(cohort.warnings)} warning(s)")
        if len(pf):
            print(pf.to_string(index=False, max_colwidth=90))
        if summ:
            print(f"Sex: {summ.sex}")
            print(f"Age at diagnosis, median (IQR): {summ.age_text()} (n = {summ.age_n})")
            print(f"Antibody subtypes: {summ.subtypes}")
            print(summ.features[["feature", "type", "n_known", "n_missing"]].to_string(index=False))
    return 2 if cohort.has_errors else 0


def cmd_compare(args: argparse.Namespace) -> int:
    from core.compare import compare_groups, compare_payload, display_table

    cohort, df, desc = _load(args.cohort, args.filters, args.dictionary)
    grouping = grouping_for(df, cohort.dictionary, args.group_by, args.group_a, two_groups=True)
    if len(grouping.order) != 2:
        raise CliError("compare needs exactly two groups.")
    if args.features:
        features = [f.strip() for f in args.features.split(",") if f.strip()]
        missing = [f for f in features if f not in df]
        if missing:
            raise CliError(f"--features: no such column(s): {', '.join(missing)}.")
    else:
        features = [e.name for e in cohort.dictionary.features() if e.name in df and e.name != args.group_by]
    res = compare_groups(df, grouping.labels, grouping.order[0], grouping.order[1], features, cohort.dictionary, fdr=args.fdr)
    if args.json:
        payload = compare_payload(res)
        payload["filters"] = desc
        _print_json(payload)
    else:
        print(f"{grouping.description} — {desc}")
        print(display_table(res).to_string(index=False))
        for g in res.guardrails:
            print(f"note: {g}")
    return 0


def cmd_survival(args: argparse.Namespace) -> int:
    from core.survival import analyze_survival, survival_data, survival_payload

    cohort, df, desc = _load(args.cohort, args.filters, args.dictionary)
    grouping = grouping_for(df, cohort.dictionary, args.group_by, args.group_a, two_groups=False)
    try:
        sd = survival_data(df, origin=args.origin, event=args.event, event_date=args.event_date, censor_date=args.censor_date, unit=args.time_unit)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    labels = grouping.labels.loc[sd.index]
    covariates = None
    if args.adjust:
        cols = [c.strip() for c in args.adjust.split(",") if c.strip()]
        missing = [c for c in cols if c not in df]
        if missing:
            raise CliError(f"--adjust: no such column(s): {', '.join(missing)}.")
        covariates = df.loc[sd.index, cols]
    try:
        # as on the page: with two groups, hazard ratio of group A against group B
        reference = grouping.order[-1] if len(grouping.order) == 2 else None
        res = analyze_survival(sd.time, sd.event, labels, grouping.order, conf_type=args.conf_type, covariates=covariates,
                               unit=args.time_unit, reference=reference)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    if args.json:
        payload = survival_payload(res, sd)
        payload["filters"] = desc
        payload["grouping"] = grouping.description
        _print_json(payload)
    else:
        print(f"Survival ({args.event}) from {args.origin}, {grouping.description} — {desc}")
        for g in res.payload()["groups"]:
            print(f"  {g['group']}: n={g['n']} events={g['events']} median={g['median']} ({g['median_ci_low']}–{g['median_ci_high']}) {args.time_unit}")
        lr = res.payload().get("logrank")
        if lr:
            print(f"  log-rank chi2={lr['chi2']:.4f} df={lr['df']} P={format_p(lr['p_value'])} ({lr['p_value']:.6g})")
        cox = res.payload().get("cox")
        if cox and cox.get("hr") is not None:
            print(f"  Cox HR={cox['hr']:.4f} ({cox['ci_low']:.4f}–{cox['ci_high']:.4f}) P={format_p(cox['p_value'])}")
        if len(sd.excluded):
            print(f"  {len(sd.excluded)} patient(s) excluded (missing or inconsistent dates)")
    return 0


def cmd_sir(args: argparse.Namespace) -> int:
    from core.cancer_risk import TIME_SINCE_DIAGNOSIS, sir_analysis, sir_payload
    from core.rates import RatesError, load_bundled_rates, load_rates

    cohort, df, desc = _load(args.cohort, args.filters, args.dictionary)
    try:
        rates = load_rates(args.rates) if args.rates else load_bundled_rates()
    except (RatesError, OSError) as exc:
        raise CliError(f"--rates: {exc}") from exc
    by: Any = None
    order = None
    if args.by:
        if args.by == TIME_SINCE_DIAGNOSIS:
            by = TIME_SINCE_DIAGNOSIS
        else:
            g = grouping_for(df, cohort.dictionary, args.by, None, two_groups=False)
            by, order = g.labels, g.order
    after = math.inf if args.window_after_years in (None, math.inf) else args.window_after_years
    try:
        res = sir_analysis(df, rates, args.window_before_years, after, ci_method=args.ci, by=by, by_order=order)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    if args.json:
        payload = sir_payload(res)
        payload["filters"] = desc
        _print_json(payload)
    else:
        p = res.payload() if hasattr(res, "payload") else sir_payload(res)
        print(f"SIR — {desc}; rates: {rates.description}")
        print(f"  O={p['observed']} E={p['expected']:.4f} PY={p['person_years']:.2f} SIR={p['sir']:.3f} "
              f"({p['ci_low']:.3f}–{p['ci_high']:.3f}, {p['ci_method']}) P={format_p(p['p_value'])}")
        for s in p.get("subgroups", []) or []:
            print(f"  {s['group']}: O={s['observed']} E={s['expected']:.4f} SIR={s['sir']}")
    return 0


def cmd_ifn(args: argparse.Namespace) -> int:
    from core.interferon import (
        InterferonError,
        fold_change_scores,
        interferon_scores,
        read_qpcr,
    )

    try:
        table = read_qpcr(args.qpcr)
        cols = {str(c).strip().lower() for c in table.columns}
        if "ct" not in cols:  # precomputed fold changes, long or wide format
            res = fold_change_scores(table, threshold=args.threshold)
        else:
            refs = [g.strip() for g in args.reference_genes.split(",") if g.strip()]
            res = interferon_scores(table, reference_genes=refs, threshold=args.threshold,
                                    undetermined=args.undetermined, max_ct=args.max_ct)
    except (InterferonError, OSError) as exc:
        raise CliError(str(exc)) from exc
    payload = res.payload()
    if args.json:
        _print_json(payload)
    else:
        for s in payload["samples"]:
            print(f"{s['sample_id']}: score={s['score']:.3f} {'positive' if s['positive'] else 'negative'} (threshold {args.threshold})")
        for n in payload.get("notes", []) or []:
            print(f"note: {n}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (documented in the README)."""
    p = argparse.ArgumentParser(prog="myoscope", description="Myoscope: dermatomyositis cohort analyses (same computations as the app).")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("cohort", help="cohort file (CSV, TSV or XLSX)")
        sp.add_argument("--filters", help='JSON filter spec, e.g. \'{"antibody_subtype": ["Mi2"], "age_min": 50}\'')
        sp.add_argument("--dictionary", help="data dictionary CSV (name,label,group,type); the sample dictionary by default")
        sp.add_argument("--json", action="store_true", help="print JSON")

    s = sub.add_parser("summary", help="validation problems and cohort summary")
    common(s)
    s.set_defaults(fn=cmd_summary)

    c = sub.add_parser("compare", help="feature comparison between two groups (Table I)")
    common(c)
    c.add_argument("--group-by", required=True, help="column defining the groups")
    c.add_argument("--group-a", nargs="+", help="value(s) of group A (categorical), cut-off for age")
    c.add_argument("--features", help="comma-separated features (default: all in the dictionary)")
    c.add_argument("--fdr", action="store_true", help="add Benjamini-Hochberg q-values")
    c.set_defaults(fn=cmd_compare)

    v = sub.add_parser("survival", help="Kaplan-Meier, log-rank and Cox by group")
    common(v)
    v.add_argument("--group-by", required=True)
    v.add_argument("--group-a", nargs="+")
    v.add_argument("--time-unit", choices=["days", "months", "years"], default="months")
    v.add_argument("--origin", default="diagnosis_date")
    v.add_argument("--event", default="death")
    v.add_argument("--event-date", default="death_date")
    v.add_argument("--censor-date", default="last_followup_date")
    v.add_argument("--conf-type", choices=["log", "log-log", "plain"], default="log")
    v.add_argument("--adjust", help="Cox covariates, e.g. age_at_diagnosis,sex")
    v.set_defaults(fn=cmd_survival)

    r = sub.add_parser("sir", help="standardized incidence ratio of cancer")
    common(r)
    r.add_argument("--rates", help="reference rates CSV/XLSX (default: bundled France CI5-XII)")
    r.add_argument("--window-before-years", type=float, default=3.0)
    r.add_argument("--window-after-years", type=float, default=3.0, help="use inf for 'from diagnosis on'")
    r.add_argument("--ci", choices=["exact", "midp", "byar", "wald"], default="exact")
    r.add_argument("--by", help="split column, or time_since_diagnosis")
    r.set_defaults(fn=cmd_sir)

    i = sub.add_parser("ifn-score", help="type I interferon score from RT-qPCR")
    i.add_argument("qpcr", help="qPCR table (sample_id, sample_type, gene, ct) or fold changes")
    i.add_argument("--threshold", type=float, default=2.3)
    i.add_argument("--reference-genes", default="HPRT1,18S")
    i.add_argument("--undetermined", choices=["error", "max_ct"], default="error",
                   help="'Undetermined' target wells: stop with an error (default) or set Ct to --max-ct")
    i.add_argument("--max-ct", type=float, default=40.0)
    i.add_argument("--json", action="store_true")
    i.set_defaults(fn=cmd_ifn)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``myoscope`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.fn(args))
    except CliError as exc:
        print(f"myoscope {args.command}: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"myoscope {args.command}: file not found: {exc.filename}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
