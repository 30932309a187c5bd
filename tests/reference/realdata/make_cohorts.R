#!/usr/bin/env Rscript
# Real survival data sets from R's survival package, exported as Myoscope cohorts.
#
# Run from the repository root or from this folder:
#     Rscript tests/reference/realdata/make_cohorts.R
# Writes tests/data/realdata/{lung,pbc,veteran,colon}.csv (see the README there).
#
# Columns of every file:
#   patient_id          <name>-<row number, 3 digits> (row order of the R data set)
#   sex                 F / M (empty for veteran, which has no sex)
#   age_at_diagnosis    the data set's age, as R prints it
#   diagnosis_date      2000-01-01 for everyone (a fixed origin)
#   death               1 = died, 0 = censored (pbc: status == 2; a transplant is censored)
#   death_date          diagnosis_date + time days, empty when censored
#   last_followup_date  diagnosis_date + time days, for everyone
#   then every other column of the data set, '.' in names replaced by '_'
#   (lung ph.ecog -> ph_ecog, pbc alk.phos -> alk_phos), values as R prints them:
#   numbers with format(x, digits = 15) (0.5 stays "0.5", integers without ".0"),
#   factors as their labels, NA as an empty cell.
# The original status column is kept as `status` (its coding is the data set's);
# `time`, `age` and `sex` are replaced by the columns above; colon keeps only
# etype == 2 (death) and drops the then constant `etype`.
suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(file_arg)) dirname(normalizePath(file_arg)) else "."
out_dir <- normalizePath(file.path(here, "..", "..", "data", "realdata"), mustWork = FALSE)
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

origin <- as.Date("2000-01-01")

as_text <- function(x) {
  if (is.factor(x)) x <- as.character(x)
  if (is.logical(x)) x <- as.integer(x)
  out <- if (is.numeric(x)) {
    vapply(x, function(v) format(v, digits = 15, scientific = FALSE, trim = TRUE), "")
  } else {
    as.character(x)
  }
  out[is.na(x)] <- ""
  out
}

export <- function(d, name, time, death, sex, age, drop) {
  stopifnot(all(!is.na(time)), all(time >= 0), all(death %in% c(0, 1)))
  end <- origin + time
  out <- data.frame(
    patient_id = sprintf("%s-%03d", name, seq_len(nrow(d))),
    sex = ifelse(is.na(sex), "", sex),
    age_at_diagnosis = as_text(age),
    diagnosis_date = format(rep(origin, nrow(d))),
    death = as.integer(death),
    death_date = ifelse(death == 1, format(end), ""),
    last_followup_date = format(end),
    stringsAsFactors = FALSE
  )
  rest <- setdiff(names(d), drop)
  for (col in rest) out[[gsub(".", "_", col, fixed = TRUE)]] <- as_text(d[[col]])
  stopifnot(!any(grepl(",", as.matrix(out))))
  path <- file.path(out_dir, paste0(name, ".csv"))
  write.csv(out, path, row.names = FALSE, quote = FALSE, na = "")
  cat(sprintf("%-8s %4d patients, %4d deaths -> %s\n", name, nrow(out), sum(out$death), path))
}

# lung: status 1 = censored, 2 = dead; sex 1 = male, 2 = female
export(lung, "lung", lung$time, lung$status == 2,
       c("M", "F")[lung$sex], lung$age, c("time", "age", "sex"))

# pbc: all 418 patients (312 randomised + 106 not, trt NA); status 0 = censored,
# 1 = transplant (censored here), 2 = dead; sex factor m / f
export(pbc, "pbc", pbc$time, pbc$status == 2,
       toupper(as.character(pbc$sex)), pbc$age, c("time", "age", "sex"))

# veteran: status 1 = dead; no sex column
export(veteran, "veteran", veteran$time, veteran$status == 1,
       rep(NA_character_, nrow(veteran)), veteran$age, c("time", "age"))

# colon: etype 2 = death (etype 1 = recurrence); sex 1 = male, 0 = female
col2 <- colon[colon$etype == 2, ]
rownames(col2) <- NULL
export(col2, "colon", col2$time, col2$status == 1,
       ifelse(col2$sex == 1, "M", "F"), col2$age, c("time", "age", "sex", "etype"))

writeLines(c(paste("R", getRversion()), paste("survival", packageVersion("survival"))),
           file.path(out_dir, "versions.txt"))
