"""Cache of core computations, keyed by the cohort and the inputs of each computation.

Streamlit glue (no statistic here). ``cached(fc, fn, *args, **kwargs)`` returns
``fn(*args, **kwargs)``, computed once per distinct input: going back to a filter, a
grouping or an option already seen costs a dictionary look-up, not a recomputation.

What identifies an input (never a re-hash of the uploaded file):

* the filtered cohort ``fc.data`` (and the loaded cohort's full frame): the cohort
  object's token (a random id given to each loaded cohort object, so an upload or a new
  mapping is a new cohort) plus the filters (``fc.filters``);
* a numpy array or a pandas Series: a digest of its values (BLAKE2b of the bytes for
  numbers, ``pandas.util.hash_array`` for text; a few ms at 100,000 patients);
* numbers, text, dates, ``None``, tuples / lists / dicts of those: their ``repr``;
* a frozen dataclass of such values (a ``GroupSpec``): its type and values;
* any other object (a rate table, a dictionary): its identity, the object being kept
  alive with the cache entry so the identity cannot be reused.

Results are shared, not copied: the core returns frozen dataclasses and pages must not
modify them. The cache belongs to the cohort object (``ui/shared.py``: sessions that loaded
the same file, or the sample cohort, share it), least recently used first out beyond
``MAX_ENTRIES``: when the last session holding the cohort ends, its results go with it,
and the memory returns (``ui/memory.py``).
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import streamlit as st

from core.i18n import language
from ui.shared import Store, store
from ui.state import FilteredCohort

T = TypeVar("T")
MAX_ENTRIES = 96  # results and the figures built from them (a page keeps a few per view)


def _store() -> Store:
    """The results store of the session's cohort, shared by every session showing the same
    cohort object (``ui/shared.py``); a session without a cohort has its own."""
    cohort = st.session_state.get("cohort")
    if cohort is None:
        return st.session_state.setdefault("_results_store", Store())  # type: ignore[no-any-return]
    return store(cohort)


def cohort_token() -> str:
    """A random id of the cohort object loaded in this session (new for each upload,
    mapping change or switch of source; the same in sessions sharing the object)."""
    return _store().token


def _digest(values: np.ndarray) -> str:
    arr = np.ascontiguousarray(values)
    if arr.dtype.kind in "biufcmM":
        body = arr.view(np.uint8).tobytes() if arr.size else b""
    else:
        body = pd.util.hash_array(np.asarray(arr, dtype=object).astype(str)).tobytes()
    return f"{arr.dtype}:{arr.shape}:" + hashlib.blake2b(body, digest_size=16).hexdigest()


def _key_part(x: Any, fc: FilteredCohort, frames: dict[int, str]) -> Any:
    """A hashable description of one argument (see the module docstring)."""
    if isinstance(x, pd.DataFrame):
        if id(x) in frames:
            return frames[id(x)]
        return ("frame", _digest(pd.util.hash_pandas_object(x, index=True).to_numpy()), tuple(map(str, x.columns)))
    if isinstance(x, pd.Series):
        return ("series", str(x.name), _digest(x.to_numpy()), _digest(x.index.to_numpy()))
    if isinstance(x, np.ndarray):
        return ("array", _digest(x))
    if x is None or isinstance(x, (bool, int, float, str, np.generic, datetime.date, pd.Timestamp)) or x is pd.NaT:
        return repr(x)
    if isinstance(x, (tuple, list)):
        return (type(x).__name__, *(_key_part(v, fc, frames) for v in x))
    if isinstance(x, dict):
        return ("dict", *sorted((repr(k), _key_part(v, fc, frames)) for k, v in x.items()))
    plain = _plain_dataclass(x)
    if plain is not None:
        return plain
    st_ = _store()
    with st_.lock:
        if len(st_.pinned) > 4 * MAX_ENTRIES:
            st_.pinned.clear()
            st_.results.clear()  # entries keyed by those ids go too
        st_.pinned[id(x)] = x  # keep it alive: its id cannot be reused while the entry exists
    return ("object", type(x).__qualname__, id(x))


def _plain(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float, str)) or (
        isinstance(v, tuple) and all(_plain(u) for u in v))


def _plain_dataclass(x: Any) -> tuple | None:
    """A frozen dataclass of plain values (``GroupSpec``, ``FilterSpec``...) keyed by its
    values, so an equal one built on the next rerun finds the same entry; ``None`` for
    anything else (a result holding frames stays keyed by identity)."""
    params = getattr(type(x), "__dataclass_params__", None)
    if params is None or not params.frozen:
        return None
    values = tuple(getattr(x, f.name) for f in dataclasses.fields(x))
    if not all(_plain(v) for v in values):
        return None
    return ("dataclass", type(x).__module__, type(x).__qualname__, repr(values))


def _compute(key: tuple, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """The cohort's least-recently-used store of results (two sessions asking at once
    may both compute; the second result replaces the first, equal, one)."""
    st_ = _store()
    with st_.lock:
        if key in st_.results:
            st_.results.move_to_end(key)
            return st_.results[key]
    value = fn(*args, **kwargs)
    with st_.lock:
        st_.results[key] = value
        while len(st_.results) > MAX_ENTRIES:
            st_.results.popitem(last=False)
    return value


def cached(fc: FilteredCohort, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)``, cached by the cohort, the filters and every argument.

    Parameters
    ----------
    fc : FilteredCohort
        The page's filtered cohort: ``fc.data`` as an argument is keyed by the cohort
        token and the filters, without hashing its values.
    fn : callable
        A core function (deterministic: same inputs, same result).
    *args, **kwargs
        Its arguments.

    Exceptions raised by ``fn`` are not cached (they propagate each time).
    """
    token = cohort_token()
    view = (token, repr(fc.filters))
    frames = {id(fc.data): ("filtered", *view)}
    cohort = st.session_state.get("cohort")
    if cohort is not None and hasattr(cohort, "data"):
        frames[id(cohort.data)] = ("cohort", token)
    key = (
        f"{fn.__module__}.{getattr(fn, '__qualname__', repr(fn))}",
        language(),  # results carry messages and notes in the language they were computed in
        tuple(_key_part(a, fc, frames) for a in args),
        tuple(sorted((k, _key_part(v, fc, frames)) for k, v in kwargs.items())),
    )
    return _compute(key, fn, args, kwargs)
