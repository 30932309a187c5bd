"""The one-click meeting bundle: every figure and table of a view, in one zip.

:func:`build_bundle` computes the analyses of a :class:`core.view.ViewState` with the same
core functions, settings and defaults as the pages and the ``myoscope`` command line
(Table I by the ``c.*`` settings, default anti-Mi2 yes vs no; survival by ``s.*``, default
by cancer; SIR by ``r.*``; the patient course of ``p.id`` when one is set), builds every
figure once, renders it once as PNG and SVG through :func:`core.export.figure_to_image`
(one warm local Chromium), and writes:

* ``deck.pptx``: one slide per figure and per table (native, editable tables; long tables
  over several slides), a title stating the subgroup and n, a footnote (test, CI method,
  rates source) and the methods text in the speaker notes;
* ``report.html``: one self-contained file (plotly.js embedded once, no CDN, no MathJax),
  opens with the network off;
* ``report.docx``: Word tables, figures, methods paragraphs and references;
* ``tables.xlsx``: one sheet per table, full precision;
* ``figures/*.png`` (300 dpi at the slide's content width) and ``figures/*.svg``;
* ``view.json`` (:meth:`core.view.ViewState.to_json`) and ``results.json`` (the JSON of
  each analysis, as ``myoscope compare|survival|sir --json`` prints it).

Language (:mod:`core.i18n`): every text is written in the current language (``using("fr")``;
``myoscope report --lang fr``), numbers in displayed tables by its conventions; ``view.json``
records it (``g.lang``); the full-precision number sheets and ``results.json`` stay
machine-readable. A caller running it in another thread (a deferred download) sets the
language there.

Privacy (:mod:`core.privacy`): with ``suppress_below`` every table of every file has its
small counts suppressed; patient identifiers are left out of every file and the patient
course uses a pseudonym unless ``include_ids``. Every text cell goes through
:mod:`core.safe_text`, every figure through :func:`core.safe_text.figure_safe`.
"""

from __future__ import annotations

import datetime as _dt
import html
import io
import json
import math
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from core.charts.common import num_g
from core.export import exact_floats
from core.filters import apply_filters
from core.formatting import format_p
from core.groups import (
    Grouping,
    GroupingError,
    GroupSpec,
    assign_groups,
    category_levels,
    require_groups,
)
from core.i18n import (
    NNBSP,
    _,
    fmt_ci_label,
    fmt_date,
    fmt_number,
    fmt_pct,
    language,
    n_,
)
from core.io import Cohort
from core.privacy import (
    PrivacyOptions,
    apply_privacy,
    pseudonyms,
    suppress_figure_text,
    suppress_text,
)
from core.safe_text import cell, figure_safe, neutralise_frame
from core.schema import SUBTYPE_LABELS, DataDictionary
from core.view import (
    ViewState,
    filter_title,
    resolve_patient,
    split_from_values,
    split_title,
)

Progress = Callable[[str, float], None]

#: Slide size (16:9, inches) and the box figures are placed in.
SLIDE_W_IN, SLIDE_H_IN = 13.333, 7.5
_FIG_LEFT, _FIG_TOP, _FIG_W, _FIG_H = 0.5, 1.2, 12.33, 5.45
#: PNG resolution at the slide's content width.
PNG_DPI = 300
#: Table rows per slide (longer tables continue on the next slide).
ROWS_PER_SLIDE = 14

REFERENCES: tuple[str, ...] = (
    "Fisher RA. On the interpretation of χ2 from contingency tables, and the calculation of P. J R Stat Soc 1922;85:87–94.",
    "Mann HB, Whitney DR. On a test of whether one of two random variables is stochastically larger than the other. Ann Math Stat 1947;18:50–60.",
    "Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. J Am Stat Assoc 1958;53:457–81.",
    "Mantel N. Evaluation of survival data and two new rank order statistics arising in its consideration. Cancer Chemother Rep 1966;50:163–70.",
    "Cox DR. Regression models and life-tables. J R Stat Soc B 1972;34:187–220.",
    "Breslow NE, Day NE. Statistical methods in cancer research, vol. II: the design and analysis of cohort studies. IARC Sci Publ 1987;82.",
    "Benjamini Y, Hochberg Y. Controlling the false discovery rate. J R Stat Soc B 1995;57:289–300.",
    "Monseau G, et al. Anti-Mi2 dermatomyositis: clinical features and cancer risk. J Am Acad Dermatol 2020;83:1759–63.",
)


class ReportError(ValueError):
    """The bundle cannot be built (message says why)."""


@dataclass(frozen=True)
class BundleOptions:
    """Options of :func:`build_bundle`.

    Attributes
    ----------
    suppress_below : int or None
        Small-count threshold (counts 1..N−1 shown as ``<N``); ``None`` = off.
    include_ids : bool
        Keep patient identifiers (default: left out, pseudonym for the patient course).
    render_figures : bool
        Render PNG/SVG (needs the local Chromium); off, the deck and Word file say so.
    """

    suppress_below: int | None = None
    include_ids: bool = False
    render_figures: bool = True

    @property
    def privacy(self) -> PrivacyOptions:
        """The :class:`core.privacy.PrivacyOptions` of these options."""
        return PrivacyOptions(self.suppress_below, self.include_ids)


@dataclass
class Table:
    """One table of a section: ``display`` (journal text, slides/Word/HTML and a sheet)
    and optional full-precision ``numbers`` sheets (name -> frame)."""

    name: str
    title: str
    display: pd.DataFrame
    numbers: dict[str, pd.DataFrame] = field(default_factory=dict)


@dataclass
class Section:
    """One analysis of the view, ready to write."""

    key: str
    title: str
    figures: list[tuple[str, Any]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    footnote: str = ""
    methods: str = ""
    payload: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Context:
    cohort: Cohort
    df: pd.DataFrame
    dictionary: DataDictionary
    view: ViewState
    filters: str
    subgroup: str
    options: BundleOptions
    ids: dict[str, str]
    events: Any
    rates: Any
    patient: str | None = None


# ------------------------------------------------------------------ entry point
def build_bundle(cohort: Cohort, view: ViewState, cohort_name: str, cohort_bytes_sha256: str,
                 options: BundleOptions | None = None, progress: Progress | None = None,
                 events: Any = None, rates: Any = None) -> bytes:
    """The meeting bundle of ``view`` on ``cohort``, as the bytes of a zip file.

    Parameters
    ----------
    cohort : core.io.Cohort
        The typed cohort (unfiltered; the view's filters are applied here).
    view : core.view.ViewState
    cohort_name, cohort_bytes_sha256 : str
        Recorded in ``view.json``.
    options : BundleOptions, optional
    progress : callable(stage, fraction), optional
        Called with the stage name ("Computing analyses", "Rendering figures (2/9)",
        "Writing PowerPoint", ...) and the fraction done (0..1).
    events : core.events.EventsTable, optional
        Events table for the patient course (``p.id``).
    rates : core.rates.RateTable, optional
        Reference rates for the SIR (default: the bundled France table).

    Raises
    ------
    ReportError
        The filters leave no patient, or the cohort has whole-file errors.
    """
    options = options or BundleOptions()
    say = progress or (lambda stage, fraction: None)
    if options.render_figures:
        _start_renderer()
    say(_("Computing analyses"), 0.02)
    ctx = _context(cohort, view, options, events, rates, cohort_bytes_sha256)
    sections = _sections(ctx)
    images = _render_all(sections, options, say)
    files: dict[str, bytes] = {}
    say(_("Writing PowerPoint"), 0.70)
    files["deck.pptx"] = write_pptx(sections, images, ctx)
    say(_("Writing HTML report"), 0.78)
    files["report.html"] = write_html(sections, ctx).encode("utf-8")
    say(_("Writing Word"), 0.86)
    files["report.docx"] = write_docx(sections, images, ctx)
    say(_("Writing Excel"), 0.92)
    files["tables.xlsx"] = write_xlsx(sections, ctx)
    for (name, fmt), data in images.items():
        files[f"figures/{name}.{fmt}"] = data
    files["view.json"] = _view_json(view, cohort_name, cohort_bytes_sha256, options).encode("utf-8")
    files["results.json"] = _results_json(sections, ctx).encode("utf-8")
    say(_("Writing zip"), 0.97)
    out = _zip(files)
    say(_("Done"), 1.0)
    return out


def _view_json(view: ViewState, cohort_name: str, sha256: str, options: BundleOptions) -> str:
    """``view.json`` (:meth:`ViewState.to_json`) with the bundle's privacy options and the
    versions of the libraries that wrote its files (``ViewState.from_json`` reads it back)."""
    from core.view import versions

    obj = json.loads(view.to_json(cohort_name, sha256))
    obj["settings"]["g.lang"] = language()  # the language the bundle was written in
    obj["bundle"] = {"suppress_below": options.suppress_below if options.privacy.suppressing else None,
                     "include_ids": options.include_ids}
    obj["versions"].update(versions(("python-pptx", "python-docx", "openpyxl", "kaleido")))
    return json.dumps(obj, ensure_ascii=False, indent=2)


def _start_renderer() -> None:
    """Start kaleido's warm local browser now, so it starts while the analyses run.

    The same call :func:`core.export.figure_to_image` makes (it returns at once and the
    browser starts in kaleido's own thread); when it fails, rendering reports why later.
    """
    try:
        import kaleido

        from core.export import RENDERER_OPTIONS

        kaleido.start_sync_server(n=1, silence_warnings=True, **RENDERER_OPTIONS)
    except Exception:  # noqa: BLE001 - figure_to_image raises the explained ExportError
        return


def _zip(files: dict[str, bytes]) -> bytes:
    """The zip; PNG, Office files (already compressed) stored, text deflated."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            packed = name.endswith((".png", ".pptx", ".docx", ".xlsx"))
            z.writestr(name, data, compress_type=zipfile.ZIP_STORED if packed else zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _context(cohort: Cohort, view: ViewState, options: BundleOptions, events: Any, rates: Any, sha256: str) -> _Context:
    """Filter the cohort; find the view's patient (``p.id``: an id or its address
    pseudonym, salted with the file's SHA-256); replace ids by pseudonyms unless opted in."""
    if cohort.blocking(()):
        raise ReportError(n_("The cohort has {n} whole-file problem; fix it first.",
                             "The cohort has {n} whole-file problems; fix them first.", len(cohort.blocking(()))))
    res = apply_filters(cohort.data, view.filters, cohort.dictionary)
    if res.data.empty:
        raise ReportError(_("No patient matches the filters ({filters}).", filters=res.description()))
    df = res.data
    patient = resolve_patient(view.get("p.id"), df["patient_id"].astype(str), sha256) if "patient_id" in df else None
    ids: dict[str, str] = {}
    if not options.include_ids and "patient_id" in df:
        ids = pseudonyms(df["patient_id"].astype(str).tolist(), first=patient)
        df = df.assign(patient_id=df["patient_id"].astype(str).map(ids))
    return _Context(cohort, df, cohort.dictionary, view, res.description(), filter_title(view.filters),
                    options, ids, events, rates, patient)


def _sections(ctx: _Context) -> list[Section]:
    out = [_safely("compare", _("Table I"), _compare_section, ctx),
           _safely("survival", _("Survival"), _survival_section, ctx),
           _safely("sir", _("Cancer risk (SIR)"), _sir_section, ctx)]
    if ctx.view.get("p.id"):  # asked for: a patient not found is said on its slide
        out.append(_safely("patient", _("Patient course"), _patient_section, ctx))
    return out


def _safely(key: str, name: str, make: Callable[[_Context], Section], ctx: _Context) -> Section:
    """A section, or one that says why it could not be computed."""
    try:
        return make(ctx)
    except (GroupingError, ReportError, ValueError, KeyError) as exc:
        reason = " ".join(re.split(r"[ \t\r\n\f\v]+", str(exc).strip(" \t\r\n\f\v")))  # no-break spaces stay
        return Section(key, _("{subgroup} · {name} · not computed", subgroup=ctx.subgroup, name=name),
                       notes=[_("{name} not computed: {reason}", name=name, reason=reason)])


# ------------------------------------------------------------------ labels
def _lower(label: str) -> str:
    """'Cancer' -> 'cancer'; 'CK level' and 'anti-Mi2' unchanged."""
    return label[0].lower() + label[1:] if len(label) > 1 and label[0].isupper() and label[1].islower() else label


def _n_text(n: int, ctx: _Context) -> str:
    text = f"n = {n}"
    if ctx.options.privacy.suppressing:
        text = suppress_text(text, ctx.options.suppress_below or 0)[0]
    return text


def _title(ctx: _Context, what: str, n: int) -> str:
    return f"{ctx.subgroup} · {what} · {_n_text(n, ctx)}"


# ------------------------------------------------------------------ groupings from the view
def view_grouping(df: pd.DataFrame, dictionary: DataDictionary, view: ViewState, prefix: str, page: str,
                  two_groups: bool) -> Grouping:
    """The grouping of a page's ``<prefix>.kind/by/a/b/cut`` settings, as the page builds it:
    the stored split (:func:`core.view.split_from_values`); a column alone (a hand-written
    view) as the CLI's ``--group-by``; no split: the page's default that follows the filter
    (:func:`core.defaults.default_split`).

    Raises
    ------
    GroupingError
        Unknown column, bad values, no group or an empty group.
    """
    from core.defaults import default_split

    stored = split_from_values(prefix, view.values)
    column = view.get(f"{prefix}.by")
    if stored:
        spec = GroupSpec(**stored)
    elif column:
        spec = _infer_spec(df, dictionary, column, tuple(view.get(f"{prefix}.a") or ()), two_groups)
    else:
        spec = default_split(df, dictionary, page)
        if spec is None:
            raise GroupingError(_("no split of the filtered cohort leaves two groups with patients."))
    if spec.column and spec.column not in df:
        raise GroupingError(_("the split column {column} is not in this cohort.", column=repr(spec.column)))
    grouping = assign_groups(df, spec, dictionary)
    if not grouping.order:
        raise GroupingError(_("no patient has a value in {column} (after filters).", column=repr(spec.column)))
    grouping.require_nonempty()
    return grouping


def _infer_spec(df: pd.DataFrame, dictionary: DataDictionary, column: str, a: tuple[str, ...], two_groups: bool) -> GroupSpec:
    """A split from a column (and group A values) alone, as ``myoscope --group-by/--group-a``."""
    if column == "age_at_diagnosis":
        return GroupSpec("age", column, cutoff=float(a[0]) if a else 50.0)
    if dictionary.get(column).type == "binary" or column.startswith("anti_"):
        return GroupSpec("binary", column)
    if column == "antibody_subtype" and len(a) == 1:
        return GroupSpec("subtype", column, a)
    if a:
        return GroupSpec("category", column, a)
    if two_groups and column in df:
        first = category_levels(df[column])[:1]
        if not first:
            raise GroupingError(_("the column {column} has no values (after filters).", column=repr(column)))
        return GroupSpec("category", column, tuple(first))
    return GroupSpec("levels", column)


def _split_text(grouping: Grouping, dictionary: DataDictionary) -> str:
    spec = grouping.spec
    return split_title(spec.kind, spec.column, spec.cutoff, dictionary.label(spec.column), spec.values_a)


def _column_errors(ctx: _Context, columns: Sequence[str]) -> None:
    bad = [p for p in ctx.cohort.errors if p.field is not None and p.field in set(columns)]
    if bad:
        raise ReportError(n_("column {column} has {n} value error; see the Cohort page.",
                             "column {column} has {n} value errors; see the Cohort page.", len(bad), column=repr(bad[0].column)))


# ------------------------------------------------------------------ Table I
def _compare_features(ctx: _Context, group_col: str) -> list[str]:
    chosen = ctx.view.get("c.feat")
    if chosen:
        feats = [f for f in chosen if f in ctx.df]
    else:  # as the CLI: the dictionary's features present
        feats = [e.name for e in ctx.dictionary.features() if e.name in ctx.df and e.name != group_col]
    bad = {p.field for p in ctx.cohort.errors if p.field is not None}
    return [f for f in feats if f not in bad]


def _compare_section(ctx: _Context) -> Section:
    from core.charts.compare import forest_plot
    from core.compare import (
        compare_groups,
        compare_payload,
        display_table,
        methods_text,
    )

    grouping = view_grouping(ctx.df, ctx.dictionary, ctx.view, "c", "compare", two_groups=True)
    if len(grouping.order) != 2:
        raise ReportError(_("Table I needs exactly two groups, got {n}.", n=len(grouping.order)))
    _column_errors(ctx, [grouping.spec.column])
    a, b = grouping.order
    res = compare_groups(ctx.df, grouping.labels, a, b, _compare_features(ctx, grouping.spec.column), ctx.dictionary,
                         fdr=bool(ctx.view.get("c.fdr")))
    payload = compare_payload(res)
    payload["filters"] = ctx.filters
    ci = fmt_ci_label(res.conf_level)
    foot = (_("n/N (%): patients with the feature / with the feature recorded. P: two-sided Fisher exact test (binary) "
              "or Mann-Whitney U test (continuous); q: Benjamini-Hochberg. OR: {a} vs {b}, "
              "conditional maximum-likelihood estimate with exact {ci}.", a=a, b=b, ci=ci) if res.fdr else
            _("n/N (%): patients with the feature / with the feature recorded. P: two-sided Fisher exact test (binary) "
              "or Mann-Whitney U test (continuous). OR: {a} vs {b}, "
              "conditional maximum-likelihood estimate with exact {ci}.", a=a, b=b, ci=ci))
    table = Table(_("Table I"), _("Table I: {a} vs {b}", a=a, b=b), _private(display_table(res), ctx),
                  {_("Table I numbers"): _private(res.rows, ctx)})
    return Section("compare", _title(ctx, _("Table I: {a} vs {b}", a=a, b=b), res.n_a + res.n_b),
                   figures=[("table1_forest_plot", forest_plot(res))], tables=[table], footnote=foot,
                   methods=methods_text(res, ctx.filters), payload=payload, notes=list(res.guardrails))


def _private(df: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    return apply_privacy(df, ctx.options.privacy)


# ------------------------------------------------------------------ survival
def _survival_inputs(ctx: _Context) -> tuple[Any, Grouping, pd.Series]:
    from core.survival import endpoint_options, survival_data

    v = ctx.view
    event = v.get("s.event")
    event_date = dict(endpoint_options(ctx.df)).get(event, f"{event}_date")
    grouping = view_grouping(ctx.df, ctx.dictionary, v, "s", "survival", two_groups=False)
    _column_errors(ctx, [v.get("s.origin"), event, event_date, v.get("s.censor"), grouping.spec.column])
    sd = survival_data(ctx.df, origin=v.get("s.origin"), event=event, event_date=event_date,
                       censor_date=v.get("s.censor"), unit=v.get("s.unit"))
    labels = grouping.labels.loc[sd.index]
    require_groups(labels, grouping.order, n_("{grouping}, among the {n} patient with usable survival data,",
                                              "{grouping}, among the {n} patients with usable survival data,", sd.n,
                                              grouping=grouping.description))
    return sd, grouping, labels


def _covariates(ctx: _Context, index: pd.Index) -> pd.DataFrame | None:
    if not ctx.view.get("s.adjust"):
        return None
    cols = [c for c in ("age_at_diagnosis", "sex") if c in ctx.df.columns]
    return ctx.df.loc[index, cols] if cols else None


def _survival_section(ctx: _Context) -> Section:
    from core.charts.survival import km_figure, logrank_label
    from core.survival import (
        CONF_TYPE_LABELS,
        DEFAULT_LANDMARKS,
        analyze_survival,
        default_tick_times,
        methods_text,
        survival_payload,
    )

    v = ctx.view
    unit = v.get("s.unit")
    sd, grouping, labels = _survival_inputs(ctx)
    order = grouping.order
    ref = v.get("s.ref") if v.get("s.ref") in order else (order[-1] if len(order) == 2 else order[0])
    res = analyze_survival(sd.time, sd.event, labels, order, conf_type=v.get("s.ci"), covariates=_covariates(ctx, sd.index),
                           landmarks=_times(v.get("s.lm")) or list(DEFAULT_LANDMARKS[unit]), unit=unit, reference=ref)
    event_label = ctx.dictionary.label(sd.event_column)
    split = _split_text(grouping, ctx.dictionary)
    what = (_("survival by {split}", split=split) if sd.event_column == "death"
            else _("free of {event} by {split}", event=event_label.lower(), split=split))
    unit_text = {"days": _("days"), "months": _("months"), "years": _("years")}.get(unit, unit)
    ticks = _times(v.get("s.ticks")) or default_tick_times(max((float(g.curve.time[-1]) for g in res.groups), default=0.0), unit)
    fig = km_figure(res, show_ci=v.get("s.bands"), show_censors=v.get("s.marks"), show_median=v.get("s.median"),
                    show_cumulative_events=v.get("s.cum"), unit_label=unit, risk_table_times=ticks,
                    show_risk_table=not ctx.options.privacy.suppressing,
                    x_title=_x_title(ctx, sd.origin, unit_text),
                    y_title=_("Overall survival") if sd.event_column == "death" else _("Free of {event}", event=_lower(event_label)))
    payload = survival_payload(res, sd)
    payload.update(filters=ctx.filters, grouping=grouping.description)
    payload.pop("excluded", None) if not ctx.options.include_ids else None
    lr = logrank_label(res) if res.logrank is not None else _("no test (one group)")
    foot = _("Kaplan-Meier estimates, {ci} pointwise (Greenwood, {transform}); {logrank}; Cox: Efron ties, Wald CI and P.",
             ci=fmt_ci_label(0.95), transform=_(CONF_TYPE_LABELS[res.conf_type]), logrank=lr)
    if ctx.options.privacy.suppressing:
        foot = _("{footnote} Number-at-risk table left out (small counts suppressed).", footnote=foot)
    tables = [Table(_("Survival by group"), _("{what}: by group", what=what[0].upper() + what[1:]),
                    _private(_survival_display(res, unit), ctx),
                    {_("Survival numbers"): _private(res.group_table(), ctx),
                     _("Number at risk"): _private(res.at_risk_table(ticks), ctx)}),
              Table(_("Log-rank"), _("Log-rank test"), _private(_logrank_display(res), ctx),
                    {_("Log-rank numbers"): _private(res.logrank_table(), ctx)})]
    if res.cox is not None:
        tables.append(Table(_("Cox"), _("Cox model (reference {reference})", reference=res.cox.reference),
                            _private(_cox_display(res), ctx), {_("Cox numbers"): _private(res.cox_table(), ctx)}))
    text = methods_text(res, ctx.filters, data=sd, labels={c: ctx.dictionary.label(c) for c in
                        (sd.origin, sd.event_column, sd.event_date, sd.censor_date, "age_at_diagnosis", "sex")})
    return Section("survival", _title(ctx, what, sum(g.n for g in res.groups)), figures=[("kaplan_meier", fig)], tables=tables,
                   footnote=foot, methods=text, payload=payload, notes=[*res.guardrails, *res.notes, *sd.notes])


def _times(text: str | None) -> list[float]:
    """Times typed on the survival page ("12, 36, 60"); [] when empty or unreadable (the
    page then uses its defaults)."""
    try:
        return [t for t in (float(x) for x in str(text or "").replace(";", ",").split(",") if x.strip()) if t >= 0]
    except ValueError:
        return []


def _num(x: float | None, digits: int = 1) -> str:
    """``1,234.5`` in English, ``1 234,5`` (narrow no-break spaces) in French; ``—`` when missing."""
    if x is None or not math.isfinite(x):
        return "—"
    text = f"{x:,.{digits}f}"
    return text.replace(",", NNBSP).replace(".", ",") if language() == "fr" else text


def _x_title(ctx: _Context, origin: str, unit_text: str) -> str:
    """The KM time axis: ``Time since DM diagnosis (months)`` (the origin's label without
    "Date of"); in another language the canonical diagnosis date is named in it."""
    if origin == "diagnosis_date" and language() != "en":
        return _("Time since DM diagnosis ({unit})", unit=unit_text)
    return _("Time since {origin} ({unit})", origin=_origin_text(ctx.dictionary.label(origin)), unit=unit_text)


def _origin_text(label: str) -> str:
    """The time origin for an axis title: ``Date of diagnosis`` -> ``diagnosis`` (also in French)."""
    low = _lower(label)
    for prefix in ("date of ", "date de ", "date d'", "date du "):
        if low.lower().startswith(prefix):
            return low[len(prefix):]
    return low


def _survival_display(res: Any, unit: str) -> pd.DataFrame:
    """Per-group table as the survival page shows it."""
    ci = fmt_ci_label(res.conf_level)
    unit_text = {"days": _("days"), "months": _("months"), "years": _("years")}.get(unit, unit)
    rows = []
    for g in res.groups:
        row = {_("Group"): g.group, "n": g.n, _("Events"): g.events,
               _("Median, {unit} ({ci})", unit=unit_text, ci=ci): (
                   f"{_num(g.median)} ({_num(g.median_ci_low)}–{_num(g.median_ci_high)})"
                   if math.isfinite(g.median) else _("not reached"))}
        for lm in g.landmarks.itertuples():
            row[_("S({time} {unit}) ({ci})", time=num_g(lm.time), unit=unit_text, ci=ci)] = (
                f"{fmt_pct(100 * lm.survival, 1)} ({_num(100 * lm.ci_low)}–{_num(100 * lm.ci_high)})"
                if math.isfinite(lm.survival) else "—")
        rows.append(row)
    return pd.DataFrame(rows)


def _logrank_display(res: Any) -> pd.DataFrame:
    t = res.logrank_table()
    if t.empty:
        return pd.DataFrame({_("Group"): [], _("Observed"): [], _("Expected"): [], _("Chi-square"): [], "P": []})
    return pd.DataFrame({_("Group"): t["group"], _("Observed"): t["observed"].astype(int),
                         _("Expected"): t["expected"].map(lambda x: _num(x, 2)),
                         _("Chi-square"): t["chi2"].map(lambda x: _num(x, 2)), _("df"): t["df"], "P": t["p_value"].map(format_p)})


def _cox_display(res: Any) -> pd.DataFrame:
    from core.formatting import format_ci, format_ratio

    t = res.cox.terms
    return pd.DataFrame({_("Term"): t["term"], "HR": t["hr"].map(format_ratio),
                         fmt_ci_label(res.conf_level): [format_ci(a, b) for a, b in zip(t["ci_low"], t["ci_high"], strict=True)],
                         "P": t["p_value"].map(format_p), _("PH test P"): t["ph_p_value"].map(format_p)})


# ------------------------------------------------------------------ SIR
def _sir_split(ctx: _Context) -> tuple[Any, list[str] | None]:
    """The ``by`` argument and order of the ``r.by`` setting (page keys or a column)."""
    from core.cancer_risk import TIME_SINCE_DIAGNOSIS

    key = str(ctx.view.get("r.by") or "").removeprefix("col:")
    if key in ("", "none"):
        return None, None
    if key in ("tsd", TIME_SINCE_DIAGNOSIS):
        return TIME_SINCE_DIAGNOSIS, None
    column = {"subtype": "antibody_subtype", "age50": "age_at_diagnosis"}.get(key, key)
    spec = GroupSpec("age", column, cutoff=50.0) if column == "age_at_diagnosis" else None
    if spec is None:
        kind = "binary" if ctx.dictionary.get(column).type == "binary" or column.startswith("anti_") else "levels"
        spec = GroupSpec(kind, column)  # type: ignore[arg-type]
    if column not in ctx.df:
        raise ReportError(_("the SIR split column {column} is not in this cohort.", column=repr(column)))
    g = assign_groups(ctx.df, spec, ctx.dictionary)
    return g.labels.rename(_lower(ctx.dictionary.label(column))), g.order


def _sir_section(ctx: _Context) -> Section:
    from core.cancer_risk import (
        CI_METHOD_LABELS,
        methods_text,
        sir_analysis,
        sir_payload,
        window_description,
    )
    from core.cancer_timing import cancer_timing

    v = ctx.view
    rates = ctx.rates or _bundled_rates()
    wb, wa = float(v.get("r.before")), (math.inf if v.get("r.open") else float(v.get("r.after")))
    by, order = _sir_split(ctx)
    _column_errors(ctx, ["sex", "age_at_diagnosis", "birth_date", "diagnosis_date", "cancer", "cancer_date",
                         "death_date", "last_followup_date"])
    res = sir_analysis(ctx.df, rates, wb, wa, ci_method=v.get("r.ci"), by=by, by_order=order)
    timing = cancer_timing(ctx.df, window_years=wb if (math.isfinite(wa) and wa == wb and wb > 0) else 3.0)
    payload = sir_payload(res)
    payload["filters"] = ctx.filters
    foot = _("SIR = O/E; {ci}: {method}; P: two-sided exact Poisson test. Window: {window}. Rates: {rates}.",
             ci=fmt_ci_label(res.conf_level), method=_(CI_METHOD_LABELS[res.ci_method]),
             window=window_description(wb, wa), rates=rates.description)
    what = _("cancer risk (SIR) by {split}", split=res.split) if res.split else _("cancer risk (SIR)")
    numbers = {_("SIR numbers"): _private(_sir_numbers(res), ctx), _("SIR strata"): _private(res.strata, ctx)}
    tables = [Table(_("SIR"), _("Standardized incidence ratio ({window})", window=window_description(wb, wa)),
                    _private(_sir_display(res), ctx), numbers)]
    figures = _sir_figures(ctx, res, timing, by, order)
    if timing.n:
        tables.append(Table(_("Cancer timing"), _("Time from DM diagnosis to cancer"), _private(_timing_display(timing), ctx),
                            {_("Cancer timing numbers"): _private(timing.table, ctx)}))
    return Section("sir", _title(ctx, what, res.n_patients), figures=figures, tables=tables, footnote=foot,
                   methods=methods_text(res, rates.description, ctx.filters, timing), payload=payload, notes=list(res.guardrails))


def _bundled_rates() -> Any:
    from core.rates import load_bundled_rates

    return load_bundled_rates()


def _sir_figures(ctx: _Context, res: Any, timing: Any, by: Any, order: list[str] | None) -> list[tuple[str, Any]]:
    from core.cancer_timing import cumulative_incidence
    from core.charts.cancer_risk import (
        cumulative_incidence_figure,
        forest_figure,
        timing_figure,
    )

    figs: list[tuple[str, Any]] = []
    if res.subgroups:
        figs.append(("sir_forest", forest_figure(res)))
    if timing.n:
        figs.append(("cancer_timing", timing_figure(timing)))
    try:
        cif = cumulative_incidence(ctx.df, labels=by if isinstance(by, pd.Series) else None, unit="months", order=order)
    except ValueError:
        cif = None
    if cif is not None and not cif.curves.empty:
        present = set(cif.curves["group"])
        figs.append(("cancer_cumulative_incidence", cumulative_incidence_figure(cif, order=[g for g in (order or []) if g in present] or None)))
    return figs


def _sir_rows(res: Any) -> list[Any]:
    return [res.headline, *res.subgroups]


def _sir_numbers(res: Any) -> pd.DataFrame:
    cols = ["group", "n_patients", "observed", "expected", "person_years", "sir", "ci_low", "ci_high", "p_value", "excess_per_1000py"]
    return pd.DataFrame([{c: getattr(h, c) for c in cols} | {"ci_method": h.ci_method} for h in _sir_rows(res)])


def _sir_display(res: Any) -> pd.DataFrame:
    from core.charts.cancer_risk import sir_label

    return pd.DataFrame({
        _("Group"): [_("All patients") if h.group == "all" else h.group for h in _sir_rows(res)],
        _("Patients"): [h.n_patients for h in _sir_rows(res)],
        "O": [h.observed for h in _sir_rows(res)],
        "E": [_num(h.expected, 2) for h in _sir_rows(res)],
        _("Person-years"): [_num(h.person_years, 1) for h in _sir_rows(res)],
        _("SIR ({ci})", ci=fmt_ci_label(res.conf_level)): [sir_label(h, 1) for h in _sir_rows(res)],
        "P": [format_p(h.p_value) for h in _sir_rows(res)],
        _("Excess / 1,000 PY"): [_num(h.excess_per_1000py, 1) for h in _sir_rows(res)],
    })


def _timing_display(timing: Any) -> pd.DataFrame:
    ci = (_("{low} to {high}", low=_num(timing.ci_low_days), high=_num(timing.ci_high_days))
          if math.isfinite(timing.ci_low_days) else _("not estimable"))
    return pd.DataFrame({_("Cancers"): [timing.n], _("Before diagnosis"): [timing.n_before],
                         _("Median, days"): [_num(timing.median_days)],
                         _("{ci}, days", ci=fmt_ci_label(0.95)): [ci], _("Within window"): [timing.n_within]})


# ------------------------------------------------------------------ patient course
def _patient_section(ctx: _Context) -> Section:
    from core.charts.patient import patient_timeline_figure
    from core.events import patient_course, with_cohort_events

    if ctx.patient is None:
        raise ReportError(_("the view's patient is not in the filtered cohort."))
    pid = ctx.patient
    shown = ctx.ids.get(pid, pid)
    rows = ctx.df[ctx.df["patient_id"].astype(str) == shown]
    if rows.empty:
        raise ReportError(_("patient {patient} is not in the filtered cohort.", patient=repr(pid)))
    row = rows.iloc[0].copy()
    row["patient_id"] = pid  # the events table is keyed by the real id
    events, _added = with_cohort_events(ctx.events, row)
    if events.empty:
        raise ReportError(_("no events for patient {patient}.", patient=shown))
    events = events.assign(patient_id=shown)
    course = patient_course(events, shown, row.get("diagnosis_date"))
    subtype = SUBTYPE_LABELS.get(str(row.get("antibody_subtype")), _("unknown subtype"))
    fig = patient_timeline_figure(course, threshold=float(ctx.view.get("p.thr")), title=f"{shown} — {subtype}")
    tables = []
    if not course.treatments.empty:
        tr = course.treatments.assign(start_month=course.treatments["start_month"].round(1),
                                      stop_month=course.treatments["stop_month"].round(1))
        shown_tr = _private(tr[["name", "start_month", "stop_month", "dose"]], ctx).rename(columns={
            "name": _("name"), "start_month": _("start_month"), "stop_month": _("stop_month"), "dose": _("dose")})
        for col in (_("start_month"), _("stop_month")):
            if col in shown_tr and language() == "fr":
                shown_tr[col] = shown_tr[col].map(lambda x: fmt_number(x, 1) if isinstance(x, float) else x)
        tables.append(Table(_("Treatments"), _("{patient}: treatments (months since diagnosis)", patient=shown), shown_tr))
    foot = (_("Months since DM diagnosis (1 month = 365.25/12 days); shown under the patient's identifier.")
            if ctx.options.include_ids else
            _("Months since DM diagnosis (1 month = 365.25/12 days); shown under a pseudonym (identifier left out)."))
    threshold = float(ctx.view.get("p.thr"))
    methods = _("The course of one patient ({patient}) was drawn from the events table and the cohort's diagnosis, "
                "cancer and death dates; interferon scores above {threshold} are positive.", patient=shown,
                threshold=num_g(threshold))
    return Section("patient", _("{patient} · patient course · {subtype}", patient=shown, subtype=subtype), figures=[("patient_course", fig)], tables=tables,
                   footnote=foot, methods=methods, notes=list(course.notes))


# ------------------------------------------------------------------ figures
def _png_scale(fig: dict[str, Any]) -> float:
    """Scale giving ``PNG_DPI`` at the slide's content width."""
    width = float(fig.get("layout", {}).get("width") or 960)
    return max(1.0, PNG_DPI * _FIG_W / width)


def _size(fig: dict[str, Any]) -> tuple[int, int]:
    lay = fig.get("layout", {})
    return int(lay.get("width") or 960), int(lay.get("height") or 540)


def _figure(fig: Any, options: BundleOptions, section: str) -> dict[str, Any]:
    """The figure as written: :func:`figure_safe`, and its small counts suppressed when
    asked (not for the one-patient course, which shows no count)."""
    out = figure_safe(fig)
    if options.privacy.suppressing and section != "patient":
        out = suppress_figure_text(out, options.suppress_below or 0)
    return out


def _render_all(sections: list[Section], options: BundleOptions, say: Progress) -> dict[tuple[str, str], bytes]:
    """PNG and SVG of every figure, rendered once by the warm local browser."""
    from core.export import ExportError, figure_to_image

    figs = [(s, name, _figure(fig, options, s.key)) for s in sections for name, fig in s.figures]
    out: dict[tuple[str, str], bytes] = {}
    if not options.render_figures:
        return out
    for i, (section, name, fig) in enumerate(figs):
        say(_("Rendering figures ({i}/{n}): {name}", i=i + 1, n=len(figs), name=name), 0.10 + 0.58 * i / max(1, len(figs)))
        w, h = _size(fig)
        try:
            out[(name, "png")] = figure_to_image(fig, "png", width=w, height=h, scale=_png_scale(fig))
            out[(name, "svg")] = figure_to_image(fig, "svg", width=w, height=h)
        except ExportError as exc:
            section.notes.append(str(exc))
    return out


# ------------------------------------------------------------------ PowerPoint
def _chunks(df: pd.DataFrame, size: int = ROWS_PER_SLIDE) -> list[pd.DataFrame]:
    return [df.iloc[i:i + size] for i in range(0, max(1, len(df)), size)]


def _text(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


def write_pptx(sections: list[Section], images: dict[tuple[str, str], bytes], ctx: _Context) -> bytes:
    """The deck: a title slide, then per section its figures and its tables (native)."""
    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(SLIDE_W_IN), Inches(SLIDE_H_IN)
    _title_slide(prs, ctx)
    for s in sections:
        for name, _fig in s.figures:
            slide = _slide(prs, s.title, s.footnote, s.methods)
            png = images.get((name, "png"))
            if png:
                _add_picture(slide, png)
            else:
                _add_text(slide, _("Figure not rendered on this machine: see report.html."), _FIG_TOP, 12)
        for t in s.tables:
            parts = _chunks(neutralise_frame(t.display))
            for k, part in enumerate(parts):
                page = f" ({k + 1}/{len(parts)})" if len(parts) > 1 else ""
                name = f" · {t.name}" if len(s.tables) > 1 else ""
                slide = _slide(prs, f"{s.title}{name}{page}", s.footnote, s.methods)
                _add_table(slide, part)
        if not s.figures and not s.tables:
            slide = _slide(prs, s.title, "", s.methods)
            _add_text(slide, "\n".join(s.notes), _FIG_TOP, 16)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def _title_slide(prs: Any, ctx: _Context) -> None:
    from pptx.util import Inches

    slide = prs.slides.add_slide(prs.slide_layouts[0])
    for shape, top, height in ((slide.shapes.title, 2.0, 1.4), (slide.placeholders[1], 3.6, 2.0)):
        shape.left, shape.top, shape.width, shape.height = Inches(_FIG_LEFT), Inches(top), Inches(_FIG_W), Inches(height)
    slide.shapes.title.text = cell(_("Myoscope · meeting bundle"))
    slide.placeholders[1].text = cell(f"{ctx.subgroup} ({ctx.filters}) · {_n_text(len(ctx.df), ctx)} · "
                                      f"{fmt_date(_dt.date.today())}\n{ctx.options.privacy.describe()}")


def _slide(prs: Any, title: str, footnote: str, notes: str) -> Any:
    from pptx.util import Inches, Pt

    slide = prs.slides.add_slide(prs.slide_layouts[5])  # title only
    head = slide.shapes.title
    head.left, head.top, head.width, head.height = Inches(_FIG_LEFT), Inches(0.25), Inches(_FIG_W), Inches(0.9)
    head.text = cell(title)
    for p in head.text_frame.paragraphs:
        for r in p.runs:
            r.font.size = Pt(24)
    if footnote:
        _add_text(slide, footnote, SLIDE_H_IN - 0.75, 10)
    if notes:
        slide.notes_slide.notes_text_frame.text = cell(notes)
    return slide


def _add_text(slide: Any, text: str, top: float, size: int) -> None:
    from pptx.util import Inches, Pt

    box = slide.shapes.add_textbox(Inches(_FIG_LEFT), Inches(top), Inches(_FIG_W), Inches(0.6))
    box.text_frame.word_wrap = True
    box.text_frame.text = cell(text)
    for p in box.text_frame.paragraphs:
        for r in p.runs:
            r.font.size = Pt(size)


def _add_picture(slide: Any, png: bytes) -> None:
    from PIL import Image
    from pptx.util import Inches

    w, h = Image.open(io.BytesIO(png)).size
    scale = min(_FIG_W / w, _FIG_H / h)
    width, height = w * scale, h * scale
    left = _FIG_LEFT + (_FIG_W - width) / 2
    slide.shapes.add_picture(io.BytesIO(png), Inches(left), Inches(_FIG_TOP), Inches(width), Inches(height))


def _add_table(slide: Any, df: pd.DataFrame) -> None:
    from pptx.util import Inches, Pt

    n_rows, n_cols = len(df) + 1, len(df.columns)
    shape = slide.shapes.add_table(n_rows, n_cols, Inches(_FIG_LEFT), Inches(_FIG_TOP), Inches(_FIG_W), Inches(0.3 * n_rows))
    table = shape.table
    if n_cols > 1:  # the first column (feature, group) gets the room it needs
        first = int(Inches(_FIG_W) * (0.34 if n_cols > 3 else 0.5))
        table.columns[0].width = first
        for j in range(1, n_cols):
            table.columns[j].width = int((Inches(_FIG_W) - first) / (n_cols - 1))
    values = [[str(c) for c in df.columns]] + [[_text(v) for v in row] for row in df.itertuples(index=False)]
    size = Pt(12 if n_cols <= 5 else 10)
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            c = table.cell(i, j)
            c.text = v
            for p in c.text_frame.paragraphs:
                for r in p.runs:
                    r.font.size = size
                    r.font.bold = i == 0


# ------------------------------------------------------------------ HTML
_CSS = """body{font-family:Arial,Helvetica,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;font-size:13px;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
th{background:#f3f3f3}.foot{font-size:12px;color:#555}.notes{color:#8a4b00;font-size:13px}"""


def write_html(sections: list[Section], ctx: _Context) -> str:
    """One self-contained page: plotly.js embedded once, no CDN, no MathJax, no external URL."""
    import plotly.io as pio

    head = (f"<!doctype html><html lang='{language()}'><head><meta charset='utf-8'><title>{_esc(_('Myoscope report'))}</title>"
            f"<style>{_CSS}</style></head>")
    intro = (f"<p>{_esc(ctx.subgroup)} ({_esc(ctx.filters)}) · {_esc(_n_text(len(ctx.df), ctx))} · "
             f"{fmt_date(_dt.date.today())}</p><p class='foot'>{_esc(ctx.options.privacy.describe())}</p>")
    parts = [head, f"<body><h1>{_esc(_('Myoscope report'))}</h1>", intro]
    first = True
    for s in sections:
        parts.append(f"<section><h2>{_esc(s.title)}</h2>")
        for _name, fig in s.figures:
            parts.append(pio.to_html(_figure(fig, ctx.options, s.key), include_plotlyjs=first, full_html=False, include_mathjax=False,
                                     config={"displaylogo": False}))
            first = False
        for t in s.tables:
            parts.append(f"<h3>{_esc(t.title)}</h3>" + neutralise_frame(t.display).to_html(index=False, escape=True, na_rep=""))
        if s.notes:
            parts.append("<ul class='notes'>" + "".join(f"<li>{_esc(n)}</li>" for n in s.notes) + "</ul>")
        if s.footnote:
            parts.append(f"<p class='foot'>{_esc(s.footnote)}</p>")
        if s.methods:
            parts.append(f"<h3>{_esc(_('Methods'))}</h3><p>{_esc(s.methods)}</p>")
        parts.append("</section>")
    parts.append(f"<h2>{_esc(_('References'))}</h2><ol>" + "".join(f"<li>{_esc(r)}</li>" for r in REFERENCES) + "</ol></body></html>")
    return "\n".join(parts)


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL | re.IGNORECASE)
_FETCH = re.compile(r"""(?:\b(?:src|href|srcset|poster|action|data)\s*=\s*["']?\s*|url\(\s*["']?|@import\s+["']?)(?:https?:)?//[^\s"'<>)]+""",
                    re.IGNORECASE)
_SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc\s*=", re.IGNORECASE)


def external_urls(page: str) -> list[str]:
    """Addresses a browser would fetch from outside the file: ``src``/``href``/``url()``/
    ``@import`` outside scripts, and any ``<script src>``. Empty for a self-contained page."""
    found = [m.group(0) for m in _SCRIPT_SRC.finditer(page)]
    return found + [m.group(0) for m in _FETCH.finditer(_SCRIPT.sub("", page))]


# ------------------------------------------------------------------ Word
def write_docx(sections: list[Section], images: dict[tuple[str, str], bytes], ctx: _Context) -> bytes:
    """Word report: per section its figures, tables (Word tables), footnote and methods."""
    from docx import Document
    from docx.shared import Inches, Pt

    doc = Document()
    doc.styles["Normal"].font.name = "Calibri"
    doc.styles["Normal"].font.size = Pt(10)
    doc.add_heading(cell(_("Myoscope report")), level=0)
    doc.add_paragraph(cell(f"{ctx.subgroup} ({ctx.filters}) · {_n_text(len(ctx.df), ctx)} · {fmt_date(_dt.date.today())}. "
                           f"{ctx.options.privacy.describe()}"))
    for s in sections:
        doc.add_heading(cell(s.title), level=1)
        for name, _fig in s.figures:
            png = images.get((name, "png"))
            if png:
                doc.add_picture(io.BytesIO(png), width=Inches(6.5))
        for t in s.tables:
            doc.add_paragraph().add_run(cell(t.title)).bold = True
            _docx_table(doc, neutralise_frame(t.display))
        for n in s.notes:
            doc.add_paragraph(cell(n)).runs[0].italic = True
        if s.footnote:
            run = doc.add_paragraph().add_run(cell(s.footnote))
            run.italic, run.font.size = True, Pt(8)
        if s.methods:
            doc.add_heading(_("Methods"), level=2)
            doc.add_paragraph(cell(s.methods))
    doc.add_heading(_("References"), level=1)
    for r in REFERENCES:
        doc.add_paragraph(r, style="List Number")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _docx_table(doc: Any, df: pd.DataFrame) -> None:
    table = doc.add_table(rows=1, cols=len(df.columns))
    table.style = "Table Grid"
    for j, c in enumerate(df.columns):
        table.rows[0].cells[j].text = ""
        table.rows[0].cells[j].paragraphs[0].add_run(str(c)).bold = True
    for row in df.itertuples(index=False):
        cells = table.add_row().cells
        for j, v in enumerate(row):
            cells[j].text = _text(v)


# ------------------------------------------------------------------ Excel
def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or _("Table")
    out, k = base, 2
    while out in used:
        out = f"{base[:28]} {k}"
        k += 1
    used.add(out)
    return out


def _xl(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float):
        return None if math.isnan(v) else (v if math.isfinite(v) else ("Inf" if v > 0 else "-Inf"))
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if hasattr(v, "item"):
        return _xl(v.item())
    if isinstance(v, (tuple, list, dict)):
        return str(v)
    return v


def write_xlsx(sections: list[Section], ctx: _Context) -> bytes:
    """One sheet per table (display and full-precision numbers), text neutralised."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    exact: dict[int, dict[str, float]] = {}
    for s in sections:
        for t in s.tables:
            sheets = {t.name: t.display, **t.numbers}
            for name, frame in sheets.items():
                ws = wb.create_sheet(_sheet_name(name, used))
                ws.cell(row=1, column=1, value=cell(f"{s.title} · {name}")).font = Font(bold=True)
                df = neutralise_frame(frame)
                for j, c in enumerate(df.columns, start=1):
                    ws.cell(row=3, column=j, value=str(c)).font = Font(bold=True)
                patch = exact.setdefault(len(wb.sheetnames), {})
                for i, row in enumerate(df.itertuples(index=False), start=4):
                    for j, v in enumerate(row, start=1):
                        c = ws.cell(row=i, column=j, value=_xl(v))
                        if isinstance(c.value, float) and f"{c.value:.16g}" != repr(c.value):
                            patch[c.coordinate] = c.value
                if s.footnote:
                    ws.cell(row=len(df) + 5, column=1, value=cell(s.footnote)).font = Font(italic=True, size=9)
    if not wb.sheetnames:
        wb.create_sheet(_("No table"))
    buf = io.BytesIO()
    wb.save(buf)
    return exact_floats(buf.getvalue(), exact)


# ------------------------------------------------------------------ JSON
def _jsonable(o: Any) -> Any:
    """Strict-JSON value: NaN/inf -> null, numpy scalars -> Python, dates -> ISO text."""
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_jsonable(v) for v in o]
    if isinstance(o, (pd.Timestamp, _dt.date)):
        return o.isoformat()
    if hasattr(o, "tolist") and not isinstance(o, (str, bytes)):
        return _jsonable(o.tolist())
    if o is None or isinstance(o, (str, int, bool)):
        return o
    return str(o)


def _results_json(sections: list[Section], ctx: _Context) -> str:
    obj = {"filters": ctx.filters, "n_patients": len(ctx.df), "privacy": ctx.options.privacy.describe(),
           "sections": {s.key: {"title": s.title, "notes": s.notes, "result": s.payload if ctx.options.include_ids or s.key != "sir"
                                else _without_ids(s.payload)} for s in sections}}
    if ctx.options.privacy.suppressing:  # the JSON holds raw counts: leave the results out
        for s in obj["sections"].values():
            s["result"] = None
    return json.dumps(_jsonable(obj), ensure_ascii=False, indent=2, allow_nan=False)


def _without_ids(payload: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if payload is None else {k: v for k, v in payload.items() if k not in ("excluded", "patients")}


__all__ = ["BundleOptions", "ReportError", "Section", "Table", "build_bundle", "external_urls", "view_grouping", "write_docx", "write_html", "write_pptx", "write_xlsx"]
