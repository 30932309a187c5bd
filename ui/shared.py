"""Sessions that load the same file share one cohort and its results.

Streamlit glue (no statistic here). Ten people at a meeting who open the same file (or the
sample cohort) would otherwise each read and type it, keep their own copy and compute the
same results ten times. Here:

* :func:`shared_cohort` — an uploaded file is identified by the SHA-256 of its bytes
  (computed once, when it is uploaded), its name, the sheet, and the column mapping and
  types it is read with. A session that uploads a file already loaded in a live session
  gets the same typed cohort object, without reading it again. Only byte-identical files
  read the same way meet: a session never sees a cohort it did not load itself.
* :func:`uploads_not_copied` — an uploaded file is not copied on every rerun.
* :func:`store` — the results cache (``ui/cache.py``) of a cohort object belongs to the
  object: a result computed in one session is found by every session showing that cohort.

Nothing outlives its last user: the registry holds cohorts weakly, and a cohort's store
goes when the cohort object is garbage-collected (``weakref.finalize``), that is when no
session holds it any more (``ui/memory.py`` releases finished sessions).
"""

from __future__ import annotations

import threading
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.io import Cohort

_LOCK = threading.Lock()
#: Live typed cohorts by how they were read (see :func:`shared_cohort`).
_COHORTS: weakref.WeakValueDictionary[tuple, Cohort] = weakref.WeakValueDictionary()
#: Results store of each live cohort object, by ``id`` (removed when the object dies).
_STORES: dict[int, Store] = {}


@dataclass
class Store:
    """The results cache of one cohort object.

    Attributes
    ----------
    token : str
        A random id of the cohort object (the cache keys name it instead of hashing data).
    results : OrderedDict
        Results by key, least recently used first.
    pinned : dict
        Objects whose identity is part of a key, kept alive with the store so that their
        id cannot be reused by another object while an entry may name it.
    lock : threading.Lock
        Sessions run in their own threads.
    """

    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    results: OrderedDict[tuple, Any] = field(default_factory=OrderedDict)
    pinned: dict[int, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def shared_cohort(key: tuple, build: Callable[[], Cohort]) -> Cohort:
    """The live cohort read as ``key`` says, or ``build()`` (then registered).

    Parameters
    ----------
    key : tuple
        (SHA-256 of the file's bytes, file name, sheet, mapping, types), all hashable.
    build : callable
        Reads and types the file; its exceptions propagate (nothing is registered).

    Returns
    -------
    Cohort
        The live cohort read the same way, or the one just built.
    """
    with _LOCK:
        hit = _COHORTS.get(key)
    if hit is not None:
        return hit
    cohort = build()
    with _LOCK:
        _COHORTS.setdefault(key, cohort)
    return cohort


def store(cohort: object) -> Store:
    """The results store of ``cohort`` (created on first use; dies with the object)."""
    with _LOCK:
        st = _STORES.get(id(cohort))
        if st is None:
            st = Store()
            _STORES[id(cohort)] = st
            weakref.finalize(cohort, _STORES.pop, id(cohort), None)
        return st


def live_stores() -> int:
    """How many cohort objects have a results store (for tests and the load benchmark)."""
    with _LOCK:
        return len(_STORES)


def uploads_not_copied() -> None:
    """An uploaded file is handed to the script as it is, not deep-copied on every rerun.

    Streamlit deep-copies each widget's value at every rerun so that the script cannot
    change it by accident; for ``st.file_uploader`` that is a copy of the whole file (20
    MB for 100,000 patients: ~4 ms and 20 MB of churn per rerun, per session). Myoscope
    only ever calls ``getvalue()`` on an upload (which neither changes the file nor
    depends on its position), so the copy protects nothing. Idempotent.
    """
    try:
        from streamlit.runtime.uploaded_file_manager import UploadedFile
    except ImportError:  # pragma: no cover - another Streamlit layout: keep its copies
        return
    if "__deepcopy__" not in UploadedFile.__dict__:
        UploadedFile.__deepcopy__ = _same  # type: ignore[attr-defined]


def _same(self: Any, memo: dict[int, Any]) -> Any:
    return self
