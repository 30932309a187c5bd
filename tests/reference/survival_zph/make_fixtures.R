#!/usr/bin/env Rscript
# Reference values of R's proportional-hazards test, cox.zph(fit, transform = "rank",
# terms = FALSE) (survival >= 3: the score test of the added terms x * g(t), Therneau &
# Grambsch 2000, section 6.2), for tests/core/test_survival_zph.py.
#
# Run from the repository root:  Rscript tests/reference/survival_zph/make_fixtures.R
# Models: the real cohorts of tests/data/realdata (as tests/reference/realdata/
# make_survival_fixtures.R: time = last_followup_date - diagnosis_date in days, event =
# death), plus synthetic cohorts with heavy ties (ties.csv, written here).
# Writes zph.csv: dataset, model, term (R's coefficient name or GLOBAL), chisq, df, p,
# with sprintf('%.15g').
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(file_arg)) dirname(normalizePath(file_arg)) else "."
data_dir <- file.path(here, "..", "..", "data", "realdata")
fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.15g", x))

load <- function(name) {
  d <- read.csv(file.path(data_dir, paste0(name, ".csv")), colClasses = "character", na.strings = "")
  d$time <- as.numeric(as.Date(d$last_followup_date) - as.Date(d$diagnosis_date))
  d$death <- as.integer(d$death)
  d$age <- as.numeric(d$age_at_diagnosis)
  d
}
cohorts <- lapply(c(lung = "lung", pbc = "pbc", veteran = "veteran", colon = "colon"), load)

# synthetic: heavy ties (integer months), 3 groups, one numeric covariate
set.seed(12)
n <- 600
g <- sample(c("A", "B", "C"), n, replace = TRUE)
x <- round(rnorm(n), 2)
rate <- ifelse(g == "A", 0.02, ifelse(g == "B", 0.035, 0.05)) * exp(0.3 * x)
tt <- ceiling(rexp(n, rate) * (1 + (g == "C")))  # non-proportional for C
cc <- ceiling(runif(n, 1, 80))
ties <- data.frame(time = pmin(tt, cc), death = as.integer(tt <= cc), grp = g, x = x)
write.csv(ties, file.path(here, "ties.csv"), row.names = FALSE, quote = FALSE)
cohorts$ties <- ties

num <- function(d, cols) { for (c in cols) d[[c]] <- as.numeric(d[[c]]); d }
models <- list(
  list("lung", "sex", c("M", "F"), character(0)),
  list("lung", "ph_ecog", c("0", "1", "2", "3"), character(0)),
  list("lung", "sex", c("M", "F"), c("age", "ph_ecog")),
  list("pbc", "edema", c("0", "0.5", "1"), character(0)),
  list("pbc", "trt", c("1", "2"), c("age", "bili")),
  list("veteran", "celltype", c("squamous", "smallcell", "adeno", "large"), c("karno", "age")),
  list("veteran", "trt", c("1", "2"), character(0)),
  list("colon", "rx", c("Obs", "Lev", "Lev+5FU"), c("age", "sex", "nodes")),
  list("ties", "grp", c("A", "B", "C"), character(0)),
  list("ties", "grp", c("A", "B", "C"), c("x"))
)
rows <- list()
for (m in models) {
  ds <- m[[1]]; var <- m[[2]]; lv <- m[[3]]; covs <- m[[4]]
  d <- num(cohorts[[ds]], setdiff(covs, "sex"))
  d$grp <- factor(d[[var]], levels = lv)
  if ("sex" %in% covs) d$sex <- factor(d$sex, levels = c("F", "M"))
  f <- as.formula(paste("Surv(time, death) ~", paste(c("grp", covs), collapse = " + ")))
  fit <- coxph(f, data = d, ties = "efron")
  z <- cox.zph(fit, transform = "rank", terms = FALSE)$table
  rows[[length(rows) + 1]] <- data.frame(
    dataset = ds, model = paste(c(var, covs), collapse = " + "), term = rownames(z),
    chisq = fmt(z[, "chisq"]), df = z[, "df"], p = fmt(z[, "p"]))
}
write.csv(do.call(rbind, rows), file.path(here, "zph.csv"), row.names = FALSE, quote = FALSE)
writeLines(c(R.version.string, paste("survival", packageVersion("survival"))), file.path(here, "versions.txt"))
