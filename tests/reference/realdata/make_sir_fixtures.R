#!/usr/bin/env Rscript
# SIR on real(istic) registry data: popEpi's `sire` cohort (Finnish female rectal cancer
# patients) against popEpi's `popmort` population mortality, as reference values for
# core.cancer_risk.sir_analysis.
#
# Run from anywhere:  Rscript tests/reference/realdata/make_sir_fixtures.R
# Needs: Epi, popEpi, data.table (Debian: r-cran-epi, r-cran-popepi).
# Writes:
#   tests/data/realdata/sire.csv           2000 patients drawn from popEpi::sire (set.seed),
#                                          in Myoscope cohort format (see below)
#   tests/data/realdata/popmort_rates.csv  popEpi::popmort (women, the ages and calendar
#                                          years the sample needs) as a Myoscope rate table:
#                                          sex, age_from, age_to (empty = open), period_from,
#                                          period_to (one calendar year), rate_per_100000 =
#                                          haz x 1e5
#   next to this script:
#   sir_totals.csv     per case: patients, observed, person-years, expected, SIR, excess per
#                      1000 PY, poisson.test P
#   sir_ci.csv         per case and group ("all" or a subgroup): CI of the SIR by method
#                      (exact = poisson.test; midp, byar, wald by their formulas) and level
#   sir_subgroups.csv  per case and subgroup: patients, observed, person-years, expected,
#                      SIR, P
#   sir_strata.csv     for the first case: sex x 1-year age band x calendar year
#                      person-years, expected, observed
# Every number is printed with sprintf('%.15g') (rates and ages read back by this script
# from their printed form, so R computes from exactly the values Python reads).
#
# The "event" is death: popEpi's sire is a simulated cohort of female cancer patients
# (sex = 1 = female, the popmort coding: 0 male, 1 female), status 0 alive, 1 dead from
# the cancer, 2 dead from other causes. Myoscope's SIR counts a first `cancer` with its
# `cancer_date`; here cancer = 1 when status is 1 or 2 and cancer_date = ex_date, so the
# "SIR" is the standardized mortality ratio of the cohort against the general population.
#
# Method, as core.cancer_risk.sir_analysis (module docstring) and
# tests/reference/cancer_risk/make_fixtures.R: years are days / 365.25; age from the
# birth date; calendar time Epi::cal.yr (1970 + days / 365.25); person-time from
# max(diagnosis - window_before, birth) to the earliest of event, exit and
# diagnosis + window_after, entered into Epi::Lexis (time scales age, per, tsd) and split
# with popEpi::splitMulti by 1-year age bands, 1-year calendar periods (breaks at
# cal.yr(1 January)) and time-since-diagnosis bands; person-years from popEpi::aggre;
# E = sum PY x haz. popEpi::sir rounds its output to 4 decimals, so the full-precision
# figures are summed from the aggre() table and checked against popEpi::sir below.
#
# Convention differences handled here:
# * Lexis attributes an event lying exactly on a band boundary (death on 1 January, death
#   at an exact integer age = days since birth a multiple of 1461, death on the diagnosis
#   day for the time-since-diagnosis split) to the band ending there; core.cancer_risk to
#   the band starting there ([from, to)). Observed counts per stratum / band are therefore
#   counted here per patient from the exact dates (integer day arithmetic), [from, to).
# * Lexis drops records with zero follow-up (death on the diagnosis day with the window
#   starting at diagnosis); core.cancer_risk counts such a death (0 person-years). They
#   are added back by hand (as tests/reference/cancer_risk/make_fixtures.R does).
# * sir_analysis only has windows around the diagnosis (window_before_years >= 0), so a
#   window "from 2 years after diagnosis" cannot be expressed; the finite windows used are
#   "diagnosis to 5 years after" and "2 years before to 10 years after", plus "from 2 years
#   before on".

options(warn = 1)
suppressMessages({
  library(Epi); library(popEpi); library(data.table)
})
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
data_dir <- normalizePath(file.path(here, "..", "..", "data", "realdata"), mustWork = FALSE)
dir.create(data_dir, recursive = TRUE, showWarnings = FALSE)
f15 <- function(x) ifelse(is.na(x), "NA", sprintf("%.15g", x))
fdate <- function(x) ifelse(is.na(x), "", format(x, "%Y-%m-%d"))

# ---------------------------------------------------------------------------------------
# cohort: 2000 patients of sire
# ---------------------------------------------------------------------------------------
s <- as.data.frame(sire)
stopifnot(all(s$sex == 1))                               # all women
set.seed(20240905)
rows <- sort(sample(nrow(s), 2000))
d <- data.frame(
  patient_id = sprintf("sire-%04d", rows),
  sex = "F",
  birth_date = as.Date(s$bi_date[rows]),
  diagnosis_date = as.Date(s$dg_date[rows]),
  last_followup_date = as.Date(s$ex_date[rows]),
  status = s$status[rows],
  stringsAsFactors = FALSE
)
d$dead <- as.integer(d$status %in% c(1, 2))
d$event_date <- as.Date(ifelse(d$dead == 1, d$last_followup_date, NA), origin = "1970-01-01")
stopifnot(all(d$last_followup_date >= d$diagnosis_date), all(d$birth_date < d$diagnosis_date))
age_txt <- sprintf("%.17g", as.numeric(d$diagnosis_date - d$birth_date) / 365.25)
write.csv(data.frame(
  patient_id = d$patient_id, sex = d$sex, birth_date = fdate(d$birth_date),
  age_at_diagnosis = age_txt, diagnosis_date = fdate(d$diagnosis_date),
  cancer = d$dead, cancer_date = fdate(d$event_date),
  death = d$dead, death_date = fdate(d$event_date),
  last_followup_date = fdate(d$last_followup_date), status = d$status),
  file.path(data_dir, "sire.csv"), row.names = FALSE, quote = FALSE)

# ---------------------------------------------------------------------------------------
# rate table: popmort, women, needed ages and years, 1-year bands, 100+ open
# ---------------------------------------------------------------------------------------
max_wb <- 2
a0_all <- as.numeric(d$diagnosis_date - d$birth_date) / 365.25
age_lo <- floor(min(a0_all) - max_wb)
yr <- function(x) as.integer(format(x, "%Y"))
year_lo <- yr(min(d$diagnosis_date) - ceiling(max_wb * 365.25) - 1)
year_hi <- yr(max(d$last_followup_date))
pm <- as.data.frame(popmort)
pm <- pm[pm$sex == 1 & pm$agegroup >= age_lo & pm$year >= year_lo & pm$year <= year_hi, ]
pm <- pm[order(pm$year, pm$agegroup), ]
stopifnot(max(pm$agegroup) == 100, nrow(pm) == (101 - age_lo) * (year_hi - year_lo + 1))
rate_txt <- f15(pm$haz * 1e5)
write.csv(data.frame(sex = "F", age_from = pm$agegroup,
                     age_to = ifelse(pm$agegroup == 100, "", pm$agegroup + 1),
                     period_from = pm$year, period_to = pm$year,
                     rate_per_100000 = rate_txt),
          file.path(data_dir, "popmort_rates.csv"), row.names = FALSE, quote = FALSE)
ref <- data.table(sex = "F", agegroup = pm$agegroup, year = pm$year,
                  haz = as.numeric(rate_txt) / 1e5)

# ---------------------------------------------------------------------------------------
# SIR
# ---------------------------------------------------------------------------------------
age_breaks <- c(seq(0, 100), 300)
per_breaks <- cal.yr(as.Date(sprintf("%d-01-01", (year_lo - 1):(year_hi + 1))))
per_years <- (year_lo - 1):(year_hi + 1)
tsd_breaks <- c(-200, 0, 1, 3, 5, 300)
tsd_labels <- c("before diagnosis", "<1 year", "1–3 years", "3–5 years", "≥5 years")

d$age_group <- ifelse(a0_all < 65, "<65", "65+")
d$dx_period <- ifelse(d$diagnosis_date < as.Date("2003-01-01"), "1993-2002", "2003-2012")

sir_case <- function(d, wb, wa, by) {
  a0 <- as.numeric(d$diagnosis_date - d$birth_date) / 365.25
  s_exit <- as.numeric(d$last_followup_date - d$diagnosis_date) / 365.25
  has_c <- d$dead == 1
  s_c <- ifelse(has_c, s_exit, NA)
  start <- pmax(-wb, -a0)
  end <- pmin(wa, s_exit)
  end <- ifelse(has_c, pmin(end, s_c), end)
  event <- has_c & s_c >= -wb & s_c <= wa
  end <- pmax(end, start)
  keep <- end > start
  d$grp <- if (by %in% c("age_group", "dx_period")) d[[by]] else "all"
  d$a_in <- a0 + start; d$a_out <- a0 + end
  d$p_in <- cal.yr(d$diagnosis_date) + start; d$t_in <- start
  d$ev <- as.integer(event)
  lex <- Lexis(entry = list(age = a_in, per = p_in, tsd = t_in), exit = list(age = a_out),
               exit.status = ev, data = d[keep, ], notes = FALSE)
  sp <- splitMulti(lex, age = age_breaks, per = per_breaks, tsd = tsd_breaks)
  sp$agegroup <- age_breaks[findInterval(sp$age, age_breaks)]
  sp$year <- per_years[findInterval(sp$per, per_breaks)]
  sp$tsdband <- tsd_labels[findInterval(sp$tsd, tsd_breaks)]
  ag <- as.data.table(aggre(sp, by = list(sex, agegroup, year, tsdband, grp)))
  stopifnot(abs(sum(ag$pyrs) - sum(end - start)) < 1e-8,
            sum(ag$from0to1) == sum(event & keep))

  # observed, per patient from exact dates, bands [from, to)
  ev_d <- d[event, ]
  days_birth <- as.numeric(ev_d$event_date - ev_d$birth_date)   # integer days
  k <- floor(days_birth * 4 / 1461)                              # age band (exact)
  days_dx <- as.numeric(ev_d$event_date - ev_d$diagnosis_date)
  obs <- data.table(sex = "F", agegroup = pmin(k, 100), year = yr(ev_d$event_date),
                    tsdband = tsd_labels[findInterval(days_dx / 365.25, tsd_breaks)],
                    grp = ev_d$grp, observed = 1)
  obs <- obs[, .(observed = sum(observed)), by = .(sex, agegroup, year, tsdband, grp)]
  py <- ag[, .(pyrs = sum(pyrs)), by = .(sex, agegroup, year, tsdband, grp)]
  full <- merge(py, obs, by = c("sex", "agegroup", "year", "tsdband", "grp"), all = TRUE)
  full[is.na(pyrs), pyrs := 0][is.na(observed), observed := 0]
  full <- merge(full, ref, by = c("sex", "agegroup", "year"), all.x = TRUE)
  stopifnot(!anyNA(full$haz))
  full[, expected := pyrs * haz]

  # check against popEpi::sir (4-decimal output)
  chk <- as.data.table(suppressMessages(suppressWarnings(sir(coh.data = ag, coh.obs = "from0to1", coh.pyrs = "pyrs",
                           ref.data = ref, ref.rate = "haz",
                           adjust = c("sex", "agegroup", "year")))))
  stopifnot(abs(chk$pyrs - sum(full$pyrs)) < 1e-3, abs(chk$expected - sum(full$expected)) < 1e-3,
            chk$observed + sum(event & !keep) == sum(full$observed))

  strata <- full[, .(observed = sum(observed), pyrs = sum(pyrs), expected = sum(expected)),
                 by = .(sex, agegroup, year)][pyrs > 0 | observed > 0]
  setorder(strata, sex, year, agegroup)
  tot <- full[, .(observed = sum(observed), pyrs = sum(pyrs), expected = sum(expected))]
  sub <- NULL
  if (by != "") {
    col <- if (by == "tsd") "tsdband" else "grp"
    sub <- full[, .(observed = sum(observed), pyrs = sum(pyrs), expected = sum(expected)),
                by = c(col)]
    setnames(sub, col, "group")
    if (by == "tsd") {
      sub <- sub[pyrs > 0 | observed > 0]
      lo <- tsd_breaks[-length(tsd_breaks)]; hi <- tsd_breaks[-1]
      lo[1] <- -Inf; hi[length(hi)] <- Inf
      n_pat <- sapply(seq_along(tsd_labels), function(j)
        sum(pmin(end, hi[j]) - pmax(start, lo[j]) > 0))
      sub$n_patients <- n_pat[match(sub$group, tsd_labels)]
      sub <- sub[order(match(group, tsd_labels))]
    } else {
      sub$n_patients <- as.vector(table(d$grp)[sub$group])
      setorder(sub, group)
    }
    chk <- as.data.table(suppressMessages(suppressWarnings(sir(coh.data = ag, coh.obs = "from0to1", coh.pyrs = "pyrs",
                             ref.data = ref, ref.rate = "haz",
                             adjust = c("sex", "agegroup", "year"), print = col))))
    setnames(chk, col, "group")
    chk <- merge(chk, sub, by = "group")
    stopifnot(max(abs(chk$pyrs.x - chk$pyrs.y)) < 1e-3,
              max(abs(chk$expected.x - chk$expected.y)) < 1e-3)
  }
  list(strata = strata, tot = tot, sub = sub, n = nrow(d), n_pt = sum(keep))
}

# ---------------------------------------------------------------- CI methods -------
ci <- function(o, e, method, level) {
  if (!(e > 0)) return(c(NA, NA))
  alpha <- 1 - level
  z <- qnorm(1 - alpha / 2)
  if (method == "exact") {
    r <- poisson.test(o, e, conf.level = level)$conf.int
    return(c(r[1], r[2]))
  }
  if (method == "midp") {
    # mid-p limits: P(X > O) + P(X = O)/2 = a/2 (lower), P(X < O) + P(X = O)/2 = a/2
    # (upper); solved on log(mu) with a tight tolerance
    solve <- function(f) exp(uniroot(function(l) f(exp(l)), c(-40, log(o + 50 + 20 * sqrt(o + 1))),
                                     tol = 1e-14, maxiter = 10000)$root)
    hi <- solve(function(mu) ppois(o - 1, mu) + 0.5 * dpois(o, mu) - alpha / 2)
    lo <- if (o == 0) 0 else
      solve(function(mu) ppois(o, mu, lower.tail = FALSE) + 0.5 * dpois(o, mu) - alpha / 2)
    return(c(lo, hi) / e)
  }
  if (method == "byar") {
    lo <- if (o == 0) 0 else o * (1 - 1 / (9 * o) - z / (3 * sqrt(o)))^3
    o1 <- o + 1
    hi <- o1 * (1 - 1 / (9 * o1) + z / (3 * sqrt(o1)))^3
    return(c(lo, hi) / e)
  }
  if (o == 0) return(c(NA, NA))                         # wald: log-Wald
  c(o / e * exp(-z / sqrt(o)), o / e * exp(z / sqrt(o)))
}
pval <- function(o, e) if (e > 0) poisson.test(o, e)$p.value else NA

cases <- list(
  list(name = "dx_on_by_age", wb = 0, wa = Inf, by = "age_group", strata = TRUE),
  list(name = "dx_to_5_by_period", wb = 0, wa = 5, by = "dx_period", strata = FALSE),
  list(name = "dx_on_tsd", wb = 0, wa = Inf, by = "tsd", strata = FALSE),
  list(name = "before2_on_tsd", wb = 2, wa = Inf, by = "tsd", strata = FALSE),
  list(name = "before2_to_10_by_age", wb = 2, wa = 10, by = "age_group", strata = FALSE)
)
levels <- c(0.95, 0.9)
methods <- c("exact", "midp", "byar", "wald")
tot_rows <- list(); ci_rows <- list(); sub_rows <- list(); str_rows <- list()
for (cs in cases) {
  r <- sir_case(d, cs$wb, cs$wa, cs$by)
  o <- r$tot$observed; e <- r$tot$expected; py <- r$tot$pyrs
  tot_rows[[cs$name]] <- data.frame(case = cs$name, window_before = cs$wb,
    window_after = ifelse(is.infinite(cs$wa), "inf", cs$wa), by = cs$by,
    n_patients = r$n, n_with_person_time = r$n_pt, observed = f15(o),
    person_years = f15(py), expected = f15(e), sir = f15(o / e),
    excess_per_1000py = f15(1000 * (o - e) / py), p_value = f15(pval(o, e)))
  grp <- data.frame(group = "all", observed = o, expected = e)
  if (!is.null(r$sub)) {
    sb <- r$sub
    sub_rows[[cs$name]] <- data.frame(case = cs$name, group = sb$group,
      n_patients = sb$n_patients, observed = f15(sb$observed), person_years = f15(sb$pyrs),
      expected = f15(sb$expected), sir = f15(sb$observed / sb$expected),
      p_value = f15(mapply(pval, sb$observed, sb$expected)))
    grp <- rbind(grp, data.frame(group = sb$group, observed = sb$observed,
                                 expected = sb$expected))
  }
  for (lv in levels) for (m in methods) for (i in seq_len(nrow(grp))) {
    lim <- ci(grp$observed[i], grp$expected[i], m, lv)
    ci_rows[[length(ci_rows) + 1]] <- data.frame(case = cs$name, group = grp$group[i],
      method = m, conf_level = lv, ci_low = f15(lim[1]), ci_high = f15(lim[2]))
  }
  if (cs$strata) {
    st <- r$strata
    str_rows[[cs$name]] <- data.frame(case = cs$name, sex = st$sex, age_from = st$agegroup,
      period = st$year, observed = f15(st$observed), person_years = f15(st$pyrs),
      expected = f15(st$expected))
  }
}
write.csv(do.call(rbind, tot_rows), file.path(here, "sir_totals.csv"), row.names = FALSE,
          quote = FALSE)
write.csv(do.call(rbind, ci_rows), file.path(here, "sir_ci.csv"), row.names = FALSE,
          quote = FALSE)
write.csv(do.call(rbind, sub_rows), file.path(here, "sir_subgroups.csv"), row.names = FALSE,
          quote = FALSE)
write.csv(do.call(rbind, str_rows), file.path(here, "sir_strata.csv"), row.names = FALSE,
          quote = FALSE)
cat("R", R.version$major, ".", R.version$minor, " Epi ", format(packageVersion("Epi")),
    " popEpi ", format(packageVersion("popEpi")), "\n", sep = "")
cat("fixtures written to", here, "and", data_dir, "\n")
