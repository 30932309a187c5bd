#!/usr/bin/env Rscript
# Feature comparison ("Table I") on real data, reference values for
# core.compare.compare_groups.
#
# Run from anywhere:  Rscript tests/reference/realdata/make_compare_fixtures.R
# Reads the cohort CSVs written by make_cohorts.R (tests/data/realdata/{lung,pbc,veteran,
# colon}.csv: survival::lung, pbc, veteran, colon), so R and Python use the same printed
# values. Writes, next to this script:
#   compare_tables.csv    one row per comparison: data set, split, the two group labels
#                         (A first: odds ratios are A over B), patients in A, in B, in
#                         neither (split value missing or another label)
#   compare_<table>.csv   one row per feature, in table order: type (binary / continuous),
#                         binary: n yes / N recorded per group, fisher.test() two-sided P,
#                           conditional MLE odds ratio and exact 95% CI as fisher.test
#                           prints them, and the same OR / CI re-solved with a tight
#                           tolerance (*_tight; see below);
#                         continuous: non-missing n per group, quantile(type = 7) quartiles
#                           and median per group, wilcox.test(exact = FALSE, correct = TRUE)
#                           P (normal approximation, tie and continuity corrections);
#                         q_value = p.adjust(P, "BH") over all features of the table.
# Every number is printed with sprintf('%.15g'); missing values are excluded per feature
# (numerator and denominator for binary features, the sample for continuous ones).
#
# Features derived from the data set's columns (the Python test derives them the same way;
# a missing source value stays missing):
#   lung:    ecog0 = ph_ecog == 0
#   pbc:     female = sex == "F"; edema_any = edema > 0; group labels from trt:
#            1 = "D-penicillamine", 2 = "placebo" (106 non-randomised patients, trt
#            missing, in neither group)
#   veteran: prior_therapy = prior == 10; squamous, smallcell, adeno, large =
#            celltype == that type; group labels from trt: 1 = "standard", 2 = "test"
#   colon:   female = sex == "F"
#
# fisher.test() finds the OR and CI with uniroot()'s default tolerance
# (.Machine$double.eps^0.25, about 1.2e-4 absolute on t = OR when OR < 1, on t = 1 / OR
# when OR > 1). The *_tight columns re-solve the same equations (conditional MLE:
# E[X | psi] = x; CI: P(X >= x | psi_L) = alpha, P(X <= x | psi_U) = alpha) on the
# log(psi) scale with tol = 1e-13 using R's dhyper (as tests/reference/compare/
# make_fixtures.R), so the tests can compare at 1e-6 relative.

args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(file_arg)) dirname(normalizePath(file_arg)) else "."
data_dir <- normalizePath(file.path(here, "..", "..", "data", "realdata"))
fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.15g", x))

read_cohort <- function(name) {
  read.csv(file.path(data_dir, paste0(name, ".csv")), na.strings = "",
           stringsAsFactors = FALSE)
}

# ---------------------------------------------------------------- tight OR ---------
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

# ---------------------------------------------------------------- one table --------
compare_table <- function(d, labels, group_a, group_b, binary, continuous) {
  ia <- !is.na(labels) & labels == group_a
  ib <- !is.na(labels) & labels == group_b
  rows <- list()
  for (f in c(binary, continuous)) {
    x <- as.numeric(d[[f]])
    xa <- x[ia]; xa <- xa[!is.na(xa)]
    xb <- x[ib]; xb <- xb[!is.na(xb)]
    r <- data.frame(feature = f, type = if (f %in% binary) "binary" else "continuous",
                    n_a = NA, N_a = NA, n_b = NA, N_b = NA, p_value = NA,
                    odds_ratio = NA, or_ci_low = NA, or_ci_high = NA,
                    odds_ratio_tight = NA, or_ci_low_tight = NA, or_ci_high_tight = NA,
                    q1_a = NA, median_a = NA, q3_a = NA, q1_b = NA, median_b = NA, q3_b = NA)
    if (f %in% binary) {
      stopifnot(all(c(xa, xb) %in% c(0, 1)))
      a <- sum(xa == 1); b <- sum(xa == 0); c <- sum(xb == 1); dd <- sum(xb == 0)
      ft <- fisher.test(matrix(c(a, c, b, dd), 2))  # rows = group A, B; cols = yes, no
      t <- tight_or(a, b, c, dd)
      r$n_a <- a; r$N_a <- a + b; r$n_b <- c; r$N_b <- c + dd
      r$p_value <- ft$p.value; r$odds_ratio <- ft$estimate
      r$or_ci_low <- ft$conf.int[1]; r$or_ci_high <- ft$conf.int[2]
      r$odds_ratio_tight <- t[1]; r$or_ci_low_tight <- t[2]; r$or_ci_high_tight <- t[3]
    } else {
      wt <- wilcox.test(xa, xb, exact = FALSE, correct = TRUE)
      qa <- quantile(xa, c(.25, .5, .75), type = 7)
      qb <- quantile(xb, c(.25, .5, .75), type = 7)
      r$n_a <- length(xa); r$n_b <- length(xb); r$p_value <- wt$p.value
      r$q1_a <- qa[1]; r$median_a <- qa[2]; r$q3_a <- qa[3]
      r$q1_b <- qb[1]; r$median_b <- qb[2]; r$q3_b <- qb[3]
    }
    rows[[f]] <- r
  }
  out <- do.call(rbind, rows)
  out$q_value <- p.adjust(out$p_value, method = "BH")
  list(rows = out, n_a = sum(ia), n_b = sum(ib), n_excl = nrow(d) - sum(ia) - sum(ib))
}

# ---------------------------------------------------------------- data -------------
lung <- read_cohort("lung")
lung$ecog0 <- as.integer(lung$ph_ecog == 0)
pbc <- read_cohort("pbc")
pbc$female <- as.integer(pbc$sex == "F")
pbc$edema_any <- as.integer(pbc$edema > 0)
pbc_trt <- ifelse(is.na(pbc$trt), NA, ifelse(pbc$trt == 1, "D-penicillamine", "placebo"))
veteran <- read_cohort("veteran")
veteran$prior_therapy <- as.integer(veteran$prior == 10)
for (ct in c("squamous", "smallcell", "adeno", "large")) {
  veteran[[ct]] <- as.integer(veteran$celltype == ct)
}
vet_trt <- ifelse(veteran$trt == 1, "standard", "test")
colon <- read_cohort("colon")
colon$female <- as.integer(colon$sex == "F")

pbc_cont <- c("age_at_diagnosis", "bili", "chol", "albumin", "copper", "alk_phos", "ast",
              "trig", "platelet", "protime", "stage", "edema")
tables <- list(
  lung_sex = list(data = "lung", d = lung, split = "sex", labels = lung$sex,
                  a = "M", b = "F", binary = c("ecog0", "death"),
                  continuous = c("age_at_diagnosis", "ph_ecog", "ph_karno", "pat_karno",
                                 "meal_cal", "wt_loss")),
  pbc_trt = list(data = "pbc", d = pbc, split = "trt", labels = pbc_trt,
                 a = "D-penicillamine", b = "placebo",
                 binary = c("female", "ascites", "hepato", "spiders", "edema_any", "death"),
                 continuous = pbc_cont),
  pbc_sex = list(data = "pbc", d = pbc, split = "sex", labels = pbc$sex, a = "M", b = "F",
                 binary = c("ascites", "hepato", "spiders", "edema_any", "death"),
                 continuous = c("age_at_diagnosis", "bili", "chol", "albumin", "copper")),
  veteran_trt = list(data = "veteran", d = veteran, split = "trt", labels = vet_trt,
                     a = "test", b = "standard",
                     binary = c("prior_therapy", "squamous", "smallcell", "adeno", "large",
                                "death"),
                     continuous = c("age_at_diagnosis", "karno", "diagtime")),
  colon_sex = list(data = "colon", d = colon, split = "sex", labels = colon$sex,
                   a = "F", b = "M",
                   binary = c("obstruct", "perfor", "adhere", "node4", "surg", "death"),
                   continuous = c("age_at_diagnosis", "nodes", "differ", "extent")),
  colon_rx = list(data = "colon", d = colon, split = "rx", labels = colon$rx,
                  a = "Lev+5FU", b = "Obs",
                  binary = c("female", "obstruct", "perfor", "adhere", "node4", "death"),
                  continuous = c("age_at_diagnosis", "nodes"))
)

meta <- list()
for (nm in names(tables)) {
  tb <- tables[[nm]]
  r <- compare_table(tb$d, tb$labels, tb$a, tb$b, tb$binary, tb$continuous)
  meta[[nm]] <- data.frame(table = nm, data = tb$data, split = tb$split, group_a = tb$a,
                           group_b = tb$b, n_a = r$n_a, n_b = r$n_b, n_excluded = r$n_excl)
  out <- r$rows
  for (k in names(out)) if (is.numeric(out[[k]]) || all(is.na(out[[k]]))) out[[k]] <- fmt(out[[k]])
  write.csv(out, file.path(here, paste0("compare_", nm, ".csv")), row.names = FALSE,
            quote = FALSE)
}
write.csv(do.call(rbind, meta), file.path(here, "compare_tables.csv"), row.names = FALSE,
          quote = FALSE)
cat("R", R.version$major, ".", R.version$minor, "\n", sep = "")
cat("fixtures written to", here, "\n")
