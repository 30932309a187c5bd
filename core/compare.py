"""Feature comparison between two groups of patients (the "Table I" of a cohort paper).

For each feature the two groups (A and B) are compared:

* **binary** features (float 1.0 / 0.0 / NaN): ``n/N (%)`` per group, where ``N`` counts the
  patients with the feature recorded (missing values are excluded from numerator and
  denominator); two-sided Fisher exact test; conditional maximum-likelihood odds ratio
  (odds of the feature in A over B) with its exact 95% confidence interval, exactly as R's
  ``fisher.test`` defines them (Fisher 1935; Agresti 2002, sec. 3.5, 16.6);
* **continuous** features: median and quartiles per group (R ``quantile`` type 7,
  Hyndman & Fan 1996), number of non-missing values, two-sided Mann-Whitney U test with
  the normal approximation, tie correction and continuity correction (R
  ``wilcox.test(exact = FALSE, correct = TRUE)``);
* optionally Benjamini-Hochberg q-values over all P values of the table (Benjamini &
  Hochberg 1995; :func:`scipy.stats.false_discovery_control`, as R ``p.adjust(, "BH")``).

Two statistics are hand-written, on purpose:

* :func:`fisher_2x2` -- :func:`scipy.stats.contingency.odds_ratio` (``kind="conditional"``)
  gives the same estimates but takes ~2 s for a single table of 10,000 patients (it
  evaluates the non-central hypergeometric distribution over the whole support at each
  step of its root search). Here the log-densities are computed once per table, with
  :func:`scipy.special.gammaln`, on the part of the support where they are not
  negligible (the distribution is log-concave, so the window is checked at its edges);
  the P value uses R's tie tolerance ``1 + 1e-7`` so it equals ``fisher.test`` (SciPy's
  :func:`scipy.stats.fisher_exact` uses ``1e-14``).
* :func:`mann_whitney` -- each group is sorted once and the ranks of the pooled sample are
  derived from the two sorted arrays (``np.sort`` is ~4x faster than the ``argsort`` that
  :func:`scipy.stats.rankdata` needs); the same sorted arrays give the quartiles.

Both are tested against R fixtures (``tests/reference/compare``) and against SciPy.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
from scipy import special, stats

from core.formatting import format_n_of_N, format_p
from core.schema import SUBTYPE_LABELS, DataDictionary

__all__ = [
    "ROW_COLUMNS",
    "CompareError",
    "ComparisonResult",
    "FisherResult",
    "MannWhitneyResult",
    "PublishedTableError",
    "bh_qvalues",
    "compare_groups",
    "compare_payload",
    "compare_with_published",
    "display_table",
    "fisher_2x2",
    "fisher_p",
    "format_or_ci",
    "load_published_table",
    "mann_whitney",
    "methods_text",
    "quantiles_type7",
    "subtype_heatmap",
]

#: Minimum group size below which a guardrail is shown.
MIN_GROUP_SIZE = 10
#: Minimum number of non-missing values of a feature in a group (guardrail).
MIN_NON_MISSING = 5
#: R's relative tolerance for "as or less probable" tables in the two-sided Fisher test.
_R_REL_ERR = 1.0 + 1e-7
#: Log-density drop that makes truncated mass negligible (< 1e-15) for the root searches.
_LOG_NEGLIGIBLE = 36.0

ROW_COLUMNS: tuple[str, ...] = (
    "feature", "label", "group", "type", "test", "unit",
    "n_a", "N_a", "pct_a", "n_b", "N_b", "pct_b",
    "p_value", "odds_ratio", "or_ci_low", "or_ci_high", "q_value",
    "median_a", "q1_a", "q3_a", "median_b", "q1_b", "q3_b",
    "note",
)


class CompareError(ValueError):
    """Invalid input to the feature comparison (bad column, type or grouping)."""


class PublishedTableError(CompareError):
    """A published table (CSV) that does not follow the expected format."""


# =====================================================================================
# Fisher exact test, conditional odds ratio
# =====================================================================================
@dataclass(frozen=True)
class FisherResult:
    """Fisher exact test of a 2x2 table ``[[a, b], [c, d]]`` (rows: groups A, B;
    columns: feature yes, no).

    Attributes
    ----------
    p_value : float
        Two-sided P (sum of the probabilities of the tables as or less probable than the
        observed one, relative tolerance 1e-7 as R). NaN when a group has no data.
    odds_ratio : float
        Conditional maximum-likelihood estimate; 0 or ``inf`` when a cell makes the
        observed table extreme; NaN when not estimable (a margin is 0).
    ci_low, ci_high : float
        Exact conditional confidence limits (0 and ``inf`` for open-ended limits).
    """

    p_value: float
    odds_ratio: float
    ci_low: float
    ci_high: float


def _check_cells(a: int, b: int, c: int, d: int) -> tuple[int, int, int, int]:
    cells = []
    for name, v in zip("abcd", (a, b, c, d)):
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            raise CompareError(f"2x2 table cell {name} is missing or not finite: {v!r}")
        iv = round(float(v))
        if iv < 0 or abs(iv - float(v)) > 1e-9:
            raise CompareError(f"2x2 table cell {name} must be a non-negative integer, got {v!r}")
        cells.append(iv)
    return cells[0], cells[1], cells[2], cells[3]


class _Conditional:
    """Conditional (non-central hypergeometric) distribution of cell ``a`` given the
    margins of ``[[a, b], [c, d]]``.

    Notation as R's ``fisher.test``: ``m = a + c`` (feature yes), ``n = b + d`` (no),
    ``k = a + b`` (group A), support ``lo..hi`` with ``lo = max(0, k - n)``,
    ``hi = min(k, m)``. Central log-probabilities (hypergeometric) are
    ``log C(m, u) + log C(n, k - u) - log C(m + n, k)`` from log-gamma functions; at log
    odds ratio ``lam`` the density is proportional to ``exp(logpmf(u) + lam u)``.

    Only the part of the support that matters is evaluated, which keeps a table of a
    million patients at a few thousand terms (the densities are log-concave, so the
    truncated terms are bounded by the ones at the window edges):

    * P value: the two tails ``{u : pmf(u) <= pmf(x) (1 + 1e-7)}`` are found by
      bisection on each side of the mode; each tail is summed until its terms fall
      ``e^-45`` below its first term (the rest changes P by < 1e-13 relative);
    * odds ratio and CI: a window around ``x`` of 15 SDs (+20) on each side, widened
      until the tilted density at its edges is ``e^-36`` below its maximum at the root.
    """

    def __init__(self, a: int, b: int, c: int, d: int) -> None:
        self.x = a
        self.m, self.n, self.k = a + c, b + d, a + b
        self.lo = max(0, self.k - self.n)
        self.hi = min(self.k, self.m)
        total = self.m + self.n
        self.total = total
        lg = math.lgamma
        self.c0 = lg(self.m + 1) + lg(self.n + 1) + lg(self.k + 1) + lg(total - self.k + 1) - lg(total + 1)
        var0 = (
            self.k * self.m * self.n * (total - self.k) / (total * total * (total - 1.0)) if total > 1 else 0.0
        )
        var_obs = 1.0 / (1 / (a + 0.5) + 1 / (b + 0.5) + 1 / (c + 0.5) + 1 / (d + 0.5))
        self.sd = math.sqrt(max(var0, var_obs))
        mode = math.floor((self.k + 1.0) * (self.m + 1.0) / (total + 2.0)) if total else 0
        self.mode = min(max(mode, self.lo), self.hi)
        self._half = 15.0 * self.sd + 20.0
        self.u: np.ndarray | None = None

    # --- central log-probabilities ----------------------------------------------------
    def lp(self, u: int) -> float:
        """Log-probability of one value (scalar, :func:`math.lgamma`)."""
        lg = math.lgamma
        return self.c0 - (lg(u + 1) + lg(self.m - u + 1) + lg(self.k - u + 1) + lg(self.n - self.k + u + 1))

    def lp_vec(self, u: np.ndarray) -> np.ndarray:
        """Log-probabilities of an array of values (:func:`scipy.special.gammaln`)."""
        return self.c0 - (
            special.gammaln(u + 1.0)
            + special.gammaln(self.m - u + 1.0)
            + special.gammaln(self.k - u + 1.0)
            + special.gammaln(self.n - self.k + u + 1.0)
        )

    def _tail_sum(self, start: int, direction: int) -> float:
        """Sum of the probabilities from ``start`` towards the support bound
        (``direction`` -1: down to ``lo``; +1: up to ``hi``)."""
        half = self._half
        top = self.lp(start)
        while True:
            if direction < 0:
                end = max(self.lo, int(start - half))
                u = np.arange(end, start + 1, dtype=np.float64)
                edge, bound = 0, end == self.lo
            else:
                end = min(self.hi, int(start + half))
                u = np.arange(start, end + 1, dtype=np.float64)
                edge, bound = -1, end == self.hi
            lpu = self.lp_vec(u)
            if bound or lpu[edge] < top - _LOG_P_NEGLIGIBLE:
                return float(np.exp(lpu).sum())
            half *= 2.0

    def p_two_sided(self) -> float:
        """Two-sided P: sum of ``pmf(u)`` over ``pmf(u) <= pmf(x) (1 + 1e-7)`` (R)."""
        thr = self.lp(self.x) + math.log(_R_REL_ERR)
        if self.lp(self.mode) <= thr:
            return 1.0
        total = 0.0
        # Left tail: largest u < mode with lp(u) <= thr (lp increases up to the mode).
        if self.lp(self.lo) <= thr:
            lo_i, hi_i = self.lo, self.mode  # lp(lo_i) <= thr < lp(hi_i)
            while hi_i - lo_i > 1:
                mid = (lo_i + hi_i) // 2
                if self.lp(mid) <= thr:
                    lo_i = mid
                else:
                    hi_i = mid
            total += self._tail_sum(lo_i, -1)
        # Right tail: smallest u > mode with lp(u) <= thr.
        if self.lp(self.hi) <= thr:
            lo_i, hi_i = self.mode, self.hi  # lp(lo_i) > thr >= lp(hi_i)
            while hi_i - lo_i > 1:
                mid = (lo_i + hi_i) // 2
                if self.lp(mid) <= thr:
                    hi_i = mid
                else:
                    lo_i = mid
            total += self._tail_sum(hi_i, +1)
        return float(min(1.0, total))

    # --- tilted distribution around x (odds ratio and CI) ----------------------------
    def _build(self) -> None:
        w_lo = max(self.lo, math.floor(self.x - self._half))
        w_hi = min(self.hi, math.ceil(self.x + self._half))
        self.u = np.arange(w_lo, w_hi + 1, dtype=np.float64)
        self.logdc = self.lp_vec(self.u)
        self.ix = self.x - w_lo
        self.v = self.u - float(self.x)  # centred support (better conditioned sums)
        self.w_lo, self.w_hi = w_lo, w_hi

    def ensure_window(self) -> None:
        if self.u is None:
            self._build()

    def widen(self) -> None:
        self._half *= 2.0
        self._build()

    def edges_negligible(self, lam: float) -> bool:
        """True when the tilted density at the window edges is negligible."""
        t = self.logdc + lam * self.v
        top = t.max()
        return (self.w_lo == self.lo or t[0] < top - _LOG_NEGLIGIBLE) and (
            self.w_hi == self.hi or t[-1] < top - _LOG_NEGLIGIBLE
        )

    def mean_eq(self, lam: float) -> tuple[float, float]:
        """``E[U] - x`` and its derivative ``Var[U]`` at log odds ratio ``lam``."""
        t = self.logdc + lam * self.v
        t -= t.max()
        w = np.exp(t)
        s = w.sum()
        vw = self.v * w
        m1 = vw.sum() / s
        m2 = (self.v * vw).sum() / s
        return m1, max(m2 - m1 * m1, 0.0)

    def tail_eq(self, lam: float, upper: bool, log_alpha: float) -> tuple[float, float]:
        """Increasing function ``g`` of ``lam`` whose root is a confidence limit, and its
        derivative.

        Upper tail (lower limit): ``g = log P(U >= x) - log(alpha)``,
        ``g' = E[U | U >= x] - E[U]``. Lower tail (upper limit):
        ``g = log(alpha) - log P(U <= x)``, ``g' = E[U] - E[U | U <= x]``.
        """
        t = self.logdc + lam * self.v
        t -= t.max()
        w = np.exp(t)
        s = w.sum()
        mean = (self.v * w).sum() / s
        part = slice(self.ix, None) if upper else slice(None, self.ix + 1)
        wp = w[part]
        sp = wp.sum()
        if sp > 1e-250:
            log_p = math.log(sp / s)
            mean_p = (self.v[part] * wp).sum() / sp
        else:  # the tail underflowed: recompute it on its own scale
            tp = t[part]
            top = tp.max()
            wq = np.exp(tp - top)
            log_p = top + math.log(wq.sum()) - math.log(s)
            mean_p = (self.v[part] * wq).sum() / wq.sum()
        if upper:
            return log_p - log_alpha, mean_p - mean
        return log_alpha - log_p, mean - mean_p


#: Drop of the log-probability beyond which tail terms are ignored in the P value.
_LOG_P_NEGLIGIBLE = 45.0


def _newton_increasing(fd: Any, lam0: float, step: float) -> float:
    """Root of an increasing function of the log odds ratio by safeguarded Newton steps.

    ``fd(lam)`` returns ``(f, f')``. A bracket ``[lo, hi]`` with ``f(lo) < 0 < f(hi)`` is
    kept; a Newton step leaving it is replaced by bisection (or, before both ends are
    known, by a step of ``step`` doubled each time). Stops when the step is below
    ``1e-12 (1 + |lam|)`` -- R's ``uniroot`` stops at ~1.2e-4.
    """
    lo, hi = -math.inf, math.inf
    lam = lam0
    for _ in range(200):
        f, d = fd(lam)
        if f == 0.0:
            return lam
        if f < 0.0:
            lo = lam
        else:
            hi = lam
        tol = 1e-12 * (1.0 + abs(lam))
        new = lam - f / d if d > 0.0 and math.isfinite(f) else math.nan
        if abs(new - lam) <= tol:
            return new
        if not (lo < new < hi) or abs(new - lam) > 4.0 * step:
            if math.isfinite(lo) and math.isfinite(hi):
                new = 0.5 * (lo + hi)
            elif math.isfinite(lo):
                new = lo + step
                step *= 2.0
            else:
                new = hi - step
                step *= 2.0
        if math.isfinite(lo) and math.isfinite(hi) and hi - lo <= tol:
            return new
        lam = new
    raise CompareError("odds-ratio root search did not converge")  # pragma: no cover


def fisher_p(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher exact P of the 2x2 table ``[[a, b], [c, d]]``, as R ``fisher.test``.

    P is the sum of the conditional (hypergeometric) probabilities of all tables with the
    same margins whose probability is at most ``(1 + 1e-7)`` times that of the observed
    table. NaN when a row (group) is empty; 1 when a column is empty.
    """
    a, b, c, d = _check_cells(a, b, c, d)
    if a + b == 0 or c + d == 0:
        return math.nan
    dist = _Conditional(a, b, c, d)
    if dist.lo == dist.hi:
        return 1.0
    return dist.p_two_sided()


def fisher_2x2(a: int, b: int, c: int, d: int, conf_level: float = 0.95) -> FisherResult:
    """Fisher exact test and conditional odds ratio of ``[[a, b], [c, d]]``.

    Rows are groups A and B, columns feature present / absent, so the odds ratio is the
    odds of the feature in A over B. As R ``fisher.test`` (Fisher 1935; Cornfield 1956):

    * MLE: the ``psi`` solving ``E[X | psi] = a`` under the non-central hypergeometric
      distribution of ``X`` given the margins (0 if ``a`` is the smallest possible value,
      ``inf`` if the largest);
    * CI: ``psi_L`` solving ``P(X >= a | psi_L) = alpha/2`` (0 when ``a`` is the smallest
      value) and ``psi_U`` solving ``P(X <= a | psi_U) = alpha/2`` (``inf`` when ``a`` is
      the largest).

    The equations are solved on the log scale with Brent's method to ~1e-11 relative
    (R's ``uniroot`` default stops at ~1.2e-4 on ``psi`` below 1 and on ``1/psi`` above 1).

    Parameters
    ----------
    a, b, c, d : int
        Cell counts (non-negative integers).
    conf_level : float
        Confidence level of the interval.

    Returns
    -------
    FisherResult
        NaN estimates when a margin is 0 (no variation: not estimable); P is 1 when a
        column is empty and NaN when a row (group) is empty.
    """
    a, b, c, d = _check_cells(a, b, c, d)
    if not 0.0 < conf_level < 1.0:
        raise CompareError(f"conf_level must be between 0 and 1, got {conf_level}")
    if a + b == 0 or c + d == 0:
        return FisherResult(math.nan, math.nan, math.nan, math.nan)
    dist = _Conditional(a, b, c, d)
    if dist.lo == dist.hi:
        return FisherResult(1.0, math.nan, math.nan, math.nan)
    p = dist.p_two_sided()
    alpha = (1.0 - conf_level) / 2.0
    log_alpha = math.log(alpha)
    # Starting points: Haldane-corrected log odds ratio and its normal-approximation CI.
    lam0 = math.log((a + 0.5) * (d + 0.5) / ((b + 0.5) * (c + 0.5)))
    se = math.sqrt(1 / (a + 0.5) + 1 / (b + 0.5) + 1 / (c + 0.5) + 1 / (d + 0.5))
    z = float(special.ndtri(1.0 - alpha))

    dist.ensure_window()

    def solve(kind: str) -> float:
        for _ in range(20):
            if kind == "mle":
                root = _newton_increasing(dist.mean_eq, lam0, se)
            elif kind == "low":
                root = _newton_increasing(lambda lam: dist.tail_eq(lam, True, log_alpha), lam0 - z * se, se)
            else:
                root = _newton_increasing(lambda lam: dist.tail_eq(lam, False, log_alpha), lam0 + z * se, se)
            if dist.edges_negligible(root):
                return math.exp(root)
            dist.widen()
        return math.exp(root)  # pragma: no cover

    est = 0.0 if a == dist.lo else math.inf if a == dist.hi else solve("mle")
    low = 0.0 if a == dist.lo else solve("low")
    high = math.inf if a == dist.hi else solve("high")
    return FisherResult(p, est, low, high)


# =====================================================================================
# Mann-Whitney U, quantiles, BH
# =====================================================================================
@dataclass(frozen=True)
class MannWhitneyResult:
    """Two-sided Mann-Whitney U test (normal approximation, tie and continuity corrected).

    Attributes
    ----------
    statistic : float
        ``W`` as R reports it: rank sum of the first sample minus ``n1 (n1 + 1) / 2``
        (= SciPy's ``U1``).
    p_value : float
        NaN when a sample is empty or all values are equal (R gives NaN too).
    """

    statistic: float
    p_value: float


def _unique_sorted(s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct values, first positions and counts of a sorted array."""
    n = s.size
    new = np.empty(n, dtype=bool)
    new[:1] = True
    np.not_equal(s[1:], s[:-1], out=new[1:])
    first = np.flatnonzero(new)
    counts = np.diff(np.append(first, n))
    return s[first], first, counts


def _mann_whitney_sorted(sa: np.ndarray, sb: np.ndarray) -> MannWhitneyResult:
    n1, n2 = sa.size, sb.size
    if n1 == 0 or n2 == 0:
        return MannWhitneyResult(math.nan, math.nan)
    ua, first_a, ca = _unique_sorted(sa)
    less_b = np.searchsorted(sb, ua, side="left")
    eq_b = np.searchsorted(sb, ua, side="right") - less_b
    # Average pooled rank of the tie block of each distinct value of A (1-based).
    block = (ca + eq_b).astype(np.float64)
    avg_rank = first_a + less_b + (block + 1.0) / 2.0
    rank_sum = float(np.dot(ca.astype(np.float64), avg_rank))
    w = rank_sum - n1 * (n1 + 1) / 2.0
    ties = float(np.sum(block**3 - block))
    ub, _, cb = _unique_sorted(sb)
    eq_a = np.searchsorted(sa, ub, side="right") - np.searchsorted(sa, ub, side="left")
    only_b = cb[eq_a == 0].astype(np.float64)
    ties += float(np.sum(only_b**3 - only_b))
    total = n1 + n2
    var = n1 * n2 / 12.0 * ((total + 1) - ties / (total * (total - 1.0)))
    zc = w - n1 * n2 / 2.0
    if var <= 0.0:
        return MannWhitneyResult(w, math.nan)
    z = (zc - 0.5 * np.sign(zc)) / math.sqrt(var)
    p = 2.0 * min(special.ndtr(z), special.ndtr(-z))
    return MannWhitneyResult(w, float(min(1.0, p)))


def mann_whitney(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> MannWhitneyResult:
    """Two-sided Mann-Whitney U (Wilcoxon rank-sum) test of ``x`` vs ``y``.

    Normal approximation with tie correction of the variance and continuity correction,
    identical to R ``wilcox.test(x, y, exact = FALSE, correct = TRUE)`` and to
    ``scipy.stats.mannwhitneyu(x, y, method="asymptotic", use_continuity=True)``:
    ``z = (W - n1 n2 / 2 - 0.5 sign(.)) / sigma`` with
    ``sigma^2 = n1 n2 / 12 [(n + 1) - sum(t^3 - t) / (n (n - 1))]``.
    NaN values are dropped (missing data excluded).
    """
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    if np.isinf(xa).any() or np.isinf(ya).any():
        raise CompareError("mann_whitney: infinite values are not allowed")
    return _mann_whitney_sorted(np.sort(xa[~np.isnan(xa)]), np.sort(ya[~np.isnan(ya)]))


def _quantiles_sorted(s: np.ndarray, probs: Sequence[float] = (0.25, 0.5, 0.75)) -> list[float]:
    n = s.size
    if n == 0:
        return [math.nan] * len(probs)
    out = []
    for p in probs:
        h = (n - 1) * p  # R type 7: index = 1 + (n - 1) p (1-based)
        lo = math.floor(h)
        hi = min(lo + 1, n - 1)
        frac = h - lo
        q = float(s[lo])
        if frac > 0 and s[hi] != q:
            q = (1.0 - frac) * q + frac * float(s[hi])
        out.append(q)
    return out


def quantiles_type7(x: Sequence[float] | np.ndarray, probs: Sequence[float] = (0.25, 0.5, 0.75)) -> list[float]:
    """Sample quantiles as R ``quantile(x, probs, type = 7)`` (NaN dropped).

    ``Q(p) = (1 - h) x[j] + h x[j + 1]`` with ``j = floor((n - 1) p)`` (0-based) and
    ``h = (n - 1) p - j`` (Hyndman & Fan 1996, definition 7; numpy's default "linear").
    """
    a = np.asarray(x, dtype=np.float64)
    return _quantiles_sorted(np.sort(a[~np.isnan(a)]), probs)


def bh_qvalues(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted P values (q-values), as R ``p.adjust(p, "BH")``.

    NaN entries stay NaN and are not counted in the number of tests (R's default
    ``n = length(p[!is.na(p)])``). Uses :func:`scipy.stats.false_discovery_control`.
    """
    p = np.asarray(p_values, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        if ((p[ok] < 0) | (p[ok] > 1)).any():
            raise CompareError("P values must lie in [0, 1] for the Benjamini-Hochberg adjustment")
        q[ok] = stats.false_discovery_control(p[ok], method="bh")
    return q


# =====================================================================================
# Group comparison
# =====================================================================================
@dataclass(frozen=True)
class ComparisonResult:
    """Comparison of features between group A and group B.

    Attributes
    ----------
    group_a, group_b : str
        Group labels (A first: odds ratios are A over B).
    n_a, n_b : int
        Number of patients in each group.
    n_excluded : int
        Patients in neither group (grouping value missing, or a label other than the two
        compared).
    rows : pandas.DataFrame
        One row per feature with the columns :data:`ROW_COLUMNS`. For binary features
        ``n`` = patients with the feature, ``N`` = patients with the feature recorded,
        ``pct = 100 n / N``; for continuous features ``n`` = non-missing values and
        ``N``/``pct`` are missing (not applicable). ``odds_ratio`` and its CI are for
        binary features only; quartiles for continuous ones. ``q_value`` only with FDR.
    guardrails : list of str
        Small-sample warnings to show next to the table.
    fdr : bool
        Whether q-values were computed.
    conf_level : float
        Level of the odds-ratio confidence intervals.
    """

    group_a: str
    group_b: str
    n_a: int
    n_b: int
    n_excluded: int
    rows: pd.DataFrame
    guardrails: list[str] = field(default_factory=list)
    fdr: bool = False
    conf_level: float = 0.95

    def payload(self) -> dict[str, Any]:
        """JSON object printed by ``myoscope compare --json`` (see :func:`compare_payload`)."""
        return compare_payload(self)


def _json_number(v: Any) -> float | int | str | None:
    """JSON-safe number: NaN/NA -> ``None``; +inf -> ``"Infinity"``; -inf ->
    ``"-Infinity"``; integral numpy ints -> int."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    f = float(v)
    if math.isnan(f):
        return None
    if math.isinf(f):
        return "Infinity" if f > 0 else "-Infinity"
    return f


_PAYLOAD_ROW_KEYS: tuple[str, ...] = (
    "feature", "label", "type", "n_a", "N_a", "n_b", "N_b", "p_value",
    "odds_ratio", "or_ci_low", "or_ci_high", "q_value",
    "median_a", "q1_a", "q3_a", "median_b", "q1_b", "q3_b",
)


def compare_payload(result: ComparisonResult) -> dict[str, Any]:
    """The JSON object of a comparison (CLI ``--json``), JSON-safe.

    ``{"group_a": {"label", "n"}, "group_b": {"label", "n"}, "n_excluded", "fdr",
    "conf_level", "guardrails", "rows": [...]}``; each row has ``feature``, ``label``,
    ``type``, ``n_a``, ``N_a``, ``n_b``, ``N_b``, ``p_value``, ``odds_ratio``,
    ``or_ci_low``, ``or_ci_high``, ``q_value``, ``median_a``, ``q1_a``, ``q3_a``,
    ``median_b``, ``q1_b``, ``q3_b``.

    ``null`` means not applicable or not computable (e.g. ``N_a`` and the odds ratio of
    a continuous feature, medians of a binary one, ``q_value`` without FDR, an odds ratio
    that is not estimable). An infinite odds ratio or confidence limit (a zero cell) is
    the string ``"Infinity"`` -- standard JSON has no infinity and ``null`` would lose
    the difference between "unbounded" and "not computed"; JavaScript's ``Number()`` and
    Python's ``float()`` both parse it.
    """
    rows = []
    for rec in result.rows.to_dict("records"):
        rows.append(
            {k: (rec[k] if k in ("feature", "label", "type") else _json_number(rec[k])) for k in _PAYLOAD_ROW_KEYS}
        )
    return {
        "group_a": {"label": result.group_a, "n": int(result.n_a)},
        "group_b": {"label": result.group_b, "n": int(result.n_b)},
        "n_excluded": int(result.n_excluded),
        "fdr": bool(result.fdr),
        "conf_level": float(result.conf_level),
        "guardrails": list(result.guardrails),
        "rows": rows,
    }


def _group_masks(labels: pd.Series, index: pd.Index, group_a: Any, group_b: Any) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks of group A and group B members (aligned with ``index``)."""
    if not isinstance(labels, pd.Series):
        labels = pd.Series(labels)
    if len(labels) != len(index):
        raise CompareError(
            f"group labels have {len(labels)} entries but the cohort has {len(index)} patients"
        )
    if not labels.index.equals(index):
        if labels.index.has_duplicates or not labels.index.sort_values().equals(index.sort_values()):
            raise CompareError("group labels must be aligned with the cohort index (same patients)")
        labels = labels.reindex(index)
    if isinstance(labels.dtype, pd.CategoricalDtype):
        codes = labels.cat.codes.to_numpy()
        cats = list(labels.cat.categories)
        ca = cats.index(group_a) if group_a in cats else -2
        cb = cats.index(group_b) if group_b in cats else -2
        return codes == ca, codes == cb
    arr = labels.to_numpy(dtype=object)
    return arr == group_a, arr == group_b


def _binary_group_counts(values: np.ndarray, masks: Sequence[np.ndarray], name: str) -> list[tuple[int, int]]:
    """``(n yes, n recorded)`` of a 1/0/NaN feature within each mask; raises when a value
    is not 0, 1 or NaN. Boolean masks and :func:`numpy.count_nonzero` (a few ms for a
    million patients)."""
    pos = values == 1.0
    obs = pos | (values == 0.0)
    n_obs = int(np.count_nonzero(obs))
    n_nan = int(np.count_nonzero(np.isnan(values)))
    if n_obs + n_nan != values.size:
        bad = np.unique(values[~obs & ~np.isnan(values)])[:5]
        raise CompareError(
            f"binary feature '{name}' must contain only 1, 0 or missing; found {bad.tolist()} "
            "(recode it, or mark it continuous in the data dictionary)"
        )
    return [(int(np.count_nonzero(pos & m)), int(np.count_nonzero(obs & m))) for m in masks]


def _binary_counts(values: np.ndarray, codes: np.ndarray, n_codes: int, name: str) -> np.ndarray:
    """Counts ``[no, yes, missing]`` per group code (shape ``(n_codes, 3)``), one pass of
    :func:`numpy.bincount`; raises when a value is not 0, 1 or NaN."""
    s = values.astype(np.float64, copy=True)
    s[np.isnan(s)] = 2.0
    si = s.astype(np.intp)
    if si.size and (si.min() < 0 or si.max() > 2 or not np.array_equal(si, s)):
        bad = np.unique(values[(s != 0) & (s != 1) & (s != 2) | (si != s)])[:5]
        raise CompareError(
            f"binary feature '{name}' must contain only 1, 0 or missing; found {bad.tolist()} "
            "(recode it, or mark it continuous in the data dictionary)"
        )
    key = codes * 3 + si
    return np.bincount(key, minlength=n_codes * 3).reshape(n_codes, 3)


def _numeric_column(df: pd.DataFrame, name: str) -> np.ndarray:
    col = df[name]
    if isinstance(col, pd.DataFrame):
        raise CompareError(f"column '{name}' appears more than once in the cohort")
    if pd.api.types.is_bool_dtype(col):
        col = col.astype("float64")
    if not pd.api.types.is_numeric_dtype(col):
        raise CompareError(
            f"feature '{name}' is not numeric (dtype {col.dtype}); binary features must be coded "
            "1/0/missing and continuous features must be numbers"
        )
    return col.to_numpy(dtype=np.float64, na_value=np.nan)


def compare_groups(
    df: pd.DataFrame,
    labels: pd.Series,
    group_a: str,
    group_b: str,
    features: Sequence[str],
    dictionary: DataDictionary,
    fdr: bool = False,
    conf_level: float = 0.95,
) -> ComparisonResult:
    """Compare ``features`` between the patients labelled ``group_a`` and ``group_b``.

    Parameters
    ----------
    df : pandas.DataFrame
        Cohort (one row per patient; see ``docs/architecture.md``).
    labels : pandas.Series
        Group label per patient, aligned with ``df.index``; NaN (or any label other than
        ``group_a`` / ``group_b``) puts the patient in neither group (counted in
        ``n_excluded``).
    group_a, group_b : str
        The two labels compared; odds ratios are A over B.
    features : sequence of str
        Columns to compare, in display order. The type (``binary`` or ``continuous``)
        comes from ``dictionary.get(name).type``.
    dictionary : DataDictionary
        Labels, groups and types of the columns.
    fdr : bool
        Add Benjamini-Hochberg q-values over all P values of the table.
    conf_level : float
        Confidence level of the odds-ratio intervals.

    Returns
    -------
    ComparisonResult

    Raises
    ------
    CompareError
        Unknown column, unsupported feature type, non-numeric or non-binary values,
        misaligned labels, identical group labels.

    Notes
    -----
    Missing values of a feature are excluded from its numerator and denominator (binary)
    or from its sample (continuous). Binary: Fisher exact test and conditional MLE odds
    ratio with exact CI (:func:`fisher_2x2`). Continuous: median (quartiles, type 7) and
    Mann-Whitney U (:func:`mann_whitney`). Counting is vectorised (one ``bincount`` per
    binary feature; one sort per group for each continuous feature).
    """
    if group_a == group_b:
        raise CompareError(f"the two groups must differ (both are '{group_a}')")
    if not isinstance(df, pd.DataFrame):
        raise CompareError("df must be a pandas DataFrame")
    features = list(features)
    dup = sorted({f for f in features if features.count(f) > 1})
    if dup:
        raise CompareError(f"features listed more than once: {', '.join(dup)}")
    missing = [f for f in features if f not in df.columns]
    if missing:
        raise CompareError(f"feature column(s) not in the cohort: {', '.join(missing)}")
    infos = [dictionary.get(f) for f in features]
    for info in infos:
        if info.type not in ("binary", "continuous"):
            raise CompareError(
                f"feature '{info.name}' has type '{info.type}'; only binary and continuous features "
                "can be compared (change its type in the data dictionary or remove it)"
            )
    is_a, is_b = _group_masks(labels, df.index, group_a, group_b)
    n_a, n_b = int(np.count_nonzero(is_a)), int(np.count_nonzero(is_b))
    n_excl = len(df) - n_a - n_b
    idx_a = idx_b = None

    records: list[dict[str, Any]] = []
    group_a, group_b = str(group_a), str(group_b)
    few: dict[str, list[str]] = {group_a: [], group_b: []}
    for info in infos:
        values = _numeric_column(df, info.name)
        rec: dict[str, Any] = {c: np.nan for c in ROW_COLUMNS}
        rec.update(feature=info.name, label=info.label, group=info.group, type=info.type, unit=info.unit)
        notes: list[str] = []
        if info.type == "binary":
            (a_yes, N_a), (b_yes, N_b) = _binary_group_counts(values, (is_a, is_b), info.name)
            a_no, b_no = N_a - a_yes, N_b - b_yes
            rec.update(
                test="Fisher exact", n_a=a_yes, N_a=N_a, n_b=b_yes, N_b=N_b,
                pct_a=100.0 * a_yes / N_a if N_a else np.nan,
                pct_b=100.0 * b_yes / N_b if N_b else np.nan,
            )
            fr = fisher_2x2(a_yes, a_no, b_yes, b_no, conf_level)
            rec.update(p_value=fr.p_value, odds_ratio=fr.odds_ratio, or_ci_low=fr.ci_low, or_ci_high=fr.ci_high)
            if N_a == 0 or N_b == 0:
                notes.append("no recorded value in a group: not tested")
            elif math.isnan(fr.odds_ratio):
                notes.append("same value in every patient: odds ratio not estimable")
            elif fr.odds_ratio == 0.0 or math.isinf(fr.odds_ratio):
                notes.append("zero cell: odds ratio " + ("0" if fr.odds_ratio == 0 else "infinite")
                             + ", one confidence limit unbounded")
            nn_a, nn_b = N_a, N_b
        else:
            if idx_a is None:
                idx_a, idx_b = np.flatnonzero(is_a), np.flatnonzero(is_b)
            va, vb = values[idx_a], values[idx_b]
            if np.isinf(va).any() or np.isinf(vb).any():
                raise CompareError(f"continuous feature '{info.name}' contains infinite values")
            sa, sb = np.sort(va[~np.isnan(va)]), np.sort(vb[~np.isnan(vb)])
            mw = _mann_whitney_sorted(sa, sb)
            qa, qb = _quantiles_sorted(sa), _quantiles_sorted(sb)
            rec.update(
                test="Mann-Whitney U", n_a=sa.size, n_b=sb.size, p_value=mw.p_value,
                q1_a=qa[0], median_a=qa[1], q3_a=qa[2], q1_b=qb[0], median_b=qb[1], q3_b=qb[2],
            )
            if sa.size == 0 or sb.size == 0:
                notes.append("no recorded value in a group: not tested")
            elif math.isnan(mw.p_value):
                notes.append("all values equal: not tested")
            nn_a, nn_b = sa.size, sb.size
        for g, nn in ((group_a, nn_a), (group_b, nn_b)):
            if nn < MIN_NON_MISSING:
                few[g].append(f"{info.label} ({nn})")
                notes.append(f"fewer than {MIN_NON_MISSING} values in {g}")
        rec["note"] = "; ".join(notes)
        records.append(rec)

    rows = pd.DataFrame.from_records(records, columns=list(ROW_COLUMNS))
    for c in ("n_a", "N_a", "n_b", "N_b"):
        rows[c] = pd.array(rows[c].to_numpy(dtype=np.float64), dtype="Float64").astype("Int64")
    for c in ROW_COLUMNS:
        if c not in ("feature", "label", "group", "type", "test", "unit", "note", "n_a", "N_a", "n_b", "N_b"):
            rows[c] = rows[c].astype(np.float64)
    rows["test"] = rows["test"].astype(object)
    if fdr:
        rows["q_value"] = bh_qvalues(rows["p_value"].to_numpy(dtype=np.float64))

    guardrails: list[str] = []
    for g, n in ((group_a, n_a), (group_b, n_b)):
        if n < MIN_GROUP_SIZE:
            guardrails.append(
                f"Group '{g}' has {n} patient{'s' if n != 1 else ''} (fewer than {MIN_GROUP_SIZE}): "
                "percentages and tests are unstable."
            )
    for g, items in few.items():
        if items:
            guardrails.append(
                f"Fewer than {MIN_NON_MISSING} non-missing values in '{g}' for: "
                + ", ".join(items) + "."
            )
    return ComparisonResult(
        group_a=str(group_a), group_b=str(group_b), n_a=n_a, n_b=n_b, n_excluded=n_excl,
        rows=rows, guardrails=guardrails, fdr=bool(fdr), conf_level=float(conf_level),
    )


# =====================================================================================
# Display (journal style)
# =====================================================================================
def _fmt_ratio(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if math.isinf(x):
        return "∞"
    if x == 0:
        return "0"
    if x < 0.01:
        return f"{x:.2g}"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def format_or_ci(odds_ratio: float, low: float, high: float) -> str:
    """``OR (low–high)``, e.g. ``0.17 (0.0036–1.41)``, ``∞ (0.57–∞)``; ``—`` when the OR
    is not estimable."""
    if odds_ratio is None or math.isnan(odds_ratio):
        return "—"
    return f"{_fmt_ratio(odds_ratio)} ({_fmt_ratio(low)}–{_fmt_ratio(high)})"


def _fmt_number(x: float, decimals: int) -> str:
    if math.isnan(x):
        return "—"
    return f"{x:.{decimals}f}"


def _decimals_for(values: Iterable[float]) -> int:
    finite = [abs(v) for v in values if not math.isnan(v)]
    if not finite:
        return 1
    top = max(finite)
    if top >= 100:
        return 0
    if top >= 10:
        return 1
    return 2


def _median_iqr(med: float, q1: float, q3: float, n: int, decimals: int) -> str:
    if n == 0 or math.isnan(med):
        return "—"
    return f"{_fmt_number(med, decimals)} ({_fmt_number(q1, decimals)}–{_fmt_number(q3, decimals)}); n = {n}"


def display_table(result: ComparisonResult, header_row: bool = True) -> pd.DataFrame:
    """Journal-style table of strings (page, DOCX/XLSX export).

    Columns: ``Feature``, the two group labels, ``P`` (:func:`core.formatting.format_p`),
    ``q`` (with FDR), ``OR (95% CI)``. Binary rows read ``n/N (%)``; continuous rows
    ``median (Q1–Q3); n = k`` and the feature label gets its unit and ", median (IQR)".
    With ``header_row`` the first row gives the group sizes (``Patients, n``), so data
    row ``i`` of ``result.rows`` is display row ``i + 1``.
    """
    ci_pct = f"{round(100 * result.conf_level):d}%"
    cols = ["Feature", result.group_a, result.group_b, "P"]
    if result.fdr:
        cols.append("q")
    or_col = f"OR ({ci_pct} CI)"
    cols.append(or_col)
    out: list[dict[str, str]] = []
    if header_row:
        head = {c: "" for c in cols}
        head.update({"Feature": "Patients, n", result.group_a: str(result.n_a), result.group_b: str(result.n_b)})
        out.append(head)
    for rec in result.rows.to_dict("records"):
        row = {c: "" for c in cols}
        if rec["type"] == "binary":
            row["Feature"] = rec["label"]
            row[result.group_a] = format_n_of_N(int(rec["n_a"]), int(rec["N_a"]))
            row[result.group_b] = format_n_of_N(int(rec["n_b"]), int(rec["N_b"]))
            row[or_col] = format_or_ci(rec["odds_ratio"], rec["or_ci_low"], rec["or_ci_high"])
        else:
            unit = f" ({rec['unit']})" if rec.get("unit") else ""
            row["Feature"] = f"{rec['label']}{unit}, median (IQR)"
            dec = _decimals_for([rec["median_a"], rec["median_b"], rec["q1_a"], rec["q1_b"]])
            row[result.group_a] = _median_iqr(rec["median_a"], rec["q1_a"], rec["q3_a"], int(rec["n_a"]), dec)
            row[result.group_b] = _median_iqr(rec["median_b"], rec["q1_b"], rec["q3_b"], int(rec["n_b"]), dec)
        row["P"] = format_p(rec["p_value"])
        if result.fdr:
            row["q"] = format_p(rec["q_value"])
        out.append(row)
    # group labels equal to a fixed column name would collide; keep order regardless
    return pd.DataFrame(out, columns=cols)


# =====================================================================================
# Subtype heatmap
# =====================================================================================
def subtype_heatmap(
    df: pd.DataFrame,
    features: Sequence[str],
    dictionary: DataDictionary,
    subtypes: Sequence[str] = ("Mi2", "MDA5", "TIF1g", "NXP2", "SAE", "seronegative"),
    fdr: bool = False,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Frequency of each binary feature in each antibody subtype vs the rest.

    For subtype ``s`` and feature ``f``: ``n/N`` (``pct``) among patients of subtype
    ``s``, and the same among the "rest" -- patients with a known subtype other than
    ``s`` (``untested`` and missing subtypes are in neither group; ``multiple`` is in the
    rest); two-sided Fisher exact P (:func:`fisher_p`) of ``s`` vs rest. ``significant``
    is ``p_value < alpha`` (``q_value < alpha`` when ``fdr``, q-values over all cells).
    Continuous features are skipped (the heatmap shows frequencies).

    Returns
    -------
    pandas.DataFrame
        Long format, columns ``subtype``, ``subtype_label``, ``feature``, ``label``,
        ``n``, ``N``, ``pct``, ``n_rest``, ``N_rest``, ``pct_rest``, ``p_value``,
        ``q_value``, ``significant``; subtypes in the given order, features in the
        given order.
    """
    if "antibody_subtype" not in df.columns:
        raise CompareError(
            "the heatmap needs the 'antibody_subtype' column (derived from the anti_* antibody "
            "columns at import)"
        )
    features = [f for f in features if dictionary.get(f).type == "binary"]
    missing = [f for f in features if f not in df.columns]
    if missing:
        raise CompareError(f"feature column(s) not in the cohort: {', '.join(missing)}")
    sub = df["antibody_subtype"].astype(object).where(df["antibody_subtype"].notna(), None)
    subtypes = list(subtypes)
    code_of = {s: i for i, s in enumerate(subtypes)}
    n_codes = len(subtypes) + 2  # other known subtype, unknown (untested / missing)
    known_other, unknown = len(subtypes), len(subtypes) + 1
    codes = _subtype_codes(sub, code_of, known_other, unknown)
    records: list[dict[str, Any]] = []
    for f in features:
        cnt = _binary_counts(_numeric_column(df, f), codes, n_codes, f)
        known = cnt[:unknown].sum(axis=0)  # [no, yes, missing] over known subtypes
        for s, i in code_of.items():
            n_yes, n_no = int(cnt[i, 1]), int(cnt[i, 0])
            r_yes, r_no = int(known[1] - n_yes), int(known[0] - n_no)
            N, N_rest = n_yes + n_no, r_yes + r_no
            records.append(
                {
                    "subtype": s, "subtype_label": SUBTYPE_LABELS.get(s, s),
                    "feature": f, "label": dictionary.label(f),
                    "n": n_yes, "N": N, "pct": 100.0 * n_yes / N if N else np.nan,
                    "n_rest": r_yes, "N_rest": N_rest,
                    "pct_rest": 100.0 * r_yes / N_rest if N_rest else np.nan,
                    "p_value": fisher_p(n_yes, n_no, r_yes, r_no),
                }
            )
    out = pd.DataFrame.from_records(
        records,
        columns=["subtype", "subtype_label", "feature", "label", "n", "N", "pct",
                 "n_rest", "N_rest", "pct_rest", "p_value"],
    )
    out["q_value"] = bh_qvalues(out["p_value"].to_numpy(dtype=np.float64)) if fdr else np.nan
    crit = out["q_value"] if fdr else out["p_value"]
    out["significant"] = (crit < alpha).fillna(False).astype(bool)
    order = {s: i for i, s in enumerate(subtypes)}
    forder = {f: i for i, f in enumerate(features)}
    out = out.sort_values(["subtype", "feature"], key=lambda c: c.map(order if c.name == "subtype" else forder))
    return out.reset_index(drop=True)


def _subtype_codes(sub: pd.Series, code_of: dict[str, int], known_other: int, unknown: int) -> np.ndarray:
    codes, uniques = pd.factorize(sub, use_na_sentinel=True)
    lookup = np.full(len(uniques) + 1, unknown, dtype=np.intp)
    for i, u in enumerate(uniques):
        lookup[i] = code_of.get(u, unknown if u == "untested" else known_other)
    return lookup[codes]


# =====================================================================================
# Published table
# =====================================================================================
_P_RE = re.compile(r"^\s*(?:p\s*)?(<=|>=|<|>|≤|≥|=)?\s*((?:\d+\.?\d*|\.\d+)(?:[eE]-?\d+)?)\s*$", re.IGNORECASE)


def _parse_printed_p(text: str) -> tuple[str, float, int]:
    """``(relation, value, decimals)`` of a printed P (".02" -> ("=", 0.02, 2))."""
    m = _P_RE.match(text.replace(",", "."))
    if not m:
        raise ValueError(text)
    rel = {"<": "<", "<=": "<", "≤": "<", ">": ">", ">=": ">", "≥": ">", None: "=", "=": "="}[m.group(1)]
    num = m.group(2)
    value = float(num)
    if not 0.0 <= value <= 1.0:
        raise ValueError(text)
    dec = len(num.split(".")[1]) if "." in num and "e" not in num.lower() else 0
    return rel, value, dec


def _read_text(source: str | Path | bytes | IO[Any]) -> str:
    if isinstance(source, (str, Path)):
        p = Path(source)
        if not p.exists():
            raise PublishedTableError(f"published table file not found: {p}")
        raw = p.read_bytes()
    elif isinstance(source, (bytes, bytearray)):
        raw = bytes(source)
    elif hasattr(source, "read"):
        if hasattr(source, "seek") and getattr(source, "seekable", lambda: True)():
            source.seek(0)
        data = source.read()
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    else:
        raise PublishedTableError(f"cannot read a published table from {type(source).__name__}")
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")  # pragma: no cover


def load_published_table(source: str | Path | bytes | IO[Any] | pd.DataFrame) -> pd.DataFrame:
    """Read and validate a published comparison table.

    Format (as ``sample_data/monseau2020_table1.csv``): one row per feature with columns
    ``feature`` (cohort column name), optional ``group`` and ``label``, two count pairs
    ``n_<A>, N_<A>, n_<B>, N_<B>`` (A first: the group compared as A) and
    ``published_p`` (as printed: ``.02``, ``<.0001``, ``>.99``). Empty counts or P mean
    "not reported". Comma or semicolon separated, UTF-8 or Windows-1252.

    Returns
    -------
    pandas.DataFrame
        Columns ``feature``, ``group``, ``label``, ``n_a``, ``N_a``, ``n_b``, ``N_b``
        (nullable Int64), ``published_p`` (text), ``p_relation`` (``=``, ``<``, ``>`` or
        ``""``), ``p_printed`` (float) and ``p_decimals`` (int); ``attrs["group_a"]`` /
        ``attrs["group_b"]`` hold the two column suffixes.

    Raises
    ------
    PublishedTableError
        With the row (file line) and column of the first problems found.
    """
    if isinstance(source, pd.DataFrame):
        raw = source.astype(object).where(source.notna(), "").astype(str)
        line_offset = 2
    else:
        text = _read_text(source)
        first = text.splitlines()[0] if text.strip() else ""
        sep = ";" if first.count(";") > first.count(",") else ","
        try:
            raw = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise PublishedTableError(f"published table is not a readable CSV: {exc}") from exc
        line_offset = 2
    raw.columns = [str(c).strip() for c in raw.columns]
    cols = list(raw.columns)
    problems: list[str] = []
    for req in ("feature", "published_p"):
        if req not in cols:
            problems.append(f"missing column '{req}'")
    pairs = [c[2:] for c in cols if c.startswith("n_") and f"N_{c[2:]}" in cols]
    if len(pairs) != 2:
        problems.append(
            "expected exactly two count pairs n_<group>/N_<group> (group A first, e.g. n_mi2_pos, "
            f"N_mi2_pos, n_mi2_neg, N_mi2_neg); found {len(pairs)}: "
            + (", ".join(f"n_{p}/N_{p}" for p in pairs) or "none")
        )
    if problems:
        raise PublishedTableError(
            "published table format: " + "; ".join(problems)
            + f". Columns found: {', '.join(cols)}. Expected: feature, group, label, n_<A>, N_<A>, "
            "n_<B>, N_<B>, published_p"
        )
    ga, gb = pairs
    out_rows = []
    seen: dict[str, int] = {}
    for i, rec in enumerate(raw.to_dict("records")):
        line = i + line_offset
        feat = rec["feature"].strip()
        if not feat:
            problems.append(f"line {line}: empty 'feature'")
            continue
        if feat in seen:
            problems.append(f"line {line}: feature '{feat}' already listed on line {seen[feat]}")
        seen[feat] = line
        row: dict[str, Any] = {
            "feature": feat,
            "group": rec.get("group", "").strip(),
            "label": rec.get("label", "").strip() or feat,
        }
        for key, g in (("a", ga), ("b", gb)):
            vals = {}
            for pre in ("n", "N"):
                col = f"{pre}_{g}"
                t = rec[col].strip()
                if t == "":
                    vals[pre] = None
                    continue
                try:
                    fv = float(t.replace(",", "."))
                except ValueError:
                    fv = math.nan
                if not math.isfinite(fv) or fv < 0 or fv != int(fv):
                    problems.append(f"line {line} (feature '{feat}'): {col} = '{t}' is not a non-negative integer")
                    vals[pre] = None
                    continue
                vals[pre] = int(fv)
            if (vals["n"] is None) != (vals["N"] is None):
                problems.append(f"line {line} (feature '{feat}'): give both n_{g} and N_{g}, or leave both empty")
            elif vals["n"] is not None and vals["n"] > vals["N"]:
                problems.append(
                    f"line {line} (feature '{feat}'): n_{g} = {vals['n']} is larger than N_{g} = {vals['N']}"
                )
            row[f"n_{key}"], row[f"N_{key}"] = vals["n"], vals["N"]
        ptxt = rec["published_p"].strip()
        row["published_p"] = ptxt
        if ptxt:
            try:
                rel, val, dec = _parse_printed_p(ptxt)
            except ValueError:
                problems.append(
                    f"line {line} (feature '{feat}'): published_p = '{ptxt}' is not a P value "
                    "(write e.g. .02, 0.35, <.001, >.99)"
                )
                rel, val, dec = "", math.nan, 0
        else:
            rel, val, dec = "", math.nan, 0
        row.update(p_relation=rel, p_printed=val, p_decimals=dec)
        out_rows.append(row)
    if problems:
        shown = problems[:10]
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise PublishedTableError("published table: " + "; ".join(shown) + more)
    if not out_rows:
        raise PublishedTableError("published table has no rows")
    out = pd.DataFrame(out_rows)
    for c in ("n_a", "N_a", "n_b", "N_b"):
        out[c] = pd.array([v for v in out[c]], dtype="Int64")
    out["p_printed"] = out["p_printed"].astype(np.float64)
    out["p_decimals"] = out["p_decimals"].astype(int)
    out.attrs["group_a"], out.attrs["group_b"] = ga, gb
    return out


#: A printed P and a recomputed one are "close" when within this factor and on the same
#: side of .05 (e.g. another test such as chi-square was used).
P_CLOSE_FACTOR = 2.0


def _p_agreement(rel: str, printed: float, decimals: int, p: float) -> str:
    """``match`` / ``close`` / ``mismatch`` of a printed P with a computed one.

    * ``=``: match when ``p`` rounded to the printed number of decimals gives the printed
      value (``|p - printed| <= 0.5 * 10**-decimals``);
    * ``<t``: match when ``p < t`` (or ``p`` rounds to ``t``); ``>t``: match when ``p > t``
      (or rounds to ``t``);
    * otherwise ``close`` when ``p`` is within a factor :data:`P_CLOSE_FACTOR` of the
      printed value (of the bound) and on the same side of .05, else ``mismatch``.
    """
    half = 0.5 * 10.0 ** (-decimals) if decimals > 0 else 0.5 * printed
    eps = 1e-12
    matched = (
        (rel == "=" and abs(p - printed) <= half + eps)
        or (rel == "<" and (p < printed + eps or round(p, decimals) <= printed))
        or (rel == ">" and (p > printed - eps or round(p, decimals) >= printed))
    )
    if matched:
        return "match"
    if printed <= 0 or p <= 0:
        return "mismatch"
    ratio = max(p, printed) / min(p, printed)
    same_side = (p < 0.05) == (printed < 0.05) or (rel == "<" and printed <= 0.05 and p < 0.05)
    if rel == "<" and p < printed:
        ratio = 1.0
    if rel == ">" and p > printed:
        ratio = 1.0
    return "close" if ratio <= P_CLOSE_FACTOR and same_side else "mismatch"


def compare_with_published(result: ComparisonResult, published: pd.DataFrame) -> pd.DataFrame:
    """Published n/N and P next to the recomputed ones, row by row, with flags.

    Parameters
    ----------
    result : ComparisonResult
        The recomputed comparison (group A must be the published table's first group).
    published : pandas.DataFrame
        From :func:`load_published_table`.

    Returns
    -------
    pandas.DataFrame
        Columns ``feature``, ``label``, ``published_n_a``, ``published_N_a``,
        ``published_n_b``, ``published_N_b``, ``published_p``, ``recomputed_n_a``,
        ``recomputed_N_a``, ``recomputed_n_b``, ``recomputed_N_b``, ``recomputed_p``,
        ``fisher_p_published`` (two-sided Fisher P on the published counts),
        ``count_mismatch`` (a reported n or N differs from the recomputed one),
        ``p_agreement`` (printed P vs ``fisher_p_published``: ``match``, ``close``,
        ``mismatch``, or ``not reported`` / ``not computable``), ``flagged`` (count
        mismatch, P mismatch, or feature missing from the comparison) and ``note``.

    Notes
    -----
    Tolerance rule (robust to rounding): the Fisher P is first rounded to the printed
    precision (".02" -> 2 decimals, ".0005" -> 4); a bound ("<.001", ">.99") is met when
    P is beyond it. A P that fails this but is within a factor 2 of the printed value and
    on the same side of .05 is ``close`` (another test, e.g. chi-square, was probably used)
    and is not flagged; anything else is a ``mismatch`` and is flagged. On Monseau 2020
    Table I, severe weakness (printed .02; Fisher on 29/54 vs 35/55 gives .33) is flagged.
    """
    needed = {"feature", "n_a", "N_a", "n_b", "N_b", "published_p", "p_relation", "p_printed", "p_decimals"}
    if not needed.issubset(published.columns):
        raise PublishedTableError("compare_with_published needs a table from load_published_table()")
    by_feat = {r["feature"]: r for r in result.rows.to_dict("records")}
    out = []
    for rec in published.to_dict("records"):
        f = rec["feature"]
        pub = [None if pd.isna(rec[c]) else int(rec[c]) for c in ("n_a", "N_a", "n_b", "N_b")]
        mine = by_feat.get(f)
        notes: list[str] = []
        row: dict[str, Any] = {
            "feature": f, "label": rec.get("label") or f,
            "published_n_a": pub[0], "published_N_a": pub[1],
            "published_n_b": pub[2], "published_N_b": pub[3],
            "published_p": rec["published_p"],
        }
        count_mismatch = False
        if mine is None or mine["type"] != "binary":
            row.update(recomputed_n_a=None, recomputed_N_a=None, recomputed_n_b=None,
                       recomputed_N_b=None, recomputed_p=math.nan)
            notes.append("not in the comparison (column absent, not selected or not binary)")
        else:
            rc = [int(mine["n_a"]), int(mine["N_a"]), int(mine["n_b"]), int(mine["N_b"])]
            row.update(recomputed_n_a=rc[0], recomputed_N_a=rc[1], recomputed_n_b=rc[2],
                       recomputed_N_b=rc[3], recomputed_p=float(mine["p_value"]))
            diffs = [
                name for name, pv, cv in zip(
                    (f"n ({result.group_a})", f"N ({result.group_a})", f"n ({result.group_b})", f"N ({result.group_b})"),
                    pub, rc,
                ) if pv is not None and pv != cv
            ]
            if diffs:
                count_mismatch = True
                notes.append("counts differ: " + ", ".join(diffs))
        if None in pub:
            fisher_pub = math.nan
        else:
            a, n1, c, n2 = pub  # type: ignore[misc]
            fisher_pub = fisher_p(a, n1 - a, c, n2 - c) if n1 and n2 else math.nan
        row["fisher_p_published"] = fisher_pub
        if not rec["published_p"]:
            agreement = "not reported"
        elif math.isnan(fisher_pub):
            agreement = "not computable"
        else:
            agreement = _p_agreement(rec["p_relation"], rec["p_printed"], int(rec["p_decimals"]), fisher_pub)
            if agreement == "close":
                notes.append(f"printed P {rec['published_p']} vs Fisher {format_p(fisher_pub)}: close (another test?)")
            elif agreement == "mismatch":
                notes.append(
                    f"printed P {rec['published_p']} inconsistent with Fisher's test on the published counts "
                    f"({fisher_pub:.3g})"
                )
        row["count_mismatch"] = count_mismatch
        row["p_agreement"] = agreement
        row["flagged"] = bool(count_mismatch or agreement == "mismatch" or mine is None)
        row["note"] = "; ".join(notes)
        out.append(row)
    cols = [
        "feature", "label", "published_n_a", "published_N_a", "published_n_b", "published_N_b",
        "published_p", "recomputed_n_a", "recomputed_N_a", "recomputed_n_b", "recomputed_N_b",
        "recomputed_p", "fisher_p_published", "count_mismatch", "p_agreement", "flagged", "note",
    ]
    df = pd.DataFrame(out, columns=cols)
    for c in cols[2:6] + cols[7:11]:
        df[c] = pd.array([None if v is None or (isinstance(v, float) and math.isnan(v)) else int(v) for v in df[c]],
                         dtype="Int64")
    df["recomputed_p"] = df["recomputed_p"].astype(np.float64)
    df["fisher_p_published"] = df["fisher_p_published"].astype(np.float64)
    return df


# =====================================================================================
# Methods paragraph
# =====================================================================================
def methods_text(result: ComparisonResult, filters_description: str = "") -> str:
    """One-paragraph methods text for the comparison (tests, missing data, filters)."""
    rows = result.rows
    has_bin = bool((rows["type"] == "binary").any())
    has_cont = bool((rows["type"] == "continuous").any())
    filt = filters_description.strip().rstrip(".")
    parts = [
        f"Patients were compared between two groups: {result.group_a} (n = {result.n_a}) and "
        f"{result.group_b} (n = {result.n_b})"
        + (f"; {result.n_excluded} patient{'s' if result.n_excluded != 1 else ''} with a missing or other "
           "grouping value were excluded" if result.n_excluded else "")
        + "."
    ]
    parts.append(f"Cohort filters: {filt}." if filt else "No cohort filter was applied.")
    parts.append(
        "Missing values were excluded feature by feature from numerators and denominators (n/N), "
        "without imputation."
    )
    if has_bin:
        parts.append(
            "Binary features are reported as n/N (%) and compared with the two-sided Fisher exact test; "
            f"odds ratios ({result.group_a} vs {result.group_b}) are conditional maximum-likelihood "
            f"estimates with exact {round(100 * result.conf_level)}% confidence intervals (as in R's "
            "fisher.test); a zero cell gives an odds ratio of 0 or infinity with an unbounded limit."
        )
    if has_cont:
        parts.append(
            "Continuous features are reported as median (interquartile range, quantile definition 7) "
            "and compared with the two-sided Mann-Whitney U test (normal approximation with tie and "
            "continuity corrections, as R's wilcox.test with exact = FALSE)."
        )
    if result.fdr:
        parts.append(
            f"P values of the {rows['p_value'].notna().sum()} tests were adjusted for multiple comparisons "
            "with the Benjamini-Hochberg false discovery rate procedure (q-values)."
        )
    else:
        parts.append("P values are not adjusted for multiple comparisons.")
    parts.append("P < .05 was considered significant. Computed with Myoscope.")
    return " ".join(parts)
