"""The figure dict as the browser gets it: drawn once per change, not two or three times.

Streamlit mounts a new plotly chart whenever a figure's data change, and its chart
component then hands plotly.js a deep copy of the same figure (``Plotly.react`` a second
time). plotly.js redraws everything on that second call when the figure carries a
``layout.template`` (a template is compared by identity, and the copy is a new object) or
a typed array (``{"dtype", "bdata"}``; typed arrays are never compared), and it redraws
anyway unless ``layout.datarevision`` says the data are unchanged. On the sample cohort,
avoiding that second full draw (and the one at the wrong width, ``ui.widgets._safe_dict``)
saved 10–35 ms of a 0.20–0.27 s filter change on the pages with charts (``bench`` A/B).

:func:`browser_payload` therefore sends a figure that plotly.js can diff: the template
written into the layout and traces (:func:`bake_template`), numeric arrays as plain lists
(:func:`plain_arrays`) and a ``datarevision`` that changes whenever the data do
(:func:`data_fingerprint`). What is drawn is unchanged: ``tests/e2e/test_figure_payload.py``
compares plotly.js's resolved figure (``_fullLayout``, ``_fullData``) of every chart of the
app with and without these steps.

References: plotly.js ``Plotly.react`` (``layout.datarevision``: "if not provided,
Plotly.react assumes that data arrays are being treated as immutable"),
https://plotly.com/javascript/plotlyjs-function-reference/#plotlyreact; template
semantics, ``src/plot_api/plot_template.js`` (``traceTemplater``, ``newContainer``,
``arrayTemplater``) and https://plotly.com/javascript/reference/layout/#layout-template.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
from typing import Any

import numpy as np
from _plotly_utils.utils import convert_to_base64

__all__ = ["PLAIN_LIMIT", "bake_template", "browser_payload", "data_fingerprint", "plain_arrays"]

#: Largest number of numbers a figure sends as plain JSON lists; a larger figure keeps
#: plotly's binary arrays (smaller and faster to encode; its second draw is then full).
PLAIN_LIMIT = 50_000

#: Trace types :func:`bake_template` bakes for (x/y traces whose defaults it knows); a
#: figure with any other trace (box, contour, pie, polar, 3-D, maps...) keeps its template.
_BAKEABLE = frozenset({"bar", "heatmap", "histogram", "scatter", "scattergl"})
#: Template parts for other kinds of subplots: unused by a cartesian figure.
_OTHER_SUBPLOTS = frozenset({"coloraxis", "geo", "map", "mapbox", "polar", "scene", "smith", "ternary"})
#: Containers drawn because they are present (``xaxis.rangeslider: {}`` shows a slider):
#: a template setting them cannot be written into the figure.
_PRESENCE_DRAWN = frozenset({"rangeselector", "rangeslider"})
_AXIS = re.compile(r"^([xy])axis(\d*)$")
#: Attributes whose mere presence in the figure changes a default (plotly.js reads them
#: with ``coerce2``: an axis with its own ``linecolor`` shows its line unless ``showline``
#: says otherwise), by the attribute whose default they change. A template value is not
#: "present": it can be written into the figure only when that attribute is set too.
_SHOWN_IF_PRESENT = {
    "showline": ("linecolor", "linewidth"),
    "showgrid": ("gridcolor", "gridwidth", "griddash"),
    "zeroline": ("zerolinecolor", "zerolinewidth"),
    "ticks": ("ticklen", "tickwidth", "tickcolor"),
}


class _Unbakeable(Exception):
    """The template uses a feature :func:`bake_template` does not reproduce."""


def bake_template(spec: dict[str, Any]) -> dict[str, Any]:
    """The figure ``spec`` with its ``layout.template`` applied and removed.

    plotly.js fills every attribute a figure leaves unset from its template: the layout
    from ``template.layout`` (``template.layout.xaxis`` for every x axis, ``...defaults``
    for each item of an array such as ``annotationdefaults`` for each annotation), and the
    k-th trace of a type from ``template.data[type][k % len]``. Writing those values where
    the figure has none (the figure's own values win, nested containers merged key by key)
    gives the same resolved figure without a template.

    Only figures made of scatter, bar, histogram and heatmap traces are baked. The template
    is kept as it is when it has item arrays (template annotations, shapes...),
    presence-drawn containers (range sliders), or a value plotly.js reads only when the
    figure sets it (``linecolor`` without ``showline``: :data:`_SHOWN_IF_PRESENT`).

    Parameters
    ----------
    spec : dict
        A figure dict (``{"data": [...], "layout": {...}}``); not modified.

    Returns
    -------
    dict
        A new figure dict without ``layout.template`` (or ``spec`` itself when it has no
        template or cannot be baked). Arrays are shared with ``spec``, not copied.
    """
    layout = spec.get("layout") or {}
    template = layout.get("template")
    if not isinstance(template, dict):
        return spec
    data = list(spec.get("data") or [])
    try:
        _check_bakeable(data, template)
        new_layout = _bake_layout({k: v for k, v in layout.items() if k != "template"}, template.get("layout") or {}, data)
        new_data = _bake_traces(data, template.get("data") or {})
    except _Unbakeable:
        return spec
    return {**spec, "data": new_data, "layout": new_layout}


def _check_bakeable(data: list[dict[str, Any]], template: dict[str, Any]) -> None:
    if not data:  # plotly.js draws default axes for an empty figure: left as it is
        raise _Unbakeable
    for trace in data:
        if trace.get("type", "scatter") not in _BAKEABLE or "coloraxis" in trace or "coloraxis" in (trace.get("marker") or {}):
            raise _Unbakeable
    if set(template) - {"layout", "data"}:
        raise _Unbakeable


def _check_presence(container: Any, tpl: Any) -> None:
    """Refuse a template value that plotly.js would not treat as set (:data:`_SHOWN_IF_PRESENT`)
    unless the attribute it changes is set by the figure or the template."""
    if not isinstance(tpl, dict):
        return
    mine = container if isinstance(container, dict) else {}
    for flag, attrs in _SHOWN_IF_PRESENT.items():
        if flag in mine or flag in tpl:
            continue
        if any(a in tpl and a not in mine for a in attrs):
            raise _Unbakeable
    for sub in ("minor", "colorbar"):
        if sub in tpl:
            _check_presence(mine.get(sub), tpl[sub])


def _bake_layout(layout: dict[str, Any], tpl: dict[str, Any], data: list[dict[str, Any]]) -> dict[str, Any]:
    """``layout`` with the template's layout values where it has none."""
    out = dict(layout)
    axes = _axes_used(layout, data)
    for key, value in tpl.items():
        if key in _OTHER_SUBPLOTS:
            continue
        m = _AXIS.match(key)
        if m and isinstance(value, dict):
            for name in axes:  # template.layout.xaxis styles every x axis (xaxis2 falls back to it)
                if name.startswith(m.group(1)) and (key == name or (key == f"{m.group(1)}axis" and name not in tpl)):
                    _check_presence(out.get(name), value)
                    out[name] = _merge(out.get(name, {}), value)
            continue
        _merge_key(out, key, value)
    return out


def _axes_used(layout: dict[str, Any], data: list[dict[str, Any]]) -> list[str]:
    """The x and y axes of the figure: those in the layout and those the traces refer to."""
    names = {k for k in layout if _AXIS.match(k)}
    for trace in data:
        for letter in "xy":
            ref = str(trace.get(f"{letter}axis", letter))
            names.add(f"{letter}axis{ref[1:]}")
    return sorted(names)


def _bake_traces(data: list[dict[str, Any]], tpl: dict[str, Any]) -> list[dict[str, Any]]:
    """Each trace with its template: the k-th trace of a type gets ``tpl[type][k % len]``."""
    count: dict[str, int] = {}
    out = []
    for trace in data:
        kind = trace.get("type", "scatter")
        choices = [t for t in (tpl.get(kind) or []) if isinstance(t, dict)]
        if not choices:
            out.append(trace)
            continue
        k = count.get(kind, 0)
        count[kind] = k + 1
        chosen = choices[k % len(choices)]
        _check_presence(trace, chosen)
        _check_presence(trace.get("marker"), chosen.get("marker"))
        out.append(_merge(trace, chosen))
    return out


def _merge(target: Any, tpl: dict[str, Any]) -> dict[str, Any]:
    """``target`` (a dict, or a title given as a string) completed from ``tpl``; new dict."""
    if isinstance(target, str):  # "title": "text" is {"text": "text"} to plotly.js
        target = {"text": target}
    if not isinstance(target, dict):
        return target
    out = dict(target)
    for key, value in tpl.items():
        _merge_key(out, key, value)
    return out


def _merge_key(out: dict[str, Any], key: str, value: Any) -> None:
    """Complete ``out[key]`` from a template's ``value`` (in place)."""
    if key in _PRESENCE_DRAWN:
        raise _Unbakeable
    if key.endswith("defaults") and len(key) > 8:  # annotationdefaults -> each of annotations
        items = out.get(key[:-8] + "s")
        if isinstance(items, list) and isinstance(value, dict):
            out[key[:-8] + "s"] = [_merge(item, value) if isinstance(item, dict) else item for item in items]
        return
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        raise _Unbakeable  # template items (annotations, shapes...) would be added to the figure
    if key not in out:
        out[key] = _merge({}, value) if isinstance(value, dict) else copy.deepcopy(value)
    elif isinstance(value, dict) and (isinstance(out[key], dict) or key == "title"):
        out[key] = _merge(out[key], value)


def _typed(o: dict[str, Any]) -> np.ndarray | None:
    """A plotly binary array (``{"dtype": "f8", "bdata": base64, "shape": "2, 3"}``) as numpy."""
    if not (isinstance(o.get("bdata"), str) and isinstance(o.get("dtype"), str)):
        return None
    values = np.frombuffer(base64.b64decode(o["bdata"]), dtype=np.dtype(o["dtype"]))
    shape = o.get("shape")
    return values.reshape([int(x) for x in str(shape).split(",")]) if shape else values


def _numeric_arrays(o: Any) -> int:
    """How many numbers the figure holds in numpy or plotly binary arrays."""
    if isinstance(o, np.ndarray):
        return int(o.size) if o.dtype.kind in "biuf" else 0
    if isinstance(o, dict):
        typed = _typed(o)
        if typed is not None:
            return int(typed.size)
        return sum(_numeric_arrays(v) for v in o.values())
    if isinstance(o, (list, tuple)):
        return sum(_numeric_arrays(v) for v in o)
    return 0


def _to_lists(o: Any) -> Any:
    """``o`` with its numeric numpy and binary arrays as lists (NaN stays NaN: JSON ``null``)."""
    if isinstance(o, np.ndarray) and o.dtype.kind in "biuf":
        return o.tolist()
    if isinstance(o, dict):
        typed = _typed(o)
        if typed is not None:
            return typed.tolist()
        return {k: _to_lists(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_to_lists(v) for v in o]
    return o


def plain_arrays(spec: dict[str, Any], limit: int = PLAIN_LIMIT) -> tuple[dict[str, Any], bool]:
    """The figure with its numeric arrays as plain lists when it holds at most ``limit``
    numbers, else as plotly's binary arrays (``{"dtype", "bdata"}``). ``spec`` is not
    modified.

    Returns
    -------
    (dict, bool)
        The figure, and whether its arrays are plain lists.
    """
    if _numeric_arrays(spec) <= limit:
        return _to_lists(spec), True
    out = _containers_copied(spec)
    convert_to_base64(out)  # replaces arrays in the (copied) dicts
    return out, False


def _containers_copied(o: Any) -> Any:
    """``o`` with its dicts and lists copied (arrays and other values shared)."""
    if isinstance(o, dict):
        return {k: _containers_copied(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_containers_copied(v) for v in o]
    return o


def data_fingerprint(data: Any) -> str:
    """A short hash of the traces' content (arrays by dtype, shape and bytes): plotly's
    ``datarevision``, which must change whenever the data do."""
    h = hashlib.blake2b(digest_size=8)
    _feed(h, data)
    return h.hexdigest()


def _feed(h: Any, o: Any) -> None:
    if isinstance(o, np.ndarray):
        h.update(f"<{o.dtype.str}{o.shape}>".encode())
        h.update(o.tobytes() if o.dtype.kind != "O" else repr(o.tolist()).encode())
    elif isinstance(o, dict):
        h.update(b"{")
        for k, v in o.items():
            h.update(repr(k).encode())
            _feed(h, v)
        h.update(b"}")
    elif isinstance(o, (list, tuple)):
        h.update(b"[")
        for v in o:
            _feed(h, v)
        h.update(b"]")
    else:
        h.update(repr(o).encode())


def browser_payload(spec: dict[str, Any], limit: int = PLAIN_LIMIT) -> dict[str, Any]:
    """The figure dict to draw in the page: template baked (:func:`bake_template`), numeric
    arrays as lists up to ``limit`` numbers (:func:`plain_arrays`) and, when they are,
    ``layout.datarevision`` = :func:`data_fingerprint` of the traces. ``spec`` is not modified."""
    baked = bake_template(spec)
    out, plain = plain_arrays(baked, limit)  # a copy: neither spec nor baked is modified
    layout = out.get("layout") or {}
    if plain and "template" not in layout:  # (the fingerprint reads the arrays before conversion)
        out["layout"] = {**layout, "datarevision": data_fingerprint(baked.get("data"))}
    return out
