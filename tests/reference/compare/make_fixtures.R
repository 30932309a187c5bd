#!/usr/bin/env Rscript
# Reference values for core/compare.py (feature comparison, Table I).
#
# Run from anywhere:  Rscript tests/reference/compare/make_fixtures.R
# Writes, next to this script:
#   fisher.csv   2x2 tables (a, b / c, d = group A yes, no / group B yes, no) with
#                fisher.test() two-sided P, conditional MLE odds ratio and exact 95% CI,
#                plus the same OR / CI re-solved with a tight tolerance (see below).
#   wilcox.csv   two samples x, y (";"-separated) with wilcox.test(x, y, exact = FALSE,
#                correct = TRUE) statistic W and P, and quantile(type = 7) quartiles.
#   p_adjust.csv p values and p.adjust(p, "BH").
# Every number is printed with sprintf("%.15g"). Inputs are integers or have few decimals,
# so the printed inputs are exactly the values R used.
#
# fisher.test() finds the OR and CI with uniroot()'s default tolerance
# (.Machine$double.eps^0.25, about 1.2e-4 absolute on t = OR when OR < 1, or on t = 1 / OR
# when OR > 1). The *_tight columns re-solve the same equations as fisher.test
# (conditional MLE: E[X | psi] = x; CI: P(X <= x | psi_U) = alpha, P(X >= x | psi_L) = alpha)
# on the log(psi) scale with tol = 1e-13, using R's dhyper/phyper, so tests can compare at
# 1e-6 relative.

args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(file_arg)) dirname(normalizePath(file_arg)) else "."

fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.15g", x))

# ---------------------------------------------------------------- Fisher -----------
tight_or <- function(a, b, c, d, conf.level = 0.95) {
  m <- a + c; n <- b + d; k <- a + b; x <- a
  lo <- max(0, k - n); hi <- min(k, m)
  support <- lo:hi
  logdc <- dhyper(support, m, n, k, log = TRUE)
  dn <- function(lpsi) { dd <- logdc + lpsi * support; dd <- exp(dd - max(dd)); dd / sum(dd) }
  mn <- function(lpsi) sum(support * dn(lpsi))
  pn_low <- function(lpsi) sum(dn(lpsi)[support <= x])
  pn_up <- function(lpsi) sum(dn(lpsi)[support >= x])
  solve <- function(f) {
    # f increasing or decreasing in lpsi; widen the bracket until the sign changes
    lo_b <- -1; hi_b <- 1
    while (sign(f(lo_b)) == sign(f(hi_b))) { lo_b <- 2 * lo_b; hi_b <- 2 * hi_b }
    exp(uniroot(f, c(lo_b, hi_b), tol = 1e-13, maxiter = 10000)$root)
  }
  alpha <- (1 - conf.level) / 2
  if (lo == hi) return(c(NA, NA, NA))
  est <- if (x == lo) 0 else if (x == hi) Inf else solve(function(l) mn(l) - x)
  ci_low <- if (x == lo) 0 else solve(function(l) pn_up(l) - alpha)
  ci_high <- if (x == hi) Inf else solve(function(l) pn_low(l) - alpha)
  c(est, ci_low, ci_high)
}

tables <- list()
add <- function(name, a, b, c, d) tables[[length(tables) + 1]] <<- data.frame(
  name = name, a = a, b = b, c = c, d = d, stringsAsFactors = FALSE)

# Monseau 2020 Table I counts: anti-Mi2+ n/N vs anti-Mi2- n/N
t1 <- read.csv(file.path(out_dir, "..", "..", "..", "sample_data", "monseau2020_table1.csv"),
               stringsAsFactors = FALSE)
t1 <- t1[!is.na(t1$n_mi2_pos) & !is.na(t1$n_mi2_neg), ]
for (i in seq_len(nrow(t1))) {
  add(paste0("table1_", t1$feature[i]), t1$n_mi2_pos[i], t1$N_mi2_pos[i] - t1$n_mi2_pos[i],
      t1$n_mi2_neg[i], t1$N_mi2_neg[i] - t1$n_mi2_neg[i])
}
# zero cells, boundaries, ties, degenerate margins
add("zero_a", 0, 5, 3, 4); add("zero_b", 5, 0, 3, 4); add("zero_c", 3, 4, 0, 5)
add("zero_d", 3, 4, 5, 0); add("zero_ad", 0, 7, 6, 0); add("zero_bc", 7, 0, 0, 6)
add("one_one", 1, 0, 0, 1); add("ten_ten", 10, 0, 0, 10); add("zero_a_large", 0, 60, 8, 47)
add("symmetric", 3, 5, 5, 3); add("all_equal", 10, 10, 10, 10); add("tie_sym", 4, 6, 6, 4)
add("degenerate_col", 0, 10, 0, 12); add("degenerate_col2", 10, 0, 12, 0)
add("degenerate_row", 0, 0, 3, 4); add("single", 1, 0, 0, 0)
add("tiny_p", 40, 0, 0, 40); add("all_pos_a", 64, 0, 20, 35)
# large counts
add("large_10k", 2500, 2500, 2400, 2600); add("large_10k_b", 600, 4400, 400, 4600)
add("large_1m", 250000, 250000, 249000, 251000); add("large_1m_rare", 30, 499970, 12, 499988)
add("large_unbalanced", 5000, 45000, 4000, 46000); add("large_zero", 0, 20000, 15, 19985)
add("large_strong", 300, 200, 100, 400)
# random tables
set.seed(20200601)
for (i in 1:150) {
  size <- sample(c(5, 20, 60, 200, 1000), 1)
  p1 <- runif(1, 0.02, 0.98); p2 <- runif(1, 0.02, 0.98)
  n1 <- sample(1:size, 1); n2 <- sample(1:size, 1)
  a <- rbinom(1, n1, p1); c <- rbinom(1, n2, p2)
  add(sprintf("random_%03d", i), a, n1 - a, c, n2 - c)
}
tab <- do.call(rbind, tables)

rows <- character(nrow(tab))
for (i in seq_len(nrow(tab))) {
  a <- tab$a[i]; b <- tab$b[i]; c <- tab$c[i]; d <- tab$d[i]
  ft <- fisher.test(matrix(c(a, c, b, d), 2))  # rows = group A, B; columns = yes, no
  tight <- tight_or(a, b, c, d)
  rows[i] <- paste(tab$name[i], a, b, c, d, fmt(ft$p.value), fmt(ft$estimate),
                   fmt(ft$conf.int[1]), fmt(ft$conf.int[2]),
                   fmt(tight[1]), fmt(tight[2]), fmt(tight[3]), sep = ",")
}
writeLines(c("name,a,b,c,d,p_value,odds_ratio,ci_low,ci_high,odds_ratio_tight,ci_low_tight,ci_high_tight",
             rows), file.path(out_dir, "fisher.csv"))

# ---------------------------------------------------------------- Wilcoxon ---------
set.seed(19)
cases <- list(
  no_ties = list(x = round(rnorm(12, 10, 3), 2), y = round(rnorm(9, 12, 3), 2)),
  ties_small_int = list(x = sample(1:5, 20, TRUE), y = sample(1:6, 13, TRUE)),
  unequal_3_50 = list(x = round(runif(3, 0, 100), 1), y = round(runif(50, 0, 100), 1)),
  one_each = list(x = 3, y = 7),
  one_vs_many_tied = list(x = 5, y = c(5, 5, 5, 6, 4)),
  ck_like = list(x = round(exp(rnorm(60, log(3748), 1.3))), y = round(exp(rnorm(50, log(1680), 1.2)))),
  heavy_ties = list(x = sample(c(0, 1, 2), 40, TRUE, prob = c(.6, .3, .1)),
                    y = sample(c(0, 1, 2), 35, TRUE, prob = c(.3, .3, .4))),
  identical_groups = list(x = c(1, 2, 3, 4), y = c(1, 2, 3, 4)),
  shifted = list(x = 1:30, y = 31:40),
  large = list(x = round(rnorm(2000, 50, 12)), y = round(rnorm(3000, 51, 12))),
  negative_decimals = list(x = round(rnorm(25, -1, 0.5), 3), y = round(rnorm(17, -0.7, 0.5), 3))
)
wrows <- character(0)
for (nm in names(cases)) {
  x <- cases[[nm]]$x; y <- cases[[nm]]$y
  wt <- suppressWarnings(wilcox.test(x, y, exact = FALSE, correct = TRUE))
  qx <- quantile(x, c(.25, .5, .75), type = 7); qy <- quantile(y, c(.25, .5, .75), type = 7)
  wrows <- c(wrows, paste(nm, paste(fmt(x), collapse = ";"), paste(fmt(y), collapse = ";"),
                          fmt(wt$statistic), fmt(wt$p.value),
                          fmt(qx[1]), fmt(qx[2]), fmt(qx[3]), fmt(qy[1]), fmt(qy[2]), fmt(qy[3]),
                          sep = ","))
}
# all values equal: SIGMA = 0, R returns NaN
x <- c(2, 2, 2); y <- c(2, 2)
wt <- suppressWarnings(wilcox.test(x, y, exact = FALSE, correct = TRUE))
wrows <- c(wrows, paste("all_equal", "2;2;2", "2;2", fmt(wt$statistic), fmt(wt$p.value),
                        2, 2, 2, 2, 2, 2, sep = ","))
writeLines(c("name,x,y,statistic,p_value,q1_x,median_x,q3_x,q1_y,median_y,q3_y", wrows),
           file.path(out_dir, "wilcox.csv"))

# ---------------------------------------------------------------- BH ---------------
set.seed(7)
pcases <- list(
  uniform30 = signif(runif(30), 12),
  small_mixed = signif(c(runif(10, 0, 0.01), runif(20)), 12),
  with_ties = c(0.01, 0.01, 0.02, 0.04, 0.04, 0.5, 0.5, 1),
  with_na = c(0.001, NA, 0.03, 0.2, NA, 0.04),
  single = 0.03,
  table1 = signif(c(.13, .06, 1, .02, .78, .8, .0005, .05, .008, .0004, .02, .35, .02, .28,
                    .56, .87, .46, 1, .26, .13, .01, .08, 1, .25, .002), 12)
)
prows <- character(0)
for (nm in names(pcases)) {
  p <- pcases[[nm]]
  q <- p.adjust(p, "BH")
  prows <- c(prows, paste(nm, seq_along(p), fmt(p), fmt(q), sep = ","))
}
writeLines(c("name,index,p,q", prows), file.path(out_dir, "p_adjust.csv"))
cat("fixtures written to", out_dir, "\n")
