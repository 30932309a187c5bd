"""Presets: named views (:class:`core.view.ViewState`) of the published figures, one click
each in the sidebar.

Each preset is a page and its settings, nothing else; ``tests/core/test_presets.py`` runs the
core functions on each preset's view of the sample cohort and finds the paper's numbers.
"""

from __future__ import annotations

from core.filters import FilterSpec
from core.i18n import _
from core.view import ViewState


def _preset(page: str, filters: FilterSpec | None = None, **values: object) -> ViewState:
    return ViewState(filters or FilterSpec(), page=page).with_values(**values)


#: Name -> view. Monseau et al. 2020 (J Am Acad Dermatol 83:1759), Jalles et al. 2020.
PRESETS: dict[str, ViewState] = {
    # Table I: anti-Mi2+ (n = 64) vs anti-Mi2− (n = 55), every feature, Fisher's exact test
    "Monseau 2020 · Table I": _preset("compare", **{"c.kind": "binary", "c.by": "anti_mi2"}),
    # Figure 1: overall survival by cancer within anti-Mi2 DM, log-rank P = .008
    "Monseau 2020 · Figure 1": _preset(
        "survival", FilterSpec(antibody_subtype=("Mi2",)),
        **{"s.kind": "binary", "s.by": "cancer", "s.unit": "years"},
    ),
    # SIR of cancer within ±3 years of diagnosis, anti-Mi2: 5.1 (3.0–8.6), O = 14, log-Wald CI
    "Monseau 2020 · SIR": _preset(
        "cancer_risk", FilterSpec(antibody_subtype=("Mi2",)),
        **{"r.before": 3.0, "r.after": 3.0, "r.ci": "wald", "r.by": "none"},
    ),
    # Jalles 2020: the anti-MDA5 patient's course, interferon scores 19 and 0.9 (threshold 2.3)
    "Jalles 2020 · patient course": _preset("patient", **{"p.id": "MYO-070", "p.thr": 2.3}),
}


def preset(name: str) -> ViewState:
    """The view of a preset.

    Raises
    ------
    KeyError
        Unknown name (the message lists the presets).
    """
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(_("No preset {name!r}; presets: {presets}.", name=name, presets=", ".join(PRESETS))) from None


__all__ = ["PRESETS", "preset"]
