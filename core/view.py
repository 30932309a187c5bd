"""A view: everything that decides the numbers and figures on screen, as data.

A :class:`ViewState` holds the global filters (:class:`core.filters.FilterSpec`) and the
value of every page setting (split, endpoint, unit, CI method, window, patient,
presentation mode, language, ...). Each setting is declared once in :data:`SETTINGS`
(its short URL key, type, default and allowed values), so the same view travels three
ways without loss:

* the **address** (:meth:`ViewState.to_query_params` / :meth:`ViewState.from_query_params`):
  short, readable keys, only the values that differ from the defaults;
* a **saved view** file, ``view.json`` (:meth:`ViewState.to_json` /
  :meth:`ViewState.from_json`): the same settings plus the cohort's file name and SHA-256
  and the Myoscope and library versions; never any patient data;
* **presets** (:data:`PRESETS`), named views of the published figures.

Reading never raises on a bad value: an unknown key or an invalid value is left out and
explained in ``notes`` (shown in the sidebar), the rest of the view is applied.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Literal

from core.filters import FilterError, FilterSpec
from core.i18n import _

SettingKind = Literal["str", "float", "int", "bool", "list"]
VIEW_FORMAT = 1
#: Settings that identify a patient: pseudonymised in the address, left out of view.json.
PATIENT_SETTINGS: tuple[str, ...] = ("p.id",)


@dataclass(frozen=True)
class Setting:
    """One setting of a page.

    Attributes
    ----------
    key : str
        Short URL key, ``<page letter>.<name>`` (``s.unit``); also the JSON key.
    default : object
        Value when absent (``None`` = "the page decides", e.g. a split that follows the
        filter).
    kind : {"str", "float", "int", "bool", "list"}
        ``list`` is a list of strings (``,``-separated in the URL).
    choices : tuple
        Allowed values (empty: any value of the kind).
    label : str
        What it is, for messages.
    """

    key: str
    default: Any
    kind: SettingKind = "str"
    choices: tuple[Any, ...] = ()
    label: str = ""

    def parse(self, raw: Any) -> Any:
        """A value from the URL (text) or JSON (typed). Raises ``ValueError`` when invalid."""
        if raw is None:
            return None
        value = _coerce(self.kind, raw)
        items = value if self.kind == "list" else [value]
        if self.choices and any(v not in self.choices for v in items):
            raise ValueError(_("{value} is not one of {choices}", value=repr(raw), choices=", ".join(map(str, self.choices))))
        return value

    def encode(self, value: Any) -> str:
        """The URL text of a value."""
        if self.kind == "bool":
            return "1" if value else "0"
        if self.kind == "list":
            return ",".join(str(v) for v in value)
        if self.kind == "float":
            return f"{float(value):g}"
        return str(value)


def _coerce(kind: SettingKind, raw: Any) -> Any:
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ValueError(_("{value} is not on/off (1/0)", value=repr(raw)))
    if kind == "float":
        x = float(raw)
        if not math.isfinite(x):
            raise ValueError(_("{value} is not a finite number", value=repr(raw)))
        return x
    if kind == "int":
        x = float(raw)
        if not x.is_integer():
            raise ValueError(_("{value} is not a whole number", value=repr(raw)))
        return int(x)
    if kind == "list":
        items = raw if isinstance(raw, (list, tuple)) else str(raw).split(",")
        return tuple(str(v).strip() for v in items if str(v).strip())
    return str(raw)


def _settings(*items: Setting) -> dict[str, Setting]:
    out: dict[str, Setting] = {}
    for s in items:
        if s.key in out:  # pragma: no cover - a declaration error
            raise ValueError(f"setting {s.key!r} declared twice")
        out[s.key] = s
    return out


#: Every setting of every page. Pages may add their own; keys are ``page.name``
#: (``g`` = global/app, ``c`` = compare, ``s`` = survival, ``r`` = cancer risk,
#: ``p`` = patient).
SETTINGS: dict[str, Setting] = _settings(
    Setting("g.lang", "en", "str", ("en", "fr"), "language"),
    Setting("g.present", False, "bool", (), "presentation mode"),
    Setting("g.slide", 0, "int", (), "slide"),
    # compare
    Setting("c.by", None, "str", (), "compare: split column"),
    Setting("c.kind", None, "str", ("subtype", "binary", "category", "levels", "age", "cutoff"), "compare: split kind"),
    Setting("c.a", (), "list", (), "compare: group A values"),
    Setting("c.b", (), "list", (), "compare: group B values"),
    Setting("c.cut", None, "float", (), "compare: cut-off"),
    Setting("c.feat", None, "list", (), "compare: features"),
    Setting("c.fdr", False, "bool", (), "compare: BH q-values"),
    # survival
    Setting("s.by", None, "str", (), "survival: split column"),
    Setting("s.kind", None, "str", ("subtype", "binary", "category", "levels", "age", "cutoff"), "survival: split kind"),
    Setting("s.a", (), "list", (), "survival: group A values"),
    Setting("s.b", (), "list", (), "survival: group B values"),
    Setting("s.cut", None, "float", (), "survival: cut-off"),
    Setting("s.origin", "diagnosis_date", "str", (), "survival: time origin"),
    Setting("s.event", "death", "str", (), "survival: endpoint"),
    Setting("s.censor", "last_followup_date", "str", (), "survival: censoring date"),
    Setting("s.unit", "months", "str", ("days", "months", "years"), "survival: time unit"),
    Setting("s.ci", "log", "str", ("log", "log-log", "plain"), "survival: CI method"),
    Setting("s.adjust", False, "bool", (), "survival: Cox adjusted for age and sex"),
    Setting("s.bands", True, "bool", (), "survival: confidence bands"),
    Setting("s.marks", True, "bool", (), "survival: censor marks"),
    Setting("s.median", True, "bool", (), "survival: median lines"),
    Setting("s.cum", False, "bool", (), "survival: cumulative events in the risk table"),
    Setting("s.lm", "", "str", (), "survival: landmarks (empty = 1, 3, 5 years)"),
    Setting("s.ticks", "", "str", (), "survival: risk-table times (empty = automatic)"),
    Setting("s.ref", None, "str", (), "survival: reference group of the hazard ratios"),
    # cancer risk
    Setting("r.before", 3.0, "float", (), "cancer risk: years before diagnosis"),
    Setting("r.after", 3.0, "float", (), "cancer risk: years after diagnosis"),
    Setting("r.open", False, "bool", (), "cancer risk: no end after diagnosis"),
    Setting("r.ci", "exact", "str", ("exact", "midp", "byar", "wald"), "cancer risk: CI method"),
    Setting("r.by", "none", "str", (), "cancer risk: split"),
    # patient
    Setting("p.id", None, "str", (), "patient (pseudonymised in the address, never in view.json)"),
    Setting("p.thr", 2.3, "float", (), "patient: interferon threshold"),
)


@dataclass(frozen=True)
class ViewState:
    """Filters and settings of a view (see the module docstring).

    Attributes
    ----------
    filters : FilterSpec
    values : Mapping[str, object]
        Setting key -> value, only for settings that differ from their default.
    page : str
        The page the view was on (``cohort``, ``compare``, ``survival``,
        ``cancer_risk``, ``patient``), or "".
    notes : tuple[str, ...]
        What could not be applied when the view was read, in plain words.
    """

    filters: FilterSpec = field(default_factory=FilterSpec)
    values: Mapping[str, Any] = field(default_factory=dict)
    page: str = ""
    notes: tuple[str, ...] = ()

    def get(self, key: str) -> Any:
        """A setting's value (its default when not set)."""
        return self.values.get(key, SETTINGS[key].default)

    def with_values(self, **changes: Any) -> ViewState:
        """A copy with settings changed (``with_values(**{"s.unit": "years"})``);
        a value equal to the default is dropped."""
        vals = dict(self.values)
        for k, v in changes.items():
            s = SETTINGS[k]
            v = s.parse(v) if v is not None else None
            if v == s.default:
                vals.pop(k, None)
            else:
                vals[k] = v
        return replace(self, values=vals)

    # ----------------------------------------------------------------- URL
    def to_query_params(self) -> dict[str, str]:
        """Short, readable query parameters: the filters' and the non-default settings'."""
        out = dict(self.filters.to_query_params())
        if self.page:
            out["page"] = self.page
        for k in sorted(self.values):
            out[k] = SETTINGS[k].encode(self.values[k])
        return out

    @classmethod
    def from_query_params(cls, params: Mapping[str, Any]) -> ViewState:
        """Read a view from query parameters; bad values are left out and explained."""
        flat = {k: (v[-1] if isinstance(v, list) else v) for k, v in params.items()}
        notes: list[str] = []
        try:
            filters = FilterSpec.from_query_params({k: v for k, v in flat.items() if "." not in k and k != "page"})
        except FilterError as exc:
            filters = FilterSpec()
            notes.append(_("The filters in the link could not be read ({error}); showing all patients.", error=exc))
        values, more = _read_values({k: v for k, v in flat.items() if "." in k})
        return cls(filters, values, str(flat.get("page", "")), tuple(notes + more))

    # ----------------------------------------------------------------- saved view
    def to_json(self, cohort_name: str = "", cohort_sha256: str = "", exclude: Iterable[str] = PATIENT_SETTINGS) -> str:
        """``view.json``: settings, filters, cohort name and SHA-256, versions. No patient data.

        Settings that name a patient (``exclude``, by default :data:`PATIENT_SETTINGS`) are
        left out, so a saved view never carries a patient identifier, even pseudonymised.
        """
        skip = set(exclude)
        obj = {
            "myoscope_view": VIEW_FORMAT,
            "page": self.page,
            "cohort": {"file": cohort_name, "sha256": cohort_sha256},
            "filters": self.filters.to_dict(),
            "settings": {k: (list(v) if isinstance(v, tuple) else v) for k, v in sorted(self.values.items()) if k not in skip},
            "versions": versions(),
        }
        return json.dumps(obj, ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str | bytes) -> tuple[ViewState, dict[str, str]]:
        """Read ``view.json``: the view and its ``cohort`` record (file, sha256).

        Raises
        ------
        ValueError
            Not a Myoscope view file (the message says what was expected).
        """
        try:
            obj = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(_("This is not a view file: it is not valid JSON. Save a view from Myoscope and load it unchanged.")) from exc
        if not isinstance(obj, dict) or "myoscope_view" not in obj:
            raise ValueError(_('This is not a Myoscope view file (it has no "myoscope_view" entry).'))
        notes: list[str] = []
        try:
            filters = FilterSpec.from_dict(obj.get("filters") or {})
        except FilterError as exc:
            filters = FilterSpec()
            notes.append(_("The view's filters could not be applied ({error}).", error=exc))
        raw = obj.get("settings") or {}
        values, more = _read_values(raw if isinstance(raw, dict) else {})
        cohort = obj.get("cohort") if isinstance(obj.get("cohort"), dict) else {}
        record = {"file": str(cohort.get("file", "")), "sha256": str(cohort.get("sha256", ""))}
        return cls(filters, values, str(obj.get("page", "")), tuple(notes + more)), record


def _read_values(raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    values: dict[str, Any] = {}
    notes: list[str] = []
    for k, v in raw.items():
        s = SETTINGS.get(k)
        if s is None:
            notes.append(_("Unknown setting {key} in the link or view: ignored.", key=repr(k)))
            continue
        try:
            parsed = s.parse(v)
        except (ValueError, TypeError) as exc:
            notes.append(_("{setting}: {error}; the default is used.", setting=_(s.label) if s.label else k, error=exc))
            continue
        if parsed != s.default:
            values[k] = parsed
    return values, notes


def file_sha256(data: bytes) -> str:
    """SHA-256 of a cohort file's bytes (hex), recorded in ``view.json``."""
    return hashlib.sha256(data).hexdigest()


def versions(packages: Iterable[str] = ("myoscope", "pandas", "numpy", "scipy", "lifelines", "plotly", "streamlit")) -> dict[str, str]:
    """Installed versions of Myoscope and the libraries that compute or draw (read once
    per process: the package metadata does not change while the app runs)."""
    return dict(_versions(tuple(packages)))


@lru_cache(maxsize=8)
def _versions(packages: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    from importlib.metadata import PackageNotFoundError, version

    out: list[tuple[str, str]] = []
    for p in packages:
        try:
            out.append((p, version(p)))
        except PackageNotFoundError:
            out.append((p, "not installed"))
    return tuple(out)


# ====================================================================== splits
#: Setting suffixes of a split (``<page>.kind`` ...), one per GroupSpec field.
SPLIT_FIELDS: tuple[str, ...] = ("kind", "by", "a", "b", "cut")


def split_values(prefix: str, spec: Any | None) -> dict[str, Any]:
    """The settings (``c.kind``, ``c.by``, ``c.a``, ``c.b``, ``c.cut``) of a
    :class:`core.groups.GroupSpec`; all ``None`` when ``spec`` is None ("the page decides").

    Only the fields a kind uses are written: ``binary`` -> kind and column,
    ``age``/``cutoff`` -> cut-off, ``category`` -> values, ``subtype`` -> the subtype in
    ``a``.
    """
    out: dict[str, Any] = {f"{prefix}.{f}": None for f in SPLIT_FIELDS}
    if spec is None:
        return out
    kind = spec.kind
    out[f"{prefix}.kind"] = kind
    if kind in ("binary", "category", "levels", "cutoff"):
        out[f"{prefix}.by"] = spec.column
    if kind in ("subtype", "category"):
        out[f"{prefix}.a"] = tuple(spec.values_a)
    if kind == "category":
        out[f"{prefix}.b"] = tuple(spec.values_b)
    if kind in ("age", "cutoff"):
        out[f"{prefix}.cut"] = float(spec.cutoff)
    return out


def split_from_values(prefix: str, values: Mapping[str, Any]) -> dict[str, Any] | None:
    """The keyword arguments of a GroupSpec stored under ``prefix`` (None when unset)."""
    kind = values.get(f"{prefix}.kind")
    if not kind:
        return None
    column = values.get(f"{prefix}.by") or {"subtype": "antibody_subtype", "age": "age_at_diagnosis"}.get(kind, "")
    out: dict[str, Any] = {"kind": kind, "column": column,
                           "values_a": tuple(values.get(f"{prefix}.a") or ()),
                           "values_b": tuple(values.get(f"{prefix}.b") or ())}
    cut = values.get(f"{prefix}.cut")
    if cut is not None:
        out["cutoff"] = float(cut)
    return out


# ====================================================================== vocabularies
#: At-risk windows of the cancer-risk page: label -> (years before, years after) or
#: None for "Custom" (inf after = no end).
SIR_WINDOWS: dict[str, tuple[float, float] | None] = {
    "From diagnosis on": (0.0, math.inf),
    "±1 year": (1.0, 1.0),
    "±3 years (cancer-associated myositis)": (3.0, 3.0),
    "±5 years": (5.0, 5.0),
    "Custom": None,
}


def _threshold_choices() -> dict[str, float | None]:
    from core.interferon import DEFAULT_THRESHOLD, RICE_THRESHOLD

    return {
        f"{DEFAULT_THRESHOLD:g} (laboratory of Jalles et al. 2020)": DEFAULT_THRESHOLD,
        f"{RICE_THRESHOLD:g} (Rice et al. 2013: mean + 2 SD of controls)": RICE_THRESHOLD,
        "custom": None,
    }


#: Interferon positivity thresholds of the patient page: label -> value (None = custom).
THRESHOLD_CHOICES: dict[str, float | None] = _threshold_choices()


# ====================================================================== patients
def patient_token(patient_id: str, salt: str) -> str:
    """A pseudonym of a patient id for the address: ``~`` + 10 hex digits of
    SHA-256(salt, id). With the cohort file's SHA-256 as salt, only someone holding the
    same file can tell which patient a link shows."""
    return "~" + hashlib.sha256(f"{salt}\x1f{patient_id}".encode()).hexdigest()[:10]


def resolve_patient(value: str | None, ids: Iterable[str], salt: str) -> str | None:
    """The patient id a setting names: a pseudonym (:func:`patient_token`) or, for presets
    of synthetic data, the id itself; ``None`` when no patient of ``ids`` matches."""
    if not value:
        return None
    ids = [str(i) for i in ids]
    if not value.startswith("~"):
        return value if value in ids else None
    return next((i for i in ids if patient_token(i, salt) == value), None)


# ====================================================================== bindings
@dataclass(frozen=True)
class Binding:
    """Settings <-> the widgets that show them (by widget key).

    Attributes
    ----------
    settings : tuple[str, ...]
        Setting keys (:data:`SETTINGS`).
    widgets : tuple[str, ...]
        Widget keys (Streamlit session-state keys); the first one is always on screen when
        the others are.
    to_widgets : callable or None
        ``(values, context) -> {widget key: value}``; None = one setting, one widget, same
        value (tuples become lists).
    from_widgets : callable or None
        ``({widget key: value present}, context) -> values``.
    page : str
        Page the widgets are on ("" = every page).
    """

    settings: tuple[str, ...]
    widgets: tuple[str, ...]
    to_widgets: Any = None
    from_widgets: Any = None
    page: str = ""

    def widget_values(self, values: tuple[Any, ...], context: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Widget state for these setting values."""
        if self.to_widgets is not None:
            return dict(self.to_widgets(values, context or {}))
        v = values[0]
        return {self.widgets[0]: list(v) if isinstance(v, tuple) else v}

    def setting_values(self, widgets: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> tuple[Any, ...]:
        """Setting values for this widget state."""
        if self.from_widgets is not None:
            return tuple(self.from_widgets(widgets, context or {}))
        v = widgets[self.widgets[0]]
        return (tuple(v) if isinstance(v, list) else v,)


def _window_to_widgets(values: tuple[Any, ...], _ctx: Mapping[str, Any]) -> dict[str, Any]:
    before, after, open_end = float(values[0]), float(values[1]), bool(values[2])
    after_eff = math.inf if open_end else after
    for label, win in SIR_WINDOWS.items():
        if win is not None and win == (before, after_eff):
            return {"cr_window": label}
    out: dict[str, Any] = {"cr_window": "Custom", "cr_wb": before, "cr_open": open_end}
    if not open_end:
        out["cr_wa"] = after
    return out


def _window_from_widgets(w: Mapping[str, Any], _ctx: Mapping[str, Any]) -> tuple[Any, ...]:
    win = SIR_WINDOWS.get(w.get("cr_window", ""), (3.0, 3.0))
    if win is not None:
        before, after = win
        return (before, 3.0, True) if math.isinf(after) else (before, after, False)
    open_end = bool(w.get("cr_open", False))
    return float(w.get("cr_wb", 3.0)), float(w.get("cr_wa", 3.0)), open_end


def _threshold_to_widgets(values: tuple[Any, ...], _ctx: Mapping[str, Any]) -> dict[str, Any]:
    thr = float(values[0])
    for label, v in THRESHOLD_CHOICES.items():
        if v is not None and v == thr:
            return {"timeline_threshold_choice": label}
    return {"timeline_threshold_choice": "custom", "timeline_threshold_custom": thr}


def _threshold_from_widgets(w: Mapping[str, Any], _ctx: Mapping[str, Any]) -> tuple[Any, ...]:
    v = THRESHOLD_CHOICES.get(w.get("timeline_threshold_choice", ""), None)
    if v is None:
        v = float(w.get("timeline_threshold_custom", SETTINGS["p.thr"].default))
    return (v,)


def _patient_to_widgets(values: tuple[Any, ...], ctx: Mapping[str, Any]) -> dict[str, Any]:
    pid = resolve_patient(values[0], ctx.get("patient_ids", ()), str(ctx.get("salt", "")))
    return {"patient_id": pid} if pid is not None else {"patient_id": values[0]}


def _patient_from_widgets(w: Mapping[str, Any], ctx: Mapping[str, Any]) -> tuple[Any, ...]:
    pid = w.get("patient_id")
    return (None if pid is None else patient_token(str(pid), str(ctx.get("salt", ""))),)


def _one(setting: str, widget: str, page: str) -> Binding:
    return Binding((setting,), (widget,), page=page)


#: Every widget bound to a setting (the split pickers bind themselves:
#: ``ui.widgets.group_picker``).
BINDINGS: tuple[Binding, ...] = (
    _one("g.present", "presentation", ""),
    _one("c.feat", "cmp_features", "compare"),
    _one("c.fdr", "cmp_fdr", "compare"),
    _one("s.origin", "surv_origin", "survival"),
    _one("s.event", "surv_endpoint", "survival"),
    _one("s.censor", "surv_censor", "survival"),
    _one("s.unit", "surv_unit", "survival"),
    _one("s.ci", "surv_conf_type", "survival"),
    _one("s.adjust", "surv_adjust", "survival"),
    _one("s.bands", "surv_show_ci", "survival"),
    _one("s.marks", "surv_censors", "survival"),
    _one("s.median", "surv_median", "survival"),
    _one("s.cum", "surv_cum", "survival"),
    _one("s.lm", "surv_landmarks", "survival"),
    _one("s.ticks", "surv_ticks", "survival"),
    _one("s.ref", "surv_reference", "survival"),
    _one("r.ci", "cr_ci", "cancer_risk"),
    _one("r.by", "cr_split", "cancer_risk"),
    Binding(("r.before", "r.after", "r.open"), ("cr_window", "cr_wb", "cr_wa", "cr_open"),
            _window_to_widgets, _window_from_widgets, "cancer_risk"),
    Binding(("p.id",), ("patient_id",), _patient_to_widgets, _patient_from_widgets, "patient"),
    Binding(("p.thr",), ("timeline_threshold_choice", "timeline_threshold_custom"),
            _threshold_to_widgets, _threshold_from_widgets, "patient"),
)

#: URL letter of each page's settings.
PAGE_PREFIX: dict[str, str] = {"cohort": "", "compare": "c", "survival": "s", "cancer_risk": "r", "patient": "p"}


def page_values(values: Mapping[str, Any], page: str) -> dict[str, Any]:
    """The settings shown in the address of ``page``: the global ones (``g.*``) and the
    page's own (the other pages' settings stay in the session and in view.json)."""
    prefix = PAGE_PREFIX.get(page, "")
    return {k: v for k, v in values.items() if k.startswith("g.") or (prefix and k.startswith(prefix + "."))}


# ====================================================================== titles
def filter_title(filters: FilterSpec) -> str:
    """Short subgroup text for a slide title: ``Anti-Mi2, age ≥ 50, women``; ``All patients``."""
    from core.schema import SUBTYPE_LABELS

    parts: list[str] = []
    if filters.antibody_subtype:
        parts.append(" + ".join(SUBTYPE_LABELS.get(s, s) for s in filters.antibody_subtype))
    if filters.age_min is not None and filters.age_max is not None:
        parts.append(f"age {filters.age_min:g}–{filters.age_max:g}")
    elif filters.age_min is not None:
        parts.append(f"age ≥ {filters.age_min:g}")
    elif filters.age_max is not None:
        parts.append(f"age ≤ {filters.age_max:g}")
    if filters.sex:
        parts.append(" + ".join({"F": "women", "M": "men"}.get(s, s) for s in filters.sex))
    for col, vals in filters.features:
        parts.append(f"{col} = " + "/".join({1.0: "yes", 0.0: "no"}.get(v, str(v)) for v in vals))
    text = ", ".join(parts) or "All patients"
    return text[0].upper() + text[1:]


def split_title(kind: str, column: str, cutoff: float, label: str, values_a: tuple[str, ...] = ()) -> str:
    """What a split is, for a slide title: ``cancer``, ``age ≥ 50``, ``CK ≥ 1000``,
    ``anti-Mi2 vs other subtypes`` (``label``: the column's label)."""
    from core.schema import SUBTYPE_LABELS

    if kind == "age":
        return f"age ≥ {cutoff:g}"
    if kind == "cutoff":
        return f"{label} ≥ {cutoff:g}"
    if kind == "subtype":
        sub = values_a[0] if values_a else ""
        return f"{SUBTYPE_LABELS.get(sub, sub)} vs other subtypes"
    if kind == "category" and values_a:
        return f"{label} ({' / '.join(values_a)})"
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


__all__ = [
    "BINDINGS", "PAGE_PREFIX", "PATIENT_SETTINGS", "SETTINGS", "SIR_WINDOWS", "SPLIT_FIELDS",
    "THRESHOLD_CHOICES", "Binding", "Setting", "ViewState", "file_sha256", "filter_title",
    "page_values", "patient_token", "resolve_patient", "split_from_values", "split_title", "split_values",
    "versions",
]
