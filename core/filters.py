"""Global cohort filters: a frozen :class:`FilterSpec`, applied to a cohort, and its
round trips to JSON (command line, saved settings) and to URL query parameters.

JSON form (absent keys mean no restriction)::

    {"antibody_subtype": ["Mi2"], "age_min": 50, "age_max": null, "sex": ["F"],
     "features": {"cancer": [1]}}

A range on any other numeric column is ``"ranges": {"ck_max_ul": [1000, 5000]}`` (inclusive
bounds).

Query parameters use plain values: ``subtype=Mi2,MDA5``, ``age_min=50``, ``age_max=70``,
``sex=F``, ``range=ck_max_ul:1000-5000`` (several joined by ``;``), and ``where`` holding
the ``features`` object as JSON. Never pickle.

:func:`filter_from_selection` turns a click or a brush on a Cohort page chart
(:mod:`core.charts.cohort`) into a new :class:`FilterSpec`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from core.i18n import _, core_label, language, n_, subtype_label
from core.schema import DataDictionary


class FilterError(ValueError):
    """A filter specification that cannot be understood (message says what to fix)."""


@dataclass(frozen=True)
class FilterSpec:
    """Which patients to keep.

    Attributes
    ----------
    antibody_subtype : tuple[str, ...] or None
        Keep these subtypes (``None`` = all).
    age_min, age_max : float or None
        Inclusive bounds on ``age_at_diagnosis`` (patients without an age are left out
        when a bound is set, and counted).
    sex : tuple[str, ...] or None
        Keep these sex codes.
    features : tuple[tuple[str, tuple[Any, ...]], ...]
        Other columns: keep rows whose value is one of the listed values
        (``(("cancer", (1.0,)),)``).
    ranges : tuple[tuple[str, float, float], ...]
        Inclusive bounds on other numeric columns, one per column, sorted by column
        (``(("ck_max_ul", 1000.0, 5000.0),)``); patients without a value are left out and
        counted.
    """

    antibody_subtype: tuple[str, ...] | None = None
    age_min: float | None = None
    age_max: float | None = None
    sex: tuple[str, ...] | None = None
    features: tuple[tuple[str, tuple[Any, ...]], ...] = field(default_factory=tuple)
    ranges: tuple[tuple[str, float, float], ...] = field(default_factory=tuple)

    @property
    def is_empty(self) -> bool:
        """True when the spec keeps every patient."""
        return self == FilterSpec()

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """The JSON object (only the keys that restrict)."""
        out: dict[str, Any] = {}
        if self.antibody_subtype is not None:
            out["antibody_subtype"] = list(self.antibody_subtype)
        if self.age_min is not None:
            out["age_min"] = self.age_min
        if self.age_max is not None:
            out["age_max"] = self.age_max
        if self.sex is not None:
            out["sex"] = list(self.sex)
        if self.features:
            out["features"] = {k: list(v) for k, v in self.features}
        if self.ranges:
            out["ranges"] = {c: [lo, hi] for c, lo, hi in self.ranges}
        return out

    def to_json(self) -> str:
        """Compact JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> FilterSpec:
        """Build from the JSON object; raises :class:`FilterError` on bad keys or values."""
        if not isinstance(obj, Mapping):
            raise FilterError(_("Filters must be a JSON object such as {example}.",
                                example='{"antibody_subtype": ["Mi2"], "age_min": 50}'))
        unknown = set(obj) - {"antibody_subtype", "age_min", "age_max", "sex", "features", "ranges"}
        if unknown:
            raise FilterError(_("Unknown filter key(s): {keys}. Use antibody_subtype, age_min, age_max, sex, features, ranges.",
                                keys=", ".join(sorted(unknown))))

        def str_list(key: str) -> tuple[str, ...] | None:
            v = obj.get(key)
            if v is None:
                return None
            if isinstance(v, str):
                v = [v]
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise FilterError(_("Filter {key!r} must be a list of strings, got {value!r}.", key=key, value=v))
            return tuple(v)

        def number(key: str) -> float | None:
            v = obj.get(key)
            if v is None:
                return None
            if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v):
                raise FilterError(_("Filter {key!r} must be a number or null, got {value!r}.", key=key, value=v))
            return float(v)

        feats = obj.get("features") or {}
        if not isinstance(feats, Mapping):
            raise FilterError(_('Filter "features" must be an object such as {example}.', example='{"cancer": [1]}'))
        features = []
        for k, v in feats.items():
            vals = v if isinstance(v, list) else [v]
            features.append((str(k), tuple(_norm_value(x) for x in vals)))
        spec = cls(str_list("antibody_subtype"), number("age_min"), number("age_max"), str_list("sex"), tuple(sorted(features)),
                   _ranges(obj.get("ranges")))
        if spec.age_min is not None and spec.age_max is not None and spec.age_min > spec.age_max:
            raise FilterError(_("age_min ({low}) is above age_max ({high}).", low=_num(spec.age_min), high=_num(spec.age_max)))
        return spec

    @classmethod
    def from_json(cls, text: str | None) -> FilterSpec:
        """Parse JSON text (empty or ``None`` = no filter)."""
        if not text or not text.strip():
            return cls()
        try:
            obj = json.loads(text)
        except ValueError as exc:
            raise FilterError(_("Filters are not valid JSON ({error} at character {pos}).", error=exc.msg, pos=exc.pos)) from exc
        return cls.from_dict(obj)

    # ------------------------------------------------------------------ URL
    def to_query_params(self) -> dict[str, str]:
        """Plain URL query parameters (see module docstring)."""
        q: dict[str, str] = {}
        if self.antibody_subtype is not None:
            q["subtype"] = ",".join(self.antibody_subtype)
        if self.age_min is not None:
            q["age_min"] = f"{self.age_min:g}"
        if self.age_max is not None:
            q["age_max"] = f"{self.age_max:g}"
        if self.sex is not None:
            q["sex"] = ",".join(self.sex)
        if self.features:
            q["where"] = json.dumps({k: list(v) for k, v in self.features}, ensure_ascii=False, separators=(",", ":"))
        if self.ranges:
            q["range"] = ";".join(f"{c}:{lo:g}-{hi:g}" for c, lo, hi in self.ranges)
        return q

    @classmethod
    def from_query_params(cls, params: Mapping[str, Any]) -> FilterSpec:
        """Parse URL query parameters; unknown parameters are ignored (they belong to pages)."""

        def get(key: str) -> str | None:
            v = params.get(key)
            if isinstance(v, list):
                v = v[-1] if v else None
            return None if v is None else str(v)

        obj: dict[str, Any] = {}
        if (s := get("subtype")) is not None:
            obj["antibody_subtype"] = [x for x in s.split(",") if x] if s else []
        for k in ("age_min", "age_max"):
            if (v := get(k)) not in (None, ""):
                try:
                    obj[k] = float(v)  # type: ignore[arg-type]
                except ValueError as exc:
                    raise FilterError(_("URL parameter {key}={value!r} is not a number.", key=k, value=v)) from exc
        if (s := get("sex")) is not None:
            obj["sex"] = [x for x in s.split(",") if x] if s else []
        if (w := get("where")) not in (None, ""):
            try:
                obj["features"] = json.loads(w)  # type: ignore[arg-type]
            except ValueError as exc:
                raise FilterError(_("URL parameter 'where' is not valid JSON.")) from exc
        if (r := get("range")) not in (None, ""):
            obj["ranges"] = _parse_range_param(str(r))
        return cls.from_dict(obj)


#: One range of the ``range`` query parameter: ``column:low-high`` (numbers may be negative).
_NUM = r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_RANGE_ITEM = re.compile(rf"^(?P<col>.+):(?P<lo>{_NUM})-(?P<hi>{_NUM})$")


def _parse_range_param(text: str) -> dict[str, list[float]]:
    """``ck_max_ul:1000-5000;crp:0-10`` -> ``{"ck_max_ul": [1000.0, 5000.0], ...}``."""
    out: dict[str, list[float]] = {}
    for item in (x for x in text.split(";") if x):
        m = _RANGE_ITEM.match(item)
        if m is None:
            raise FilterError(_("URL parameter range={value!r} is not column:low-high (e.g. {example}).",
                                value=item, example="ck_max_ul:1000-5000"))
        out[m["col"]] = [float(m["lo"]), float(m["hi"])]
    return out


def _ranges(obj: Any) -> tuple[tuple[str, float, float], ...]:
    """The ``ranges`` JSON object as sorted (column, low, high) triples; checked."""
    if obj is None:
        return ()
    if not isinstance(obj, Mapping):
        raise FilterError(_('Filter "ranges" must be an object such as {example}.', example='{"ck_max_ul": [1000, 5000]}'))
    out = []
    for col, bounds in obj.items():
        ok = (isinstance(bounds, (list, tuple)) and len(bounds) == 2
              and all(isinstance(b, (int, float)) and not isinstance(b, bool) and math.isfinite(b) for b in bounds))
        if not ok:
            raise FilterError(_("The range of {column!r} must be two numbers [low, high], got {value!r}.", column=str(col), value=bounds))
        lo, hi = float(bounds[0]), float(bounds[1])
        if lo > hi:
            raise FilterError(_("The range of {column!r} starts above its end ({low} > {high}).", column=str(col),
                                low=_num(lo), high=_num(hi)))
        out.append((str(col), lo, hi))
    return tuple(sorted(out))


def _norm_value(x: Any) -> Any:
    """Numbers as float (1 and 1.0 match a binary column), others as text."""
    if isinstance(x, bool):
        return float(x)
    if isinstance(x, (int, float)):
        return float(x)
    return str(x)


@dataclass(frozen=True)
class FilterResult:
    """A filtered cohort and what each filter removed.

    Attributes
    ----------
    data : pandas.DataFrame
    n_before, n_after : int
    steps : tuple[tuple[str, int], ...]
        (description, patients removed) per active filter, in application order.
    """

    data: pd.DataFrame
    n_before: int
    n_after: int
    steps: tuple[tuple[str, int], ...]

    def description(self) -> str:
        """Human text, e.g. ``"antibody subtype: anti-Mi2; age ≥ 50 (3 without age excluded)"``."""
        if not self.steps:
            return _("no filter (all patients)")
        return n_("{steps} — {n_after} of {n} patient", "{steps} — {n_after} of {n} patients", self.n_before,
                  steps="; ".join(d for d, _k in self.steps), n_after=self.n_after)


def apply_filters(df: pd.DataFrame, spec: FilterSpec, dictionary: DataDictionary | None = None) -> FilterResult:
    """Keep the patients matching every active filter.

    Missing values never match a restricting filter; the number of patients left out
    because a value is missing is stated in the step description.

    Raises
    ------
    FilterError
        A filter refers to a column the cohort does not have.
    """
    dictionary = dictionary or DataDictionary()
    mask = pd.Series(True, index=df.index)
    steps: list[tuple[str, int]] = []

    def step(text: str, m: pd.Series) -> None:
        nonlocal mask
        before = int(mask.sum())
        mask &= m.fillna(False).astype(bool)
        steps.append((text, before - int(mask.sum())))

    if spec.antibody_subtype is not None:
        col = df["antibody_subtype"] if "antibody_subtype" in df else pd.Series("untested", index=df.index)
        names = ", ".join(subtype_label(s) for s in spec.antibody_subtype) or _("none selected")
        step(_("antibody subtype: {names}", names=names), col.isin(spec.antibody_subtype))
    if spec.age_min is not None or spec.age_max is not None:
        if "age_at_diagnosis" not in df:
            raise FilterError(_("The age filter needs an age at diagnosis (or birth and diagnosis dates), which this cohort lacks."))
        age = df["age_at_diagnosis"]
        m = age.notna()
        if spec.age_min is not None:
            m &= age >= spec.age_min
        if spec.age_max is not None:
            m &= age <= spec.age_max
        n_missing = int((age.isna() & mask).sum())
        step(_age_text(spec.age_min, spec.age_max, n_missing), m)
    if spec.sex is not None:
        if "sex" not in df:
            raise FilterError(_("The sex filter needs a sex column, which this cohort lacks."))
        step(_("sex: {values}", values=", ".join(spec.sex) or _("none selected")), df["sex"].isin(spec.sex))
    for col, values in spec.features:
        if col not in df:
            raise FilterError(_("The filter on {column!r} refers to a column this cohort does not have.", column=col))
        shown = ", ".join(_show(v) for v in values)
        step(_("{column}: {values}", column=core_label(col, dictionary.label(col)), values=shown), df[col].isin(values))
    for col, lo, hi in spec.ranges:
        if col not in df:
            raise FilterError(_("The filter on {column!r} refers to a column this cohort does not have.", column=col))
        values = df[col]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            raise FilterError(_("The range filter on {column!r} needs a numeric column.", column=col))
        n_missing = int((values.isna() & mask).sum())
        step(_range_text(core_label(col, dictionary.label(col)), lo, hi, n_missing), values.between(lo, hi))
    # every row kept: a shallow copy (pandas would deep-copy, and consolidate, the whole frame)
    out = df.copy(deep=False) if bool(mask.all()) else df[mask]
    return FilterResult(out, len(df), len(out), tuple(steps))


def _age_text(low: float | None, high: float | None, n_missing: int) -> str:
    """The age step of a filter description (an open bound reads "any")."""
    v = {"low": _num(low) if low is not None else "", "high": _num(high) if high is not None else "", "n": n_missing}
    if n_missing:
        if high is None:
            return _("age at diagnosis {low}–any years ({n} without age left out)", **v)
        if low is None:
            return _("age at diagnosis any–{high} years ({n} without age left out)", **v)
        return _("age at diagnosis {low}–{high} years ({n} without age left out)", **v)
    if high is None:
        return _("age at diagnosis {low}–any years", **v)
    if low is None:
        return _("age at diagnosis any–{high} years", **v)
    return _("age at diagnosis {low}–{high} years", **v)


def _range_text(label: str, low: float, high: float, n_missing: int) -> str:
    """The step of a range filter in a description (``CK max (IU/L) 1000–5000``)."""
    if n_missing:
        return _("{column} {low}–{high} ({n} without a value left out)", column=label, low=_num(low), high=_num(high), n=n_missing)
    return _("{column} {low}–{high}", column=label, low=_num(low), high=_num(high))


def _num(v: float) -> str:
    """``50``, ``0.5`` (French ``0,5``)."""
    text = f"{v:g}"
    return text.replace(".", ",") if language() == "fr" else text


def _show(v: Any) -> str:
    if isinstance(v, float):
        return _("yes") if v == 1.0 else _("no") if v == 0.0 else _num(v)
    return str(v)


# ---------------------------------------------------------------------------------- charts
#: The Cohort page's charts (:mod:`core.charts.cohort`) a selection can come from; a
#: histogram of any other numeric column is ``"range:<column>"`` (:func:`range_chart`).
CHART_KINDS: tuple[str, ...] = ("subtype", "sex", "cancer", "groups", "features", "age")
#: The age filter's bounds as the sidebar shows them: 0 and 100 mean "no bound".
AGE_BOUNDS: tuple[int, int] = (0, 100)


def range_chart(column: str) -> str:
    """The chart name of the histogram of ``column`` (``"range:ck_max_ul"``)."""
    return f"range:{column}"


def filter_from_selection(spec: FilterSpec, chart: str, selection: Mapping[str, Any] | None) -> FilterSpec:
    """The filter a click or a brush on a Cohort page chart asks for.

    Parameters
    ----------
    spec : FilterSpec
        The filters in force (every other restriction is kept).
    chart : str
        ``"subtype"`` (bars -> ``antibody_subtype``), ``"sex"`` (-> ``sex``), ``"groups"``
        (those two and ``"cancer"`` in one figure: each point's ``legendgroup`` names its
        chart), ``"cancer"``
        or ``"features"`` (yes/no bars -> ``features``), ``"age"`` (histogram ->
        ``age_min``/``age_max``, whole years; the sidebar's 0 and 100 mean no bound), or
        ``"range:<column>"`` (histogram of another numeric column -> ``ranges``).
    selection : Mapping or None
        Streamlit's plotly selection: ``points`` (each with the ``customdata`` the bar
        carries: a code, ``[column, value]`` or ``[low, high]`` of a bin) and ``box``
        (``[{"x": [x0, x1], ...}]`` for a brush).

    Returns
    -------
    FilterSpec
        ``spec`` with the chart's filter replaced; ``spec`` itself when nothing usable
        was selected.

    Raises
    ------
    FilterError
        ``chart`` is not one of the charts above.
    """
    if chart == "groups":
        return _grouped_selection(spec, selection)
    points = [p.get("customdata") for p in (selection or {}).get("points") or [] if isinstance(p, Mapping)]
    data = [p if isinstance(p, (list, tuple)) else [p] for p in points if p is not None]
    if chart in ("subtype", "sex"):
        codes = tuple(dict.fromkeys(str(d[0]) for d in data if d))
        if not codes:
            return spec
        return replace(spec, antibody_subtype=codes) if chart == "subtype" else replace(spec, sex=codes)
    if chart in ("cancer", "features"):
        return _feature_selection(spec, data)
    if chart == "age" or chart.startswith("range:"):
        bounds = _selected_range(data, (selection or {}).get("box") or [])
        if bounds is None:
            return spec
        if chart == "age":
            lo, hi = math.floor(bounds[0]), math.ceil(bounds[1])
            return replace(spec, age_min=None if lo <= AGE_BOUNDS[0] else float(min(lo, AGE_BOUNDS[1])),
                           age_max=None if hi >= AGE_BOUNDS[1] else float(max(hi, AGE_BOUNDS[0])))
        column = chart.removeprefix("range:")
        kept = [r for r in spec.ranges if r[0] != column]
        return replace(spec, ranges=tuple(sorted([*kept, (column, float(bounds[0]), float(bounds[1]))])))
    raise FilterError(_("Unknown chart {chart!r}: use one of {charts}.", chart=chart,
                        charts=", ".join([*CHART_KINDS, "range:<column>"])))


def _grouped_selection(spec: FilterSpec, selection: Mapping[str, Any] | None) -> FilterSpec:
    """Chart ``"groups"`` (:func:`core.charts.cohort.group_bars`): each clicked bar goes to
    the chart its trace names in ``legendgroup`` (``"subtype"``, ``"sex"``, ``"cancer"``)."""
    points = [p for p in (selection or {}).get("points") or [] if isinstance(p, Mapping)]
    for name in ("subtype", "sex", "cancer"):
        mine = [p for p in points if p.get("legendgroup") == name]
        if mine:
            spec = filter_from_selection(spec, name, {"points": mine})
    return spec


def _feature_selection(spec: FilterSpec, data: list[Any]) -> FilterSpec:
    """Yes/no bars: each clicked ``[column, value]`` becomes that column's filter (both
    values of one column clicked = no restriction on it)."""
    chosen: dict[str, set[float]] = {}
    for d in data:
        if len(d) >= 2 and d[1] is not None:
            chosen.setdefault(str(d[0]), set()).add(float(_norm_value(d[1])))
    if not chosen:
        return spec
    kept = [(c, v) for c, v in spec.features if c not in chosen]
    new = [(c, (vals.pop(),)) for c, vals in chosen.items() if len(vals) == 1]
    return replace(spec, features=tuple(sorted(kept + new)))


def _selected_range(data: list[Any], box: list[Any]) -> tuple[float, float] | None:
    """The range of the bins clicked or brushed (their ``[low, high]``), else the brush's x."""
    bins = [(float(d[0]), float(d[1])) for d in data if len(d) >= 2 and _finite(d[0]) and _finite(d[1])]
    if bins:
        return min(b[0] for b in bins), max(b[1] for b in bins)
    for b in box:
        xs = b.get("x") if isinstance(b, Mapping) else None
        if isinstance(xs, (list, tuple)) and len(xs) >= 2 and all(_finite(x) for x in xs[:2]):
            lo, hi = sorted(float(x) for x in xs[:2])
            return lo, hi
    return None


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
