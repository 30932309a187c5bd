#!/usr/bin/env Rscript
# Reference values of R's survival package on the real cohorts of tests/data/realdata
# (made by make_cohorts.R), for tests/core/test_realdata_survival.py.
#
# Run from the repository root or from this folder:
#     Rscript tests/reference/realdata/make_survival_fixtures.R
# Reads the cohort CSVs (time = last_followup_date - diagnosis_date in days, event =
# death) and writes, next to this script:
#   survival_km.csv       survfit(Surv(time, death) ~ g, conf.type = "log") at every event
#                         time: time, n.risk, n.event, surv, lower, upper
#   survival_medians.csv  quantile(fit, 0.5): median and its CI
#   survival_summary_times.csv  summary(fit, times = c(365.25, 1095.75, 1826.25),
#                         extend = TRUE): n.risk, cumulative events, surv, lower, upper
#   survival_survdiff.csv survdiff(Surv(time, death) ~ g): chi2, df, P, observed, expected
#   survival_pairwise.csv survdiff on each pair of groups, p.adjust(method = "BH")
#   survival_coxph.csv    coxph(ties = "efron"): coef, se, HR, 95% CI, Wald P per term
# R and survival versions: tests/data/realdata/versions.txt. Group "(all)" (grouping "none") is the whole cohort. Every number is printed with
# sprintf('%.15g'); NA stays NA.
suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(file_arg)) dirname(normalizePath(file_arg)) else "."
data_dir <- file.path(here, "..", "..", "data", "realdata")

fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.15g", x))
write_fixture <- function(df, name) {
  for (col in names(df)) if (is.numeric(df[[col]])) df[[col]] <- fmt(df[[col]])
  write.csv(df, file.path(here, name), row.names = FALSE, quote = FALSE)
}

load <- function(name) {
  d <- read.csv(file.path(data_dir, paste0(name, ".csv")), colClasses = "character",
                na.strings = "")
  d$time <- as.numeric(as.Date(d$last_followup_date) - as.Date(d$diagnosis_date))
  d$death <- as.integer(d$death)
  d$age <- as.numeric(d$age_at_diagnosis)
  d
}
cohorts <- lapply(c(lung = "lung", pbc = "pbc", veteran = "veteran", colon = "colon"), load)

# grouping variables and their levels (the first is the Cox reference)
groupings <- list(
  list("lung", "sex", c("M", "F")),
  list("lung", "ph_ecog", c("0", "1", "2", "3")),
  list("pbc", "edema", c("0", "0.5", "1")),
  list("pbc", "trt", c("1", "2")),
  list("pbc", "stage", c("1", "2", "3", "4")),
  list("veteran", "celltype", c("squamous", "smallcell", "adeno", "large")),
  list("veteran", "trt", c("1", "2")),
  list("colon", "rx", c("Obs", "Lev", "Lev+5FU")),
  list("colon", "obstruct", c("0", "1"))
)
landmarks <- c(365.25, 1095.75, 1826.25)

km_rows <- list(); med_rows <- list(); sum_rows <- list()
add_curve <- function(ds, var, grp, t, e) {
  fit <- survfit(Surv(t, e) ~ 1, conf.type = "log")
  ev <- fit$n.event > 0
  km_rows[[length(km_rows) + 1]] <<- data.frame(
    dataset = ds, grouping = var, group = grp, time = fit$time[ev], n_risk = fit$n.risk[ev],
    n_event = fit$n.event[ev], surv = fit$surv[ev], lower = fit$lower[ev], upper = fit$upper[ev])
  q <- quantile(fit, 0.5)
  med_rows[[length(med_rows) + 1]] <<- data.frame(
    dataset = ds, grouping = var, group = grp, n = fit$n, events = sum(fit$n.event),
    median = unname(q$quantile), lower = unname(q$lower), upper = unname(q$upper))
  s <- summary(fit, times = landmarks, extend = TRUE)
  sum_rows[[length(sum_rows) + 1]] <<- data.frame(
    dataset = ds, grouping = var, group = grp, time = s$time, n_risk = s$n.risk,
    cum_events = cumsum(s$n.event), surv = s$surv, lower = s$lower, upper = s$upper)
}

sd_rows <- list(); pw_rows <- list()
for (g in groupings) {
  ds <- g[[1]]; var <- g[[2]]; lv <- g[[3]]
  d <- cohorts[[ds]]
  grp <- factor(d[[var]], levels = lv)
  for (l in lv) add_curve(ds, var, l, d$time[which(grp == l)], d$death[which(grp == l)])
  sdf <- survdiff(Surv(time, death) ~ grp, data = d)
  sd_rows[[length(sd_rows) + 1]] <- data.frame(
    dataset = ds, grouping = var, group = lv, chi2 = sdf$chisq, df = length(lv) - 1,
    p = pchisq(sdf$chisq, length(lv) - 1, lower.tail = FALSE),
    observed = sdf$obs, expected = sdf$exp)
  pairs <- t(combn(lv, 2))
  chi <- apply(pairs, 1, function(p) {
    keep <- grp %in% p
    survdiff(Surv(time, death) ~ factor(grp[keep], levels = p), data = d[keep, ])$chisq
  })
  pv <- pchisq(chi, 1, lower.tail = FALSE)
  pw_rows[[length(pw_rows) + 1]] <- data.frame(
    dataset = ds, grouping = var, group1 = pairs[, 1], group2 = pairs[, 2], chi2 = chi,
    p = pv, p_adjusted = if (length(lv) > 2) p.adjust(pv, method = "BH") else pv)
}
for (ds in names(cohorts)) {
  d <- cohorts[[ds]]
  add_curve(ds, "none", "(all)", d$time, d$death)
}

# Cox models: grouping (factor, first level = reference) + covariates
num <- function(d, cols) { for (c in cols) d[[c]] <- as.numeric(d[[c]]); d }
fac <- function(x, lv) factor(x, levels = lv)
models <- list(
  list("lung", "sex", c("M", "F"), character(0)),
  list("lung", "ph_ecog", c("0", "1", "2", "3"), character(0)),
  list("lung", "sex", c("M", "F"), c("age", "ph_ecog")),
  list("pbc", "edema", c("0", "0.5", "1"), character(0)),
  list("pbc", "trt", c("1", "2"), character(0)),
  list("pbc", "trt", c("1", "2"), c("age", "bili")),
  list("pbc", "stage", c("1", "2", "3", "4"), character(0)),
  list("veteran", "celltype", c("squamous", "smallcell", "adeno", "large"), character(0)),
  list("veteran", "celltype", c("squamous", "smallcell", "adeno", "large"), c("karno", "age")),
  list("veteran", "trt", c("1", "2"), character(0)),
  list("colon", "rx", c("Obs", "Lev", "Lev+5FU"), character(0)),
  list("colon", "rx", c("Obs", "Lev", "Lev+5FU"), c("age", "sex", "nodes")),
  list("colon", "obstruct", c("0", "1"), character(0))
)
cox_rows <- list()
for (m in models) {
  ds <- m[[1]]; var <- m[[2]]; lv <- m[[3]]; covs <- m[[4]]
  d <- num(cohorts[[ds]], setdiff(covs, "sex"))
  d$grp <- fac(d[[var]], lv)
  if ("sex" %in% covs) d$sex <- factor(d$sex, levels = c("F", "M"))
  model <- paste(c(var, covs), collapse = " + ")
  f <- as.formula(paste("Surv(time, death) ~", paste(c("grp", covs), collapse = " + ")))
  fit <- coxph(f, data = d, ties = "efron")
  cf <- summary(fit)$coefficients
  ci <- exp(confint(fit))
  cox_rows[[length(cox_rows) + 1]] <- data.frame(
    dataset = ds, model = model, term = rownames(cf), coef = cf[, "coef"],
    se = cf[, "se(coef)"], hr = cf[, "exp(coef)"], lower = ci[, 1], upper = ci[, 2],
    p = cf[, "Pr(>|z|)"], n = fit$n, nevent = fit$nevent, loglik = fit$loglik[2],
    iter = fit$iter)
}

write_fixture(do.call(rbind, km_rows), "survival_km.csv")
write_fixture(do.call(rbind, med_rows), "survival_medians.csv")
write_fixture(do.call(rbind, sum_rows), "survival_summary_times.csv")
write_fixture(do.call(rbind, sd_rows), "survival_survdiff.csv")
write_fixture(do.call(rbind, pw_rows), "survival_pairwise.csv")
write_fixture(do.call(rbind, cox_rows), "survival_coxph.csv")
cat(sprintf("R %s, survival %s: fixtures written to %s\n", getRversion(),
            packageVersion("survival"), normalizePath(here)))
