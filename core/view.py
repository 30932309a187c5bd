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
from typing import Any, Literal

from core.filters import FilterError, FilterSpec

SettingKind = Literal["str", "float", "int", "bool", "list"]
VIEW_FORMAT = 1


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
            raise ValueError(f"{raw!r} is not one of {', '.join(map(str, self.choices))}")
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
        raise ValueError(f"{raw!r} is not on/off (1/0)")
    if kind == "float":
        x = float(raw)
        if not math.isfinite(x):
            raise ValueError(f"{raw!r} is not a finite number")
        return x
    if kind == "int":
        x = float(raw)
        if not x.is_integer():
            raise ValueError(f"{raw!r} is not a whole number")
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
    # cancer risk
    Setting("r.before", 3.0, "float", (), "cancer risk: years before diagnosis"),
    Setting("r.after", 3.0, "float", (), "cancer risk: years after diagnosis"),
    Setting("r.open", False, "bool", (), "cancer risk: no end after diagnosis"),
    Setting("r.ci", "exact", "str", ("exact", "midp", "byar", "wald"), "cancer risk: CI method"),
    Setting("r.by", "", "str", (), "cancer risk: split"),
    # patient
    Setting("p.id", None, "str", (), "patient"),
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
            notes.append(f"The filters in the link could not be read ({exc}); showing all patients.")
        values, more = _read_values({k: v for k, v in flat.items() if "." in k})
        return cls(filters, values, str(flat.get("page", "")), tuple(notes + more))

    # ----------------------------------------------------------------- saved view
    def to_json(self, cohort_name: str = "", cohort_sha256: str = "") -> str:
        """``view.json``: settings, filters, cohort name and SHA-256, versions. No patient data."""
        obj = {
            "myoscope_view": VIEW_FORMAT,
            "page": self.page,
            "cohort": {"file": cohort_name, "sha256": cohort_sha256},
            "filters": self.filters.to_dict(),
            "settings": {k: (list(v) if isinstance(v, tuple) else v) for k, v in sorted(self.values.items())},
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
            raise ValueError("This is not a view file: it is not valid JSON. Save a view from Myoscope and load it unchanged.") from exc
        if not isinstance(obj, dict) or "myoscope_view" not in obj:
            raise ValueError('This is not a Myoscope view file (it has no "myoscope_view" entry).')
        notes: list[str] = []
        try:
            filters = FilterSpec.from_dict(obj.get("filters") or {})
        except FilterError as exc:
            filters = FilterSpec()
            notes.append(f"The view's filters could not be applied ({exc}).")
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
            notes.append(f"Unknown setting {k!r} in the link or view: ignored.")
            continue
        try:
            parsed = s.parse(v)
        except (ValueError, TypeError) as exc:
            notes.append(f"{s.label or k}: {exc}; the default is used.")
            continue
        if parsed != s.default:
            values[k] = parsed
    return values, notes


def file_sha256(data: bytes) -> str:
    """SHA-256 of a cohort file's bytes (hex), recorded in ``view.json``."""
    return hashlib.sha256(data).hexdigest()


def versions(packages: Iterable[str] = ("myoscope", "pandas", "numpy", "scipy", "lifelines", "plotly", "streamlit")) -> dict[str, str]:
    """Installed versions of Myoscope and the libraries that compute or draw."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str] = {}
    for p in packages:
        try:
            out[p] = version(p)
        except PackageNotFoundError:
            out[p] = "not installed"
    return out


__all__ = ["SETTINGS", "Setting", "ViewState", "file_sha256", "versions"]
