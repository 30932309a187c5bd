"""Constants shared across Myoscope: time units, guardrail thresholds, figure colours and
URL query keys. One place, so that pages, analyses and figures agree.

Pure Python, imports nothing from the project (every module may import it).
"""

from __future__ import annotations

__all__ = [
    "BLACK",
    "BLUE",
    "BLUISH_GREEN",
    "DAYS_PER_MONTH",
    "DAYS_PER_UNIT",
    "DAYS_PER_YEAR",
    "FONT_FAMILY",
    "GREY",
    "GRID_COLOR",
    "LIGHT_GREY",
    "MID_GREY",
    "MIN_EXPECTED",
    "MIN_GROUP_EVENTS",
    "MIN_GROUP_SIZE",
    "MIN_NON_MISSING",
    "MIN_OBSERVED",
    "ORANGE",
    "PALETTE",
    "PURPLE",
    "QUERY_KEYS",
    "SKY_BLUE",
    "TABLEAU_EXTRA",
    "TEXT_COLOR",
    "VERMILLION",
    "YELLOW",
]

# ------------------------------------------------------------------------------------
# Time
# ------------------------------------------------------------------------------------
#: Days per year: years = days / 365.25 everywhere (ages, follow-up, person-time).
DAYS_PER_YEAR: float = 365.25
#: Days per month: months = days / (365.25 / 12).
DAYS_PER_MONTH: float = DAYS_PER_YEAR / 12
#: Days per time unit of the curves and tables.
DAYS_PER_UNIT: dict[str, float] = {"days": 1.0, "months": DAYS_PER_MONTH, "years": DAYS_PER_YEAR}

# ------------------------------------------------------------------------------------
# Guardrails (small-sample warnings)
# ------------------------------------------------------------------------------------
#: A group with fewer patients gets a warning (comparison, SIR subgroups, survival).
MIN_GROUP_SIZE: int = 10
#: A feature with fewer non-missing values in a group gets a warning (comparison).
MIN_NON_MISSING: int = 5
#: Fewer observed cancers (O) make the SIR unstable.
MIN_OBSERVED: int = 5
#: Fewer expected cancers (E) make the SIR rest on few expected cases.
MIN_EXPECTED: int = 5
#: A survival curve with fewer events gets a warning.
MIN_GROUP_EVENTS: int = 3

# ------------------------------------------------------------------------------------
# Figures
# ------------------------------------------------------------------------------------
#: Okabe-Ito colours (Okabe & Ito 2008; colour-blind safe).
BLUE = "#0072B2"
VERMILLION = "#D55E00"
BLUISH_GREEN = "#009E73"
PURPLE = "#CC79A7"  # reddish purple
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
YELLOW = "#F0E442"
BLACK = "#000000"
#: Okabe-Ito palette (colour-blind safe), black last: groups of every figure.
PALETTE: tuple[str, ...] = (BLUE, VERMILLION, BLUISH_GREEN, PURPLE, ORANGE, SKY_BLUE, YELLOW, BLACK)
#: Tableau colours used after the Okabe-Ito ones when a figure needs more than seven.
TABLEAU_EXTRA: tuple[str, ...] = ("#4E79A7", "#B07AA1", "#9C755F", "#76B7B2", "#59A14F")
#: Annotations, reference lines.
GREY = "#555555"
#: Secondary marks (e.g. values outside a window).
MID_GREY = "#888888"
#: Healthy controls, inactive marks.
LIGHT_GREY = "#AAAAAA"
#: Grid lines.
GRID_COLOR = "#E5E5E5"
#: Text, axis lines.
TEXT_COLOR = "#222"
FONT_FAMILY = "Arial, Helvetica, sans-serif"

# ------------------------------------------------------------------------------------
# URL
# ------------------------------------------------------------------------------------
#: URL query parameters holding the global cohort filters (:mod:`core.filters`); other
#: parameters belong to pages and are left alone.
QUERY_KEYS: tuple[str, ...] = ("subtype", "age_min", "age_max", "sex", "where", "range")
