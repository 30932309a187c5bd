"""Column-name suggestions for headers that are almost a Myoscope column.

The column mapping (:func:`core.io.suggest_mapping`) recognises exact names and their
English and French synonyms. A header that is a near miss — abbreviated ("Age au diag"),
accented differently, with a typo ("Date dernieres nouvelle") — is otherwise imported as
a feature of its own name. :func:`near_misses` finds, for each such column, the
canonical columns it most likely means, so the mapping step can ask
"Age au diag → age_at_diagnosis?".

Method: headers and synonyms are compared on an accent-free, lower-case token key.
A candidate scores the larger of (a) the share of its synonym's tokens that a header
token equals or abbreviates (a prefix of at least three letters, "diag" for
"diagnostic"), penalised by the header's unmatched tokens, and (b) difflib's
``SequenceMatcher`` ratio of the two keys (Ratcliff/Obershelp, Python standard library).
Suggestions score at least :data:`MIN_SCORE`; the best three are kept.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from core.reader import header_key
from core.schema import CORE_COLUMNS, SYNONYMS, DataDictionary

#: Lowest score of a suggestion (0–1).
MIN_SCORE = 0.72
#: Suggestions kept per column.
MAX_SUGGESTIONS = 3


def _token_score(header: list[str], candidate: list[str]) -> float:
    """Share of candidate tokens matched (equal, or abbreviated by a header token of ≥ 3
    letters), times the share of header tokens used."""
    if not header or not candidate:
        return 0.0
    used: set[int] = set()
    hits = 0
    for c in candidate:
        for i, h in enumerate(header):
            if i in used:
                continue
            if h == c or (len(h) >= 3 and c.startswith(h)) or (len(c) >= 3 and h.startswith(c)):
                used.add(i)
                hits += 1
                break
    return (hits / len(candidate)) * (len(used) / len(header))


def score(header: str, candidate: str) -> float:
    """How likely ``header`` means ``candidate`` (0–1; see the module docstring)."""
    a, b = header_key(header), header_key(candidate)
    if not a or not b:
        return 0.0
    return max(_token_score(a.split(), b.split()), difflib.SequenceMatcher(None, a, b).ratio())


def _names(dictionary: DataDictionary) -> dict[str, list[str]]:
    """Canonical column -> the names it is known by (its own, synonyms, dictionary label)."""
    names: dict[str, list[str]] = {c: [c.replace("_", " "), *SYNONYMS.get(c, ())] for c in CORE_COLUMNS if c != "antibody_subtype"}
    for e in dictionary:
        names.setdefault(e.name, [e.name.replace("_", " ")])
        names[e.name] += [e.label, *e.synonyms]
    return names


def near_misses(mapping: Mapping[str, str], dictionary: DataDictionary | None = None) -> dict[str, list[tuple[str, float]]]:
    """For each column not mapped to a known column: the known columns it may mean.

    Parameters
    ----------
    mapping : Mapping[str, str]
        User column -> target (as :func:`core.io.suggest_mapping` or the user made it).
    dictionary : DataDictionary, optional
        Known features (labels and synonyms count as names).

    Returns
    -------
    dict
        User column -> ``[(canonical name, score), ...]``, best first; only columns with
        at least one suggestion, and never a target another column already feeds.
    """
    names = _names(dictionary or DataDictionary())
    taken = {t for t in mapping.values() if t}
    out: dict[str, list[tuple[str, float]]] = {}
    for col, target in mapping.items():
        if target in names:  # already a known column
            continue
        best = sorted(((canon, max(score(col, n) for n in known)) for canon, known in names.items() if canon not in taken),
                      key=lambda kv: -kv[1])
        hits = [(c, round(s, 3)) for c, s in best if s >= MIN_SCORE][:MAX_SUGGESTIONS]
        if hits:
            out[col] = hits
    return out


__all__ = ["MAX_SUGGESTIONS", "MIN_SCORE", "near_misses", "score"]
