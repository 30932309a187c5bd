"""Statistical tests and intervals shared by the analyses (no pandas, no cohort logic).

* Fisher's exact test of a 2x2 table with the conditional maximum-likelihood odds ratio and
  its exact confidence interval, as R ``fisher.test`` (Fisher 1935; Cornfield 1956;
  Agresti 2002, sec. 3.5, 16.6): :func:`fisher_p`, :func:`fisher_2x2`;
* the two-sided Mann-Whitney U test (normal approximation, tie and continuity corrections,
  as R ``wilcox.test(exact = FALSE, correct = TRUE)``): :func:`mann_whitney`;
* sample quantiles, R ``quantile`` type 7 (Hyndman & Fan 1996): :func:`quantiles_type7`;
* r x c tables: Fisher's exact test by complete enumeration of the tables with the
  observed margins (Freeman & Halton 1951; as R ``fisher.test``, which uses the FEXACT
  network algorithm of Mehta & Patel 1983 -- SciPy has no r x c Fisher test), feasible up
  to :data:`FISHER_MAX_TABLES` tables, and Pearson's chi-square without continuity
  correction (``chisq.test(correct = FALSE)``): :func:`fisher_rxc_p`, :func:`chisq_rxc`,
  :func:`contingency_test` (Fisher when feasible, else chi-square with a warning);
* the Kruskal-Wallis test, tie-corrected (``kruskal.test``; :func:`scipy.stats.kruskal`):
  :func:`kruskal_wallis`;
* Benjamini-Hochberg q-values (Benjamini & Hochberg 1995; as R ``p.adjust(, "BH")``):
  :func:`bh_qvalues`;
* confidence intervals of a ratio observed / expected of Poisson counts (an SIR) and the
  two-sided exact Poisson test (Breslow & Day 1987, *Statistical Methods in Cancer
  Research II*, ch. 2; Ulm 1990, Am J Epidemiol 131:373): :func:`sir_ci`,
  :func:`poisson_test_p`.

Poisson intervals of ``SIR = O / E`` (``a = 1 - conf_level``, ``z`` its normal quantile):

* ``exact`` (default): ``[chi2(a/2; 2O) / 2E, chi2(1 - a/2; 2O + 2) / 2E]`` (lower 0
  when O = 0), identical to R ``poisson.test(O, E)$conf.int``;
* ``midp``: Poisson mid-p limits (Rothman & Greenland, *Modern Epidemiology*): mu_L with
  ``P(X > O) + P(X = O)/2 = a/2``, mu_U with ``P(X < O) + P(X = O)/2 = a/2``, divided by E
  (solved with :func:`scipy.optimize.brentq`);
* ``byar``: ``O (1 - 1/(9O) - z/(3 sqrt O))^3 / E`` and
  ``(O+1) (1 - 1/(9(O+1)) + z/(3 sqrt(O+1)))^3 / E``;
* ``wald``: log-Wald ``exp(ln(O/E) +/- z / sqrt O)`` (undefined for O = 0).

Three statistics are hand-written, on purpose:

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
  :func:`scipy.stats.rankdata` needs); the same sorted arrays give the quartiles
  (:func:`mann_whitney_sorted`, :func:`quantiles_sorted` take them directly).
* :func:`poisson_test_p` -- a line-by-line port of R's ``poisson.test(O, E)``
  (probabilities of outcomes no more likely than ``O``, relative tolerance 1 + 1e-7);
  SciPy has no one-sample Poisson test with this two-sided rule.

All are tested against R fixtures (``tests/reference/compare``,
``tests/reference/compare_multi``, ``tests/reference/cancer_risk``) and against SciPy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import optimize, special, stats

from core.i18n import _, language

__all__ = [
    "CI_METHODS",
    "FISHER_MAX_TABLES",
    "CIMethod",
    "ContingencyResult",
    "FisherResult",
    "KruskalResult",
    "MannWhitneyResult",
    "StatsError",
    "bh_qvalues",
    "chisq_rxc",
    "contingency_test",
    "fisher_2x2",
    "fisher_p",
    "fisher_rxc_p",
    "kruskal_wallis",
    "mann_whitney",
    "mann_whitney_sorted",
    "poisson_test_p",
    "quantiles_sorted",
    "quantiles_type7",
    "sir_ci",
]

#: R's relative tolerance for "as or less probable" outcomes in two-sided exact tests
#: (``fisher.test``, ``poisson.test``).
_R_REL_ERR = 1.0 + 1e-7
#: Log-density drop that makes truncated mass negligible (< 1e-15) for the root searches.
_LOG_NEGLIGIBLE = 36.0

CIMethod = Literal["exact", "midp", "byar", "wald"]
#: Confidence-interval methods of :func:`sir_ci`.
CI_METHODS: tuple[str, ...] = ("exact", "midp", "byar", "wald")


class StatsError(ValueError):
    """Invalid input to a statistical test (cell counts, values, confidence level)."""


def _check_conf_level(conf_level: float) -> float:
    """``alpha = 1 - conf_level``; raises unless ``0 < conf_level < 1``."""
    if not (0 < conf_level < 1):
        raise StatsError(f"conf_level must be between 0 and 1 (got {conf_level})")
    return 1.0 - conf_level


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
            raise StatsError(f"2x2 table cell {name} is missing or not finite: {v!r}")
        iv = round(float(v))
        if iv < 0 or abs(iv - float(v)) > 1e-9:
            raise StatsError(f"2x2 table cell {name} must be a non-negative integer, got {v!r}")
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
    for _it in range(200):
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
    raise StatsError("odds-ratio root search did not converge")  # pragma: no cover


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
    _check_conf_level(conf_level)
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
        for _it in range(20):
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


def mann_whitney_sorted(sa: np.ndarray, sb: np.ndarray) -> MannWhitneyResult:
    """:func:`mann_whitney` of two samples already sorted, without NaN or infinity.

    The rank sum of ``sa`` is obtained from the positions of its distinct values in
    ``sb`` (:func:`numpy.searchsorted`): a tie block of value ``v`` has average pooled rank
    ``i_a + i_b + (t + 1) / 2`` (``i_a``, ``i_b`` values below ``v`` in each sample, ``t``
    the block size); the tie correction sums ``t^3 - t`` over all blocks.
    """
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
    ub, _idx, cb = _unique_sorted(sb)
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
        raise StatsError("mann_whitney: infinite values are not allowed")
    return mann_whitney_sorted(np.sort(xa[~np.isnan(xa)]), np.sort(ya[~np.isnan(ya)]))


def quantiles_sorted(s: np.ndarray, probs: Sequence[float] = (0.25, 0.5, 0.75)) -> list[float]:
    """:func:`quantiles_type7` of a sample already sorted, without NaN."""
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
    return quantiles_sorted(np.sort(a[~np.isnan(a)]), probs)


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
            raise StatsError("P values must lie in [0, 1] for the Benjamini-Hochberg adjustment")
        q[ok] = stats.false_discovery_control(p[ok], method="bh")
    return q


# =====================================================================================
# Poisson confidence intervals of observed / expected, exact Poisson test
# =====================================================================================
def sir_ci(
    observed: int,
    expected: float,
    method: CIMethod = "exact",
    conf_level: float = 0.95,
) -> tuple[float, float]:
    """Confidence interval of SIR = observed / expected.

    Parameters
    ----------
    observed : int
        Observed count O (>= 0).
    expected : float
        Expected count E (> 0).
    method : {"exact", "midp", "byar", "wald"}
        See the module docstring for the formulas.
    conf_level : float
        Confidence level (0.95).

    Returns
    -------
    (float, float)
        Lower and upper limits; NaN when E <= 0, and for ``wald`` when O = 0.
    """
    alpha = _check_conf_level(conf_level)
    if method not in CI_METHODS:
        raise StatsError(f"unknown CI method {method!r}; use one of {', '.join(CI_METHODS)}")
    o = int(observed)
    if o < 0:
        raise StatsError(f"observed count must be >= 0 (got {observed})")
    e = float(expected)
    if not (e > 0) or math.isinf(e):
        return (math.nan, math.nan)
    z = float(stats.norm.ppf(1 - alpha / 2))
    if method == "exact":
        lo = 0.0 if o == 0 else float(stats.chi2.ppf(alpha / 2, 2 * o)) / 2
        hi = float(stats.chi2.ppf(1 - alpha / 2, 2 * o + 2)) / 2
    elif method == "midp":
        hi_bracket = o + 20.0 * math.sqrt(o + 1.0) + 50.0

        def upper(mu: float) -> float:
            return float(stats.poisson.cdf(o - 1, mu) + 0.5 * stats.poisson.pmf(o, mu)) - alpha / 2

        hi = float(optimize.brentq(upper, 1e-12, hi_bracket, xtol=1e-14, rtol=1e-13))
        if o == 0:
            lo = 0.0
        else:

            def lower(mu: float) -> float:
                return float(stats.poisson.sf(o, mu) + 0.5 * stats.poisson.pmf(o, mu)) - alpha / 2

            lo = float(optimize.brentq(lower, 1e-12, hi_bracket, xtol=1e-14, rtol=1e-13))
    elif method == "byar":
        lo = 0.0 if o == 0 else o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3
        o1 = o + 1
        hi = o1 * (1 - 1 / (9 * o1) + z / (3 * math.sqrt(o1))) ** 3
    else:  # wald
        if o == 0:
            return (math.nan, math.nan)
        sir = o / e
        return (sir * math.exp(-z / math.sqrt(o)), sir * math.exp(z / math.sqrt(o)))
    return (lo / e, hi / e)


def poisson_test_p(observed: int, expected: float) -> float:
    """Two-sided exact Poisson test P of ``observed`` against mean ``expected``.

    Port of R ``poisson.test(x, T = expected, r = 1)$p.value`` (stats package): the sum
    of the probabilities of all outcomes whose probability is at most that of the
    observed count (relative tolerance 1 + 1e-7).

    Parameters
    ----------
    observed : int
    expected : float

    Returns
    -------
    float
        P value (NaN when ``expected`` <= 0).
    """
    x = int(observed)
    m = float(expected)
    if not (m > 0) or math.isinf(m):
        return math.nan
    if m == 0:
        return 1.0 if x == 0 else 0.0
    d = float(stats.poisson.pmf(x, m))
    if x == m:
        return 1.0
    if x < m:
        n = math.ceil(2 * m - x)
        while stats.poisson.pmf(n, m) > d:
            n *= 2
        i = np.arange(math.ceil(m), n + 1)
        y = int(np.sum(stats.poisson.pmf(i, m) <= d * _R_REL_ERR))
        p = float(stats.poisson.cdf(x, m) + stats.poisson.sf(n - y, m))
    else:
        i = np.arange(0, math.floor(m) + 1)
        y = int(np.sum(stats.poisson.pmf(i, m) <= d * _R_REL_ERR))
        p = float(stats.poisson.cdf(y - 1, m) + stats.poisson.sf(x - 1, m))
    return min(1.0, p)



# =====================================================================================
# r x c tables: Fisher exact (enumeration), Pearson chi-square; Kruskal-Wallis
# =====================================================================================
#: Largest number of tables (with the observed margins) that :func:`fisher_rxc` enumerates;
#: beyond it the exact test is declared infeasible (about 1-2 s and ~100 MB at the bound).
FISHER_MAX_TABLES = 2_000_000
#: FEXACT's tolerance (R ``fisher.test`` for r x c tables): a table counts as "as or less
#: probable" when its log-probability is at most the observed one plus this.
_FEXACT_TOL = 3.4525e-7


@dataclass(frozen=True)
class ContingencyResult:
    """Test of independence of an r x c table.

    Attributes
    ----------
    p_value : float
        Two-sided P of the test used (NaN when fewer than 2 non-empty rows or columns).
    method : str
        ``"Fisher exact"`` or ``"Pearson chi-square"``.
    statistic, df : float
        Pearson's X^2 and its degrees of freedom (always computed, as
        ``chisq.test(correct = FALSE)``).
    chisq_p : float
        P of the chi-square test.
    n_tables : int
        Tables enumerated by the exact test (0 when it was not run).
    min_expected : float
        Smallest expected count under independence.
    warning : str
        Why the exact test was not used, and/or that expected counts are < 5.
    """

    p_value: float
    method: str
    statistic: float
    df: float
    chisq_p: float
    n_tables: int
    min_expected: float
    warning: str = ""


def _drop_empty(table: np.ndarray) -> np.ndarray:
    """The table without all-zero rows and columns."""
    t = np.asarray(table, dtype=np.int64)
    return t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]


def _expand_cell(rem: np.ndarray, colrem: np.ndarray, acc: np.ndarray, i: int,
                 limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """One enumeration step: every feasible value of cell ``i`` of the current column
    for every partial table (``rem`` remaining row margins, ``colrem`` what the column
    still needs, ``acc`` sum of log(cell!) so far). ``None`` when more than ``limit``."""
    cap_after = rem[:, i + 1:].sum(axis=1)
    lo = np.maximum(0, colrem - cap_after)
    hi = np.minimum(rem[:, i], colrem)
    width = hi - lo + 1
    total = int(width.sum())
    if total > limit:
        return None
    rep = np.repeat(np.arange(rem.shape[0]), width)
    start = np.cumsum(width) - width
    x = lo[rep] + (np.arange(total) - start[rep])
    rem2 = rem[rep].copy()
    rem2[:, i] -= x
    return rem2, colrem[rep] - x, acc[rep] + special.gammaln(x + 1.0)


def _table_log_factorials(rows: np.ndarray, cols: np.ndarray, limit: int) -> np.ndarray | None:
    """``sum log(cell!)`` of every table with margins ``rows`` and ``cols`` (breadth-first
    enumeration, cell by cell, keeping only partial tables that can be completed); ``None``
    when there are more than ``limit`` tables."""
    r = rows.size
    rem = rows[None, :].astype(np.int64)
    acc = np.zeros(1)
    for j, cj in enumerate(cols):
        if j == cols.size - 1:  # last column: the remaining margins
            return acc + special.gammaln(rem + 1.0).sum(axis=1)
        colrem = np.full(rem.shape[0], cj, dtype=np.int64)
        for i in range(r - 1):
            step = _expand_cell(rem, colrem, acc, i, limit)
            if step is None:
                return None
            rem, colrem, acc = step
        acc = acc + special.gammaln(colrem + 1.0)  # last cell of the column
        rem = rem.copy()
        rem[:, r - 1] -= colrem
    return acc  # pragma: no cover - cols has at least 2 entries


def fisher_rxc_p(table: np.ndarray, max_tables: int = FISHER_MAX_TABLES) -> tuple[float, int]:
    """Fisher's exact test of an r x c table by complete enumeration, as R ``fisher.test``.

    Every table with the observed row and column margins is enumerated; its conditional
    probability (multivariate hypergeometric; Freeman & Halton 1951) is
    ``prod(r_i!) prod(c_j!) / (N! prod(x_ij!))``. P is the sum over the tables whose
    probability is at most that of the observed table (log tolerance 3.4525e-7, as
    FEXACT, Mehta & Patel 1983, which R uses).

    Parameters
    ----------
    table : array of int
        Counts; all-zero rows and columns are dropped first.
    max_tables : int
        Feasibility bound: more tables than this -> ``(nan, 0)``.

    Returns
    -------
    (float, int)
        P value (NaN when infeasible or fewer than 2 rows/columns remain; 1 when only one
        table exists) and the number of tables enumerated.
    """
    t = _drop_empty(table)
    if t.shape[0] < 2 or t.shape[1] < 2:
        return math.nan, 0
    if t.shape[0] > t.shape[1]:
        t = t.T  # fewer rows: fewer enumeration steps per column
    rows, cols = t.sum(axis=1), t.sum(axis=0)
    logs = _table_log_factorials(rows, cols, max_tables)
    if logs is None:
        return math.nan, 0
    const = special.gammaln(rows + 1.0).sum() + special.gammaln(cols + 1.0).sum() - special.gammaln(t.sum() + 1.0)
    obs = float(special.gammaln(t + 1.0).sum())
    # less probable <=> larger sum of log(x!)
    keep = logs >= obs - _FEXACT_TOL
    p = float(np.exp(const - logs[keep]).sum())
    return min(1.0, p), int(logs.size)


def chisq_rxc(table: np.ndarray) -> tuple[float, float, float, float]:
    """Pearson's chi-square test of independence without continuity correction, as R
    ``chisq.test(x, correct = FALSE)``: ``X^2 = sum (O - E)^2 / E``, ``E = r_i c_j / N``,
    ``df = (r - 1)(c - 1)`` (Pearson 1900; Agresti 2002, sec. 3.2).

    Returns
    -------
    (statistic, df, p_value, min_expected)
        NaN when fewer than 2 non-empty rows or columns (all-zero ones are dropped).
    """
    t = _drop_empty(table).astype(np.float64)
    if t.shape[0] < 2 or t.shape[1] < 2:
        return math.nan, math.nan, math.nan, math.nan
    expected = np.outer(t.sum(axis=1), t.sum(axis=0)) / t.sum()
    stat = float(((t - expected) ** 2 / expected).sum())
    df = float((t.shape[0] - 1) * (t.shape[1] - 1))
    return stat, df, float(stats.chi2.sf(stat, df)), float(expected.min())


def contingency_test(table: np.ndarray, max_tables: int = FISHER_MAX_TABLES) -> ContingencyResult:
    """Fisher's exact test of an r x c table when feasible, else Pearson's chi-square.

    The exact test (:func:`fisher_rxc_p`) is used whenever the tables with the observed
    margins number at most ``max_tables``; otherwise the chi-square test
    (:func:`chisq_rxc`) is reported with a warning, which also says when an expected count
    is below 5 (the chi-square approximation is then doubtful).
    """
    stat, df, chi_p, min_e = chisq_rxc(table)
    if math.isnan(stat):
        return ContingencyResult(math.nan, "Fisher exact", stat, df, chi_p, 0, min_e)
    p, n_tables = fisher_rxc_p(table, max_tables)
    if n_tables:
        return ContingencyResult(p, "Fisher exact", stat, df, chi_p, n_tables, min_e)
    values = {"n": _thousands(max_tables), "min_e": _loc(f"{min_e:.2g}")}
    if min_e < 5:
        warning = _("more than {n} tables with these margins: Fisher's exact test not feasible, Pearson's "
                    "chi-square used although an expected count is below 5 ({min_e}): interpret with caution", **values)
    else:
        warning = _("more than {n} tables with these margins: Fisher's exact test not feasible, Pearson's "
                    "chi-square used", **values)
    return ContingencyResult(chi_p, "Pearson chi-square", stat, df, chi_p, 0, min_e, warning)


@dataclass(frozen=True)
class KruskalResult:
    """Kruskal-Wallis rank-sum test (tie-corrected chi-square approximation).

    Attributes
    ----------
    statistic, df, p_value : float
        ``H`` (R's "Kruskal-Wallis chi-squared"), ``k - 1`` and P; NaN when fewer than two
        samples have values or all values are equal.
    """

    statistic: float
    df: float
    p_value: float


def kruskal_wallis(samples: Sequence[np.ndarray]) -> KruskalResult:
    """Kruskal-Wallis test of k samples, as R ``kruskal.test`` (Kruskal & Wallis 1952):
    ``H = [12 / (N (N + 1)) sum R_i^2 / n_i - 3 (N + 1)] / [1 - sum(t^3 - t) / (N^3 - N)]``,
    ``df = k - 1``, P from the chi-square distribution (:func:`scipy.stats.kruskal`).
    NaN values and empty samples are dropped.
    """
    clean = [np.asarray(s, dtype=np.float64) for s in samples]
    clean = [s[~np.isnan(s)] for s in clean]
    clean = [s for s in clean if s.size]
    if len(clean) < 2:
        return KruskalResult(math.nan, math.nan, math.nan)
    pooled = np.concatenate(clean)
    if np.all(pooled == pooled[0]):
        return KruskalResult(math.nan, float(len(clean) - 1), math.nan)
    res = stats.kruskal(*clean)
    return KruskalResult(float(res.statistic), float(len(clean) - 1), float(res.pvalue))


def _loc(text: str) -> str:
    """A formatted number with the language's decimal mark."""
    return text.replace(".", ",") if language() == "fr" else text


def _thousands(n: int) -> str:
    """``1,000,000`` (French ``1 000 000`` with narrow no-break spaces)."""
    return f"{n:,}".replace(",", "\u202f") if language() == "fr" else f"{n:,}"
